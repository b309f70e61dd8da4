"""The calculator form, built from the fact catalogue, and its round trip.

Form field names: ``ent.<field>`` for the enterprise, ``e<i>.<field>`` (with
``e<i>.kind``, ``e<i>.id``, ``e<i>.date``) for the i-th event row,
``q<i>.{title,level,since,until}`` for the i-th qualification held (已获资质),
``p<i>.{amount,year,level,document,event,benefit,key}`` for the i-th award
already received (已获奖补, amount in 万元), ``as_of``, and ``extra`` (JSON of
anything else a scenario holds that the form does not edit), so nothing of a
saved scenario is lost.

Money is entered in 万元 and converted exactly with :class:`~decimal.Decimal`
to a 元 string (``80`` → ``"800000元"``); problems reported by the engine
(``ScenarioError.problems[].where``) are mapped back to the form field.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from ..core.facts import Catalogue, FieldSpec, Problem
from ..core.money import MoneyError, parse_money
from ..core.text import brief

__all__ = [
    "FormState",
    "fen_to_wan",
    "form_to_raw",
    "problem_field",
    "raw_to_form",
    "wan_to_yuan",
]

_WAN = Decimal(10_000)
_EVENT_KEY = re.compile(r"^e(\d+)\.(.+)$")
_ROW_KEY = re.compile(r"^([qp])(\d+)\.(.+)$")
QUAL_FIELDS = ("title", "level", "since", "until")
PRIOR_FIELDS = ("amount", "year", "level", "document", "event", "benefit", "key")
PRIOR_LEVELS = {"national": "国家级", "province": "省级", "city": "市级", "district": "区级"}
_EVENT_WHERE = re.compile(r"^events\[(\d+)\](?:（[^）]*）)?(?:\.(.+))?$")


_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，", "0123456789.,")
_PLAIN_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?|\.[0-9]+")
_MAX_WAN_DIGITS = 12  # 10^12 万元 = 10^16 元: more is a slip of the unit, not a project


def wan_to_yuan(text: str) -> str:
    """An amount typed in 万元 as an exact 元 string.

    >>> wan_to_yuan("80")
    '800000元'
    >>> wan_to_yuan("0.123456")
    '1234.56元'
    >>> wan_to_yuan("1,200.5")
    '12005000元'
    >>> wan_to_yuan("３００．５")
    '3005000元'
    >>> wan_to_yuan("1e20")
    Traceback (most recent call last):
    ...
    ValueError: “1e20”不是数字；请以万元为单位填写数字，如80或12.5
    """
    cleaned = text.strip().translate(_FULL_WIDTH).replace(",", "").removesuffix("万元").removesuffix("万").strip()
    if cleaned.startswith("-") and _PLAIN_NUMBER.fullmatch(cleaned[1:]):
        raise ValueError("金额不能为负数")
    # digits and a decimal point only, as an officer types them (full-width ones too): not 1e20,
    # 1_000 or other digits Python's Decimal would also read
    if not _PLAIN_NUMBER.fullmatch(cleaned):
        raise ValueError(f"“{text}”不是数字；请以万元为单位填写数字，如80或12.5")
    if len(cleaned.partition(".")[0].lstrip("0")) > _MAX_WAN_DIGITS:
        raise ValueError(f"“{text}”万元过大；请核对单位（以万元填写，如80表示80万元）")
    wan = Decimal(cleaned)
    yuan = wan * _WAN
    cents = yuan.quantize(Decimal("0.01"))
    if cents != yuan:
        raise ValueError("金额精确到分：以万元填写时最多保留6位小数")
    shown = f"{cents:f}"
    if "." in shown:
        shown = shown.rstrip("0").rstrip(".")
    return f"{shown}元"


def fen_to_wan(fen: int) -> str:
    """Integer fen as a plain 万元 number (exact, no exponent).

    >>> fen_to_wan(80_000_000)
    '80'
    >>> fen_to_wan(123_456)
    '0.123456'
    """
    text = f"{Decimal(fen) / Decimal(1_000_000):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _is_wan(spec: FieldSpec) -> bool:
    return spec.type == "money"


@dataclass
class FormState:
    """What the form shows: values by field name, event rows, errors beside fields."""

    values: dict[str, Any] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)  # kinds, row i+1
    quals: int = 0  # qualification rows q1…qN
    priors: int = 0  # prior-award rows p1…pN
    errors: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    extra: str = ""

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def _get(form: Mapping[str, Any], key: str) -> Any:
    value = form.get(key)
    return value


def _convert(spec: FieldSpec, value: Any, name: str, state: FormState) -> Any:
    """A submitted value as the scenario value, or ``None`` when empty or wrong."""
    if spec.type == "enum_list":
        items = [str(v).strip() for v in (value or []) if str(v).strip()]
        return items or None
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    if _is_wan(spec):
        try:
            return wan_to_yuan(text)
        except ValueError as exc:
            state.error(name, str(exc))
            return None
    if spec.type == "bool":
        return {"true": True, "false": False}.get(text, text)
    if spec.type == "rate":
        return text if text.endswith(("%", "％")) else f"{text}%"
    return text


def form_to_raw(form: Mapping[str, Any], catalogue: Catalogue) -> tuple[dict[str, Any], FormState]:
    """The raw scenario a submitted form stands for, and the form state to show again.

    ``form`` maps names to a string, or to a list of strings for multi-valued fields.
    """
    state = FormState()
    enterprise: dict[str, Any] = {}
    for name, spec in catalogue.enterprise.items():
        key = f"ent.{name}"
        value = _get(form, key)
        state.values[key] = value if value is not None else ([] if spec.type == "enum_list" else "")
        converted = _convert(spec, value, key, state)
        if converted is not None:
            enterprise[name] = converted
    rows = sorted({int(m.group(1)) for k in form if (m := _EVENT_KEY.match(k)) and m.group(2) == "kind"})
    events: list[dict[str, Any]] = []
    for old in rows:
        kind_name = str(_get(form, f"e{old}.kind") or "").strip()
        kind = catalogue.events.get(kind_name)
        i = len(events) + 1
        state.events.append(kind_name)
        event: dict[str, Any] = {"kind": kind_name}
        for common in ("id", "date"):
            value = str(_get(form, f"e{old}.{common}") or "").strip()
            state.values[f"e{i}.{common}"] = value
            if value:
                event[common] = value
        for name, spec in (kind.fields if kind else {}).items():
            value = _get(form, f"e{old}.{name}")
            key = f"e{i}.{name}"
            state.values[key] = value if value is not None else ([] if spec.type == "enum_list" else "")
            converted = _convert(spec, value, key, state)
            if converted is not None:
                event[name] = converted
        events.append(event)
    raw: dict[str, Any] = {}
    as_of = str(_get(form, "as_of") or "").strip()
    state.values["as_of"] = as_of
    if as_of:
        raw["as_of"] = as_of
    extra_text = str(_get(form, "extra") or "").strip()
    state.extra = extra_text
    extra: dict[str, Any] = {}
    if extra_text:
        try:
            loaded = json.loads(extra_text)
        except json.JSONDecodeError:
            loaded = None
        if isinstance(loaded, dict):
            extra = loaded
        else:
            state.general.append("附加信息（已获资质、已获奖补）格式错误，已忽略")
    quals = _qual_rows(form, state)
    if quals:
        enterprise["qualifications"] = quals
    priors = _prior_rows(form, state)
    raw["enterprise"] = enterprise
    raw["events"] = events
    if priors:
        raw["prior_awards"] = priors
    raw.update({k: v for k, v in extra.items() if k not in raw and k not in ("qualifications", "prior_awards")})
    return raw, state


def _rows(form: Mapping[str, Any], prefix: str) -> list[int]:
    """Row numbers present in the form for ``q`` or ``p`` rows, in order."""
    return sorted({int(m.group(2)) for k in form if (m := _ROW_KEY.match(k)) and m.group(1) == prefix})


def _text(form: Mapping[str, Any], key: str) -> str:
    value = form.get(key)
    return "" if value is None else str(value).strip()


def _qual_rows(form: Mapping[str, Any], state: FormState) -> list[dict[str, Any]]:
    rows = [{f: _text(form, f"q{old}.{f}") for f in QUAL_FIELDS} for old in _rows(form, "q")]
    filled = [r for r in rows if any(r.values())]
    # filled rows first, numbered as in the scenario (so engine problems land on them), then empty ones
    for row in filled + [r for r in rows if not any(r.values())]:
        state.quals += 1
        for f, v in row.items():
            state.values[f"q{state.quals}.{f}"] = v
    return [{k: v for k, v in row.items() if v or k in ("title", "since")} for row in filled]


def _prior_rows(form: Mapping[str, Any], state: FormState) -> list[dict[str, Any]]:
    rows = [{f: _text(form, f"p{old}.{f}") for f in PRIOR_FIELDS} for old in _rows(form, "p")]
    filled = [r for r in rows if any(r[f] for f in ("amount", "year", "document", "event", "benefit"))]
    for row in filled + [r for r in rows if r not in filled]:
        state.priors += 1
        for f, v in row.items():
            state.values[f"p{state.priors}.{f}"] = v
    out: list[dict[str, Any]] = []
    for i, row in enumerate(filled, start=1):
        award: dict[str, Any] = {}
        if row["amount"]:
            try:
                award["amount"] = wan_to_yuan(row["amount"])
            except ValueError as exc:
                state.error(f"p{i}.amount", str(exc))
        else:
            state.error(f"p{i}.amount", "请填写已获奖补金额（万元）")
        if row["year"]:
            award["year"] = int(row["year"]) if row["year"].isdigit() else row["year"]
        award["level"] = row["level"]
        for f in ("document", "event", "benefit", "key"):
            if row[f]:
                award[f] = row[f]
        out.append(award)
    return out


def _shown(spec: FieldSpec, value: Any) -> Any:
    if value is None:
        return ""
    if spec.type == "enum_list":
        if isinstance(value, (list, tuple)):
            return [str(v) for v in value]
        return [v.strip() for v in str(value).replace("，", ",").replace("、", ",").split(",") if v.strip()]
    if _is_wan(spec):
        try:
            return fen_to_wan(parse_money(value, spec.unit or "元"))
        except MoneyError:
            return str(value)
    if spec.type == "bool":
        if value in (True, "是", "true", "True", 1):
            return "true"
        if value in (False, "否", "false", "False", 0):
            return "false"
        return str(value)
    if spec.type == "rate" and not isinstance(value, str):
        try:
            return f"{Decimal(str(value)) * 100:f}".rstrip("0").rstrip(".") + "%"
        except InvalidOperation:
            return str(value)
    return str(value)


def _date_shown(value: Any) -> str:
    """A date as the form's date fields take it (YYYY-MM-DD): 20250630, which the engine reads,
    was emptied by the browser, and pressing 测算 again said the date was missing."""
    if value is None:
        return ""
    text = str(value).strip()
    if not isinstance(value, str):  # a date object, or 20250630 unquoted (refused by the engine): as given
        return text
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        return text  # shown as given, and refused with its reason when evaluated


def raw_to_form(raw: Any, catalogue: Catalogue) -> FormState:
    """The form showing a raw scenario (a saved one, or an uploaded YAML)."""
    state = FormState()
    if not isinstance(raw, Mapping):
        state.general.append("情景应为包含enterprise与events的映射")
        return state
    ent = raw.get("enterprise")
    ent = ent if isinstance(ent, Mapping) else {}
    for name, spec in catalogue.enterprise.items():
        state.values[f"ent.{name}"] = _shown(spec, ent.get(name))
    events = raw.get("events")
    for i, item in enumerate(events if isinstance(events, list) else [], start=1):
        item = item if isinstance(item, Mapping) else {}
        kind_name = str(item.get("kind", ""))
        state.events.append(kind_name)
        state.values[f"e{i}.id"] = "" if item.get("id") is None else str(item.get("id"))
        state.values[f"e{i}.date"] = _date_shown(item.get("date"))
        kind = catalogue.events.get(kind_name)
        for name, spec in (kind.fields if kind else {}).items():
            state.values[f"e{i}.{name}"] = _shown(spec, item.get(name))
    state.values["as_of"] = _date_shown(raw.get("as_of"))
    extra: dict[str, Any] = {k: v for k, v in raw.items() if k not in ("enterprise", "events", "as_of", "prior_awards")}
    quals = ent.get("qualifications")
    if isinstance(quals, list) and all(isinstance(q, Mapping) for q in quals):
        for q in quals:
            state.quals += 1
            for f in QUAL_FIELDS:
                value = q.get(f)
                state.values[f"q{state.quals}.{f}"] = (
                    _date_shown(value) if f in ("since", "until") else "" if value is None else str(value)
                )
    elif quals:
        extra["qualifications"] = quals
    priors = raw.get("prior_awards")
    if isinstance(priors, list) and all(isinstance(p, Mapping) for p in priors):
        for p in priors:
            state.priors += 1
            for f in PRIOR_FIELDS:
                value = p.get(f)
                if f == "amount" and value is not None:
                    with contextlib.suppress(MoneyError):
                        value = fen_to_wan(parse_money(value))
                state.values[f"p{state.priors}.{f}"] = "" if value is None else str(value)
    elif priors:
        extra["prior_awards"] = priors
    state.extra = json.dumps(extra, ensure_ascii=False, default=str) if extra else ""
    return state


def problem_field(where: str) -> str | None:
    """The form field a problem's ``where`` points at, or ``None`` for the form as a whole.

    >>> problem_field("enterprise.region")
    'ent.region'
    >>> problem_field("events[2]（采购）.amount")
    'e2.amount'
    >>> problem_field("events[1].date")
    'e1.date'
    >>> problem_field("enterprise.qualifications[1].title")
    'q1.title'
    >>> problem_field("prior_awards[2].level")
    'p2.level'
    """
    m = re.match(r"^enterprise\.qualifications\[(\d+)\](?:\.(\w+))?$", where)
    if m:
        return f"q{m.group(1)}.{m.group(2) or 'title'}"
    m = re.match(r"^prior_awards\[(\d+)\](?:\.(\w+))?$", where)
    if m:
        return f"p{m.group(1)}.{m.group(2) or 'amount'}"
    if where.startswith("enterprise.qualifications") or where.startswith("prior_awards"):
        return None
    if where.startswith("enterprise."):
        return "ent." + where.removeprefix("enterprise.")
    if where == "as_of":
        return "as_of"
    m = _EVENT_WHERE.match(where)
    if m:
        return f"e{m.group(1)}.{m.group(2) or 'kind'}"
    return None


def add_problems(state: FormState, problems: tuple[Problem, ...] | list[Problem]) -> None:
    """Put each engine problem beside its field (or at the top when it has none)."""
    for p in problems:
        name = problem_field(p.where)
        blank = p.value is None or p.value == ""
        shown = "（未填写）" if blank else f"“{brief(str(p.value))}”"
        if name is not None and name in state.errors:
            continue  # the form already said what is wrong with this field
        if name is not None and (name in state.values or name.endswith(".kind")):
            state.error(name, p.expected if blank else f"{shown}：{p.expected}")
        else:
            state.general.append(p.message())
