"""The Hive export checked by Hive 2.3 itself (the jars PySpark ships), through scripts/check_hive.py.

Hive's semantic analyser reads every statement of ``huiqi export-sql --dialect hive`` on the
register layout's tables: a reserved word used as a column (``date``), a function Hive does not
have for a type (``div`` on DECIMAL), a construct it does not take (VALUES in FROM) fail here.
Running the whole script on data takes Hive's local MapReduce some five minutes, so that is
left to ``scripts/check_hive.py --run`` (docs/batch-engine.md records its last result).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pyspark")

from huiqi.batch.compiler import compile_library
from huiqi.service import engine

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.spark


def test_every_statement_of_the_hive_export_passes_hives_own_analysis() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_hive.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, done.stdout[-2000:] + done.stderr[-4000:]
    result = json.loads(lines[-1])
    assert result["failed"] == []
    assert done.returncode == 0
    # every step of the plan, every static table and the reason texts: a DROP and a CREATE each
    eng = engine()
    plan = compile_library(eng.library, eng.catalogue)
    assert result["statements"] == 2 * (len(plan.steps) + len(plan.statics) + 1)
