"""Load a plan file (规划数据文件) into :class:`huiqi.core.plan.Plan`.

The YAML file names its source text under ``document.source``; the text is
looked up by file name in ``texts_dir`` and every ``cite`` entry must be found
in it (after the normalisation of :class:`huiqi.core.text.SourceText`).  Any
missing or invalid field, and any citation not found, raises
:class:`PlanFileError` naming the file, the entry and the field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar

import yaml

from huiqi.core.plan import (
    AnnexedPolicy,
    Indicator,
    KeyIndustry,
    Period,
    Plan,
    PlanDocument,
    PlanTarget,
    YearValue,
)
from huiqi.core.text import SourceText

from .yamlnodes import as_written

__all__ = ["PlanFileError", "load_plan"]

T = TypeVar("T")

_TARGET_KINDS = ("target", "fact")
_ROOT = "顶层"


class PlanFileError(ValueError):
    """A plan file is malformed or cites words that are not in its source text."""


@dataclass(frozen=True, slots=True)
class _Entry:
    """One mapping of the file with the words that locate it in error messages."""

    file: str
    where: str
    data: Mapping[str, object]

    @property
    def label(self) -> str:
        """``indicators[3] (gdp)`` — the position and, when known, the id."""
        entry_id = self.data.get("id")
        return f"{self.where} ({entry_id})" if isinstance(entry_id, str) else self.where

    def error(self, message: str) -> PlanFileError:
        """An error located at this entry."""
        return PlanFileError(f"{self.file}: {self.label}: {message}")

    def raw(self, field: str, *, required: bool = True) -> object:
        """A field's raw value; a missing required field is an error."""
        if field not in self.data or (required and self.data[field] is None):
            if required:
                raise self.error(f"缺少字段 {field}")
            return None
        return self.data[field]

    def text(self, field: str) -> str:
        """A required non-empty string."""
        value = self.raw(field)
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"字段 {field} 应为非空文字：{as_written(value)}")
        return value.strip()

    def optional_text(self, field: str) -> str | None:
        """An optional string (``None`` when absent or null)."""
        if self.raw(field, required=False) is None:
            return None
        return self.text(field)

    def decimal(self, field: str) -> Decimal:
        """A required decimal, written in the file as a string or an integer."""
        return _to_decimal(self, field, self.raw(field))

    def optional_decimal(self, field: str) -> Decimal | None:
        """An optional decimal."""
        value = self.raw(field, required=False)
        return None if value is None else _to_decimal(self, field, value)

    def optional_year(self, field: str) -> int | None:
        """An optional four-digit year."""
        value = self.raw(field, required=False)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not 1900 <= value <= 2100:
            raise self.error(f"字段 {field} 应为年份：{as_written(value)}")
        return value

    def boolean(self, field: str) -> bool:
        """A required true/false."""
        value = self.raw(field)
        if not isinstance(value, bool):
            raise self.error(f"字段 {field} 应为 true 或 false：{as_written(value)}")
        return value

    def strings(self, field: str) -> tuple[str, ...]:
        """A required non-empty list of non-empty strings."""
        value = self.raw(field)
        if not isinstance(value, list) or not value:
            raise self.error(f"字段 {field} 应为非空列表")
        for item in value:
            if not isinstance(item, str) or not item.strip():
                raise self.error(f"字段 {field} 的条目应为非空文字：{as_written(item)}")
        return tuple(item.strip() for item in value)

    def child(self, field: str, *, required: bool = True) -> _Entry | None:
        """A nested mapping as an entry of its own (``None`` when optional and absent)."""
        value = self.raw(field, required=required)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.error(f"字段 {field} 应为映射")
        where = field if self.where == _ROOT else f"{self.label}.{field}"
        return _Entry(self.file, where, value)


def _to_decimal(entry: _Entry, field: str, value: object) -> Decimal:
    """A decimal from a string or an integer; floats are refused (they lose digits)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise entry.error(f"字段 {field} 应写为数字字符串：{as_written(value)}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise entry.error(f"字段 {field} 不是有效的数值：{as_written(value)}") from None
    if not number.is_finite():
        raise entry.error(f"字段 {field} 不是有效的数值：{as_written(value)}")
    return number


def _to_date(entry: _Entry, field: str) -> dt.date | None:
    """An optional date, as YAML reads ``2016-01-01`` or as an ISO string."""
    value = entry.raw(field, required=False)
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        raise entry.error(f"字段 {field} 应为日期而非时间：{as_written(value)}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise entry.error(f"字段 {field} 不是有效的日期（YYYY-MM-DD）：{as_written(value)}")


def _period(entry: _Entry, field: str, *, required: bool) -> Period | None:
    """A ``{from, to}`` mapping; the start may not come after the end."""
    child = entry.child(field, required=required)
    if child is None:
        return None
    period = Period(_to_date(child, "from"), _to_date(child, "to"))
    if period.start and period.end and period.start > period.end:
        raise child.error(f"起始日期晚于截止日期：{period.describe()}")
    return period


class _Cites:
    """Checks citations against the source text."""

    def __init__(self, source: SourceText) -> None:
        self.source = source

    def of(self, entry: _Entry) -> tuple[str, ...]:
        """The entry's ``cite`` list, each quotation found in the text."""
        quotes = entry.strings("cite")
        for quote in quotes:
            if self.source.find(quote) is None:
                raise entry.error(f"引文未在原文中找到：{quote}")
        return quotes


def _document(entry: _Entry, cites: _Cites) -> PlanDocument:
    period = _period(entry, "period", required=True)
    assert period is not None  # required=True never yields None
    return PlanDocument(
        id=entry.text("id"),
        title=entry.text("title"),
        number=entry.optional_text("number"),
        issuer=entry.text("issuer"),
        source=entry.text("source"),
        issued=_to_date(entry, "issued"),
        period=period,
        jurisdiction=entry.text("jurisdiction"),
        cite=cites.of(entry),
    )


def _indicator(entry: _Entry, cites: _Cites) -> Indicator:
    indicator = Indicator(
        id=entry.text("id"),
        category=entry.text("category"),
        name=entry.text("name"),
        unit=entry.optional_text("unit"),
        target_2020=entry.optional_decimal("target_2020"),
        target_text=entry.optional_text("target_text"),
        baseline_2015=entry.optional_decimal("baseline_2015"),
        baseline_text=entry.optional_text("baseline_text"),
        nature=entry.optional_text("nature"),
        nature_basis=entry.optional_text("nature_basis"),
        note=entry.optional_text("note"),
        cite=cites.of(entry),
    )
    if indicator.target_2020 is None and indicator.target_text is None:
        raise entry.error("缺少字段 target_2020（或 target_text）")
    if indicator.baseline_2015 is not None and indicator.baseline_text is not None:
        raise entry.error("字段 baseline_2015 与 baseline_text 只能填写其一")
    if indicator.nature not in (None, "预期性", "约束性"):
        raise entry.error(f"字段 nature 应为 预期性 或 约束性：{as_written(indicator.nature)}")
    if indicator.nature is not None and indicator.nature_basis is None:
        # The table prints no 属性 column: an attribute is always an interpretation.
        raise entry.error("字段 nature 须附 nature_basis（表中无属性栏，属性是按解释记载，须写明依据）")
    return indicator


def _industry(entry: _Entry, cites: _Cites) -> KeyIndustry:
    output = entry.child("output_target_2020")
    assert output is not None  # required child
    return KeyIndustry(
        id=entry.text("id"),
        name=entry.text("name"),
        output_target_2020=output.decimal("value"),
        output_unit=output.text("unit"),
        segments=entry.strings("segments"),
        parks=entry.strings("parks"),
        cite=cites.of(entry),
    )


def _annexed_policy(entry: _Entry, cites: _Cites) -> AnnexedPolicy:
    return AnnexedPolicy(
        id=entry.text("id"),
        title=entry.text("title"),
        key_points=entry.text("key_points"),
        period=_period(entry, "period", required=False),
        encoded=entry.boolean("encoded"),
        cite=cites.of(entry),
    )


def _year_value(entry: _Entry, field: str) -> YearValue | None:
    child = entry.child(field, required=False)
    if child is None:
        return None
    year = child.optional_year("year")
    if year is None:
        raise child.error("缺少字段 year")
    return YearValue(year, child.decimal("value"))


def _target(entry: _Entry, cites: _Cites) -> PlanTarget:
    target = PlanTarget(
        id=entry.text("id"),
        group=entry.text("group"),
        name=entry.text("name"),
        kind=entry.text("kind"),
        year=entry.optional_year("year"),
        period=_period(entry, "period", required=False),
        value=entry.optional_decimal("value"),
        value_max=entry.optional_decimal("value_max"),
        unit=entry.optional_text("unit"),
        qualifier=entry.optional_text("qualifier"),
        printed=entry.optional_text("printed"),
        compared_with=_year_value(entry, "compared_with"),
        note=entry.optional_text("note"),
        cite=cites.of(entry),
    )
    if target.kind not in _TARGET_KINDS:
        raise entry.error(f"字段 kind 应为 target 或 fact：{as_written(target.kind)}")
    if target.value is None and target.printed is None:
        raise entry.error("缺少字段 value（或 printed）")
    if target.year is not None and target.period is not None:
        raise entry.error("字段 year 与 period 只能填写其一")
    return target


def _section(root: _Entry, field: str, build: Callable[[_Entry, _Cites], T], cites: _Cites) -> tuple[T, ...]:
    """Build every entry of a list section; ids must be unique within it."""
    items = root.raw(field)
    if not isinstance(items, list):
        raise root.error(f"字段 {field} 应为列表")
    built: list[T] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        where = f"{field}[{index}]"
        if not isinstance(item, dict):
            raise PlanFileError(f"{root.file}: {where}: 条目应为映射")
        entry = _Entry(root.file, where, item)
        entry_id = entry.text("id")
        if entry_id in seen:
            raise entry.error(f"id 重复：{entry_id}")
        seen.add(entry_id)
        built.append(build(entry, cites))
    return tuple(built)


def _read_yaml(path: Path) -> Mapping[str, object]:
    """The file's top-level mapping."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PlanFileError(f"{path.name}: 无法读取：{exc}") from exc
    if not isinstance(data, dict):
        raise PlanFileError(f"{path.name}: 顶层应为映射")
    return data


def _source_text(document: _Entry, texts_dir: Path) -> SourceText:
    """The source text named by ``document.source``, looked up by file name."""
    name = Path(document.text("source")).name
    try:
        text = (texts_dir / name).read_text(encoding="utf-8")
    except OSError as exc:
        raise document.error(f"原文无法读取：{texts_dir / name}（{exc.strerror}）") from exc
    return SourceText(name, text)


def load_plan(path: Path, texts_dir: Path) -> Plan:
    """Read a plan file, check every citation against its source text, build the plan."""
    root = _Entry(path.name, _ROOT, _read_yaml(path))
    document_entry = root.child("document")
    assert document_entry is not None  # required child
    cites = _Cites(_source_text(document_entry, texts_dir))
    return Plan(
        document=_document(document_entry, cites),
        indicators=_section(root, "indicators", _indicator, cites),
        industries=_section(root, "industries", _industry, cites),
        annexed_policies=_section(root, "annexed_policies", _annexed_policy, cites),
        other_targets=_section(root, "other_targets", _target, cites),
    )
