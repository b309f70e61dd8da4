"""Compile the Library once into a plan of SQL steps that does, over a whole
register, what :func:`huiqi.core.evaluator.evaluate` does for one scenario.

Stages (each a materialised step, see docs/batch-engine.md):

1. ``hq_flags``: flags for ``holds``, ``first_time`` and ``max_years`` of the
   units (events, plus one yearly unit per enterprise dated ``${as_of}``) that
   have one set, by equi-joins and aggregation; ``hq_uk<i>``: one event kind's
   units (events ⋈ enterprises, the flags LEFT JOINed) with the columns its
   benefits read; ``hq_ug<j>``: units of a gate group joined to their benefits;
2. ``hq_cand``: one SELECT per benefit or gate group (UNION ALL): jurisdiction, event kind and
   ``match`` filter; validity, applicants, ``when``, ``max_years`` give reason
   codes; the amount formula, item caps and the uplift give ``low``/``high``;
3. ``hq_once``: once-per-key (ROW_NUMBER over the key, prior awards by key); from here
   on only granted candidates are read (near misses go from ``hq_cand`` to ``hq_awards``);
4. ``hq_x0`` … ``hq_xN``: exclusivity per event as greedy rounds over a static
   conflict table; ``hq_pcov`` / ``hq_excl``: the top-up against prior awards;
5. ``hq_ac``, ``hq_capev``, ``hq_slots``, ``hq_cap1`` …: caps per enterprise-year,
   key and group, one layer of disjoint caps per step, each a running-sum window;
   ``hq_xrev`` / ``hq_prefer_b``: items set aside that a cap left above the kept one (the best-ranked
   of each event); steps 4–5 again for their enterprises with all of them kept first (``_b``) and
   with the earliest alone (``hq_prefer_c``, ``_c``); ``hq_pick`` / ``hq_final``: each enterprise's
   rows of the choice that pays more (就高 after the caps);
6. ``hq_awards`` and ``hq_payers``: the outputs.

Money is integer fen throughout: numbers are turned into exact integer
rationals ``num / den`` (DECIMAL(38,10) values scaled by 10^10), comparisons are
cross-multiplied and every rate × base is ``(num * p) // (den * q)``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..core.evaluator import ROLE_FINANCE
from ..core.evaluator import _conflict as _ref_conflict
from ..core.facts import Catalogue, FieldSpec
from ..core.legal import Comparison
from ..core.model import (
    LEVELS,
    TOWN_WORDS,
    AmountSpec,
    Benefit,
    ByValue,
    Cap,
    Ceiling,
    Compare,
    Condition,
    Contains,
    Document,
    FactExpr,
    Field,
    FirstTime,
    Fixed,
    Holds,
    InKind,
    IsTrue,
    Library,
    NoAmount,
    OneOf,
    PerUnit,
    RangeRate,
    Rate,
    Ratio,
    Right,
    Sum,
    Tiers,
    Total,
    YearSum,
    cap_order,
)
from ..core.regions import REGIONS
from ..core.results import GRANTED, Award
from ..service import InputError
from .layout import NUMBER_SCALE, Layout, layout
from .plan import AS_OF, DIALECTS, Plan, StaticTable, Step

__all__ = ["REASON_CODES", "CompileError", "Dialect", "compile_library"]

SCALE = 10**NUMBER_SCALE

# Reason codes carried by the rows instead of the reference's Chinese text.
REASON_CODES = {
    "validity": "日期不在文件有效期内",
    "applicant": "主体类型不在支持范围内",
    "when": "条件未满足（when:序号）",
    "absent": "条件所需的事实未填写（absent:序号，缺少资料）",
    "max_years": "已达最多享受年数",
    "amount_missing": "缺少计算金额所需的事实或未达到任何档次",
    "once_per_key": "同一标的已奖励一次",
    "once_key_missing": "未填写标的（产品等），无法核对是否已奖励过（按未奖励过计；仍予奖励）",
    "exclusivity": "同一事项就高不重复",
    "prior_award": "该事项已获不低于本项的奖励",
    "cap_exhausted": "限额已用尽",
}


def _role_finance(role: str) -> str:
    """SQL of a payer level's finance in words, for a region without that level (``ROLE_FINANCE``)."""
    cases = " ".join(f"WHEN {role} = {lit(k)} THEN {lit(v)}" for k, v in ROLE_FINANCE.items())
    return f"CASE {cases} ELSE {role} END"


class CompileError(InputError):
    """A rule the batch compiler cannot express exactly; names the benefit and, as an input error
    of the command or upload, says the reference engine evaluates it."""

    def __init__(self, message: str) -> None:
        self.what = message  # without the advice: huiqi batch says it when it changes engine itself
        super().__init__(f"{message}；请改用参考引擎测算（huiqi batch … --engine reference）")


def _cap_name(cap: Cap) -> str:
    """A cap as its author knows it: its words, and the id written in the policy file (a benefit's own
    cap, which has none written, by its benefit: 奖补项xc-2-smart-factory的限额)."""
    bid, own, _ = cap.id.partition("#cap")
    return f"“{cap.cite.quote}”（{f'奖补项{bid}的限额' if own else cap.id}）"


# --- dialects --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Dialect:
    name: str

    @property
    def big(self) -> str:
        """An exact integer type wide enough for scaled products."""
        return "HUGEINT" if self.name == "duckdb" else "DECIMAL(38,0)"

    @property
    def text(self) -> str:
        return "VARCHAR" if self.name == "duckdb" else "STRING"

    def type(self, logical: str) -> str:
        if logical == "VARCHAR":
            return self.text
        if logical == "VARCHAR[]":
            return "VARCHAR[]" if self.name == "duckdb" else "ARRAY<STRING>"
        if logical == "INTEGER":
            return "INTEGER" if self.name == "duckdb" else "INT"
        return logical

    def idiv(self, a: str, b: str) -> str:
        """Integer division of non-negative exact integers (floor)."""
        if self.name == "duckdb":
            return f"(({a}) // ({b}))"
        if self.name == "spark":
            return f"(({a}) div ({b}))"
        # Hive's div takes only BIGINT, and its DECIMAL quotient is rounded to 6 places, so
        # floor(a / b) can be one too high (99999999999999999999 / 10^20 gives 1): it is
        # taken back by one where the product passes a (a rounded quotient is never too low)
        q = f"CAST(floor(({a}) / ({b})) AS {self.big})"
        return f"({q} - CASE WHEN {q} * ({b}) > ({a}) THEN 1 ELSE 0 END)"

    @property
    def date(self) -> str:
        """The events' ``date`` column, a reserved word in Hive (quoted for Spark too)."""
        return "date" if self.name == "duckdb" else "`date`"

    def same(self, a: str, b: str) -> str:
        """Null-safe equality (Python ``==`` where ``None == None``)."""
        if self.name == "duckdb":
            return f"({a} IS NOT DISTINCT FROM {b})"
        return f"({a} <=> {b})"

    def has(self, col: str, value: str) -> str:
        return f"array_contains({col}, {lit(value)})"

    def to_text(self, expr: str) -> str:
        return f"CAST({expr} AS {self.text})"


# awards received, each with the year it counts in: that of the register's event it names (as the
# reference's prior_year), else its own
def _prior_years(d: Dialect) -> str:
    return (
        f"(SELECT p.*, COALESCE(year(e.{d.date}), p.year) AS cap_year FROM prior_awards p "
        "LEFT JOIN events e ON e.credit_code = p.credit_code AND e.event_id = p.event)"
    )


def lit(value: str | None) -> str:
    if value is None:
        return "NULL"
    return "'" + value.replace("'", "''") + "'"


def _in_list(values: Sequence[str]) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")"


def _level_rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


# --- library analysis (dialect-free, done once) ------------------------------


def exclusive_partners(library: Library) -> dict[str, set[str]]:
    """Each benefit's partners under 就高不重复: the benefits of its event kind it conflicts with,
    which may be kept over it on one event (``hq_conflicts``; a set-aside row's ``excl_for:`` note)."""
    partners: dict[str, set[str]] = defaultdict(set)
    for kind, group in library.by_event.items():
        if kind == "enterprise":
            continue
        for a in group:
            for b in group:
                if a.id != b.id and _conflicts(a, library.document_of(a), b, library.document_of(b)):
                    partners[a.id].add(b.id)
    return partners


def _conflicts(a: Benefit, da: Document, b: Benefit, db: Document) -> bool:
    """The reference's ``_conflict`` on two benefits: it reads only their
    static parts, so it is asked directly (awards without amounts)."""
    return _ref_conflict(Award(a, da, None, GRANTED), Award(b, db, None, GRANTED)) is not None


def _prior_levels_covered(doc: Document) -> list[str]:
    """Levels of prior awards that ``_against_prior`` counts for a document."""
    out: list[str] = []
    for level in LEVELS:
        for r in doc.exclusivity:
            if level in r.against or ("higher" in r.against and _level_rank(level) < _level_rank(doc.level)):
                out.append(level)
                break
    return out


@dataclass(frozen=True, slots=True)
class _CapInfo:
    cap: Cap
    members: tuple[str, ...]
    layer: int  # 0 when the cap has no maximum (skipped by the reference)


def _with_default(sql: str, spec: FieldSpec | None) -> str:
    """A column read with the catalogue's default for a blank (获评方式 新获评, 是否向关联企业采购 否):
    huiqi's validation writes the defaults into the register, but a platform running the exported
    SQL on its own tables may leave them blank, and a blank read as missing fails the rule."""
    default = spec.default if spec is not None else None
    if isinstance(default, bool):
        return f"COALESCE({sql}, {'TRUE' if default else 'FALSE'})"
    if isinstance(default, str) and spec is not None and spec.type == "enum":
        return f"COALESCE({sql}, {lit(default)})"
    return sql


def year_sum_column(b: Benefit, expr: YearSum) -> str:
    """The unit column holding a benefit's yearly total of a fact (``hq_ys_<benefit>_<field>``)."""
    return "hq_ys_" + re.sub(r"\W", "_", f"{b.id}_{expr.field.path}")


def _year_sums(b: Benefit) -> list[YearSum]:
    return [c.fact for c in b.when if isinstance(c, Compare) and isinstance(c.fact, YearSum)]


def _cap_table(library: Library) -> list[_CapInfo]:
    """Caps over several awards in the order an award meets them in the reference (``cap_order``:
    inner first), each in a layer after the caps it shares a benefit with.

    The layers' running sums count an award as it left its own layer; the reference counts what
    is finally paid. The two agree when caps that share a benefit are nested (one's benefits all
    the other's) and count the same period: once an outer cap cuts an award it is used up for
    every later award the inner one holds. Other overlaps are refused (the reference engine
    evaluates them)."""
    out: list[_CapInfo] = []
    for cap_id in cap_order(library.caps):
        cap, group = library.caps[cap_id]
        members = tuple(sorted(group))
        if cap.fen is None:
            out.append(_CapInfo(cap, members, 0))
            continue
        layer = 1
        for other in out:
            if other.layer and set(other.members) & group:
                if not set(other.members) <= group or other.cap.per != cap.per:
                    raise CompileError(
                        f"限额{_cap_name(other.cap)}与{_cap_name(cap)}共有奖补项，但并非一项包含另一项且按同一期间计，"
                        "批量引擎无法精确表达（两项限额依次计算时须按实际支付额累计）"
                    )
                layer = max(layer, other.layer + 1)
        out.append(_CapInfo(cap, members, layer))
    return out


# --- SQL for facts, conditions and amounts -----------------------------------


@dataclass(frozen=True, slots=True)
class _Num:
    """An exact non-negative rational ``num / den`` with a presence test."""

    num: str
    den: str
    ok: str


@dataclass(frozen=True, slots=True)
class _Amt:
    low: str
    high: str  # NULL = no upper bound (when not missing)
    kind: str
    missing: str


_MISSING_AMT = _Amt("0", "0", "'money'", "TRUE")


def _choose(branches: list[tuple[str, _Amt]]) -> _Amt:
    """The amount of the first branch whose test holds (missing when none does):
    one CASE per part of the amount, the branches in the given order."""
    if not branches:
        return _MISSING_AMT

    def case(pick: Callable[[_Amt], str], default: str) -> str:
        whens = " ".join(f"WHEN {test} THEN {pick(amt)}" for test, amt in branches)
        return f"(CASE {whens} ELSE {default} END)"

    return _Amt(
        case(lambda a: a.low, _MISSING_AMT.low),
        case(lambda a: a.high, _MISSING_AMT.high),
        case(lambda a: a.kind, _MISSING_AMT.kind),
        case(lambda a: a.missing, _MISSING_AMT.missing),
    )


class _BenefitSQL:
    """SQL expressions over a unit ``u`` of one benefit's event kind (``hq_uk<i>``)."""

    def __init__(self, d: Dialect, benefit: Benefit, catalogue: Catalogue, lay: Layout, holds: dict[tuple[str, ...], int]):
        self.d = d
        self.b = benefit
        self.catalogue = catalogue
        self.lay = lay
        self.holds = holds

    def fail(self, what: str) -> CompileError:
        return CompileError(f"奖补项{self.b.id}：{what}，批量引擎无法精确表达")

    # facts
    def field(self, ref: Field) -> tuple[str, str | None]:
        """(SQL, catalogue type) of a fact; ``NULL`` when the reference reads MISSING."""
        if ref.on_enterprise:
            name = ref.name
            if name == "kind":
                return _with_default("u.ent_kind", self.catalogue.enterprise.get("kind")), "enum"
            if name == "region":
                return "u.ent_region", "region"
            if name == "town":
                return "NULLIF(u.ent_town, '')", "town"
            if name in ("credit_code", "name"):
                return "NULL", None
            col = self.lay.enterprise_field(name)
            if col is None:
                return "NULL", None
            return _with_default(f"u.ent_{name}", self.catalogue.enterprise.get(name)), col.field_type
        if self.b.event == "enterprise":
            return "NULL", None
        kind = self.catalogue.events.get(self.b.event)
        spec = kind.fields.get(ref.path) if kind else None
        if spec is None:
            return "NULL", None
        return _with_default(f"u.ev_{ref.path}", spec), spec.type

    def text_of(self, ref: Field) -> str:
        """``str(value)`` of a fact as Python writes it; NULL when missing."""
        sql, t = self.field(ref)
        if t is None:
            return "NULL"
        if t in ("enum", "text", "region", "town", "credit_code"):
            return sql
        if t in ("money", "integer"):
            return self.d.to_text(sql)
        if t == "bool":
            return f"(CASE WHEN {sql} THEN 'True' WHEN NOT {sql} THEN 'False' END)"
        if t == "date":
            return self.d.to_text(sql)
        raise self.fail(f"按文本比较{t}类型的事实“{ref.path}”")

    def num(self, expr: FactExpr) -> _Num:
        if isinstance(expr, Field):
            sql, t = self.field(expr)
            if t in ("money", "integer"):
                return _Num(f"CAST({sql} AS {self.d.big})", "1", f"({sql} IS NOT NULL)")
            if t in ("number", "rate"):
                return _Num(f"CAST({sql} * {SCALE} AS {self.d.big})", str(SCALE), f"({sql} IS NOT NULL)")
            return _Num("0", "1", "FALSE")
        if isinstance(expr, Ratio):
            a, b = self.num(expr.numerator), self.num(expr.denominator)
            return _Num(f"({a.num} * {b.den})", f"({a.den} * {b.num})", f"({a.ok} AND {b.ok} AND {b.num} <> 0)")
        if isinstance(expr, YearSum):  # a window column of the kind's units (``year_sum_columns``)
            n = self.num(expr.field)
            col = year_sum_column(self.b, expr)
            return _Num(f"u.{col}", n.den, f"(u.{col} IS NOT NULL)")
        assert isinstance(expr, Total)
        parts = [self.num(p) for p in expr.parts]
        oks = " AND ".join(p.ok for p in parts)
        if all(p.den == "1" for p in parts):
            return _Num("(" + " + ".join(p.num for p in parts) + ")", "1", f"({oks})")
        scaled = [p.num if p.den == str(SCALE) else f"({p.num} * {SCALE})" for p in parts]
        return _Num("(" + " + ".join(scaled) + ")", str(SCALE), f"({oks})")

    def compare(self, n: _Num, comparison: Comparison, value: Fraction) -> str:
        p, q = value.numerator, value.denominator
        return f"({n.ok} AND ({n.num} * {q}) {comparison.symbol} ({p} * {n.den}))"

    # conditions
    def cond(self, c: Condition) -> str:
        if isinstance(c, Compare):
            return self.compare(self.num(c.fact), c.comparison, c.value)
        if isinstance(c, OneOf):
            s = self.text_of(c.fact)
            if s == "NULL":
                return "FALSE"
            op = "NOT IN" if c.negate else "IN"
            return f"COALESCE({s} {op} {_in_list(c.values)}, FALSE)"
        if isinstance(c, Contains):
            sql, t = self.field(c.fact)
            if t != "enum_list":
                return "FALSE"
            hits = " OR ".join(self.d.has(sql, v) for v in c.values) or "FALSE"
            return f"COALESCE({hits}, FALSE)"
        if isinstance(c, IsTrue):
            sql, t = self.field(c.fact)
            if t != "bool":
                return "FALSE"
            return f"COALESCE({sql} = {'TRUE' if c.expected else 'FALSE'}, FALSE)"
        if isinstance(c, Holds):
            return f"(u.hq_h{self.holds[tuple(c.titles)]} = 1)"
        assert isinstance(c, FirstTime)
        suffix = "sl" if c.same_level else "any"
        # a re-assessment (获评方式 复评通过优秀) is no new title (core.conditions._first_time)
        fresh = " AND COALESCE(u.ev_outcome, '新获评') = '新获评'" if self.lay.event_field("outcome") else ""
        return f"(u.event_id <> '' AND u.hq_fq_{suffix} = 0 AND u.hq_fe_{suffix} = 0{fresh})"

    def absent(self, c: Condition) -> str | None:
        """When ``c`` fails because its fact is not given (the reference's ``Absent``: the row's
        reason is ``absent:i``, 缺少资料, not ``when:i``); ``None`` for a condition that is never absent."""
        if isinstance(c, Compare):
            return f"(NOT {self.num(c.fact).ok})"
        if isinstance(c, OneOf):
            s = self.text_of(c.fact)
            return "TRUE" if s == "NULL" else f"({s} IS NULL)"
        if isinstance(c, IsTrue):
            sql, _ = self.field(c.fact)
            return "TRUE" if sql == "NULL" else f"({sql} IS NULL)"
        return None

    def all(self, conds: Sequence[Condition]) -> str:
        return " AND ".join(self.cond(c) for c in conds) if conds else "TRUE"

    # amounts
    def floor(self, n: _Num, p: int, q: int) -> str:
        return f"CAST({self.d.idiv(f'{n.num} * {p}', f'{n.den} * {q}')} AS BIGINT)"

    def ceil(self, n: _Num, p: int, q: int) -> str:
        """The least whole fen not below n × p / q (a floor the text sets; core.money.ceil_times)."""
        return f"CAST({self.d.idiv(f'{n.num} * {p} + {n.den} * {q} - 1', f'{n.den} * {q}')} AS BIGINT)"

    def amount_note(self, spec: AmountSpec) -> str:
        """The note code of a granted row's working: ``amount``, or ``amount:<k>`` for the case or
        tier ``k`` an amount chosen by a fact's value or by tiers took (texts: ``_reason_texts``)."""
        if isinstance(spec, ByValue):
            s = self.text_of(spec.fact)
            whens = [] if s == "NULL" else [(f"{s} = {lit(case)}", k) for k, (case, _) in enumerate(spec.cases)]
        elif isinstance(spec, Tiers):
            n = self.num(spec.fact)
            whens = [(self.compare(n, t.comparison, t.threshold), k) for k, t in enumerate(spec.tiers)][::-1]
        else:
            whens = []
        if not whens:
            return "'amount'"
        return "(CASE " + " ".join(f"WHEN {test} THEN 'amount:{k}'" for test, k in whens) + " ELSE 'amount' END)"

    def amount(self, spec: AmountSpec) -> _Amt:
        if isinstance(spec, Fixed):
            return _Amt(str(spec.fen), str(spec.fen), "'money'", "FALSE")
        if isinstance(spec, Ceiling):
            return _Amt("0", str(spec.fen), "'money'", "FALSE")
        if isinstance(spec, Rate):
            n = self.num(spec.base)
            v = f"(CASE WHEN {n.ok} THEN {self.floor(n, spec.rate.numerator, spec.rate.denominator)} END)"
            miss = f"(NOT {n.ok})"
            if spec.at_least:
                up = f"(CASE WHEN {n.ok} THEN {self.ceil(n, spec.rate.numerator, spec.rate.denominator)} END)"
                return _Amt(up, "CAST(NULL AS BIGINT)", "'money'", miss)
            return _Amt("0" if spec.up_to else v, v, "'money'", miss)
        if isinstance(spec, PerUnit):
            n = self.num(spec.base)
            v = f"(CASE WHEN {n.ok} THEN {self.floor(n, spec.fen_per_unit, 1)} END)"
            return _Amt("0" if spec.up_to else v, v, "'money'", f"(NOT {n.ok})")
        if isinstance(spec, Sum):
            parts = [self.amount(p) for p in spec.parts]
            low = "0" if spec.up_to else "(" + " + ".join(p.low for p in parts) + ")"
            high = "(" + " + ".join(p.high for p in parts) + ")"
            return _Amt(low, high, "'money'", "(" + " OR ".join(p.missing for p in parts) + ")")
        if isinstance(spec, ByValue):
            s = self.text_of(spec.fact)
            if s == "NULL":
                return _MISSING_AMT
            return _choose([(f"{s} = {lit(case)}", self.amount(sub)) for case, sub in spec.cases])
        if isinstance(spec, Tiers):
            n = self.num(spec.fact)
            # The last tier met wins: test them from the highest down.
            tiers = [(self.compare(n, t.comparison, t.threshold), self.amount(t.amount)) for t in spec.tiers]
            return _choose(list(reversed(tiers)))
        if isinstance(spec, RangeRate):
            n = self.num(spec.base)
            high = self.floor(n, spec.high.numerator, spec.high.denominator)
            low = f"LEAST({self.ceil(n, spec.low.numerator, spec.low.denominator)}, {high})"  # a floor: rounded up
            if spec.floor_fen is not None:
                low, high = f"GREATEST({low}, {spec.floor_fen})", f"GREATEST({high}, {spec.floor_fen})"
            if spec.cap_fen is not None:
                low, high = f"LEAST({low}, {spec.cap_fen})", f"LEAST({high}, {spec.cap_fen})"
            if spec.floor_fen is None:
                return _Amt(
                    f"(CASE WHEN {n.ok} THEN {low} END)", f"(CASE WHEN {n.ok} THEN {high} END)", "'money'", f"(NOT {n.ok})"
                )
            # without its base the text still grants the floor, bounded by the cap (core.amounts._range_without_base)
            floor = spec.floor_fen if spec.cap_fen is None else min(spec.floor_fen, spec.cap_fen)
            top = "CAST(NULL AS BIGINT)" if spec.cap_fen is None else str(spec.cap_fen)
            return _Amt(
                f"(CASE WHEN {n.ok} THEN {low} ELSE {floor} END)",
                f"(CASE WHEN {n.ok} THEN {high} ELSE {top} END)",
                "'money'",
                "FALSE",
            )
        if isinstance(spec, NoAmount):
            return _Amt("0", "0", "'none'", "FALSE")
        if isinstance(spec, InKind):
            return _Amt("0", "0", "'in_kind'", "FALSE")
        if isinstance(spec, Right):
            return _Amt("0", "0", "'right'", "FALSE")
        raise self.fail(f"未知的金额形式{type(spec).__name__}")


@dataclass(frozen=True, slots=True)
class _Cand:
    """One benefit's candidate step: filter and column expressions over ``u``."""

    b: Benefit
    doc: Document
    where: str
    cols: dict[str, str]  # r, m, low0, high0, kind, once_grp, once_key
    lims: list[str]  # item caps in order
    upl: tuple[str, int, int] | None  # uplift condition, factor numerator, denominator


def _switch(col: str, cases: list[tuple[int, str]], default: str, leaf: int = 4) -> str:
    """``CASE col WHEN k THEN v … ELSE default END`` as a balanced tree of
    ``col < k`` tests, so each row makes O(log n) comparisons, not O(n)."""
    cases = sorted(cases)
    if len(cases) <= leaf:
        whens = " ".join(f"WHEN {k} THEN {v}" for k, v in cases)
        return f"(CASE {col} {whens} ELSE {default} END)"
    mid = len(cases) // 2
    left, right = _switch(col, cases[:mid], default, leaf), _switch(col, cases[mid:], default, leaf)
    return f"(CASE WHEN {col} < {cases[mid][0]} THEN {left} ELSE {right} END)"


def _jurisdiction_prefix(doc: Document) -> tuple[int, str]:
    """Regions bound by a document: those starting with these digits (province 2, city 4, district 6)."""
    j = doc.jurisdiction
    n = 2 if j.endswith("0000") else 4 if j.endswith("00") else 6
    return n, j[:n]


def _gate(b: Benefit) -> OneOf | None:
    """The first ``in:`` condition on an event field (``Library.gates``)."""
    return next((c for c in b.match if isinstance(c, OneOf) and not c.negate and not c.fact.on_enterprise), None)


# --- the compiler --------------------------------------------------------------


class _Compiler:
    def __init__(self, library: Library, catalogue: Catalogue):
        self.library = library
        self._unit_columns: dict[str, dict[str, set[str]]] = {}
        self.catalogue = catalogue
        self.lay = layout(catalogue)
        self.benefits: list[tuple[Benefit, Document]] = [(b, d) for d in library.documents for b in d.benefits]
        holds: dict[tuple[str, ...], int] = {}
        self.first_time = False
        self.max_years: dict[str, int] = {}
        for b, _ in self.benefits:
            conds: list[Condition] = [*b.match, *b.when, *(b.uplift.conditions if b.uplift else ())]
            for c in conds:
                if isinstance(c, Holds) and tuple(c.titles) not in holds:
                    holds[tuple(c.titles)] = len(holds)
                if isinstance(c, FirstTime):
                    self.first_time = True
            if b.max_years is not None and b.id not in self.max_years:
                self.max_years[b.id] = len(self.max_years)
        self.holds = holds
        self.bnum = {b.id: i for i, (b, _) in enumerate(self.benefits)}
        # benefits of one kind gated on one field share one SELECT (see ``fused``)
        groups: dict[str, list[str]] = defaultdict(list)
        for b, _ in self.benefits:
            g = _gate(b)
            if g is not None and b.event != "enterprise":
                bs = _BenefitSQL(Dialect("duckdb"), b, catalogue, self.lay, holds)
                if bs.text_of(g.fact) != "NULL":
                    groups[f"{b.event}:{g.fact.path}"].append(b.id)
        self.gate_groups = {k: v for k, v in groups.items() if len(v) > 1}
        self.caps = _cap_table(library)
        self.partners = exclusive_partners(library)
        per_kind = [sum(1 for b in g if self.partners.get(b.id)) for k, g in library.by_event.items() if k != "enterprise"]
        self.rounds = max(per_kind, default=0)

    # static tables
    def statics(self) -> tuple[StaticTable, ...]:
        bstatic = []
        for b, doc in self.benefits:
            own = [c.fen for c in b.caps if c.per != "item" and c.fen is not None]
            bstatic.append(
                (
                    b.id,
                    doc.id,
                    b.order,
                    _level_rank(doc.level),
                    min(own) if own else None,
                    bool(self.partners.get(b.id)),
                )
            )
        conflicts = sorted((a, b) for a, bs in self.partners.items() for b in bs)
        cover = sorted((b.id, lv) for b, doc in self.benefits if doc.exclusivity for lv in _prior_levels_covered(doc))
        # an award received under a once-per-key group of a cap's benefits counts in the cap (as the reference's _caps)
        groups = self.library.once_groups
        capmem = sorted(
            {(ci.cap.id, m) for ci in self.caps for m in ci.members}
            | {(ci.cap.id, g) for ci in self.caps for g, ms in groups.items() if ms & set(ci.members)}
        )
        # a cap's level (its document's): an award received under one of its benefits' ids counts in it at
        # that level or at one the cap counts (hq_cappl), as the reference's _prior_counted
        lib = self.library
        caps = [
            (ci.cap.id, ci.cap.per, ci.cap.fen, ci.layer, lib.by_id[lib.benefits[ci.members[0]].document_id].level)
            for ci in self.caps
            if ci.layer
        ]
        cappl = sorted({(ci.cap.id, lv) for ci in self.caps for lv in ci.cap.prior_levels})
        shares: list[tuple[object, ...]] = []
        for b, doc in self.benefits:
            funding = b.funding or doc.funding
            if funding is None:
                shares.append((b.id, 0, "unspecified", 1, 1, True, "未明确", TOWN_WORDS))
                continue
            total = sum(s.weight for s in funding.shares)
            n = len(funding.shares)
            for i, s in enumerate(funding.shares):
                fixed = funding.unspecified_payer if s.role == "unspecified" else None  # the text's words, per document
                shares.append((b.id, i, s.role, s.weight, total, i == n - 1, fixed, funding.town_words))
        regions = [(r.code, r.name, r.level, r.finance) for r in REGIONS.values()]
        gates = []
        for grp, ids in self.gate_groups.items():
            for bid in ids:
                g = _gate(self.library.benefits[bid])
                assert g is not None
                jn, jcode = _jurisdiction_prefix(self.library.document_of(self.library.benefits[bid]))
                gates += [(grp, self.bnum[bid], v, jn, jcode) for v in sorted(set(g.values))]
        return (
            StaticTable(
                "hq_benefits",
                (
                    ("benefit_id", "VARCHAR"),
                    ("document_id", "VARCHAR"),
                    ("b_order", "BIGINT"),
                    ("level_rank", "BIGINT"),
                    ("mincap", "BIGINT"),
                    ("has_partners", "BOOLEAN"),
                ),
                tuple(bstatic),
            ),
            StaticTable("hq_conflicts", (("a", "VARCHAR"), ("b", "VARCHAR")), tuple(conflicts)),
            StaticTable(
                "hq_gates",
                (("grp", "VARCHAR"), ("hq_b", "BIGINT"), ("gv", "VARCHAR"), ("jlen", "INTEGER"), ("jcode", "VARCHAR")),
                tuple(gates),
            ),
            StaticTable("hq_cover", (("benefit_id", "VARCHAR"), ("level", "VARCHAR")), tuple(cover)),
            StaticTable("hq_capmem", (("cap_id", "VARCHAR"), ("benefit_id", "VARCHAR")), tuple(capmem)),
            StaticTable(
                "hq_caps",
                (("cap_id", "VARCHAR"), ("per", "VARCHAR"), ("fen", "BIGINT"), ("layer", "BIGINT"), ("level", "VARCHAR")),
                tuple(caps),
            ),
            StaticTable("hq_cappl", (("cap_id", "VARCHAR"), ("level", "VARCHAR")), tuple(cappl)),
            StaticTable(
                "hq_shares",
                (
                    ("benefit_id", "VARCHAR"),
                    ("idx", "BIGINT"),
                    ("role", "VARCHAR"),
                    ("weight", "BIGINT"),
                    ("total_weight", "BIGINT"),
                    ("is_last", "BOOLEAN"),
                    ("fixed_payer", "VARCHAR"),
                    ("town_words", "VARCHAR"),  # the funding's words for the town level (镇（开发区、太湖新城）)
                ),
                tuple(shares),
            ),
            StaticTable(
                "hq_regions",
                (("code", "VARCHAR"), ("name", "VARCHAR"), ("level", "VARCHAR"), ("finance", "VARCHAR")),
                tuple(regions),
            ),
        )

    # steps
    def steps(self, d: Dialect) -> list[tuple[str, str, str, str | None, str | None, str | None]]:
        """(name, sql, stage, group, converged-sql, source) for one dialect."""
        out: list[tuple[str, str, str, str | None, str | None, str | None]] = []

        def add(name: str, sql: str, stage: str, group: str | None = None, converged: str | None = None) -> None:
            out.append((name, sql, stage, group, converged, prev if group else None))

        add("hq_flags", self.flags(d), "units")
        for name, sql in self.kind_units(d):
            add(name, sql, "match")
        for name, sql in self.gated_units(d):
            add(name, sql, "match")
        add("hq_cand", self.candidates(d), "match")
        add("hq_once", self.once(d), "once_per_key")
        # 就高不重复 then the caps, three times: first on each item's own amount (hq_fin); then, for the
        # enterprises where a cap cut a kept item below one set aside (hq_xrev; the best-ranked of an
        # event: hq_prefer_b), with every such item kept first (the _b steps), and with the earliest
        # one alone (hq_prefer_c, the _c steps); each enterprise gets the choice that pays more
        # (hq_pick, hq_final), as the reference's evaluate does
        for s in ("", "_b", "_c"):
            xs = f"hq_x{s.strip('_')}"  # hq_x0 …, hq_xb0 …, hq_xc0 …
            prev = f"{xs}0"
            add(prev, self.x0(s), "exclusivity")
            for k in range(1, self.rounds + 1):
                name = f"{xs}{k}"
                add(name, self.round(prev), "exclusivity", xs, f"SELECT COUNT(*) AS n FROM {prev} WHERE xs = 0")
                prev = name
            add(f"hq_xwin{s}", self.xwin(prev), "exclusivity")
            add(f"hq_pcov{s}", self.pcov(prev), "exclusivity")
            add(f"hq_excl{s}", self.excl(prev, s), "exclusivity")
            add(f"hq_ac{s}", self.ac(d, s), "caps")
            if not s:
                add("hq_capev", self.capev(), "caps")
            add(f"hq_slots{s}", self.slots(d, s), "caps")
            prev = f"hq_excl{s}"
            layers = max((ci.layer for ci in self.caps), default=0)
            for layer in range(1, layers + 1):
                name = f"hq_cap{s.strip('_')}{layer}"  # hq_cap1 …, hq_capb1 …
                add(name, self.cap_layer(prev, layer, s), "caps")
                prev = name
            add(f"hq_xrev{s}", self.xrev(prev, s), "caps")
            if not s:
                add("hq_xcrowd", self.xcrowd(prev), "caps")
                add("hq_prefer_b", self.prefer(), "caps")
                add("hq_prefer_c", self.earliest(), "caps")
                add(
                    "hq_once_b",
                    "SELECT o.* FROM hq_once o JOIN (SELECT DISTINCT credit_code FROM hq_prefer_b) p ON p.credit_code = o.credit_code",
                    "caps",
                )
            add(f"hq_fin{s}", self.final(prev, s), "caps")
        add("hq_pick", self.pick(), "caps")
        add("hq_final", self.merged(), "caps")
        add("hq_awards", self.awards(), "output")
        add("hq_payers", self.payers(d), "output")
        return out

    def flags(self, d: Dialect) -> str:
        """``hq_flags``: per unit (credit_code, event_id; '' for the yearly unit) the flags
        for ``holds`` (hq_h<i>), ``first_time`` (hq_fq_*/hq_fe_*) and ``max_years``
        (hq_my<i>), computed by equi-joins and aggregation, and only for units with at
        least one flag set (qualifications, earlier events of the same title, prior
        awards): the per-kind tables read a flag as 0 when the unit is absent. Each join
        reads only the units of the kinds whose benefits read its flags (e.g. earlier
        events of the same title only for the kinds with a ``first_time`` condition)."""
        extra = [c.name for c in self.lay.events[4:] if c.name in ("title", "level", "grade")]
        ev_cols = [f"v.{n} AS ev_{n}" for n in extra]
        null_cols = [f"CAST(NULL AS {d.type(c.type)}) AS ev_{c.name}" for c in self.lay.events[4:] if c.name in extra]
        a = ", ".join(["v.credit_code", "v.event_id", "v.kind", f"v.{d.date} AS unit_date", *ev_cols])
        b = ", ".join(["e.credit_code", "'' AS event_id", "'enterprise' AS kind", f"{AS_OF} AS unit_date", *null_cols])
        reads = self.unit_columns(d)

        def readers(flags: Sequence[str]) -> list[str]:
            """The event kinds whose benefits read one of ``flags`` (the yearly unit: 'enterprise')."""
            return sorted(k for k, cols in reads.items() if cols & set(flags))

        def units_of(flags: Sequence[str]) -> str:
            """The units a join computes ``flags`` for: only those of the kinds that read them (a flag
            no unit of a kind reads is never looked up, so the kind's events need not be joined)."""
            kinds = readers(flags)
            ev = [k for k in kinds if k != "enterprise"]
            parts = [f"SELECT {a} FROM events v WHERE v.kind IN {_in_list(ev)}"] if ev else []
            if "enterprise" in kinds:
                parts.append(f"SELECT {b} FROM enterprises e")
            return "(" + (" UNION ALL ".join(parts) or f"SELECT {a} FROM events v WHERE 1 = 0") + ")"

        names = [f"hq_h{i}" for i in self.holds.values()]
        if self.first_time:
            names += ["hq_fq_sl", "hq_fq_any", "hq_fe_sl", "hq_fe_any"]
        names += [f"hq_my{i}" for i in self.max_years.values()]
        if not names:
            return "SELECT e.credit_code, '' AS event_id, 0 AS hq_none FROM enterprises e WHERE 1 = 0"
        parts: list[dict[str, str]] = []  # each: flag name → aggregate, over one join
        joins: list[str] = []
        qcols = {
            f"hq_h{i}": f"MAX(CASE WHEN q.title IN {_in_list(titles)} AND q.since <= u.unit_date AND (q.until IS NULL OR u.unit_date <= q.until) THEN 1 ELSE 0 END)"
            for titles, i in self.holds.items()
        }
        grade = "u.ev_grade" if self.lay.event_field("grade") else "CAST(NULL AS " + d.text + ")"
        egrade = "e.grade" if self.lay.event_field("grade") else "CAST(NULL AS " + d.text + ")"
        title = "u.ev_title" if self.lay.event_field("title") else "CAST(NULL AS " + d.text + ")"
        level = "u.ev_level" if self.lay.event_field("level") else "CAST(NULL AS " + d.text + ")"
        etitle = "e.title" if self.lay.event_field("title") else "CAST(NULL AS " + d.text + ")"
        elevel = "e.level" if self.lay.event_field("level") else "CAST(NULL AS " + d.text + ")"
        if self.first_time:
            # a held qualification carries no grade: it does not refuse a graded recognition (an upgrade
            # 先进级 → 卓越级 is newly rated), as the reference's _first_time
            held_before = f"q.title = {title} AND q.since < u.unit_date AND {grade} IS NULL"
            # a blank level on either side counts as the same level (the reference's _first_time)
            qcols["hq_fq_sl"] = (
                f"MAX(CASE WHEN {held_before} AND (q.level IS NULL OR {level} IS NULL OR q.level = {level}) THEN 1 ELSE 0 END)"
            )
            qcols["hq_fq_any"] = f"MAX(CASE WHEN {held_before} THEN 1 ELSE 0 END)"
        if qcols:
            parts.append(qcols)
            joins.append(f"{units_of(list(qcols))} u JOIN qualifications q ON q.credit_code = u.credit_code")
        if self.holds and self.lay.event_field("title"):
            # a title the register records as obtained (an event with that title) is held from its date on
            held = {
                f"hq_h{i}": f"MAX(CASE WHEN e.title IN {_in_list(titles)} THEN 1 ELSE 0 END)" for titles, i in self.holds.items()
            }
            parts.append(held)
            every = sorted({t for titles in self.holds for t in titles})
            joins.append(  # only the events with such a title join (a few per register, not every event)
                f"{units_of(list(held))} u JOIN (SELECT credit_code, event_id, {d.date}, title FROM events "
                f"WHERE title IN {_in_list(every)}) e ON e.credit_code = u.credit_code "
                f"WHERE e.{d.date} <= u.unit_date AND e.event_id <> u.event_id"
            )
        if self.first_time:
            fe = {
                "hq_fe_sl": f"MAX(CASE WHEN {d.same(etitle, title)} AND ({elevel} IS NULL OR {level} IS NULL OR {elevel} = {level}) "
                "THEN 1 ELSE 0 END)",
                "hq_fe_any": f"MAX(CASE WHEN {d.same(etitle, title)} THEN 1 ELSE 0 END)",
            }
            parts.append(fe)
            # earlier events of the same kind: only of the kinds that read these flags
            same_kind = [k for k in readers(list(fe)) if k != "enterprise"]
            joins.append(
                f"{units_of(list(fe))} u JOIN events e ON e.credit_code = u.credit_code AND e.kind = u.kind "
                f"WHERE u.event_id <> '' AND e.kind IN {_in_list(same_kind) if same_kind else '(NULL)'} "
                f"AND ({grade} IS NULL OR {egrade} IS NULL OR {egrade} = {grade}) "
                f"AND (e.{d.date} < u.unit_date OR (e.{d.date} = u.unit_date AND e.event_id < u.event_id))"
            )
        if self.max_years:
            my = {
                f"hq_my{i}": f"COUNT(DISTINCT CASE WHEN p.benefit = {lit(bid)} AND p.cap_year <> year(u.unit_date) THEN p.cap_year END)"
                for bid, i in self.max_years.items()
            }
            parts.append(my)
            joins.append(f"{units_of(list(my))} u JOIN {_prior_years(d)} p ON p.credit_code = u.credit_code")
        branches = []
        for aggs, src in zip(parts, joins, strict=True):
            cols = ", ".join(f"{aggs[n]} AS {n}" if n in aggs else f"0 AS {n}" for n in names)
            some = " OR ".join(f"{aggs[n]} > 0" for n in aggs)
            branches.append(
                f"SELECT u.credit_code, u.event_id, {cols} FROM {src} GROUP BY u.credit_code, u.event_id HAVING {some}"
            )
        union = _UNION.join(branches)
        return f"SELECT credit_code, event_id, {', '.join(f'MAX({n}) AS {n}' for n in names)} FROM ({union}) f GROUP BY credit_code, event_id"

    def jurisdiction(self, doc: Document) -> str:
        n, code = _jurisdiction_prefix(doc)
        return f"u.ent_region = {lit(code)}" if n == 6 else f"substr(u.ent_region, 1, {n}) = {lit(code)}"

    def kinds(self) -> dict[str, str]:
        """Event kind → the step holding that kind's units (only the columns its benefits read)."""
        out: dict[str, str] = {}
        for b, _ in self.benefits:
            out.setdefault(b.event, f"hq_uk{len(out)}")
        return out

    def _ev_type(self, name: str) -> str:
        col = self.lay.event_field(name)
        assert col is not None
        return col.type

    def unit_columns(self, d: Dialect) -> dict[str, set[str]]:
        """Event kind → the columns ``u.<name>`` its benefits read from its units (``hq_uk<i>``)."""
        if d.name not in self._unit_columns:
            cols: dict[str, set[str]] = defaultdict(set)
            for b, doc in self.benefits:
                cols[b.event] |= set(re.findall(r"\bu\.(\w+)", self.candidate(d, b, doc, "hq_uk")))
            self._unit_columns[d.name] = cols
        return self._unit_columns[d.name]

    def kind_units(self, d: Dialect) -> list[tuple[str, str]]:
        """One narrow table per event kind: each benefit then scans only its kind's units and columns."""
        cols = self.unit_columns(d)
        steps = []
        for kind, name in self.kinds().items():
            need = sorted(cols[kind] - {"credit_code", "event_id", "unit_date"})
            if kind == "enterprise":
                sel = ["e.credit_code", "'' AS event_id", f"{AS_OF} AS unit_date"]
                src, on = "enterprises e", "f.credit_code = e.credit_code AND f.event_id = ''"
            else:
                sel = ["v.credit_code", "v.event_id", f"v.{d.date} AS unit_date"]
                src = "events v JOIN enterprises e ON e.credit_code = v.credit_code"
                on = "f.credit_code = v.credit_code AND f.event_id = v.event_id"
            sums = self.year_sum_columns(d, kind)
            need = sorted(
                (set(need) - set(sums))
                | {c for e in sums.values() for c in re.findall(r"\bu\.(\w+)", e)} - {"credit_code", "event_id", "unit_date"}
            )
            for c in need:
                if c.startswith("ent_"):
                    sel.append(f"e.{c[4:]} AS {c}")
                elif c.startswith("ev_"):
                    sel.append(
                        f"v.{c[3:]} AS {c}" if kind != "enterprise" else f"CAST(NULL AS {d.type(self._ev_type(c[3:]))}) AS {c}"
                    )
                elif c.startswith("hq_"):
                    sel.append(f"COALESCE(f.{c}, 0) AS {c}")
                else:
                    raise AssertionError(c)
            if any(c.startswith("hq_") for c in need):
                src += f" LEFT JOIN hq_flags f ON {on}"
            where = "" if kind == "enterprise" else f" WHERE v.kind = {lit(kind)}"
            sql = f"SELECT {', '.join(sel)} FROM {src}{where}"
            if sums:  # a year's totals over the units themselves: one window per benefit and fact
                sql = f"SELECT u.*, {', '.join(f'{e} AS {c}' for c, e in sums.items())} FROM ({sql}) u"
            steps.append((name, sql))
        return steps

    def year_sum_columns(self, d: Dialect, kind: str) -> dict[str, str]:
        """Column → window over the kind's units ``u``: the fact summed over the units the benefit's
        ``match`` selects, per enterprise and calendar year of the unit (core ``Context.year_sum``)."""
        out = {}
        for b, _ in self.benefits:
            if b.event != kind:
                continue
            for ys in _year_sums(b):
                bs = _BenefitSQL(d, b, self.catalogue, self.lay, self.holds)
                n = bs.num(ys.field)
                out[year_sum_column(b, ys)] = (
                    f"SUM(CASE WHEN {bs.all(ys.match)} AND {n.ok} THEN {n.num} END) "
                    "OVER (PARTITION BY u.credit_code, year(u.unit_date))"
                )
        return out

    def gate_sql(self, d: Dialect, grp: str) -> str:
        b0 = self.library.benefits[self.gate_groups[grp][0]]
        g = _gate(b0)
        assert g is not None
        return _BenefitSQL(d, b0, self.catalogue, self.lay, self.holds).text_of(g.fact)

    def gated_units(self, d: Dialect) -> list[tuple[str, str]]:
        """Per gate group: the kind's units joined to the benefits whose gate value
        they carry (``hq_b``), ordered by benefit so that a vector of rows
        mostly takes one branch of the CASEs in ``fused``."""
        out = []
        for j, grp in enumerate(self.gate_groups):
            src = self.kinds()[self.library.benefits[self.gate_groups[grp][0]].event]
            out.append(
                (
                    f"hq_ug{j}",
                    f"SELECT g.hq_b, u.* FROM {src} u JOIN hq_gates g ON g.grp = {lit(grp)} AND g.gv = {self.gate_sql(d, grp)} "
                    "AND substr(u.ent_region, 1, g.jlen) = g.jcode "  # the jurisdiction too (WHERE tests it again)
                    "ORDER BY g.hq_b",
                )
            )
        return out

    def candidate_parts(self, d: Dialect, b: Benefit, doc: Document) -> _Cand:
        """One benefit's match filter and column expressions over its kind's units ``u``."""
        bs = _BenefitSQL(d, b, self.catalogue, self.lay, self.holds)
        where = " AND ".join([self.jurisdiction(doc), bs.all(b.match)])
        start, end, _, _ = doc.window(b)  # the document's, or the item's own (上一年度服务活动)
        valid = f"u.unit_date >= DATE '{start.isoformat()}'"
        if end is not None:
            valid += f" AND u.unit_date <= DATE '{end.isoformat()}'"
        reasons = [f"CASE WHEN NOT ({valid}) THEN 'validity' END"]
        kinds = b.applicants or doc.applicants
        if kinds:
            ent_kind = _with_default("u.ent_kind", self.catalogue.enterprise.get("kind"))  # a blank 主体类型 is 企业
            reasons.append(f"CASE WHEN {ent_kind} IS NULL OR {ent_kind} NOT IN {_in_list(kinds)} THEN 'applicant' END")
        for i, c in enumerate(b.when):
            absent = bs.absent(c)  # a fact not given fails the condition too (cond tests it), said apart
            first = f"WHEN {absent} THEN 'absent:{i}' " if absent is not None else ""
            reasons.append(f"CASE {first}WHEN NOT ({bs.cond(c)}) THEN 'when:{i}' END")
        if b.max_years is not None:
            reasons.append(f"CASE WHEN u.hq_my{self.max_years[b.id]} >= {b.max_years} THEN 'max_years' END")
        amt = bs.amount(b.amount)
        cols = {
            "r": f"concat_ws(',', {', '.join(reasons)})",
            "m": amt.missing,
            "low0": f"CAST({amt.low} AS BIGINT)",
            "high0": f"CAST({amt.high} AS BIGINT)",
            "kind": amt.kind,
            "nt": bs.amount_note(b.amount),
            "qt": "'quota'" if b.quota is not None else f"CAST(NULL AS {d.text})",  # 名额, after the uplift
        }
        lims = []
        for cap in (c for c in b.caps if c.per == "item"):
            if cap.by is not None:
                s = bs.text_of(cap.by)
                whens = " ".join(f"WHEN {s} = {lit(v)} THEN {fen}" for v, fen in cap.by_fen)
                limit = f"(CASE {whens} END)" if whens and s != "NULL" else "CAST(NULL AS BIGINT)"
            else:
                limit = str(cap.fen) if cap.fen is not None else "CAST(NULL AS BIGINT)"
            lims.append(f"CAST({limit} AS BIGINT)")
        upl = None
        if b.uplift is not None:
            r = b.uplift.rate
            upl = (f"({bs.all(b.uplift.conditions)})", r.denominator + r.numerator, r.denominator)
        if b.once_per_enterprise:  # one award per enterprise: one group, one key
            cols["once_grp"] = lit(b.once_group or b.id)
            cols["once_key"] = "''"
            cols["once_blank"] = "''"
        elif b.once_per:
            kind = self.catalogue.events.get(b.event)
            parts = []
            for k in b.once_per:
                if kind is not None and k in kind.fields:
                    parts.append(f"COALESCE({bs.text_of(Field(k))}, '')")
                else:
                    parts.append("''")
            # a key with a blank part (no product given) cannot be shown to be one paid before: not
            # grouped ('' marks it, so a granted row says the check was not made: once_key_missing)
            blank = " OR ".join(f"{p} = ''" for p in parts)
            cols["once_grp"] = f"CASE WHEN {blank} THEN '' ELSE {lit(b.once_group or b.id)} END"
            cols["once_key"] = f"concat_ws('|', {', '.join(parts)})"
            # which parts are blank, one digit each (101: the first and third), for the note that names them
            cols["once_blank"] = "concat(" + ", ".join(f"CASE WHEN {p} = '' THEN '1' ELSE '0' END" for p in parts) + ")"
        else:
            cols["once_grp"] = f"CAST(NULL AS {d.text})"
            cols["once_key"] = f"CAST(NULL AS {d.text})"
            cols["once_blank"] = f"CAST(NULL AS {d.text})"
        return _Cand(b, doc, where, cols, lims, upl)

    def candidate(self, d: Dialect, b: Benefit, doc: Document, source: str | None = None) -> str:
        c = self.candidate_parts(d, b, doc)
        inner = ["u.credit_code", "u.event_id", "u.unit_date", *(f"{e} AS {n}" for n, e in c.cols.items())]
        inner += [f"{e} AS lim{i}" for i, e in enumerate(c.lims)]
        if c.upl is not None:
            inner.append(f"{c.upl[0]} AS upl")
        sql = f"SELECT {', '.join(inner)} FROM {source or self.kinds()[b.event]} u WHERE {c.where}"
        uplift = None if c.upl is None else (str(c.upl[1]), str(c.upl[2]))
        return self.finish(d, sql, len(c.lims), uplift, lit(b.id), lit(doc.id), str(b.order))

    def fused(self, d: Dialect, group: list[_Cand], source: str) -> str:
        """Benefits of one event kind gated on one field, in one SELECT over
        ``hq_ug<j>`` (units joined to ``hq_gates`` on the gate value, so each
        unit meets only the benefits whose gate it passes); every expression
        is a CASE on ``hq_b``."""

        def case(pick: Callable[[_Cand], str], default: str = "NULL", col: str = "u.hq_b") -> str:
            return _switch(col, [(self.bnum[c.b.id], pick(c)) for c in group], default)

        n_lims = max(len(c.lims) for c in group)
        inner = ["u.credit_code", "u.event_id", "u.unit_date", "u.hq_b"]

        def col(name: str) -> Callable[[_Cand], str]:
            return lambda c: c.cols[name]

        def lim(i: int) -> Callable[[_Cand], str]:
            return lambda c: c.lims[i] if i < len(c.lims) else "CAST(NULL AS BIGINT)"

        inner += [f"{case(col(n))} AS {n}" for n in group[0].cols]
        inner += [f"{case(lim(i))} AS lim{i}" for i in range(n_lims)]
        uplift = None
        if any(c.upl is not None for c in group):
            inner.append(f"{case(lambda c: c.upl[0] if c.upl else 'FALSE', 'FALSE')} AS upl")
            inner.append(f"CAST({case(lambda c: str(c.upl[1]) if c.upl else 'NULL')} AS BIGINT) AS upl_num")
            inner.append(f"CAST({case(lambda c: str(c.upl[2]) if c.upl else 'NULL')} AS BIGINT) AS upl_den")
            uplift = ("upl_num", "upl_den")
        sql = f"SELECT {', '.join(inner)} FROM {source} u WHERE {case(lambda c: f'({c.where})', 'FALSE')}"

        def out(pick: Callable[[_Cand], str]) -> str:
            return case(pick, "NULL", "hq_b")

        return self.finish(
            d,
            sql,
            n_lims,
            uplift,
            out(lambda c: lit(c.b.id)),
            out(lambda c: lit(c.doc.id)),
            out(lambda c: str(c.b.order)),
            "hq_b, ",
        )

    def finish(
        self,
        d: Dialect,
        sql: str,
        n_lims: int,
        uplift: tuple[str, str] | None,
        bid: str,
        doc_id: str,
        order: str,
        carry: str = "",
    ) -> str:
        """Item caps in order, the uplift, then status, reasons and amounts."""
        low, high = "low0", "high0"
        keep = f"{carry}credit_code, event_id, unit_date, r, m, kind, once_grp, once_key, once_blank, nt, qt"
        extra = ", upl" if uplift is not None else ""
        if uplift is not None and uplift[0] == "upl_num":
            extra += ", upl_num, upl_den"
        notes = ["nt"]  # a granted row's working, as note codes (texts: cli_batch._reason_texts)
        for i in range(n_lims):
            lims = "".join(f", lim{j}" for j in range(i + 1, n_lims))
            cut = f"lim{i} IS NOT NULL AND ({high} IS NULL OR {high} > lim{i})"  # as the reference's _item_cap
            sql = (
                f"SELECT {keep}{extra}{lims}{''.join(f', {n}' for n in notes[1:])}, "
                f"CASE WHEN lim{i} IS NULL THEN {high} WHEN {high} IS NULL OR {high} > lim{i} THEN lim{i} ELSE {high} END AS high{i + 1}, "
                f"CASE WHEN lim{i} IS NULL THEN {low} ELSE LEAST({low}, lim{i}) END AS low{i + 1}, "
                f"CASE WHEN {cut} THEN 'item_cap:{i}' END AS n{i} FROM ({sql}) t"
            )
            low, high = f"low{i + 1}", f"high{i + 1}"
            notes.append(f"n{i}")
        if uplift is not None:
            f_num, f_den = uplift
            up_low = f"CAST({d.idiv(f'CAST({low} AS {d.big}) * {f_num}', f_den)} AS BIGINT)"
            up_high = f"CAST({d.idiv(f'CAST({high} AS {d.big}) * {f_num}', f_den)} AS BIGINT)"
            low = f"(CASE WHEN upl AND kind = 'money' THEN {up_low} ELSE {low} END)"
            high = f"(CASE WHEN upl AND kind = 'money' THEN {up_high} ELSE {high} END)"
            notes.append("CASE WHEN upl AND kind = 'money' THEN 'uplift' END")
        notes.append("qt")
        status = "CASE WHEN r <> '' OR m THEN 'near_miss' ELSE 'granted' END"
        note = f"concat_ws(',', {', '.join(notes)})"
        return (
            f"SELECT credit_code, event_id, unit_date, {bid} AS benefit_id, {doc_id} AS document_id, "
            f"CAST({order} AS BIGINT) AS b_order, {status} AS status, "
            f"CASE WHEN r <> '' THEN r WHEN m THEN 'amount_missing' ELSE '' END AS reasons, "
            f"CASE WHEN r <> '' OR m THEN CAST(0 AS BIGINT) ELSE {low} END AS low, "
            f"CASE WHEN r <> '' OR m THEN CAST(0 AS BIGINT) ELSE {high} END AS high, "
            f"CASE WHEN r <> '' OR m THEN 'money' ELSE kind END AS kind, once_grp, once_key, once_blank, "
            f"CASE WHEN r <> '' OR m THEN '' ELSE {note} END AS notes "
            f"FROM ({sql}) c"
        )

    def candidates(self, d: Dialect) -> str:
        order = list(self.kinds())
        fused = {bid for ids in self.gate_groups.values() for bid in ids}
        parts = [
            self.candidate(d, b, doc)
            for b, doc in sorted(self.benefits, key=lambda bd: order.index(bd[0].event))
            if b.id not in fused
        ]
        for j, ids in enumerate(self.gate_groups.values()):
            group = [
                self.candidate_parts(d, self.library.benefits[bid], self.library.document_of(self.library.benefits[bid]))
                for bid in ids
            ]
            parts.append(self.fused(d, group, f"hq_ug{j}"))
        if not parts:
            return (
                f"SELECT credit_code, event_id, unit_date, CAST(NULL AS {d.text}) AS benefit_id, CAST(NULL AS {d.text}) AS document_id, "
                f"CAST(0 AS BIGINT) AS b_order, 'granted' AS status, '' AS reasons, CAST(0 AS BIGINT) AS low, CAST(0 AS BIGINT) AS high, "
                f"'money' AS kind, CAST(NULL AS {d.text}) AS once_grp, CAST(NULL AS {d.text}) AS once_key, "
                f"CAST(NULL AS {d.text}) AS once_blank, '' AS notes "
                f"FROM (SELECT credit_code, event_id, {d.date} AS unit_date FROM events) u WHERE 1 = 0"
            )
        return _UNION.join(parts)

    def once(self, d: Dialect) -> str:
        elig = "(c.status = 'granted' AND c.once_grp <> '' AND c.event_id <> '')"
        # an award received under a member benefit's id counts in its group (as the reference's once_group_of)
        members = sorted((m, g) for g, ms in self.library.once_groups.items() for m in ms)
        group = "benefit"
        if members:
            group = "CASE benefit " + " ".join(f"WHEN {lit(m)} THEN {lit(g)}" for m, g in members) + " ELSE benefit END"
        # an award received under an item paid once per enterprise counts whatever its key (the key is '')
        whole = sorted(b.id for b, _ in self.benefits if b.once_per_enterprise)
        key = "key"
        received = "benefit <> '' AND key <> ''"
        if whole:
            listed = ", ".join(lit(i) for i in whole)
            key = f"CASE WHEN benefit IN ({listed}) THEN '' ELSE key END"
            received = f"benefit <> '' AND (key <> '' OR benefit IN ({listed}))"
        return (
            "SELECT c.credit_code, c.event_id, c.unit_date, c.benefit_id, c.document_id, c.b_order, "
            f"CASE WHEN {elig} AND (c.rn > 1 OR pk.benefit IS NOT NULL) THEN 'set_aside' ELSE c.status END AS status, "
            f"CASE WHEN {elig} AND (c.rn > 1 OR pk.benefit IS NOT NULL) THEN 'once_per_key' "
            "WHEN c.once_grp = '' AND c.event_id <> '' THEN 'once_key_missing' ELSE c.reasons END AS reasons, "
            "c.low, c.high, c.kind, "
            "CASE WHEN c.once_grp = '' AND c.event_id <> '' THEN concat_ws(',', c.notes, concat('once_key_missing:', c.once_blank)) "
            "ELSE c.notes END AS notes FROM ("
            f"SELECT c.*, ROW_NUMBER() OVER (PARTITION BY c.credit_code, c.once_grp, c.once_key, {elig} "
            # on one day the higher award first, as the reference's _higher_first
            "ORDER BY c.unit_date, c.b_order, CASE WHEN c.high IS NULL THEN 0 ELSE 1 END, c.high DESC, c.low DESC, c.event_id) AS rn "
            "FROM hq_cand c WHERE c.status = 'granted') c "
            f"LEFT JOIN (SELECT DISTINCT credit_code, {group} AS benefit, {key} AS key FROM prior_awards WHERE {received}) pk "
            "ON pk.credit_code = c.credit_code AND pk.benefit = c.once_grp AND pk.key = c.once_key"
        )

    def x0(self, s: str = "") -> str:
        """Each event's candidates ranked for 就高不重复 (``rnk``, the rounds' order); another choice
        (``s``: '_b', '_c') ranks the items its ``hq_prefer<s>`` names first, over the enterprises of ``hq_once_b``."""
        pot = "(CASE WHEN o.high IS NULL THEN s.mincap WHEN s.mincap IS NULL THEN o.high ELSE LEAST(o.high, s.mincap) END)"
        by = f"CASE WHEN {pot} IS NULL THEN 0 ELSE 1 END, COALESCE({pot}, 0) DESC, o.low DESC, s.level_rank, s.b_order"
        part = "PARTITION BY o.credit_code, o.event_id"
        rnk = f"ROW_NUMBER() OVER ({part} ORDER BY {by}) AS rnk"
        src = "hq_once o"
        if s:
            rnk = f"ROW_NUMBER() OVER ({part} ORDER BY CASE WHEN pf.benefit_id IS NULL THEN 1 ELSE 0 END, {by}) AS rnk"
            src = (
                f"{self.once_of(s)} o LEFT JOIN hq_prefer{s} pf "
                "ON pf.credit_code = o.credit_code AND pf.event_id = o.event_id AND pf.benefit_id = o.benefit_id"
            )
        return (
            f"SELECT o.credit_code, o.event_id, o.benefit_id, {rnk}, "
            "CASE WHEN s.has_partners THEN 0 ELSE 1 END AS xs "
            f"FROM {src} JOIN hq_benefits s ON s.benefit_id = o.benefit_id "
            "WHERE o.status = 'granted' AND o.event_id <> '' AND o.kind IN ('money', 'none')"
        )

    def round(self, prev: str) -> str:
        return (
            "SELECT x.credit_code, x.event_id, x.benefit_id, x.rnk, "
            "CASE WHEN x.xs <> 0 THEN x.xs WHEN COALESCE(f.hit, 0) = 1 THEN 2 WHEN COALESCE(f.blocked, 0) = 0 THEN 1 ELSE 0 END AS xs "
            f"FROM {prev} x LEFT JOIN ("
            "SELECT a.credit_code, a.event_id, a.benefit_id, MAX(CASE WHEN b.xs = 1 THEN 1 ELSE 0 END) AS hit, "
            "MAX(CASE WHEN b.xs = 0 AND b.rnk < a.rnk THEN 1 ELSE 0 END) AS blocked "
            f"FROM {prev} a JOIN hq_conflicts c ON c.a = a.benefit_id "
            f"JOIN {prev} b ON b.credit_code = a.credit_code AND b.event_id = a.event_id AND b.benefit_id = c.b "
            "WHERE a.xs = 0 GROUP BY a.credit_code, a.event_id, a.benefit_id) f "
            "ON f.credit_code = x.credit_code AND f.event_id = x.event_id AND f.benefit_id = x.benefit_id"
        )

    def xwin(self, x: str) -> str:
        """Each award set aside for a higher one and the award kept over it: the first kept (by rank)
        ranked above it that it conflicts with, as the reference's _exclusivity names it."""
        return (
            "SELECT credit_code, event_id, win AS benefit_id, loser FROM ("
            "SELECT l.credit_code, l.event_id, l.benefit_id AS loser, k.benefit_id AS win, "
            "ROW_NUMBER() OVER (PARTITION BY l.credit_code, l.event_id, l.benefit_id ORDER BY k.rnk) AS rn "
            f"FROM {x} l JOIN hq_conflicts c ON c.a = l.benefit_id "
            f"JOIN {x} k ON k.credit_code = l.credit_code AND k.event_id = l.event_id AND k.benefit_id = c.b "
            "WHERE l.xs = 2 AND k.xs = 1 AND k.rnk < l.rnk) w WHERE rn = 1"
        )

    def xrev(self, capped: str, s: str = "") -> str:
        """Awards set aside for one that a cap then cut below them (就高不重复 is decided before the caps):
        flagged for review, as the reference's _after_caps does (a set-aside award whose own yearly caps
        keep it below the kept one's cut amount is no case). What the event received before, which
        the kept award's top-up deducted, is deducted from the set-aside award's amount too."""
        on = "ON {t}.credit_code = w.credit_code AND {t}.event_id = w.event_id AND {t}.benefit_id = {b}"
        return (
            f"SELECT w.credit_code, w.event_id, w.loser AS benefit_id, w.benefit_id AS winner FROM hq_xwin{s} w "
            f"JOIN {self.once_of(s)} lo {on.format(t='lo', b='w.loser')} "
            f"JOIN {self.once_of(s)} wo {on.format(t='wo', b='w.benefit_id')} "
            f"JOIN hq_excl{s} we {on.format(t='we', b='w.benefit_id')} "
            f"JOIN {capped} wf {on.format(t='wf', b='w.benefit_id')} "
            "JOIN hq_benefits ls ON ls.benefit_id = w.loser "
            "WHERE wf.kind = 'money' AND lo.high IS NOT NULL AND wo.high IS NOT NULL AND we.high IS NOT NULL "
            "AND wf.high IS NOT NULL AND wf.high < we.high "
            # the set-aside award within its own yearly caps, as the reference's _potential
            "AND wf.high < (CASE WHEN ls.mincap IS NULL THEN lo.high ELSE LEAST(lo.high, ls.mincap) END) - (wo.high - we.high)"
        )

    def xcrowd(self, capped: str) -> str:
        """``hq_xcrowd``: in enterprises without a case (hq_xrev), the events where the kept item draws on a cap that cut another
        of the enterprise's awards, and the item set aside for it does not (the reference's _crowding):
        keeping that one may leave the room to the other. Tried as cases are; no note of its own."""
        on = "ON {t}.credit_code = {k}.credit_code AND {t}.event_id = {k}.event_id AND {t}.benefit_id = {b}"
        return (
            "SELECT DISTINCT w.credit_code, w.event_id, w.loser AS benefit_id, w.benefit_id AS winner FROM hq_xwin w "
            f"JOIN {capped} wf {on.format(t='wf', k='w', b='w.benefit_id')} "
            f"JOIN hq_once lo {on.format(t='lo', k='w', b='w.loser')} "
            f"JOIN hq_ac aw {on.format(t='aw', k='w', b='w.benefit_id')} "
            "JOIN hq_ac av ON av.credit_code = aw.credit_code AND av.cap_id = aw.cap_id AND av.bucket = aw.bucket "
            "AND NOT (av.event_id = aw.event_id AND av.benefit_id = aw.benefit_id) "
            f"JOIN {capped} vf {on.format(t='vf', k='av', b='av.benefit_id')} "
            f"JOIN hq_excl ve {on.format(t='ve', k='av', b='av.benefit_id')} "
            "LEFT JOIN hq_capmem lm ON lm.benefit_id = w.loser AND lm.cap_id = aw.cap_id "
            # an enterprise with a case keeps its choices as they were
            "LEFT JOIN (SELECT DISTINCT credit_code FROM hq_xrev) rv ON rv.credit_code = w.credit_code "
            "WHERE aw.fen IS NOT NULL AND lm.cap_id IS NULL AND rv.credit_code IS NULL "
            "AND COALESCE(wf.high, 1) <> 0 AND COALESCE(lo.high, 1) <> 0 "
            "AND vf.high IS NOT NULL AND (ve.high IS NULL OR vf.high < ve.high)"
        )

    def pcov(self, x: str) -> str:
        return (
            "SELECT k.credit_code, k.event_id, k.benefit_id, SUM(COALESCE(p.amount_fen, 0)) AS s, COUNT(*) AS n, "
            # every award received was this very item's: 本项不再重复支持 rather than 就高不重复 (the reference's own);
            # counted whether or not the item's document has a 就高不重复 rule (hq_cover: the levels one covers)
            "MIN(CASE WHEN p.benefit = k.benefit_id THEN 1 ELSE 0 END) AS own "
            f"FROM {x} k "
            "JOIN prior_awards p ON p.credit_code = k.credit_code AND p.event = k.event_id "
            "LEFT JOIN hq_cover cv ON cv.benefit_id = k.benefit_id AND cv.level = p.level "
            "WHERE k.xs = 1 AND (cv.benefit_id IS NOT NULL OR p.benefit = k.benefit_id) "
            "GROUP BY k.credit_code, k.event_id, k.benefit_id"
        )

    def excl(self, x: str, s: str = "") -> str:
        gone = "(pc.n > 0 AND o.high IS NOT NULL AND pc.s >= o.high)"
        return (
            "SELECT o.credit_code, o.event_id, o.unit_date, o.benefit_id, o.document_id, o.b_order, "
            f"CASE WHEN x.xs = 2 OR {gone} THEN 'set_aside' ELSE o.status END AS status, "
            f"CASE WHEN x.xs = 2 THEN 'exclusivity' WHEN {gone} THEN 'prior_award' ELSE o.reasons END AS reasons, "
            f"CASE WHEN x.xs = 2 OR {gone} OR pc.n IS NULL THEN o.low ELSE GREATEST(0, o.low - pc.s) END AS low, "
            f"CASE WHEN x.xs = 2 OR {gone} OR pc.n IS NULL THEN o.high ELSE o.high - pc.s END AS high, "
            f"o.kind, CASE WHEN {gone} THEN CASE WHEN pc.own = 1 THEN 'prior_own' ELSE '' END "
            "ELSE concat_ws(',', o.notes, CASE WHEN kw.benefit_id IS NOT NULL THEN 'excl_kept' END, "
            "CASE WHEN pc.n IS NULL THEN NULL WHEN pc.own = 1 THEN 'top_up_own' ELSE 'top_up' END) END AS notes, "
            f"0 AS exh FROM {self.once_of(s)} o "
            f"LEFT JOIN {x} x ON x.credit_code = o.credit_code AND x.event_id = o.event_id AND x.benefit_id = o.benefit_id "
            f"LEFT JOIN hq_pcov{s} pc ON pc.credit_code = o.credit_code AND pc.event_id = o.event_id AND pc.benefit_id = o.benefit_id "
            f"LEFT JOIN (SELECT DISTINCT credit_code, event_id, benefit_id FROM hq_xwin{s}) kw "
            "ON kw.credit_code = o.credit_code AND kw.event_id = o.event_id AND kw.benefit_id = o.benefit_id"
        )

    def ac(self, d: Dialect, s: str = "") -> str:
        key_caps = [ci for ci in self.caps if ci.layer and ci.cap.per == "key"]
        year = f"concat('year:', {d.to_text('year(a.unit_date)')})"
        whens = []
        key_kinds: set[str] = set()  # event kinds whose key values a cap reads
        for ci in key_caps:
            key = ci.cap.key or ""
            exprs = []
            for m in ci.members:
                b = self.library.benefits.get(m)
                if b is None:
                    continue
                kind = self.catalogue.events.get(b.event)
                if kind is not None and key in kind.fields:
                    bs = _BenefitSQL(d, b, self.catalogue, self.lay, self.holds)
                    exprs.append(f"WHEN a.benefit_id = {lit(m)} THEN COALESCE({bs.text_of(Field(key))}, '')")
                    key_kinds.add(b.event)
            value = f"(CASE {' '.join(exprs)} ELSE '' END)" if exprs else "''"
            whens.append(f"WHEN {lit(ci.cap.id)} THEN concat('key:', {value})")
        bucket = f"CASE k.cap_id {' '.join(whens)} ELSE {year} END" if whens else year
        used = sorted(set(re.findall(r"\bu\.ev_(\w+)", bucket)))
        join = ""
        if used:  # the key values, from the events of the kinds that have them only
            ev = ", ".join(["v.credit_code", "v.event_id", *(f"v.{n} AS ev_{n}" for n in used)])
            join = (
                f"LEFT JOIN (SELECT {ev} FROM events v WHERE v.kind IN {_in_list(sorted(key_kinds))}) u "
                "ON u.credit_code = a.credit_code AND u.event_id = a.event_id "
            )
        return (
            f"SELECT a.credit_code, a.event_id, a.benefit_id, k.cap_id, k.per, k.fen, k.layer, {bucket} AS bucket "
            f"FROM hq_excl{s} a JOIN hq_capmem m ON m.benefit_id = a.benefit_id JOIN hq_caps k ON k.cap_id = m.cap_id "
            f"{join}WHERE a.status = 'granted' AND a.kind = 'money'"
        )

    def capev(self) -> str:
        # the events a cap's benefits select (kind and match), whatever became of them; only read by
        # hq_slots against prior awards of other levels: enterprises without any are left out
        return (
            "SELECT DISTINCT a.credit_code, m.cap_id, a.event_id FROM hq_cand a JOIN hq_capmem m ON m.benefit_id = a.benefit_id "
            "WHERE a.event_id <> '' AND a.credit_code IN (SELECT credit_code FROM prior_awards)"
        )

    def slots(self, d: Dialect, s: str = "") -> str:
        # recorded under a cap's benefit (or a once-per-key group of them) at its level or one it counts
        member = "(m.benefit_id IS NOT NULL AND (p.level = k.level OR l.level IS NOT NULL))"
        key_hit = f"({member} AND concat('key:', COALESCE(p.key, 'None')) = s.bucket)"
        year_hit = (
            f"(concat('year:', {d.to_text('p.cap_year')}) = s.bucket AND ({member} OR "
            "COALESCE(p.key = s.cap_id, FALSE) OR (l.level IS NOT NULL AND ce.event_id IS NOT NULL)))"
        )
        # awards received at a level the cap counts (市、区两级) in its year that name neither event nor
        # benefit: not counted, but told on the slot's first award (the reference's _unlinked_priors)
        unlinked = (
            f"(s.per = 'enterprise_year' AND concat('year:', {d.to_text('p.year')}) = s.bucket AND l.level IS NOT NULL "
            "AND COALESCE(p.event, '') = '' AND COALESCE(p.benefit, '') = '' AND COALESCE(p.key, '') <> s.cap_id)"
        )
        return (
            "SELECT s.credit_code, s.cap_id, s.bucket, "
            f"SUM(CASE WHEN p.credit_code IS NULL THEN 0 WHEN s.per = 'key' THEN CASE WHEN {key_hit} THEN COALESCE(p.amount_fen, 0) ELSE 0 END "
            f"WHEN {year_hit} THEN COALESCE(p.amount_fen, 0) ELSE 0 END) AS prior, "
            f"SUM(CASE WHEN {unlinked} THEN COALESCE(p.amount_fen, 0) ELSE 0 END) AS unlinked "
            f"FROM (SELECT DISTINCT credit_code, cap_id, per, bucket FROM hq_ac{s}) s "
            f"JOIN {_prior_years(d)} p ON p.credit_code = s.credit_code "  # slots without priors: hq_cap<i> reads 0
            "JOIN hq_caps k ON k.cap_id = s.cap_id "
            "LEFT JOIN hq_capmem m ON m.cap_id = s.cap_id AND m.benefit_id = p.benefit "
            "LEFT JOIN hq_cappl l ON l.cap_id = s.cap_id AND l.level = p.level "
            "LEFT JOIN hq_capev ce ON ce.credit_code = s.credit_code AND ce.cap_id = s.cap_id AND ce.event_id = p.event "
            "GROUP BY s.credit_code, s.cap_id, s.bucket"
        )

    def cap_layer(self, prev: str, layer: int, s: str = "") -> str:
        """One layer of caps over several awards, as the reference's ``_caps``: within a slot the room
        goes first to the lows in slot order (running sum L_i, u_i = min(C, P + L_i)), then what the
        lows leave (R = C − min(C, P + ΣL)) to the rest of each high (high − low, running sum M_i;
        all of R once an earlier or this high is unbounded)."""
        slot = "PARTITION BY a.credit_code, ac.cap_id, ac.bucket"
        order = f"{slot} ORDER BY a.unit_date, a.b_order, a.event_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
        run = (
            "SELECT a.credit_code, a.event_id, a.benefit_id, a.low, a.high, ac.cap_id, ac.fen, COALESCE(sl.prior, 0) AS prior, "
            f"COALESCE(sl.unlinked, 0) AS unlinked, ROW_NUMBER() OVER ({slot} ORDER BY a.unit_date, a.b_order, a.event_id) AS rn_i, "
            f"SUM(a.low) OVER ({order}) AS l_i, SUM(a.low) OVER ({slot}) AS l_all, "
            f"SUM(COALESCE(a.high - a.low, 0)) OVER ({order}) AS m_i, "
            f"SUM(CASE WHEN a.high IS NULL THEN 1 ELSE 0 END) OVER ({order}) AS n_i "
            f"FROM {prev} a JOIN hq_ac{s} ac ON ac.credit_code = a.credit_code AND ac.event_id = a.event_id "
            f"AND ac.benefit_id = a.benefit_id AND ac.layer = {layer} "
            f"LEFT JOIN hq_slots{s} sl ON sl.credit_code = ac.credit_code AND sl.cap_id = ac.cap_id AND sl.bucket = ac.bucket "
            "WHERE a.status = 'granted' AND a.kind = 'money'"
        )
        lows = (
            "SELECT r.*, LEAST(fen, prior + l_i) - LEAST(fen, prior + l_i - low) AS new_low, "
            "LEAST(fen, prior + l_all) AS t_low, fen - LEAST(fen, prior + l_all) AS room "
            f"FROM ({run}) r"
        )
        more = (
            "SELECT v.*, CASE WHEN n_i > 0 THEN room ELSE LEAST(room, m_i) END AS w_i, "
            "CASE WHEN n_i - (CASE WHEN high IS NULL THEN 1 ELSE 0 END) > 0 THEN room "
            "ELSE LEAST(room, m_i - COALESCE(high - low, 0)) END AS w_prev "
            f"FROM ({lows}) v"
        )
        w = (
            "SELECT credit_code, event_id, benefit_id, cap_id, unlinked, rn_i, CAST(new_low AS BIGINT) AS new_low, "
            "CAST(new_low + w_i - w_prev AS BIGINT) AS new_high, "
            # what is counted before it: priors and earlier lows; for an award that may pay more than its
            # low, all the slot's lows and the earlier rest of highs (the reference's _caps)
            "CASE WHEN high = low THEN LEAST(fen, prior + l_i - low) ELSE t_low - new_low + w_prev END AS others, "
            "t_low - LEAST(fen, prior + l_i) AS later, high "
            f"FROM ({more}) x"
        )
        marks = (
            "SELECT credit_code, event_id, benefit_id, new_low, new_high, "
            "CASE WHEN new_high = 0 AND (high IS NULL OR high <> 0 OR others <> 0) THEN 1 ELSE 0 END AS hit, "
            # the working's note, when the reference's _caps writes one: the cap cut the award
            # (cap_cut) or other awards count in its slot (cap)
            "concat_ws(',', CASE WHEN rn_i = 1 AND unlinked > 0 THEN concat('cap_unlinked:', cap_id) END, "
            "CASE WHEN high IS NULL OR new_high < high THEN concat('cap_cut:', cap_id) "
            "WHEN others > 0 THEN concat('cap:', cap_id) END, "
            # cut after later awards' certain amounts were counted first (an interpretation, said)
            "CASE WHEN (high IS NULL OR new_high < high) AND later > 0 THEN concat('cap_share:', cap_id) END) AS note "
            f"FROM ({w}) y"
        )
        return (
            "SELECT a.credit_code, a.event_id, a.unit_date, a.benefit_id, a.document_id, a.b_order, a.status, a.reasons, "
            "CASE WHEN w.new_high IS NULL THEN a.low ELSE w.new_low END AS low, "
            "CASE WHEN w.new_high IS NULL THEN a.high ELSE w.new_high END AS high, "
            "a.kind, CASE WHEN COALESCE(w.note, '') = '' THEN a.notes ELSE concat_ws(',', a.notes, w.note) END AS notes, "
            "CASE WHEN w.hit = 1 THEN 1 ELSE a.exh END AS exh "
            f"FROM {prev} a LEFT JOIN ({marks}) w ON w.credit_code = a.credit_code AND w.event_id = a.event_id AND w.benefit_id = a.benefit_id"
        )

    def final(self, prev: str, s: str = "") -> str:
        gone = "(a.status = 'granted' AND a.kind = 'money' AND a.high = 0 AND a.low = 0 AND a.exh = 1)"
        # another choice: set aside for the item of a case it was kept over in the first (excl_capped); the
        # first: a case tried (excl_review, in hq_prefer_b) or not (excl_recheck), as another choice's cases
        capped = (
            "CASE WHEN a.reasons = 'exclusivity' AND pf.benefit_id IS NOT NULL "
            "THEN CASE WHEN pf.crowd = 1 THEN 'excl_crowded' ELSE 'excl_capped' END END, "
            if s
            else ""
        )
        review = "'excl_recheck'" if s else "CASE WHEN tr.benefit_id IS NULL THEN 'excl_recheck' ELSE 'excl_review' END"
        keys = "{t}.credit_code = a.credit_code AND {t}.event_id = a.event_id AND {t}.benefit_id = {b}"
        if s:
            joins = f" LEFT JOIN hq_prefer{s} pf ON {keys.format(t='pf', b='xw.benefit_id')} AND pf.winner = a.benefit_id"
        else:
            joins = f" LEFT JOIN hq_prefer_b tr ON {keys.format(t='tr', b='a.benefit_id')}"
        return (
            "SELECT a.credit_code, a.event_id, a.unit_date, a.benefit_id, a.document_id, a.b_order, "
            f"CASE WHEN {gone} THEN 'set_aside' ELSE a.status END AS status, "
            f"CASE WHEN {gone} THEN 'cap_exhausted' ELSE a.reasons END AS reasons, a.low, a.high, a.kind, "
            # a set-aside row's notes: its awards received were this item's own (prior_own, from hq_excl),
            # the item kept over it (excl_for:<benefit>, hq_xwin), which was cut below it (excl_review,
            # hq_xrev), it has no amount in the text to be compared with the kept one's (excl_unknown)
            f"CASE WHEN {gone} THEN '' WHEN a.status <> 'granted' THEN concat_ws(',', "
            "CASE WHEN a.notes = 'prior_own' THEN a.notes END, "
            "CASE WHEN a.reasons = 'exclusivity' AND xw.benefit_id IS NOT NULL THEN concat('excl_for:', xw.benefit_id) END, "
            "CASE WHEN a.reasons = 'exclusivity' AND a.kind = 'none' THEN 'excl_unknown' END, "
            f"{capped}"
            f"CASE WHEN rv.benefit_id IS NOT NULL THEN {review} END) "
            "ELSE a.notes END AS notes "
            f"FROM {prev} a LEFT JOIN hq_xrev{s} rv "
            "ON rv.credit_code = a.credit_code AND rv.event_id = a.event_id AND rv.benefit_id = a.benefit_id "
            f"LEFT JOIN hq_xwin{s} xw ON xw.credit_code = a.credit_code AND xw.event_id = a.event_id AND xw.loser = a.benefit_id"
            f"{joins}"
        )

    def once_of(self, s: str) -> str:
        """The once-per-key table a choice reads: ``hq_once``, or for another choice its enterprises' (``hq_once_b``)."""
        return "hq_once_b" if s else "hq_once"

    def prefer(self) -> str:
        """``hq_prefer_b``: the first choice's cases, the best-ranked of each event (the reference's _after_caps),
        with the item kept over it (``winner``) and the event's date."""
        cases = (
            "SELECT credit_code, event_id, benefit_id, winner, 0 AS crowd FROM hq_xrev"
            + _UNION
            + ("SELECT credit_code, event_id, benefit_id, winner, 1 AS crowd FROM hq_xcrowd")
        )
        return (
            "SELECT credit_code, event_id, benefit_id, winner, unit_date, crowd FROM ("
            "SELECT r.credit_code, r.event_id, r.benefit_id, r.winner, o.unit_date, r.crowd, "
            f"ROW_NUMBER() OVER (PARTITION BY r.credit_code, r.event_id ORDER BY x.rnk) AS rn FROM ({cases}) r "
            "JOIN hq_x0 x ON x.credit_code = r.credit_code AND x.event_id = r.event_id AND x.benefit_id = r.benefit_id "
            "JOIN hq_once o ON o.credit_code = r.credit_code AND o.event_id = r.event_id AND o.benefit_id = r.benefit_id) t "
            "WHERE rn = 1"
        )

    def earliest(self) -> str:
        """``hq_prefer_c``: each enterprise's earliest case (date, event)."""
        return (
            "SELECT credit_code, event_id, benefit_id, winner, unit_date, crowd FROM ("
            "SELECT credit_code, event_id, benefit_id, winner, unit_date, crowd, "
            "ROW_NUMBER() OVER (PARTITION BY credit_code ORDER BY unit_date, event_id) AS rn FROM hq_prefer_b) t WHERE rn = 1"
        )

    def pick(self) -> str:
        """The enterprises another choice pays more in all (the reference's ``_gain``: without upper bound
        first, then the sum of the highs, then of the lows; the earlier choice on a tie), and which."""
        gains = _UNION.join(
            f"SELECT p.credit_code, {n} AS choice, "
            "MAX(CASE WHEN f.credit_code IS NOT NULL AND f.high IS NULL THEN 1 ELSE 0 END) AS unb, "
            "COALESCE(SUM(COALESCE(f.high, 0)), 0) AS hi, COALESCE(SUM(f.low), 0) AS lo "
            f"FROM (SELECT DISTINCT credit_code FROM hq_prefer_b) p LEFT JOIN hq_fin{s} f "
            "ON f.credit_code = p.credit_code AND f.status = 'granted' AND f.kind = 'money' GROUP BY p.credit_code"
            for n, s in enumerate(("", "_b", "_c"))
        )
        return (
            "SELECT credit_code, choice FROM (SELECT credit_code, choice, ROW_NUMBER() OVER (PARTITION BY credit_code "
            f"ORDER BY unb DESC, hi DESC, lo DESC, choice) AS rn FROM ({gains}) g) t WHERE rn = 1 AND choice > 0"
        )

    def merged(self) -> str:
        """Each enterprise's rows of the choice that pays it more (``hq_pick``), the first choice's by default."""
        return _UNION.join(
            [
                "SELECT f.* FROM hq_fin f LEFT JOIN hq_pick k ON k.credit_code = f.credit_code WHERE k.credit_code IS NULL",
                "SELECT f.* FROM hq_fin_b f JOIN hq_pick k ON k.credit_code = f.credit_code AND k.choice = 1",
                "SELECT f.* FROM hq_fin_c f JOIN hq_pick k ON k.credit_code = f.credit_code AND k.choice = 2",
            ]
        )

    def awards(self) -> str:
        nature = (
            "CASE WHEN kind = 'none' THEN 'none' WHEN kind = 'in_kind' THEN 'in_kind' WHEN kind = 'right' THEN 'right' "
            "WHEN high IS NULL THEN 'floor' WHEN low = high THEN 'exact' WHEN low = 0 THEN 'ceiling' ELSE 'range' END"
        )
        cols = (
            "SELECT credit_code, NULLIF(event_id, '') AS event_id, benefit_id, document_id, status, "
            f"low AS min_fen, high AS max_fen, kind, {nature} AS nature, reasons, "
            "CASE WHEN status = 'near_miss' THEN '' ELSE notes END AS notes, unit_date, b_order FROM "
        )
        # near misses leave hq_cand unchanged by every later stage, which only reads granted rows
        return f"{cols}hq_final\nUNION ALL\n{cols}hq_cand WHERE status <> 'granted'"

    def payers(self, d: Dialect) -> str:
        part_low = f"CASE WHEN sh.is_last THEN CAST(0 AS BIGINT) ELSE CAST({d.idiv(f'CAST(a.low AS {d.big}) * sh.weight', 'sh.total_weight')} AS BIGINT) END"
        part_high = (
            f"CASE WHEN a.high IS NULL THEN NULL WHEN sh.is_last THEN CAST(0 AS BIGINT) "
            f"ELSE CAST({d.idiv(f'CAST(a.high AS {d.big}) * sh.weight', 'sh.total_weight')} AS BIGINT) END"
        )
        award = "PARTITION BY a.credit_code, a.event_id, a.benefit_id"
        name = (
            "CASE WHEN sh.fixed_payer IS NOT NULL THEN sh.fixed_payer "
            "WHEN sh.role = 'town' THEN CASE WHEN COALESCE(e.town, '') <> '' THEN concat(e.town, '财政') "
            "ELSE concat(COALESCE(r0.name, e.region), '属地', sh.town_words, '财政') END "
            "WHEN sh.role IN ('district', 'city', 'province') THEN CASE WHEN r2.level = sh.role THEN r2.finance "
            "WHEN r1.level = sh.role THEN r1.finance WHEN r0.level = sh.role THEN r0.finance "
            f"ELSE {_role_finance('sh.role')} END "
            "ELSE sh.role END"
        )
        inner = (
            f"SELECT a.credit_code, a.event_id, a.benefit_id, a.document_id, sh.idx, sh.role, {name} AS payer, sh.weight, sh.is_last, "
            f"a.low, a.high, {part_low} AS p_low, {part_high} AS p_high "
            "FROM hq_final a JOIN hq_shares sh ON sh.benefit_id = a.benefit_id "
            "JOIN enterprises e ON e.credit_code = a.credit_code "
            "LEFT JOIN hq_regions r0 ON r0.code = e.region "
            "LEFT JOIN hq_regions r1 ON r1.code = concat(substr(e.region, 1, 4), '00') AND substr(e.region, 5, 2) <> '00' "
            "LEFT JOIN hq_regions r2 ON r2.code = concat(substr(e.region, 1, 2), '0000') AND substr(e.region, 3, 4) <> '0000' "
            "WHERE a.status = 'granted' AND a.kind = 'money'"
        )
        return (
            "SELECT credit_code, NULLIF(event_id, '') AS event_id, benefit_id, document_id, idx, role, payer, weight, "
            f"CASE WHEN is_last THEN low - SUM(p_low) OVER ({award.replace('a.', '')}) ELSE p_low END AS min_fen, "
            f"CASE WHEN high IS NULL THEN NULL WHEN is_last THEN high - SUM(p_high) OVER ({award.replace('a.', '')}) ELSE p_high END AS max_fen "
            f"FROM ({inner}) t"
        )


_UNION = "\nUNION ALL\n"
CHUNK = 20  # benefits per INSERT when a runner fills hq_cand chunk by chunk


def _chunks(branches: list[str], size: int) -> tuple[str, ...]:
    return tuple(_UNION.join(branches[i : i + size]) for i in range(0, len(branches), size))


def compile_library(library: Library, catalogue: Catalogue) -> Plan:
    """Compile the Library once into a plan, rendered for every dialect."""
    c = _Compiler(library, catalogue)
    rendered = {name: c.steps(Dialect(name)) for name in DIALECTS}
    base = rendered["duckdb"]
    steps = []
    for i, (name, _, stage, group, _conv, source) in enumerate(base):
        sql = {dn: rendered[dn][i][1] for dn in DIALECTS}
        conv = {dn: rendered[dn][i][4] or "" for dn in DIALECTS} if group else None
        parts = None
        if name == "hq_cand":
            parts = {dn: _chunks(sql[dn].split(_UNION), CHUNK) for dn in DIALECTS}
        steps.append(Step(name=name, sql=sql, stage=stage, group=group, converged=conv, source=source, parts=parts))
    return Plan(
        steps=tuple(steps),
        statics=c.statics(),
        layout=c.lay,
        outputs={"awards": "hq_awards", "payers": "hq_payers"},
        benefits=tuple(b.id for b, _ in c.benefits),
        exclusivity_rounds=c.rounds,
        cap_layers=max((ci.layer for ci in c.caps), default=0),
    )
