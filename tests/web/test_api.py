"""The JSON API and the pages, in-process with FastAPI's TestClient; bad input
must give a Chinese message and a 4xx status, never a 500."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from huiqi.core.explain import to_dict
from huiqi.service import engine
from huiqi.web import create_app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "scenarios" / "wuzhong-robot-maker.yaml"
CJK = re.compile(r"[\u4e00-\u9fff]")

ROBOT = {
    "enterprise": {"credit_code": "91320506MA1XXXXX09", "name": "测试企业", "region": "320506", "town": "木渎镇"},
    "events": [{"kind": "purchase", "date": "2025-06-30", "category": "机器人产品或服务", "amount": "80万元"}],
}


def _chinese_4xx(r: object, status: int | None = None) -> None:
    from httpx import Response

    assert isinstance(r, Response)
    assert 400 <= r.status_code < 500, r.text
    if status is not None:
        assert r.status_code == status, r.text
    assert "Traceback" not in r.text
    assert CJK.search(r.json()["error"]), r.text


def test_evaluate_yaml_matches_the_engine(client: TestClient) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    r = client.post("/api/evaluate", content=text.encode(), headers={"content-type": "application/yaml"})
    assert r.status_code == 200
    eng = engine()
    assert r.json() == to_dict(eng.evaluate(eng.scenario_file(EXAMPLE)))


def test_evaluate_json_robot_purchase(client: TestClient) -> None:
    r = client.post("/api/evaluate", json=ROBOT)
    assert r.status_code == 200
    awards = r.json()["awards"]
    robot = [a for a in awards if a["benefit"] == "wz-1-robot-purchase"]
    assert robot and robot[0]["amount_text"] == "最高4万元"
    assert robot[0]["max_yuan"] == "40000.00"


@pytest.mark.parametrize(
    ("body", "ctype", "status"),
    [
        (b"", "application/json", 400),
        (b"{not json", "application/json", 400),
        (b"enterprise: [unclosed", "application/yaml", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"<xml/>", "application/xml", 415),
        (b"[1, 2]", "application/json", 422),
        (b'{"enterprise": {"name": "x"}, "events": [{"kind": "rocket"}]}', "application/json", 422),
    ],
)
def test_evaluate_bad_input(client: TestClient, body: bytes, ctype: str, status: int) -> None:
    _chinese_4xx(client.post("/api/evaluate", content=body, headers={"content-type": ctype}), status)


def test_evaluate_problems_say_where(client: TestClient) -> None:
    bad = {
        "enterprise": {**ROBOT["enterprise"], "region": "999999"},
        "events": [{"kind": "purchase", "date": "2025-13-01", "amount": "-5"}],
    }
    r = client.post("/api/evaluate", json=bad)
    _chinese_4xx(r, 422)
    wheres = {p["where"] for p in r.json()["problems"]}
    assert "enterprise.region" in wheres
    assert "events[1].date" in wheres


@pytest.mark.parametrize("value", ["inf", "-Infinity", "NaN"])
def test_evaluate_a_number_that_is_no_finite_number_is_a_problem_not_a_500(client: TestClient, value: str) -> None:
    """Decimal reads "inf"; a number field holding it gave HTTP 500 (an OverflowError in the core)."""
    bad = {
        "enterprise": {**ROBOT["enterprise"], "region": "320412"},
        "events": [{"id": "P1", "kind": "platform", "date": "2025-09-01", "connected_devices": value}],
    }
    r = client.post("/api/evaluate", json=bad)
    _chinese_4xx(r, 422)
    assert any(p["where"].endswith(".connected_devices") and p["value"] == value for p in r.json()["problems"])


def test_evaluate_too_large(client: TestClient) -> None:
    _chinese_4xx(client.post("/api/evaluate", content=b"x" * 1_100_000, headers={"content-type": "application/yaml"}), 413)


def test_compare(client: TestClient) -> None:
    r = client.post("/api/compare", json={"scenario": ROBOT, "regions": ["320506", "320412"]})
    assert r.status_code == 200
    regions = r.json()["regions"]
    assert regions["320506"]["name"] == "吴中区"
    assert "wuzhong-2025" in regions["320506"]["result"]["documents"]
    assert "wuzhong-2025" not in regions["320412"]["result"]["documents"]


def test_compare_says_which_awards_received_do_not_count_in_the_other_region(client: TestClient) -> None:
    """A 苏州市 award is no 上级 award of 武进 (常州市): left out there, and the API and page say so."""
    scenario = {**ROBOT, "prior_awards": [{"amount": "30万元", "year": 2025, "level": "city", "document": "苏州市某政策"}]}
    r = client.post("/api/compare", json={"scenario": scenario, "regions": ["320506", "320412"]})
    regions = r.json()["regions"]
    assert regions["320506"]["note"] == ""
    assert regions["320412"]["note"] == "已获奖补中苏州市某政策30万元由不管辖武进区的政府给予，在此地区测算时未计入"


@pytest.mark.parametrize(
    "body",
    [
        {"regions": ["320506"]},
        {"scenario": ROBOT, "regions": "320506"},
        {"scenario": ROBOT, "regions": ["000000"]},
    ],
)
def test_compare_bad_input(client: TestClient, body: object) -> None:
    _chinese_4xx(client.post("/api/compare", json=body), 422)


def test_policies_list_and_search(client: TestClient) -> None:
    r = client.get("/api/policies")
    assert r.status_code == 200
    docs = {d["id"]: d for d in r.json()["documents"]}
    assert docs["wuzhong-2025"]["status"] in ("有效", "已失效", "未生效")
    assert docs["wuzhong-2025"]["issuer"] == "苏州市吴中区人民政府"
    r = client.get("/api/policies", params={"q": "机器人", "nature": "ceiling"})
    hits = r.json()["benefits"]
    assert any(b["id"] == "wz-1-robot-purchase" for b in hits)
    assert all(b["nature"] == "ceiling" for b in hits)
    dept = r.json()["filters"]["departments"][0]
    r = client.get("/api/policies", params={"department": dept})
    assert all(dept in b["department"] for b in r.json()["benefits"])
    r = client.get("/api/policies", params={"sector": "人形机器人整机制造"})
    assert r.json()["benefits"] and all("人形机器人整机制造" in b["sectors"] for b in r.json()["benefits"])


def test_the_keyword_search_ignores_spaces_width_and_case(client: TestClient) -> None:
    """The texts print 最高 100 万元 and （套）; a searcher types 最高100万元, (套), ５Ｇ or app."""

    def ids(q: str) -> set[str]:
        return {b["id"] for b in client.get("/api/policies", params={"q": q}).json()["benefits"]}

    assert "sz20-13-5g-vertical" in ids("最高100万元") & ids("100万元")  # its words: 最高 100 万元
    assert ids("首台(套)") == ids("首台（套）") and len(ids("首台(套)")) > 1
    assert ids("５Ｇ") == ids("5G") != set()
    assert ids("app") == ids("APP") != set()
    assert ids("苏府〔2020〕120号") and all(i.startswith("sz20-") for i in ids("苏府〔2020〕120号"))  # by 文号
    assert ids("苏府(2020)120号") == ids("苏府[2020]120号") == ids("苏府〔2020〕120号")
    assert "wz-11-smart-factory" in ids("最高100万元")  # its amount as listed (the text: 分别给予最高200万元、100万元…)


def test_the_keyword_search_takes_place_names_and_words_for_support_as_searchers_write_them(client: TestClient) -> None:
    """吴中区机器人 found nothing (the words run together, and no text says 吴中区机器人); 机器人 补贴 found nothing
    (the texts say 补助 and 奖励). Place names and words for support are taken apart, a document is found by its
    district, city or province, and 补贴 finds 补助, 奖补, 资助 and 奖励."""

    def ids(q: str) -> set[str]:
        return {b["id"] for b in client.get("/api/policies", params={"q": q}).json()["benefits"]}

    robots_wuzhong = {i for i in ids("机器人") if i.startswith("wz-")}
    assert robots_wuzhong and ids("吴中区机器人") == ids("吴中区 机器人") == ids("苏州市吴中区机器人") == robots_wuzhong
    assert "wz-1-robot-purchase" in ids("机器人 补贴") == ids("机器人补贴")  # 按照不超过其购买金额的5%给予补助
    assert ids("武进区 补贴") and all(i.startswith("wj-") for i in ids("武进区 补贴"))


def test_policies_bad_nature(client: TestClient) -> None:
    _chinese_4xx(client.get("/api/policies", params={"nature": "lots"}), 422)


def test_policy_document_and_article(client: TestClient) -> None:
    r = client.get("/api/policies/wuzhong-2025")
    assert r.status_code == 200
    data = r.json()
    robot = next(b for b in data["benefits"] if b["id"] == "wz-1-robot-purchase")
    start, end = robot["span"]
    assert data["source_text"][start:end].replace("\n", "").startswith("对开放机器人应用场景")
    r = client.get("/api/policies/wuzhong-2025/articles/1")
    assert r.status_code == 200 and r.json()["article"] == "1"
    assert robot["event"] == "purchase" and robot["event_label"] == "采购" and data["level_label"] == "区级"


def test_an_article_url_takes_the_forms_a_person_types(client: TestClient) -> None:
    """/articles/8 of 苏州2025机器人 (numbered 一…十二) was 404 naming 八 as encoded; 第一条 of 苏州2020 too."""
    for article in ("8", "第8条", "八", "（八）"):
        r = client.get(f"/api/policies/suzhou-2025-robots/articles/{article}")
        assert r.status_code == 200 and r.json()["article"] == "八", article
    assert client.get("/api/policies/suzhou-2020/articles/第一条").json()["article"] == "一"
    assert client.get("/api/policies/wuzhong-2025/articles/十六").json()["article"] == "16"
    page = client.get("/policies/suzhou-2025-robots/articles/12").text
    assert "《苏州2025具身智能》第十二条" in page
    r = client.get("/api/policies/suzhou-2025-robots/articles/7")
    assert r.status_code == 404 and "第7条没有单独编码的奖补项" in r.text


def test_policy_pages_name_event_kinds_and_levels_in_chinese(client: TestClient) -> None:
    """The pages showed the codes (事项：purchase, 层级：district)."""
    page = client.get("/policies/wuzhong-2025/articles/1").text
    assert "事项：采购" in page and "事项：purchase" not in page
    page = client.get("/policies/wuzhong-2025/articles/8").text  # what is checked and how the amount is reckoned
    assert "<li>是否工业企业应为“是”</li>" in page and "<li>设备投入300万元以上（含本数）</li>" in page
    assert "计算：不超过项目实际总投入 × 5%" in page
    page = client.get("/policies/wuzhong-2025").text
    assert "层级：区级" in page and "层级：district" not in page
    rules = page.split('id="doc-rules"')[1].split("</ul>")[0]  # 第21、22条: no benefit of their own, applied to all
    assert "就高不重复：本文件各条之间" in rules and "吴中区财政 4、镇（开发区、太湖新城）财政 6" in rules


def test_policy_page_shows_the_text_without_the_pdfs_line_wrapping(client: TestClient) -> None:
    """苏州2020 and 吴中2025 came from PDFs: every line of 28 characters broke the sentence on the page."""
    page = client.get("/policies/wuzhong-2025").text
    source = page.split('class="source-text"')[1]
    assert "对设备投入300万元以上的企业技术改造项目，按照不超过项目实际总投入的5%给予补助" in re.sub(r"<[^>]+>", "", source)
    assert "实际总\n\n投入" not in source
    # the highlighted words are still marked, with their anchor
    assert 'id="src-wz-8-tech-renovation"' in source and '<mark class="cite" data-benefits="wz-8-tech-renovation' in source


def test_policy_not_found(client: TestClient) -> None:
    _chinese_4xx(client.get("/api/policies/no-such"), 404)
    _chinese_4xx(client.get("/api/policies/wuzhong-2025/articles/999"), 404)
    r = client.get("/policies/no-such")
    assert r.status_code == 404 and "没有编号为" in r.text and "Traceback" not in r.text


def test_facts_and_plan(client: TestClient) -> None:
    facts = client.get("/api/facts").json()
    assert any(e["kind"] == "purchase" for e in facts["events"])
    plan = client.get("/api/plan").json()
    assert plan["indicators"] and plan["industries"] and plan["annexed_policies"]
    assert all(a["status"] in ("有效", "已失效", "未生效", "期限未载明") for a in plan["annexed_policies"])


def test_cli_plan_json_is_the_api_plan(client: TestClient, capsys: pytest.CaptureFixture[str]) -> None:
    from huiqi.cli import main

    assert main(["plan", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == client.get("/api/plan").json()


def test_plan_page_shows_other_figures_126_cited_words_and_what_applies(client: TestClient) -> None:
    page = client.get("/plan").text
    plan = client.get("/api/plan").json()
    # every other figure, under its group, with its comparison word and unit
    assert "<h3>“126”发展新态势（3项）</h3>" in page
    assert page.count('<details class="plan-cite">') == sum(
        len(plan[part]) for part in ("indicators", "industries", "annexed_policies", "other_targets")
    )
    assert "超过4000家" in page and "1.3万家以上" in page and "140多家" in page
    # each indicator's cited words
    assert "<blockquote>9工业企业全员劳动生产率（万元/人）25</blockquote>" in page
    # the 2015 column holds no figure of another measure; attribute shown as an interpretation
    labour = re.search(r"<tr><td>质量效益</td><td>工业企业全员劳动生产率.*?</tr>", page, re.S)
    assert labour is not None
    cells = re.findall(r"<td>(.*?)</td>", labour.group(0), re.S)
    assert cells[3] == "未载明（第一章另载的数据口径不同，见注）"
    assert "按解释：表前“实现以下预期目标”" in cells[5]
    # annex items that give only a start are not shown as in force
    assert "期限未载明</span>" in page and ">有效</span>" not in page
    # the site footer about amounts does not apply here: the page's footer says what applies
    foot = re.search(r'<footer class="foot">(.*?)</footer>', page, re.S)
    assert (
        foot is not None and foot.group(1).startswith("本页为规划数据，不是补贴测算") and "金额按分精确计算" not in foot.group(1)
    )


def test_pages_have_json_twins(client: TestClient) -> None:
    js = {"accept": "application/json"}
    assert client.get("/policies", headers=js).json() == client.get("/api/policies").json()
    assert client.get("/policies/wuzhong-2025", headers=js).json() == client.get("/api/policies/wuzhong-2025").json()
    assert client.get("/plan", headers=js).json() == client.get("/api/plan").json()
    for path in ("/policies", "/policies/wuzhong-2025", "/policies/wuzhong-2025/articles/8", "/calc", "/compare", "/plan"):
        r = client.get(path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html"), path
        assert 'lang="zh-CN"' in r.text


def test_saved_scenario_roundtrip(client: TestClient) -> None:
    r = client.post("/api/scenarios", json=ROBOT)
    assert r.status_code == 200
    sid = r.json()["id"]
    assert client.post("/api/scenarios", json=ROBOT).json()["id"] == sid  # same scenario, same link
    got = client.get(f"/api/scenarios/{sid}").json()
    assert got["scenario"] == ROBOT
    assert got["result"] == client.post("/api/evaluate", json=ROBOT).json()
    assert client.get(f"/calc?s={sid}", headers={"accept": "application/json"}).json()["result"] == got["result"]
    _chinese_4xx(client.get("/api/scenarios/nothere"), 404)
    r = client.get("/calc?s=nothere")
    assert r.status_code == 404 and "找不到" in r.text


def test_openapi_and_docs_without_cdn(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/evaluate", "/api/compare", "/api/policies", "/api/policies/{doc_id}", "/api/facts", "/api/plan"):
        assert path in spec["paths"], path
    assert "application/yaml" in spec["paths"]["/api/evaluate"]["post"]["requestBody"]["content"]
    html = client.get("/docs").text
    assert "/static/vendor/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert client.get("/static/vendor/swagger-ui-bundle.js").status_code == 200


def test_no_page_loads_from_a_cdn(client: TestClient) -> None:
    for path in ("/policies", "/calc", "/plan", "/compare"):
        for src in re.findall(r'(?:src|href)="([^"]+)"', client.get(path).text):
            assert not src.startswith(("http:", "https:", "//")), (path, src)


def test_direct_evaluate_path_answers_like_the_route(tmp_path: Path) -> None:
    """POST /api/evaluate is answered before FastAPI's stack; the bytes equal the route's, and errors go through the route."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from fastapi import FastAPI

    app = create_app(engine(), tmp_path / "data")
    body = json.dumps(
        yaml.safe_load((ROOT / "examples" / "scenarios" / "bench-10-events.yaml").read_text(encoding="utf-8")), default=str
    ).encode()

    def call(handler: Any, payload: bytes, ctype: bytes = b"application/json") -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/api/evaluate",
            "raw_path": b"/api/evaluate",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"content-type", ctype), (b"content-length", str(len(payload)).encode())],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
        }
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": payload, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        # In a thread of its own: Playwright's sync API (browser tests in the same session) keeps an
        # event loop running in this one.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(asyncio.run, handler(scope, receive, send)).result()
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])

    def route(scope: Any, receive: Any, send: Any) -> Any:
        return FastAPI.__call__(app, scope, receive, send)

    assert call(app, body) == call(route, body)
    assert call(app, body)[0] == 200
    for bad, ctype in ((b"{", b"application/json"), (b'{"enterprise": {}}', b"application/json"), (b"x", b"text/csv")):
        status, answer = call(app, bad, ctype)
        assert (status, answer) == call(route, bad, ctype)
        assert status in (400, 415, 422) and "error" in json.loads(answer)


YAML_HEAD = "enterprise: {credit_code: 91320506MA1XXXXX09, name: x, region: '320506'}\n"
FEB30 = YAML_HEAD + "events:\n  - {id: E1, kind: purchase, date: 2025-02-30, amount: 80万元}\n"


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/evaluate", FEB30),
        ("/api/scenarios", FEB30),
        ("/api/compare", "scenario:\n" + "".join(f"  {line}\n" for line in FEB30.splitlines())),
    ],
)
def test_an_impossible_unquoted_yaml_date_is_a_problem_beside_the_others(client: TestClient, path: str, body: str) -> None:
    r = client.post(path, content=body.encode(), headers={"content-type": "application/yaml"})
    _chinese_4xx(r, 422)
    problems = {p["where"]: p for p in r.json()["problems"]}
    date = problems.pop("events[1].date")
    assert date["value"] == "2025-02-30" and date["expected"] == "日期无效（2025年2月只有28天）；应为有效日期YYYY-MM-DD"
    assert problems, "the category the purchase lacks is reported in the same answer"


BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{q}: &{q} [{', '.join([f'*{p}'] * 10)}]\n" for p, q in zip("abcdefg", "bcdefgh", strict=True)
)


@pytest.mark.parametrize(
    ("body", "ctype", "expected"),
    [
        pytest.param(
            '{"enterprise": ' + "[" * 5000 + "]" * 5000 + "}", "application/json", "请求.json:1:115: 嵌套层次过深", id="deep-json"
        ),
        pytest.param(  # orjson reads it; its value's text was too deep for str()
            '{"enterprise": ' + "[" * 1000 + "]" * 1000 + "}",
            "application/json",
            "请求.json:1:115: 嵌套层次过深",
            id="deep-json-1000",
        ),
        pytest.param(
            '{"enterprise": ' + "[" * 150 + "]" * 150 + "}",
            "application/json",
            "请求.json:1:115: 嵌套层次过深",
            id="deep-json-150",
        ),
        pytest.param(  # crashed the interpreter in libyaml
            "enterprise: " + "[" * 100_000 + "]" * 100_000,
            "application/yaml",
            "请求.yaml:1:112: 嵌套层次过深",
            id="deep-yaml-crash",
        ),
        pytest.param(
            '{"enterprise": {}, "events": [{"amount": ' + "9" * 5000 + "}]}",
            "application/json",
            "请求.json:1:42: 数字“999",
            id="long-integer",
        ),
        pytest.param(YAML_HEAD + BOMB, "application/yaml", "请求.yaml:6:44: 别名（*引用）层层展开后的内容过多", id="alias-bomb"),
        pytest.param(YAML_HEAD * 2, "application/yaml", "请求.yaml:2:1: 键“enterprise”重复（第1行已有）", id="duplicate-key"),
        pytest.param(
            "enterprise: [unclosed",
            "application/yaml",
            "请求.yaml:2:1: YAML格式错误：方括号列表缺少“,”或“]”（列表从第1行开始）",
            id="yaml-syntax",
        ),
        pytest.param('{"enterprise": ', "application/json", "请求.json:1:16: JSON格式错误：此处缺少值", id="json-syntax"),
        pytest.param(  # orjson and the json module keep the last silently
            '{"enterprise": {"credit_code": "91320506MA1XXXXX09", "name": "x", "region": "320506"},\n'
            ' "enterprise": {"credit_code": "91320506MA1XXXXX09", "name": "y", "region": "320412"}}',
            "application/json",
            "请求.json:2:2: 键“enterprise”重复（第1行已有）；同一映射中每个键只能写一次",
            id="duplicate-key-json",
        ),
    ],
)
def test_unreadable_bodies_are_a_400_naming_the_line(client: TestClient, body: str, ctype: str, expected: str) -> None:
    r = client.post("/api/evaluate", content=body.encode(), headers={"content-type": ctype})
    _chinese_4xx(r, 400)
    assert r.json()["error"].startswith(expected), r.json()["error"]


def test_a_json_body_with_a_byte_order_mark_is_read(client: TestClient) -> None:
    r = client.post(
        "/api/evaluate", content=b"\xef\xbb\xbf" + json.dumps(ROBOT).encode(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 200
    assert r.json() == client.post("/api/evaluate", json=ROBOT).json()


def test_problems_show_an_enormous_value_cut_short(client: TestClient) -> None:
    r = client.post("/api/evaluate", json={**ROBOT, "notes": "备" * 300_000})
    _chinese_4xx(r, 422)
    (problem,) = r.json()["problems"]
    assert problem["value"] == "备" * 60 + "…"
    assert problem["message"] == f"notes：“{'备' * 60}…” —— 未知的顶层字段；可用：enterprise、events、prior_awards、as_of"
    assert len(r.content) < 2000


@pytest.mark.parametrize(
    "when",
    ["as_of: 2025-12-31T10:00:00", "as_of: 2025-12-31 10:00:00+08:00", "as_of: 2025-12-31"],
)
def test_a_saved_yaml_scenario_reopens(client: TestClient, when: str) -> None:
    body = f"{when}\n{YAML_HEAD}events:\n  - {{id: E1, kind: purchase, date: 2025-06-30T09:30:00, category: 机器人产品或服务, amount: 80万元}}\n"
    evaluated = client.post("/api/evaluate", content=body.encode(), headers={"content-type": "application/yaml"})
    assert evaluated.status_code == 200
    r = client.post("/api/scenarios", content=body.encode(), headers={"content-type": "application/yaml"})
    assert r.status_code == 200
    sid = r.json()["id"]
    got = client.get(f"/api/scenarios/{sid}")
    assert got.status_code == 200, got.text
    assert got.json()["scenario"]["as_of"] == "2025-12-31"
    assert got.json()["result"] == evaluated.json()
    assert client.get(f"/calc?s={sid}").status_code == 200
    assert client.get(f"/compare?s={sid}").status_code == 200
    assert client.get(f"/calc/{sid}.yaml").status_code == 200


def test_compare_says_why_a_region_offers_nothing(client: TestClient) -> None:
    """地区对比 showed 武进区 as 无可享受的支持 without saying that 武进2024 had ended before the 2025 project,
    nor that its robot purchase has no item there."""
    project = {
        "kind": "project",
        "id": "P1",
        "date": "2025-09-01",
        "category": "智改数转网联改造",
        "total_investment": "1200万元",
    }
    scenario = {**ROBOT, "events": [{**ROBOT["events"][0], "id": "E1"}, project]}
    sid = client.post("/api/scenarios", json=scenario).json()["id"]
    page = client.get(f"/compare?s={sid}&region=320506&region=320412").text
    wujin = page[page.index('id="h-320412"') :]
    assert "无可享受的支持" in wujin
    assert "因日期不在政策有效期内未计的奖补项：" in wujin and "项（《武进2024》）" in wujin
    assert "没有适用条款的事项：E1（只有《吴中2025》有适用于该事项的条款，该文件不适用于注册在武进区的企业）" in wujin
