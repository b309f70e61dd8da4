"""What a year of running ``huiqi serve`` met: a database rolled back under a newer schema, a
database restored without its result files, a database locked by another process, a full disk,
pydantic's English, an empty ``--data``, logs without a time. Real SQLite (a second connection
holding the lock), real files and jobs; only a full disk is simulated (``OSError(ENOSPC)``)."""

from __future__ import annotations

import errno
import logging
import re
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from huiqi.cli import main
from huiqi.service import InputError, engine
from huiqi.web import batchjobs, create_app
from huiqi.web.app import _validation_text
from huiqi.web.store import SCHEMA_VERSION, ScenarioStore

from .registers import AS_OF, reference_total_fen, scenarios, wait_for_job, write_register

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
A_SCENARIO = {
    "enterprise": {"credit_code": "91320506MA1XXXXX09", "name": "示例企业", "region": "320506", "town": "木渎镇"},
    "events": [{"id": "E1", "kind": "purchase", "date": "2025-06-30", "category": "机器人产品或服务", "amount": "80万元"}],
}
LOST = "结果文件已丢失（可能数据目录未完整备份），请重新上传名单"


def _upload(client: TestClient, tmp_path: Path) -> dict[str, Any]:
    path = write_register(tmp_path / "登记表.xlsx", scenarios())
    r = client.post("/api/batch", files={"file": (path.name, path.read_bytes(), XLSX)}, data={"as_of": AS_OF})
    assert r.status_code == 202, r.text
    return wait_for_job(client, r.json()["id"])


@contextmanager
def _locked(data: Path) -> Iterator[sqlite3.Connection]:
    """Another process's write lock on the database (a backup, ``sqlite3`` at the console)."""
    db = sqlite3.connect(data / "huiqi.sqlite3", check_same_thread=False)
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    finally:
        db.rollback()
        db.close()


def _version(data: Path) -> int:
    db = sqlite3.connect(data / "huiqi.sqlite3")
    try:
        version: int = db.execute("PRAGMA user_version").fetchone()[0]
    finally:
        db.close()
    return version


# --- 1. a save the database refuses, a database of a newer version ---------------------------------------


def test_a_scenario_the_database_refuses_is_not_answered_with_a_link(tmp_path: Path) -> None:
    """A ``scenario`` table with a NOT NULL column this code does not fill (a rollback): the save was
    answered 200 with an id that was never saved (INSERT OR IGNORE swallowed the NOT NULL failure)."""
    data = tmp_path / "data"
    data.mkdir()
    db = sqlite3.connect(data / "huiqi.sqlite3")
    db.execute("CREATE TABLE scenario (id TEXT PRIMARY KEY, body TEXT NOT NULL, created TEXT NOT NULL, owner TEXT NOT NULL)")
    db.close()
    with TestClient(create_app(engine(), data), raise_server_exceptions=False) as client:
        got = client.post("/api/scenarios", json=A_SCENARIO)
        assert got.status_code == 503, got.text
        assert "数据库结构与本程序不符" in got.json()["error"]
        assert str(data) not in got.text


def test_a_database_of_a_newer_version_is_refused_an_older_one_stamped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = tmp_path / "old"  # made before versions were recorded: the tables as this code expects them
    old.mkdir()
    db = sqlite3.connect(old / "huiqi.sqlite3")
    db.execute("CREATE TABLE scenario (id TEXT PRIMARY KEY, body TEXT NOT NULL, created TEXT NOT NULL)")
    db.execute("INSERT INTO scenario VALUES ('abc123abc123', '{\"x\": 1}', '2025-01-01T00:00:00+00:00')")
    db.commit()
    db.close()
    assert _version(old) == 0
    store = ScenarioStore(old)
    assert _version(old) == SCHEMA_VERSION and store.load("abc123abc123") == {"x": 1}

    newer = tmp_path / "newer"
    ScenarioStore(newer)
    db = sqlite3.connect(newer / "huiqi.sqlite3")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(InputError, match="由较新版本的惠企创建"):
        create_app(engine(), newer)
    assert main(["serve", "--data", str(newer), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert f"错误：数据目录{newer}的数据库由较新版本的惠企创建（结构版本{SCHEMA_VERSION + 1}" in err, err
    assert "Traceback" not in err


# --- 2. a finished job whose files are gone ----------------------------------------------------------------


def test_a_done_job_whose_result_files_are_gone_says_so_with_410(client: TestClient, tmp_path: Path) -> None:
    """The database restored without ``batch/``: results, page and export were a generic 500."""
    status = _upload(client, tmp_path)
    assert status["status"] == "done", status
    jid = status["id"]
    data = tmp_path / "data"
    shutil.rmtree(data / "batch" / jid)
    now = client.get(f"/api/batch/{jid}").json()
    assert now["status"] == "failed" and now["files_lost"] is True and now["message"] == LOST
    for url in (f"/api/batch/{jid}/results", f"/batch/{jid}/export.xlsx"):
        got = client.get(url, headers={"accept": "application/json"})
        assert got.status_code == 410, (url, got.status_code, got.text[:200])
        assert got.json()["error"] == LOST
    page = client.get(f"/batch/{jid}")
    assert page.status_code == 410 and LOST in page.text and "测算失败" not in page.text
    assert client.delete(f"/api/batch/{jid}").status_code == 200  # and it can be cleared away


def test_results_files_removed_after_the_status_was_read_are_410_too(client: TestClient, tmp_path: Path) -> None:
    status = _upload(client, tmp_path)
    jobs = client.app.state.site.batch  # type: ignore[attr-defined]
    for name in ("results.parquet", "register.json"):
        (tmp_path / "data" / "batch" / status["id"] / name).unlink()
    for read in (jobs.tables, jobs.register):
        with pytest.raises(batchjobs.JobError) as info:
            read(status["id"])
        assert info.value.status == 410 and info.value.message == LOST


# --- 3. a database locked by another process during a job; 8. an upload the database refuses ---------------


def test_a_job_goes_on_while_another_process_holds_the_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The progress writes are best-effort; the final status is written once the lock is gone."""
    from huiqi.batch import cli_batch

    data = tmp_path / "data"
    monkeypatch.setattr(ScenarioStore, "timeout", 0.05)
    monkeypatch.setattr(batchjobs, "FINAL_RETRY_SECONDS", 0.25)
    real = cli_batch.reference_results

    def under_a_lock(*args: Any, **kwargs: Any) -> Any:
        """The lock taken while the enterprises are evaluated, released 0.3 s after."""
        db = sqlite3.connect(data / "huiqi.sqlite3", check_same_thread=False)
        db.execute("BEGIN IMMEDIATE")
        try:
            out = real(*args, **kwargs)
        except BaseException:
            db.rollback()
            raise
        threading.Timer(0.3, db.rollback).start()
        return out

    monkeypatch.setattr(cli_batch, "reference_results", under_a_lock)
    caplog.set_level(logging.WARNING, logger="huiqi.web.batchjobs")
    with TestClient(create_app(engine(), data), raise_server_exceptions=False) as client:
        status = _upload(client, tmp_path)
        assert status["status"] == "done", status
        results = client.get(f"/api/batch/{status['id']}/results").json()
        assert results["summary"]["total"]["max_fen"] == reference_total_fen(engine(), scenarios())
    messages = [r.getMessage() for r in caplog.records if r.name == "huiqi.web.batchjobs"]
    assert any("progress not recorded" in m for m in messages), messages
    assert any("final status not recorded yet" in m for m in messages), messages


def test_a_locked_database_is_busy_not_broken_and_an_upload_leaves_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "data"
    monkeypatch.setattr(ScenarioStore, "timeout", 0.05)
    register = write_register(tmp_path / "登记表.xlsx", scenarios())
    with TestClient(create_app(engine(), data), raise_server_exceptions=False) as client, _locked(data):
        saved = client.post("/api/scenarios", json=A_SCENARIO)
        assert saved.status_code == 503 and saved.json()["error"] == "数据库暂时繁忙，请稍后重试"
        upload = client.post("/api/batch", files={"file": (register.name, register.read_bytes(), XLSX)})
        assert upload.status_code == 503 and upload.json()["error"] == "数据库暂时繁忙，请稍后重试"
        assert list((data / "batch").iterdir()) == []  # the upload placed, then no job for it: removed
    logged = [r.getMessage() for r in caplog.records if r.name == "huiqi.web.app"]
    assert any(str(data) in m and "database is locked" in m for m in logged), logged  # the 503 is logged


# --- 4. a full disk -------------------------------------------------------------------------------------------


def _no_space(*args: Any, **kwargs: Any) -> None:
    raise OSError(errno.ENOSPC, "No space left on device", "/srv/huiqi/data/batch/x/登记表.xlsx")


def test_an_upload_on_a_full_disk_is_told_without_the_servers_path(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register = write_register(tmp_path / "登记表.xlsx", scenarios())
    monkeypatch.setattr(Path, "write_bytes", _no_space)
    got = client.post("/api/batch", files={"file": (register.name, register.read_bytes(), XLSX)})
    form = client.post("/batch", files={"file": (register.name, register.read_bytes(), XLSX)})
    monkeypatch.undo()
    assert got.status_code == 507, got.text
    assert got.json()["error"].startswith("服务器磁盘空间不足") and "/srv" not in got.text
    # the upload form again, the reason beside the file field
    assert form.status_code == 507 and 'id="batch-file-err" role="alert">服务器磁盘空间不足' in form.text, form.text[-2000:]
    assert list((tmp_path / "data" / "batch").iterdir()) == []


def test_results_that_do_not_fit_on_the_disk_fail_the_job_as_such(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    monkeypatch.setattr(pq, "write_table", _no_space)
    status = _upload(client, tmp_path)
    assert status["status"] == "failed"
    assert status["message"].startswith("服务器磁盘空间不足"), status["message"]


def test_a_full_disk_under_sqlite_is_said_as_such_and_the_path_only_logged(
    client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    store = client.app.state.site.store  # type: ignore[attr-defined]

    def full(raw: Any) -> str:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "save", full)
    got = client.post("/api/scenarios", json=A_SCENARIO)
    assert got.status_code == 503
    error = got.json()["error"]
    assert "服务器磁盘空间不足" in error and "须可写" not in error and str(tmp_path) not in error, error
    assert any(str(store.path) in r.getMessage() for r in caplog.records if r.name == "huiqi.web.app")


# --- 5. pydantic's English --------------------------------------------------------------------------------------


def test_parameter_errors_are_chinese_to_the_detail(client: TestClient) -> None:
    got = client.get("/api/batch/0123456789ab/results", params={"limit": "abc"})
    assert got.status_code == 422
    (problem,) = got.json()["problems"]
    assert problem["detail"] == "应为整数，收到“abc”", problem
    got = client.get("/api/batch/0123456789ab/results", params={"limit": "0"})
    assert got.json()["problems"][0]["detail"] == "应不小于1，收到“0”"
    assert not re.search(r"[A-Za-z]{4,}", got.json()["problems"][0]["detail"])
    assert _validation_text({"type": "some_new_pydantic_error"}) == "取值不符合要求"
    assert _validation_text({"type": "json_invalid"}) == "不是有效的JSON"


# --- 6. an empty data folder; 7. timestamps in the log -----------------------------------------------------------


@pytest.fixture
def runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """``uvicorn.run`` recorded instead of serving."""
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append(kwargs))
    return calls


def test_an_empty_data_folder_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, runs: list[dict[str, Any]]
) -> None:
    """``--data ""`` or ``HUIQI_DATA=""`` silently served ~/.local/share/huiqi."""
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["serve", "--data", "", "--port", "0"]) == 2
    assert "错误：--data不能为空" in capsys.readouterr().err
    monkeypatch.setenv("HUIQI_DATA", "")
    assert main(["serve", "--port", "0"]) == 2
    assert "错误：环境变量HUIQI_DATA为空" in capsys.readouterr().err
    assert runs == [] and not (tmp_path / ".local").exists()


def test_the_log_lines_carry_the_time(tmp_path: Path, runs: list[dict[str, Any]]) -> None:
    assert main(["serve", "--data", str(tmp_path / "data"), "--port", "0"]) == 0
    assert main(["serve", "--data", str(tmp_path / "data"), "--port", "0", "--workers", "2"]) == 0
    for kwargs in runs:
        config = kwargs["log_config"]
        assert config["loggers"]["uvicorn.access"]["handlers"] == ["access"]  # the access log kept
        assert config["loggers"]["huiqi"]["handlers"] == ["default"]  # the app's own lines too
        for spec in config["formatters"].values():
            factory = spec["()"]
            module, _, name = factory.rpartition(".")
            formatter = getattr(__import__(module, fromlist=[name]), name)(fmt=spec["fmt"], datefmt=spec.get("datefmt"))
            args: tuple[Any, ...] = ("127.0.0.1:5000", "GET", "/", "1.1", 200) if "client_addr" in spec["fmt"] else ("x",)
            msg = '%s - "%s %s HTTP/%s" %d' if "client_addr" in spec["fmt"] else "job %s failed"
            record = logging.LogRecord("huiqi.web.batchjobs", logging.ERROR, __file__, 1, msg, args, None)
            line = formatter.format(record)
            assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", line), line
