"""What an officer's probe of the web app found: 名单测算's result tables crushed at a laptop's
width and one character a line on a phone, enterprises without result rows missing from 按企业,
地区对比 counting items as events and saying 该文件 of two documents, the brand wrapping on a
phone, and messages pointing officers to command-line programs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from .conftest import ARTIFACTS
from .registers import AS_OF, code, scenarios, wait_for_job, write_register

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# the probe's scenario: a 吴中 robot purchase and a 智能工厂 recognition
PROBE = {
    "enterprise": {"credit_code": "91320506MA1XXXXX09", "name": "苏州吴中精密机械有限公司", "region": "320506", "town": "木渎镇"},
    "events": [
        {"id": "E1", "kind": "purchase", "date": "2025-06-30", "category": "机器人产品或服务", "amount": "300万元"},
        {"id": "E2", "kind": "recognition", "date": "2025-09-15", "title": "智能工厂", "level": "省级", "grade": "先进级"},
    ],
}


def _main(html: str) -> str:
    return html[html.index('<main id="main">') : html.index("</main>")]


# --- 地区对比 ----------------------------------------------------------------------


def test_compare_says_it_counts_items_and_agrees_in_number(client: TestClient) -> None:
    """The card said 事项日期不在政策有效期内：3项 of a scenario of 2 events (it counts items), and
    只有《武进2024》、《吴中2025》有…，该文件不适用 of two documents."""
    scenario = {
        **PROBE,
        "events": [{**e, **({"outcome": "新获评"} if e["kind"] == "recognition" else {})} for e in PROBE["events"]],
    }
    sid = client.post("/api/scenarios", json=scenario).json()["id"]
    page = client.get(f"/compare?s={sid}&picked=1&region=320500&region=320412").text
    suzhou = page[page.index('id="h-320500"') : page.index('id="h-320412"')]
    wujin = page[page.index('id="h-320412"') :]
    assert "事项日期不在政策有效期内：" not in wujin
    outside = wujin[wujin.index('class="muted out-of-window"') :].split("</p>")[0]
    assert "因日期不在政策有效期内未计的奖补项：" in outside and "项（《武进2024》）" in outside
    assert "E2（只有《武进2024》、《吴中2025》有适用于该事项的条款，这些文件不适用于注册在苏州市的企业）" in suzhou
    assert "E1（只有《吴中2025》有适用于该事项的条款，该文件不适用于注册在苏州市的企业）" in suzhou


# --- 名单测算: enterprises without result rows ------------------------------------------


def test_the_results_page_counts_enterprises_without_result_rows(client: TestClient, tmp_path: Path) -> None:
    """测算企业 7 but 按企业 4: an enterprise with no events and one whose only event was rejected
    (both in 虎丘区, where no yearly item applies) have no result row; the page and its JSON say so."""
    raws = [
        *scenarios(),
        {"enterprise": {"credit_code": code(6, "320505"), "name": "虎丘无事项企业", "region": "320505"}, "events": []},
        {
            "enterprise": {"credit_code": code(7, "320505"), "name": "虎丘事项有误企业", "region": "320505"},
            "events": [{"id": "P1", "kind": "purchase", "date": "2025-06-30", "category": "机器人产品或服务", "amount": "abc"}],
        },
    ]
    path = write_register(tmp_path / "登记表.xlsx", raws)
    r = client.post("/api/batch", files={"file": (path.name, path.read_bytes(), XLSX)}, data={"as_of": AS_OF})
    status = wait_for_job(client, r.json()["id"])
    assert status["status"] == "done" and status["enterprises_evaluated"] == 7
    assert status["counts"]["events"]["rejected"] == 1
    ents = client.get(f"/api/batch/{status['id']}/results", params={"view": "enterprises"}).json()["count"]
    without = 7 - ents
    assert without >= 2  # the two of 虎丘区 (and 武进测试企业, whose 2025 purchase no 武进2024 item takes)
    assert status["enterprises_without_results"] == without  # the page's JSON (the job's status) too
    page = client.get(f"/batch/{status['id']}").text
    assert f"按企业（{ents}家）" in page
    assert f"另有{without}家企业无测算结果（其事项均被拒绝、没有事项或无适用条款），未列入下表" in page
    assert f'（其中<span id="ent-without-results">{without}</span>家无测算结果）' in page
    # filtered, 按企业 counts what the filter keeps: the note on the whole register is not repeated there
    filtered = client.get(f"/batch/{status['id']}", params={"town": "木渎镇"}).text
    assert 'id="no-result-enterprises"' not in filtered


# --- messages that pointed to the command line --------------------------------------------


def test_an_unknown_document_page_links_the_documents_by_name(client: TestClient) -> None:
    r = client.get("/policies/nope")
    assert r.status_code == 404
    main = _main(r.text)
    assert "可用：" not in main and "suzhou-2020、" not in main
    assert "请在政策库中选择" in main
    assert '<a href="/policies/wuzhong-2025">《吴中2025》关于促进吴中区制造业高质量发展的若干政策措施</a>' in main
    # the API keeps the ids a program passes
    assert "可用：suzhou-2020" in client.get("/api/policies/nope").json()["error"]


def test_an_article_without_items_points_to_the_document_page(client: TestClient) -> None:
    r = client.get("/policies/wuzhong-2025/articles/99")
    assert r.status_code == 404
    main = _main(r.text)
    assert "huiqi" not in main
    assert "《吴中2025》第99条没有单独编码的奖补项" in main and "见《吴中2025》的文件页面" in main
    assert '<a href="/policies/wuzhong-2025">《吴中2025》全文与各条款</a>' in main


@pytest.mark.parametrize("url", ["/batch", "/calc"])
def test_pages_do_not_name_command_line_programs(client: TestClient, url: str) -> None:
    main = _main(client.get(url).text)
    assert "huiqi batch" not in main and "huiqi evaluate" not in main and "命令行" not in main


# --- in Chromium: the result tables at a laptop's and a phone's width, the brand on a phone --------


def _line_height_ratio(page: Any, selector: str) -> float:
    """The height of the text in the first cell matching ``selector`` over the cell's line height."""
    ratio: float = page.evaluate(
        """s => { const c = document.querySelector(s); const r = document.createRange(); r.selectNodeContents(c);
                  return r.getBoundingClientRect().height / parseFloat(getComputedStyle(c).lineHeight); }""",
        selector,
    )
    return ratio


@pytest.mark.browser
def test_batch_result_tables_at_laptop_and_phone_width(server: str, browser: Any, tmp_path: Path) -> None:
    path = write_register(tmp_path / "登记表.xlsx", scenarios())
    r = httpx.post(f"{server}/api/batch", files={"file": (path.name, path.read_bytes(), XLSX)}, data={"as_of": AS_OF})
    assert r.status_code == 202, r.text
    with httpx.Client(base_url=server) as http:
        job = wait_for_job(http, r.json()["id"])["id"]
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{server}/batch/{job}")
    granted = "#by-benefit tr.st-granted td:nth-child(7)"  # 状态 of a row: 可享受
    assert page.locator(granted).first.inner_text() == "可享受"
    assert _line_height_ratio(page, granted) < 1.5  # one line, not 可/享/受
    assert _line_height_ratio(page, "#by-benefit tr.st-granted td:nth-child(8)") < 2.5  # 最高限额（经审核确定）
    assert _line_height_ratio(page, "#by-enterprise td:nth-child(1)") < 1.5  # the credit code
    assert _line_height_ratio(page, "#by-enterprise td:nth-child(2)") < 1.5  # the company name
    assert _line_height_ratio(page, "#by-benefit tbody td:nth-child(1)") < 2.5  # the company name
    widths = page.evaluate("[...document.querySelectorAll('#by-benefit thead th')].map(th => th.getBoundingClientRect().width)")
    assert widths[10] < 0.35 * sum(widths)  # 原因与说明 took ~45%
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    page.locator("#by-benefit").screenshot(path=str(ARTIFACTS / "probe-batch-table-1366.png"))
    # a phone: the table scrolls in its own box; the page does not scroll sideways
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_function("document.documentElement.scrollWidth <= 390")  # once the charts have redrawn
    assert page.evaluate("(b => b.scrollWidth > b.clientWidth)(document.querySelector('#by-benefit').parentElement)")
    assert _line_height_ratio(page, granted) < 1.5
    assert _line_height_ratio(page, "#by-benefit tbody td:nth-child(1)") < 3.5  # not one character a line
    assert _line_height_ratio(page, ".top .brand") < 1.5  # 惠企 on one line
    page.screenshot(path=str(ARTIFACTS / "probe-batch-390.png"), full_page=True)
    context.close()
