"""The app served under a path prefix behind a reverse proxy (``huiqi serve --root-path /huiqi``):
every link, form, script, redirect and JSON link starts with the prefix, whether the proxy
passes requests on with the prefix or without it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from huiqi.cli import main
from huiqi.service import InputError, engine
from huiqi.web import create_app, root_path

from .conftest import serve
from .registers import AS_OF, scenarios, write_register
from .test_browser import _wuzhong_enterprise_with_event

ROOT = "/huiqi"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# every place a page names a URL of the app: links, assets, forms, htmx, the batch page's status
_URL = re.compile(r'(?:href|src|action|hx-get|data-batch-status|value)="(/[^"]*)"')


@pytest.fixture
def prefixed(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(engine(), tmp_path / "data", root=ROOT + "/"), raise_server_exceptions=False) as c:
        yield c


def _urls(html: str) -> set[str]:
    return {u.replace("&amp;", "&") for u in _URL.findall(html)}


_POST_FORM = re.compile(r'<form[^>]*method="post"[^>]*action="(/[^"]*)"')


def _crawl(client: TestClient, start: list[str], limit: int = 400) -> dict[str, int]:
    """Every app URL reachable from ``start``, with its status: pages, assets and GET forms
    fetched, the targets of POST forms only collected (0)."""
    seen: dict[str, int] = {}
    todo = list(start)
    while todo and len(seen) < limit:
        url = todo.pop(0)
        if url in seen:
            continue
        got = client.get(url)
        seen[url] = got.status_code
        if got.headers.get("content-type", "").startswith("text/html"):
            posted = set(_POST_FORM.findall(got.text))
            for found in _urls(got.text):
                target = urlsplit(urljoin(url, found))._replace(fragment="").geturl()
                if found in posted:
                    seen.setdefault(target, 0)
                else:
                    todo.append(target)
    return seen


def _job_page(client: TestClient, tmp_path: Path) -> str:
    """Upload a register on the page; the job's page once it has finished."""
    register = write_register(tmp_path / "登记表.xlsx", scenarios())
    sent = client.post(
        f"{ROOT}/batch",
        files={"file": (register.name, register.read_bytes(), XLSX)},
        data={"as_of": AS_OF},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"].startswith(f"{ROOT}/batch/"), sent.text
    job = sent.headers["location"]
    deadline = time.monotonic() + 60
    while client.get(f"{ROOT}/api{job.removeprefix(ROOT)}").json()["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, "batch job did not finish"
        time.sleep(0.1)
    return job


def test_every_link_of_every_page_stays_under_the_prefix(prefixed: TestClient, tmp_path: Path) -> None:
    """Pages linked from the root: behind a proxy at /huiqi every click left the app."""
    saved = prefixed.post(
        f"{ROOT}/api/scenarios",
        json={
            "enterprise": {"credit_code": "91320506MA1XXXXX09", "name": "前缀测试", "region": "320506"},
            "events": [
                {"id": "E1", "kind": "purchase", "date": "2025-06-30", "category": "机器人产品或服务", "amount": "80万元"}
            ],
        },
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["link"].startswith(f"{ROOT}/calc?s=") and saved.json()["yaml"].startswith(f"{ROOT}/calc/")
    job = _job_page(prefixed, tmp_path)
    start = [
        ROOT,
        f"{ROOT}/policies",
        saved.json()["link"],
        f"{ROOT}/compare?s={saved.json()['id']}",
        job,
        f"{ROOT}/plan",
        f"{ROOT}/docs",
        f"{ROOT}/no-such-page",
    ]
    seen = _crawl(prefixed, start)
    outside = sorted(u for u in seen if not u.startswith(ROOT + "/") and u != ROOT)
    assert outside == []
    broken = {u: s for u, s in seen.items() if s not in (0, 200) and u != f"{ROOT}/no-such-page"}
    assert broken == {}
    assert len(seen) > 60  # the crawl reached articles, assets, exports and the job's JSON
    assert any(u.startswith(f"{ROOT}/static/vendor/") for u in seen) and f"{ROOT}/static/app.js" in seen
    assert {f"{ROOT}/calc/upload", f"{ROOT}/compare/upload", f"{job}/delete"} <= {u for u, s in seen.items() if s == 0}
    assert any("/export.xlsx" in u for u in seen) and any(u.startswith(f"{ROOT}/policies/wuzhong-2025/articles/") for u in seen)
    assert f'data-base="{ROOT}"' in prefixed.get(f"{ROOT}/calc").text  # where app.js finds the prefix


def test_a_proxy_may_pass_requests_on_with_or_without_the_prefix(prefixed: TestClient) -> None:
    for inside in ("/calc", "/policies/wuzhong-2025", "/api/plan", "/static/app.css"):
        with_prefix, without = prefixed.get(ROOT + inside), prefixed.get(inside)
        assert with_prefix.status_code == without.status_code == 200, inside
        assert with_prefix.content == without.content, inside
    for home in (ROOT, ROOT + "/", "/"):
        got = prefixed.get(home, follow_redirects=False)
        assert (got.status_code, got.headers["location"]) == (307, f"{ROOT}/calc"), home
    # the JSON twin of a missing page under /api, the Chinese page elsewhere
    assert prefixed.get(f"{ROOT}/api/nope").json() == {"error": "页面不存在", "code": "not_found"}
    assert "页面不存在" in prefixed.get(f"{ROOT}/nope").text
    # the API document tells Swagger's 'Try it out' where the app is
    assert prefixed.get(f"{ROOT}/openapi.json").json()["servers"] == [{"url": ROOT}]
    assert f"url: '{ROOT}/openapi.json'" in prefixed.get(f"{ROOT}/docs").text


def test_forms_and_json_links_answer_under_the_prefix(prefixed: TestClient, tmp_path: Path) -> None:
    form = {"ent.credit_code": "91320506MA1XXXXX09", "ent.name": "前缀测试", "ent.region": "320506", "ent.town": "木渎镇"}
    sent = prefixed.post(f"{ROOT}/calc", data=form, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"].startswith(f"{ROOT}/calc?s="), sent.text
    register = write_register(tmp_path / "登记表.xlsx", scenarios())
    api = prefixed.post(f"{ROOT}/api/batch", files={"file": (register.name, register.read_bytes(), XLSX)}, data={"as_of": AS_OF})
    links = api.json()
    assert (links["status"], links["results"], links["page"]) == (
        f"{ROOT}/api/batch/{links['id']}",
        f"{ROOT}/api/batch/{links['id']}/results",
        f"{ROOT}/batch/{links['id']}",
    )
    job = _job_page(prefixed, tmp_path)
    deleted = prefixed.post(f"{job}/delete", follow_redirects=False)
    assert (deleted.status_code, deleted.headers["location"]) == (303, f"{ROOT}/batch?deleted={job.rsplit('/', 1)[1]}")


@pytest.mark.parametrize(
    ("given", "used"), [("/huiqi", "/huiqi"), ("/huiqi/", "/huiqi"), ("/a/b-c_d.e~f", "/a/b-c_d.e~f"), ("/", "")]
)
def test_root_path_accepted(given: str, used: str) -> None:
    assert root_path(given) == used


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("huiqi", "--root-path应以“/”开头，如/huiqi：'huiqi'"),
        ("/惠企", "--root-path只能含英文字母、数字和 . _ ~ - /（其他字符须在网址中转义）：'/惠企'"),
        ("/a b", "--root-path只能含英文字母、数字和 . _ ~ - /（其他字符须在网址中转义）：'/a b'"),
        ("/a//b", "--root-path不能含空段、“.”或“..”：'/a//b'"),
        ("/a/../b", "--root-path不能含空段、“.”或“..”：'/a/../b'"),
    ],
)
def test_root_path_refused_in_chinese(given: str, said: str) -> None:
    with pytest.raises(InputError) as info:
        root_path(given)
    assert str(info.value) == said


def test_serve_refuses_a_bad_root_path_before_starting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--root-path", "huiqi", "--port", "0", "--data", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：--root-path应以“/”开头") and "Traceback" not in err


@pytest.mark.browser
def test_served_under_a_prefix_in_the_browser(tmp_path: Path, page: Any) -> None:
    """``huiqi serve --root-path /huiqi`` in Chromium: styles and scripts load, the htmx search
    and the calculator's form answer under the prefix, and no request leaves it."""
    server = serve(tmp_path / "data", "--root-path", "/huiqi/")
    base = next(server)
    try:
        outside: list[str] = []
        failed: list[str] = []
        page.on(
            "request",
            lambda r: outside.append(r.url) if not r.url.startswith(base + "/") and not r.url.startswith("data:") else None,
        )
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.goto(f"{base}/policies")
        assert page.evaluate("getComputedStyle(document.querySelector('header.top')).display") != "inline"  # app.css applied
        assert page.evaluate("typeof htmx") == "object"
        page.get_by_label("关键词").fill("机器人")
        page.wait_for_selector("text=匹配的奖补项")  # htmx fetched /huiqi/policies?q=…
        assert page.url.startswith(f"{base}/policies?")
        page.locator(".benefit-list a").first.click()
        page.wait_for_url(f"{base}/policies/*")
        _wuzhong_enterprise_with_event(page, base, "前缀测试有限公司", "purchase")
        page.locator("#f-e1-date").fill("2025-06-30")
        page.locator("#f-e1-category").select_option("机器人产品或服务")
        page.get_by_label("采购金额（万元）").fill("80")
        page.locator("#f-e1-amount").press("Enter")
        page.wait_for_url(f"{base}/calc?s=*")
        assert "最高4万元" in page.locator("#result").inner_text()
        assert page.locator("#share-link").input_value().startswith(f"{base}/calc?s=")
        # 名单测算: the page polls the job's status, then lists the job among this browser's own
        page.goto(f"{base}/batch")
        page.get_by_label("登记表文件").set_input_files(str(write_register(tmp_path / "登记表.xlsx", scenarios())))
        page.get_by_label("测算基准日（可选）").fill(AS_OF)
        page.get_by_role("button", name="上传并测算").click()
        page.wait_for_url(f"{base}/batch/*")
        page.locator("#batch-total-max").wait_for(timeout=60_000)
        job = urlsplit(page.url).path
        page.goto(f"{base}/batch")
        recent = page.locator("#recent-jobs li")
        recent.first.wait_for()
        assert "已完成" in recent.first.inner_text()
        assert recent.first.get_by_role("link", name="登记表.xlsx").get_attribute("href") == job
        assert outside == [] and failed == []
    finally:
        server.close()
