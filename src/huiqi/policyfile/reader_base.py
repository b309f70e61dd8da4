"""The base of the policy-file reader: reporting problems with file and line,
locating citations in the source text, and reading values (money, rates, dates).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

from huiqi.core.facts import Catalogue, FieldSpec
from huiqi.core.legal import COMPARISONS
from huiqi.core.model import (
    AmountSpec,
    Citation,
    Compare,
    Condition,
    Interpretation,
    Tiers,
)
from huiqi.core.money import MoneyError, parse_money, parse_rate
from huiqi.core.text import SourceText, Span, normalise

from .yamlnodes import LMap

__all__ = [
    "DEFAULT_POLICY_DIR",
    "PAYER_ROLES",
    "PolicyFileError",
    "PolicyFolderError",
    "ReaderBase",
    "check_policy_dir",
    "shown_path",
]

DEFAULT_POLICY_DIR = Path(__file__).resolve().parents[3] / "policies"
PAYER_ROLES = ("province", "city", "district", "town", "unspecified")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


class PolicyFileError(ValueError):
    """One or more mistakes in policy files, each with file and line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("政策文件有误：\n" + "\n".join(f"  {p}" for p in problems))


class PolicyFolderError(PolicyFileError):
    """The policy folder itself cannot be read: it does not exist, or it is a file."""

    def __init__(self, problem: str) -> None:
        super().__init__([problem])
        self.args = (problem,)


_FOLDER_HINT = "政策文件夹应包含政策文件（*.yaml）与事实目录（facts/*.yaml），如内置的policies文件夹"


class ReaderBase:
    """Reads one policy file, collecting problems instead of stopping at the first."""

    def __init__(self, path: Path, display: str, catalogue: Catalogue) -> None:
        self.path = path
        self.display = display
        self.catalogue = catalogue
        self.problems: list[str] = []
        self.source: SourceText | None = None
        self.anchor: Span | None = None  # the benefit's whole clause, while reading its parts
        self.owner = ""  # the name of the document's region, while reading it
        self.where = ""

    # -- reporting ------------------------------------------------------
    def problem(self, line: int, message: str) -> None:
        where = f" {self.where}:" if self.where else ""
        self.problems.append(f"{self.display}:{line}:{where} {message}")

    def need(self, node: LMap, key: str, kind: type | tuple[type, ...] = str) -> Any:
        if key not in node or node[key] is None:
            self.problem(node.line, f"缺少字段“{key}”")
            return None
        value = node[key]
        if not isinstance(value, kind):
            self.problem(node.line_of(key), f"字段“{key}”类型不对：{value!r}")
            return None
        return value

    def only(self, node: LMap, allowed: set[str]) -> None:
        for key in node:
            if key not in allowed and key not in COMPARISONS:
                self.problem(node.line_of(key), f"未知字段“{key}”（可用：{'、'.join(sorted(allowed))}）")

    # -- citations ------------------------------------------------------
    def cite(self, node: LMap, key: str = "cite", required: bool = True, numbers: tuple[str, ...] = ()) -> Citation | None:
        quote = node.get(key)
        line = node.line_of(key)
        if quote is None:
            if required:
                self.problem(node.line, "缺少引文（cite）：每个编码的数字都须引用原文")
            return None
        if not isinstance(quote, str) or not quote.strip():
            self.problem(line, f"引文应为原文字句：{quote!r}")
            return None
        span = self._locate(quote)
        if self.source is not None and span is None:
            self.problem(line, f"引文未在原文中找到：“{quote}”")
        for number in numbers:
            if not _number_in(number, quote):
                self.problem(line, f"数字{number}不在其引文中：“{quote}”")
        clause = self.anchor
        if numbers and span is not None and clause is not None and not (clause.start <= span.start and span.end <= clause.end):
            # a cap's 单个企业每年最高200万元 found in another benefit's sentence of the same article
            self.problem(
                line,
                f"引文不在本奖补项的条文（其cite）之内：“{quote}”——数字{'、'.join(numbers)}可能引自另一项的字句；"
                "若此句确实适用于本项，请把本项的cite扩至含此句",
            )
        return Citation(quote=quote, span=span, line=line)

    def _locate(self, quote: str) -> Span | None:
        """Where a quote stands; a short quote that occurs several times is
        pinned to the occurrence inside (or else nearest after) the clause of
        the benefit being read, so it highlights the right words."""
        if self.source is None:
            return None
        spans = self.source.find_all(quote)
        if len(spans) <= 1 or self.anchor is None:
            return spans[0] if spans else None
        anchor = self.anchor
        inside = [s for s in spans if anchor.start <= s.start and s.end <= anchor.end]
        if inside:
            return inside[0]
        return min(spans, key=lambda s: (s.start < anchor.start, abs(s.start - anchor.start)))

    def cite_or(self, node: LMap, inherited: Citation | None, numbers: tuple[str, ...]) -> Citation:
        if "cite" in node:
            found = self.cite(node, numbers=numbers)
            return found or Citation("", None, node.line)
        if inherited is None:
            self.problem(node.line, "缺少引文（cite）")
            return Citation("", None, node.line)
        for number in numbers:
            if not _number_in(number, inherited.quote):
                self.problem(node.line, f"数字{number}不在其引文中：“{inherited.quote}”（请为此项单独写cite）")
        return inherited

    def check_words(
        self, conditions: Sequence[Condition], amount: AmountSpec | None, interpretations: Sequence[Interpretation]
    ) -> None:
        """Each comparison word (以上, 超过 …) must be the text's: its own or one of the same meaning
        (以上 = 不低于 = 达到) stands in its quote, or the benefit's interpretation words the reading
        (“首次超过”读作……以往最高值不超过50亿元)."""
        reading = normalise("".join(i.reason for i in interpretations))
        checks = [(c.comparison, c.cite) for c in conditions if isinstance(c, Compare)]
        if isinstance(amount, Tiers):
            checks += [(t.comparison, amount.cite) for t in amount.tiers]
        for comparison, cite in checks:
            if not cite.quote:
                continue
            same = [w for w, c in COMPARISONS.items() if c.symbol == comparison.symbol]
            if not any(_word_in(w, normalise(cite.quote)) or _word_in(w, reading) for w in same):
                self.problem(
                    cite.line,
                    f"比较词“{comparison.word}”（{comparison.symbol}）与引文不符：引文中没有{'、'.join(same)}之一：“{cite.quote}”"
                    "（按原文用词；原文用词不同而须推出的，请在interpretation中写明）",
                )

    def check_dates(self, node: LMap, cite: Citation, valid_from: date | None, valid_to: date | None) -> None:
        """Dates a validity quote writes out (2025年5月1日) are the ones encoded: with two written,
        ``from`` and ``to`` are among them; with one, ``from`` or ``to`` is it (自2021年1月1日起实施，
        有效期三年 gives ``to`` by counting; 自印发之日起施行，有效期至2027年12月31日 gives ``from``
        by the date of issue — both interpretations)."""
        written = {
            date(int(y), int(m), int(d)) for y, m, d in re.findall(r"(\d{4})年(\d{1,2})月(\d{1,2})日", normalise(cite.quote))
        }
        if len(written) == 1 and (valid_from in written or valid_to in written):
            return
        for key, value in (("from", valid_from), ("to", valid_to)):
            if written and value is not None and value not in written:
                shown = "、".join(f"{d.year}年{d.month}月{d.day}日" for d in sorted(written))
                self.problem(node.line_of(key), f"有效期{key}为{value.isoformat()}，而引文写的日期为{shown}：“{cite.quote}”")

    # -- values ---------------------------------------------------------
    def money(self, node: LMap, key: str) -> tuple[int, str]:
        raw = node.get(key)
        try:
            return parse_money(raw), _digits(raw)
        except MoneyError as exc:
            self.problem(node.line_of(key), f"“{key}”不是金额：{exc}")
            return 0, ""

    def rate(self, node: LMap, key: str, raw: Any | None = None) -> tuple[Fraction, str]:
        raw = node.get(key) if raw is None else raw
        try:
            return parse_rate(raw), _digits(raw)
        except MoneyError as exc:
            self.problem(node.line_of(key), f"“{key}”不是比例：{exc}")
            return Fraction(0), ""

    def date(self, node: LMap, key: str, required: bool = True) -> date | None:
        raw = node.get(key)
        if raw is None:
            if required:
                self.problem(node.line, f"缺少日期“{key}”")
            return None
        if isinstance(raw, date):
            return raw
        self.problem(node.line_of(key), f"“{key}”应为日期YYYY-MM-DD：{raw!r}")
        return None

    def interpretations(self, node: LMap) -> tuple[Interpretation, ...]:
        raw = node.get("interpretation")
        if raw is None:
            return ()
        items = raw if isinstance(raw, list) else [raw]
        return tuple(Interpretation(str(i)) for i in items)


def _kind_of(spec: FieldSpec | None) -> str:
    if spec is None:
        return "number"
    if spec.type == "money":
        return "money"
    if spec.type == "rate":
        return "rate"
    if spec.type in ("number", "integer"):
        return "number"
    return "other"


_CHINESE_NUMERALS = dict(enumerate("零一二三四五六七八九十"))
_CHINESE_NUMERALS.update({100: "百", 1000: "千"})  # 参数量超百亿 (苏州2025 八)


def _word_in(word: str, text: str) -> bool:
    """Whether a comparison word stands in the text as itself: 超过 not as part of 不超过, 达到 not of 未达到."""
    return any(i == 0 or text[i - 1] not in "不未" for i in (m.start() for m in re.finditer(re.escape(word), text)))


_UNIT_AFTER = re.compile(r"\s*(万|亿|%|％|元)")


def _number_in(number: str, quote: str) -> bool:
    """Whether a number is written in the quote, in digits or as a Chinese numeral (三, 十, 百).

    ``number`` is as :func:`_digits` gives it: its digits and the unit written right after them
    (50万, 5%, 300元), which the quote must write after the same digits, standing alone (5万
    is not in 50万元, 50元 not in 50万元)."""
    if not number:
        return True
    normal = normalise(quote).replace("％", "%")
    digits = number.rstrip("万亿%元")
    unit = number[len(digits) :]
    # the digits alone (not inside 500 or 0.5), trailing zeros of a decimal allowed (4 in 4.0), then the unit
    pattern = re.compile(rf"(?<![0-9.]){re.escape(digits)}{'0*' if '.' in digits else '(?:[.]0+)?'}(?![0-9]|[.][0-9])")
    for found in pattern.finditer(normal):
        rest = normal[found.end() :]
        if rest.startswith(unit) if unit else not rest.startswith(("万", "亿", "%")):
            return True
    spelt = _chinese(int(digits)) if digits.isdigit() else ""
    if unit == "%" and spelt and re.search(f"百分之{spelt}(?![零一二三四五六七八九十百点])", normal):  # 百分之五, 百分之二十
        return True
    return digits.isdigit() and int(digits) in _CHINESE_NUMERALS and _CHINESE_NUMERALS[int(digits)] + unit in normal


def _chinese(n: int) -> str:
    """1…99 in Chinese numerals as a text writes them (五, 十五, 二十, 二十五)."""
    if not 0 < n < 100:
        return ""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else f"{_CHINESE_NUMERALS[tens]}十")
    return head + (_CHINESE_NUMERALS[ones] if ones else "")


def _digits(raw: Any) -> str:
    """The number of a value as written, with the unit right after it (万, 亿, %, 元): 50万元 → 50万."""
    text_raw = str(raw).replace(",", "")
    match = _NUMBER.search(text_raw)
    if not match:
        return ""
    text = match.group(0)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    unit = _UNIT_AFTER.match(text_raw, match.end())
    return text + (unit.group(1).replace("％", "%") if unit else "")


# --- entry points -------------------------------------------------------------


def shown_path(path: Path) -> str:
    """``path`` as a message names it: relative to the current folder when it lies under it, else in full."""
    path = path.absolute()
    try:
        return str(path.relative_to(Path.cwd()))
    except (ValueError, OSError):  # OSError: the current folder was removed
        return str(path)


def _display(path: Path, policy_dir: Path) -> str:
    """How a message names a file of ``policy_dir``: ``policies/…`` in the bundled folder (as the
    repository and its documentation name it), otherwise the file actually read (:func:`shown_path`)."""
    if policy_dir.resolve() == DEFAULT_POLICY_DIR:
        return str(Path("policies") / path.relative_to(policy_dir))
    return shown_path(path)


def check_policy_dir(policy_dir: Path) -> None:
    """Refuse a policy folder that does not exist or is a file, naming it as given."""
    if policy_dir.is_dir():
        return
    shown = shown_path(policy_dir)
    if policy_dir.exists():
        raise PolicyFolderError(f"“{shown}”是文件，不是政策文件夹；{_FOLDER_HINT}")
    raise PolicyFolderError(f"政策文件夹“{shown}”不存在；{_FOLDER_HINT}")
