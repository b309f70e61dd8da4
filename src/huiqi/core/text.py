"""Source texts and citations (引文).

The policy texts were extracted from PDFs: lines break mid-sentence, page
numbers such as ``— 22 —`` interrupt them, stray spaces appear, 臵 stands for 置
and some punctuation comes half-width.  A citation in a policy file is written
as the words read in the document; to find it we *normalise both sides for
matching* — never rewriting the law — and map the match back to offsets in the
original text, so that a citation can be highlighted where it stands.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["SourceText", "Span", "as_written", "brief", "date_reason", "flow", "normalise", "soft_breaks"]

# One character for one character, so that offsets map back simply.
_FOLD = str.maketrans(
    {
        "臵": "置",
        "„": "〔",
        "‟": "〕",
        "(": "（",
        ")": "）",
        ",": "，",
        ":": "：",
        ";": "；",
        "<": "＜",
        ">": "＞",
        "~": "～",
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
        "〈": "＜",
        "〉": "＞",
    }
)

_PAGE_MARK = re.compile(r"^[ \t\u3000]*[—\-–]+[ \t\u3000]*\d+[ \t\u3000]*[—\-–]+[ \t\u3000]*$", re.M)
_SPACE = re.compile(r"\s")


def brief(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters, with "…": a message never carries an enormous value.

    >>> brief("9" * 100, 5)
    '99999…'
    """
    return text if len(text) <= limit else text[:limit] + "…"


def as_written(value: Any) -> str:
    """A value read from YAML or JSON, shown in a message as its author wrote it, not as Python prints it:
    a missing value as 空（未填写）, ``false`` not ``False``, ``2026-01-01 08:00`` not
    ``datetime.datetime(2026, 1, 1, 8, 0)``, text in Chinese quotation marks (“30%”, not ``'30%'``),
    lists and mappings in YAML's flow style (``[企业, 社会组织]``), cut to a readable length."""
    if value is None:
        return "空（未填写）"
    if isinstance(value, str):
        return f"“{brief(value)}”"
    return brief(flow(value))


def flow(value: Any, limit: int = 200) -> str:
    """A value as YAML's flow style writes it (inside a list or mapping: ``null``, bare text); a long
    list or mapping is cut after about ``limit`` characters, without rendering the rest.

    >>> flow([True, None, "火星", {"a": 1}])
    '[true, null, 火星, {a: 1}]'
    >>> flow(list(range(10**6)), 12)
    '[0, 1, 2, 3, 4, …]'
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        shown = value.strftime("%Y-%m-%d %H:%M")
        return shown + (value.strftime(":%S") if value.second or value.microsecond else "")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value if value.strip() and value == value.strip() else f'"{value}"'
    if isinstance(value, dict):
        items = (f"{flow(k, limit)}: {flow(v, limit)}" for k, v in value.items())
        return "{" + _joined(items, limit) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + _joined((flow(v, limit) for v in value), limit) + "]"
    return str(value)


def _joined(parts: Iterator[str], limit: int) -> str:
    out: list[str] = []
    size = 0
    for part in parts:
        if size > limit:
            out.append("…")
            break
        out.append(part)
        size += len(part) + 2
    return ", ".join(out)


def date_reason(text: str) -> str:
    """Why ``text``, written as a date YYYY-MM-DD, names no day; "" when it is not such a date.

    >>> date_reason("2025-13-01"), date_reason("2025-02-29"), date_reason("2025/1/1")
    ('（月份应为1至12）', '（2025年2月只有28天）', '')
    """
    match = re.match(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if not match:
        return ""
    year, month, day = (int(g) for g in match.groups())
    if year == 0:
        return "（年份应为0001至9999）"
    if not 1 <= month <= 12:
        return "（月份应为1至12）"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return f"（{year}年{month}月只有{days}天）"
    return ""


def normalise(text: str) -> str:
    """Fold a citation or a text for matching: no white space, no page marks.

    >>> normalise("单个企业每年最高 100万\\n\\n元")
    '单个企业每年最高100万元'
    >>> normalise("苏府„2020‟120号")
    '苏府〔2020〕120号'
    """
    text = _PAGE_MARK.sub("", text)
    return _SPACE.sub("", text).translate(_FOLD)


@dataclass(frozen=True, slots=True)
class Span:
    """Where a citation stands in the original text: ``text[start:end]``."""

    start: int
    end: int


class SourceText:
    """A document's original text with an index for citation look-ups."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        pages = [m.span() for m in _PAGE_MARK.finditer(text)]
        kept: list[str] = []
        offsets: list[int] = []
        page_i = 0
        for i, ch in enumerate(text):
            while page_i < len(pages) and i >= pages[page_i][1]:
                page_i += 1
            if page_i < len(pages) and pages[page_i][0] <= i < pages[page_i][1]:
                continue
            if ch.isspace():
                continue
            kept.append(ch)
            offsets.append(i)
        self.normal = "".join(kept).translate(_FOLD)
        self._offsets = offsets

    def find_all(self, quote: str) -> list[Span]:
        """Every place the quotation stands in the text (after normalising)."""
        needle = normalise(quote)
        if not needle:
            return []
        spans: list[Span] = []
        pos = self.normal.find(needle)
        while pos >= 0:
            start = self._offsets[pos]
            end = self._offsets[pos + len(needle) - 1] + 1
            spans.append(Span(start, end))
            pos = self.normal.find(needle, pos + 1)
        return spans

    def find(self, quote: str) -> Span | None:
        """The first place the quotation stands, or ``None``."""
        found = self.find_all(quote)
        return found[0] if found else None

    def excerpt(self, span: Span) -> str:
        """The original words of a span, white space folded for display."""
        return _SPACE.sub("", _PAGE_MARK.sub("", self.text[span.start : span.end]))

    def normal_offset(self, original_offset: int) -> int:
        """The index in :attr:`normal` of the first kept character at or after an offset."""
        import bisect

        return bisect.bisect_left(self._offsets, original_offset)


# A line that ends a sentence, or a next line that starts a heading or an item, keeps its break.
_HARD_END = "。！？；："
_HEADING = re.compile(
    r"[ \t\u3000]*(第[一二三四五六七八九十百零〇]+[章节条部分]|[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|\d+[.．、]|附件|[—\-–]+[ \t\u3000]*\d)"
)
_WRAP_SHARE = 0.3  # the share of lines within two columns of the commonest width that marks a PDF's wrapped lines
_WRAP_SLACK = 6  # columns short of that width a wrapped line may end (a line cannot start with ，。 …)


def _columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def soft_breaks(text: str) -> list[Span]:
    """Where a PDF's line wrapping broke a paragraph: the white space (blank lines and page
    marks such as ``— 22 —`` included) between a full-width line and the line that
    continues it, for display only (the text itself is never changed).

    A text is wrapped when most of its lines are as wide as one another (the commonest
    width, ±2 columns, in at least 30 % of the lines); a break is soft when the line before
    it is that wide (less 6 columns), does not end a sentence (。！？；：) and the next line
    does not start a heading, an item (（三）, 4.) or a page mark.  Texts typed as one line
    per paragraph have no common width and keep every break.

    >>> t = "一二三四五六七八九十\\n\\n一二三四五六七八九十\\n— 2 —\\n一二三。\\n（二）一二三四五六七"
    >>> [t[s.start : s.end] for s in soft_breaks(t)]
    ['\\n\\n', '\\n— 2 —\\n']
    """
    lines: list[tuple[int, int, str]] = []  # start, end of the content (stripped), content
    pos = 0
    for raw in text.split("\n"):
        content = raw.strip()
        if content:
            start = pos + raw.index(content[0])
            lines.append((start, start + len(content), content))
        pos += len(raw) + 1
    widths = Counter(_columns(c) for _, _, c in lines if not _PAGE_MARK.fullmatch(c))
    if not widths:
        return []
    common = widths.most_common(1)[0][0]
    near = sum(n for w, n in widths.items() if abs(w - common) <= 2)
    if near < _WRAP_SHARE * sum(widths.values()):
        return []
    out: list[Span] = []
    i = 0
    while i < len(lines) - 1:
        _, end, content = lines[i]
        j = i + 1
        while j < len(lines) and _PAGE_MARK.fullmatch(lines[j][2]):  # a page mark inside a paragraph goes with its break
            j += 1
        if j == len(lines):
            break
        nxt = lines[j][2]
        soft = (
            _columns(content) >= common - _WRAP_SLACK
            and content[-1] not in _HARD_END
            and not _HEADING.match(nxt)
            and not (content[-1].isascii() and content[-1].isalnum() and nxt[0].isascii() and nxt[0].isalnum())
        )
        if soft:
            out.append(Span(end, lines[j][0]))
        i = j
    return out
