"""Reading policy files into :class:`~huiqi.core.model.Library`.

Each problem is collected as ``file:line: where: what is wrong`` and all of
them are raised together in one :class:`PolicyFileError`, so an author fixes
a file in one pass.  Every citation is looked up in the document's source
text, and every number a rule encodes must appear in the words it cites.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar

from huiqi.core.facts import Catalogue, FieldSpec
from huiqi.core.legal import COMPARISONS
from huiqi.core.model import (
    LEVELS,
    AmountSpec,
    Benefit,
    ByValue,
    Cap,
    Ceiling,
    Citation,
    Compare,
    Condition,
    Contains,
    Document,
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
    Library,
    NoAmount,
    OneOf,
    PayerShare,
    PerUnit,
    Quota,
    RangeRate,
    Rate,
    Ratio,
    Right,
    Sum,
    Tier,
    Tiers,
    Total,
    Uplift,
)
from huiqi.core.money import MoneyError, parse_money, parse_number, parse_rate
from huiqi.core.regions import REGIONS
from huiqi.core.text import SourceText, Span, normalise

from .yamlnodes import LList, LMap, YamlSyntaxError, load_yaml

__all__ = ["DEFAULT_POLICY_DIR", "PolicyFileError", "load_catalogue", "load_document", "load_library"]

DEFAULT_POLICY_DIR = Path(__file__).resolve().parents[3] / "policies"
PAYER_ROLES = ("province", "city", "district", "town", "unspecified")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


class PolicyFileError(ValueError):
    """One or more mistakes in policy files, each with file and line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("政策文件有误：\n" + "\n".join(f"  {p}" for p in problems))


class _Reader:
    """Reads one policy file, collecting problems instead of stopping at the first."""

    def __init__(self, path: Path, display: str, catalogue: Catalogue) -> None:
        self.path = path
        self.display = display
        self.catalogue = catalogue
        self.problems: list[str] = []
        self.source: SourceText | None = None
        self.anchor: Span | None = None  # the benefit's whole clause, while reading its parts
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

    # -- facts ------------------------------------------------------------
    def field(self, event: str, path: Any, line: int) -> tuple[Field, FieldSpec | None]:
        ref = Field(str(path))
        spec = self.catalogue.field(event, ref.path)
        if spec is None:
            known = self.catalogue.events.get(event)
            where = "企业" if ref.on_enterprise else (f"事项“{event}”" if known else "")
            self.problem(line, f"未知的事实“{path}”（{where}的字段见 policies/facts.yaml）")
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
            self.problem(line, f"条件应为映射：{raw!r}")
            return None
        words = [k for k in raw if k in COMPARISONS]
        if "holds" in raw:
            titles = raw["holds"] if isinstance(raw["holds"], list) else [raw["holds"]]
            for t in titles:
                if self.catalogue.qualification_titles and t not in self.catalogue.qualification_titles:
                    self.problem(raw.line_of("holds"), f"未知的资质名称“{t}”（见 policies/facts.yaml 的 qualification_titles）")
            return Holds(tuple(str(t) for t in titles), self.cite(raw, required=False))
        if "first_time" in raw:
            cite = self.cite(raw)
            return FirstTime(cite or Citation(""), bool(raw.get("same_level", True)))
        if words:
            if len(words) > 1:
                self.problem(raw.line, f"一个条件只能有一个比较词：{'、'.join(words)}")
            word = words[0]
            expr, kind = self.fact_expr(raw, event)
            value_raw = raw[word]
            digits = _digits(value_raw)
            try:
                if kind == "money":
                    value = Fraction(parse_money(value_raw))
                elif kind == "rate":
                    value = parse_rate(value_raw)
                else:
                    value = parse_number(value_raw)
            except MoneyError as exc:
                self.problem(raw.line_of(word), f"比较值不对：{exc}")
                value = Fraction(0)
            if kind == "other":
                self.problem(raw.line, "只有金额、数值、比例可以比较大小")
            cite = self.cite(raw, numbers=(digits,))
            if expr is None or cite is None:
                return None
            return Compare(expr, COMPARISONS[word], value, kind, cite)
        ref, spec = self.field(event, raw.get("fact"), raw.line_of("fact")) if "fact" in raw else (None, None)
        if ref is None:
            self.problem(raw.line, "条件应有fact及in/not_in/equals/contains/is之一，或一个比较词（以上、超过、不低于……）")
            return None
        cite = self.cite(raw, required=False)
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
            return IsTrue(ref, bool(raw["is"]), cite)
        self.problem(raw.line, "条件缺少in/not_in/equals/contains/is或比较词")
        return None

    def check_values(self, spec: FieldSpec | None, values: list[Any], line: int) -> None:
        if spec is None or spec.type not in ("enum", "enum_list"):
            return
        for v in values:
            if str(v) not in spec.values:
                self.problem(line, f"“{v}”不是“{spec.label}”的可选值（见 policies/facts.yaml）")

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
    def amount(self, raw: Any, event: str, inherited: Citation | None, line: int, each: str = "max") -> AmountSpec:
        if isinstance(raw, (str, int)) and not isinstance(raw, bool):
            node = LMap({each: raw})
            node.line, node.key_lines = line, {}
            raw = node
        if not isinstance(raw, LMap):
            self.problem(line, f"金额应为映射：{raw!r}")
            return NoAmount("", Citation(""))
        forms = [k for k in ("fixed", "max", "rate", "per_unit", "sum", "by", "tiers_on", "range", "none", "in_kind", "right") if k in raw]
        if len(forms) != 1:
            self.problem(raw.line, "金额须且只须有一种形式：fixed、max、rate、per_unit、sum、by、tiers_on、range、none、in_kind、right")
            return NoAmount("", Citation(""))
        form = forms[0]
        if form in ("fixed", "max"):
            fen, digits = self.money(raw, form)
            cite = self.cite_or(raw, inherited, (digits,))
            if form == "fixed":
                return Fixed(fen, cite)
            return Ceiling(fen, cite, bool(raw.get("tiers_unpublished", False)))
        if form == "rate":
            rate, digits = self.rate(raw, "rate")
            base, _ = self.base(raw, event)
            cite = self.cite_or(raw, inherited, (digits,))
            return Rate(rate, base, cite, up_to=bool(raw.get("up_to", False)), at_least=bool(raw.get("at_least", False)))
        if form == "per_unit":
            fen, digits = self.money(raw, "per_unit")
            base, _ = self.base(raw, event)
            cite = self.cite_or(raw, inherited, (digits,))
            return PerUnit(fen, str(raw.get("unit", "")), base, cite, up_to=bool(raw.get("up_to", False)))
        if form == "sum":
            cite = self.cite_or(raw, inherited, ())
            parts = raw["sum"] if isinstance(raw["sum"], LList) else LList()
            specs = tuple(self.amount(p, event, cite, ln) for p, ln in zip(parts, getattr(parts, "item_lines", []), strict=False))
            return Sum(specs, cite, up_to=bool(raw.get("up_to", False)))
        if form == "by":
            ref, spec = self.field(event, raw["by"], raw.line_of("by"))
            cite = self.cite_or(raw, inherited, ())
            cases = raw.get("cases")
            if not isinstance(cases, LMap) or not cases:
                self.problem(raw.line, "by须有cases：值 → 金额")
                return NoAmount("", cite)
            self.check_values(spec, list(cases), cases.line)
            each_form = str(raw.get("each", "max"))
            return ByValue(
                ref,
                tuple((str(k), self.amount(v, event, cite, cases.line_of(k), each_form)) for k, v in cases.items()),
                cite,
            )
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
                threshold = parse_number(step[words[0]])
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
            floor = self.money(raw, "floor") if "floor" in raw else (None, "")
            cap = self.money(raw, "cap") if "cap" in raw else (None, "")
            cite = self.cite_or(raw, inherited, (d1, d2, floor[1], cap[1]))
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
        return expr or Field("?"), kind

    # -- caps, funding, exclusivity ----------------------------------------
    def cap(self, raw: Any, line: int, owner: str, index: int, event: str) -> Cap | None:
        if not isinstance(raw, LMap):
            self.problem(line, "上限应为映射")
            return None
        per = str(raw.get("per", "enterprise_year"))
        if per not in ("item", "enterprise_year", "key"):
            self.problem(raw.line_of("per"), f"上限范围per应为item、enterprise_year或key：{per}")
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

    def funding(self, raw: Any, line: int) -> Funding | None:
        if raw is None:
            return None
        if not isinstance(raw, LMap):
            self.problem(line, "funding应为映射")
            return None
        shares_raw = raw.get("shares")
        shares: list[PayerShare] = []
        if isinstance(shares_raw, LMap):
            for role, weight in shares_raw.items():
                if role not in PAYER_ROLES:
                    self.problem(shares_raw.line_of(role), f"未知的出资方“{role}”（可用：{'、'.join(PAYER_ROLES)}）")
                if not isinstance(weight, int) or weight <= 0:
                    self.problem(shares_raw.line_of(role), f"分担比例应为正整数：{weight!r}")
                    weight = 1
                shares.append(PayerShare(str(role), int(weight)))
        else:
            self.problem(raw.line, "funding须有shares：出资方 → 份额")
        numbers = tuple(str(s.weight) for s in shares) if len(shares) > 1 else ()
        cite = self.cite(raw, numbers=numbers)
        disburser = raw.get("disburser")
        if disburser is not None and disburser not in PAYER_ROLES:
            self.problem(raw.line_of("disburser"), f"未知的兑付方“{disburser}”")
        return Funding(tuple(shares), cite or Citation(""), disburser)

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
            within = str(item.get("within", "document"))
            if within not in ("document", "article", "none"):
                self.problem(item.line_of("within"), f"within应为document、article或none：{within}")
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

    # -- benefits ---------------------------------------------------------
    BENEFIT_KEYS: ClassVar[set[str]] = {
        "id", "article", "title", "department", "event", "match", "when", "amount", "caps", "uplift",
        "quota", "funding", "once_per", "max_years", "applicants", "review", "interpretation", "cite", "note",
    }

    def benefit(self, raw: Any, line: int, doc_id: str, order: int) -> Benefit | None:
        if not isinstance(raw, LMap):
            self.problem(line, "每个奖补项应为映射")
            return None
        bid = str(raw.get("id") or f"#{order}")
        self.where = f"奖补项 {bid}"
        self.only(raw, self.BENEFIT_KEYS)
        for key in ("id", "article", "title", "event", "amount", "cite"):
            if key not in raw:
                self.problem(raw.line, f"缺少字段“{key}”")
        event = str(raw.get("event", ""))
        if event != "enterprise" and event not in self.catalogue.events:
            self.problem(raw.line_of("event"), f"未知的事项类型“{event}”（见 policies/facts.yaml；年度企业层面用 enterprise）")
        cite = self.cite(raw) or Citation("")
        self.anchor = cite.span
        match = self.conditions(raw, "match", event)
        when = self.conditions(raw, "when", event)
        amount = self.amount(raw.get("amount"), event, cite if cite.quote else None, raw.line_of("amount"))
        caps_raw = raw.get("caps") or []
        caps = tuple(
            c
            for i, (c_raw, ln) in enumerate(zip(caps_raw, getattr(caps_raw, "item_lines", []), strict=False))
            if (c := self.cap(c_raw, ln, bid, i, event)) is not None
        )
        uplift = None
        if isinstance(raw.get("uplift"), LMap):
            u = raw["uplift"]
            rate, digits = self.rate(u, "rate")
            uplift = Uplift(rate, self.conditions(u, "when", event), self.cite(u, numbers=(digits,)) or Citation(""))
        quota = None
        if isinstance(raw.get("quota"), LMap):
            q = raw["quota"]
            count = q.get("count")
            if not isinstance(count, int) or count <= 0:
                self.problem(q.line_of("count"), "名额count应为正整数")
                count = 0
            quota = Quota(count, str(q.get("per", "年")), self.cite(q, numbers=(str(count),)) or Citation(""))
        once_per: tuple[str, ...] = ()
        once_group = None
        if isinstance(raw.get("once_per"), LMap):
            o = raw["once_per"]
            keys = o.get("keys") or []
            for k in keys:
                self.field(event, k, o.line_of("keys"))
            once_per = tuple(str(k) for k in keys)
            once_group = o.get("group")
            self.cite(o)
        max_years = None
        max_years_cite = None
        if isinstance(raw.get("max_years"), LMap):
            m = raw["max_years"]
            max_years = m.get("years")
            if not isinstance(max_years, int) or max_years <= 0:
                self.problem(m.line_of("years"), "max_years.years应为正整数")
                max_years = None
            max_years_cite = self.cite(m, numbers=(str(max_years),))
        dept = raw.get("department") or []
        self.where = ""
        self.anchor = None
        return Benefit(
            id=bid,
            document_id=doc_id,
            article=str(raw.get("article", "")),
            title=str(raw.get("title", "")),
            event=event,
            match=match,
            when=when,
            amount=amount,
            cite=cite,
            department=tuple(str(d) for d in (dept if isinstance(dept, list) else [dept])),
            caps=caps,
            uplift=uplift,
            quota=quota,
            funding=self.funding(raw.get("funding"), raw.line_of("funding")),
            once_per=once_per,
            once_group=str(once_group) if once_group else None,
            max_years=max_years,
            max_years_cite=max_years_cite,
            applicants=tuple(str(a) for a in raw.get("applicants") or []),
            review=bool(raw.get("review", False)),
            interpretations=self.interpretations(raw),
            order=order,
            line=raw.line,
        )

    # -- the document -----------------------------------------------------
    DOC_KEYS: ClassVar[set[str]] = {
        "id", "short", "title", "issuer", "number", "level", "jurisdiction", "source", "valid", "applicants",
        "funding", "exclusivity", "caps", "notes", "interpretation", "registration_required",
    }

    def document(self, data: Any, order_base: int) -> Document | None:
        if not isinstance(data, LMap) or not isinstance(data.get("document"), LMap):
            self.problem(getattr(data, "line", 1), "文件须有“document”（文件信息）与“benefits”（奖补项列表）")
            return None
        head: LMap = data["document"]
        self.where = "document"
        self.only(head, self.DOC_KEYS)
        doc_id = self.need(head, "id") or "?"
        source_name = self.need(head, "source")
        if source_name:
            source_path = self.path.parent / source_name
            if not source_path.exists():
                self.problem(head.line_of("source"), f"原文文件不存在：{source_name}")
            else:
                self.source = SourceText(doc_id, source_path.read_text(encoding="utf-8"))
        level = str(head.get("level", ""))
        if level not in LEVELS:
            self.problem(head.line_of("level"), f"层级level应为{'、'.join(LEVELS)}之一：{level}")
        jurisdiction = str(head.get("jurisdiction", ""))
        if jurisdiction not in REGIONS:
            self.problem(head.line_of("jurisdiction"), f"未知的行政区划代码：{jurisdiction}")
        valid = head.get("valid")
        valid_from = valid_to = None
        validity_cite = Citation("")
        if isinstance(valid, LMap):
            valid_from = self.date(valid, "from")
            valid_to = self.date(valid, "to", required=False)
            validity_cite = self.cite(valid) or validity_cite
        else:
            self.problem(head.line, "缺少有效期valid: {from, to, cite}")
        applicants: tuple[str, ...] = ()
        applicants_cite = None
        if isinstance(head.get("applicants"), LMap):
            a = head["applicants"]
            applicants = tuple(str(k) for k in a.get("kinds") or [])
            applicants_cite = self.cite(a)
        kinds_spec = self.catalogue.enterprise.get("kind")
        if kinds_spec is not None:
            self.check_values(kinds_spec, list(applicants), head.line_of("applicants"))
        funding = self.funding(head.get("funding"), head.line_of("funding"))
        exclusivity = self.exclusivity(head.get("exclusivity"), head.line_of("exclusivity"), doc_id)
        group_caps_raw = head.get("caps") or []
        notes = []
        for n in head.get("notes") or []:
            if isinstance(n, LMap):
                note = self.cite(n)
                if note:
                    notes.append(note)
        benefits_raw = data.get("benefits")
        benefits: list[Benefit] = []
        if not isinstance(benefits_raw, LList):
            self.problem(data.line, "缺少奖补项列表“benefits”")
            benefits_raw = LList()
            benefits_raw.item_lines = []
        seen: set[str] = set()
        for i, (item, ln) in enumerate(zip(benefits_raw, benefits_raw.item_lines, strict=True)):
            b = self.benefit(item, ln, doc_id, order_base + i)
            if b is None:
                continue
            if b.id in seen:
                self.problem(ln, f"奖补项编号重复：{b.id}")
            seen.add(b.id)
            benefits.append(b)
        self.where = "document.caps"
        group_caps = tuple(
            c
            for i, (c_raw, ln) in enumerate(zip(group_caps_raw, getattr(group_caps_raw, "item_lines", []), strict=False))
            if (c := self.cap(c_raw, ln, f"{doc_id}#group", i, _event_of(c_raw, benefits))) is not None
        )
        for cap in group_caps:
            for member in cap.benefits:
                if member not in seen:
                    self.problem(getattr(group_caps_raw, "line", 0), f"上限{cap.id}引用了不存在的奖补项：{member}")
        self.where = ""
        if self.source is None or valid_from is None:
            return None
        return Document(
            id=doc_id,
            title=str(head.get("title", "")),
            short=str(head.get("short") or head.get("title", "")),
            issuer=str(head.get("issuer", "")),
            level=level,
            jurisdiction=jurisdiction,
            valid_from=valid_from,
            valid_to=valid_to,
            validity_cite=validity_cite,
            applicants=applicants,
            applicants_cite=applicants_cite,
            funding=funding,
            exclusivity=exclusivity,
            benefits=tuple(benefits),
            source=self.source,
            number=head.get("number"),
            registration_required=bool(head.get("registration_required", True)),
            notes=tuple(notes),
            interpretations=self.interpretations(head),
            group_caps=group_caps,
            path=self.display,
        )


def _event_of(raw: Any, benefits: list[Benefit]) -> str:
    if isinstance(raw, LMap):
        members = set(raw.get("benefits") or [])
        for b in benefits:
            if b.id in members:
                return b.event
    return "enterprise"


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


def _number_in(number: str, quote: str) -> bool:
    """Whether a number is written in the quote, in digits or as a Chinese numeral (三, 十, 百)."""
    if not number:
        return True
    normal = normalise(quote)
    if number in normal:
        return True
    return number.isdigit() and int(number) in _CHINESE_NUMERALS and _CHINESE_NUMERALS[int(number)] in normal


def _digits(raw: Any) -> str:
    match = _NUMBER.search(str(raw).replace(",", ""))
    if not match:
        return ""
    text = match.group(0)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# --- entry points -------------------------------------------------------------


def load_catalogue(policy_dir: Path = DEFAULT_POLICY_DIR) -> Catalogue:
    """Read the catalogue of facts: every ``policies/facts/*.yaml``, merged.

    Fragments may add enterprise fields, event kinds, fields of a kind, enum
    values and qualification titles; one file per document keeps each
    document's vocabulary beside its rules.
    """
    paths = sorted((policy_dir / "facts").glob("*.yaml"))
    if not paths:
        raise PolicyFileError([f"{policy_dir / 'facts'}: 没有事实目录文件（*.yaml）"])
    merged: dict[str, Any] = {"enterprise": {}, "events": {}, "qualification_titles": []}
    problems: list[str] = []
    for path in paths:
        name = _display(path, policy_dir)
        try:
            data = load_yaml(path, name)
        except YamlSyntaxError as exc:
            problems.append(str(exc))
            continue
        if not isinstance(data, LMap):
            problems.append(f"{name}:1: 事实目录应为映射")
            continue
        _merge_fragment(name, data, merged, problems)
    for section, fields in [("enterprise", merged["enterprise"])] + [
        (kind, ev.get("fields", {})) for kind, ev in merged["events"].items()
    ]:
        for key, spec in fields.items():
            if spec.get("type") in ("enum", "enum_list") and not spec.get("values"):
                problems.append(f"policies/facts: 字段{section}.{key}为选项，但没有任何文件给出values")
    for kind, ev in merged["events"].items():
        if "label" not in ev:
            problems.append(f"policies/facts: 事项类型{kind}没有label")
    if problems:
        raise PolicyFileError(problems)
    return Catalogue.from_mapping(merged)


def _merge_fields(name: str, where: str, fields: Any, target: dict[str, Any], problems: list[str]) -> None:
    if not isinstance(fields, LMap):
        problems.append(f"{name}:{getattr(fields, 'line', 0)}: {where}应为字段映射")
        return
    for key, spec in fields.items():
        line = fields.line_of(key)
        if key in target:
            extra = spec.get("values", []) if isinstance(spec, dict) else []
            if set(spec) - {"values"}:
                problems.append(f"{name}:{line}: 字段{where}.{key}已定义，片段只能追加values")
                continue
            target[key] = {**target[key], "values": list(dict.fromkeys([*target[key].get("values", []), *extra]))}
            continue
        _check_spec(name, line, f"{where}.{key}", spec, problems)
        target[key] = dict(spec)


def _merge_fragment(name: str, data: LMap, merged: dict[str, Any], problems: list[str]) -> None:
    for key in data:
        if key not in ("enterprise", "events", "qualification_titles"):
            problems.append(f"{name}:{data.line_of(key)}: 未知的顶层字段“{key}”（可用：enterprise、events、qualification_titles）")
    if "enterprise" in data:
        _merge_fields(name, "enterprise", data["enterprise"], merged["enterprise"], problems)
    events = data.get("events") or LMap()
    for kind, ev in events.items():
        line = events.line_of(kind)
        if not isinstance(ev, LMap):
            problems.append(f"{name}:{line}: 事项类型{kind}应为映射")
            continue
        target = merged["events"].setdefault(kind, {"fields": {}})
        if "label" in ev:
            if "label" in target and target["label"] != ev["label"]:
                problems.append(f"{name}:{line}: 事项类型{kind}的label与其他片段不一致")
            target["label"] = ev["label"]
            target["help"] = ev.get("help", target.get("help", ""))
        if "fields" in ev:
            _merge_fields(name, kind, ev["fields"], target["fields"], problems)
    for title in data.get("qualification_titles") or []:
        if title not in merged["qualification_titles"]:
            merged["qualification_titles"].append(title)


def _check_spec(file: str, line: int, name: str, spec: Any, problems: list[str]) -> None:
    from huiqi.core.facts import TYPES

    if not isinstance(spec, dict) or "label" not in spec or "type" not in spec:
        problems.append(f"{file}:{line}: 字段{name}须有label与type")
        return
    if spec["type"] not in TYPES:
        problems.append(f"{file}:{line}: 字段{name}的type未知：{spec['type']}（可用：{'、'.join(TYPES)}）")


def _display(path: Path, policy_dir: Path) -> str:
    try:
        return str(Path("policies") / path.relative_to(policy_dir))
    except ValueError:
        return str(path)


def load_document(path: Path, catalogue: Catalogue, order_base: int = 0, display: str | None = None) -> Document:
    """Read one policy file; :class:`PolicyFileError` lists every mistake."""
    name = display or str(path)
    try:
        data = load_yaml(path, name)
    except YamlSyntaxError as exc:
        raise PolicyFileError([str(exc)]) from None
    reader = _Reader(path, name, catalogue)
    doc = reader.document(data, order_base)
    if reader.problems or doc is None:
        raise PolicyFileError(reader.problems or [f"{name}: 无法读取"])
    return doc


def load_library(policy_dir: Path = DEFAULT_POLICY_DIR, catalogue: Catalogue | None = None) -> tuple[Library, Catalogue]:
    """Read every ``*.yaml`` policy file beside ``facts.yaml`` (plan data excluded)."""
    catalogue = catalogue or load_catalogue(policy_dir)
    docs: list[Document] = []
    problems: list[str] = []
    for i, path in enumerate(sorted(policy_dir.glob("*.yaml"))):
        if path.name.endswith("-plan.yaml"):
            continue
        try:
            docs.append(load_document(path, catalogue, order_base=i * 1000, display=_display(path, policy_dir)))
        except PolicyFileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise PolicyFileError(problems)
    ids = [b.id for d in docs for b in d.benefits]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise PolicyFileError([f"奖补项编号在多个文件中重复：{'、'.join(dupes)}"])
    return Library(tuple(docs)), catalogue


Reader = Callable[[Path], Any]
