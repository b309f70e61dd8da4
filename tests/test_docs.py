"""Documentation that must not fall behind the code."""

import re
import sys
from pathlib import Path

import yaml

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


def test_the_readme_scenario_evaluates_as_shown() -> None:
    """The scenario a newcomer copies from README §3 runs as its comments say: the humanoid maker's
    award, and the robot purchase set aside against the city's 30万元 already received (就高不重复)."""
    from huiqi.service import engine

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("A scenario:", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    eng = engine()
    ev = eng.evaluate(eng.scenario(yaml.safe_load(block)))
    assert [a.benefit.id for a in ev.awards] == ["wz-1-humanoid-maker"]
    assert [a.benefit.id for a in ev.set_aside] == ["wz-1-robot-purchase"]
