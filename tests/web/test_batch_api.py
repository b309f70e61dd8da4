"""名单测算 through the JSON API (TestClient, the real batch reader, evaluator and writer)."""

from __future__ import annotations

import io
import json
import os
import socket
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from huiqi.batch.io_write import ENGINE_LABELS
from huiqi.core.explain import to_dict
from huiqi.service import engine
from huiqi.web import create_app

from .registers import AS_OF, code, reference_total_fen, scenarios, wait_for_job, write_register

A_CODE = "91320506MA1XXXXX09"  # a valid credit code (check character verified)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(client: TestClient, path: Path) -> dict[str, Any]:
    r = client.post("/api/batch", files={"file": (path.name, path.read_bytes(), XLSX)}, data={"as_of": AS_OF})
    assert r.status_code == 202, r.text
    return wait_for_job(client, r.json()["id"])


def test_the_unfiltered_export_counts_the_enterprises_the_page_counts(client: TestClient, tmp_path: Path) -> None:
    """An enterprise with no result row (a 虎丘区 enterprise with no events: no item selects anything)
    was evaluated: the page said 测算企业 6, the Excel export's 汇总 5."""
    raws = [
        *scenarios(),
        {"enterprise": {"credit_code": code(6, "320505"), "name": "虎丘企业", "region": "320505"}, "events": []},
    ]
    status = _upload(client, write_register(tmp_path / "登记表.xlsx", raws))
    assert status["status"] == "done" and status["enterprises_evaluated"] == 6
    from openpyxl import load_workbook

    r = client.get(f"/batch/{status['id']}/export.xlsx")
    overview = dict(
        row[:2] for row in load_workbook(io.BytesIO(r.content), read_only=True)["汇总"].iter_rows(values_only=True) if row
    )
    assert overview["测算企业数"] == 6


def test_happy_path_totals_match_reference(client: TestClient, tmp_path: Path) -> None:
    raws = scenarios()
    status = _upload(client, write_register(tmp_path / "登记表.xlsx", raws))
    assert status["status"] == "done", status
    assert status["rows_read"] == 5 + 5 + 1 and status["rows_rejected"] == 0
    assert status["enterprises_evaluated"] == 5 and status["events_evaluated"] == 5
    expected = reference_total_fen(engine(), raws)
    results = client.get(f"/api/batch/{status['id']}/results").json()
    assert results["summary"]["total"]["max_fen"] == expected
    assert status["total"]["max"] == f"{expected // 100}.{expected % 100:02d}"
    # per enterprise: each equals its own scenario's evaluation
    ents = client.get(f"/api/batch/{status['id']}/results", params={"view": "enterprises"}).json()["rows"]
    by_code = {e["credit_code"]: e for e in ents}
    for raw in raws:
        own = to_dict(engine().evaluate(engine().scenario(raw)))["totals"]["total"]["max_fen"]
        assert by_code.get(raw["enterprise"]["credit_code"], {"max_fen": 0})["max_fen"] == own  # no rows: nothing applies


def test_filters_and_export(client: TestClient, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    status = _upload(client, write_register(tmp_path / "登记表.xlsx", scenarios()))
    jid = status["id"]
    town = client.get(f"/api/batch/{jid}/results", params={"town": "甪直镇", "status": "granted"}).json()
    assert town["count"] >= 1 and all(r["town"] == "甪直镇" and r["status"] == "granted" for r in town["rows"])
    wz = client.get(f"/api/batch/{jid}/results", params={"document": "wuzhong-2025", "article": "wuzhong-2025:1"}).json()
    assert wz["rows"] and all(r["document"] == "wuzhong-2025" and r["article"] == "1" for r in wz["rows"])
    dept = client.get(f"/api/batch/{jid}/results", params={"department": "区工信局"}).json()
    assert dept["rows"] and all("区工信局" in r["department"].split("、") for r in dept["rows"])
    payer = client.get(f"/api/batch/{jid}/results", params={"payer": "木渎镇财政"}).json()
    assert payer["rows"] and set(payer["summary"]["by"]["payer"]) == {"木渎镇财政"}
    # by payer, each amount is that payer's share (the town pays 6/10 of a 吴中 award, not all of it)
    everyone = client.get(f"/api/batch/{jid}/results", params={"limit": 100_000}).json()
    town_pays = everyone["summary"]["by"]["payer"]["木渎镇财政"]  # the unfiltered 按出资方 line
    assert payer["summary"]["total"] | {"split": "已明确"} == payer["summary"]["by"]["payer"]["木渎镇财政"] == town_pays
    whole = {(r["credit_code"], r["benefit"], r["event_id"]): r["max_fen"] for r in everyone["rows"]}
    shares = [(whole[(r["credit_code"], r["benefit"], r["event_id"])], r["max_fen"]) for r in payer["rows"] if r["max_fen"]]
    assert shares and all(part * 10 <= award * 6 + 9 for award, part in shares) and any(part < award for award, part in shares)
    r = client.get(f"/batch/{jid}/export.xlsx", params={"payer": "木渎镇财政"})  # the export says whose share it holds
    overview = dict(list(load_workbook(io.BytesIO(r.content), read_only=True)["汇总"].iter_rows(values_only=True))[:8])
    assert (overview["基准日"], overview["测算引擎"]) == (AS_OF, ENGINE_LABELS[status["engine"]])
    assert overview["政策文件夹"] == "（内置政策）" and overview["生成时间"]  # not where it is on the server
    assert overview["筛选"] == "出资方：木渎镇财政"
    assert overview["金额口径"] == "按出资方“木渎镇财政”筛选：各金额均为该出资方承担的部分"
    ceiling = client.get(f"/api/batch/{jid}/results", params={"nature": "ceiling"}).json()
    assert ceiling["rows"] and all(r["nature"] == "ceiling" for r in ceiling["rows"])
    # the Excel export holds exactly the filtered rows, with the writer's sheets
    r = client.get(f"/batch/{jid}/export.xlsx", params={"town": "甪直镇", "status": "granted"})
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    wb = load_workbook(io.BytesIO(r.content), read_only=True)
    said = dict(list(wb["汇总"].iter_rows(values_only=True))[:8])["筛选"]
    assert said == "镇（街道、板块）：甪直镇；状态：可享受"  # the label, not the code granted
    assert wb.sheetnames == [
        "汇总",
        "结果",
        "出资明细",
        "按政策文件",
        "按条款",
        "按责任单位",
        "按出资方",
        "按镇街",
        "按年度",
        "问题",
    ]
    # the payer rows of the rows shown: each share, summing to 按出资方
    shares = list(wb["出资明细"].iter_rows(values_only=True))
    assert shares[0][9] == "出资方" and len(shares) > 1
    head, *lines = list(wb["按出资方"].iter_rows(values_only=True))
    at = {h: k for k, h in enumerate(head)}
    totals = {row[0]: round(float(row[at["合计最高（元）"]]) * 100) for row in lines if row[at["项数"]]}
    summed: dict[str, int] = {}
    for row in shares[1:]:
        summed[row[9]] = summed.get(row[9], 0) + round(float(row[11] if row[11] is not None else row[10]) * 100)
    assert summed == totals
    rows = list(wb["结果"].iter_rows(values_only=True))
    assert len(rows) - 1 == town["count"]
    assert {row[3] for row in rows[1:]} == {"甪直镇"}
    # a filter value no row has, and bad parameters, a Chinese 422 (a value some row has, with the others: 0 rows)
    assert client.get(f"/api/batch/{jid}/results", params={"town": "不存在镇"}).status_code == 422
    assert client.get(f"/api/batch/{jid}/results", params={"town": "甪直镇", "payer": "木渎镇财政"}).json()["count"] == 0
    bad = client.get(f"/api/batch/{jid}/results", params={"limit": "abc"})
    assert bad.status_code == 422 and bad.json()["error"] == "请求参数有误：query.limit应为整数"
    bad = client.get(f"/api/batch/{jid}/results", params={"offset": "-1"})  # pydantic's English stays in "detail"
    assert bad.json()["error"] == "请求参数有误：query.offset应不小于0" and bad.json()["problems"][0]["detail"]


def test_bad_rows_listed_good_rows_evaluated(client: TestClient, tmp_path: Path) -> None:
    raws = scenarios()
    status = _upload(client, write_register(tmp_path / "有误.xlsx", raws, bad_rows=True))
    assert status["status"] == "done"
    assert status["counts"]["enterprises"] == {"read": 6, "rejected": 1, "accepted": 5}
    assert status["counts"]["events"] == {"read": 7, "rejected": 2, "accepted": 5}
    assert status["rows_rejected"] == 3 and status["enterprises_evaluated"] == 5
    errors = {(e["sheet"], e["row"], e["column"]): e for e in status["errors"]}
    assert ("企业", 7, "credit_code") in errors and "校验码" in errors[("企业", 7, "credit_code")]["expected"]
    bad_amount = errors[("事项", 7, "amount")]
    assert bad_amount["value"] == "abc" and "金额" in bad_amount["expected"]
    assert any(e["sheet"] == "事项" and e["row"] == 8 for e in status["errors"])
    assert all(e["message"] for e in status["errors"])
    # the good rows are evaluated exactly as before
    total = client.get(f"/api/batch/{status['id']}/results").json()["summary"]["total"]["max_fen"]
    assert total == reference_total_fen(engine(), raws)
    page = client.get(f"/batch/{status['id']}")
    assert page.status_code == 200 and "问题行（3处" in page.text and "abc" in page.text
    rows = client.get(f"/api/batch/{status['id']}/results", params={"limit": 10_000}).json()["rows"]
    assert f"按企业（{len({r['credit_code'] for r in rows})}家）" in page.text  # the count, not "200+"


@pytest.mark.parametrize("error", [TypeError("unsupported operand"), StopIteration()], ids=["TypeError", "StopIteration"])
def test_an_unexpected_failure_tells_the_user_the_job_id_and_logs_the_traceback(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, error: Exception
) -> None:
    """A fault of the program (forced here: the evaluation raises) is no bare exception name for the user."""
    from huiqi.batch import cli_batch

    def broken(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(cli_batch, "reference_results", broken)
    status = _upload(client, write_register(tmp_path / "登记表.xlsx", scenarios()))
    jid = status["id"]
    assert status["status"] == "failed"
    message = status["message"]
    assert message == f"测算中出现意外的程序错误，任务未能完成；上传的登记表没有被修改。请将任务编号 {jid} 告知管理员以便排查。"
    assert type(error).__name__ not in message
    assert f"测算失败：{message}" in client.get(f"/batch/{jid}").text
    assert client.get(f"/api/batch/{jid}/results").json()["error"] == f"该任务测算失败：{message}"
    (record,) = [r for r in caplog.records if r.name == "huiqi.web.batchjobs"]
    assert jid in record.getMessage() and record.exc_info is not None and record.exc_info[1] is error


def test_a_register_error_met_while_running_is_shown_as_it_is(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huiqi.batch import cli_batch
    from huiqi.batch.io_read import RegisterError

    def refused(*args: object, **kwargs: object) -> None:
        raise RegisterError("登记表有误：“企业”工作表缺少列“credit_code”")

    monkeypatch.setattr(cli_batch, "reference_results", refused)
    status = _upload(client, write_register(tmp_path / "登记表.xlsx", scenarios()))
    assert status["status"] == "failed"
    assert status["message"] == "登记表有误：“企业”工作表缺少列“credit_code”"


def test_png_renamed_xlsx_is_400(client: TestClient) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(200)
    r = client.post("/api/batch", files={"file": ("登记表.xlsx", png, XLSX)})
    assert r.status_code == 400
    assert "不是有效的Excel工作簿" in r.json()["error"]
    page = client.post("/batch", files={"file": ("登记表.xlsx", png, XLSX)})
    assert page.status_code == 400 and "不是有效的Excel工作簿" in page.text
    # the upload form again, with the reason beside the file field (the page used to be replaced)
    assert 'id="batch-file-err"' in page.text and 'aria-describedby="batch-file-err"' in page.text
    assert 'action="/batch"' in page.text


def test_a_bad_date_on_the_upload_form_is_told_beside_it(client: TestClient) -> None:
    wb = io.BytesIO()
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "名单"  # no 企业 sheet
    book.save(wb)
    page = client.post("/batch", files={"file": ("登记表.xlsx", wb.getvalue(), XLSX)}, data={"as_of": "2025-13-01"})
    assert page.status_code == 400 and 'id="batch-as_of-err"' in page.text and "2025-13-01" in page.text
    r = client.post("/api/batch", files={"file": ("无企业表.xlsx", wb.getvalue(), XLSX)}, data={"as_of": AS_OF})
    error = r.json()["error"]
    assert r.status_code == 400 and error.startswith("无企业表.xlsx：找不到“企业”工作表"), error  # not "/无企业表.xlsx…"


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("notes.txt", b"hello", "无法识别的文件"),
        ("企业.csv", "统一社会信用代码,名称\n".encode("utf-16"), "不是文本CSV文件"),
        ("其他.csv", b"a,b\n", "不是登记表的表名"),
        ("events.csv", b"credit_code\n", "缺少企业表"),
        ("登记表.zip", b"PK\x03\x04broken", "不是有效的zip"),
    ],
)
def test_other_bad_uploads_are_400(client: TestClient, name: str, content: bytes, needle: str) -> None:
    r = client.post("/api/batch", files={"file": (name, content, "application/octet-stream")})
    assert r.status_code == 400 and needle in r.json()["error"]


def test_no_file_is_400(client: TestClient) -> None:
    r = client.post("/api/batch", data={"as_of": AS_OF}, files={"other": ("x", b"1")})
    assert r.status_code == 400 and "请选择" in r.json()["error"]
    r = client.post("/api/batch", files={"file": ("登记表.xlsx", b"")})  # chosen, but empty
    assert r.status_code == 400 and r.json()["error"] == "上传的文件是空的（0字节）：登记表.xlsx；请检查文件后重新上传"


def test_too_large_is_413(tmp_path: Path) -> None:
    with TestClient(create_app(engine(), tmp_path / "data", max_upload=50_000), raise_server_exceptions=False) as c:
        r = c.post("/api/batch", files={"file": ("大.xlsx", b"PK\x03\x04" + bytes(60_000), XLSX)})
        assert r.status_code == 413
        assert "过大" in r.json()["error"] and "0.05MB" in r.json()["error"]
        big = c.post("/api/batch", files={"file": ("大.xlsx", b"PK\x03\x04" + bytes(300_000), XLSX)})  # refused on Content-Length
        assert big.status_code == 413 and "过大" in big.json()["error"]


def test_csv_folder_upload(client: TestClient, tmp_path: Path) -> None:
    raws = scenarios()[:3]
    ents = "credit_code,name,region,town\n" + "".join(
        f"{r['enterprise']['credit_code']},{r['enterprise']['name']},{r['enterprise']['region']},{r['enterprise']['town']}\n"
        for r in raws
    )
    evs = "credit_code,event_id,kind,date,category,amount\n" + "".join(
        f"{r['enterprise']['credit_code']},P1,purchase,2025-06-30,机器人产品或服务,{r['events'][0]['amount']}\n" for r in raws
    )
    files = [("file", ("企业.csv", ents.encode(), "text/csv")), ("file", ("事项.csv", evs.encode(), "text/csv"))]
    r = client.post("/api/batch", files=files, data={"as_of": AS_OF})
    assert r.status_code == 202, r.text
    status = wait_for_job(client, r.json()["id"])
    assert status["status"] == "done" and status["enterprises_evaluated"] == 3
    total = client.get(f"/api/batch/{status['id']}/results").json()["summary"]["total"]["max_fen"]
    assert total == reference_total_fen(engine(), raws)
    # the same register "as of" a day before the purchases: they are counted and the page says so
    r = client.post("/api/batch", files=files, data={"as_of": "2025-06-29"})
    early = wait_for_job(client, r.json()["id"])
    assert early["events_after_as_of"] == 3
    assert "注意：3条事项的发生日期晚于基准日2025-06-29" in client.get(f"/batch/{early['id']}").text


def test_two_files_for_one_table_are_400_and_names_are_read_in_any_case(client: TestClient) -> None:
    """A second file for a table would replace or hide the first (113 of 212 events kept,
    the job "done"): refused, naming both. Events.CSV is the events table, as on Windows."""
    ents = f"统一社会信用代码,名称,注册地行政区划代码\n{A_CODE},甲,320506\n".encode()
    evs = f"统一社会信用代码,事项编号,事项类型,发生日期\n{A_CODE},E1,purchase,2025-06-30\n".encode()
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as z:
        z.writestr("企业.csv", ents)
        z.writestr("a/events.csv", evs)
        z.writestr("b/events.csv", evs)
    uploads = [
        [("企业.csv", ents), ("events.csv", evs), ("事项.csv", evs)],
        [("企业.csv", ents), ("events.csv", evs), ("events.csv", evs)],
        [("登记表.zip", packed.getvalue())],
    ]
    for files in uploads:
        r = client.post("/api/batch", files=[("file", (n, c, "text/csv")) for n, c in files], data={"as_of": AS_OF})
        assert r.status_code == 400, r.text
        assert "是同一张表（事项）" in r.json()["error"] and "每张表只上传一个文件" in r.json()["error"]
    files = [("file", ("ENTERPRISES.csv", ents, "text/csv")), ("file", ("Events.CSV", evs, "text/csv"))]
    r = client.post("/api/batch", files=files, data={"as_of": AS_OF})
    assert r.status_code == 202, r.text
    status = wait_for_job(client, r.json()["id"])
    assert status["status"] == "done" and status["counts"]["events"]["read"] == 1, status


def test_unknown_and_unfinished_jobs(client: TestClient) -> None:
    r = client.get("/api/batch/nope")
    assert r.status_code == 404 and "找不到" in r.json()["error"]
    assert client.get("/api/batch/nope/results").status_code == 404
    assert client.get("/batch/nope").status_code == 404


def test_template_download(client: TestClient) -> None:
    from openpyxl import load_workbook

    r = client.get("/batch/template.xlsx")
    assert r.status_code == 200 and r.headers["content-type"] == XLSX
    wb = load_workbook(io.BytesIO(r.content))
    assert {"企业", "事项", "资质", "已获奖补", "说明"} <= set(wb.sheetnames)
    assert client.get("/batch").status_code == 200


def test_progress_page_polls_the_json_status(tmp_path: Path) -> None:
    """A job still running: the page shows its stage and polls /api/batch/{id}; a failed job says why."""
    app = create_app(engine(), tmp_path / "data")
    with TestClient(app, raise_server_exceptions=False) as c:
        store = app.state.site.store
        with store.connect() as db:
            # run by another live process of the server (the test's parent), which beat just now
            db.execute(
                "INSERT INTO batch_job (id, source, status, stage, done, total, created, host, pid, owner, heartbeat)"
                " VALUES ('run1', '登记表.xlsx', 'running', 'evaluating', 120, 300, ?, ?, ?, 'other-worker', ?)",
                (time.time(), socket.gethostname(), os.getppid(), time.time()),
            )
            db.execute(
                "INSERT INTO batch_job (id, source, status, stage, message, created, finished) VALUES ('bad1', 'x.xlsx', 'failed', 'failed', '找不到“企业”工作表', 0, 1)"
            )
        page = c.get("/batch/run1")
        assert page.status_code == 200
        assert 'data-batch-status="/api/batch/run1"' in page.text and "测算" in page.text and "120/300" in page.text
        status = c.get("/api/batch/run1").json()
        assert status["progress"] == {"done": 120, "total": 300, "unit": None, "stage": "evaluating"}  # no unit recorded
        assert status["stage_label"] == "测算"
        assert c.get("/api/batch/run1/results").status_code == 409
        assert c.get("/batch/run1/export.xlsx").status_code == 409
        failed = c.get("/batch/bad1")
        assert "测算失败：找不到“企业”工作表" in failed.text
        assert "测算失败" in c.get("/api/batch/bad1/results").json()["error"]


def test_large_registers_run_on_the_compiled_backend(client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the size threshold the job runs huiqi batch's DuckDB backend; the totals are the same to the fen."""
    pytest.importorskip("duckdb")
    from huiqi.web import batchjobs

    monkeypatch.setattr(batchjobs, "REFERENCE_MAX_ENTERPRISES", 0)
    raws = scenarios()
    status = _upload(client, write_register(tmp_path / "登记表.xlsx", raws))
    assert status["status"] == "done" and status["engine"] == "duckdb", status
    total = client.get(f"/api/batch/{status['id']}/results").json()["summary"]["total"]["max_fen"]
    assert total == reference_total_fen(engine(), raws)


def _synth_upload(folder: Path, fmt: str, spoil: bool) -> list[tuple[str, tuple[str, bytes, str]]]:
    """A synthetic register of 150 enterprises as CSV or Parquet files or a workbook; ``spoil`` writes
    bad cells into the CSV files or the workbook."""
    from huiqi.batch.synth import synth

    eng = engine()
    reg = folder / f"reg.{fmt}"
    synth(reg, eng.library, eng.catalogue, 150, 1, 4.0)  # seed 1: the first result is not granted
    if fmt == "xlsx":
        if spoil:
            import openpyxl

            wb = openpyxl.load_workbook(reg)
            wb["事项"].cell(4, 1).value = "91320506MA1T00001X"  # a wrong check character
            wb["事项"].cell(6, 4).value = 20250301  # a number where a date belongs
            wb["企业"].cell(3, 1).value = 12345
            wb.save(reg)
        return [("file", (reg.name, reg.read_bytes(), XLSX))]
    if spoil:
        ev = reg / "events.csv"
        lines = ev.read_text(encoding="utf-8").splitlines(keepends=True)
        lines[3] = lines[3].replace(lines[3].split(",")[0], '"91320506MA1T00001X"', 1)  # a code with a wrong check character
        lines[5] = lines[5].replace('"2025-', '"2025/13-', 1)  # no such date
        ev.write_text("".join(lines), encoding="utf-8")
        ent = reg / "enterprises.csv"
        lines = ent.read_text(encoding="utf-8").splitlines(keepends=True)
        lines[2] = lines[2].replace(lines[2].split(",")[0], '"abc"', 1)
        ent.write_text("".join(lines), encoding="utf-8")
    return [("file", (p.name, p.read_bytes(), "application/octet-stream")) for p in sorted(reg.iterdir())]


@pytest.mark.parametrize(("fmt", "spoil"), [("csv", True), ("parquet", False), ("xlsx", True)])
def test_larger_csv_parquet_uploads_run_as_huiqi_batch_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str, spoil: bool
) -> None:
    """Above REFERENCE_MAX_EVENTS (a workbook: REFERENCE_MAX_XLSX_BYTES) an upload is validated in
    SQL and evaluated by DuckDB (huiqi batch's streamed path); the job's answer is the one the
    in-memory path gives: the same counts, the same problem rows and the same result rows to the fen."""
    pytest.importorskip("duckdb")
    from huiqi.web import batchjobs

    files = _synth_upload(tmp_path, fmt, spoil)
    answers = []
    setting = "REFERENCE_MAX_XLSX_BYTES" if fmt == "xlsx" else "REFERENCE_MAX_EVENTS"
    for limit in (getattr(batchjobs, setting), 0):  # 600 events: in memory, then streamed
        monkeypatch.setattr(batchjobs, setting, limit)
        with TestClient(create_app(engine(), tmp_path / f"data{limit}"), raise_server_exceptions=False) as c:
            r = c.post("/api/batch", files=files, data={"as_of": AS_OF})
            assert r.status_code == 202, r.text
            status = wait_for_job(c, r.json()["id"])
            assert status["status"] == "done", status
            rows = c.get(f"/api/batch/{status['id']}/results", params={"limit": 100_000}).json()
        answers.append((status, rows))
    (memory, memory_rows), (streamed, streamed_rows) = answers
    assert memory["engine"] == "reference" and streamed["engine"] == "duckdb"
    for field in ("counts", "rows_read", "rows_rejected", "enterprises_evaluated", "events_evaluated", "results", "total"):
        assert streamed[field] == memory[field], field
    for answer in (memory, streamed, memory_rows["summary"], streamed_rows["summary"]):
        assert list(answer["results"]) == sorted(answer["results"])  # statuses by name, as huiqi batch --json
    if spoil:
        assert memory["rows_rejected"] >= 3
    shown = [{k: e[k] for k in ("sheet", "row", "column", "value", "expected")} for e in memory["errors"]]
    assert [{k: e[k] for k in ("sheet", "row", "column", "value", "expected")} for e in streamed["errors"]] == shown
    assert memory_rows["count"] == streamed_rows["count"] > 0

    # every column but 原因与说明: the compiled plan words a reason by its code and the clause it
    # quotes, the reference evaluator with the enterprise's own values (docs/web.md)
    def key(r: dict[str, Any]) -> tuple[str, ...]:
        return tuple(str(r[k]) for k in sorted(r) if k != "reasons")

    assert sorted(map(key, streamed_rows["rows"])) == sorted(map(key, memory_rows["rows"]))
    assert all(r["reasons"] for r in streamed_rows["rows"] if r["status"] != "granted")
    assert memory_rows["summary"] == streamed_rows["summary"]


def test_a_policy_folder_the_compiled_engine_cannot_express_runs_on_the_reference_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``huiqi serve --policies DIR`` with caps the DuckDB plan cannot express exactly: a large upload
    failed with the compiler's refusal; it is evaluated by the reference evaluator instead."""
    pytest.importorskip("duckdb")
    from huiqi.web import batchjobs

    from ..batch.test_caps import overlapping_caps

    monkeypatch.setattr(batchjobs, "REFERENCE_MAX_EVENTS", 0)  # streamed, were the plan usable
    monkeypatch.setattr(batchjobs, "REFERENCE_MAX_ENTERPRISES", 0)
    files = _synth_upload(tmp_path, "parquet", False)
    with TestClient(create_app(engine(overlapping_caps(tmp_path)), tmp_path / "data"), raise_server_exceptions=False) as c:
        r = c.post("/api/batch", files=files, data={"as_of": AS_OF})
        assert r.status_code == 202, r.text
        status = wait_for_job(c, r.json()["id"])
    assert status["status"] == "done" and status["engine"] == "reference", status
    assert status["enterprises_evaluated"] == 150


def test_a_register_with_a_very_long_file_name_is_accepted(client: TestClient, tmp_path: Path) -> None:
    """A name over the file system's 255 bytes was answered 503 (服务器无法保存上传的文件)."""
    path = write_register(tmp_path / "登记表.xlsx", scenarios())
    name = "吴中区" * 40 + "企业名单.xlsx"  # 372 bytes
    r = client.post("/api/batch", files={"file": (name, path.read_bytes(), XLSX)}, data={"as_of": AS_OF})
    assert r.status_code == 202, r.text
    assert wait_for_job(client, r.json()["id"])["status"] == "done"


def test_items_without_a_stated_amount_are_counted_on_the_page_and_in_the_api(client: TestClient, tmp_path: Path) -> None:
    """吴中 第20条 给予相应补助 states no amount: the page and the JSON summary count it apart, under its
    payers too (吴中区财政 and the town's, as ``huiqi batch`` does), with each payer's 出资方式."""
    from openpyxl import Workbook

    wb = Workbook()
    ent = wb.active
    ent.title = "企业"
    ent.append(["credit_code", "name", "region", "town"])
    ent.append([code(1), "测试研究服务公司", "320506", "木渎镇"])
    ev = wb.create_sheet("事项")
    ev.append(["credit_code", "event_id", "kind", "date", "category", "amount", "public_service"])
    ev.append([code(1), "P1", "purchase", "2025-06-30", "机器人产品或服务", "100万元", None])
    ev.append([code(1), "R1", "project", "2025-07-01", "专题培训", None, "是"])
    wb.save(tmp_path / "登记表.xlsx")
    status = _upload(client, tmp_path / "登记表.xlsx")
    assert status["status"] == "done", status
    summary = client.get(f"/api/batch/{status['id']}/results").json()["summary"]
    assert summary["total"]["count"] == 1 and summary["total"]["unpriced"] == 1
    assert {k: (v["unpriced"], v["split"]) for k, v in summary["by"]["payer"].items()} == {
        "吴中区财政": (1, "已明确"),
        "木渎镇财政": (1, "已明确"),
    }
    page = client.get(f"/batch/{status['id']}").text
    assert '另有<span id="batch-unpriced">1</span>项可享受但原文未定金额' in page


@pytest.mark.parametrize("streamed", [False, True])
def test_the_year_summary_on_the_page_in_the_api_and_the_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    """名单测算 gives 按年度 as huiqi batch does (the 2024 and 2025 projects under their years, the yearly
    item under the 基准日's, 2026): in the JSON summary (by.year, earliest first, each line the sum of
    its year's granted rows), as a chart on the page and as the export's 按年度 sheet, in memory or streamed."""
    from openpyxl import load_workbook

    from huiqi.web import batchjobs

    if streamed:
        pytest.importorskip("duckdb")
        monkeypatch.setattr(batchjobs, "REFERENCE_MAX_EVENTS", 0)
    with TestClient(create_app(engine(), tmp_path / "data"), raise_server_exceptions=False) as c:
        jid = _years_job(c, streamed)
        body = c.get(f"/api/batch/{jid}/results", params={"limit": 100_000}).json()
        page = c.get(f"/batch/{jid}").text
        export = load_workbook(io.BytesIO(c.get(f"/batch/{jid}/export.xlsx").content), read_only=True)
    want: dict[str, list[int]] = {}
    for row in body["rows"]:
        if row["status"] == "granted" and row["is_money"]:
            line = want.setdefault(f"{(row['event_date'] or '2026')[:4]}年", [0, 0, 0])
            line[0] += 1
            line[1] += row["min_fen"]
            line[2] += row["max_fen"]
    by_year = body["summary"]["by"]["year"]
    assert list(by_year) == ["2024年", "2025年", "2026年"]
    assert {k: [v["count"], v["min_fen"], v["max_fen"]] for k, v in by_year.items()} == want
    assert 'id="chart-year" data-title="按年度（上限，万元）"' in page
    chart = page.split('<script type="application/json" id="batch-chart-data">', 1)[1].split("</script>", 1)[0]
    assert [line[0] for line in json.loads(chart)["year"]] == ["2024年", "2025年", "2026年"]
    sheet = list(export["按年度"].iter_rows(values_only=True))
    assert sheet[0][0] == "年度" and [row[0] for row in sheet[1:]] == ["2024年", "2025年", "2026年"]
    assert [round(float(row[3]) * 100) for row in sheet[1:]] == [want[k][2] for k in by_year]


def _years_job(c: TestClient, streamed: bool) -> str:
    """A finished job of the register of projects in 2024 and 2025 and a yearly item, 基准日 2026-06-30."""
    from ..batch.test_cli_batch import YEARS_ENTERPRISES, YEARS_EVENTS

    files = [
        ("file", ("enterprises.csv", YEARS_ENTERPRISES.encode(), "text/csv")),
        ("file", ("events.csv", YEARS_EVENTS.encode(), "text/csv")),
    ]
    r = c.post("/api/batch", files=files, data={"as_of": "2026-06-30"})
    assert r.status_code == 202, r.text
    status = wait_for_job(c, r.json()["id"])
    assert status["status"] == "done" and status["engine"] == ("duckdb" if streamed else "reference"), status
    return str(status["id"])


@pytest.mark.parametrize("streamed", [False, True])
def test_the_year_filter_keeps_that_years_rows_in_the_api_the_page_and_the_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    """年度 filters as 按年度 counts: ``year=2025年`` keeps exactly the rows whose event is dated 2025, a
    yearly item (no event) falls under the 基准日's year (2026年), a bare 2025 is 2025年, and a year no row
    has is 422 naming the years there are — in the JSON, the export and the page's select."""
    from openpyxl import load_workbook

    from huiqi.web import batchjobs

    if streamed:
        pytest.importorskip("duckdb")
        monkeypatch.setattr(batchjobs, "REFERENCE_MAX_EVENTS", 0)
    with TestClient(create_app(engine(), tmp_path / "data"), raise_server_exceptions=False) as c:
        jid = _years_job(c, streamed)
        url = f"/api/batch/{jid}/results"
        every = c.get(url, params={"limit": 100_000}).json()["rows"]

        def key(row: dict[str, Any]) -> tuple[str, str, str | None]:
            return (row["credit_code"], row["benefit"], row["event_id"])

        want: dict[str, set[tuple[str, str, str | None]]] = {}
        for row in every:  # an event's year; a yearly item (no event) the 基准日's
            want.setdefault(f"{(row['event_date'] or '2026-06-30')[:4]}年", set()).add(key(row))
        assert sorted(want) == ["2024年", "2025年", "2026年"]
        yearly = {key(row) for row in every if row["event_id"] is None and row["event_date"] is None}
        assert yearly and yearly <= want["2026年"]  # the 基准日's year, not a year of its own
        for year, keys in want.items():
            got = c.get(url, params={"year": year, "limit": 100_000}).json()
            assert {key(row) for row in got["rows"]} == keys and got["count"] == len(keys), year
            assert got["filters"] == {"year": year}
            assert set(got["summary"]["by"]["year"]) <= {year}, got["summary"]["by"]["year"]
        # a bare year is the 按年度 line's; with another filter, the rows of both
        bare = c.get(url, params={"year": "2025", "limit": 100_000}).json()
        assert {key(row) for row in bare["rows"]} == want["2025年"] and bare["filters"] == {"year": "2025年"}
        both = c.get(url, params={"year": "2024年", "town": "木渎镇"}).json()
        assert both["count"] == 0  # each found, not together: no mistake
        # a year no row has: the Chinese message with the years there are
        refused = c.get(url, params={"year": "2030年"})
        body = refused.json()
        assert refused.status_code == 422 and body["code"] == "invalid_parameter", body
        assert body["error"] == "筛选条件有误：年度（year）“2030年”不在本任务的结果中；可选：2024年、2025年、2026年"
        (problem,) = body["problems"]
        assert problem["where"] == "query.year" and problem["choices"] == ["2024年", "2025年", "2026年"]
        assert c.get(f"/batch/{jid}/export.xlsx", params={"year": "2030年"}).status_code == 422
        # the export writes the rows shown and says the filter
        export = c.get(f"/batch/{jid}/export.xlsx", params={"year": "2026年"})
        assert export.status_code == 200
        wb = load_workbook(io.BytesIO(export.content), read_only=True)
        rows = list(wb["结果"].iter_rows(values_only=True))[1:]
        assert len(rows) == len(want["2026年"])
        overview = {row[0]: row[1] for row in wb["汇总"].iter_rows(values_only=True) if row}
        assert overview["筛选"] == "年度：2026年"
        assert [row[0] for row in list(wb["按年度"].iter_rows(values_only=True))[1:]] == ["2026年"]
        # the page: a labelled select of the job's years, the chosen one kept
        page = c.get(f"/batch/{jid}", params={"year": "2025年"}).text
        assert '<label for="flt-year">年度</label>' in page and '<select id="flt-year" name="year">' in page
        select = page.split('<select id="flt-year" name="year">', 1)[1].split("</select>", 1)[0]
        options = [part.split('"', 2)[1] for part in select.split("<option value=")[1:]]
        assert options == ["", "2024年", "2025年", "2026年"]
        assert '<option value="2025年" selected>' in select
        assert f"结果 {len(want['2025年'])} 行" in page


@pytest.mark.parametrize("streamed", [False, True])
def test_a_job_says_when_enterprises_with_money_have_no_town(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    """吴中2025 第22条's town share of an enterprise without 所在镇 is counted under a placeholder payer: the job's
    problems say so, as huiqi batch does (in memory and streamed alike)."""
    from huiqi.web import batchjobs

    from ..batch.test_cli_batch import YEARS_ENTERPRISES, YEARS_EVENTS

    if streamed:
        pytest.importorskip("duckdb")
        monkeypatch.setattr(batchjobs, "REFERENCE_MAX_EVENTS", 0)
    files = [
        ("file", ("enterprises.csv", YEARS_ENTERPRISES.replace(",木渎镇,", ",,").encode(), "text/csv")),
        ("file", ("events.csv", YEARS_EVENTS.encode(), "text/csv")),
    ]
    with TestClient(create_app(engine(), tmp_path / "data"), raise_server_exceptions=False) as c:
        r = c.post("/api/batch", files=files, data={"as_of": "2026-06-30"})
        assert r.status_code == 202, r.text
        status = wait_for_job(c, r.json()["id"])
    assert status["status"] == "done" and status["engine"] == ("duckdb" if streamed else "reference"), status
    (notice,) = [e for e in status["errors"] if e["column"] == "所在镇（街道、板块）"]
    assert notice["sheet"] == "企业" and "1家有可享受资金的企业未填所在镇（如91320506MA1XXXXX09）" in notice["message"]
    assert "吴中区属地镇（开发区、太湖新城）财政" in notice["message"]
