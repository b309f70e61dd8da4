"""Check the Hive export (`huiqi export-sql --dialect hive`) with Hive itself.

PySpark ships Hive 2.3's own jars (its metastore client); Spark's Hive client
runs HiveQL through Hive's Driver: Hive's parser, semantic analyser and type
checks, and its local MapReduce runner. Two modes:

    .venv/bin/python scripts/check_hive.py --check
        every statement of the script through Hive's semantic analyser, on empty
        input tables: each step is created as a view (analysed, its columns
        read), then as an empty ORC table of those columns for the next steps
        (a step whose text passes the metastore's 32,700 characters runs as the
        script's own CREATE TABLE … AS). About a minute. tests/batch/test_hive.py.

    .venv/bin/python scripts/check_hive.py --run REGISTER [--as-of DATE]
        the whole script executed by Hive (local MapReduce, ~1 s a statement)
        on a register read by huiqi, and its hq_awards and hq_payers compared
        with the DuckDB engine's, row by row and to the fen.

Prints one JSON line (statements, failures, seconds, and for --run the
comparison); exit status 0 when nothing failed and everything agreed.

Hive's jars in PySpark leave out its LLAP module. Hive's function registry
and its MapReduce tasks load three of its classes without using them
(LlapSigner for the ``get_splits`` function, LlapProxy asked whether the
process is an LLAP daemon); the minimal stand-ins below are compiled with
``javac`` into the scratch folder and put on the driver's class path. They
are never called by this script's statements.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from huiqi.batch.layout import Layout, arrow_schema  # noqa: E402

STUBS = {
    "org/apache/hadoop/hive/llap/security/LlapSigner.java": (
        "package org.apache.hadoop.hive.llap.security;\n"
        "public interface LlapSigner {\n  interface Signable {}\n  class SignedMessage {}\n}\n"
    ),
    "org/apache/hadoop/hive/llap/io/api/LlapIo.java": "package org.apache.hadoop.hive.llap.io.api;\npublic interface LlapIo {}\n",
    "org/apache/hadoop/hive/llap/io/api/LlapProxy.java": (
        "package org.apache.hadoop.hive.llap.io.api;\n"
        "public class LlapProxy {\n"
        "  public static boolean isDaemon() { return false; }\n"
        "  public static LlapIo getIo() { return null; }\n"
        "}\n"
    ),
}
# Hive run in one process: the local job runner, map joins in the process (no child JVM, which
# needs Hadoop's scripts), no merge of small files (its task fails in local mode)
SETTINGS = (
    "mapreduce.framework.name=local",
    "hive.exec.submit.local.task.via.child=false",
    "hive.exec.submitviachild=false",
    "hive.merge.mapfiles=false",
    "hive.merge.mapredfiles=false",
)
VIEW_TEXT_LIMIT = 30_000  # the Derby metastore keeps a view's text in 32,700 characters
HIVE_TYPES = {"VARCHAR": "STRING", "VARCHAR[]": "ARRAY<STRING>", "INTEGER": "INT"}


def _stubs(folder: Path) -> Path:
    src, classes = folder / "stub-src", folder / "stub-classes"
    for rel, text in STUBS.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_text(text, encoding="utf-8")
    javac = shutil.which("javac")
    if javac is None:
        raise SystemExit("javac (a JDK, OpenJDK 17 on CI) is needed to check the Hive export")
    subprocess.run([javac, "-d", str(classes), *map(str, src.rglob("*.java"))], check=True)
    return classes


class Hive:
    """Hive 2.3's Driver, through the Hive client of a local Spark session with its own metastore."""

    def __init__(self, folder: Path) -> None:
        from pyspark.sql import SparkSession

        self.spark = (
            SparkSession.builder.master("local[2]")
            .appName("huiqi-hive-check")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.extraClassPath", str(_stubs(folder)))
            .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={folder}")
            .config("spark.sql.catalogImplementation", "hive")
            .config("spark.sql.warehouse.dir", str(folder / "warehouse"))
            .config("spark.sql.hive.convertMetastoreOrc", "false")
            .enableHiveSupport()
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("OFF")
        jvm: Any = self.spark.sparkContext._jvm
        jvm.java.lang.System.setProperty("spark.testing", "true")  # Spark lets runSqlHive run only so
        self.client = self.spark._jsparkSession.sharedState().externalCatalog().unwrapped().client()
        for kv in SETTINGS:
            self(f"SET {kv}")

    def __call__(self, sql: str) -> list[str]:
        rows = self.client.runSqlHive(sql)
        return [rows.apply(i) for i in range(rows.size())]

    def input_tables(self, lay: Layout, tables: dict[str, Any] | None) -> None:
        """The register tables as Hive ORC tables, filled (through Spark) when ``tables`` are given."""
        for name in lay.tables:
            cols = ", ".join(f"`{c.name}` {HIVE_TYPES.get(c.type, c.type)}" for c in lay.table(name))
            self(f"CREATE TABLE {name} ({cols}) STORED AS ORC")
            if tables is not None:
                data = tables[name].cast(arrow_schema(lay.table(name)))
                self.spark.createDataFrame(data).write.insertInto(name)


def statements(script: str) -> list[str]:
    out = []
    for part in script.split(";\n"):
        body = "\n".join(line for line in part.splitlines() if not line.startswith("--")).strip()
        if body:
            out.append(body)
    return out


def _error(exc: BaseException) -> str:
    text = str(exc)
    at = text.find("FAILED:")
    return re.sub(r"\s+", " ", text[at : at + 400] if at >= 0 else text[:400])


def check(hive: Hive, script: str) -> dict[str, Any]:
    failures: list[dict[str, str]] = []
    parts = statements(script)
    for sql in parts:
        m = re.match(r"CREATE TABLE (\w+) STORED AS ORC AS\n(.*)", sql, re.S)
        try:
            if m is None or len(m.group(2)) > VIEW_TEXT_LIMIT:
                hive(sql)
                continue
            name, select = m.groups()
            hive(f"CREATE VIEW {name} AS {select}")
            cols = [line.split("\t") for line in hive(f"DESCRIBE {name}")]
            hive(f"DROP VIEW {name}")
            hive(f"CREATE TABLE {name} ({', '.join(f'`{c[0].strip()}` {c[1].strip()}' for c in cols)}) STORED AS ORC")
        except Exception as exc:  # Py4J carries Hive's FAILED: … message
            failures.append({"statement": sql[:120], "error": _error(exc)})
    return {"statements": len(parts), "failed": failures}


AWARD_COLUMNS = "credit_code, event_id, benefit_id, status, min_fen, max_fen, nature, reasons, notes"
PAYER_COLUMNS = "credit_code, event_id, benefit_id, idx, role, payer, weight, min_fen, max_fen"


def run(hive: Hive, script: str, duck_awards: list[tuple[Any, ...]], duck_payers: list[tuple[Any, ...]]) -> dict[str, Any]:
    parts = statements(script)
    for i, sql in enumerate(parts):
        try:
            hive(sql)
        except Exception as exc:
            return {"statements": len(parts), "failed": [{"statement": sql[:120], "error": _error(exc), "at": i}]}

    def rows(sql: str) -> list[tuple[str, ...]]:
        return sorted(tuple(r.split("\t")) for r in hive(sql))

    def shown(data: list[tuple[Any, ...]]) -> list[tuple[str, ...]]:
        return sorted(tuple("NULL" if v is None else str(v) for v in r) for r in data)

    awards = rows(f"SELECT {AWARD_COLUMNS} FROM hq_awards")
    payers = rows(f"SELECT {PAYER_COLUMNS} FROM hq_payers")
    return {
        "statements": len(parts),
        "failed": [],
        "awards": len(awards),
        "granted": sum(1 for r in awards if r[3] == "granted"),
        "payers": len(payers),
        "awards_equal": awards == shown(duck_awards),
        "payers_equal": payers == shown(duck_payers),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="Hive's semantic analysis of every statement")
    mode.add_argument("--run", metavar="REGISTER", help="run the script on a register and compare with DuckDB")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2025, 12, 31))
    args = parser.parse_args(argv)

    from huiqi.batch.cli_batch import _reason_texts
    from huiqi.batch.compiler import compile_library
    from huiqi.batch.spark import export_sql
    from huiqi.service import engine

    eng = engine()
    plan = compile_library(eng.library, eng.catalogue)
    texts = [(r["benefit"], r["code"], r["text"]) for r in _reason_texts(eng)]
    script = export_sql(plan, "hive", args.as_of, texts)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="huiqi-hive-") as tmp:
        folder = Path(tmp)
        if args.check:
            hive = Hive(folder)
            hive.input_tables(plan.layout, None)
            result = check(hive, script)
        else:
            import duckdb

            from huiqi.batch import duck
            from huiqi.batch.io_read import read_register

            register = read_register(args.run, eng.catalogue)
            con = duckdb.connect()
            res = duck.run(plan, con, register.tables, args.as_of)
            duck_awards = res.awards.select(AWARD_COLUMNS).fetchall()
            duck_payers = res.payers.select(PAYER_COLUMNS).fetchall()
            hive = Hive(folder)
            hive.input_tables(plan.layout, dict(register.tables))
            result = run(hive, script, duck_awards, duck_payers)
        hive.spark.stop()
    result["seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(result, ensure_ascii=False))
    ok = not result["failed"] and result.get("awards_equal", True) and result.get("payers_equal", True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
