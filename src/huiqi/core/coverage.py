"""Citation coverage (引用覆盖): is every number of a source text encoded?

Every number in a policy text that is an amount, a percentage, a rate, a
count, a quota or a threshold must be cited by an encoded rule (the span of a
:class:`~huiqi.core.model.Citation`), or by plan data, or be listed in an
exclusion file with a reason.  This module finds the numbers (*mentions*) of
a :class:`~huiqi.core.text.SourceText` and sorts each into cited, excluded or
uncited.

Matching runs on the normalised text (no white space, no page marks), so that
``100万\\n\\n元`` is one mention ``100万元``; every mention keeps its span in
the *original* text.  Two digits that white space separates in the original
(the cells of a table: ``1.35 \\n\\n2``) are never joined into one number.

Nothing is excluded automatically.  Page marks (``— 22 —``) are not text:
:class:`SourceText` drops them before matching, so they never become mentions.
A mention shaped like a calendar date (``2025年5月1日``, ``2024年度``,
``2016～2020年``) is *labelled* a date, and still needs a citation or an
exclusion like any other number.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction
from typing import Any

from .model import Citation, Compare
from .text import SourceText, Span

__all__ = [
    "CONTEXT",
    "CoverageError",
    "DocumentCoverage",
    "Exclusion",
    "Kind",
    "Mention",
    "Status",
    "Verdict",
    "citations_of",
    "encoded_numbers",
    "find_mentions",
    "locate_exclusions",
    "measure",
    "mention_values",
    "render_coverage",
    "to_dict",
]

CONTEXT = 20  # characters of context either side of an uncited mention


class CoverageError(ValueError):
    """Exclusions that do not stand in their text; every problem is listed."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class Kind(StrEnum):
    """What a number is, read from its unit and its neighbours."""

    AMOUNT = "amount"
    PERCENTAGE = "percentage"
    COUNT = "count"
    MULTIPLE = "multiple"
    QUANTITY = "quantity"
    DURATION = "duration"
    LEVEL = "level"
    RATIO = "ratio"
    DATE = "date"
    ORDINAL = "ordinal"
    NAME = "name"
    NUMBER = "number"

    @property
    def label(self) -> str:
        return _KIND_LABELS[self]


_KIND_LABELS = {
    Kind.AMOUNT: "金额",
    Kind.PERCENTAGE: "百分比",
    Kind.COUNT: "数量",
    Kind.MULTIPLE: "倍数",
    Kind.QUANTITY: "计量",
    Kind.DURATION: "期限",
    Kind.LEVEL: "等级",
    Kind.RATIO: "比例",
    Kind.DATE: "日期",
    Kind.ORDINAL: "序号",
    Kind.NAME: "名称",
    Kind.NUMBER: "数值",
}


class Status(StrEnum):
    CITED = "cited"
    EXCLUDED = "excluded"
    UNCITED = "uncited"

    @property
    def label(self) -> str:
        return {Status.CITED: "已引用", Status.EXCLUDED: "已排除", Status.UNCITED: "未引用"}[self]


# --- finding mentions ----------------------------------------------------

# Units, longest first within each kind; the first unit after the number
# decides the kind (``0.917吨标煤/万元`` is a quantity, ``400元/吨标煤`` an amount).
_UNIT_KINDS: dict[str, Kind] = {}
for _unit_kind, _units in (
    (Kind.PERCENTAGE, "个百分点 百分点 % ％ ‰"),
    (Kind.AMOUNT, "美元 元"),
    (Kind.QUANTITY, "吨标准煤 吨标煤 吨 公斤 千克 立方米 平方米 平方公里 公里 千瓦时 千瓦 兆瓦 亩 微米 纳米"),
    (Kind.DURATION, "个月 小时 年 天 周"),
    (Kind.DATE, "月 日"),
    (Kind.COUNT, "家 个 项 次 台 套 件 人次 人 名 户 条 款 种 批 座 所 只 张 篇 位"),
    (Kind.MULTIPLE, "倍"),
    (Kind.LEVEL, "星级 星 级 期 届"),
    (Kind.ORDINAL, "号 强"),
):
    for _unit in _units.split():
        _UNIT_KINDS[_unit] = _unit_kind

_UNIT = "|".join(sorted((re.escape(u) for u in _UNIT_KINDS), key=len, reverse=True))
_PER = "吨标准煤|吨标煤|吨|家|人|台|套|件|年|项|个|元"
_MAG = "千万|百万|千亿|万亿|百亿|十亿|千|百|万|亿"
_NUM = r"[0-9]+(?:\.[0-9]+)?"
_YEAR = r"(?:19|20)[0-9]{2}"
_ITEM = rf"{_NUM}(?:[/：]{_NUM})?(?:{_MAG})?[多余]?(?:{_UNIT})?(?:/(?:{_MAG})?(?:{_PER}))?"
_DATE = (
    rf"{_YEAR}年?[～~—－\-至到]{_YEAR}年(?:度)?"  # 2016～2020年, 2011年至2015年
    rf"|{_YEAR}[～~—－\-]{_YEAR}(?![0-9.万亿千百元%％])"  # 2016～2020 (a period in a table)
    rf"|{_YEAR}年(?:度|[0-9]{{1,2}}月(?:[0-9]{{1,2}}日)?)?"  # 2025年5月1日, 2024年度, 2020年
    rf"|[0-9]{{1,2}}月[0-9]{{1,2}}日"
)
_MENTION = re.compile(rf"(?P<date>{_DATE})|{_ITEM}(?:[～~—－\-至到](?=[0-9]){_ITEM})?")
_UNIT_IN = re.compile(rf"[0-9](?:{_MAG})?[多余]?(?P<unit>{_UNIT})")
_GAP = "\u2063"  # stands between two digits that white space separates in the original
_LATIN = re.compile(r"[A-Za-z+＋]")


@dataclass(frozen=True, slots=True)
class Mention:
    """One number of a text, with its unit as it stands (normalised)."""

    text: str  # e.g. "100万元", "15%～30%"
    span: Span  # in the original text
    kind: Kind
    line: int  # 1-based line of the original text where it starts
    context: str  # ±CONTEXT characters of the normalised text, the mention in 【】


class _Index:
    """The normalised text with gaps marked between digits, mapped to original offsets."""

    def __init__(self, source: SourceText) -> None:
        normal = source.normal
        original: list[int] = []
        at = 0
        # Recover normal → original offsets through the public map: a character
        # is kept when the next original offset maps further along.
        for i in range(len(source.text)):
            if at < len(normal) and source.normal_offset(i + 1) > at:
                original.append(i)
                at += 1
        chars: list[str] = []
        offsets: list[int] = []
        for k, ch in enumerate(normal):
            if k and _digitish(ch) and _digitish(normal[k - 1]) and original[k] != original[k - 1] + 1:
                chars.append(_GAP)
                offsets.append(original[k - 1] + 1)
            chars.append(ch)
            offsets.append(original[k])
        self.work = "".join(chars)
        self.offsets = offsets
        self.source = source

    def span(self, start: int, end: int) -> Span:
        return Span(self.offsets[start], self.offsets[end - 1] + 1)

    def context(self, start: int, end: int) -> str:
        before = self.work[max(0, start - CONTEXT) : start].replace(_GAP, " ")
        after = self.work[end : end + CONTEXT].replace(_GAP, " ")
        return f"{before}【{self.work[start:end]}】{after}"


def _digitish(ch: str) -> bool:
    return "0" <= ch <= "9" or ch == "."


def _kind(work: str, start: int, end: int, is_date: bool, line_start: bool) -> Kind:
    text = work[start:end]
    before = work[start - 1] if start else ""
    after = work[end] if end < len(work) else ""
    if is_date:
        return Kind.DATE
    if _LATIN.match(before) or _LATIN.match(after):
        return Kind.NAME  # 5G, IPv6, 3A级, 3D, 3+2+N
    if before == "第":
        return Kind.ORDINAL  # 第120次常务会议, 国务院令第427号
    if re.match(rf"{_NUM}[/：]{_NUM}", text):
        return Kind.RATIO  # 4:6, 2/3
    unit = _UNIT_IN.search(text)  # the first unit: 15%～30%, 10～30万元, 0.917吨标煤/万元
    if unit is not None:
        return _UNIT_KINDS[unit.group("unit")]
    if text.isdigit() and (after in ".．" or (after in "）)" and (before in "（(" or line_start))):
        return Kind.ORDINAL  # 1. 壮大…, （1）, 3）… at the start of a line
    return Kind.NUMBER


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def find_mentions(source: SourceText) -> tuple[Mention, ...]:
    """Every Arabic number of a text with its unit, ranges as one mention.

    >>> [m.text for m in find_mentions(SourceText("t", "单个企业每年最高 100万\\n\\n元，按15%～30%"))]
    ['100万元', '15%～30%']
    """
    index = _Index(source)
    mentions: list[Mention] = []
    for m in _MENTION.finditer(index.work):
        start, end = m.span()
        at = index.offsets[start]
        line_start = source.text[source.text.rfind("\n", 0, at) + 1 : at].strip() == ""
        mentions.append(
            Mention(
                text=m.group(0),
                span=index.span(start, end),
                kind=_kind(index.work, start, end, m.group("date") is not None, line_start),
                line=_line(source.text, at),
                context=index.context(start, end),
            )
        )
    return tuple(mentions)


# --- citations -----------------------------------------------------------


def citations_of(value: object) -> Iterator[Citation]:
    """Every :class:`Citation` reachable from a value, walking dataclasses,
    tuples, lists and mappings generically (new parts of the model are
    covered without changing this function); each object is visited once."""
    seen: set[int] = set()
    stack: list[object] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Citation):
            yield item
            continue
        if id(item) in seen:
            continue
        if is_dataclass(item) and not isinstance(item, type):
            seen.add(id(item))
            stack.extend(reversed([getattr(item, f.name) for f in fields(item)]))
        elif isinstance(item, (tuple, list, set, frozenset)):
            seen.add(id(item))
            stack.extend(reversed(list(item)))
        elif isinstance(item, Mapping):
            seen.add(id(item))
            stack.extend(reversed(list(item.values())))


# --- encoded values ------------------------------------------------------

_FEN_FIELDS = frozenset({"fen", "fen_per_unit", "floor_fen", "cap_fen", "fee_cap_fen"})
_NOT_LAW = frozenset({"order", "line", "span", "source", "document_id", "id", "path"})
_TEXT_FIELDS = frozenset({"text", "service"})
_DIGITS = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_MAGNITUDES = {"万亿": 10**12, "千万": 10**7, "百万": 10**6, "亿": 10**8, "万": 10**4, "千": 10**3, "百": 100}


def encoded_numbers(part: object) -> frozenset[Fraction]:
    """Every number a rule part encodes: money in 元, rates as fractions,
    thresholds, counts, weights, dates' parts, and numbers written in the text
    of rights and unnumbered support."""
    found: set[Fraction] = set()
    stack: list[object] = [part]
    while stack:
        item = stack.pop()
        if item is None or isinstance(item, (Citation, str)):
            continue
        if isinstance(item, Compare):
            found.add(item.value / 100 if item.kind == "money" else item.value)
            continue
        if isinstance(item, (tuple, list)):
            stack.extend(item)
            continue
        if not is_dataclass(item) or isinstance(item, type):
            continue
        for f in fields(item):
            if f.name in _NOT_LAW:
                continue
            value = getattr(item, f.name)
            if f.name in _FEN_FIELDS and isinstance(value, int):
                found.add(Fraction(value, 100))
            elif f.name == "by_fen":
                found.update(Fraction(fen, 100) for _, fen in value)
            elif isinstance(value, bool):
                continue
            elif isinstance(value, (int, Fraction)):
                found.add(Fraction(value))
            elif isinstance(value, date):
                found.update(Fraction(n) for n in (value.year, value.month, value.day))
            elif isinstance(value, str) and f.name in _TEXT_FIELDS:
                found.update(Fraction(n) for n in _DIGITS.findall(value))
            else:
                stack.append(value)
    return frozenset(found)


def mention_values(text: str) -> list[frozenset[Fraction]]:
    """The values a mention may stand for, one set per end of a range:
    ``100万元`` → {100, 1000000}; ``5%`` → {5, 1/20}."""
    values = []
    for piece in re.split(r"[～~—－\-至到]", text):
        match = _DIGITS.match(piece)
        if not match:
            continue
        number = Fraction(match.group(0))
        rest = piece[match.end() :]
        options = {number}
        for word, factor in _MAGNITUDES.items():
            if rest.startswith(word):
                options.add(number * factor)
                break
        if rest[:1] in ("%", "％"):
            options.add(number / 100)
        values.append(frozenset(options))
    return values


def _is_encoded(mention: Mention, parts: Sequence[tuple[Span, frozenset[Fraction]]]) -> bool:
    covering = [values for span, values in parts if _within(mention.span, span)]
    if not covering:
        return False
    known = frozenset().union(*covering)
    wanted = mention_values(mention.text)
    return bool(wanted) and all(options & known for options in wanted)


# --- exclusions ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Exclusion:
    """Words around numbers that are not measures, with the reason (中文).

    It applies to every mention inside every place its words stand.
    ``where`` names the entry in error messages (``file:line``).
    """

    text: str
    reason: str
    where: str = ""


def locate_exclusions(
    source: SourceText, exclusions: Iterable[Exclusion], mentions: Sequence[Mention] | None = None
) -> list[tuple[Exclusion, list[Span]]]:
    """Where each exclusion stands; raise :class:`CoverageError` listing every
    exclusion whose words are not in the text or hold no number."""
    mentions = find_mentions(source) if mentions is None else mentions
    located: list[tuple[Exclusion, list[Span]]] = []
    problems: list[str] = []
    for ex in exclusions:
        where = f"{ex.where}: " if ex.where else ""
        spans = source.find_all(ex.text)
        if not spans:
            problems.append(f"{where}排除项的文字在原文《{source.name}》中找不到：“{ex.text}”")
            continue
        if not any(_within(m.span, s) for m in mentions for s in spans):
            problems.append(f"{where}排除项的文字中没有数字：“{ex.text}”")
            continue
        located.append((ex, spans))
    if problems:
        raise CoverageError(problems)
    return located


# --- measuring -----------------------------------------------------------


def _within(inner: Span, outer: Span) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end


@dataclass(frozen=True, slots=True)
class Verdict:
    """A mention and what covers it: the cited words or the exclusion's reason.

    ``encoded`` is true when a rule part whose citation covers the mention
    encodes the mention's value (50万元 as 50,000,000 fen, 5% as 1/20 …).
    """

    mention: Mention
    status: Status
    by: str | None = None
    encoded: bool = False


@dataclass(frozen=True, slots=True)
class DocumentCoverage:
    """The verdicts for one source text."""

    file: str  # the text's file name
    document_id: str | None  # the encoded document (or plan) that reads it
    title: str
    role: str  # "measures" (benefit rules) or "plan" (plan data)
    verdicts: tuple[Verdict, ...]

    def count(self, status: Status) -> int:
        return sum(1 for v in self.verdicts if v.status is status)

    @property
    def total(self) -> int:
        return len(self.verdicts)

    @property
    def cited(self) -> int:
        return self.count(Status.CITED)

    @property
    def excluded(self) -> int:
        return self.count(Status.EXCLUDED)

    @property
    def uncited(self) -> int:
        return self.count(Status.UNCITED)

    @property
    def percent(self) -> float:
        """Cited share of the mentions that need a citation (not excluded), in %."""
        need = self.total - self.excluded
        return 100.0 if need == 0 else 100.0 * self.cited / need

    @property
    def uncited_mentions(self) -> tuple[Mention, ...]:
        return tuple(v.mention for v in self.verdicts if v.status is Status.UNCITED)

    @property
    def encoded(self) -> int:
        return sum(1 for v in self.verdicts if v.encoded)

    @property
    def cited_not_encoded(self) -> tuple[Mention, ...]:
        """Amounts, rates and counts inside a rule's cited words whose value no
        rule part encodes (names like 5G and dates are not asked for)."""
        return tuple(
            v.mention
            for v in self.verdicts
            if v.status is Status.CITED and not v.encoded and v.mention.kind not in (Kind.NAME, Kind.DATE, Kind.ORDINAL)
        )


def measure(
    source: SourceText,
    cited: Iterable[tuple[str, Span]],
    exclusions: Iterable[Exclusion],
    *,
    file: str,
    document_id: str | None,
    title: str,
    role: str = "measures",
    encoded: Iterable[tuple[Span, frozenset[Fraction]]] = (),
) -> DocumentCoverage:
    """Sort every mention of ``source`` into cited, excluded or uncited.

    ``cited`` pairs the words of each citation with its span in ``source``.
    A mention is cited when its span lies within a citation's span, else
    excluded when it lies within a place an exclusion's words stand.
    """
    mentions = find_mentions(source)
    encoded_parts = list(encoded)
    located = locate_exclusions(source, exclusions, mentions)
    citations = sorted(cited, key=lambda c: (c[1].start, -c[1].end))
    verdicts: list[Verdict] = []
    for m in mentions:
        quote = next((q for q, s in citations if _within(m.span, s)), None)
        if quote is not None:
            verdicts.append(Verdict(m, Status.CITED, quote, _is_encoded(m, encoded_parts)))
            continue
        reason = next((ex.reason for ex, spans in located if any(_within(m.span, s) for s in spans)), None)
        if reason is not None:
            verdicts.append(Verdict(m, Status.EXCLUDED, reason))
        else:
            verdicts.append(Verdict(m, Status.UNCITED))
    return DocumentCoverage(file, document_id, title, role, tuple(verdicts))


# --- output --------------------------------------------------------------


def _name(report: DocumentCoverage) -> str:
    return report.document_id or report.file.removesuffix(".txt")


def _pad(text: str, width: int) -> str:
    """Left-align to a display width (a CJK character takes two columns)."""
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(0, width - shown)


def render_coverage(reports: Sequence[DocumentCoverage], *, uncited: bool = False) -> str:
    """A Chinese report: counts per text and, with ``uncited``, every uncited
    number with its line and context."""
    lines = ["原文数字引用覆盖（金额、比例、数量、期限等数字须被规则或规划数据引用，或列入排除清单并说明原因）", ""]
    width = max([len(_name(r)) for r in reports] + [8]) + 2
    lines.append(f"{_pad('文件', width)}{_pad('类别', 14)}  数字  已引用  已排除  未引用  引用率  按值编码  仅引用未编码")
    for r in reports:
        role = "规划数据" if r.role == "plan" else ("政策规则" if r.document_id else "政策（未编码）")
        value_cols = f"{r.encoded:>10}{len(r.cited_not_encoded):>14}" if r.role == "measures" else f"{'—':>10}{'—':>14}"
        lines.append(
            f"{_pad(_name(r), width)}{_pad(role, 14)}{r.total:>6}{r.cited:>8}{r.excluded:>8}{r.uncited:>8}{r.percent:>7.1f}%{value_cols}"
        )
    lines += [
        "",
        "引用率 = 已引用 ÷（数字 − 已排除）。按值编码：引用该数字的规则部件确实以该数值编码（如50万元、5%）；",
        "仅引用未编码：数字在规则引文之内，但没有任何规则部件编码其数值（名称、日期、序号不计）。",
    ]
    for r in reports:
        missing = r.cited_not_encoded if r.role == "measures" else ()
        if missing:
            lines += ["", f"【{_name(r)}】仅引用未编码 {len(missing)} 处："]
            lines += [f"  第{m.line}行  {m.text}（{m.kind.label}）  …{m.context}…" for m in missing]
    if uncited:
        for r in reports:
            if not r.uncited:
                continue
            lines += ["", f"【{_name(r)}】{r.title}：未引用 {r.uncited} 处（原文 texts/{r.file}）"]
            for m in r.uncited_mentions:
                lines.append(f"  第{m.line}行  {m.text}（{m.kind.label}）  …{m.context}…")
    return "\n".join(lines) + "\n"


def _mention_dict(v: Verdict) -> dict[str, Any]:
    m = v.mention
    return {
        "text": m.text,
        "kind": m.kind.value,
        "kind_label": m.kind.label,
        "line": m.line,
        "start": m.span.start,
        "end": m.span.end,
        "context": m.context,
        "status": v.status.value,
        "by": v.by,
        "encoded": v.encoded,
    }


def to_dict(report: DocumentCoverage, *, uncited: bool = False) -> dict[str, Any]:
    """A report for machines; with ``uncited`` only the uncited mentions are listed."""
    return {
        "file": report.file,
        "document": report.document_id,
        "title": report.title,
        "role": report.role,
        "total": report.total,
        "cited": report.cited,
        "excluded": report.excluded,
        "uncited": report.uncited,
        "encoded": report.encoded,
        "cited_not_encoded": len(report.cited_not_encoded),
        "percent": round(report.percent, 1),
        "mentions": [_mention_dict(v) for v in report.verdicts if not uncited or v.status is Status.UNCITED],
    }
