"""Plans (规划) carried as data: indicators, key industries, annexed policies.

A plan such as 苏州市"十三五"工业发展规划 sets targets rather than granting
benefits, so it is not encoded as benefit rules.  This module holds the plan's
figures as plain, immutable values and renders them as a short Chinese report.
Every value keeps the citations (引文) that state it in the source text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

__all__ = [
    "AnnexedPolicy",
    "Indicator",
    "KeyIndustry",
    "Period",
    "Plan",
    "PlanDocument",
    "PlanTarget",
    "YearValue",
    "render_plan",
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
        """The period in words, e.g. ``2016-01-01 至 2020-12-31`` or ``2016-01-01 起``."""
        if self.start is not None and self.end is not None:
            return f"{self.start.isoformat()} 至 {self.end.isoformat()}"
        if self.start is not None:
            return f"{self.start.isoformat()} 起"
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
    """One row of the plan's indicator table (主要指标)."""

    id: str
    category: str
    name: str
    unit: str | None
    target_2020: Decimal | None
    target_text: str | None
    baseline_2015: Decimal | None
    nature: str | None
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
        """已失效 / 未生效 / 有效 on a date, or 期限未载明 when the text gives no period."""
        if self.period is None or self.period.is_unstated:
            return STATUS_UNSTATED
        if self.period.end is not None and self.period.end < on:
            return STATUS_EXPIRED
        if self.period.start is not None and self.period.start > on:
            return STATUS_NOT_YET
        return STATUS_IN_FORCE


@dataclass(frozen=True, slots=True)
class PlanTarget:
    """Any other figure the plan states, as a target (目标) or as a fact (现状).

    ``value`` is ``None`` only when the figure is not a plain decimal (a
    fraction such as ``2/3``); ``printed`` then keeps it as printed.  A range
    (``2～3``) has ``value`` as its low end and ``value_max`` as its high end.
    """

    id: str
    name: str
    kind: str
    year: int | None
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


def _number(value: Decimal | None) -> str:
    """A decimal as plain digits, or 未载明."""
    return _NOT_STATED if value is None else format(value, "f")


def _with_unit(value: Decimal | None, unit: str | None) -> str:
    """A decimal followed by its unit when both are known."""
    text = _number(value)
    if value is None or not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def _render_header(document: PlanDocument) -> list[str]:
    """Title, number, issuer, period and jurisdiction."""
    issued = document.issued.isoformat() if document.issued else _NOT_STATED
    return [
        document.title,
        f"文号：{document.number or _NOT_STATED}　发文机关：{document.issuer}　印发日期：{issued}",
        f"规划期：{document.period.describe()}　行政区划：{document.jurisdiction}",
    ]


def _render_indicator(index: int, indicator: Indicator) -> list[str]:
    """One indicator: target, 2015 value and unit."""
    target = indicator.target_text or _with_unit(indicator.target_2020, indicator.unit)
    baseline = _with_unit(indicator.baseline_2015, indicator.unit)
    unit = indicator.unit or _NOT_STATED
    nature = indicator.nature or _NOT_STATED
    lines = [
        f"{index}. 〔{indicator.category}〕{indicator.name}",
        f"   2020年目标：{target}；2015年：{baseline}；单位：{unit}；属性：{nature}",
    ]
    if indicator.note:
        lines.append(f"   注：{indicator.note}")
    return lines


def _render_industry(index: int, industry: KeyIndustry) -> list[str]:
    """One key industry: output target, segments and parks."""
    target = _with_unit(industry.output_target_2020, industry.output_unit)
    return [
        f"{index}. {industry.name}：2020年产值目标 {target}",
        f"   主要产业链环节：{'、'.join(industry.segments)}",
        f"   主要承载园区：{'、'.join(industry.parks)}",
    ]


def _render_policy(index: int, policy: AnnexedPolicy, today: date) -> list[str]:
    """One annexed policy: period, status on ``today`` and encoding state."""
    period = policy.period.describe() if policy.period else _NOT_STATED
    encoded = "已编码" if policy.encoded else "未编码"
    return [
        f"{index}. 《{policy.title}》",
        f"   实施期限：{period}；状态：{policy.status(today)}；{encoded}",
        f"   主要政策点：{policy.key_points}",
    ]


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
    return "\n".join(lines) + "\n"
