"""Worked examples beside the policy files, collected as tests: each
``policies/examples/<document>/*.yaml`` is checked by :func:`huiqi.examples.check_example`
(the same check ``huiqi examples`` runs for a policy author's own folder; its format is in
that module's docstring)."""

from __future__ import annotations

from pathlib import Path

import pytest

from huiqi.examples import check_example, example_files, uncovered_benefits
from huiqi.service import engine

EXAMPLES = Path(__file__).resolve().parents[2] / "policies" / "examples"
FILES = example_files(EXAMPLES)


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(EXAMPLES)) for p in FILES])
def test_worked_example(path: Path) -> None:
    result = check_example(engine(), path)
    assert not result.problems, "\n".join([*result.problems, "实际结果：", result.got])


@pytest.mark.parametrize("document", [d.id for d in engine().library.documents])
def test_every_benefit_of_every_document_is_granted_by_a_worked_example(document: str) -> None:
    missing = uncovered_benefits(engine(), FILES).get(document, [])
    assert not missing, f"《{engine().library.by_id[document].short}》: no worked example asserts these benefits: {missing}"
