"""Source texts and citations (引文).

The policy texts were extracted from PDFs: lines break mid-sentence, page
numbers such as ``— 22 —`` interrupt them, stray spaces appear, 臵 stands for 置
and some punctuation comes half-width.  A citation in a policy file is written
as the words read in the document; to find it we *normalise both sides for
matching* — never rewriting the law — and map the match back to offsets in the
original text, so that a citation can be highlighted where it stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SourceText", "Span", "brief", "normalise"]

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
