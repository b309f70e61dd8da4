"""名单测算 (免申即享) in the web app: an uploaded register run as a background job.

An upload is checked at once (is it an Excel workbook, CSV or Parquet register
at all?) and saved under ``<data>/batch/<id>/``; the job id and its progress
live in the SQLite store, so any worker process can answer the status and the
results.  The job itself runs in a thread of the process that received the
upload and calls the same public functions as ``huiqi batch``: a CSV/Parquet
register of more than ``REFERENCE_MAX_EVENTS`` event rows (a workbook of more
than ``REFERENCE_MAX_XLSX_BYTES``) goes through
``stream.run_stream`` (validated in SQL, evaluated by DuckDB), as ``huiqi batch``
runs it; a smaller register through ``io_read.read_register`` →
``cli_batch.reference_results`` (or the compiled backend above
``REFERENCE_MAX_ENTERPRISES``) → ``io_write.summarise``. The results are kept as
Parquet next to the upload, and the Excel export uses ``io_write.write_results``
(the writer of ``huiqi batch --out x.xlsx``) on the rows shown.

Each queued or running job records its owner (host, pid and a token of the
process) and a heartbeat the owner refreshes every few seconds.  A job whose
owner is gone (pid not alive, or the heartbeat stale) is marked failed when the
store is opened and whenever its status is read, so a server stopped mid-run
leaves a failed job rather than an endless progress bar — while a job another
live worker (``huiqi serve --workers 2``) is running is left alone.  Jobs older
than ``$HUIQI_BATCH_KEEP_DAYS`` days (7 by default; 0 keeps them) are deleted
with their files when the store is opened, when a job is submitted and at most
hourly while statuses are read.

A register that cannot be read fails the job with the reader's message; any other
error is logged with its traceback (logger ``huiqi.web.batchjobs``) and the user
reads that the job failed unexpectedly, with its id to quote to the administrator.

pyarrow, openpyxl and the batch package are imported when a job runs, so the
rest of the web app does not depend on them.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import math
import os
import re
import shutil
import socket
import sqlite3
import threading
import time
import uuid
import zipfile
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.text import brief
from ..service import Engine, InputError, os_error_text, os_reason
from .serving import pid_alive
from .store import DISK_FULL, ScenarioStore, disk_full, store_busy, store_problem

if TYPE_CHECKING:
    import pyarrow as pa

    from ..batch.io_read import Register
    from ..batch.io_write import Summary

__all__ = [
    "FILTERS",
    "KEEP_DAYS_ENV",
    "UNRECORDED",
    "BatchJobs",
    "JobError",
    "UploadError",
    "UploadFile",
    "keep_days_from_env",
    "policy_record",
    "reference_date",
]

# Registers with more enterprises than this run on the compiled backend (DuckDB),
# smaller ones on the reference evaluator (fast to start, progress per enterprise).
REFERENCE_MAX_ENTERPRISES = 20_000
# CSV/Parquet uploads with more event rows than this run as huiqi batch runs them (validated in
# SQL, evaluated by DuckDB: benchmarks/RESULTS.md, thirteenth session); smaller ones are read
# whole, where starting DuckDB's plan would cost more than the reading saves.
REFERENCE_MAX_EVENTS = 20_000
# The same for a workbook, whose rows are not counted before it is parsed: its size instead
# (a typical register takes about 125 bytes per event row, so 2.5 MB ≈ 20,000 rows).
REFERENCE_MAX_XLSX_BYTES = 2_500_000
ERRORS_IN_STATUS = 200
FILTERS = ("document", "article", "department", "payer", "town", "year", "status", "nature", "q")
STAGES = {
    "queued": "排队中",
    "reading": "读取校验",
    "evaluating": "测算",
    "saving": "保存结果",
    "done": "完成",
    "failed": "失败",
}
_SAFE_NAME = re.compile(r"[^\w\-.（）()\u4e00-\u9fff]+")
_JOB_ID = re.compile(r"[0-9A-Za-z_-]{1,64}")
ACTIVE = ("queued", "running")
# The owner of a queued or running job refreshes its heartbeat this often; a job
# whose heartbeat is older than STALE_SECONDS has no live owner.
HEARTBEAT_SECONDS = 10.0
STALE_SECONDS = 60.0
PURGE_EVERY_SECONDS = 3600.0
KEEP_DAYS_ENV = "HUIQI_BATCH_KEEP_DAYS"
# Jobs waiting for their turn, over all workers (each runs one at a time): a new upload or rerun
# beyond this is refused with 503 instead of keeping its files on disk for hours.
MAX_QUEUED = 20
DEFAULT_KEEP_DAYS = 7.0
# A finished job's files under <data>/batch/<id>/, read by its results, its page and its export.
RESULT_FILES = ("results.parquet", "payers.parquet", "register.json")
# The keys of a finished job's status from its run (``_execute``'s info): null in any other job's.
RESULT_KEYS = (
    "engine",
    "as_of",
    "counts",
    "rows_read",
    "rows_rejected",
    "enterprises_evaluated",
    "events_evaluated",
    "events_after_as_of",
    "enterprises_with_awards",
    "enterprises_without_results",
    "results",
    "total",
    "quotas",
    "errors_total",
    "errors",
)
FILES_LOST = "结果文件已丢失（可能数据目录未完整备份），请重新上传名单"
# The final status of a job (done or failed) is written again this many times, this far apart,
# while another process holds the database past its busy timeout; progress writes are not.
FINAL_ATTEMPTS = 3
FINAL_RETRY_SECONDS = 2.0
_LOG = logging.getLogger(__name__)


class UploadError(Exception):
    """An upload refused before a job starts: Chinese message, HTTP status and, for the JSON's
    ``code``, a short English name of the refusal (``None``: the app names it by its status)."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


class JobError(UploadError):
    """A request about an existing job refused (unknown job, job still running)."""


@dataclass(frozen=True, slots=True)
class UploadFile:
    name: str
    content: bytes


def _safe_name(name: str, fallback: str) -> str:
    base = Path(name.replace("\\", "/")).name.strip()
    base = _SAFE_NAME.sub("_", base).lstrip(".")
    if len(base.encode("utf-8")) > _MAX_NAME_BYTES:  # a file system takes 255 bytes: a longer name was a 503
        suffix = Path(base).suffix if len(Path(base).suffix) <= 16 else ""
        stem = base[: len(base) - len(suffix)].encode("utf-8")[: _MAX_NAME_BYTES - len(suffix)].decode("utf-8", "ignore")
        base = stem + suffix
    return base or fallback


_MAX_NAME_BYTES = 200


def _sheet_key(stem: str) -> str | None:
    from ..batch.io_read import sheet_for

    return sheet_for(stem)  # as the register reader finds files: Events.CSV is events.csv


_FORMAT_HELP = (
    "请上传Excel登记表（.xlsx，工作表：企业、事项、资质、已获奖补），"
    "或CSV/Parquet文件（企业.csv、事项.csv…或enterprises.parquet、events.parquet…，可一起打包为.zip）"
)


BOMB_RATIO = 100  # a register's workbook or zip unpacks to 5-20 times its size; a crafted one to hundreds
BOMB_FLOOR = 50_000_000  # below this many unpacked bytes any ratio is let through


def _unpacked(name: str, z: zipfile.ZipFile, packed: int, max_bytes: int | None) -> None:
    """Refuse a zip (or a workbook, which is one) whose contents are far larger than it: 762 KB of
    workbook holding 196 MB of sheets took 19 s and 800 MB of the server for nothing useful. A zip
    of CSV/Parquet files may unpack to ``max_bytes`` × 10 at most; a workbook has no such bound (an
    18.8 MB one of 640,000 events unpacks to 268 MB, 14 times its size), only the ratio."""
    total = sum(i.file_size for i in z.infolist() if not i.is_dir())
    if max_bytes is not None and total > max_bytes * 10:
        raise UploadError(413, f"“{name}”解压后过大（上限{max_bytes * 10 // 1_000_000}MB）")
    if total > BOMB_FLOOR and total > BOMB_RATIO * packed:
        raise UploadError(
            413,
            f"“{name}”解压后{total / 1_000_000:.0f}MB，是文件本身的{total // max(packed, 1)}倍，远超正常登记表"
            f"（约5～20倍）；请检查文件是否为登记表",
        )


def _place(files: list[UploadFile], folder: Path, max_bytes: int) -> Path:
    """Save the uploaded files as a register under ``folder``; the path to read."""
    folder.mkdir(parents=True, exist_ok=True)
    if len(files) == 1 and files[0].name.lower().endswith((".xlsx", ".xlsm")):
        f = files[0]
        if not f.content.startswith(b"PK\x03\x04"):
            raise UploadError(
                400, f"“{f.name}”不是有效的Excel工作簿（.xlsx）：文件内容不是Excel格式。{_FORMAT_HELP}", "invalid_register"
            )
        try:
            with zipfile.ZipFile(_bytes_io(f.content)) as z:
                _unpacked(f.name, z, len(f.content), None)
        except zipfile.BadZipFile:
            raise UploadError(
                400, f"“{f.name}”不是有效的Excel工作簿（.xlsx）：文件已损坏。{_FORMAT_HELP}", "invalid_register"
            ) from None
        path = folder / _safe_name(f.name, "登记表.xlsx")
        path.write_bytes(f.content)
        return path
    tables = folder / "register"
    tables.mkdir(exist_ok=True)
    members: list[tuple[str, bytes]] = []
    for f in files:
        lower = f.name.lower()
        if lower.endswith(".zip"):
            try:
                with zipfile.ZipFile(_bytes_io(f.content)) as z:
                    _unpacked(f.name, z, len(f.content), max_bytes)
                    for info in z.infolist():
                        if info.is_dir() or info.filename.startswith("__MACOSX"):
                            continue
                        members.append((Path(info.filename).name, z.read(info)))
            except zipfile.BadZipFile:
                raise UploadError(400, f"“{f.name}”不是有效的zip压缩包。{_FORMAT_HELP}") from None
        elif lower.endswith((".xlsx", ".xlsm")):
            raise UploadError(400, "Excel登记表请单独上传一个.xlsx文件（一个工作簿含企业、事项等工作表）")
        else:
            members.append((f.name, f.content))
    kinds: set[str] = set()
    placed: dict[str, str] = {}  # sheet → the name of its file: a second file for a sheet would replace or hide the first
    for name, content in members:
        safe = _safe_name(name, "")
        stem, _, suffix = safe.rpartition(".")
        suffix = suffix.lower()
        if suffix not in ("csv", "parquet"):
            raise UploadError(400, f"无法识别的文件“{name}”。{_FORMAT_HELP}")
        key = _sheet_key(stem)
        if key is None:
            raise UploadError(
                400,
                f"文件名“{name}”不是登记表的表名：应为 企业/enterprises、事项/events、资质/qualifications、已获奖补/prior_awards 加 .{suffix}",
            )
        if key in placed:
            from ..batch.io_read import SHEET_LABEL

            raise UploadError(
                400, f"“{name}”与“{placed[key]}”是同一张表（{SHEET_LABEL[key]}）；每张表只上传一个文件，请合并后再上传"
            )
        placed[key] = name
        if suffix == "parquet" and not content.startswith(b"PAR1"):
            raise UploadError(400, f"“{name}”不是有效的Parquet文件")
        if suffix == "csv":
            try:
                content.decode("utf-8-sig")
            except UnicodeDecodeError:
                try:
                    content.decode("gb18030")
                except UnicodeDecodeError:
                    raise UploadError(400, f"“{name}”不是文本CSV文件（应为UTF-8或GB18030编码）") from None
        kinds.add(suffix)
        (tables / f"{stem.strip()}.{suffix}").write_bytes(content)  # found by that name (io_read._find_files)
    if not members:
        raise UploadError(400, f"没有收到登记表文件。{_FORMAT_HELP}")
    if len(kinds) > 1:
        raise UploadError(400, "请只上传一种格式：全部为CSV，或全部为Parquet")
    if _sheet_key_present(tables) is False:
        raise UploadError(400, "缺少企业表：应有 企业.csv 或 enterprises.csv（Parquet同理）")
    return tables


def _sheet_key_present(folder: Path) -> bool:
    return any(_sheet_key(p.stem) == "enterprises" for p in folder.iterdir())


def _bytes_io(content: bytes) -> Any:
    import io

    return io.BytesIO(content)


def _named(message: str, path: Path, shown: str) -> str:
    """A reader's message about the upload saved at ``path`` with the names the user gave: the
    upload as ``shown``, any other file of its folder by its name alone (the server's folders
    are no one's business; replacing the folder first left "/登记表.xlsx")."""
    return message.replace(str(path), shown).replace(f"{path.parent}{os.sep}", "").replace(str(path.parent), shown)


def _check_readable(path: Path, shown: str) -> None:
    """Open the register as ``huiqi batch`` would and look at its 企业 sheet header."""
    from ..batch.io_read import RegisterError, read_rows

    try:
        _, sheets = read_rows(path)
        try:
            first = next(sheets, None)
        finally:
            close = getattr(sheets, "close", None)
            if close is not None:
                close()
    except RegisterError as exc:
        text = _named(str(exc), path, shown)
        if text.startswith("无法读取Excel文件"):
            text = f"“{shown}”不是有效的Excel工作簿（.xlsx），无法打开"
        raise UploadError(400, f"{text}。{_FORMAT_HELP}") from None
    except Exception:  # a broken file the reader does not name
        raise UploadError(400, f"无法读取“{shown}”。{_FORMAT_HELP}") from None
    if first is None:
        raise UploadError(400, f"“{shown}”中没有企业表。{_FORMAT_HELP}")


# --- the job record in SQLite --------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batch_job (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    stage TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER,
    message TEXT,
    created REAL NOT NULL,
    finished REAL,
    info TEXT,
    host TEXT,
    pid INTEGER,
    owner TEXT,
    heartbeat REAL,
    rerun_of TEXT,
    unit TEXT,
    policies TEXT
)
"""
# Columns added after the first release: added to an older store when it is opened. Code that
# predates one leaves it NULL (a rerun it makes names no original), so no schema version is needed.
_ADDED_COLUMNS = {
    "host": "TEXT",
    "pid": "INTEGER",
    "owner": "TEXT",
    "heartbeat": "REAL",
    "rerun_of": "TEXT",
    "unit": "TEXT",
    "policies": "TEXT",  # the policies the job runs on (policy_record, JSON); NULL: a job of an earlier version
}


def _migrate(db: sqlite3.Connection) -> None:
    db.execute(_SCHEMA)
    have = {row[1] for row in db.execute("PRAGMA table_info(batch_job)")}
    for name, kind in _ADDED_COLUMNS.items():
        if name in have:
            continue
        try:
            db.execute(f"ALTER TABLE batch_job ADD COLUMN {name} {kind}")
        except sqlite3.OperationalError as exc:  # another worker added it first
            if "duplicate column" not in str(exc):
                raise


# --- the policies a job runs on ---------------------------------------------------------------

UNRECORDED = "未记录"  # the policies of a job recorded before they were


def policy_fingerprint(policy_dir: Path) -> str | None:
    """A short hash of the files the library is read from (the policy files at the top of the folder,
    plan data excepted, and the fact catalogue ``facts/*.yaml``), so that an edited folder of the same
    name is told apart; ``None`` when a file cannot be read."""
    files = [p for p in sorted(policy_dir.glob("*.yaml")) if not p.name.endswith("-plan.yaml")]
    files += sorted((policy_dir / "facts").glob("*.yaml"))
    digest = hashlib.sha256()
    try:
        for path in files:
            digest.update(path.relative_to(policy_dir).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    except OSError:
        return None
    return digest.hexdigest()[:12]


def policy_record(policy_dir: Path) -> dict[str, str | None]:
    """The policies a job runs on, as its record keeps them: the folder as the web app names it (its
    name, or （内置政策）: not where it is on the server, as ``io_write.run_notes`` names it in the
    export) and its fingerprint (:func:`policy_fingerprint`)."""
    from ..policyfile import DEFAULT_POLICY_DIR

    bundled = policy_dir.resolve() == DEFAULT_POLICY_DIR.resolve()
    return {"folder": "（内置政策）" if bundled else policy_dir.name, "fingerprint": policy_fingerprint(policy_dir)}


def _policies_named(record: dict[str, Any]) -> str:
    folder = str(record.get("folder") or "")
    return "内置政策" if folder == "（内置政策）" else f"政策文件夹“{folder}”"


def policies_note(job: dict[str, Any] | None, current: dict[str, Any]) -> str | None:
    """What a job's page and export say when the server's policies are not those the job ran on
    (``job``: its record, ``None`` when it has none); ``None`` when they are the same."""
    now = _policies_named(current)
    if job is None:
        return f"本任务的测算政策{UNRECORDED}（较早版本的任务），未必是当前服务使用的{now}"
    if job.get("folder") != current.get("folder"):
        return f"本任务按{_policies_named(job)}测算；当前服务使用{now}，与本任务不同"
    if job.get("fingerprint") != current.get("fingerprint"):
        return (
            f"本任务按{_policies_named(job)}测算（版本{job.get('fingerprint') or UNRECORDED}）；"
            f"当前服务使用的{now}已改动（版本{current.get('fingerprint') or UNRECORDED}），与本任务不同"
        )
    return None


def _unknown(job_id: str) -> JobError:
    return JobError(404, f"找不到编号为“{job_id}”的名单测算任务；可能已被删除，或已超过保留期限被自动清理", "unknown_job")


def _not_saved(exc: OSError, folder: Path, error: type[UploadError], full: str, failed: str) -> UploadError:
    """A job's files that could not be written to ``folder`` (removed): logged with the path, said
    without it — 507 when the disk is full (``full``: what could not be done), else 503 (``failed``)."""
    shutil.rmtree(folder, ignore_errors=True)
    _LOG.error("files not written under %s: %s", folder, os_error_text(exc))
    if disk_full(exc):
        return error(507, f"{DISK_FULL}，{full}；请稍后重试或联系管理员")
    return error(503, f"服务器无法{failed}（{os_reason(exc)}）；请联系管理员")


def reference_date(text: str) -> date | None:
    """A 测算基准日 as a form or a request gives it: blank for today, else YYYY-MM-DD
    (``ValueError`` with the Chinese message otherwise)."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"测算基准日“{text}”不是有效日期（应为YYYY-MM-DD）") from None


MAX_UPLOAD_ENV = "HUIQI_MAX_UPLOAD_MB"


def upload_limit(text: str, source: str) -> int:
    """The bytes a register upload may have, from a limit written in MB (``50``, ``0.5``); ``source``
    (``--max-upload``, the environment variable) names where a limit that is no positive number came from."""
    try:
        megabytes = Decimal(text.strip())
    except ArithmeticError:
        megabytes = Decimal(-1)
    if not megabytes.is_finite() or megabytes <= 0 or megabytes > 1_000_000:
        raise InputError(f"{source}应为名单测算上传文件的大小上限（MB，正数，如50），而不是“{brief(text)}”")
    return int(megabytes * 1_000_000)


def max_upload_from_env(default: int) -> int:
    """``$HUIQI_MAX_UPLOAD_MB``, the limit ``huiqi serve --max-upload`` passes to its workers; ``default``
    when unset."""
    text = os.environ.get(MAX_UPLOAD_ENV, "").strip()
    return upload_limit(text, f"环境变量{MAX_UPLOAD_ENV}") if text else default


def keep_days_from_env() -> float:
    """``$HUIQI_BATCH_KEEP_DAYS``: how many days jobs are kept (7 by default; 0 keeps them for ever)."""
    text = os.environ.get(KEEP_DAYS_ENV, "").strip()
    if not text:
        return DEFAULT_KEEP_DAYS
    try:
        days = float(text)
    except ValueError:
        days = math.nan
    if not math.isfinite(days) or days < 0:
        raise InputError(f"环境变量{KEEP_DAYS_ENV}应为名单测算任务的保留天数（如7，可为小数；0为不自动删除），而不是“{text}”")
    return days


# Jobs queued or running in this process, and this process's token: a job is
# this process's own only if it carries the token (a new process may get the pid
# of a dead one).
_LIVE: set[str] = set()
_LIVE_LOCK = threading.Lock()
_TOKEN: tuple[int, str] = (0, "")


def _owner_token() -> str:
    global _TOKEN
    if _TOKEN[0] != os.getpid():
        _TOKEN = (os.getpid(), uuid.uuid4().hex)
    return _TOKEN[1]


def _owner_alive(job_id: str, recorded: tuple[Any, ...], now: float) -> bool:
    """Whether a live process of this server works on a queued or running job (``recorded``: host, pid, owner, heartbeat)."""
    host, pid, owner, heartbeat = recorded
    if owner is None or pid is None or heartbeat is None:
        return False  # recorded before owners were recorded: its server has since restarted
    if host == socket.gethostname() and pid == os.getpid():
        with _LIVE_LOCK:
            return owner == _owner_token() and job_id in _LIVE
    if now - heartbeat > STALE_SECONDS:
        return False
    return host != socket.gethostname() or pid_alive(pid)


def _iso(timestamp: float | None) -> str | None:
    """A recorded time as ISO 8601 in the server's time zone, with its offset (2026-01-05T09:30:12+08:00)."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp).astimezone().isoformat(timespec="seconds")


def _unexpected(job_id: str) -> str:
    """What the user reads when a job fails on an error of the program, not of the register."""
    return f"测算中出现意外的程序错误，任务未能完成；上传的登记表没有被修改。请将任务编号 {job_id} 告知管理员以便排查。"


def _interrupted(stage: str) -> str:
    return f"服务在测算过程中停止（当时处于“{STAGES.get(stage, stage)}”阶段），请重新上传名单。"


class BatchJobs:
    """Uploads, background runs, status in SQLite, results as Parquet files."""

    def __init__(self, eng: Engine, store: ScenarioStore, max_upload: int, keep_days: float | None = None) -> None:
        """``keep_days``: jobs older than this are deleted with their files (default ``$HUIQI_BATCH_KEEP_DAYS`` or 7; 0 keeps them)."""
        self.engine = eng
        self._compiled: bool | None = None  # whether the DuckDB engine can evaluate its library (_compiles)
        self.store = store
        # the policies of every job this process runs, read once: the engine's library is loaded once too
        self.policies = policy_record(eng.policy_dir)
        self.max_upload = max_upload
        self.keep_days = keep_days_from_env() if keep_days is None else keep_days
        self.root = store.path.parent / "batch"
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="huiqi-batch")
        self._cache: OrderedDict[str, tuple[pa.Table, pa.Table]] = OrderedDict()
        self._lock = threading.Lock()
        self._beat: threading.Thread | None = None
        self._last_purge = 0.0
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with store.connect() as db:
                _migrate(db)
            self.reap()
            self.purge()
        except (sqlite3.Error, OSError) as exc:  # said before the server starts, not as a traceback
            raise InputError(
                f"数据目录{store.path.parent}无法使用：{store_problem(exc)}（--data 或 $HUIQI_DATA 指定数据目录）"
            ) from None

    # --- records

    def _set(self, job_id: str, **values: Any) -> None:
        cols = ", ".join(f"{k} = ?" for k in values)
        with self.store.connect() as db:
            db.execute(f"UPDATE batch_job SET {cols} WHERE id = ?", (*values.values(), job_id))

    def _progress(self, job_id: str, **values: Any) -> None:
        """A stage or progress count, written if it can be: a database locked by another process
        (a backup, ``sqlite3`` at the console) past the busy timeout does not stop the job."""
        try:
            self._set(job_id, **values)
        except sqlite3.Error as exc:
            _LOG.warning("batch job %s: progress not recorded (%s: %s); the job goes on", job_id, type(exc).__name__, exc)

    def _finish(self, job_id: str, **values: Any) -> None:
        """The job's final status, tried again while the database is locked; the last error raised."""
        for attempt in range(1, FINAL_ATTEMPTS + 1):
            try:
                self._set(job_id, **values)
                return
            except sqlite3.Error as exc:
                if attempt == FINAL_ATTEMPTS or not store_busy(exc):
                    raise
                _LOG.warning("batch job %s: final status not recorded yet (%s), trying again", job_id, exc)
                time.sleep(FINAL_RETRY_SECONDS)

    def _fail(self, job_id: str, message: str) -> None:
        try:
            self._finish(job_id, status="failed", stage="failed", message=message, finished=time.time())
        except sqlite3.Error:  # the next look at the job marks it failed (its owner no longer runs it)
            _LOG.exception("batch job %s: its failure (%s) could not be recorded", job_id, message)

    def _row(self, job_id: str) -> tuple[Any, ...] | None:
        with self.store.connect() as db:
            row: tuple[Any, ...] | None = db.execute(
                "SELECT id, source, status, stage, done, total, message, created, finished, info,"
                " host, pid, owner, heartbeat, rerun_of, unit, policies FROM batch_job WHERE id = ?",
                (job_id,),
            ).fetchone()
        return row

    def status(self, job_id: str) -> dict[str, Any] | None:
        self._maybe_purge()
        row = self._row(job_id)
        # A heartbeat written between reading the row and failing it (this process's
        # beat thread may still be finishing a write for a job it has just dropped)
        # makes the guarded update miss: look again, a few times at most.
        for _ in range(3):
            if row is None or row[2] not in ACTIVE or _owner_alive(job_id, row[10:14], time.time()):
                break
            if self._fail_dead([(job_id, row[3], *row[10:14])]):
                row = self._row(job_id)
                break
            row = self._row(job_id)
        if row is None:
            return None
        jid, source, status, stage, done, total, message, created, finished, info = row[:10]
        lost = status == "done" and not all((self.root / jid / name).is_file() for name in RESULT_FILES)
        if lost:  # the database restored without batch/: the job is no longer done
            status, stage, message = "failed", "failed", FILES_LOST
        out: dict[str, Any] = {
            "id": jid,
            "source": source,
            "status": status,
            "stage": stage,
            "stage_label": STAGES.get(stage, stage),
            # what done/total count changes with the stage (rows read, then enterprises or chunks evaluated)
            "progress": {
                "done": done,
                "total": total,
                "unit": row[15] or ("enterprises" if status == "done" else None),
                "stage": stage,
            },
            "message": message,
            "seconds": round((finished or time.time()) - created, 1),
            "created": _iso(created),
            "finished": _iso(finished),
            "expires": _iso(created + self.keep_days * 86_400) if self.keep_days > 0 else None,
        }
        # every job has the keys of a finished one (null where they do not apply yet, or at all)
        out.update(dict.fromkeys(RESULT_KEYS))
        if info:
            out.update(json.loads(info))
        out["files_lost"] = lost
        out["rerun_of"] = row[14]
        # the policies the job ran on (null: not recorded, a job of an earlier version), and what
        # differs from the policies this server evaluates on now (null: nothing)
        own = json.loads(row[16]) if row[16] else None
        out["policies"] = own
        out["policies_note"] = policies_note(own, self.policies)
        return out

    # --- jobs whose server stopped, old jobs, deleting

    def reap(self) -> list[str]:
        """Mark failed every queued or running job that no live process works on; their ids."""
        with self.store.connect() as db:
            rows = db.execute(
                "SELECT id, stage, host, pid, owner, heartbeat FROM batch_job WHERE status IN (?, ?)", ACTIVE
            ).fetchall()
        now = time.time()
        return self._fail_dead([r for r in rows if not _owner_alive(r[0], tuple(r[2:]), now)])

    def _fail_dead(self, rows: list[tuple[Any, ...]]) -> list[str]:
        failed = []
        now = time.time()
        with self.store.connect() as db:
            for job_id, stage, _host, _pid, owner, heartbeat in rows:
                # only if nobody took it up or beat in the meantime
                cur = db.execute(
                    "UPDATE batch_job SET status = 'failed', stage = 'failed', message = ?, finished = ?"
                    " WHERE id = ? AND status IN (?, ?) AND owner IS ? AND heartbeat IS ?",
                    (_interrupted(stage), now, job_id, *ACTIVE, owner, heartbeat),
                )
                if cur.rowcount:
                    failed.append(job_id)
        return failed

    def purge(self, now: float | None = None) -> list[str]:
        """Delete the jobs (and their folders) created more than ``keep_days`` ago; their ids.

        Queued or running jobs with a live owner are kept; folders under ``batch/``
        that belong to no job are deleted once they are as old."""
        now = time.time() if now is None else now
        self._last_purge = now
        if self.keep_days <= 0:
            return []
        self.reap()
        cutoff = now - self.keep_days * 86_400
        with self.store.connect() as db:
            old = [
                r[0] for r in db.execute("SELECT id FROM batch_job WHERE created < ? AND status NOT IN (?, ?)", (cutoff, *ACTIVE))
            ]
        removed = [job_id for job_id in old if self._remove(job_id)]
        with self.store.connect() as db:
            known = {r[0] for r in db.execute("SELECT id FROM batch_job")}
        for folder in self.root.iterdir():
            try:
                stray = folder.name not in known and folder.stat().st_mtime < cutoff
            except OSError:
                continue
            if stray and folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
            elif stray:
                folder.unlink(missing_ok=True)
        return removed

    def _maybe_purge(self) -> None:
        if time.time() - self._last_purge >= PURGE_EVERY_SECONDS:
            self.purge()

    def _remove(self, job_id: str) -> bool:
        """Delete a job that is not queued or running, then its folder; whether it was deleted."""
        with self.store.connect() as db:
            cur = db.execute("DELETE FROM batch_job WHERE id = ? AND status NOT IN (?, ?)", (job_id, *ACTIVE))
        if not cur.rowcount:
            return False
        with self._lock:
            self._cache.pop(job_id, None)
        if _JOB_ID.fullmatch(job_id):
            shutil.rmtree(self.root / job_id, ignore_errors=True)
        return True

    def delete(self, job_id: str) -> None:
        """Delete a finished or failed job and its files; ``JobError`` 404 or 409 otherwise."""
        status = self.status(job_id)
        if status is not None and status["status"] in ACTIVE:
            raise JobError(409, f"任务{job_id}正在{status['stage_label']}，不能删除；请等测算完成或失败后再删除", "job_running")
        if status is None or not self._remove(job_id):
            raise _unknown(job_id)

    # --- heartbeat of this process's jobs

    def _start_beating(self) -> None:
        """Called with ``_LIVE_LOCK`` held, after adding a job to ``_LIVE``."""
        if self._beat is None:
            self._beat = threading.Thread(target=self._beating, name="huiqi-batch-heartbeat", daemon=True)
            self._beat.start()

    def _beating(self) -> None:
        while True:
            time.sleep(HEARTBEAT_SECONDS)
            with _LIVE_LOCK:
                if not _LIVE:
                    self._beat = None
                    return
                ids = sorted(_LIVE)
            marks = ", ".join("?" * len(ids))
            try:
                with self.store.connect() as db:
                    db.execute(
                        f"UPDATE batch_job SET heartbeat = ? WHERE owner = ? AND id IN ({marks})",
                        (time.time(), _owner_token(), *ids),
                    )
            except sqlite3.Error:  # busy for a moment: the next beat is in time
                continue

    # --- submitting

    def submit(self, files: list[UploadFile], as_of: date | None) -> str:
        if importlib.util.find_spec("pyarrow") is None or importlib.util.find_spec("openpyxl") is None:
            raise UploadError(503, "名单测算需要批量测算组件：请安装 huiqi[batch]（pyarrow、openpyxl）后重启服务")
        total = sum(len(f.content) for f in files)
        if total > self.max_upload:
            raise UploadError(413, self.too_large())
        self._room_in_queue()
        self.purge()
        job_id = uuid.uuid4().hex[:12]
        folder = self.root / job_id
        try:
            path = _place(files, folder, self.max_upload)
            shown = files[0].name if len(files) == 1 else "、".join(f.name for f in files)
            _check_readable(path, files[0].name if path.is_file() else path.name)
        except OSError as exc:  # the disk full, the data folder made read-only: the server's path is not the user's business
            raise _not_saved(exc, folder, UploadError, "上传的文件无法保存", "保存上传的文件") from None
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self._queue(job_id, path, shown, as_of)
        return job_id

    def _room_in_queue(self) -> None:
        """Refuse a new job (503) while ``MAX_QUEUED`` jobs wait, those of stopped servers not counted."""
        self.reap()
        with self.store.connect() as db:
            waiting = db.execute("SELECT COUNT(*) FROM batch_job WHERE status = 'queued'").fetchone()[0]
        if waiting >= MAX_QUEUED:
            raise UploadError(
                503, f"已有{waiting}个名单测算任务在排队等待，暂不接收新任务；请等前面的任务完成后再提交", "queue_full"
            )

    def _queue(self, job_id: str, path: Path, shown: str, as_of: date | None, rerun_of: str | None = None) -> None:
        """Record job ``job_id`` on the register saved at ``path`` (in its folder) and queue it
        (``rerun_of``: the job whose upload it reruns)."""
        now = time.time()
        day = as_of or date.today()
        with _LIVE_LOCK:
            _LIVE.add(job_id)
            self._start_beating()
        try:
            with self.store.connect() as db:
                # the reference date from the start (the status of a queued, running or failed job
                # says it, and a rerun without one keeps it); the finished job's info replaces it
                db.execute(
                    "INSERT INTO batch_job (id, source, status, stage, created, info, host, pid, owner, heartbeat, rerun_of,"
                    " policies) VALUES (?, ?, 'queued', 'queued', ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        job_id,
                        shown,
                        now,
                        json.dumps({"as_of": day.isoformat()}),
                        socket.gethostname(),
                        os.getpid(),
                        _owner_token(),
                        now,
                        rerun_of,
                        json.dumps(self.policies, ensure_ascii=False),
                    ),
                )
            self._pool.submit(self._run, job_id, path, shown, day)
        except BaseException:
            with _LIVE_LOCK:
                _LIVE.discard(job_id)
            shutil.rmtree(self.root / job_id, ignore_errors=True)  # no job (or none to run it): no upload kept for it
            raise

    def rerun(self, job_id: str, as_of: date | None) -> str:
        """A new job on the register uploaded for ``job_id`` (finished or failed), on the policies the
        server has now and reference date ``as_of`` (today when ``None``); the new job's id. The old
        job is kept. ``JobError`` 404 (unknown), 409 (still queued or running), 410 (upload gone)."""
        status = self.status(job_id)
        if status is None or not _JOB_ID.fullmatch(job_id):
            raise _unknown(job_id)
        if status["status"] in ACTIVE:
            raise JobError(409, f"任务{job_id}正在{status['stage_label']}，请等测算完成或失败后再重新测算", "job_running")
        old = self.root / job_id
        uploads = sorted(p for p in old.iterdir() if p.name not in RESULT_FILES) if old.is_dir() else []
        if len(uploads) != 1:
            raise JobError(410, f"任务{job_id}上传的登记表文件已不在服务器上，无法重新测算；请重新上传名单", "job_files_lost")
        self._room_in_queue()
        self.purge()
        new_id = uuid.uuid4().hex[:12]
        folder = self.root / new_id
        try:
            folder.mkdir(parents=True)
            path = folder / uploads[0].name
            if uploads[0].is_dir():
                shutil.copytree(uploads[0], path)
            else:
                shutil.copy2(uploads[0], path)
        except OSError as exc:
            raise _not_saved(exc, folder, JobError, "无法重新测算", "复制上传的文件") from None
        self._queue(new_id, path, status["source"], as_of, rerun_of=job_id)
        return new_id

    def too_large(self) -> str:
        return (
            f"上传的文件过大：上限为{self.max_upload / 1_000_000:g}MB。CSV文件可打包为一个zip上传（通常小得多），"
            "也可将登记表拆分后分批上传；需要更高的上限，请联系系统管理员"
        )

    # --- running

    def _run(self, job_id: str, path: Path, shown: str, as_of: date) -> None:
        try:
            self._execute(job_id, path, shown, as_of)
        except InputError as exc:
            self._fail(job_id, _named(str(exc), path, shown))
        except Exception as exc:  # recorded, never lost in a thread: the traceback for the operator, words for the user
            if disk_full(exc):
                _LOG.error("batch job %s (%s) failed: disk full (%s: %s)", job_id, shown, type(exc).__name__, exc)
                for name in RESULT_FILES:  # what was written of them: the space back
                    with contextlib.suppress(OSError):
                        (self.root / job_id / name).unlink(missing_ok=True)
                self._fail(job_id, f"{DISK_FULL}，测算结果无法保存；请联系管理员清理磁盘后重新上传名单")
            else:
                _LOG.exception("batch job %s (%s) failed unexpectedly", job_id, shown)
                self._fail(job_id, _unexpected(job_id))
        finally:
            with _LIVE_LOCK:
                _LIVE.discard(job_id)

    def _execute(self, job_id: str, path: Path, shown: str, as_of: date) -> None:
        import pyarrow.parquet as pq

        from .batchview import enterprises_without_results, quota_dict

        self._progress(job_id, status="running", stage="reading", unit="rows")
        if _streamed(path) and self._compiles():
            engine_name = "duckdb"
            register, results, payers, summary = self._stream(job_id, path, as_of)
        else:
            engine_name, register, results, payers, summary = self._in_memory(job_id, path, as_of)
        from ..batch.io_write import townless_notice

        # enterprises with money but no 所在镇: their town share is under a placeholder payer (as huiqi batch says)
        if (townless := townless_notice(summary, register.source)) is not None:
            register.errors.append(townless)
        n_ent = register.counts["enterprises"].accepted
        folder = self.root / job_id
        pq.write_table(results, folder / "results.parquet")
        pq.write_table(payers, folder / "payers.parquet")
        meta = _register_meta(register, shown)
        (folder / "register.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        info = {
            "engine": engine_name,
            "as_of": as_of.isoformat(),
            "counts": meta["counts"],
            "rows_read": register.rows_read,
            "rows_rejected": register.rows_rejected,
            "enterprises_evaluated": summary.enterprises_evaluated,
            "events_evaluated": summary.events_evaluated,
            "events_after_as_of": summary.events_after_as_of,
            "enterprises_with_awards": summary.enterprises_with_awards,
            # evaluated, yet in no result row (its events all rejected, or no item applies): 按企业 leaves them out
            "enterprises_without_results": enterprises_without_results(summary.enterprises_evaluated, results),
            "results": summary.statuses(),
            "total": summary.total.to_dict(),
            # the 名额 lines of huiqi batch --json (武进 第1条: more qualify than the places it allows)
            "quotas": quota_dict(self.engine.library, summary),
            "errors_total": len(register.errors) + register.errors_dropped,
            "errors": meta["errors"][:ERRORS_IN_STATUS],
        }
        self._finish(
            job_id,
            status="done",
            stage="done",
            done=n_ent,
            total=n_ent,
            unit="enterprises",
            info=json.dumps(info, ensure_ascii=False),
            finished=time.time(),
        )

    def _compiles(self) -> bool:
        """Whether the DuckDB engine can evaluate the policy folder exactly (an overlap of caps it cannot
        express, in a folder given with ``--policies``, leaves every job to the reference evaluator)."""
        if self._compiled is None:
            from ..batch import cli_batch

            self._compiled = cli_batch.compile_refusal(self.engine) is None
        return self._compiled

    def _in_memory(self, job_id: str, path: Path, as_of: date) -> tuple[str, Register, pa.Table, pa.Table, Summary]:
        """A small register: read whole by ``io_read``, evaluated by the
        reference evaluator (progress per enterprise) or, above REFERENCE_MAX_ENTERPRISES, by the DuckDB backend."""
        from ..batch import cli_batch
        from ..batch.io_read import read_register
        from ..batch.io_write import PayerNames, events_after, quota_places, summarise

        eng = self.engine
        tick = _Ticker(lambda done, total: self._progress(job_id, done=done, total=total))
        register = read_register(path, eng.catalogue, progress=tick.add)
        register.errors.extend(cli_batch.unit_notices(eng, register))
        tick.flush()
        n_ent = register.tables["enterprises"].num_rows
        n_ev = register.tables["events"].num_rows
        self._progress(job_id, stage="evaluating", done=0, total=n_ent, unit="enterprises")
        tick = _Ticker(lambda done, total: self._progress(job_id, done=done, total=total), total=n_ent)
        if n_ent <= REFERENCE_MAX_ENTERPRISES or importlib.util.find_spec("duckdb") is None or not self._compiles():
            engine_name = "reference"
            results, payers, _ = cli_batch.reference_results(eng, register, as_of, tick.add)
        else:
            engine_name = "duckdb"
            results, payers = cli_batch.backend_results("duckdb", eng, register, as_of, None)
        tick.flush()
        self._progress(job_id, stage="saving")
        summary = summarise(results, payers, n_ent, n_ev, PayerNames(eng.library), quota_places(eng.library), as_of)
        summary.events_after_as_of = events_after(register.tables["events"], as_of)
        return engine_name, register, results, payers, summary

    def _stream(self, job_id: str, path: Path, as_of: date) -> tuple[Register, pa.Table, pa.Table, Summary]:
        """A larger register: ``huiqi batch``'s own path (``stream.run_stream``), validated in SQL and
        evaluated by DuckDB; progress counts the rows parsed (CSV, Excel) or validated, then the chunks."""
        from ..batch.stream import run_stream

        read = _Ticker(lambda done, total: self._progress(job_id, done=done, total=total))
        parsed = False
        chunks: _Ticker | None = None

        def progress(stage: str, n: int, total: int | None) -> None:
            nonlocal parsed, chunks
            if stage == "读取":  # CSV or Excel rows parsed; then 校验 counts the same rows again
                parsed = True
                read.add(n)
            elif stage == "校验" and not parsed:
                read.add(n)
            elif stage == "测算（块）":
                if chunks is None:
                    read.flush()
                    self._progress(job_id, stage="evaluating", done=0, total=total, unit="chunks")
                    chunks = _Ticker(lambda done, total: self._progress(job_id, done=done, total=total), total=total)
                chunks.add(n)

        res = run_stream(self.engine, path, as_of, None, progress=progress)
        if chunks is not None:
            chunks.flush()
        self._progress(job_id, stage="saving")
        assert res.results is not None and res.payers is not None  # no output file: the rows come back
        return res.register, res.results, res.payers, res.summary

    # --- results

    def tables(self, job_id: str) -> tuple[pa.Table, pa.Table]:
        """Results and payer rows of a finished job (cached per process)."""
        import pyarrow.parquet as pq

        with self._lock:
            hit = self._cache.get(job_id)
            if hit is not None:
                self._cache.move_to_end(job_id)
                return hit
        folder = self.root / job_id
        try:
            pair = (pq.read_table(folder / "results.parquet"), pq.read_table(folder / "payers.parquet"))
        except FileNotFoundError:
            raise JobError(410, FILES_LOST, "job_files_lost") from None
        with self._lock:
            self._cache[job_id] = pair
            while len(self._cache) > 4:
                self._cache.popitem(last=False)
        return pair

    def register(self, job_id: str) -> Register:
        """The register's counts and problems, as the Excel writer needs them."""
        from ..batch.io_read import Counts, Register, RowError

        try:
            meta = json.loads((self.root / job_id / "register.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise JobError(410, FILES_LOST, "job_files_lost") from None
        return Register(
            source=meta["source"],
            tables={},
            errors=[RowError(**{k: v for k, v in e.items() if k != "message"}) for e in meta["errors"]],
            counts={k: Counts(read=c["read"], rejected=c["rejected"]) for k, c in meta["counts"].items()},
            errors_dropped=meta["errors_dropped"],
        )


def _streamed(path: Path) -> bool:
    """Whether an upload runs on ``stream.run_stream``, when DuckDB is installed: a CSV/Parquet folder
    above REFERENCE_MAX_EVENTS event rows (counted without parsing), a workbook above
    REFERENCE_MAX_XLSX_BYTES."""
    if importlib.util.find_spec("duckdb") is None:
        return False
    if path.is_file():
        return path.stat().st_size > REFERENCE_MAX_XLSX_BYTES
    from ..batch.stream import events_in

    return events_in(path) > REFERENCE_MAX_EVENTS


def _register_meta(register: Register, shown: str) -> dict[str, Any]:
    errors = [e.to_dict() | {"message": e.message()} for e in register.errors]
    return {
        "source": shown,
        "counts": {k: {"read": c.read, "rejected": c.rejected, "accepted": c.accepted} for k, c in register.counts.items()},
        "errors": errors,
        "errors_dropped": register.errors_dropped,
    }


class _Ticker:
    """Progress counts written to SQLite at most five times a second."""

    def __init__(self, write: Any, total: int | None = None) -> None:
        self.write = write
        self.total = total
        self.done = 0
        self.last = 0.0

    def add(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= 0.2:
            self.last = now
            self.write(self.done, self.total)

    def flush(self) -> None:
        self.write(self.done, self.total)
