"""Saved scenarios in an embedded SQLite database, so a link reopens a calculation.

A scenario is stored as its raw mapping (what ``huiqi evaluate`` reads), keyed
by a short hash of its canonical JSON: saving the same scenario twice gives the
same link.  What is saved is JSON (:func:`storable`), so the app checks that
form before saving it: a link never opens a scenario other than the one saved.
"""

from __future__ import annotations

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

__all__ = ["ScenarioStore", "default_data_dir", "storable", "store_problem"]

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
    """``$HUIQI_DATA``, else ``~/.local/share/huiqi``."""
    env = os.environ.get("HUIQI_DATA")
    if env:
        return Path(env)
    return Path.home() / ".local" / "share" / "huiqi"


def store_problem(exc: sqlite3.Error | OSError) -> str:
    """What is wrong with the data folder or its database, in words."""
    text = str(exc)
    if isinstance(exc, OSError):
        return os_error_text(exc)
    if "not a database" in text or "malformed" in text:
        return "数据库文件已损坏或不是SQLite数据库"
    if "readonly" in text or "unable to open" in text or "disk I/O" in text:
        return "数据库文件无法写入或打开（数据目录须可写）"
    if "no such table" in text:
        return "数据库文件在服务运行时被删除或替换"
    return f"SQLite：{text}"


class ScenarioStore:
    """Raw scenarios by id in ``<data_dir>/huiqi.sqlite3``."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "huiqi.sqlite3"
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
            with self.connect() as db:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:  # said before the server starts, not as a traceback
            raise InputError(f"数据目录{data_dir}无法使用：{store_problem(exc)}（--data 或 $HUIQI_DATA 指定数据目录）") from None

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:
                yield db
        finally:
            db.close()

    def save(self, raw: Any) -> str:
        canonical = json.dumps(raw, ensure_ascii=False, sort_keys=True, default=str)
        sid = hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]
        body = json.dumps(raw, ensure_ascii=False, default=str)
        with self.connect() as db:
            db.execute(
                "INSERT OR IGNORE INTO scenario (id, body, created) VALUES (?, ?, ?)",
                (sid, body, datetime.now(UTC).isoformat(timespec="seconds")),
            )
        return sid

    def load(self, sid: str) -> Any | None:
        with self.connect() as db:
            row = db.execute("SELECT body FROM scenario WHERE id = ?", (sid,)).fetchone()
        return None if row is None else json.loads(row[0])
