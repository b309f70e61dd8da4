"""Synthetic registers: reproducible for a seed, valid, and the same in every format."""

from __future__ import annotations

from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
pytest.importorskip("numpy")

from huiqi.batch.io_read import read_register  # noqa: E402
from huiqi.batch.synth import synth  # noqa: E402
from huiqi.cli import main  # noqa: E402
from huiqi.core.credit_code import validate_credit_code  # noqa: E402
from huiqi.core.regions import TOWNS  # noqa: E402
from huiqi.service import engine  # noqa: E402


def make(out: Path, seed: int, n: int = 120) -> None:
    eng = engine()
    synth(out, eng.library, eng.catalogue, n, seed, 3.0)


def test_same_seed_same_register_other_seed_different(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    make(tmp_path / "a.parquet", 5)
    make(tmp_path / "b.parquet", 5)
    make(tmp_path / "c.parquet", 6)
    for name in ("enterprises", "events", "qualifications", "prior_awards"):
        assert pq.read_table(tmp_path / "a.parquet" / f"{name}.parquet").equals(
            pq.read_table(tmp_path / "b.parquet" / f"{name}.parquet")
        )
    assert not pq.read_table(tmp_path / "a.parquet" / "events.parquet").equals(
        pq.read_table(tmp_path / "c.parquet" / "events.parquet")
    )


def test_synthetic_register_is_valid_realistic_and_format_independent(tmp_path: Path) -> None:
    cat = engine().catalogue
    regs = {}
    for suffix in (".parquet", ".csv", ".duckdb", ".xlsx"):
        out = tmp_path / f"r{suffix}"
        make(out, 11)
        regs[suffix] = read_register(out, cat)
    base = regs[".parquet"]
    assert [e.message() for e in base.errors] == []
    ents = base.tables["enterprises"].to_pylist()
    assert len(ents) == 120
    assert all(validate_credit_code(e["credit_code"]) is None for e in ents)
    assert len({e["credit_code"] for e in ents}) == 120
    local = [e for e in ents if e["region"] in ("320506", "320412")]
    assert len(local) > 100  # mainly 吴中 and 武进
    assert all(e["town"] in TOWNS[e["region"]] for e in local)
    events = base.tables["events"]
    assert events.num_rows > 200
    assert len(set(events.column("kind").to_pylist())) >= 5
    for suffix, reg in regs.items():
        assert [e.message() for e in reg.errors] == [], suffix
        for name, table in base.tables.items():
            assert reg.tables[name].equals(table), (suffix, name)


def test_many_events_qualify_and_many_are_near_misses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.parquet"
    assert main(["synth", "--enterprises", "150", "--seed", "2", "--out", str(out)]) == 0
    assert "已生成模拟登记表" in capsys.readouterr().out
    assert main(["batch", str(out), "--engine", "reference", "--as-of", "2025-12-31", "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["rows_rejected"] == 0
    assert data["results"]["granted"] >= 30 and data["results"]["near_miss"] >= 30


def test_synth_refuses_an_unknown_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["synth", "--enterprises", "5", "--out", str(tmp_path / "x.txt")]) == 2
    assert "无法识别的输出格式" in capsys.readouterr().err
