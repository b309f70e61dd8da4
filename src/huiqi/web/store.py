"""Saved scenarios in an embedded SQLite database, so a link reopens a calculation.

A scenario is stored as its raw mapping (what ``huiqi evaluate`` reads), keyed
by a short hash of its canonical JSON: saving the same scenario twice gives the
same link.  What is saved is JSON (:func:`storable`), so the app checks that
form before saving it: a link never opens a scenario other than the one saved.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ..service import InputError, os_error_text

__all__ = ["SCHEMA_VERSION", "ScenarioStore", "default_data_dir", "disk_full", "storable", "store_busy", "store_problem"]

# The database's layout, recorded as ``PRAGMA user_version`` when the store is opened: a database
# stamped by a newer version of this code (a rollback after an upgrade) is refused at startup, as its
# tables may hold columns this code does not fill. 0 is a database made before versions were recorded.
SCHEMA_VERSION = 1
DISK_FULL = "服务器磁盘空间不足"
BUSY = "数据库暂时繁忙，请稍后重试"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS scenario (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    created TEXT NOT NULL
)
"""


def storable(raw: Any) -> Any:
    """``raw`` as the JSON the store keeps: a date as YYYY-MM-DD, a date with a time of day (YAML's
    ``2025-12-31T10:00:00``) as its day — all a scenario's dates are read as — and any other value
    JSON has no type for as its text."""
    if isinstance(raw, dict):
        return {str(k): storable(v) for k, v in raw.items()}
    if isinstance(raw, (list, tuple)):
        return [storable(v) for v in raw]
    if isinstance(raw, datetime):
        return raw.date().isoformat()
    if isinstance(raw, date):
        return raw.isoformat()
    if raw is None or isinstance(raw, (str, int, float)):
        return raw
    return str(raw)


def default_data_dir() -> Path:
    """``$HUIQI_DATA``, else ``~/.local/share/huiqi``; ``InputError`` if ``$HUIQI_DATA`` is set but empty
    (it silently meant the home folder's data)."""
    env = os.environ.get("HUIQI_DATA")
    if env is not None:
        if not env.strip():
            raise InputError("环境变量HUIQI_DATA为空：请设为数据目录的路径（如/var/lib/huiqi），或删除此变量以使用默认目录")
        return Path(env)
    return Path.home() / ".local" / "share" / "huiqi"


def disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk (or the user's quota) is full."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc)  # SQLite's words, or a library's that names no errno (DuckDB's spill files)
    return "database or disk is full" in text or "No space left on device" in text


def store_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is SQLite's answer to a lock another connection held past the busy timeout."""
    return isinstance(exc, sqlite3.OperationalError) and ("database is locked" in str(exc) or "database is busy" in str(exc))


def store_problem(exc: sqlite3.Error | OSError) -> str:
    """What is wrong with the data folder or its database, in words (no path but an OSError's)."""
    text = str(exc)
    if disk_full(exc):
        return DISK_FULL
    if isinstance(exc, OSError):
        return os_error_text(exc)
    if store_busy(exc):
        return BUSY
    if "not a database" in text or "malformed" in text:
        return "数据库文件已损坏或不是SQLite数据库"
    if "disk I/O" in text:
        return "数据库文件读写出错（磁盘故障、空间不足或数据目录不可写）"
    if "readonly" in text or "unable to open" in text:
        return "数据库文件无法写入或打开（数据目录须可写）"
    if "constraint failed" in text:
        return f"数据库结构与本程序不符（可能是回退了程序版本）：{text}"
    if "no such table" in text:
        return "数据库文件在服务运行时被删除或替换"
    return f"SQLite：{text}"


class ScenarioStore:
    """Raw scenarios by id in ``<data_dir>/huiqi.sqlite3``."""

    timeout = 10.0  # seconds a write waits for another connection's lock before "database is locked"

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "huiqi.sqlite3"
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            with self.connect() as db:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version <= SCHEMA_VERSION:
                    db.execute("PRAGMA journal_mode=WAL")
                    db.execute(_SCHEMA)
                    if version < SCHEMA_VERSION:  # new, or made before versions were recorded: the tables are as expected now
                        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except (sqlite3.Error, OSError) as exc:  # said before the server starts, not as a traceback
            raise InputError(f"数据目录{data_dir}无法使用：{store_problem(exc)}（--data 或 $HUIQI_DATA 指定数据目录）") from None
        if version > SCHEMA_VERSION:
            raise InputError(
                f"数据目录{data_dir}的数据库由较新版本的惠企创建（结构版本{version}，本程序只认识到{SCHEMA_VERSION}）："
                "请使用新版本的程序，或另指定数据目录（--data 或 $HUIQI_DATA）"
            )

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=self.timeout)
        try:
            with db:
                yield db
        finally:
            db.close()

    def save(self, raw: Any) -> str:
        canonical = json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str)
        sid = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
        body = json.dumps(raw, ensure_ascii=False, default=str)
        with self.connect() as db:  # only the same scenario saved before is let go: any other failure is raised
            db.execute(
                "INSERT INTO scenario (id, body, created) VALUES (?, ?, ?) ON CONFLICT(id) DO NOTHING",
                (sid, body, datetime.now(UTC).isoformat(timespec="seconds")),
            )
        return sid

    def load(self, sid: str) -> Any | None:
        with self.connect() as db:
            row = db.execute("SELECT body FROM scenario WHERE id = ?", (sid,)).fetchone()
        return None if row is None else json.loads(row[0])
