"""Views for the web pages: benefit search, cited words highlighted in the
source text, and plan data as JSON-ready plain values."""

from __future__ import annotations

import bisect
import itertools
import unicodedata
from dataclasses import dataclass
from typing import Any

from ..core.amounts import benefit_nature
from ..core.model import (
    Benefit,
    Condition,
    Contains,
    Document,
    Nature,
    OneOf,
)
from ..core.plan import plan_dict
from ..core.regions import REGIONS, parents
from ..core.text import Span, soft_breaks
from ..policy_view import benefit_view, describe_amount

__all__ = ["NATURE_CHOICES", "Segment", "benefit_nature", "benefit_sectors", "highlight", "plan_dict", "search_benefits"]

NATURE_CHOICES: tuple[tuple[str, str], ...] = tuple((n.value, n.label) for n in Nature)


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of source text, the benefits citing it, and the benefits whose citation starts or ends here."""

    text: str
    benefits: tuple[str, ...]
    starts: tuple[str, ...]
    ends: tuple[str, ...]


def _shown(text: str, start: int, end: int, hidden: list[Span]) -> str:
    """``text[start:end]`` without the parts of ``hidden`` (sorted, disjoint spans) inside it."""
    i = bisect.bisect_right([h.end for h in hidden], start)
    parts, at = [], start
    while i < len(hidden) and hidden[i].start < end:
        parts.append(text[at : max(at, hidden[i].start)])
        at = max(at, min(end, hidden[i].end))
        i += 1
    parts.append(text[at:end])
    return "".join(parts)


def highlight(doc: Document) -> list[Segment]:
    """The source text cut at every citation boundary (citations may overlap), a PDF's
    line wrapping inside paragraphs taken out (:func:`huiqi.core.text.soft_breaks`)."""
    text = doc.source.text
    hidden = soft_breaks(text)
    spans = [(b.id, b.cite.span.start, b.cite.span.end) for b in doc.benefits if b.cite.span is not None]
    cuts = sorted({0, len(text), *(s for _, s, _ in spans), *(e for _, _, e in spans)})
    out: list[Segment] = []
    for start, end in itertools.pairwise(cuts):
        if start >= end:
            continue
        covering = tuple(bid for bid, s, e in spans if s <= start and end <= e)
        out.append(
            Segment(
                text=_shown(text, start, end, hidden),
                benefits=covering,
                starts=tuple(bid for bid, s, _ in spans if s == start),
                ends=tuple(bid for bid, _, e in spans if e == end),
            )
        )
    return out


def _sector_values(conditions: tuple[Condition, ...]) -> list[str]:
    out: list[str] = []
    for c in conditions:
        if isinstance(c, (Contains, OneOf)) and c.fact.path in ("enterprise.sectors", "enterprise.industry"):
            out.extend(c.values)
    return out


def benefit_sectors(b: Benefit) -> list[str]:
    """The industries or sectors a benefit's conditions name."""
    return list(dict.fromkeys(_sector_values(b.match) + _sector_values(b.when)))


def _searchable(text: str) -> str:
    """Text as the keyword search compares it: full-width forms as half-width (５Ｇ, （套）), one case,
    no spaces (the texts print 最高 100 万元 with spaces a searcher does not type)."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().translate(_BRACKETS).split())


_BRACKETS = str.maketrans("〔〕[]【】", "()()()")  # 苏府〔2020〕120号 typed as 苏府(2020)120号 or [2020]


# Words for money support that a searcher uses for one another (机器人 补贴 finds 补助 and 奖励)
SUPPORT_WORDS = ("补助", "补贴", "奖补", "资助", "奖励")
# Place names a searcher runs into other words (吴中区机器人): 吴中区 and 吴中, 苏州市 and 苏州 …
_PLACES = sorted(
    {n for r in REGIONS.values() for n in (r.name, r.name[:-1] if len(r.name) > 2 else r.name)}, key=len, reverse=True
)


def _query_words(q: str) -> list[str]:
    """The words of a search, with a place name or a word for support written together with other words
    taken apart: 吴中区机器人 → 吴中区, 机器人; 机器人补贴 → 机器人, 补贴."""
    out: list[str] = []
    todo = [_searchable(w) for w in q.split()]
    while todo:
        word = todo.pop()
        term = next((t for t in (*_PLACES, *SUPPORT_WORDS) if t in word and t != word), None)
        if term is None:
            out.append(word)
        else:  # 苏州市吴中区机器人: the parts may hold another
            out.append(term)
            todo.extend(part for part in word.split(term) if part)
    return out


def _found(word: str, haystack: str) -> bool:
    if word in SUPPORT_WORDS:
        return any(w in haystack for w in SUPPORT_WORDS)
    return word in haystack


def search_benefits(
    docs: tuple[Document, ...],
    q: str = "",
    department: str = "",
    nature: str = "",
    sector: str = "",
) -> list[dict[str, Any]]:
    """Benefits matching every given filter, as views with their document."""
    words = _query_words(q)
    out: list[dict[str, Any]] = []
    for doc in docs:
        for b in doc.benefits:
            # 吴中区 and the city and province around it, whether the title names them or not
            place = "".join(r.name for r in parents(doc.jurisdiction)) if doc.jurisdiction in REGIONS else ""
            haystack = _searchable(
                "".join((doc.title, doc.short, doc.number or "", place, b.title, b.cite.quote, b.article, "".join(b.department)))
                + describe_amount(b.amount)  # the amount as the list shows it (最高100万元)
            )
            if not all(_found(w, haystack) for w in words):
                continue
            if department and department not in b.department:
                continue
            if nature and benefit_nature(b).value != nature:
                continue
            if sector and sector not in benefit_sectors(b):
                continue
            view = benefit_view(b)
            view["document"] = doc.id
            view["document_short"] = doc.short
            view["nature"] = benefit_nature(b).value
            view["nature_label"] = benefit_nature(b).label
            view["sectors"] = benefit_sectors(b)
            out.append(view)
    return out
