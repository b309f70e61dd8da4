"""What an API integrator's probe of ``huiqi serve`` found: reruns on the job's own date and
unknown body keys refused, result filters that take the summary's keys and refuse values no
row has, ``Allow`` on 405 and ``Location`` on 202, job times and progress units, a ``code`` in
every JSON error, and the error shape in the OpenAPI document."""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from huiqi.service import engine
from huiqi.web import batchjobs, create_app
from huiqi.web.batchjobs import KEEP_DAYS_ENV, RESULT_KEYS

from .registers import AS_OF, code, scenarios, wait_for_job, write_register

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROBOT = {
    "enterprise": {"credit_code": "91320506MA1XXXXX09", "name": "测试企业", "region": "320506", "town": "木渎镇"},
    "events": [{"kind": "purchase", "date": "2025-06-30", "category": "机器人产品或服务", "amount": "80万元"}],
}


def _submit(client: TestClient, path: Path) -> Any:
    r = client.post("/api/batch", files={"file": (path.name, path.read_bytes(), XLSX)}, data={"as_of": AS_OF})
    assert r.status_code == 202, r.text
    return r


def _job(client: TestClient, tmp_path: Path) -> dict[str, Any]:
    return wait_for_job(client, _submit(client, write_register(tmp_path / "登记表.xlsx", scenarios())).json()["id"])


# --- 1. reruns ------------------------------------------------------------------------------------


def test_a_rerun_without_a_date_keeps_the_jobs_own_and_unknown_keys_are_refused(client: TestClient, tmp_path: Path) -> None:
    """A rerun with no body ran on today's date, while the page's form is filled with the job's own;
    a body with a key it does not take ({"foo": 1}) was accepted."""
    job = _job(client, tmp_path)
    assert job["as_of"] == AS_OF
    r = client.post(f"/api/batch/{job['id']}/rerun")
    assert r.status_code == 202
    assert wait_for_job(client, r.json()["id"])["as_of"] == AS_OF
    refused = client.post(f"/api/batch/{job['id']}/rerun", json={"foo": 1, "as_of": "2025-01-01"})
    assert refused.status_code == 422
    assert refused.json() == {"error": "请求体中有未知的键：“foo”；可用的键：as_of", "code": "invalid_body"}


def test_a_failed_job_is_rerun_on_its_own_date(client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A job records its 基准日 when it is queued, so a failed one says it and reruns on it."""

    def broken(*args: Any) -> Any:
        raise RuntimeError("boom")

    with monkeypatch.context() as m:
        m.setattr(batchjobs.BatchJobs, "_in_memory", broken)
        failed = _job(client, tmp_path)
    assert failed["status"] == "failed" and failed["as_of"] == AS_OF
    again = wait_for_job(client, client.post(f"/api/batch/{failed['id']}/rerun").json()["id"])
    assert again["status"] == "done" and again["as_of"] == AS_OF


# --- 2. result filters ----------------------------------------------------------------------------


def test_every_key_of_the_summary_filters_and_values_no_row_has_are_refused(client: TestClient, tmp_path: Path) -> None:
    job = _job(client, tmp_path)
    url = f"/api/batch/{job['id']}/results"
    everything = client.get(url).json()
    for dim, keys in everything["summary"]["by"].items():
        for key in keys:  # 吴中2025, “吴中2025 第1条 购买机器人产品或服务补助”, 区工信局、区科技局 …
            got = client.get(url, params={dim: key})
            assert got.status_code == 200 and got.json()["count"] > 0, (dim, key, got.json())
            assert key in got.json()["summary"]["by"][dim], (dim, key)
    doc = engine().library.by_id["wuzhong-2025"]
    by_id = client.get(url, params={"document": "wuzhong-2025"}).json()["count"]
    for name in (doc.short, doc.title):
        assert client.get(url, params={"document": name}).json()["count"] == by_id > 0, name
    assert client.get(url, params={"article": f"{doc.short}:1"}).json()["count"] > 0
    for name, value, allowed in (
        ("status", "bogus", "可选：granted、set_aside、near_miss"),
        ("nature", "bogus", "可选：exact、ceiling、floor、range、none、in_kind、right"),
        ("document", "吴中2099", "wuzhong-2025"),
        ("article", "wuzhong-2025:99", "wuzhong-2025:1"),
        ("department", "不存在局", "区工信局"),
        ("payer", "不存在财政", "吴中区财政"),
        ("town", "不存在镇", "木渎镇"),
    ):
        refused = client.get(url, params={name: value})
        body = refused.json()
        assert refused.status_code == 422 and body["code"] == "invalid_parameter", (name, body)
        assert f"“{value}”" in body["error"] and allowed in body["error"], (name, body["error"])
        assert body["problems"][0]["where"] == f"query.{name}" and body["problems"][0]["choices"], body
    # status and nature are refused by their fixed values, not by what this job has: none near_miss here is 0 rows
    assert client.get(url, params={"nature": "range"}).status_code == 200
    assert client.get(url, params={"q": "没有这家企业"}).json()["count"] == 0  # a search finding nothing is no mistake
    assert client.get(f"/batch/{job['id']}/export.xlsx", params={"status": "bogus"}).status_code == 422


def test_the_payers_of_items_without_a_stated_amount_filter(client: TestClient, tmp_path: Path) -> None:
    """吴中 第20条 states no amount: the summary counts it under 木渎镇财政, which filtered no row."""
    from openpyxl import Workbook

    wb = Workbook()
    ent = wb.active
    assert ent is not None
    ent.title = "企业"
    ent.append(["credit_code", "name", "region", "town"])
    ent.append([code(1), "测试研究服务公司", "320506", "木渎镇"])
    ent.append([code(2), "未填镇街公司", "320506", None])
    ev = wb.create_sheet("事项")
    ev.append(["credit_code", "event_id", "kind", "date", "category", "amount", "public_service"])
    ev.append([code(1), "R1", "project", "2025-07-01", "专题培训", None, "是"])
    ev.append([code(2), "P1", "purchase", "2025-06-30", "机器人产品或服务", "100万元", None])
    wb.save(tmp_path / "登记表.xlsx")
    job = wait_for_job(client, _submit(client, tmp_path / "登记表.xlsx").json()["id"])
    url = f"/api/batch/{job['id']}/results"
    by = client.get(url).json()["summary"]["by"]
    assert "木渎镇财政" in by["payer"] and "（320506，未填镇街）" in by["town"]
    town_pays = client.get(url, params={"payer": "木渎镇财政"}).json()
    assert [r["benefit_title"] for r in town_pays["rows"]] == ["公共服务性质的学术研究、课题报告、专题培训、专业咨询服务补助"]
    assert [r["credit_code"] for r in client.get(url, params={"town": "（320506，未填镇街）"}).json()["rows"]] == [code(2)]


# --- 3, 4. HTTP headers ---------------------------------------------------------------------------


def test_a_405_says_which_methods_the_path_takes(client: TestClient) -> None:
    r = client.put("/api/evaluate", json={})
    assert r.status_code == 405 and r.headers["allow"] == "POST" and r.json()["code"] == "method_not_allowed"
    assert client.put("/api/batch/x").headers["allow"] == "DELETE, GET, HEAD"
    page = client.put("/calc", headers={"accept": "text/html"})  # GET and POST are two routes: both named
    assert page.status_code == 405 and page.headers["allow"] == "GET, HEAD, POST" and "不支持此请求方法" in page.text


def test_a_202_names_the_new_jobs_status_url_under_the_root_path(tmp_path: Path) -> None:
    with TestClient(create_app(engine(), tmp_path / "data", root="/huiqi"), raise_server_exceptions=False) as c:
        r = _submit(c, write_register(tmp_path / "登记表.xlsx", scenarios()))
        assert r.headers["location"] == f"/huiqi/api/batch/{r.json()['id']}" == r.json()["status"]
        wait_for_job(c, r.json()["id"])
        again = c.post(f"/huiqi/api/batch/{r.json()['id']}/rerun")
        assert again.status_code == 202 and again.headers["location"] == f"/huiqi/api/batch/{again.json()['id']}"
        wait_for_job(c, again.json()["id"])


# --- 5. compare -----------------------------------------------------------------------------------


def test_compare_refuses_unknown_keys_as_evaluate_does(client: TestClient) -> None:
    r = client.post("/api/compare", json={"scenario": ROBOT, "regions": ["320506"], "region": "320412"})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "invalid_body" and "“region”" in body["error"]
    assert [(p["where"], p["expected"]) for p in body["problems"]] == [("region", "未知的顶层字段；可用：scenario、regions")]
    own = client.post("/api/compare", json={"scenario": ROBOT}).json()  # no regions: the enterprise's own only
    assert list(own["regions"]) == ["320506"]


# --- 6. job status --------------------------------------------------------------------------------


def test_a_job_says_when_it_was_created_finished_and_will_be_deleted(client: TestClient, tmp_path: Path) -> None:
    before = datetime.now().astimezone().replace(microsecond=0)
    job = _job(client, tmp_path)
    created, finished = datetime.fromisoformat(job["created"]), datetime.fromisoformat(job["finished"])
    assert created.tzinfo is not None and before <= created <= finished <= datetime.now().astimezone()
    assert datetime.fromisoformat(job["expires"]) == created + timedelta(days=7)
    assert job["progress"] == {"done": 5, "total": 5, "unit": "enterprises", "stage": "done"}


def test_a_job_kept_for_ever_expires_never(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEEP_DAYS_ENV, "0")
    with TestClient(create_app(engine(), tmp_path / "data"), raise_server_exceptions=False) as c:
        job = _job(c, tmp_path)
        assert job["expires"] is None and job["created"]


def test_progress_names_what_it_counts(client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows read, then enterprises evaluated: the count went back to 0 with nothing saying why."""
    written: list[dict[str, Any]] = []
    progress = batchjobs.BatchJobs._progress

    def record(self: batchjobs.BatchJobs, job_id: str, **values: Any) -> None:
        written.append(values)
        progress(self, job_id, **values)

    monkeypatch.setattr(batchjobs.BatchJobs, "_progress", record)
    _job(client, tmp_path)
    assert {"status": "running", "stage": "reading", "unit": "rows"} in written
    assert {"stage": "evaluating", "done": 0, "total": 5, "unit": "enterprises"} in written
    data = tmp_path / "data"
    with batchjobs.ScenarioStore(data).connect() as db:  # a running job of another live worker
        db.execute(
            "INSERT INTO batch_job (id, source, status, stage, done, total, unit, created, host, pid, owner, heartbeat)"
            " VALUES ('run1', 'x.xlsx', 'running', 'reading', 4096, NULL, 'rows', ?, ?, ?, 'other', ?)",
            (time.time(), socket.gethostname(), os.getppid(), time.time()),
        )
    assert client.get("/api/batch/run1").json()["progress"] == {"done": 4096, "total": None, "unit": "rows", "stage": "reading"}


def test_a_failed_job_has_the_keys_of_a_finished_one(client: TestClient, tmp_path: Path) -> None:
    done = _job(client, tmp_path)
    with batchjobs.ScenarioStore(tmp_path / "data").connect() as db:
        db.execute(
            "INSERT INTO batch_job (id, source, status, stage, message, created, finished)"
            " VALUES ('bad1', 'x.xlsx', 'failed', 'failed', '找不到“企业”工作表', ?, ?)",
            (time.time() - 5, time.time()),
        )
    failed = client.get("/api/batch/bad1").json()
    assert set(failed) == set(done)
    assert all(failed[k] is None for k in RESULT_KEYS) and failed["rerun_of"] is None and failed["files_lost"] is False
    assert set(RESULT_KEYS) <= set(done) and all(done[k] is not None for k in RESULT_KEYS)


# --- 7. error codes -------------------------------------------------------------------------------


def test_every_json_error_has_a_stable_code(client: TestClient) -> None:
    with batchjobs.ScenarioStore(client.app.state.site.store.path.parent).connect() as db:  # type: ignore[attr-defined]
        db.execute(
            "INSERT INTO batch_job (id, source, status, stage, created, host, pid, owner, heartbeat)"
            " VALUES ('run1', 'x.xlsx', 'running', 'evaluating', ?, ?, ?, 'other', ?)",
            (time.time(), socket.gethostname(), os.getppid(), time.time()),
        )
        db.execute(
            "INSERT INTO batch_job (id, source, status, stage, created) VALUES ('lost', 'x.xlsx', 'done', 'done', ?)",
            (time.time(),),
        )
    yaml = {"content-type": "application/yaml"}
    cases: list[tuple[str, str, dict[str, Any], int, str]] = [
        ("POST", "/api/evaluate", {"content": b"{not json"}, 400, "invalid_json"),
        ("POST", "/api/evaluate", {"content": b"a: [", "headers": yaml}, 400, "invalid_yaml"),
        ("POST", "/api/evaluate", {"content": b"  "}, 400, "empty_body"),
        ("POST", "/api/evaluate", {"json": {"enterprise": {}}}, 422, "invalid_scenario"),
        ("POST", "/api/evaluate", {"content": b"x", "headers": {"content-type": "text/csv"}}, 415, "unsupported_media_type"),
        ("POST", "/api/evaluate", {"content": b"x" * 1_100_000}, 413, "too_large"),
        ("POST", "/api/evaluate", {"json": ROBOT, "headers": {"sec-fetch-site": "cross-site"}}, 403, "cross_site_refused"),
        ("PUT", "/api/evaluate", {}, 405, "method_not_allowed"),
        ("GET", "/api/nope", {}, 404, "not_found"),
        ("GET", "/api/policies/nope", {}, 404, "unknown_document"),
        ("GET", "/api/policies/wuzhong-2025/articles/999", {}, 404, "unknown_article"),
        ("GET", "/api/scenarios/nope", {}, 404, "unknown_scenario"),
        ("GET", "/api/batch/nope", {}, 404, "unknown_job"),
        ("DELETE", "/api/batch/nope", {}, 404, "unknown_job"),
        ("GET", "/api/batch/run1/results", {}, 409, "job_not_finished"),
        ("DELETE", "/api/batch/run1", {}, 409, "job_running"),
        ("GET", "/api/batch/lost/results", {}, 410, "job_files_lost"),
        ("GET", "/api/policies?nature=bogus", {}, 422, "invalid_parameter"),
        ("GET", "/api/batch/run1/results?limit=abc", {}, 422, "invalid_parameter"),
        ("POST", "/api/compare", {"json": {"scenario": ROBOT, "regions": ["000000"]}}, 422, "unknown_region"),
        ("POST", "/api/batch", {"files": {"file": ("x.xlsx", b"\x89PNG", XLSX)}}, 400, "invalid_register"),
        ("POST", "/api/batch", {"data": {"as_of": "x"}}, 400, "no_file"),
        ("POST", "/api/batch/lost/rerun", {"content": b"[1"}, 400, "invalid_json"),
    ]
    for method, url, kwargs, status, want in cases:
        r = client.request(method, url, **kwargs)
        body = r.json()
        assert (r.status_code, body.get("code")) == (status, want), (method, url, body)
        assert body["error"], body
    page = client.get("/nope", headers={"accept": "text/html"})  # pages keep their look: no code shown
    assert page.status_code == 404 and "页面不存在" in page.text and "not_found" not in page.text


# --- 8. OpenAPI -----------------------------------------------------------------------------------


def test_the_api_document_declares_the_error_shape_it_answers(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert {"error", "code"} <= set(spec["components"]["schemas"]["ErrorBody"]["properties"])
    results = spec["paths"]["/api/batch/{job_id}/results"]["get"]["responses"]
    assert "422" not in results and results["4XX"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")


def test_a_problems_value_is_shown_as_the_json_wrote_it(client: TestClient) -> None:
    """A boolean amount came back as "True" and a list as "['火星']", as Python prints them."""
    body = {
        "enterprise": {"credit_code": "91320506MA1XXXXX09", "name": "x", "region": "320506", "sectors": ["火星"]},
        "events": [{"id": "E1", "kind": "purchase", "date": "2025-06-30", "category": "机器人产品或服务", "amount": True}],
    }
    r = client.post("/api/evaluate", json=body)
    values = {p["where"]: p["value"] for p in r.json()["problems"]}
    assert values["enterprise.sectors"] == "[火星]" and values["events[1]（采购）.amount"] == "true", values


def test_an_article_without_items_points_an_api_client_to_the_documents_answer(client: TestClient) -> None:
    """The JSON said 见 huiqi policies wuzhong-2025, a command line a client does not have."""
    r = client.get("/api/policies/wuzhong-2025/articles/99")
    assert r.status_code == 404 and r.json()["code"] == "unknown_article"
    assert r.json()["error"].endswith("全文适用的规则（就高不重复、出资与兑付、合计上限等）见 /api/policies/wuzhong-2025")
