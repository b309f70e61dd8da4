"""Citation coverage over the bundled texts: the files the pure core reads.

Reads ``policies/texts/*.txt``, the loaded :class:`~huiqi.core.model.Library`
(every :class:`~huiqi.core.model.Citation` reachable from it), the plan files
(``*-plan.yaml``, whose ``Plan.cited_quotes()`` are located in their text) and
``policies/texts/coverage-exclusions.yaml``, and measures each text with
:func:`huiqi.core.coverage.measure`.

The exclusion file maps a text's file name to a list of entries::

    wuzhong-2025-manufacturing-measures.txt:
      - {text: "本措施自2025年5月1日起施行", reason: 施行日期，非金额}

An entry applies to every number inside every place its words stand.  Words
that are not in the text, or that hold no number, are an error.

The file lives beside the texts it annotates, not in ``policies/`` itself:
the policy loader reads every ``policies/*.yaml`` as a policy document.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from huiqi.core.coverage import CoverageError, DocumentCoverage, Exclusion, citations_of, encoded_numbers, measure
from huiqi.core.model import Document, Library
from huiqi.core.plan import Plan
from huiqi.core.text import SourceText, Span

from .plan_loader import load_plan
from .reader_base import _display
from .yamlnodes import LList, LMap, YamlSyntaxError, load_yaml

__all__ = ["EXCLUSIONS_FILE", "CoverageRun", "coverage", "load_exclusions"]

EXCLUSIONS_FILE = "texts/coverage-exclusions.yaml"


@dataclass(frozen=True, slots=True)
class CoverageRun:
    """Every text's coverage, in file-name order."""

    reports: tuple[DocumentCoverage, ...]

    @property
    def measures(self) -> tuple[DocumentCoverage, ...]:
        """The texts of benefit rules (every text that no plan file reads)."""
        return tuple(r for r in self.reports if r.role == "measures")

    def select(self, name: str) -> tuple[DocumentCoverage, ...]:
        """Reports whose document id or file name (with or without ``.txt``) is
        ``name``; failing that, whose file name starts with ``name-``."""
        exact = tuple(r for r in self.reports if name in (r.document_id, r.file, r.file.removesuffix(".txt")))
        return exact or tuple(r for r in self.reports if r.file.startswith(f"{name}-"))


def load_exclusions(path: Path, display: str | None = None) -> dict[str, tuple[Exclusion, ...]]:
    """Read the exclusion file; a malformed entry raises :class:`CoverageError`."""
    name = display or str(path)
    if not path.exists():
        return {}
    try:
        data = load_yaml(path, name)
    except YamlSyntaxError as exc:
        raise CoverageError([str(exc)]) from None
    if data is None:
        return {}
    if not isinstance(data, LMap):
        raise CoverageError([f"{name}:1: 排除清单应为“原文文件名: [{{text, reason}}, …]”"])
    problems: list[str] = []
    result: dict[str, tuple[Exclusion, ...]] = {}
    for file, entries in data.items():
        where = f"{name}:{data.line_of(file)}"
        if not isinstance(entries, LList):
            problems.append(f"{where}: {file}: 应为排除项列表")
            continue
        found: list[Exclusion] = []
        for i, entry in enumerate(entries):
            line = entries.item_lines[i]
            text = entry.get("text") if isinstance(entry, LMap) else None
            reason = entry.get("reason") if isinstance(entry, LMap) else None
            extra = sorted(set(entry) - {"text", "reason"}) if isinstance(entry, LMap) else []
            if not isinstance(text, str) or not text.strip():
                problems.append(f"{name}:{line}: 排除项缺少原文文字text")
            elif not isinstance(reason, str) or not reason.strip():
                problems.append(f"{name}:{line}: 排除项“{text}”缺少原因reason")
            elif extra:
                problems.append(f"{name}:{line}: 排除项“{text}”有未知字段：{'、'.join(extra)}")
            else:
                found.append(Exclusion(text.strip(), reason.strip(), f"{name}:{line}"))
        result[str(file)] = tuple(found)
    if problems:
        raise CoverageError(problems)
    return result


def _encoded_parts(doc: Document) -> list[tuple[Span, frozenset[Fraction]]]:
    """Each citation span of a document with the numbers its part encodes.

    A benefit's parts share the benefit's numbers (an amount often cites the
    benefit's whole clause); document-level parts carry their own."""
    parts: list[tuple[Span, frozenset[Fraction]]] = []
    for benefit in doc.benefits:
        values = encoded_numbers(benefit)
        parts += [(c.span, values) for c in citations_of(benefit) if c.span is not None]
    validity = frozenset(Fraction(n) for d in (doc.valid_from, doc.valid_to) if d is not None for n in (d.year, d.month, d.day))
    if doc.validity_cite.span is not None:
        parts.append((doc.validity_cite.span, validity))
    for part in (doc.funding, *doc.group_caps, *doc.exclusivity):
        if part is not None:
            values = encoded_numbers(part)
            parts += [(c.span, values) for c in citations_of(part) if c.span is not None]
    return parts


def _plans(policy_dir: Path) -> list[Plan]:
    return [load_plan(path, policy_dir / "texts") for path in sorted(policy_dir.glob("*-plan.yaml"))]


def coverage(library: Library, policy_dir: Path, exclusions_path: Path | None = None) -> CoverageRun:
    """Measure every text of ``policy_dir/texts`` against the library, the
    plans and the exclusion file; every exclusion problem is raised at once."""
    texts_dir = policy_dir / "texts"
    path = exclusions_path or policy_dir / EXCLUSIONS_FILE
    display = _display(path, policy_dir) if exclusions_path is None else str(path)
    exclusions = load_exclusions(path, display)
    plans = _plans(policy_dir)
    files = sorted(texts_dir.glob("*.txt"))
    problems = [f"{display}: 原文文件不存在：{name}" for name in exclusions if name not in {f.name for f in files}]
    reports: list[DocumentCoverage] = []
    for file in files:
        text = file.read_text(encoding="utf-8")
        source = SourceText(file.name, text)
        cited: list[tuple[str, Span]] = []
        encoded: list[tuple[Span, frozenset[Fraction]]] = []
        document_id: str | None = None
        title = file.stem
        role = "measures"
        for doc in library.documents:
            if doc.source.text != text:
                continue
            document_id, title = doc.id, doc.title
            cited += [(c.quote, c.span) for c in citations_of(doc) if c.span is not None]
            encoded += _encoded_parts(doc)
        for plan in plans:
            if Path(plan.document.source).name != file.name:
                continue
            document_id, title, role = plan.document.id, plan.document.title, "plan"
            cited += [(quote, span) for quote in plan.cited_quotes() for span in source.find_all(quote)]
        try:
            reports.append(
                measure(
                    source,
                    cited,
                    exclusions.get(file.name, ()),
                    file=file.name,
                    document_id=document_id,
                    title=title,
                    role=role,
                    encoded=encoded,
                )
            )
        except CoverageError as exc:
            problems += exc.problems
    if problems:
        raise CoverageError(problems)
    return CoverageRun(tuple(reports))
