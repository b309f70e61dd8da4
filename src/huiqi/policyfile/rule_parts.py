"""Reading the parts of a rule: facts, conditions, amounts, caps, funding and
exclusivity — each checked against the catalogue and its citation."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any

from huiqi.core.facts import FieldSpec
from huiqi.core.legal import COMPARISONS
from huiqi.core.model import (
    LEVELS,
    AmountSpec,
    ByValue,
    Cap,
    Ceiling,
    Citation,
    Compare,
    Condition,
    Contains,
    Exclusivity,
    FactExpr,
    Field,
    FirstTime,
    Fixed,
    Funding,
    Holds,
    InKind,
    Interpretation,
    IsTrue,
    NoAmount,
    OneOf,
    PayerShare,
    PerUnit,
    RangeRate,
    Rate,
    Ratio,
    Right,
    Sum,
    Tier,
    Tiers,
    Total,
    YearSum,
)
from huiqi.core.money import MoneyError, parse_money, parse_number, parse_rate

from .reader_base import (
    PAYER_ROLES,
    PAYER_WORDS,
    ReaderBase,
    _digits,
    _kind_of,
    _number_in,
    _role,
    _says_floor,
    _says_up_to,
    _split_in,
)
from .yamlnodes import LList, LMap, as_written

__all__ = ["RulePartsReader"]

# the keys of each form of amount, besides cite
_AMOUNT_KEYS: dict[str, tuple[str, ...]] = {
    "fixed": ("fixed",),
    "max": ("max", "tiers_unpublished"),
    "rate": ("rate", "of", "up_to", "at_least"),
    "per_unit": ("per_unit", "unit", "of", "up_to"),
    "sum": ("sum", "up_to"),
    "by": ("by", "cases", "each"),
    "tiers_on": ("tiers_on", "steps"),
    "range": ("range", "of", "floor", "cap"),
    "none": ("none",),
    "in_kind": ("in_kind", "fee_cap"),
    "right": ("right",),
}


class RulePartsReader(ReaderBase):
    """Rule parts; the benefit and document levels are in :mod:`.loader`."""

    each_left_out = False  # reading a bare case of ``by`` whose form is each's default (max)

    # -- facts ------------------------------------------------------------
    def field(self, event: str, path: Any, line: int) -> tuple[Field, FieldSpec | None]:
        ref = Field(str(path))
        spec = self.catalogue.field(event, ref.path)
        if spec is None and (ref.on_enterprise or event in self.catalogue.events):  # an unknown event is named once
            where = "企业" if ref.on_enterprise else f"事项“{event}”"
            self.problem(line, f"未知的事实“{path}”（{where}的字段见 {self.facts}/*.yaml）")
        return ref, spec

    def fact_expr(self, node: LMap, event: str) -> tuple[FactExpr | None, str]:
        """A fact reference: ``fact``, ``ratio: [a, b]`` or ``total: [a, b]``; returns (expr, kind)."""
        if "fact" in node:
            ref, spec = self.field(event, node["fact"], node.line_of("fact"))
            kind = _kind_of(spec)
            return ref, kind
        if "ratio" in node:
            pair = node["ratio"]
            if not isinstance(pair, list) or len(pair) != 2:
                self.problem(node.line_of("ratio"), "ratio应为两个事实：[分子, 分母]")
                return None, "rate"
            num, _ = self.field(event, pair[0], node.line_of("ratio"))
            den, _ = self.field(event, pair[1], node.line_of("ratio"))
            return Ratio(num, den), "rate"
        if "total" in node:
            parts = node["total"]
            if not isinstance(parts, list) or not parts:
                self.problem(node.line_of("total"), "total应为事实列表")
                return None, "number"
            refs = [self.field(event, p, node.line_of("total")) for p in parts]
            kind = _kind_of(refs[0][1])
            return Total(tuple(r for r, _ in refs)), kind
        self.problem(node.line, "缺少事实：fact、ratio或total")
        return None, "number"

    def condition(self, raw: Any, event: str, line: int) -> Condition | None:
        if not isinstance(raw, LMap):
            self.problem(line, f"条件应为映射：{as_written(raw)}")
            return None
        words = [k for k in raw if k in COMPARISONS]
        if "holds" in raw:
            titles = raw["holds"] if isinstance(raw["holds"], list) else [raw["holds"]]
            for t in titles:
                if self.catalogue.qualification_titles and t not in self.catalogue.qualification_titles:
                    self.problem(raw.line_of("holds"), f"未知的资质名称“{t}”（见 {self.facts}/*.yaml 的 qualification_titles）")
            self.only(raw, ("holds", "cite"), words=False)
            return Holds(tuple(str(t) for t in titles), self.cite(raw, required=False))
        if "first_time" in raw:
            self.only(raw, ("first_time", "same_level", "cite"), words=False)
            if raw["first_time"] is not True:
                self.problem(raw.line_of("first_time"), f"first_time只能为true（首次/新获评）：{as_written(raw['first_time'])}")
            cite = self.cite(raw)
            return FirstTime(cite or Citation(""), self.flag(raw, "same_level", True))
        if words:
            self.only(raw, ("fact", "ratio", "total", "sum", "cite"))
            if len(words) > 1:
                self.problem(raw.line, f"一个条件只能有一个比较词：{'、'.join(words)}")
            word = words[0]
            expr, kind = self.fact_expr(raw, event)
            if "sum" in raw:  # 一年内……合计: the benefit's events of the year summed (YearSum)
                if raw["sum"] != "year" or not isinstance(expr, Field) or expr.on_enterprise:
                    self.problem(
                        raw.line_of("sum"), f"sum只能为year（同一年度本类事项合计），且只用于事项字段：{as_written(raw['sum'])}"
                    )
                else:
                    expr = YearSum(expr)
            value_raw = raw[word]
            digits = _digits(value_raw)
            spec = self.catalogue.field(event, expr.path) if isinstance(expr, Field) else None
            unit = (spec.unit or "") if spec is not None else ""
            if kind == "number" and unit[:1] in ("万", "亿") and not digits.endswith(("万", "亿")):
                digits += unit[0]  # a field counted in 万台 or 亿: 超5 reads 超5万台 in the text
            try:
                if kind == "money":
                    value = Fraction(parse_money(value_raw))
                elif kind == "rate":
                    value = parse_rate(value_raw)
                else:
                    value = parse_number(value_raw)
            except MoneyError as exc:
                hint = f"（{spec.label}以{unit}计，只写数字，如100）" if spec is not None and unit and kind == "number" else ""
                if spec is not None or not isinstance(expr, Field):  # an unknown fact is already named
                    self.problem(raw.line_of(word), f"比较值不对：{exc}{hint}")
                value = Fraction(0)
            if kind == "other":
                self.problem(raw.line, "只有金额、数值、比例可以比较大小")
            if value < 0:
                self.problem(raw.line_of(word), f"比较值不能为负数：{as_written(value_raw)}")
            cite = self.cite(raw, numbers=(digits,))
            if expr is None or cite is None:
                return None
            self.compared[id(cite)] = digits
            return Compare(expr, COMPARISONS[word], value, kind, cite)
        ref, spec = self.field(event, raw.get("fact"), raw.line_of("fact")) if "fact" in raw else (None, None)
        if ref is None:
            self.problem(raw.line, "条件应有fact及in/not_in/equals/contains/is之一，或一个比较词（以上、超过、不低于……）")
            return None
        cite = self.cite(raw, required=False)
        self.only(raw, ("fact", "cite", "in", "not_in", "equals", "contains", "is"), words=False)
        for key in ("in", "not_in", "equals"):
            if key in raw:
                values = raw[key] if isinstance(raw[key], list) else [raw[key]]
                self.check_values(spec, values, raw.line_of(key))
                return OneOf(ref, tuple(str(v) for v in values), cite, negate=key == "not_in")
        if "contains" in raw:
            values = raw["contains"] if isinstance(raw["contains"], list) else [raw["contains"]]
            self.check_values(spec, values, raw.line_of("contains"))
            return Contains(ref, tuple(str(v) for v in values), cite)
        if "is" in raw:
            if spec is not None and spec.type != "bool":
                self.problem(raw.line_of("is"), f"“{ref.path}”不是是/否字段")
            return IsTrue(ref, self.flag(raw, "is"), cite)
        known = {
            "fact",
            "ratio",
            "total",
            "cite",
            "sum",
            "in",
            "not_in",
            "equals",
            "contains",
            "is",
            "holds",
            "first_time",
            "same_level",
        }
        unknown = [str(k) for k in raw if k not in known]
        known_words = "、".join(COMPARISONS)
        hint = f"；“{'、'.join(unknown)}”不是可用的键或比较词（比较词：{known_words}）" if unknown else ""
        self.problem(raw.line, f"条件缺少in/not_in/equals/contains/is或比较词{hint}")
        return None

    def check_values(self, spec: FieldSpec | None, values: list[Any], line: int) -> None:
        if spec is None or spec.type not in ("enum", "enum_list"):
            return
        for v in values:
            if str(v) not in spec.values:
                self.problem(line, f"“{v}”不是“{spec.label}”的可选值（见 {self.facts}/*.yaml）")

    def conditions(self, node: LMap, key: str, event: str) -> tuple[Condition, ...]:
        raw = node.get(key)
        if raw is None:
            return ()
        if not isinstance(raw, LList):
            self.problem(node.line_of(key), f"“{key}”应为条件列表")
            return ()
        out = []
        for item, line in zip(raw, raw.item_lines, strict=True):
            cond = self.condition(item, event, line)
            if cond is not None:
                out.append(cond)
        return tuple(out)

    # -- amounts ----------------------------------------------------------
    def role(self, form: str, number: str, cite: Citation, line: int, up_to: bool | None = None) -> None:
        """The number of an amount or cap must be the one the quote pays or caps with, not its threshold
        (a fixed 1000万元 read off 超过1000万元 paid 1000万元), and 不超过 in the text is ``up_to``."""
        if not number or not cite.quote:
            return
        found = _role(number, cite.quote)
        shown = {"fixed": "金额", "max": "最高金额", "rate": "比例", "per_unit": "单价", "cap": "上限"}[form]
        if found == "threshold":
            self.problem(line, f"数字{number}在引文中是条件的门槛，不是{shown}：“{cite.quote}”（请核对引用的数字）")
        elif found == "ceiling" and form == "fixed":
            self.problem(line, f"引文写的是最高/不超过{number}，应写 max: 而非 fixed:：“{cite.quote}”")
        elif form == "max" and _says_up_to(number, cite.quote) is False and self.each_left_out:
            # 分别给予200万元、100万元 with bare cases: the author wrote no max:, each's default did
            self.problem(
                line,
                f"引文没有把{number}写为上限（最高、不超过、以内……）：cases中只写金额、未写each时按 each: max（最高）读；"
                f"确定的金额请在by旁写 each: fixed：“{cite.quote}”",
            )
        elif form == "max" and _says_up_to(number, cite.quote) is False:  # 给予50万元 read as 最高50万元
            self.problem(
                line, f"引文没有把{number}写为上限（最高、不超过、以内……）；确定的金额应写 fixed: 而非 max:：“{cite.quote}”"
            )
        if up_to is None:
            return
        says = _says_up_to(number, cite.quote)
        if says and not up_to:  # 按照不超过…的5% encoded as exactly 5%: an exact amount the text does not promise
            self.problem(line, f"引文写的是不超过/最高{number}，应写 up_to: true（金额为上限，不是确定数）：“{cite.quote}”")
        elif says is False and up_to:
            self.problem(line, f"引文没有把{number}写为上限（不超过、最高……），up_to: true 与原文不符：“{cite.quote}”")

    def amount(
        self, raw: Any, event: str, inherited: Citation | None, line: int, each: str = "max", in_sum: bool = False
    ) -> AmountSpec:
        if isinstance(raw, (str, int)) and not isinstance(raw, bool):
            node = LMap({each: raw})
            node.line, node.key_lines = line, {}
            raw = node
        if not isinstance(raw, LMap):
            self.problem(line, f"金额应为映射：{as_written(raw)}")
            return NoAmount("", Citation(""))
        forms = [
            k
            for k in ("fixed", "max", "rate", "per_unit", "sum", "by", "tiers_on", "range", "none", "in_kind", "right")
            if k in raw
        ]
        if len(forms) != 1:
            self.problem(
                raw.line, "金额须且只须有一种形式：fixed、max、rate、per_unit、sum、by、tiers_on、range、none、in_kind、right"
            )
            return NoAmount("", Citation(""))
        form = forms[0]
        self.only(raw, ("cite", *_AMOUNT_KEYS[form]), words=False)
        if form in ("fixed", "max"):
            fen, digits = self.money(raw, form)
            cite = self.cite_or(raw, inherited, (digits,))
            self.role(form, digits, cite, raw.line_of(form))
            if form == "fixed":
                return Fixed(fen, cite)
            return Ceiling(fen, cite, self.flag(raw, "tiers_unpublished"))
        if form == "rate":
            rate, digits = self.rate(raw, "rate")
            base, _ = self.base(raw, event)
            cite = self.cite_or(raw, inherited, (digits,))
            up_to = self.flag(raw, "up_to")
            self.role("rate", digits, cite, raw.line_of("rate"), None if in_sum else up_to)
            return Rate(rate, base, cite, up_to=up_to, at_least=self.flag(raw, "at_least"))
        if form == "per_unit":
            fen, digits = self.money(raw, "per_unit")
            base, _ = self.base(raw, event)
            spec = self.catalogue.field(event, base.path) if isinstance(base, Field) else None
            unit = str(raw.get("unit", ""))
            if spec is not None and spec.unit and not unit:
                self.problem(raw.line, f"单价缺少unit（应为基数{spec.label}的单位：{spec.unit}）")
            elif spec is not None and spec.unit and unit != spec.unit:
                self.problem(raw.line_of("unit"), f"单价单位“{unit}”与基数{spec.label}的单位“{spec.unit}”不符")
            cite = self.cite_or(raw, inherited, (digits,))
            up_to = self.flag(raw, "up_to")
            self.role("per_unit", digits, cite, raw.line_of("per_unit"), None if in_sum else up_to)
            return PerUnit(fen, str(raw.get("unit", "")), base, cite, up_to=up_to)
        if form == "sum":
            cite = self.cite_or(raw, inherited, ())
            parts = raw["sum"] if isinstance(raw["sum"], LList) else LList()
            specs = tuple(
                self.amount(p, event, cite, ln, in_sum=True)
                for p, ln in zip(parts, getattr(parts, "item_lines", []), strict=False)
            )
            up_to = self.flag(raw, "up_to")
            first = parts[0] if parts else None  # 按照不超过项目实际总投入的5%和…叠加: 不超过 before the first part
            if isinstance(first, LMap):
                key = next((k for k in ("rate", "per_unit") if k in first), None)
                if key is not None:
                    self.role(key, _digits(first[key]), cite, raw.line_of("up_to") or raw.line, up_to)
            return Sum(specs, cite, up_to=up_to)
        if form == "by":
            ref, spec = self.field(event, raw["by"], raw.line_of("by"))
            cite = self.cite_or(raw, inherited, ())
            cases = raw.get("cases")
            if not isinstance(cases, LMap) or not cases:
                self.problem(raw.line, "by须有cases：值 → 金额")
                return NoAmount("", cite)
            self.check_values(spec, list(cases), cases.line)
            each_form = str(raw.get("each", "max"))
            amounts = []
            for k, v in cases.items():
                self.each_left_out = "each" not in raw and isinstance(v, (str, int)) and not isinstance(v, bool)
                amounts.append((str(k), self.amount(v, event, cite, cases.line_of(k), each_form)))
            self.each_left_out = False
            return ByValue(ref, tuple(amounts), cite)
        if form == "tiers_on":
            ref, spec = self.field(event, raw["tiers_on"], raw.line_of("tiers_on"))
            cite = self.cite_or(raw, inherited, ())
            steps = raw.get("steps")
            tiers = []
            for step, ln in zip(steps or [], getattr(steps, "item_lines", []), strict=False):
                words = [k for k in step if k in COMPARISONS]
                if len(words) != 1:
                    self.problem(ln, "每档须有一个比较词（超过、以上……）")
                    continue
                try:
                    threshold = parse_number(step[words[0]])
                except MoneyError as exc:  # 超过: 1000万元 gave a traceback
                    self.problem(ln, f"档位值不对：{exc}（只写数字，按{spec.label if spec else '该字段'}的单位）")
                    continue
                if not _number_in(_digits(step[words[0]]), cite.quote):
                    self.problem(ln, f"数字{step[words[0]]}不在其引文中")
                body = LMap({k: v for k, v in step.items() if k != words[0]})
                body.line, body.key_lines = ln, step.key_lines
                tiers.append(Tier(COMPARISONS[words[0]], threshold, self.amount(body, event, cite, ln)))
            return Tiers(ref, tuple(tiers), cite)
        if form == "range":
            pair = raw["range"]
            if not isinstance(pair, list) or len(pair) != 2:
                self.problem(raw.line_of("range"), "range应为[下限比例, 上限比例]")
                return NoAmount("", Citation(""))
            low, d1 = self.rate(raw, "range", pair[0])
            high, d2 = self.rate(raw, "range", pair[1])
            base, _ = self.base(raw, event)
            if d1 and d2 and low > high:  # [10%, 5%] gave one exact amount (50万元～50万元)
                self.problem(
                    raw.line_of("range"),
                    f"range的下限{pair[0]}高于上限{pair[1]}：应为[下限比例, 上限比例]，如 [{pair[1]}, {pair[0]}]",
                )
            floor = self.money(raw, "floor") if "floor" in raw else (None, "")
            cap = self.money(raw, "cap") if "cap" in raw else (None, "")
            if floor[0] is not None and cap[0] is not None and floor[1] and cap[1] and floor[0] > cap[0]:
                self.problem(
                    raw.line_of("floor"),
                    f"保底floor（{raw['floor']}）高于上限cap（{raw['cap']}）：每个项目都只得一个数；请核对原文的不低于与最高",
                )
            cite = self.cite_or(raw, inherited, (d1, d2, floor[1], cap[1]))
            if floor[1] and _says_floor(floor[1], cite.quote) is False:  # 最高不超过200万元 encoded as the floor
                self.problem(
                    raw.line_of("floor"), f"引文没有把{floor[1]}写为保底（不低于、不少于、最低……），不能作floor：“{cite.quote}”"
                )
            if cap[1] and _says_up_to(cap[1], cite.quote) is False:  # 不低于20万元 encoded as the cap
                self.problem(raw.line_of("cap"), f"引文没有把{cap[1]}写为上限（最高、不超过……），不能作cap：“{cite.quote}”")
            return RangeRate(low, high, base, cite, floor[0], cap[0])
        cite = self.cite_or(raw, inherited, ())
        if form == "none":
            return NoAmount(str(raw["none"]), cite)
        if form == "in_kind":
            fee = self.money(raw, "fee_cap") if "fee_cap" in raw else (None, "")
            if not _number_in(fee[1], cite.quote):
                self.problem(raw.line, f"数字{fee[1]}不在其引文中")
            return InKind(str(raw["in_kind"]), cite, fee[0])
        return Right(str(raw["right"]), cite)

    def base(self, node: LMap, event: str) -> tuple[FactExpr, str]:
        of = node.get("of")
        if of is None:
            self.problem(node.line, "缺少基数“of”")
            return Field("?"), "number"
        if isinstance(of, list):
            fake = LMap({"total": of})
            fake.line, fake.key_lines = node.line_of("of"), {}
            expr, kind = self.fact_expr(fake, event)
        else:
            ref, spec = self.field(event, of, node.line_of("of"))
            expr, kind = ref, _kind_of(spec)
            if spec is not None and kind == "other":
                self.problem(node.line_of("of"), f"基数“{of}”（{spec.label}）不是金额或数值，不能按比例或单价计算")
        return expr or Field("?"), kind

    # -- caps, funding, exclusivity ----------------------------------------
    def cap(self, raw: Any, line: int, owner: str, index: int, event: str, read_yearly: bool = False) -> Cap | None:
        """One cap; ``read_yearly``: its benefit's interpretation reads it per year where the words do not say so."""
        if not isinstance(raw, LMap):
            self.problem(line, "上限应为映射")
            return None
        self.only(raw, ("id", "per", "max", "by", "cases", "cite", "key", "benefits", "prior_levels"), words=False)
        if "per" not in raw:  # it was read as enterprise_year: a misspelt ``pre: item`` capped the year instead
            self.problem(raw.line, "上限须写范围per：item（单个项目）、enterprise_year（单个企业每年）或key（同一键）")
        per = str(raw.get("per", "enterprise_year"))
        if per not in ("item", "enterprise_year", "key"):
            self.problem(raw.line_of("per"), f"上限范围per应为item、enterprise_year或key：{as_written(raw.get('per'))}")
        fen, digits = (None, "")
        by_fen: list[tuple[str, int]] = []
        by_ref = None
        numbers: list[str] = []
        if "max" in raw:
            fen, digits = self.money(raw, "max")
            numbers.append(digits)
        if "by" in raw:
            by_ref, spec = self.field(event, raw["by"], raw.line_of("by"))
            cases = raw.get("cases")
            if isinstance(cases, LMap):
                self.check_values(spec, list(cases), cases.line)
                for k, v in cases.items():
                    try:
                        by_fen.append((str(k), parse_money(v)))
                        numbers.append(_digits(v))
                    except MoneyError as exc:
                        self.problem(cases.line_of(k), str(exc))
        if fen is None and not by_fen:
            self.problem(raw.line, "上限须有max或by/cases")
        cite = self.cite(raw, numbers=tuple(numbers))
        if cite is not None:
            for number in numbers:
                self.role("cap", number, cite, raw.line)
        if cite is not None:
            self.cap_scope(per, numbers, cite, raw.line_of("per") if "per" in raw else raw.line, read_yearly)
        if per == "key" and not raw.get("key"):
            self.problem(raw.line, "per: key 的上限须写key（如product）")
        benefits = raw.get("benefits") or []
        prior = raw.get("prior_levels") or []
        for lv in prior:
            if lv not in LEVELS:
                self.problem(raw.line_of("prior_levels"), f"未知层级“{lv}”")
        return Cap(
            id=str(raw.get("id") or f"{owner}#cap{index}"),
            per=per,
            fen=fen,
            cite=cite or Citation(""),
            benefits=tuple(str(b) for b in benefits),
            key=raw.get("key"),
            by=by_ref,
            by_fen=tuple(by_fen),
            prior_levels=tuple(str(p) for p in prior),
        )

    def cap_scope(self, per: str, numbers: list[str], cite: Citation, line: int, read_yearly: bool) -> None:
        """A cap's ``per`` against its words: 单个企业每年最高 is ``enterprise_year``, 单个项目最高 is ``item`` (a yearly cap
        written per: item capped each project alone, and the other way round). A yearly reading of words that
        do not say 年 needs its benefit's interpretation to say so (按每个企业每年一次计)."""
        for number in numbers:
            clauses = [c for c in re.split(r"[，,；;。]", cite.quote) if number and number in c]
            if not clauses:
                continue
            if per == "enterprise_year" and "年" not in cite.quote and not read_yearly:
                self.problem(
                    line,
                    f"上限范围per: enterprise_year（单个企业每年）与引文不符：“{clauses[0]}”未写每年、年度；"
                    "单个项目的上限应写 per: item，按每年读的请在interpretation中写明（如“按每个企业每年一次计”）",
                )
            elif per == "item" and all(any(w in c for w in ("每年", "年度", "累计")) for c in clauses):
                self.problem(
                    line, f"上限范围per: item（单个项目）与引文不符：“{clauses[0]}”是每年或累计的上限，应写 per: enterprise_year"
                )

    def funding(self, raw: Any, line: int) -> tuple[Funding | None, tuple[Interpretation, ...]]:
        """Who pays, and how it reads the text where the text is silent (shown as 出资：…)."""
        if raw is None:
            return None, ()
        if not isinstance(raw, LMap):
            self.problem(line, "funding应为映射")
            return None, ()
        self.only(raw, ("shares", "cite", "disburser", "interpretation"), words=False)
        read = tuple(Interpretation(f"出资：{i.reason}") for i in self.interpretations(raw))
        shares_raw = raw.get("shares")
        shares: list[PayerShare] = []
        written: list[str] = []  # each share's number as the quote must write it: 3, or 30%
        percent: set[bool] = set()  # whether the shares are written as percentages
        whole = isinstance(shares_raw, LMap)  # every share readable: then the quote's split is checked
        if isinstance(shares_raw, LMap):
            for role, weight in shares_raw.items():
                if role not in PAYER_ROLES:
                    self.problem(shares_raw.line_of(role), f"未知的出资方“{role}”（可用：{'、'.join(PAYER_ROLES)}）")
                    whole = False
                share = _share(weight)
                if share is None:  # no default share: it was checked against the quote as 数字1
                    self.problem(
                        shares_raw.line_of(role), f"分担比例应为正整数（如3:7的3）或整数百分比（如30%）：{as_written(weight)}"
                    )
                    whole = False
                    continue
                shares.append(PayerShare(str(role), share[0]))
                written.append(f"{share[0]}%" if share[1] else str(share[0]))
                percent.add(share[1])
            if len(percent) > 1:
                self.problem(
                    shares_raw.line, f"分担比例须都写为整数（如 3、7）或都写为百分比（如 30%、70%）：{_shown_shares(shares_raw)}"
                )
                whole = False
            elif percent == {True} and sum(s.weight for s in shares) != 100:
                total = sum(s.weight for s in shares)
                self.problem(shares_raw.line, f"百分比分担合计应为100%，实为{total}%：{_shown_shares(shares_raw)}")
                whole = False
        else:
            self.problem(raw.line, "funding须有shares：出资方 → 份额")
        numbers = tuple(written) if len(written) > 1 else ()
        cite = self.cite(raw, numbers=numbers)
        if cite is not None and whole and len(shares) > 1 and isinstance(shares_raw, LMap):
            self.split(shares, percent == {True}, cite, shares_raw.line)
        disburser = raw.get("disburser")
        if disburser is not None and disburser not in PAYER_ROLES:
            self.problem(raw.line_of("disburser"), f"未知的兑付方“{disburser}”")
        return Funding(tuple(shares), cite or Citation(""), disburser, self.owner), read

    def split(self, shares: list[PayerShare], percent: bool, cite: Citation, line: int) -> None:
        """Shares follow the quote's split: a ratio's numbers (按3:7比例) or a list of percentages
        (分别承担30%、70%), each used once, given to the payers in the order the quote names them
        (由市、区两级财政按3:7: city 3, district 7). A share's number only had to stand somewhere
        in the quote: {city: 7, district: 3} or a third payer reusing the 7 paid the wrong level."""
        found = _split_in(cite.quote)
        if found is None:
            return
        kind, numbers, words = found
        unit = "%" if percent else ""
        given = "{" + ", ".join(f"{s.role}: {s.weight}{unit}" for s in shares) + "}"
        split = "、".join(f"{n}%" for n in numbers) if kind == "percent" else ":".join(map(str, numbers))
        payers = [PAYER_WORDS[w] for w in words]
        named = len(payers) == len(numbers) and len(set(payers)) == len(payers)  # 由市、区两级财政按3:7
        expected = (
            "{" + ", ".join(f"{p}: {n}{'%' if kind == 'percent' else ''}" for p, n in zip(payers, numbers, strict=False)) + "}"
        )
        if kind == "ratio" and percent:
            self.problem(
                line,
                f"引文写的是比例{split}，分担比例应写比例的数字而非百分比"
                f"{f'，应为 {expected}' if named else ''}：{given}：“{cite.quote}”",
            )
            return
        if kind == "percent" and (not percent or len(numbers) != len(shares)):
            return  # each share's number is checked on its own (30 for 30%: its unit named; 各承担50%)
        if sorted(s.weight for s in shares) != sorted(numbers):
            self.problem(
                line,
                f"分担比例{given}与引文的{'比例' if kind == 'ratio' else '分担'}{split}不符："
                f"应为这{len(numbers)}个数，各用一次{f'，即 {expected}' if named else ''}：“{cite.quote}”",
            )
            return
        if not named:
            return  # the quote does not name the payers one by one: the order cannot be read
        if {s.role for s in shares} != set(payers):
            self.problem(
                line, f"分担比例{given}的出资方与引文不符：引文为{'、'.join(words)}按{split}，应为 {expected}：“{cite.quote}”"
            )
        elif any(dict(zip(payers, numbers, strict=True))[s.role] != s.weight for s in shares):
            self.problem(
                line, f"分担比例{given}与引文的顺序不符：引文按{'、'.join(words)}的顺序写{split}，应为 {expected}：“{cite.quote}”"
            )

    def exclusivity(self, raw: Any, line: int, doc_id: str) -> tuple[Exclusivity, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, LList):
            self.problem(line, "exclusivity应为列表")
            return ()
        out = []
        for i, (item, ln) in enumerate(zip(raw, raw.item_lines, strict=True)):
            if not isinstance(item, LMap):
                self.problem(ln, "exclusivity的每项应为映射")
                continue
            self.only(item, ("id", "within", "against", "cite", "interpretation", "articles"), words=False)
            within = str(item.get("within", "document"))
            if within not in ("document", "article", "none"):
                self.problem(item.line_of("within"), f"within应为document、article或none：{as_written(item.get('within'))}")
            against = [str(a) for a in item.get("against") or []]
            for a in against:
                if a not in (*LEVELS, "higher"):
                    self.problem(item.line_of("against"), f"未知层级“{a}”")
            interp = self.interpretations(item)
            articles = item.get("articles") or []
            if not isinstance(articles, list):
                self.problem(item.line_of("articles"), "articles应为条款号列表")
                articles = []
            out.append(
                Exclusivity(
                    id=str(item.get("id") or f"{doc_id}#excl{i}"),
                    within=within,
                    against=tuple(against),
                    cite=self.cite(item) or Citation(""),
                    interpretation=interp[0] if interp else None,
                    articles=tuple(str(a) for a in articles),
                )
            )
        return tuple(out)


_PERCENT_SHARE = re.compile(r"\s*([0-9]+)\s*[%％]\s*")


def _share(weight: Any) -> tuple[int, bool] | None:
    """A payer's share as written: a positive whole number (3 of 3:7) or a whole percentage
    (30% of 30%、70%, read as the ratio 30:70); ``(number, is_percent)``, ``None`` when it is neither."""
    if isinstance(weight, int) and not isinstance(weight, bool):
        return (weight, False) if weight > 0 else None
    found = _PERCENT_SHARE.fullmatch(weight) if isinstance(weight, str) else None
    if found is None or int(found.group(1)) <= 0:
        return None
    return int(found.group(1)), True


def _shown_shares(node: LMap) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in node.items()) + "}"
