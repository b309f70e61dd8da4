"""What a finance officer's probe of 名单测算 found: the Excel export lost the count of events dated
after the 基准日, a payer filter counted items without a stated amount under that payer's co-payers
too (and its 汇总 did not say which figures were the filtered rows'), and the 名额 lines of
``huiqi batch`` were nowhere on the web. A synthetic register of 600 enterprises (``huiqi.batch.synth``),
run in memory (reference evaluator) and streamed (DuckDB), against ``huiqi batch --json`` itself."""

from __future__ import annotations

import contextlib
import html
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from huiqi.service import engine
from huiqi.web import create_app

from .registers import AS_OF, wait_for_job

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAYER = "吴中区财政"


@pytest.fixture(scope="module")
def register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from huiqi.batch.synth import synth

    eng = engine()
    path = tmp_path_factory.mktemp("finance") / "reg.xlsx"
    synth(path, eng.library, eng.catalogue, 600, 1, 4.0)  # seed 1: events after 2025-12-31, a 名额 line, items without an amount
    return path


@pytest.fixture(scope="module")
def cli(register: Path) -> dict[str, Any]:
    """``huiqi batch reg.xlsx --as-of … --json``: what the web app should agree with."""
    from huiqi.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["batch", str(register), "--as-of", AS_OF, "--engine", "reference", "--json"]) == 0
    answer: dict[str, Any] = json.loads(out.getvalue())
    return answer


@pytest.fixture(scope="module", params=["reference", "duckdb"])
def job(
    request: pytest.FixtureRequest, register: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, str]]:
    """The register as a web job: in memory (reference evaluator) or streamed (``stream.run_stream``)."""
    from huiqi.web import batchjobs

    if request.param == "duckdb":
        pytest.importorskip("duckdb")
    with pytest.MonkeyPatch.context() as mp:
        if request.param == "duckdb":
            mp.setattr(batchjobs, "REFERENCE_MAX_XLSX_BYTES", 0)
        data = tmp_path_factory.mktemp(f"data-{request.param}")
        with TestClient(create_app(engine(), data), raise_server_exceptions=False) as c:
            r = c.post("/api/batch", files={"file": (register.name, register.read_bytes(), XLSX)}, data={"as_of": AS_OF})
            assert r.status_code == 202, r.text
            status = wait_for_job(c, r.json()["id"])
            assert status["status"] == "done" and status["engine"] == request.param, status
            yield c, status["id"]


def _overview(content: bytes) -> dict[str, Any]:
    from openpyxl import load_workbook

    rows = load_workbook(io.BytesIO(content), read_only=True)["汇总"].iter_rows(values_only=True)
    return {row[0]: row[1] for row in rows if row and row[0] != "项目"}


def _sheet(content: bytes, title: str) -> list[tuple[Any, ...]]:
    from openpyxl import load_workbook

    return list(load_workbook(io.BytesIO(content), read_only=True)[title].iter_rows(values_only=True))[1:]


def test_the_export_counts_the_events_dated_after_the_as_of_date(job: tuple[TestClient, str], cli: dict[str, Any]) -> None:
    """The job, its page and ``huiqi batch`` said 764 events dated after the 基准日; the export's 汇总 said 0."""
    client, jid = job
    status = client.get(f"/api/batch/{jid}").json()
    assert status["events_after_as_of"] == cli["events_after_as_of"] > 0
    overview = _overview(client.get(f"/batch/{jid}/export.xlsx").content)
    assert overview["其中发生日期晚于基准日的事项数"] == cli["events_after_as_of"]
    # filtered: the events of the rows kept, said to be so; the whole register's count beside it
    town = client.get(f"/api/batch/{jid}/results", params={"town": "木渎镇", "limit": 100_000}).json()
    after = {(r["credit_code"], r["event_id"]) for r in town["rows"] if r["event_id"] and r["event_date"] > AS_OF}
    filtered = _overview(client.get(f"/batch/{jid}/export.xlsx", params={"town": "木渎镇"}).content)
    assert filtered["【筛选范围内】其中发生日期晚于基准日的事项数"] == len(after) > 0
    assert filtered["【整个登记表】其中发生日期晚于基准日的事项数"] == cli["events_after_as_of"]


def test_a_payer_filter_counts_each_item_once_under_that_payer(job: tuple[TestClient, str], cli: dict[str, Any]) -> None:
    """Filtered by 吴中区财政, the 按出资方 summary also listed each town's 财政 with 0 items and the
    items without a stated amount it shares with 吴中区财政: counted twice."""
    client, jid = job
    answer = client.get(f"/api/batch/{jid}/results", params={"payer": PAYER, "limit": 1}).json()
    summary = answer["summary"]
    assert list(summary["by"]["payer"]) == [PAYER]
    mine = summary["by"]["payer"][PAYER]
    assert (mine["count"], mine["unpriced"]) == (summary["total"]["count"], summary["total"]["unpriced"])
    assert mine["unpriced"] == cli["by"]["payer"][PAYER]["unpriced"] > 0  # its items without an amount, all of them
    for dim in ("document", "article", "department", "town"):  # nothing counted twice elsewhere either
        assert sum(t["unpriced"] for t in summary["by"][dim].values()) == mine["unpriced"], dim
    content = client.get(f"/batch/{jid}/export.xlsx", params={"payer": PAYER}).content
    assert [row[:3] for row in _sheet(content, "按出资方")] == [(PAYER, "已明确", mine["count"])]
    assert _sheet(content, "按出资方")[0][6] == mine["unpriced"]


def test_a_filtered_export_says_which_figures_are_the_filtered_rows(job: tuple[TestClient, str], cli: dict[str, Any]) -> None:
    """A payer-filtered 汇总 showed 读取 3,000/12,103 rows of the register beside 测算企业数 636 and
    测算事项数 694 of the filtered rows, under the labels of an unfiltered export."""
    client, jid = job
    answer = client.get(f"/api/batch/{jid}/results", params={"payer": PAYER, "limit": 100_000}).json()
    overview = _overview(client.get(f"/batch/{jid}/export.xlsx", params={"payer": PAYER}).content)
    assert "测算企业数" not in overview and "测算事项数" not in overview and "企业：读取行数" not in overview
    assert overview["【整个登记表】企业：读取行数"] == cli["rows"]["enterprises"]["read"]
    assert overview["【整个登记表】事项：拒绝行数"] == cli["rows"]["events"]["rejected"]
    assert overview["【整个登记表】测算企业数"] == cli["enterprises_evaluated"] == 600
    assert overview["【整个登记表】测算事项数"] == cli["events_evaluated"]
    rows = answer["rows"]
    assert overview["【筛选范围内】涉及企业数"] == len({r["credit_code"] for r in rows}) < 600
    assert overview["【筛选范围内】涉及事项数"] == len({(r["credit_code"], r["event_id"]) for r in rows if r["event_id"]})
    assert overview["【筛选范围内】可享受资金项数"] == answer["summary"]["total"]["count"]
    assert overview["【筛选范围内】另有金额未定项数"] == answer["summary"]["total"]["unpriced"]
    assert "筛选范围内" in overview["统计口径"] and "整个登记表" in overview["统计口径"]
    # unfiltered, the labels stay those of huiqi batch's own workbook
    whole = _overview(client.get(f"/batch/{jid}/export.xlsx").content)
    assert whole["测算企业数"] == 600 and "统计口径" not in whole


def test_the_quota_lines_are_on_the_page_and_in_both_json_answers(job: tuple[TestClient, str], cli: dict[str, Any]) -> None:
    """``huiqi batch`` prints 武进2024 第1条's 名额 (23 qualifying against 15 places, at most …万元); the
    web page, the status JSON and the results JSON said nothing of it."""
    client, jid = job
    assert cli["quotas"]  # the register has one
    assert client.get(f"/api/batch/{jid}").json()["quotas"] == cli["quotas"]
    assert client.get(f"/batch/{jid}", headers={"Accept": "application/json"}).json()["quotas"] == cli["quotas"]
    assert client.get(f"/api/batch/{jid}/results", params={"limit": 1}).json()["quotas"] == cli["quotas"]
    page = html.unescape(client.get(f"/batch/{jid}").text)
    assert "名额限制（合计按全部符合者计入，实际支付以名额为限）" in page
    for key, text in cli["quotas"].items():
        assert f"{key}：{text}" in page
    # a filter the quota's article is not in: no line (as the filtered export's 汇总)
    assert client.get(f"/api/batch/{jid}/results", params={"payer": PAYER, "limit": 1}).json()["quotas"] == {}
