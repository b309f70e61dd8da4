"""名单测算 jobs over their life: jobs whose server stopped are marked failed (and
jobs of live workers are not), old jobs are deleted with their files, a user
deletes a job.  Real SQLite store and real files; other server processes are
real child processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from huiqi.service import InputError, engine
from huiqi.web import batchjobs, create_app
from huiqi.web.batchjobs import KEEP_DAYS_ENV
from huiqi.web.store import ScenarioStore

from .registers import AS_OF, scenarios, wait_for_job, write_register

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DAY = 86_400.0
HOST = socket.gethostname()


def _insert(data: Path, job_id: str, status: str = "done", stage: str | None = None, **cols: Any) -> None:
    """A job row as a server process would have written it (the store is created if needed)."""
    values: dict[str, Any] = {
        "id": job_id,
        "source": "登记表.xlsx",
        "status": status,
        "stage": stage or status,
        "created": time.time(),
    }
    values.update(cols)
    with ScenarioStore(data).connect() as db:
        batchjobs._migrate(db)
        db.execute(f"INSERT INTO batch_job ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})", tuple(values.values()))


def _files(data: Path, job_id: str) -> Path:
    folder = data / "batch" / job_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "登记表.xlsx").write_bytes(b"PK\x03\x04 upload")
    (folder / "results.parquet").write_bytes(b"PAR1 results")
    return folder


def _row(data: Path, job_id: str) -> tuple[Any, ...] | None:
    import sqlite3

    db = sqlite3.connect(data / "huiqi.sqlite3")
    try:
        row: tuple[Any, ...] | None = db.execute(
            "SELECT status, stage, message FROM batch_job WHERE id = ?", (job_id,)
        ).fetchone()
    finally:
        db.close()
    return row


@pytest.fixture
def worker() -> Iterator[subprocess.Popen[bytes]]:
    """Another live process, standing in for a second worker of ``huiqi serve --workers 2``."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield proc
    proc.kill()
    proc.wait()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# --- jobs whose server stopped ---------------------------------------------------------


def test_jobs_of_stopped_servers_fail_on_startup_live_workers_jobs_do_not(
    tmp_path: Path, worker: subprocess.Popen[bytes]
) -> None:
    data = tmp_path / "data"
    now = time.time()
    owner = {"host": HOST, "owner": "token-of-a-dead-process"}
    _insert(data, "gone", "running", "evaluating", done=40, total=100, pid=_dead_pid(), heartbeat=now, **owner)
    _insert(
        data, "silent", "running", "reading", pid=os.getppid(), heartbeat=now - 3600, **owner
    )  # pid alive, no heartbeat for an hour
    _insert(data, "reused", "queued", pid=os.getpid(), heartbeat=now, **owner)  # this very pid, but another process's token
    _insert(data, "legacy", "running", "evaluating")  # written before owners were recorded
    _insert(data, "other", "running", "evaluating", done=5, total=10, pid=worker.pid, heartbeat=now, host=HOST, owner="w2")
    _insert(data, "fine", "done")

    app = create_app(engine(), data)  # a server (re)starting on the same data folder
    # marked at startup, before anyone asks
    for job_id, stage in [("gone", "测算"), ("silent", "读取校验"), ("reused", "排队中"), ("legacy", "测算")]:
        status, _, message = _row(data, job_id) or (None, None, None)
        assert status == "failed", job_id
        assert message == f"服务在测算过程中停止（当时处于“{stage}”阶段），请重新上传名单。"
    assert _row(data, "other") == ("running", "evaluating", None)
    assert _row(data, "fine") == ("done", "done", None)

    with TestClient(app, raise_server_exceptions=False) as c:
        # the page says so instead of a progress bar; results and export say why they are missing
        page = c.get("/batch/gone")
        assert page.status_code == 200
        assert "测算失败：服务在测算过程中停止（当时处于“测算”阶段），请重新上传名单。" in page.text
        assert "data-batch-status" not in page.text and "<progress" not in page.text
        status = c.get("/api/batch/gone").json()
        assert status["status"] == "failed" and status["stage_label"] == "失败"
        r = c.get("/api/batch/gone/results")
        assert r.status_code == 409 and "服务在测算过程中停止" in r.json()["error"]
        # the other worker's job is still running and shown as such
        assert c.get("/api/batch/other").json()["status"] == "running"
        assert 'data-batch-status="/api/batch/other"' in c.get("/batch/other").text
        # that worker dies: the next look at the job notices, without a restart
        worker.kill()
        worker.wait()
        status = c.get("/api/batch/other").json()
        assert status["status"] == "failed" and "服务在测算过程中停止" in status["message"]


def test_a_second_server_on_the_same_folder_leaves_a_running_job_alone(tmp_path: Path) -> None:
    """A job submitted by one app is not failed by another app opened on the same data folder."""
    data = tmp_path / "data"
    first = create_app(engine(), data)
    with TestClient(first, raise_server_exceptions=False) as c:
        path = write_register(tmp_path / "登记表.xlsx", scenarios())
        r = c.post("/api/batch", files={"file": (path.name, path.read_bytes(), XLSX)}, data={"as_of": AS_OF})
        assert r.status_code == 202
        job_id = r.json()["id"]
        create_app(engine(), data)
        status, _, message = _row(data, job_id) or (None, None, None)
        assert status in ("queued", "running", "done"), message
        deadline = time.monotonic() + 60
        while c.get(f"/api/batch/{job_id}").json()["status"] != "done":
            assert time.monotonic() < deadline, "job did not finish"
            time.sleep(0.1)


def test_a_running_job_keeps_its_heartbeat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batchjobs, "HEARTBEAT_SECONDS", 0.05)
    data = tmp_path / "data"
    jobs = create_app(engine(), data).state.site.batch
    old = time.time() - 30
    _insert(data, "mine", "running", "evaluating", host=HOST, pid=os.getpid(), owner=batchjobs._owner_token(), heartbeat=old)
    with batchjobs._LIVE_LOCK:
        batchjobs._LIVE.add("mine")
        jobs._start_beating()
    try:
        deadline = time.monotonic() + 10
        while True:
            with jobs.store.connect() as db:
                (beat,) = db.execute("SELECT heartbeat FROM batch_job WHERE id = 'mine'").fetchone()
            if beat > old:
                break
            assert time.monotonic() < deadline, "no heartbeat"
            time.sleep(0.05)
        assert jobs.status("mine")["status"] == "running"
    finally:
        with batchjobs._LIVE_LOCK:
            batchjobs._LIVE.discard("mine")
    # no longer worked on in this process: failed at the next look, and the beating stops
    assert jobs.status("mine")["status"] == "failed"
    deadline = time.monotonic() + 10
    while jobs._beat is not None:
        assert time.monotonic() < deadline, "heartbeat thread did not stop"
        time.sleep(0.05)


# --- retention ---------------------------------------------------------------------------


def test_old_jobs_and_their_files_are_deleted_recent_ones_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, worker: subprocess.Popen[bytes]
) -> None:
    monkeypatch.setenv(KEEP_DAYS_ENV, "7")
    data = tmp_path / "data"
    now = time.time()
    _insert(data, "old", "done", created=now - 8 * DAY, finished=now - 8 * DAY)
    _insert(data, "oldfail", "failed", created=now - 30 * DAY)
    _insert(data, "recent", "done", created=now - 6 * DAY)
    _insert(data, "oldlive", "running", "evaluating", created=now - 8 * DAY, host=HOST, pid=worker.pid, owner="w2", heartbeat=now)
    _insert(data, "olddead", "running", "evaluating", created=now - 8 * DAY, host=HOST, pid=_dead_pid(), owner="x", heartbeat=now)
    folders = {j: _files(data, j) for j in ("old", "oldfail", "recent", "oldlive", "olddead")}
    stray_old = _files(data, "strayold")  # a folder no job owns (an upload cut off half-way)
    os.utime(stray_old, (now - 8 * DAY, now - 8 * DAY))
    stray_new = _files(data, "straynew")

    app = create_app(engine(), data)
    for gone in ("old", "oldfail", "olddead"):
        assert _row(data, gone) is None, gone
        assert not folders[gone].exists(), gone
    for kept in ("recent", "oldlive"):
        assert _row(data, kept) is not None, kept
        assert (folders[kept] / "results.parquet").is_file(), kept
    assert not stray_old.exists() and stray_new.is_dir()

    # a new upload deletes what has grown old since
    with TestClient(app, raise_server_exceptions=False) as c:
        _insert(data, "aged", "done", created=now - 10 * DAY)
        aged = _files(data, "aged")
        path = write_register(tmp_path / "登记表.xlsx", scenarios())
        r = c.post("/api/batch", files={"file": (path.name, path.read_bytes(), XLSX)}, data={"as_of": AS_OF})
        assert r.status_code == 202
        assert _row(data, "aged") is None and not aged.exists()
        assert c.get("/api/batch/aged").status_code == 404
        assert _row(data, "recent") is not None
        wait_for_job(c, r.json()["id"])  # not left running into the next test (the live-job set is the process's)


def test_keep_days_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "data"
    _insert(data, "ancient", "done", created=time.time() - 400 * DAY)
    folder = _files(data, "ancient")
    monkeypatch.setenv(KEEP_DAYS_ENV, "0")  # keep for ever
    create_app(engine(), data)
    assert _row(data, "ancient") is not None and folder.is_dir()
    monkeypatch.setenv(KEEP_DAYS_ENV, "500")
    create_app(engine(), data)
    assert _row(data, "ancient") is not None
    monkeypatch.setenv(KEEP_DAYS_ENV, "0.5")
    create_app(engine(), data)
    assert _row(data, "ancient") is None and not folder.exists()
    for bad in ("七天", "-1", "nan"):
        monkeypatch.setenv(KEEP_DAYS_ENV, bad)
        with pytest.raises(InputError, match=f"环境变量{KEEP_DAYS_ENV}应为名单测算任务的保留天数"):
            create_app(engine(), data)


# --- deleting a job ------------------------------------------------------------------------


def test_delete_through_the_api(tmp_path: Path, worker: subprocess.Popen[bytes]) -> None:
    data = tmp_path / "data"
    _insert(data, "busy", "running", "evaluating", host=HOST, pid=worker.pid, owner="w2", heartbeat=time.time())
    _insert(data, "broke", "failed", message="找不到“企业”工作表")
    busy, broke = _files(data, "busy"), _files(data, "broke")
    with TestClient(create_app(engine(), data), raise_server_exceptions=False) as c:
        path = write_register(tmp_path / "登记表.xlsx", scenarios())
        r = c.post("/api/batch", files={"file": (path.name, path.read_bytes(), XLSX)}, data={"as_of": AS_OF})
        job_id = r.json()["id"]
        deadline = time.monotonic() + 60
        while c.get(f"/api/batch/{job_id}").json()["status"] != "done":
            assert time.monotonic() < deadline, "job did not finish"
            time.sleep(0.1)
        folder = data / "batch" / job_id
        assert (folder / "results.parquet").is_file()
        assert c.get(f"/api/batch/{job_id}/results").status_code == 200  # cached in this process

        r = c.delete(f"/api/batch/{job_id}")
        assert r.status_code == 200 and r.json()["deleted"] is True and "已删除" in r.json()["message"]
        assert not folder.exists()
        for url in (f"/api/batch/{job_id}", f"/api/batch/{job_id}/results", f"/batch/{job_id}", f"/batch/{job_id}/export.xlsx"):
            assert c.get(url).status_code == 404, url
        again = c.delete(f"/api/batch/{job_id}")
        assert again.status_code == 404 and "找不到编号为" in again.json()["error"]
        assert c.delete("/api/batch/nope").status_code == 404

        refused = c.delete("/api/batch/busy")
        assert refused.status_code == 409
        assert refused.json()["error"] == "任务busy正在测算，不能删除；请等测算完成或失败后再删除"
        assert _row(data, "busy") is not None and (busy / "results.parquet").is_file()

        assert c.delete("/api/batch/broke").status_code == 200
        assert _row(data, "broke") is None and not broke.exists()


def test_delete_from_the_page(tmp_path: Path, worker: subprocess.Popen[bytes]) -> None:
    data = tmp_path / "data"
    _insert(data, "broke", "failed", message="找不到“企业”工作表")
    _insert(data, "busy", "queued", host=HOST, pid=worker.pid, owner="w2", heartbeat=time.time())
    folder = _files(data, "broke")
    with TestClient(create_app(engine(), data), raise_server_exceptions=False) as c:
        page = c.get("/batch/broke").text
        assert 'action="/batch/broke/delete"' in page and "删除此任务" in page and "确认删除" in page
        assert "任务在上传7天后也会自动删除" in page
        assert "删除此任务" not in c.get("/batch/busy").text  # not offered while it runs
        assert "保留7天后自动删除" in c.get("/batch").text

        r = c.post("/batch/broke/delete", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/batch?deleted=broke"
        assert "已删除名单测算任务 broke 及其上传文件与结果" in c.get(r.headers["location"]).text
        assert _row(data, "broke") is None and not folder.exists()

        gone = c.post("/batch/broke/delete", follow_redirects=False)
        assert gone.status_code == 404 and "找不到编号为“broke”的名单测算任务" in gone.text
        refused = c.post("/batch/busy/delete", follow_redirects=False)
        assert refused.status_code == 409 and "正在排队中，不能删除" in refused.text
        assert _row(data, "busy") is not None


# --- re-running a job ----------------------------------------------------------------------


def test_rerun_through_the_api_on_another_reference_date(tmp_path: Path, worker: subprocess.Popen[bytes]) -> None:
    """A finished job is run again on its upload as a new job (another 基准日 here); the old job and
    its results are kept. A job still running, an unknown one, one whose upload is gone and a bad
    date are refused in Chinese."""
    data = tmp_path / "data"
    _insert(data, "busy", "running", "evaluating", host=HOST, pid=worker.pid, owner="w2", heartbeat=time.time())
    _insert(data, "bare", "failed", message="服务器磁盘空间不足")
    (data / "batch" / "bare").mkdir(parents=True)  # its upload was never kept
    with TestClient(create_app(engine(), data), raise_server_exceptions=False) as c:
        path = write_register(tmp_path / "登记表.xlsx", scenarios())
        r = c.post("/api/batch", files={"file": (path.name, path.read_bytes(), XLSX)}, data={"as_of": AS_OF})
        first = wait_for_job(c, r.json()["id"])
        assert first["as_of"] == AS_OF and first["total"]["count"] > 0

        r = c.post(f"/api/batch/{first['id']}/rerun", json={"as_of": "2023-01-01"})
        assert r.status_code == 202 and r.json()["rerun_of"] == first["id"]
        again = wait_for_job(c, r.json()["id"])
        assert again["id"] != first["id"] and again["source"] == "登记表.xlsx" and again["as_of"] == "2023-01-01"
        assert again["counts"] == first["counts"]  # the same register, read again
        assert (first["events_after_as_of"], again["events_after_as_of"]) == (
            0,
            first["events_evaluated"],
        )  # read on the new date
        assert c.get(f"/api/batch/{first['id']}").json()["total"] == first["total"]  # kept as it was

        same = wait_for_job(c, c.post(f"/api/batch/{first['id']}/rerun").json()["id"])  # no date: the job's own
        assert same["as_of"] == AS_OF
        today = wait_for_job(c, c.post(f"/api/batch/{first['id']}/rerun", json={"as_of": ""}).json()["id"])  # blank: today
        assert today["as_of"] == date.today().isoformat()

        for job, body, status, words in (
            ("busy", None, 409, "任务busy正在测算，请等测算完成或失败后再重新测算"),
            ("nope", None, 404, "找不到编号为“nope”的名单测算任务"),
            ("bare", None, 410, "任务bare上传的登记表文件已不在服务器上，无法重新测算；请重新上传名单"),
            (first["id"], {"as_of": "2025-13-01"}, 400, "测算基准日“2025-13-01”不是有效日期（应为YYYY-MM-DD）"),
        ):
            refused = c.post(f"/api/batch/{job}/rerun", json=body)
            assert refused.status_code == status and words in refused.json()["error"], (job, refused.json())
        kept = sorted(["bare", first["id"], again["id"], same["id"], today["id"]])  # no folder left by a refusal
        assert sorted(p.name for p in (data / "batch").iterdir()) == kept


def test_rerun_from_the_page(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with TestClient(create_app(engine(), data), raise_server_exceptions=False) as c:
        path = write_register(tmp_path / "登记表.xlsx", scenarios())
        r = c.post("/api/batch", files={"file": (path.name, path.read_bytes(), XLSX)}, data={"as_of": AS_OF})
        job = wait_for_job(c, r.json()["id"])
        page = c.get(f"/batch/{job['id']}").text
        assert f'action="/batch/{job["id"]}/rerun"' in page and "重新测算" in page
        assert f'name="as_of" value="{AS_OF}"' in page  # the job's own date, to change or keep

        r = c.post(f"/batch/{job['id']}/rerun", data={"as_of": AS_OF}, follow_redirects=False)
        assert r.status_code == 303
        new_id = r.headers["location"].rsplit("/", 1)[1]
        again = wait_for_job(c, new_id)
        assert again["total"] == job["total"] and again["as_of"] == AS_OF
        bad = c.post(f"/batch/{job['id']}/rerun", data={"as_of": "明天"}, follow_redirects=False)
        assert bad.status_code == 400 and "测算基准日“明天”不是有效日期" in bad.text
        # the rerun says whose upload it ran on, and links there while that job is kept
        assert again["rerun_of"] == job["id"] and job["rerun_of"] is None
        link = f'用任务<a href="/batch/{job["id"]}">{job["id"]}</a>上传的登记表重新测算'
        assert link in c.get(f"/batch/{new_id}").text
        assert c.delete(f"/api/batch/{job['id']}").status_code == 200
        assert f"用任务{job['id']}（已删除或已过保留期）上传的登记表重新测算" in c.get(f"/batch/{new_id}").text


def test_a_store_made_before_reruns_were_recorded_is_brought_up_to_date(tmp_path: Path) -> None:
    """A data folder of an earlier release (batch_job without its later columns) is opened as it is:
    the columns are added and its jobs are shown, naming no original."""
    import sqlite3

    data = tmp_path / "data"
    ScenarioStore(data)
    db = sqlite3.connect(data / "huiqi.sqlite3")
    with db:
        db.execute(
            "CREATE TABLE batch_job (id TEXT PRIMARY KEY, source TEXT NOT NULL, status TEXT NOT NULL, stage TEXT NOT NULL,"
            " done INTEGER NOT NULL DEFAULT 0, total INTEGER, message TEXT, created REAL NOT NULL, finished REAL, info TEXT)"
        )
        db.execute(
            "INSERT INTO batch_job (id, source, status, stage, created) VALUES ('old', '登记表.xlsx', 'failed', 'failed', ?)",
            (time.time(),),
        )
    db.close()
    with TestClient(create_app(engine(), data), raise_server_exceptions=False) as c:
        old = c.get("/api/batch/old").json()
        assert old["status"] == "failed" and old["rerun_of"] is None
        assert old["policies"] is None and old["policies_note"].startswith("本任务的测算政策未记录")
        assert 'id="rerun-of"' not in c.get("/batch/old").text
    with sqlite3.connect(data / "huiqi.sqlite3") as db:
        have = {row[1] for row in db.execute("PRAGMA table_info(batch_job)")}
    assert {"host", "pid", "owner", "heartbeat", "rerun_of", "policies"} <= have


def test_a_full_queue_refuses_new_jobs_until_one_starts(tmp_path: Path, worker: subprocess.Popen[bytes]) -> None:
    """Twenty jobs waiting (another live worker's): an upload or a rerun is refused with 503 and keeps
    nothing on disk; queued jobs of a stopped server do not count, and one fewer waiting lets it in."""
    data = tmp_path / "data"
    for i in range(batchjobs.MAX_QUEUED):
        _insert(data, f"wait{i:02d}", "queued", host=HOST, pid=worker.pid, owner="w2", heartbeat=time.time())
    _insert(data, "dead", "queued", host=HOST, pid=_dead_pid(), owner="w3", heartbeat=time.time() - DAY)
    _insert(data, "old", "done")
    _files(data, "old")
    path = write_register(tmp_path / "登记表.xlsx", scenarios())
    upload = {"files": {"file": (path.name, path.read_bytes(), XLSX)}, "data": {"as_of": AS_OF}}
    with TestClient(create_app(engine(), data), raise_server_exceptions=False) as c:
        for r in (c.post("/api/batch", **upload), c.post("/api/batch/old/rerun")):
            assert r.status_code == 503
            assert r.json()["error"] == "已有20个名单测算任务在排队等待，暂不接收新任务；请等前面的任务完成后再提交"
        assert sorted(p.name for p in (data / "batch").iterdir()) == ["old"]
        assert (_row(data, "dead") or ("",))[0] == "failed"
        with ScenarioStore(data).connect() as db:
            db.execute("UPDATE batch_job SET status = 'running' WHERE id = 'wait00'")
        r = c.post("/api/batch", **upload)
        assert r.status_code == 202


def _overview(content: bytes) -> dict[Any, Any]:
    import io

    from openpyxl import load_workbook

    rows = load_workbook(io.BytesIO(content), read_only=True)["汇总"].iter_rows(values_only=True)
    return {row[0]: row[1] for row in rows if row and row[0]}


def test_a_job_shows_the_policies_it_ran_on_after_a_restart_on_other_policies(tmp_path: Path) -> None:
    """``huiqi serve --policies A``, a job, then ``--policies B`` on the same data folder: the job's
    export said 政策文件夹 B of numbers computed with A, and its JSON named no policies at all. Now
    the job keeps its own (the folder and a fingerprint of its files), and says they differ from the
    server's; a job recorded before they were says 未记录 rather than the server's folder."""
    import shutil
    import sqlite3

    from huiqi.policyfile import DEFAULT_POLICY_DIR

    folders = {name: tmp_path / name for name in ("A", "B")}
    folders["A edited"] = tmp_path / "edited" / "A"  # A's name, one file changed
    for folder in folders.values():
        shutil.copytree(DEFAULT_POLICY_DIR, folder, ignore=shutil.ignore_patterns("examples"))
    with (folders["A edited"] / "wuzhong-2025.yaml").open("a", encoding="utf-8") as fh:
        fh.write("\n# 改动\n")
    data = tmp_path / "data"
    path = write_register(tmp_path / "登记表.xlsx", scenarios())
    with TestClient(create_app(engine(folders["A"]), data), raise_server_exceptions=False) as c:
        r = c.post("/api/batch", files={"file": (path.name, path.read_bytes(), XLSX)}, data={"as_of": AS_OF})
        assert r.status_code == 202, r.text
        done = wait_for_job(c, r.json()["id"])
        assert done["status"] == "done", done
        jid, own = done["id"], done["policies"]
        assert own["folder"] == "A" and len(own["fingerprint"]) == 12 and done["policies_note"] is None
        assert _overview(c.get(f"/batch/{jid}/export.xlsx").content)["政策文件夹"] == "A"
    with TestClient(create_app(engine(folders["B"]), data), raise_server_exceptions=False) as c:
        job = c.get(f"/api/batch/{jid}").json()
        assert job["policies"] == own
        note = "本任务按政策文件夹“A”测算；当前服务使用政策文件夹“B”，与本任务不同"
        assert job["policies_note"] == note
        overview = _overview(c.get(f"/batch/{jid}/export.xlsx").content)
        assert (overview["政策文件夹"], overview["政策版本"], overview["政策提示"]) == ("A", own["fingerprint"], note)
        page = c.get(f"/batch/{jid}").text
        assert f'<p class="notice" id="policies-note" role="status">{note}</p>' in page
        assert f'<p class="muted" id="job-policies">政策：A（版本 {own["fingerprint"]}）</p>' in page
    with TestClient(create_app(engine(folders["A edited"]), data), raise_server_exceptions=False) as c:
        job = c.get(f"/api/batch/{jid}").json()
        assert job["policies"] == own and job["policies_note"].startswith(
            f"本任务按政策文件夹“A”测算（版本{own['fingerprint']}）；当前服务使用的政策文件夹“A”已改动（版本"
        )
    with sqlite3.connect(data / "huiqi.sqlite3") as db:  # as a job of an earlier version left it
        db.execute("UPDATE batch_job SET policies = NULL WHERE id = ?", (jid,))
    db.close()
    with TestClient(create_app(engine(folders["B"]), data), raise_server_exceptions=False) as c:
        job = c.get(f"/api/batch/{jid}").json()
        assert job["policies"] is None
        assert job["policies_note"] == "本任务的测算政策未记录（较早版本的任务），未必是当前服务使用的政策文件夹“B”"
        overview = _overview(c.get(f"/batch/{jid}/export.xlsx").content)
        assert overview["政策文件夹"] == "未记录" and "政策版本" not in overview
        assert overview["政策提示"] == job["policies_note"]
