"""Documentation that must not fall behind the code."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_facts_document_is_generated_from_the_current_catalogue() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from gen_facts_doc import render
    finally:
        sys.path.pop(0)
    current = (ROOT / "docs" / "facts.md").read_text(encoding="utf-8")
    assert current == render(), "docs/facts.md is stale: run .venv/bin/python scripts/gen_facts_doc.py"


def test_every_file_the_readme_names_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in re.findall(r"`((?:policies|docs|examples|benchmarks)/[^`*<>]+?\.(?:yaml|md|py))`", readme):
        assert (ROOT / name).exists(), name


def test_the_coverage_report_in_the_docs_is_current() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from coverage_report import BEGIN, END, render
    finally:
        sys.path.pop(0)
    text = (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8")
    section = text.split(BEGIN, 1)[1].split(END, 1)[0]
    assert section.strip() == render().strip(), "docs/coverage.md is stale: run .venv/bin/python scripts/coverage_report.py"
