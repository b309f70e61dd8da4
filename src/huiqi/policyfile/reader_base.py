"""The base of the policy-file reader: reporting problems with file and line,
locating citations in the source text, and reading values (money, rates, dates).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
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

from .yamlnodes import LMap, as_written

__all__ = [
    "DEFAULT_POLICY_DIR",
    "PAYER_ROLES",
    "PAYER_WORDS",
    "PolicyFileError",
    "PolicyFolderError",
    "ReaderBase",
    "check_policy_dir",
    "shown_path",
]

DEFAULT_POLICY_DIR = Path(__file__).resolve().parents[3] / "policies"
PAYER_ROLES = ("province", "city", "district", "town", "unspecified")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_HAN = re.compile(r"[\u4e00-\u9fff]")


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

    def __init__(self, path: Path, display: str, catalogue: Catalogue, facts: str = "policies/facts") -> None:
        self.path = path
        self.display = display
        self.catalogue = catalogue
        self.facts = facts  # the catalogue's folder, as messages name it (policies/facts, or DIR/facts)
        self.problems: list[str] = []
        self.source: SourceText | None = None
        self.anchor: Span | None = None  # the benefit's whole clause, while reading its parts
        self.owner = ""  # the name of the document's region, while reading it
        self.where = ""
        self.compared: dict[int, str] = {}  # a comparison's number as written, by its citation's id

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
            self.problem(node.line_of(key), f"字段“{key}”类型不对：{as_written(value)}")
            return None
        return value

    def only(self, node: LMap, allowed: set[str] | tuple[str, ...], words: bool = True) -> None:
        """Refuse a key not in ``allowed`` (a misspelt ``aginst`` or ``pre`` was ignored, and its
        default paid); comparison words (以上, 超过 …) pass where ``words``."""
        for key in node:
            if key not in allowed and not (words and key in COMPARISONS):
                self.problem(node.line_of(key), f"未知字段“{key}”（可用：{'、'.join(sorted(allowed))}）")

    def flag(self, node: LMap, key: str, default: bool = False) -> bool:
        """A yes/no key: YAML's true or false only (``is: 否`` or ``up_to: "false"`` read as true)."""
        value = node.get(key, default)
        if isinstance(value, bool):
            return value
        self.problem(node.line_of(key), f"“{key}”应为true或false（不加引号）：{as_written(value)}")
        return default

    # -- citations ------------------------------------------------------
    def cite(self, node: LMap, key: str = "cite", required: bool = True, numbers: tuple[str, ...] = ()) -> Citation | None:
        quote = node.get(key)
        line = node.line_of(key)
        if quote is None:
            if required:
                self.problem(node.line, "缺少引文（cite）：每个编码的数字都须引用原文")
            return None
        if not isinstance(quote, str) or not quote.strip():
            self.problem(line, f"引文应为原文字句：{as_written(quote)}")
            return None
        span = self._locate(quote)
        if self.source is not None and span is None:
            self.problem(line, f"引文未在原文中找到：“{quote}”")
        for number in numbers:
            if not _number_in(number, quote):
                self.problem(line, f"数字{number}不在其引文中{_unit_hint(number, quote)}：“{quote}”")
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
                hint = _unit_hint(number, inherited.quote) or "（此项未写cite，沿用上级的引文；请为此项单独写cite）"
                self.problem(node.line, f"数字{number}不在其引文中{hint}：“{inherited.quote}”")
        return inherited

    def check_words(
        self, conditions: Sequence[Condition], amount: AmountSpec | None, interpretations: Sequence[Interpretation]
    ) -> None:
        """Each comparison word (以上, 超过 …) must be the text's: its own or one of the same meaning
        (以上 = 不低于 = 达到) stands next to its number in its quote (超过1000万元, 300万元以上), or an
        interpretation of the benefit that names the number words the reading (“首次超过”读作……以往
        最高值不超过50亿元). A word elsewhere in a long quote, or in an interpretation about something
        else, let 以上 stand for the text's 超过."""
        checks = [(c.comparison, c.cite, self.compared.get(id(c.cite), "")) for c in conditions if isinstance(c, Compare)]
        if isinstance(amount, Tiers):
            checks += [(t.comparison, amount.cite, "") for t in amount.tiers]
        for comparison, cite, number in checks:
            if not cite.quote:
                continue
            same = [w for w, c in COMPARISONS.items() if c.symbol == comparison.symbol]
            read = [normalise(i.reason) for i in interpretations if not number or _number_in(number, i.reason)]
            if any(_word_in(w, r) for w in same for r in read):
                continue
            near = _word_near(same, number, cite.quote) if number else None
            if near or (near is None and any(_word_in(w, normalise(cite.quote)) for w in same)):
                continue
            where = "紧挨数字" + number if near is False else ""
            self.problem(
                cite.line,
                f"比较词“{comparison.word}”（{comparison.symbol}）与引文不符：引文中{where}没有{'、'.join(same)}之一：“{cite.quote}”"
                "（按原文用词；原文用词不同而须推出的，请在interpretation中写明，并写出该数字）",
            )

    def check_dates(self, node: LMap, cite: Citation, valid_from: date | None, valid_to: date | None) -> None:
        """Dates a validity quote writes out (2025年5月1日) are the ones encoded: with two written,
        ``from`` and ``to`` are among them; with one, ``from`` or ``to`` is it (自2021年1月1日起实施，
        有效期三年 gives ``to`` by counting; 自印发之日起施行，有效期至2027年12月31日 gives ``from``
        by the date of issue — both interpretations)."""
        if valid_from is not None and valid_to is not None and valid_to < valid_from:
            self.problem(node.line_of("to"), f"有效期to（{valid_to.isoformat()}）早于from（{valid_from.isoformat()}）")
        if valid_to is None and "有效期" in cite.quote:  # left out, the measure never expired
            self.problem(node.line, f"引文写有有效期，缺少截止日期to：“{cite.quote}”（长期有效的，不写“有效期”引文）")
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
            fen = parse_money(raw)
        except MoneyError as exc:
            self.problem(node.line_of(key), f"“{key}”不是金额：{exc}")
            return 0, ""
        if fen < 0:
            self.problem(node.line_of(key), f"“{key}”不能为负数：{as_written(raw)}")
        return fen, _digits(raw)

    def rate(self, node: LMap, key: str, raw: Any | None = None) -> tuple[Fraction, str]:
        raw = node.get(key) if raw is None else raw
        try:
            rate = parse_rate(raw)
        except MoneyError as exc:
            self.problem(node.line_of(key), f"“{key}”不是比例：{exc}")
            return Fraction(0), ""
        if rate < 0:
            self.problem(node.line_of(key), f"“{key}”不能为负数：{as_written(raw)}")
        return rate, _digits(raw)

    def date(self, node: LMap, key: str, required: bool = True) -> date | None:
        raw = node.get(key)
        if raw is None:
            if required:
                self.problem(node.line, f"缺少日期“{key}”")
            return None
        if isinstance(raw, date) and not isinstance(raw, datetime):
            return raw
        self.problem(node.line_of(key), f"“{key}”应为日期YYYY-MM-DD（不带时间）：{as_written(raw)}")
        return None

    def interpretations(self, node: LMap) -> tuple[Interpretation, ...]:
        raw = node.get("interpretation")
        if raw is None:
            return ()
        items = raw if isinstance(raw, list) else [raw]
        for item in items:  # shown to users as the reason a rule reads the text so: it must say one
            if not isinstance(item, str) or not _HAN.search(item):
                self.problem(
                    node.line_of("interpretation"), f"解释interpretation应为中文说明（为何这样理解原文）：{as_written(item)}"
                )
        return tuple(Interpretation(str(i)) for i in items if isinstance(i, str) and _HAN.search(i))


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
    normal = _flat(quote)
    if _number_spans(number, normal):
        return True
    digits = number.rstrip("万亿%元")
    unit = number[len(digits) :]
    spelt = _chinese(int(digits)) if digits.isdigit() else ""
    if unit == "%" and spelt and re.search(f"百分之{spelt}(?![零一二三四五六七八九十百点])", normal):  # 百分之五, 百分之二十
        return True
    return digits.isdigit() and int(digits) in _CHINESE_NUMERALS and _CHINESE_NUMERALS[int(digits)] + unit in normal


def _flat(quote: str) -> str:
    """A quote as the number checks read it: normalised, full-width ％ as %."""
    return normalise(quote).replace("％", "%")


def _number_spans(number: str, normal: str) -> list[tuple[int, int]]:
    """Where ``number`` (as :func:`_number_in` takes it) is written in digits in a quote as
    :func:`_flat` gives it: the start of its digits and the end of its unit."""
    digits = number.rstrip("万亿%元")
    unit = number[len(digits) :]
    # the digits alone (not inside 500 or 0.5), trailing zeros of a decimal allowed (4 in 4.0), then the unit
    pattern = re.compile(rf"(?<![0-9.]){re.escape(digits)}{'0*' if '.' in digits else '(?:[.]0+)?'}(?![0-9]|[.][0-9])")
    spans = []
    for found in pattern.finditer(normal):
        rest = normal[found.end() :]
        if rest.startswith(unit) if unit else not rest.startswith(("万", "亿", "%")):
            spans.append((found.start(), found.end() + len(unit)))
    return spans


def _spelt_spans(number: str, normal: str) -> list[tuple[int, int]]:
    """Where ``number`` is written in Chinese numerals (百分之五 for 5%, 十万元 for 10万): as
    :func:`_number_spans` gives the digits' places."""
    digits = number.rstrip("万亿%元")
    unit = number[len(digits) :]
    if not digits.isdigit():
        return []
    n = int(digits)
    if unit == "%" and _chinese(n):
        pattern = f"百分之{_chinese(n)}(?![零一二三四五六七八九十百点])"
    elif n in _CHINESE_NUMERALS:
        pattern = re.escape(_CHINESE_NUMERALS[n] + unit)
    else:
        return []
    return [(m.start(), m.end()) for m in re.finditer(pattern, normal)]


def _word_near(words: Sequence[str], number: str, quote: str) -> bool | None:
    """Whether one of ``words`` stands next to ``number`` in the quote, in the same clause
    (超过1000万元, 投入达到500万元, 500万元（含本数）及以上, 500万元人民币以上): a word elsewhere gave a
    threshold it does not govern. ``None`` when the number is not written there in digits (a
    Chinese numeral; :func:`_number_in` judges it)."""
    normal = _flat(quote)
    spans = _number_spans(number, normal)
    if not spans:
        return None
    for start, end in spans:
        before, after = normal[:start], normal[end:]
        for word in words:
            w = re.escape(word)
            # before: the word, then at most 8 characters of the same clause and no other number
            for m in re.finditer(rf"{w}(?=[^{_BREAKS}0-9]{{0,8}}$)", before):
                if word.startswith(("不", "未")) or m.start() == 0 or before[m.start() - 1] not in "不未":
                    return True  # 超过 inside 不超过 does not count
            if re.match(rf"[^{_BREAKS}0-9]{{0,8}}?{w}", after):
                return True
    return False


_BREAKS = "，。；,;：:"
_LOWER_BOUNDS = ("以上", "不低于", "不少于", "达到", "超过", "超", "高于")
_CEILINGS = ("不超过", "不高于", "最高", "最多", "至多", "上限", "封顶")
_CLAUSE_BREAK = re.compile(rf"[{_BREAKS}]")
# a ceiling word before its number, with the verb between (最高给予50万元, 最高不超过5%)
_CEILING_BEFORE = re.compile(rf"(?:{'|'.join(_CEILINGS)})(?:给予|奖励|补助|资助|支持|可达|可获|为|达|按)?[^{_BREAKS}0-9]{{0,2}}$")
# a ceiling word after it (5%以内, 5%（含）以内, 5%以下)
_CEILING_AFTER = re.compile(r"(（含）|\(含\))?(以内|以下)")
# what may stand between a ceiling word and a number it governs: words without digits, then the
# earlier numbers of a list the word governs too (分别给予最高300万元、200万元、50万元)
_LISTED_BEFORE = re.compile(r"[^0-9]*(?:[0-9]+(?:\.[0-9]+)?\s*(?:万元|亿元|万|亿|元|%)?\s*[、和及]\s*)*")


def _role(number: str, quote: str) -> str:
    """What the quote makes of ``number`` wherever it writes it in digits: ``threshold`` when each
    time a lower bound governs it (超过1000万元, 300万元（含）以上), ``ceiling`` when each time a
    ceiling word stands right before it (最高30万元, 最高给予50万元), else ``""`` (an amount, or not
    written in digits). A number taken from the wrong words of its own clause (a fixed amount of
    1000万元 read off 超过1000万元) passed the check that it is written there."""
    normal = _flat(quote)
    spans = _number_spans(number, normal)
    if not spans:
        return ""

    def lower_bound(start: int, end: int) -> bool:
        before, after = normal[max(0, start - 3) : start], normal[end : end + 9]
        for word in _LOWER_BOUNDS:
            at = before.rfind(word)
            if at >= 0 and at + len(word) >= len(before) - 1 and not before[:at].endswith(("不", "未")):
                return True
        return re.match(r"[^，。；,;0-9]{0,4}?(（含）|\(含\))?(及)?以上", after) is not None

    if all(lower_bound(s, e) for s, e in spans):
        return "threshold"
    if all(_CEILING_BEFORE.search(normal[max(0, s - 8) : s]) for s, _ in spans):
        return "ceiling"
    return ""


def _says_up_to(number: str, quote: str) -> bool | None:
    """Whether the quote writes ``number`` as an upper bound: a ceiling word (不超过、最高、至多 …)
    before it in the same clause with no other number between (按照不超过项目实际总投入的5%; not 对
    投资额不超过1000万元的项目按10%, whose 不超过 is the threshold's) but the earlier items of a list
    it governs (分别给予最高100万元、30万元), or 以内/以下 right after it; in digits or in Chinese
    numerals (按不超过百分之五); ``None`` when it is not written in either."""
    return _says_bound(number, quote, _CEILINGS, _CEILING_AFTER)


def _says_bound(number: str, quote: str, words: Sequence[str], after: re.Pattern[str] | None) -> bool | None:
    """Whether the quote writes ``number`` after one of ``words`` in the same clause with no other
    number between (a ``不…`` word not read out of a longer 不… one: 最高 in 不最高), or with
    ``after`` right behind it; ``None`` when the number is not written."""
    normal = _flat(quote)
    spans = _number_spans(number, normal) or _spelt_spans(number, normal)
    if not spans:
        return None
    for start, end in spans:
        clause = _CLAUSE_BREAK.split(normal[:start])[-1]
        for word in words:
            for m in re.finditer(re.escape(word), clause):
                if _LISTED_BEFORE.fullmatch(clause[m.end() :]) and (
                    word.startswith("不") or not clause[: m.start()].endswith("不")
                ):
                    return True
        if after is not None and after.match(normal[end : end + 6]):
            return True
    return False


# a ratio of shares as a text writes it: 3:7, 4：6, 2:3:5, 1比1 (``:`` is folded to ``：``)
_RATIO = re.compile(r"(?<![0-9.])[0-9]+(?:[：∶比][0-9]+)+(?![0-9])")
# a list of percentages a text splits a payment by: 30%、70%
_PERCENT_LIST = re.compile(r"(?<![0-9.])[0-9]+%(?:[、和及与][0-9]+%)+")
# the payers a text names, in its words: 省、市、区（县）、镇（街道、板块、乡）
PAYER_WORDS = {"省": "province", "市": "city", "区": "district", "县": "district"}
PAYER_WORDS.update(dict.fromkeys(("镇", "乡", "街道", "板块"), "town"))
_PAYER_TOKEN = rf"(?:{'|'.join(PAYER_WORDS)})(?:级)?(?:财政)?"
_PAYER_LIST = re.compile(rf"{_PAYER_TOKEN}(?:[、和与及]{_PAYER_TOKEN})+")


def _split_in(quote: str) -> tuple[str, list[int], list[str]] | None:
    """How a funding quote splits the money: ``("ratio", [3, 7], payers)`` for 按3:7比例,
    ``("percent", [30, 70], payers)`` for 分别承担30%、70%, with the payers the words name before
    it in the same sentence, in their order (市、区两级财政 → 市, 区; their roles in
    ``PAYER_WORDS``; empty when they are not named one by one); ``None`` when the quote writes
    neither."""
    normal = _flat(quote)
    found = _RATIO.search(normal)
    kind = "ratio"
    if found is None:
        found = _PERCENT_LIST.search(normal)
        kind = "percent"
    if found is None:
        return None
    numbers = [int(n) for n in re.findall(r"[0-9]+", found.group(0))]
    sentence = re.split(r"[。；]", normal[: found.start()])[-1]
    sentence = re.sub(r"（[^（）]*）", "", sentence)  # 镇（开发区、太湖新城）: the town, not three payers
    lists = _PAYER_LIST.findall(sentence)
    payers = re.findall("|".join(PAYER_WORDS), lists[-1]) if lists else []
    return kind, numbers, payers


_FLOORS = ("不低于", "不少于", "最低", "至少", "保底")


def _says_floor(number: str, quote: str) -> bool | None:
    """Whether the quote writes ``number`` as a lower bound of the amount: a floor word (不低于、
    最低 …) before it in the same clause with no other number between (每个项目不低于20万元), as
    :func:`_says_up_to` reads a ceiling; ``None`` when it is not written there."""
    return _says_bound(number, quote, _FLOORS, None)


def _unit_hint(number: str, quote: str) -> str:
    """Where the quote writes the same digits with another unit (100 against 100万元, 5 against
    5%): the unit to write, rather than a bare “not in its quote”."""
    digits = number.rstrip("万亿%元")
    if not digits:
        return ""
    normal = _flat(quote)
    found = re.search(rf"(?<![0-9.]){re.escape(digits)}(?![0-9]|[.][0-9])(万元|亿元|万|亿|%|元)?", normal)
    if found is None:
        return ""
    written = found.group(0)
    return f"（引文写的是“{written}”：请照原文写出数字与单位，如 {written}）"


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
