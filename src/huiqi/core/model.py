"""The policy model: documents, benefits (奖补项) and the parts of a rule.

A policy file is parsed into these frozen dataclasses (see
:mod:`huiqi.policyfile`); the evaluator (:mod:`huiqi.core.evaluator`) reads
them and nothing else.  Every part that carries a number also carries the
:class:`Citation` of the words it came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from fractions import Fraction
from operator import attrgetter

from .legal import Comparison
from .text import SourceText, Span

__all__ = [
    "LEVELS",
    "AmountSpec",
    "Benefit",
    "ByValue",
    "Cap",
    "Ceiling",
    "Citation",
    "Compare",
    "Condition",
    "Contains",
    "Document",
    "Exclusivity",
    "FactExpr",
    "Field",
    "FirstTime",
    "Fixed",
    "Funding",
    "Holds",
    "InKind",
    "Interpretation",
    "IsTrue",
    "Library",
    "Nature",
    "NoAmount",
    "OneOf",
    "PayerShare",
    "PerUnit",
    "Quota",
    "RangeRate",
    "Rate",
    "Ratio",
    "Right",
    "Sum",
    "Tier",
    "Tiers",
    "Total",
    "Uplift",
    "YearSum",
    "cap_order",
    "lowest_money_thresholds",
]

# Government levels, highest first.  A document's level decides which of two
# documents is "higher" (武进 注意事项 2: 应优先申报市级及以上同类政策).
LEVELS: tuple[str, ...] = ("national", "province", "city", "district")
LEVEL_LABELS = {"national": "国家", "province": "省级", "city": "市级", "district": "区（县）级"}


@dataclass(frozen=True, slots=True)
class Citation:
    """Words of the source text that a part of a rule encodes."""

    quote: str
    span: Span | None = None
    line: int = 0  # line in the policy file


@dataclass(frozen=True, slots=True)
class Interpretation:
    """A rule the text does not state, marked with the reason it was chosen."""

    reason: str


class Nature(StrEnum):
    """The nature of an amount, which users must see."""

    EXACT = "exact"
    CEILING = "ceiling"
    FLOOR = "floor"
    RANGE = "range"
    NONE = "none"
    IN_KIND = "in_kind"
    RIGHT = "right"

    @property
    def label(self) -> str:
        return NATURE_LABELS[self]


NATURE_LABELS = {
    Nature.EXACT: "确定金额",
    Nature.CEILING: "最高限额（经审核确定）",
    Nature.FLOOR: "不低于",
    Nature.RANGE: "区间",
    Nature.NONE: "未定额支持",
    Nature.IN_KIND: "免费服务",
    Nature.RIGHT: "权益（非资金）",
}


# --- facts a rule reads --------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    """A fact by path: ``amount`` (the event's field) or ``enterprise.sectors``."""

    path: str
    # read on every fact lookup, so worked out once
    on_enterprise: bool = field(init=False, repr=False, compare=False)
    name: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "on_enterprise", self.path.startswith("enterprise."))
        object.__setattr__(self, "name", self.path.removeprefix("enterprise."))


@dataclass(frozen=True, slots=True)
class Ratio:
    """``numerator / denominator`` of two facts (智能改造投入占项目总投入的比例)."""

    numerator: Field
    denominator: Field


@dataclass(frozen=True, slots=True)
class Total:
    """The sum of several facts."""

    parts: tuple[Field, ...]


@dataclass(frozen=True, slots=True)
class YearSum:
    """A fact summed over the enterprise's events of this kind that the benefit's ``match``
    selects, dated in the event's calendar year (一年内购买机器人产品或服务超过50万元): each
    purchase is tested against the year's total. ``match`` is the benefit's, filled in by the
    loader."""

    field: Field
    match: tuple[Condition, ...] = ()


FactExpr = Field | Ratio | Total | YearSum


# --- conditions ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Compare:
    """``fact <word> value``, the word read as Chinese legal usage reads it."""

    fact: FactExpr
    comparison: Comparison
    value: Fraction  # fen for money facts, else the plain number or rate
    kind: str  # "money", "number" or "rate"
    cite: Citation


@dataclass(frozen=True, slots=True)
class OneOf:
    """The fact equals one of the values (``in:``); ``negate`` for ``not_in:``."""

    fact: Field
    values: tuple[str, ...]
    cite: Citation | None = None
    negate: bool = False


@dataclass(frozen=True, slots=True)
class Contains:
    """A list fact (``enterprise.sectors``) contains any of the values."""

    fact: Field
    values: tuple[str, ...]
    cite: Citation | None = None


@dataclass(frozen=True, slots=True)
class IsTrue:
    """A yes/no fact has the expected value."""

    fact: Field
    expected: bool
    cite: Citation | None = None


@dataclass(frozen=True, slots=True)
class Holds:
    """The enterprise holds one of these qualifications on the event's date."""

    titles: tuple[str, ...]
    cite: Citation | None = None


@dataclass(frozen=True, slots=True)
class FirstTime:
    """新获评 / 首次获评: the enterprise held no such recognition before.

    Checked against the enterprise's qualifications and the scenario's earlier
    recognition events of the same title (and level, when ``same_level``).
    """

    cite: Citation
    same_level: bool = True


Condition = Compare | OneOf | Contains | IsTrue | Holds | FirstTime


# --- amounts -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fixed:
    """给予20万元: an exact amount."""

    fen: int
    cite: Citation


@dataclass(frozen=True, slots=True)
class Ceiling:
    """给予最高50万元: only the maximum is fixed; a review sets the amount.

    ``tiers_unpublished`` marks 阶梯式奖励 whose tiers are in 细则 not in the text.
    """

    fen: int
    cite: Citation
    tiers_unpublished: bool = False


@dataclass(frozen=True, slots=True)
class Rate:
    """``rate × base``; ``up_to`` for 不超过/最高 (a ceiling), ``at_least``
    for 不低于 (a floor), else exact."""

    rate: Fraction
    base: FactExpr
    cite: Citation
    up_to: bool = False
    at_least: bool = False


@dataclass(frozen=True, slots=True)
class PerUnit:
    """``fen_per_unit × quantity`` (1000元/吨标准煤)."""

    fen_per_unit: int
    unit: str
    base: FactExpr
    cite: Citation
    up_to: bool = False


@dataclass(frozen=True, slots=True)
class Sum:
    """Two formulas added (叠加), then capped as one; ``up_to`` for 不超过."""

    parts: tuple[AmountSpec, ...]
    cite: Citation
    up_to: bool = False


@dataclass(frozen=True, slots=True)
class ByValue:
    """分别: the amount depends on a fact's value (level, grade, phase)."""

    fact: Field
    cases: tuple[tuple[str, AmountSpec], ...]
    cite: Citation


@dataclass(frozen=True, slots=True)
class Tier:
    comparison: Comparison
    threshold: Fraction
    amount: AmountSpec


@dataclass(frozen=True, slots=True)
class Tiers:
    """Tiers on a number (容积率超过2.5 … 超过4.0 …): the last tier met wins."""

    fact: FactExpr
    tiers: tuple[Tier, ...]
    cite: Citation


@dataclass(frozen=True, slots=True)
class RangeRate:
    """15%～30% of a base, not below a floor, at most a cap."""

    low: Fraction
    high: Fraction
    base: FactExpr
    cite: Citation
    floor_fen: int | None = None
    cap_fen: int | None = None


@dataclass(frozen=True, slots=True)
class NoAmount:
    """Support without a number (按相关政策给予支持; 一事一议)."""

    text: str
    cite: Citation


@dataclass(frozen=True, slots=True)
class InKind:
    """A free service, with its fee cap per beneficiary where the text sets one."""

    service: str
    cite: Citation
    fee_cap_fen: int | None = None


@dataclass(frozen=True, slots=True)
class Right:
    """A right, not money (政府首购; 视同已具备相应业绩)."""

    text: str
    cite: Citation


AmountSpec = Fixed | Ceiling | Rate | PerUnit | Sum | ByValue | Tiers | RangeRate | NoAmount | InKind | Right


# --- limits, payers, exclusivity -----------------------------------------


@dataclass(frozen=True, slots=True)
class Cap:
    """A maximum with its scope.

    ``per`` is one of:
    - ``item``: this award alone (单个项目最高; 每个产品最高);
    - ``enterprise_year``: all awards of the cap's benefits to one enterprise
      in one calendar year (单个企业每年最高);
    - ``key``: all awards sharing the value of ``key`` (单个产品最高50万元).
    ``benefits`` lists the benefit ids a group cap spans (empty: the benefit
    that declares it).  ``by`` makes the maximum depend on a fact (stage caps).
    ``prior_levels`` counts awards already received at those levels (市、区两级) for an
    event the cap's benefits select (kind and ``match``), whether or not they pay for it.
    """

    id: str
    per: str
    fen: int | None
    cite: Citation
    benefits: tuple[str, ...] = ()
    key: str | None = None
    by: Field | None = None
    by_fen: tuple[tuple[str, int], ...] = ()
    prior_levels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Uplift:
    """支持金额上浮20% when conditions hold."""

    rate: Fraction
    conditions: tuple[Condition, ...]
    cite: Citation


def cap_order(caps: Mapping[str, tuple[Cap, frozenset[str]]]) -> list[str]:
    """Cap ids in the order an award meets them: fewer members first (a benefit's own cap before
    a cap over its article), then as declared."""
    index = {cap_id: i for i, cap_id in enumerate(caps)}
    return sorted(caps, key=lambda cap_id: (len(caps[cap_id][1]), index[cap_id]))


@dataclass(frozen=True, slots=True)
class Quota:
    """每年择优支持不超过20个项目: recorded now, allocated in review.  ``bound`` is how the text
    states the count: ``at_most`` (择优支持不超过20个, competitive), ``exactly`` (为全市40家工厂提供,
    评选10个: a number of places) or ``at_least`` (不少于1000次: a floor the government sets itself);
    ``unit`` is the text's measure word (个, 家, 次)."""

    count: int
    per: str
    cite: Citation
    bound: str = "at_most"
    unit: str = "个"

    def text(self) -> str:
        """The quota as the working shows it, in the words of its bound."""
        about = "左右" if "左右" in self.cite.quote else ""  # 至少为1000家左右: the text's approximation kept
        if self.bound == "at_least":
            return f"服务数量：每{self.per}不少于{self.count}{self.unit}{about}（原文所定下限，非竞争性名额）"
        if self.bound == "exactly":
            return f"名额：每{self.per}{self.count}{self.unit}（原文所定数量）"
        return f"竞争性名额：每{self.per}择优支持不超过{self.count}{self.unit}，须经评审入选"


@dataclass(frozen=True, slots=True)
class PayerShare:
    """Who pays a share: ``role`` is city / district / town / province /
    unspecified; ``weight`` is its part of the split (4 of 4:6)."""

    role: str
    weight: int


TOWN_WORDS = "镇（街道、板块）"  # the town level, where a text does not name it


@dataclass(frozen=True, slots=True)
class Funding:
    """Who pays, in what split, and who pays out (兑付)."""

    shares: tuple[PayerShare, ...]
    cite: Citation
    disburser: str | None = None
    owner: str = ""  # the issuing government's region (苏州市, 武进区): whose money the words speak of

    @property
    def unspecified_payer(self) -> str:
        """The payer of an ``unspecified`` share in the text's own words, after the issuing region:
        苏州市（按现行财政体制分级承担） (苏州2020), 武进区（按现行财政体制分级承担） (武进2024; the same
        words, other money), 苏州市（按原渠道和财政体制要求落实） (苏州2025) — from the first 按 to the
        end of that clause; 未明确 when the words say no such thing."""
        quote = self.cite.quote
        start = quote.find("按")
        if start < 0:
            return f"{self.owner}（未明确）" if self.owner else "未明确"
        end = min((i for i in (quote.find(p, start) for p in "，。；,;") if i >= 0), default=len(quote))
        return f"{self.owner}（{quote[start:end]}）" if self.owner else quote[start:end]  # a name, not a sentence: no ：

    @property
    def town_words(self) -> str:
        """The town level as the funding's words name it: 镇（开发区、太湖新城） (吴中2025 第22条: 由区、镇（开发区、
        太湖新城）按4:6分担); 镇（街道、板块） when they name it otherwise or not at all."""
        quote = self.cite.quote
        at = quote.find("镇（")
        end = quote.find("）", at)
        return quote[at : end + 1] if at >= 0 and end > at else TOWN_WORDS


@dataclass(frozen=True, slots=True)
class Exclusivity:
    """就高不重复: awards for the same event (项目、事项) that this rule covers
    are not paid twice; the highest is kept.

    ``within`` is ``document`` (any two benefits of the document), ``article``
    (only benefits of the same article) or ``none``; ``against`` lists the
    levels of *other* documents it also covers (city, district …, or
    ``higher`` for every level above the document's own).  ``articles``
    limits the rule to benefits of those articles (本条款内 … 不得重复享受).
    """

    id: str
    within: str
    against: tuple[str, ...]
    cite: Citation
    interpretation: Interpretation | None = None
    articles: tuple[str, ...] = ()

    def applies_to(self, article: str) -> bool:
        return not self.articles or article in self.articles


@dataclass(frozen=True, slots=True)
class Benefit:
    """One benefit item (奖补项): the atomic rule."""

    id: str
    document_id: str
    article: str
    title: str
    event: str  # an event kind, or "enterprise" for a yearly benefit on the profile
    match: tuple[Condition, ...]
    when: tuple[Condition, ...]
    amount: AmountSpec
    cite: Citation
    department: tuple[str, ...] = ()
    caps: tuple[Cap, ...] = ()
    uplift: Uplift | None = None
    quota: Quota | None = None
    funding: Funding | None = None
    once_per: tuple[str, ...] = ()
    once_group: str | None = None
    once_per_enterprise: bool = False  # once_per: {per: enterprise}: one award per enterprise (新招引 once)
    max_years: int | None = None
    max_years_cite: Citation | None = None
    applicants: tuple[str, ...] = ()
    applicants_cite: Citation | None = None  # the words naming the benefit's own applicants
    review: bool = False
    interpretations: tuple[Interpretation, ...] = ()
    order: int = 0
    line: int = 0
    # the item's own window for its events' dates, when it is not the document's (always an
    # interpretation: 上一年度服务活动 judged while the document is in force); None: the document's
    valid_from: date | None = None
    valid_to: date | None = None
    validity_cite: Citation | None = None

    @property
    def key(self) -> str:
        return self.id


@dataclass(frozen=True, slots=True)
class Document:
    """One policy document and its general rules."""

    id: str
    title: str
    short: str
    issuer: str
    level: str
    jurisdiction: str
    valid_from: date
    valid_to: date | None
    validity_cite: Citation
    applicants: tuple[str, ...]
    applicants_cite: Citation | None
    funding: Funding | None
    exclusivity: tuple[Exclusivity, ...]
    benefits: tuple[Benefit, ...]
    source: SourceText
    number: str | None = None
    registration_required: bool = True
    notes: tuple[Citation, ...] = ()
    interpretations: tuple[Interpretation, ...] = ()
    group_caps: tuple[Cap, ...] = ()
    path: str = ""
    validity_interpreted: bool = False  # the window is read from other words (有效期三年, 2024年度): said with it

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def window(self, benefit: Benefit) -> tuple[date, date | None, Citation, bool]:
        """The dates ``benefit``'s events are taken in (from, to, the words, whether read by
        interpretation): its own window when it has one, else the document's."""
        if benefit.valid_from is not None and benefit.validity_cite is not None:
            return benefit.valid_from, benefit.valid_to, benefit.validity_cite, True
        return self.valid_from, self.valid_to, self.validity_cite, self.validity_interpreted

    def status(self, on: date) -> str:
        """有效 / 已失效 / 未生效 on a date."""
        if on < self.valid_from:
            return "未生效"
        if self.valid_to is not None and on > self.valid_to:
            return "已失效"
        return "有效"


_ORDER = attrgetter("order")


@dataclass(slots=True)
class Library:
    """Every loaded document, indexed for evaluation."""

    documents: tuple[Document, ...]
    by_id: dict[str, Document] = field(default_factory=dict)
    benefits: dict[str, Benefit] = field(default_factory=dict)
    by_event: dict[str, tuple[Benefit, ...]] = field(default_factory=dict)
    gates: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)
    caps: dict[str, tuple[Cap, frozenset[str]]] = field(default_factory=dict)
    caps_of: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # once-per-key group → its benefits (吴中 第3条's device series): an award received under the group's id
    once_groups: dict[str, frozenset[str]] = field(default_factory=dict)
    _gated: dict[str, tuple[str | None, dict[str, tuple[Benefit, ...]], tuple[Benefit, ...]]] = field(default_factory=dict)
    # kinds gated on several fields: per field, value → benefits; and the ungated benefits
    _multi: dict[str, tuple[tuple[tuple[str, dict[str, tuple[Benefit, ...]]], ...], tuple[Benefit, ...]]] = field(
        default_factory=dict
    )

    def __post_init__(self) -> None:
        self.by_id = {d.id: d for d in self.documents}
        index: dict[str, list[Benefit]] = {}
        for doc in self.documents:
            for b in doc.benefits:
                self.benefits[b.id] = b
                index.setdefault(b.event, []).append(b)
                gate = next(
                    (c for c in b.match if isinstance(c, OneOf) and not c.negate and not c.fact.on_enterprise),
                    None,
                )
                if gate is not None:
                    self.gates[b.id] = (gate.fact.path, frozenset(gate.values))
        self.by_event = {k: tuple(v) for k, v in index.items()}
        groups: dict[str, set[str]] = {}
        for b in self.benefits.values():
            if b.once_group:
                groups.setdefault(b.once_group, set()).add(b.id)
        self.once_groups = {g: frozenset(ids) for g, ids in groups.items()}
        for kind, benefits in self.by_event.items():
            fields_used = {self.gates[b.id][0] for b in benefits if b.id in self.gates}
            gate_field = next(iter(fields_used)) if len(fields_used) == 1 else None
            by_value: dict[str, list[Benefit]] = {}
            open_: list[Benefit] = []
            for b in benefits:
                gated = self.gates.get(b.id)
                if gate_field is None or gated is None:
                    open_.append(b)
                    continue
                for value in gated[1]:
                    by_value.setdefault(value, []).append(b)
            # With one gate field, every gated benefit is filed under the values it admits, merged
            # with the ungated ones in library order, so a lookup needs no further filtering.
            open_.sort(key=lambda b: b.order)
            merged = {k: tuple(sorted((*v, *open_), key=lambda b: b.order)) for k, v in by_value.items()}
            self._gated[kind] = (gate_field, merged, tuple(open_))
            if gate_field is None:
                per_path: dict[str, dict[str, list[Benefit]]] = {}
                ungated: list[Benefit] = []
                for b in open_:
                    gated = self.gates.get(b.id)
                    if gated is None:
                        ungated.append(b)
                        continue
                    for value in gated[1]:
                        per_path.setdefault(gated[0], {}).setdefault(value, []).append(b)
                self._multi[kind] = (
                    tuple((path, {v: tuple(bs) for v, bs in values.items()}) for path, values in per_path.items()),
                    tuple(ungated),
                )
        for doc in self.documents:
            for cap in doc.group_caps:
                self.caps[cap.id] = (cap, frozenset(cap.benefits))
            for b in doc.benefits:
                for cap in b.caps:
                    if cap.per != "item":
                        self.caps[cap.id] = (cap, frozenset(cap.benefits or (b.id,)))
        # an award meets its caps inner first (fewer members first, then in declaration order): with
        # nested caps (a benefit's own yearly cap inside its article's) that order is exact
        members: dict[str, list[str]] = {}
        for cap_id in cap_order(self.caps):
            for m in sorted(self.caps[cap_id][1]):
                members.setdefault(m, []).append(cap_id)
        self.caps_of = {k: tuple(v) for k, v in members.items()}

    def candidates(self, kind: str, facts: Mapping[str, object]) -> list[Benefit]:
        """The benefits of an event kind whose first option gate (title, category …) the facts pass.

        A fast pre-filter only: the evaluator still tests every ``match`` condition.
        """
        entry = self._gated.get(kind)
        if entry is None:
            return []
        gate_field, by_value, open_ = entry
        if gate_field is not None:
            return list(by_value.get(str(facts.get(gate_field)), open_))
        paths, ungated = self._multi[kind]
        out = list(ungated)
        sources = 1 if ungated else 0
        for path, by_path_value in paths:
            hit = by_path_value.get(str(facts.get(path)))
            if hit:
                out.extend(hit)
                sources += 1
        if sources > 1:  # each part is in library order; together they need sorting
            out.sort(key=_ORDER)
        return out

    def document_of(self, benefit: Benefit) -> Document:
        return self.by_id[benefit.document_id]


def lowest_money_thresholds(benefits: Iterable[Benefit]) -> dict[str, tuple[int, Benefit]]:
    """Field path (``equipment_investment``, ``enterprise.annual_sales``) → the smallest money threshold the
    benefits' conditions set on it, in fen, and the first benefit setting it: an amount far below it was most
    likely written in 万元 but read as 元 (``huiqi evaluate``'s notes, a register's column notices)."""
    lowest: dict[str, tuple[int, Benefit]] = {}
    for b in benefits:
        for c in (*b.match, *b.when):
            if isinstance(c, Compare) and c.kind == "money" and isinstance(c.fact, Field):
                threshold = int(c.value)
                if c.fact.path not in lowest or threshold < lowest[c.fact.path][0]:
                    lowest[c.fact.path] = (threshold, b)
    return lowest
