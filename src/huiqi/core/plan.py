"""Plans (规划) carried as data: indicators, key industries, annexed policies.

A plan such as 苏州市"十三五"工业发展规划 sets targets rather than granting
benefits, so it is not encoded as benefit rules.  This module holds the plan's
figures as plain, immutable values and renders them as a short Chinese report.
Every value keeps the citations (引文) that state it in the source text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any

__all__ = [
    "AnnexedPolicy",
    "Indicator",
    "KeyIndustry",
    "Period",
    "Plan",
    "PlanDocument",
    "PlanTarget",
    "YearValue",
    "indicator_baseline",
    "indicator_nature",
    "indicator_target",
    "plan_dict",
    "render_plan",
    "target_compared",
    "target_groups",
    "target_value",
    "target_when",
]

STATUS_EXPIRED = "已失效"
STATUS_NOT_YET = "未生效"
STATUS_IN_FORCE = "有效"
STATUS_UNSTATED = "期限未载明"

_NOT_STATED = "未载明"


@dataclass(frozen=True, slots=True)
class Period:
    """A span of dates; either end may be open (``None``) when the text is silent."""

    start: date | None
    end: date | None

    @property
    def is_unstated(self) -> bool:
        """True when the text gives neither a start nor an end."""
        return self.start is None and self.end is None

    def describe(self) -> str:
        """The period in words, e.g. ``2016-01-01 至 2020-12-31`` or ``2016-01-01 起，止期未载明``."""
        if self.start is not None and self.end is not None:
            return f"{self.start.isoformat()} 至 {self.end.isoformat()}"
        if self.start is not None:
            return f"{self.start.isoformat()} 起，止期未载明"
        if self.end is not None:
            return f"至 {self.end.isoformat()}"
        return _NOT_STATED


@dataclass(frozen=True, slots=True)
class YearValue:
    """A value the text gives for a given year (e.g. the 2010 figure of a comparison)."""

    year: int
    value: Decimal


@dataclass(frozen=True, slots=True)
class PlanDocument:
    """The plan document itself: title, number (文号), issuer and plan period."""

    id: str
    title: str
    number: str | None
    issuer: str
    source: str
    issued: date | None
    period: Period
    jurisdiction: str
    cite: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Indicator:
    """One row of the plan's indicator table (主要指标).

    ``baseline_2015`` is set only when the text states the same measure for
    2015; otherwise ``baseline_text`` may say what stands in its place (a
    differently defined figure, the base of a fall).  The table has no
    预期性/约束性 column, so ``nature`` is an interpretation and
    ``nature_basis`` gives its reason (or why there is none).
    """

    id: str
    category: str
    name: str
    unit: str | None
    target_2020: Decimal | None
    target_text: str | None
    baseline_2015: Decimal | None
    baseline_text: str | None
    nature: str | None
    nature_basis: str | None
    note: str | None
    cite: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class KeyIndustry:
    """A key industry (重点产业) with its 2020 output target, chain segments and parks."""

    id: str
    name: str
    output_target_2020: Decimal
    output_unit: str
    segments: tuple[str, ...]
    parks: tuple[str, ...]
    cite: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AnnexedPolicy:
    """A supporting policy document listed in the plan's annex (附件)."""

    id: str
    title: str
    key_points: str
    period: Period | None
    encoded: bool
    cite: tuple[str, ...]

    def status(self, on: date) -> str:
        """已失效 / 未生效 / 有效 on a date; 期限未载明 when the text gives no period,
        or gives a start (“2016年起”) but no end and the start has passed — the
        text does not say the document is still in force."""
        if self.period is None or self.period.is_unstated:
            return STATUS_UNSTATED
        if self.period.end is not None and self.period.end < on:
            return STATUS_EXPIRED
        if self.period.start is not None and self.period.start > on:
            return STATUS_NOT_YET
        if self.period.end is None:
            return STATUS_UNSTATED
        return STATUS_IN_FORCE


@dataclass(frozen=True, slots=True)
class PlanTarget:
    """Any other figure the plan states, as a target (目标) or as a fact (现状).

    ``value`` is ``None`` only when the figure is not a plain decimal (a
    fraction such as ``2/3``); ``printed`` then keeps it as printed.  A range
    (``2～3``) has ``value`` as its low end and ``value_max`` as its high end.
    ``group`` is the part of the plan the figure belongs to (a heading of the
    text); ``period`` is set instead of ``year`` when the text gives a span.
    """

    id: str
    group: str
    name: str
    kind: str
    year: int | None
    period: Period | None
    value: Decimal | None
    value_max: Decimal | None
    unit: str | None
    qualifier: str | None
    printed: str | None
    compared_with: YearValue | None
    note: str | None
    cite: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Plan:
    """A whole plan: its document, indicators, industries, annex and other figures."""

    document: PlanDocument
    indicators: tuple[Indicator, ...]
    industries: tuple[KeyIndustry, ...]
    annexed_policies: tuple[AnnexedPolicy, ...]
    other_targets: tuple[PlanTarget, ...]

    def cited_quotes(self) -> list[str]:
        """Every citation of the plan, in file order (document first)."""
        quotes: list[str] = list(self.document.cite)
        for group in (
            self.indicators,
            self.industries,
            self.annexed_policies,
            self.other_targets,
        ):
            for entry in group:
                quotes.extend(entry.cite)
        return quotes


_KIND_LABELS = {"target": "目标", "fact": "现状"}
# Comparison words printed before the number (超过4000家) or between the number
# and its unit (140多家); any other (以上, 左右) follows the unit (1.3万家以上).
_QUALIFIERS_BEFORE = frozenset({"超过", "近", "不低于", "不少于", "力争", "仅高于"})
_QUALIFIERS_INSIDE = frozenset({"多"})


def _number(value: Decimal | None) -> str:
    """A decimal as plain digits, or 未载明."""
    return _NOT_STATED if value is None else format(value, "f")


def _with_unit(value: Decimal | None, unit: str | None) -> str:
    """A decimal followed by its unit when both are known."""
    text = _number(value)
    if value is None or not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def _quotes(cite: tuple[str, ...]) -> str:
    """The cited words, each in quotation marks."""
    return "；".join(f"“{quote}”" for quote in cite)


def indicator_target(indicator: Indicator) -> str:
    """The 2020 column: the number with its unit, or the words the table prints."""
    return indicator.target_text or _with_unit(indicator.target_2020, indicator.unit)


def indicator_baseline(indicator: Indicator) -> str:
    """The 2015 column: a like-for-like 2015 value, or what stands in its place."""
    if indicator.baseline_2015 is not None:
        return _with_unit(indicator.baseline_2015, indicator.unit)
    return indicator.baseline_text or _NOT_STATED


def indicator_nature(indicator: Indicator) -> str:
    """预期性/约束性, marked as an interpretation with its reason (the table has no such column)."""
    basis = indicator.nature_basis
    if indicator.nature:
        return f"{indicator.nature}（按解释：{basis}）" if basis else indicator.nature
    return f"{_NOT_STATED}（{basis}）" if basis else _NOT_STATED


def target_value(target: PlanTarget) -> str:
    """A figure as the text says it, with its comparison word and unit: 超过4000家,
    140多家, 2～3家, 1.3万家以上; a converted printed form is named (原文作“十大”)."""
    unit = target.unit or ""
    printed = ""
    if target.value is None:
        number = target.printed or _NOT_STATED
    else:
        number = _number(target.value)
        if target.value_max is not None:
            number += f"～{_number(target.value_max)}"
        if target.printed and target.printed != number:
            printed = f"（原文作“{target.printed}”）"
    word = target.qualifier or ""
    if word in _QUALIFIERS_BEFORE:
        text = f"{word}{number}{unit}"
    elif word in _QUALIFIERS_INSIDE:
        text = f"{number}{word}{unit}"
    else:
        text = f"{number}{unit}{word}"
    return text + printed


def target_when(target: PlanTarget) -> str:
    """The year or the period the figure is for; empty when the text names neither."""
    if target.period is not None:
        return target.period.describe()
    return f"{target.year}年" if target.year is not None else ""


def target_compared(target: PlanTarget) -> str:
    """The earlier figure of a comparison (2010年：2.85万亿元); empty when there is none."""
    earlier = target.compared_with
    if earlier is None:
        return ""
    return f"{earlier.year}年：{_number(earlier.value)}{target.unit or ''}"


def target_groups(plan: Plan) -> list[str]:
    """The groups of the other figures, in the order they first appear."""
    return list(dict.fromkeys(target.group for target in plan.other_targets))


def _render_header(document: PlanDocument) -> list[str]:
    """Title, number, issuer, period and jurisdiction."""
    issued = document.issued.isoformat() if document.issued else _NOT_STATED
    return [
        document.title,
        f"文号：{document.number or _NOT_STATED}　发文机关：{document.issuer}　印发日期：{issued}",
        f"规划期：{document.period.describe()}　行政区划：{document.jurisdiction}",
    ]


def _render_indicator(index: int, indicator: Indicator) -> list[str]:
    """One indicator: target, 2015 column, unit, attribute, note and cited words."""
    unit = indicator.unit or _NOT_STATED
    lines = [
        f"{index}. 〔{indicator.category}〕{indicator.name}",
        f"   2020年目标：{indicator_target(indicator)}；2015年：{indicator_baseline(indicator)}；"
        f"单位：{unit}；属性：{indicator_nature(indicator)}",
    ]
    if indicator.note:
        lines.append(f"   注：{indicator.note}")
    lines.append(f"   引文：{_quotes(indicator.cite)}")
    return lines


def _render_industry(index: int, industry: KeyIndustry) -> list[str]:
    """One key industry: output target, segments, parks and cited words."""
    target = _with_unit(industry.output_target_2020, industry.output_unit)
    return [
        f"{index}. {industry.name}：2020年产值目标 {target}",
        f"   主要产业链环节：{'、'.join(industry.segments)}",
        f"   主要承载园区：{'、'.join(industry.parks)}",
        f"   引文：{_quotes(industry.cite)}",
    ]


def _render_policy(index: int, policy: AnnexedPolicy, today: date) -> list[str]:
    """One annexed policy: period, status on ``today``, encoding state and cited words."""
    period = policy.period.describe() if policy.period else _NOT_STATED
    encoded = "已编码" if policy.encoded else "未编码"
    return [
        f"{index}. 《{policy.title}》",
        f"   实施期限：{period}；状态：{policy.status(today)}；{encoded}",
        f"   主要政策点：{policy.key_points}",
        f"   引文：{_quotes(policy.cite)}",
    ]


def _render_target(index: int, target: PlanTarget) -> list[str]:
    """One other figure: kind, value with comparison word and unit, year, comparison, cited words."""
    parts = [f"{index}. 〔{_KIND_LABELS.get(target.kind, target.kind)}〕{target.name}：{target_value(target)}"]
    when = target_when(target)
    if when:
        parts.append(when)
    compared = target_compared(target)
    if compared:
        parts.append(f"对比 {compared}")
    lines = ["；".join(parts)]
    if target.note:
        lines.append(f"   注：{target.note}")
    lines.append(f"   引文：{_quotes(target.cite)}")
    return lines


def render_plan(plan: Plan, today: date) -> str:
    """A readable Chinese report of a plan, with annex statuses as of ``today``."""
    lines = _render_header(plan.document)
    lines += ["", f"一、指标（共{len(plan.indicators)}项）"]
    for i, indicator in enumerate(plan.indicators, start=1):
        lines += _render_indicator(i, indicator)
    lines += ["", f"二、重点产业（共{len(plan.industries)}个）"]
    for i, industry in enumerate(plan.industries, start=1):
        lines += _render_industry(i, industry)
    lines += [
        "",
        f"三、附件政策文件（共{len(plan.annexed_policies)}件，状态按{today.isoformat()}）",
    ]
    for i, policy in enumerate(plan.annexed_policies, start=1):
        lines += _render_policy(i, policy, today)
    lines += ["", f"四、其他数字（共{len(plan.other_targets)}项，按所在部分分组）"]
    for group in target_groups(plan):
        members = [target for target in plan.other_targets if target.group == group]
        lines.append(f"【{group}】（{len(members)}项）")
        for i, target in enumerate(members, start=1):
            lines += _render_target(i, target)
    return "\n".join(lines) + "\n"


def _plain(value: Any) -> Any:
    """Dataclass-dict values made JSON-ready: decimals and dates as strings."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def plan_dict(plan: Plan, today: date) -> dict[str, Any]:
    """The plan as plain JSON-ready data, as ``huiqi plan --json``, /api/plan and
    the /plan page all show it: every field, each annexed document's status on
    ``today``, and each column as the text report words it (``*_display``,
    ``value_text``, ``when_text``, ``compared_text``)."""
    data: dict[str, Any] = _plain(asdict(plan))
    data["status_date"] = today.isoformat()
    data["document"]["period_text"] = plan.document.period.describe()
    for entry, indicator in zip(data["indicators"], plan.indicators, strict=True):
        entry["target_display"] = indicator_target(indicator)
        entry["baseline_display"] = indicator_baseline(indicator)
        entry["nature_display"] = indicator_nature(indicator)
    for entry, policy in zip(data["annexed_policies"], plan.annexed_policies, strict=True):
        entry["status"] = policy.status(today)
        entry["period_text"] = policy.period.describe() if policy.period else _NOT_STATED
    for entry, target in zip(data["other_targets"], plan.other_targets, strict=True):
        entry["kind_label"] = _KIND_LABELS.get(target.kind, target.kind)
        entry["value_text"] = target_value(target)
        entry["when_text"] = target_when(target)
        entry["compared_text"] = target_compared(target)
    data["other_target_groups"] = target_groups(plan)
    return data
