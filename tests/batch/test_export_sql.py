"""``huiqi export-sql`` and ``huiqi batch --engine spark`` through the real entry point."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

pa = pytest.importorskip("pyarrow")
duckdb = pytest.importorskip("duckdb")
openpyxl = pytest.importorskip("openpyxl")

from huiqi.batch import duck  # noqa: E402
from huiqi.batch.compiler import compile_library  # noqa: E402
from huiqi.batch.io_read import read_register  # noqa: E402
from huiqi.cli import main  # noqa: E402
from huiqi.service import engine  # noqa: E402

from .test_io import write_xlsx  # noqa: E402

AS_OF = date(2025, 12, 31)


def test_exported_duckdb_script_gives_the_runners_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "plan.sql"
    assert main(["export-sql", "--dialect", "duckdb", "--as-of", AS_OF.isoformat(), "--out", str(out)]) == 0
    eng = engine()
    reg = read_register(write_xlsx(tmp_path / "r.xlsx"), eng.catalogue)
    plan = compile_library(eng.library, eng.catalogue)
    runner = duckdb.connect()
    res = duck.run(plan, runner, reg.tables, AS_OF)
    expected = sorted(
        map(str, res.awards.select("credit_code, event_id, benefit_id, status, min_fen, max_fen, reasons").fetchall())
    )
    fresh = duckdb.connect()
    for name, table in reg.tables.items():
        fresh.register(f"in_{name}", table)
        fresh.execute(f"CREATE TABLE {name} AS SELECT * FROM in_{name}")
    fresh.execute(out.read_text(encoding="utf-8"))
    got = sorted(
        map(
            str,
            fresh.execute(
                "SELECT credit_code, event_id, benefit_id, status, min_fen, max_fen, reasons FROM hq_awards"
            ).fetchall(),
        )
    )
    assert expected and got == expected
    payers_runner = runner.execute("SELECT SUM(min_fen), SUM(max_fen), COUNT(*) FROM hq_payers").fetchall()
    assert fresh.execute("SELECT SUM(min_fen), SUM(max_fen), COUNT(*) FROM hq_payers").fetchall() == payers_runner
    # a platform reads the results' reason and note codes in Chinese from the script's hq_reason_text
    codes = fresh.execute(
        "SELECT DISTINCT a.benefit_id, c.code, t.text FROM hq_awards a, "
        "unnest(list_filter(string_split(a.reasons || ',' || a.notes, ','), lambda x: x <> '')) AS c(code) "
        "LEFT JOIN hq_reason_text t ON t.benefit = a.benefit_id AND t.code = c.code"
    ).fetchall()
    assert len({c for _, c, _ in codes}) >= 5 and any(c.startswith("when:") for _, c, _ in codes)
    missing = [(b, c) for b, c, t in codes if not t]
    assert missing == []


@pytest.mark.parametrize("dialect", ["spark", "hive"])
def test_spark_and_hive_scripts_name_every_step(dialect: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export-sql", "--dialect", dialect]) == 0
    text = capsys.readouterr().out
    eng = engine()
    plan = compile_library(eng.library, eng.catalogue)
    statements = [s.strip() for s in text.split(";\n")]
    statements = [s for s in statements if s]
    assert all(re.search(r"\b(CREATE|DROP) TABLE\b", s) for s in statements)  # every statement does something
    stored = "STORED AS ORC" if dialect == "hive" else "USING parquet"
    for step in plan.steps:
        assert f"-- step {step.name} (" in text
        assert f"CREATE TABLE {step.name} {stored} AS" in text
    assert "${as_of}" in text  # left for the scheduler


@pytest.mark.spark
def test_batch_with_the_spark_engine_gives_the_duckdb_totals(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pyspark")
    reg = write_xlsx(tmp_path / "r.xlsx")
    totals = {}
    for name in ("duckdb", "spark"):
        out = tmp_path / f"{name}.xlsx"
        assert main(["batch", str(reg), "--engine", name, "--as-of", AS_OF.isoformat(), "--out", str(out), "--json"]) == 0
        d = json.loads(capsys.readouterr().out)
        assert d["engine"] == name and out.exists()
        totals[name] = (d["total"], d["results"], d["by"]["payer"])
    assert totals["spark"] == totals["duckdb"]
    assert totals["duckdb"][0]["count"] > 0


@pytest.mark.spark
def test_batch_with_the_spark_engine_keeps_the_jvms_english_off_the_terminal(tmp_path: Path) -> None:
    """The JVM and log4j print warnings at start (WARNING: Using incubator modules…, WARN Utils: Your
    hostname…); `huiqi batch --engine spark` sends them to a log it removes when the run succeeds."""
    pytest.importorskip("pyspark")
    huiqi = Path(sys.executable).parent / "huiqi"
    reg = write_xlsx(tmp_path / "r.xlsx")
    out = tmp_path / "结果.xlsx"
    done = subprocess.run(
        [str(huiqi), "batch", str(reg), "--engine", "spark", "--as-of", AS_OF.isoformat(), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert out.exists() and "已写出" in done.stdout
    assert done.stderr == ""
    assert not list(tmp_path.glob("huiqi-spark-*.log"))


def test_the_spark_engine_refuses_a_memory_limit_spark_cannot_start_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Spark needs ≈450 MB for its driver; under 512MB the run stopped with 22 lines of Java in English."""
    reg = write_xlsx(tmp_path / "r.xlsx")
    assert main(["batch", str(reg), "--engine", "spark", "--memory-limit", "256MB"]) == 2
    err = capsys.readouterr().err
    assert "内存上限“256MB”对Spark引擎太小：Spark本地模式至少需要512MB" in err and "Exception" not in err


@pytest.mark.spark
def test_a_spark_that_cannot_start_is_said_in_chinese_with_its_log(tmp_path: Path) -> None:
    """No Java at JAVA_HOME: the officer reads why in Chinese and where the JVM's own words are."""
    pytest.importorskip("pyspark")
    huiqi = Path(sys.executable).parent / "huiqi"
    reg = write_xlsx(tmp_path / "r.xlsx")
    env = {**os.environ, "TMPDIR": str(tmp_path), "JAVA_HOME": str(tmp_path / "no-java")}
    done = subprocess.run(
        [str(huiqi), "batch", str(reg), "--engine", "spark"], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 2
    assert "无法启动Spark（本地模式）：Java进程未能启动（需要Java 17；请检查JAVA_HOME）；详情见Spark日志：" in done.stderr
    (log,) = tmp_path.glob("huiqi-spark-*.log")
    assert "JAVA_GATEWAY_EXITED" in log.read_text(encoding="utf-8") and "Traceback" not in done.stderr
