"""名单测算 (免申即享) in the web app: an uploaded register run as a background job.

An upload is checked at once (is it an Excel workbook, CSV or Parquet register
at all?) and saved under ``<data>/batch/<id>/``; the job id and its progress
live in the SQLite store, so any worker process can answer the status and the
results.  The job itself runs in a thread of the process that received the
upload and calls the same public functions as ``huiqi batch``:
``io_read.read_register`` → ``cli_batch.reference_results`` (or the compiled
backend for large registers) → ``io_write.summarise``; the results are kept as
Parquet next to the upload, and the Excel export uses ``io_write.write_results``
(the writer of ``huiqi batch --out x.xlsx``) on the rows shown.

pyarrow, openpyxl and the batch package are imported when a job runs, so the
rest of the web app does not depend on them.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import threading
import time
import uuid
import zipfile
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..service import Engine, InputError
from .store import ScenarioStore

if TYPE_CHECKING:
    import pyarrow as pa

    from ..batch.io_read import Register

__all__ = ["FILTERS", "BatchJobs", "UploadError", "UploadFile"]

# Registers with more enterprises than this run on the compiled backend (DuckDB),
# smaller ones on the reference evaluator (fast to start, progress per enterprise).
REFERENCE_MAX_ENTERPRISES = 20_000
ERRORS_IN_STATUS = 200
FILTERS = ("document", "article", "department", "payer", "town", "status", "nature", "q")
STAGES = {
    "queued": "排队中",
    "reading": "读取校验",
    "evaluating": "测算",
    "saving": "保存结果",
    "done": "完成",
    "failed": "失败",
}
_SAFE_NAME = re.compile(r"[^\w\-.（）()\u4e00-\u9fff]+")


class UploadError(Exception):
    """An upload refused before a job starts: Chinese message and HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class UploadFile:
    name: str
    content: bytes


def _safe_name(name: str, fallback: str) -> str:
    base = Path(name.replace("\\", "/")).name.strip()
    base = _SAFE_NAME.sub("_", base).lstrip(".")
    return base or fallback


def _sheet_key(stem: str) -> str | None:
    from ..batch.io_read import SHEETS

    return next((k for k, aliases in SHEETS.items() if stem.strip() in aliases), None)


_FORMAT_HELP = (
    "请上传Excel登记表（.xlsx，工作表：企业、事项、资质、已获奖补），"
    "或CSV/Parquet文件（企业.csv、事项.csv…或enterprises.parquet、events.parquet…，可一起打包为.zip）"
)


def _place(files: list[UploadFile], folder: Path, max_bytes: int) -> Path:
    """Save the uploaded files as a register under ``folder``; the path to read."""
    folder.mkdir(parents=True, exist_ok=True)
    if len(files) == 1 and files[0].name.lower().endswith((".xlsx", ".xlsm")):
        f = files[0]
        if not f.content.startswith(b"PK\x03\x04"):
            raise UploadError(400, f"“{f.name}”不是有效的Excel工作簿（.xlsx）：文件内容不是Excel格式。{_FORMAT_HELP}")
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
                    total = 0
                    for info in z.infolist():
                        if info.is_dir() or info.filename.startswith("__MACOSX"):
                            continue
                        total += info.file_size
                        if total > max_bytes * 10:
                            raise UploadError(413, f"压缩包“{f.name}”解压后过大（上限{max_bytes * 10 // 1_000_000}MB）")
                        members.append((Path(info.filename).name, z.read(info)))
            except zipfile.BadZipFile:
                raise UploadError(400, f"“{f.name}”不是有效的zip压缩包。{_FORMAT_HELP}") from None
        elif lower.endswith((".xlsx", ".xlsm")):
            raise UploadError(400, "Excel登记表请单独上传一个.xlsx文件（一个工作簿含企业、事项等工作表）")
        else:
            members.append((f.name, f.content))
    kinds: set[str] = set()
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
        (tables / f"{stem}.{suffix}").write_bytes(content)
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
        text = str(exc).replace(str(path.parent), "").replace(str(path), shown)
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
    info TEXT
)
"""


class BatchJobs:
    """Uploads, background runs, status in SQLite, results as Parquet files."""

    def __init__(self, eng: Engine, store: ScenarioStore, max_upload: int) -> None:
        self.engine = eng
        self.store = store
        self.max_upload = max_upload
        self.root = store.path.parent / "batch"
        self.root.mkdir(parents=True, exist_ok=True)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="huiqi-batch")
        self._cache: OrderedDict[str, tuple[pa.Table, pa.Table]] = OrderedDict()
        self._lock = threading.Lock()
        with store.connect() as db:
            db.execute(_SCHEMA)

    # --- records

    def _set(self, job_id: str, **values: Any) -> None:
        cols = ", ".join(f"{k} = ?" for k in values)
        with self.store.connect() as db:
            db.execute(f"UPDATE batch_job SET {cols} WHERE id = ?", (*values.values(), job_id))

    def status(self, job_id: str) -> dict[str, Any] | None:
        with self.store.connect() as db:
            row = db.execute(
                "SELECT id, source, status, stage, done, total, message, created, finished, info FROM batch_job WHERE id = ?",
                (job_id,),
            ).fetchone()
        if row is None:
            return None
        jid, source, status, stage, done, total, message, created, finished, info = row
        out: dict[str, Any] = {
            "id": jid,
            "source": source,
            "status": status,
            "stage": stage,
            "stage_label": STAGES.get(stage, stage),
            "progress": {"done": done, "total": total},
            "message": message,
            "seconds": round((finished or time.time()) - created, 1),
        }
        if info:
            out.update(json.loads(info))
        return out

    # --- submitting

    def submit(self, files: list[UploadFile], as_of: date | None) -> str:
        if importlib.util.find_spec("pyarrow") is None or importlib.util.find_spec("openpyxl") is None:
            raise UploadError(503, "名单测算需要批量测算组件：请安装 huiqi[batch]（pyarrow、openpyxl）后重启服务")
        total = sum(len(f.content) for f in files)
        if total > self.max_upload:
            raise UploadError(413, self.too_large())
        job_id = uuid.uuid4().hex[:12]
        folder = self.root / job_id
        try:
            path = _place(files, folder, self.max_upload)
            shown = files[0].name if len(files) == 1 else "、".join(f.name for f in files)
            _check_readable(path, files[0].name if path.is_file() else path.name)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        with self.store.connect() as db:
            db.execute(
                "INSERT INTO batch_job (id, source, status, stage, created) VALUES (?, ?, 'queued', 'queued', ?)",
                (job_id, shown, time.time()),
            )
        self._pool.submit(self._run, job_id, path, shown, as_of or date.today())
        return job_id

    def too_large(self) -> str:
        return f"上传的文件过大：上限为{self.max_upload / 1_000_000:g}MB。较大的登记表请使用命令行 huiqi batch，或拆分后分批上传"

    # --- running

    def _run(self, job_id: str, path: Path, shown: str, as_of: date) -> None:
        try:
            self._execute(job_id, path, shown, as_of)
        except InputError as exc:
            msg = str(exc).replace(str(path.parent), "").replace(str(path), shown)
            self._set(job_id, status="failed", stage="failed", message=msg, finished=time.time())
        except Exception as exc:  # recorded, never lost in a thread
            self._set(job_id, status="failed", stage="failed", message=f"测算失败：{type(exc).__name__}", finished=time.time())

    def _execute(self, job_id: str, path: Path, shown: str, as_of: date) -> None:
        import pyarrow.parquet as pq

        from ..batch import cli_batch
        from ..batch.io_read import read_register
        from ..batch.io_write import summarise

        eng = self.engine
        tick = _Ticker(lambda done, total: self._set(job_id, done=done, total=total))
        self._set(job_id, status="running", stage="reading")
        register = read_register(path, eng.catalogue, progress=tick.add)
        tick.flush()
        n_ent = register.tables["enterprises"].num_rows
        n_ev = register.tables["events"].num_rows
        self._set(job_id, stage="evaluating", done=0, total=n_ent)
        tick = _Ticker(lambda done, total: self._set(job_id, done=done, total=total), total=n_ent)
        if n_ent <= REFERENCE_MAX_ENTERPRISES or importlib.util.find_spec("duckdb") is None:
            engine_name = "reference"
            results, payers, _ = cli_batch.reference_results(eng, register, as_of, tick.add)
        else:
            engine_name = "duckdb"
            results, payers = cli_batch.backend_results("duckdb", eng, register, as_of, None)
        tick.flush()
        self._set(job_id, stage="saving")
        summary = summarise(results, payers, n_ent, n_ev)
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
            "enterprises_with_awards": summary.enterprises_with_awards,
            "results": summary.status,
            "total": summary.total.to_dict(),
            "errors_total": len(register.errors) + register.errors_dropped,
            "errors": meta["errors"][:ERRORS_IN_STATUS],
        }
        self._set(
            job_id,
            status="done",
            stage="done",
            done=n_ent,
            total=n_ent,
            info=json.dumps(info, ensure_ascii=False),
            finished=time.time(),
        )

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
        pair = (pq.read_table(folder / "results.parquet"), pq.read_table(folder / "payers.parquet"))
        with self._lock:
            self._cache[job_id] = pair
            while len(self._cache) > 4:
                self._cache.popitem(last=False)
        return pair

    def register(self, job_id: str) -> Register:
        """The register's counts and problems, as the Excel writer needs them."""
        from ..batch.io_read import Counts, Register, RowError

        meta = json.loads((self.root / job_id / "register.json").read_text(encoding="utf-8"))
        return Register(
            source=meta["source"],
            tables={},
            errors=[RowError(**{k: v for k, v in e.items() if k != "message"}) for e in meta["errors"]],
            counts={k: Counts(read=c["read"], rejected=c["rejected"]) for k, c in meta["counts"].items()},
            errors_dropped=meta["errors_dropped"],
        )


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
