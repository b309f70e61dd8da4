"""The catalogue of facts (事实目录): every enterprise field and event kind the
rules use, with a Chinese label, a unit and validation — and the validation of
scenarios against it.

The catalogue itself is data (``policies/facts/*.yaml``); this module turns the
parsed mapping into :class:`Catalogue` and a raw scenario mapping into a typed
:class:`~huiqi.core.scenario.Scenario`, collecting every problem with where it
is, what was given and what is expected, in Chinese.
"""

from __future__ import annotations

import contextlib
import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from typing import Any, TypeGuard, cast

from .credit_code import validate_credit_code
from .money import MoneyError, decimal_text, format_wan, parse_money, parse_number, parse_rate
from .regions import REGIONS, TOWNS
from .scenario import Enterprise, Event, PriorAward, Qualification, Scenario, Value
from .text import brief, date_reason, flow

__all__ = [
    "NO",
    "TYPES",
    "YES",
    "Catalogue",
    "EventKind",
    "FieldSpec",
    "Problem",
    "ScenarioError",
    "default_text",
    "parse_scenario",
    "unknown_benefit",
    "unknown_event",
]

TYPES = {
    "money": "金额",
    "number": "数值",
    "integer": "整数",
    "rate": "比例",
    "bool": "是/否",
    "enum": "选项",
    "enum_list": "多选",
    "text": "文本",
    "date": "日期",
    "region": "行政区划代码",
    "town": "镇（街道、板块）",
    "credit_code": "统一社会信用代码",
}

LEVEL_VALUES = ("national", "province", "city", "district")
# each level as a register, a scenario and the policy pages write it in Chinese
LEVEL_NAMES = {"national": "国家级", "province": "省级", "city": "市级", "district": "区级"}
_LEVEL_OF_NAME = {name: level for level, name in LEVEL_NAMES.items()}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One fact: its name, Chinese label, type, unit and allowed values."""

    name: str
    label: str
    type: str
    unit: str | None = None
    values: tuple[str, ...] = ()
    required: bool = False
    default: Any = None
    help: str = ""
    minimum: Fraction | None = None
    maximum: Fraction | None = None
    aliases: tuple[str, ...] = ()  # earlier labels, still read as this field's column header

    def expected(self) -> str:
        """What a value of this field should look like, in Chinese."""
        if self.type == "money":
            return f"金额，如“50万元”或以{self.unit or '元'}计的数字，不能为负数"
        if self.type in ("enum", "enum_list"):
            shown = "、".join(self.values[:12]) + ("等" if len(self.values) > 12 else "")
            return f"{TYPES[self.type]}之一：{shown}"
        if self.type == "number":
            return f"非负数值（单位：{self.unit}）" if self.unit else "非负数值"
        if self.type == "rate":
            return "比例，如“55%”或0.55"
        if self.type == "date":
            return "日期，格式YYYY-MM-DD"
        if self.type == "bool":
            return "是/否（也可写Y/N、√/×、有/无、true/false、1/0）"
        if self.type == "region":
            return "6位行政区划代码，如320506（吴中区）"
        return TYPES.get(self.type, self.type)


@dataclass(frozen=True, slots=True)
class EventKind:
    """A kind of event (采购, 投资项目, 获评认定 …) and its fields."""

    name: str
    label: str
    fields: dict[str, FieldSpec]
    help: str = ""


@dataclass(slots=True)
class Catalogue:
    """Every fact the rules may read."""

    enterprise: dict[str, FieldSpec]
    events: dict[str, EventKind]
    qualification_titles: tuple[str, ...] = ()
    levels: tuple[str, ...] = field(default=LEVEL_VALUES)
    # the ids an award received may name as its benefit (the library's benefits and once-per-key
    # groups) → how each is cited (《吴中2025》第8条“企业技术改造项目补助”); set by the loader
    # with the library, empty for a catalogue read alone (then the id is not checked)
    benefits: dict[str, str] = field(default_factory=dict)
    # Worked out once from this catalogue and kept with it; not given to ``__init__``, so a
    # copy (``dataclasses.replace``) with other fields starts without them.
    _resolved: dict[tuple[str, str], FieldSpec | None] = field(default_factory=dict, init=False, repr=False, compare=False)
    # a comparison's words, per condition and event kind (see ``conditions``)
    memo: dict[tuple[int, str], tuple[Any, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Catalogue:
        """Build from the merged ``policies/facts/*.yaml`` (already checked for shape)."""
        enterprise = {k: _spec(k, v) for k, v in data["enterprise"].items()}
        events = {
            name: EventKind(
                name=name,
                label=str(ev["label"]),
                help=str(ev.get("help", "")),
                fields={k: _spec(k, v) for k, v in (ev.get("fields") or {}).items()},
            )
            for name, ev in data["events"].items()
        }
        titles = [str(t) for t in data.get("qualification_titles", ())]
        recognition = events.get("recognition")
        if recognition is not None and "title" in recognition.fields:
            titles.extend(t for t in recognition.fields["title"].values if t not in titles)
        return cls(enterprise=enterprise, events=events, qualification_titles=tuple(titles))

    def field(self, event_kind: str, path: str) -> FieldSpec | None:
        """The spec of ``path`` as read by a benefit on ``event_kind`` (looked up once, then remembered)."""
        key = (event_kind, path)
        try:
            return self._resolved[key]
        except KeyError:
            spec = self._resolved[key] = self._field(event_kind, path)
            return spec

    def _field(self, event_kind: str, path: str) -> FieldSpec | None:
        if path.startswith("enterprise."):
            return self.enterprise.get(path.removeprefix("enterprise."))
        kind = self.events.get(event_kind)
        if kind is None:
            return None
        return kind.fields.get(path)


def _spec(name: str, raw: Mapping[str, Any]) -> FieldSpec:
    def frac(v: Any) -> Fraction | None:
        return None if v is None else parse_number(v)

    return FieldSpec(
        name=name,
        label=str(raw["label"]),
        type=str(raw["type"]),
        unit=raw.get("unit"),
        values=tuple(str(v) for v in raw.get("values", ())),
        required=bool(raw.get("required", False)),
        default=raw.get("default"),
        help=str(raw.get("help", "")),
        minimum=frac(raw.get("min")),
        maximum=frac(raw.get("max")),
        aliases=tuple(str(a) for a in raw.get("aliases", ())),
    )


# --- validation ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where, which field, the value, what is expected."""

    where: str
    label: str
    value: Any  # any raw input (mypyc cannot compile a dataclass field annotated "object" under postponed annotations)
    expected: str

    def value_text(self) -> str | None:
        """The value as its author wrote it (``true``, ``[火星]``, not ``True``, ``['火星']``); None when missing."""
        if self.value is None:
            return None
        return brief(self.value if isinstance(self.value, str) else flow(self.value))

    def message(self) -> str:
        text = self.value_text()
        shown = "（未填写）" if text is None else f"“{text}”"
        label = f"（{self.label}）" if self.label else ""
        return f"{self.where}{label}：{shown} —— {self.expected}"


class ScenarioError(ValueError):
    """A scenario that does not fit the catalogue; carries every problem found."""

    def __init__(self, problems: Sequence[Problem], source: str = "") -> None:
        self.problems = tuple(problems)
        self.source = source
        head = f"{source}：" if source else ""
        lines = "\n".join(f"  - {p.message()}" for p in self.problems)
        super().__init__(f"{head}输入有{len(self.problems)}处问题：\n{lines}")


def _is_mapping(value: object) -> TypeGuard[Mapping[Any, Any]]:
    """``isinstance(value, Mapping)``, asking the cheap question first (an ABC check is slow)."""
    return isinstance(value, (dict, Mapping))  # dict first: answered without the ABC


def _date_need(value: object, usual: str) -> str:
    """``usual``, the expectation of a date that could not be read, unless the text names a day that does
    not exist (2025-13-01, 2025-02-29): then why."""
    reason = date_reason(value) if isinstance(value, str) else ""
    return f"日期无效{reason}；应为有效日期YYYY-MM-DD" if reason else usual


_RANK = {"district": 0, "city": 1, "province": 2}


def _region_hint(text: str) -> str:
    """The code of a region written by its name (武进区, 常州市武进区, 武进): the most local one it names."""
    named = [r for r in REGIONS.values() if text and (r.name in text or r.name[:-1] == text)]
    if not named:
        return ""
    best = min(named, key=lambda r: _RANK.get(r.level, 3))
    return f"（{best.name}的代码为{best.code}，请填写代码）"


def _to_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


# How a yes/no cell may be written: the words officers use in forms besides 是/否.
YES = ("是", "true", "True", "TRUE", "1", "Y", "y", "YES", "Yes", "yes", "√", "✓", "✔", "有")
NO = ("否", "false", "False", "FALSE", "0", "N", "n", "NO", "No", "no", "×", "✗", "✘", "无")


def convert(spec: FieldSpec, value: object, enterprise_region: str | None = None) -> Value:
    """Convert one raw value; ``ValueError`` with the expectation when it does not fit."""
    t = spec.type
    if t == "money":
        try:
            fen = parse_money(value, spec.unit or "元")
        except MoneyError as exc:
            raise ValueError(f"{exc}；应为{spec.expected()}") from None
        if fen < 0:
            raise ValueError(f"金额不能为负数；应为{spec.expected()}")
        return fen
    if t in ("number", "integer", "rate"):
        if isinstance(value, bool) or value is None:
            raise ValueError(f"应为{spec.expected()}")
        try:
            number = parse_rate(value) if t == "rate" else parse_number(value)
        except MoneyError:
            raise ValueError(f"应为{spec.expected()}") from None
        if isinstance(value, str) and t != "rate" and any(ch.isalpha() for ch in value):
            raise ValueError(f"单位不符，应为{spec.expected()}")
        if t == "integer" and number.denominator != 1:
            raise ValueError("应为整数")
        if number < 0:
            raise ValueError(f"不能为负数；应为{spec.expected()}")
        if spec.minimum is not None and number < spec.minimum:
            raise ValueError(f"不能小于{spec.minimum}")
        if spec.maximum is not None and number > spec.maximum:
            raise ValueError(f"不能大于{spec.maximum}")
        return int(number) if t == "integer" else number
    if t == "bool":
        if isinstance(value, bool):
            return value
        if value in YES or value == 1:
            return True
        if value in NO or value == 0:
            return False
        raise ValueError(f"应为{spec.expected()}")
    if t == "enum":
        text = str(value).strip()
        if text not in spec.values:
            raise ValueError(f"应为{spec.expected()}{_suggest(text, spec.values)}")
        return text
    if t == "enum_list":
        items = value if isinstance(value, (list, tuple)) else str(value).replace("，", ",").replace("、", ",").split(",")
        out = tuple(str(i).strip() for i in items if i is not None and str(i).strip())  # a null item: none, as ""
        for item in out:
            if item not in spec.values:
                raise ValueError(f"“{brief(item)}”不是可选项；应为{spec.expected()}{_suggest(item, spec.values)}")
        return out
    if t == "date":
        d = _to_date(value)
        if d is None:
            reason = date_reason(value) if isinstance(value, str) else ""
            raise ValueError(f"{'日期无效' + reason if reason else '不是有效日期'}；应为{spec.expected()}")
        return d
    if t == "region":
        code = str(value).strip()
        if code not in REGIONS:
            raise ValueError(f"未知的行政区划代码{_region_hint(code)}；应为{spec.expected()}")
        return code
    if t == "town":
        text = str(value).strip()
        towns = TOWNS.get(enterprise_region or "", ())
        if towns and text not in towns:
            raise ValueError(f"不是该区的镇（街道、板块）；可选：{'、'.join(towns)}{_suggest(text, towns)}")
        return text
    if t == "credit_code":
        code = str(value).strip().upper()
        wrong = validate_credit_code(code)
        if wrong:
            raise ValueError(f"统一社会信用代码{wrong}")
        return code
    text = str(value).strip()
    if not text:
        raise ValueError("不能为空")
    return text


# suggestions made, by (text, options): a register with one misspelt value in 10^5 rows asked difflib
# 10^5 times (≈0.6 ms each on 95 titles); kept for at most _SUGGESTED_MAX distinct texts
_SUGGESTED: dict[tuple[str, tuple[str, ...]], str] = {}
_SUGGESTED_MAX = 4096


def _suggest(text: str, options: Sequence[str]) -> str:
    key = (text, tuple(options))
    found = _SUGGESTED.get(key)
    if found is None:
        close = difflib.get_close_matches(text, list(options), n=1, cutoff=0.5)
        found = f"（是否为“{close[0]}”？）" if close else ""
        if len(_SUGGESTED) < _SUGGESTED_MAX:
            _SUGGESTED[key] = found
    return found


def default_text(spec: FieldSpec) -> str:
    """The value a blank of this field is read as, as a person writes it (是/否, 企业); '' when none."""
    if spec.default is None:
        return ""
    if isinstance(spec.default, bool):
        return "是" if spec.default else "否"
    return str(spec.default)


def _fields(
    raw: Mapping[str, Any],
    specs: Mapping[str, FieldSpec],
    where: str,
    skip: set[str],
    problems: list[Problem],
    region_code: str | None = None,
    defaulted: set[str] | None = None,
) -> dict[str, Value]:
    """The fields of ``raw`` converted; blanks read as their defaults, named in ``defaulted``."""
    out: dict[str, Value] = {}
    for key, value in raw.items():
        if key in skip:
            continue
        spec = specs.get(str(key))
        if spec is None:
            hint = _suggest(str(key), list(specs))
            known = "、".join(f"{k}（{s.label}）" for k, s in list(specs.items())[:15])
            problems.append(Problem(f"{where}.{key}", "", value, f"未知字段{hint}；可用字段：{known}"))
            continue
        if value is None or value == "":
            if spec.required:
                problems.append(Problem(f"{where}.{key}", spec.label, None, f"必填；应为{spec.expected()}"))
            continue
        try:
            out[spec.name] = convert(spec, value, region_code)
        except ValueError as exc:
            problems.append(Problem(f"{where}.{key}", spec.label, value, str(exc)))
    for name, spec, default in _finishing(specs):
        if name in out or name in skip:
            continue
        if spec.required and raw.get(name) in (None, ""):
            if not any(p.where == f"{where}.{name}" for p in problems):
                problems.append(Problem(f"{where}.{name}", spec.label, None, f"必填；应为{spec.expected()}"))
        elif default is _BY_REGION:
            with contextlib.suppress(ValueError):
                out[name] = convert(spec, spec.default, region_code)
        elif default is not _NO_DEFAULT:
            out[name] = cast(Value, default)
            if defaulted is not None:
                defaulted.add(name)
    return out


_NO_DEFAULT = object()  # no default, or one that does not convert
_BY_REGION = object()  # a default whose conversion depends on the region (a town)
# Per field mapping (the catalogue's, which live as long as it): the fields that are
# required or have a default, with the default already converted.
_FINISHING: dict[int, tuple[Mapping[str, FieldSpec], tuple[tuple[str, FieldSpec, object], ...]]] = {}


def _finishing(specs: Mapping[str, FieldSpec]) -> tuple[tuple[str, FieldSpec, object], ...]:
    hit = _FINISHING.get(id(specs))
    if hit is not None and hit[0] is specs:
        return hit[1]
    rows: list[tuple[str, FieldSpec, object]] = []
    for name, spec in specs.items():
        if not spec.required and spec.default is None:
            continue
        default: object = _NO_DEFAULT
        if spec.default is not None:
            if spec.type == "town":
                default = _BY_REGION
            else:
                with contextlib.suppress(ValueError):
                    default = convert(spec, spec.default)
        rows.append((name, spec, default))
    if len(_FINISHING) > 10_000:  # catalogues loaded and dropped again and again (tests)
        _FINISHING.clear()
    _FINISHING[id(specs)] = (specs, tuple(rows))
    return tuple(rows)


_ENTERPRISE_CORE = ("credit_code", "name", "kind", "region", "town")


def parse_scenario(raw: object, catalogue: Catalogue, source: str = "") -> Scenario:
    """Validate and type a raw scenario mapping; :class:`ScenarioError` lists every problem."""
    problems: list[Problem] = []
    if not _is_mapping(raw):
        raise ScenarioError([Problem("情景", "", raw, "应为包含enterprise与events的映射")], source)
    unknown = set(raw) - {"enterprise", "events", "prior_awards", "as_of", "name", "description"}
    for key in sorted(unknown, key=str):
        problems.append(Problem(str(key), "", raw[key], "未知的顶层字段；可用：enterprise、events、prior_awards、as_of"))
    ent_raw = raw.get("enterprise")
    if not _is_mapping(ent_raw):
        problems.append(Problem("enterprise", "企业", ent_raw, "必填，应为企业信息的映射"))
        ent_raw = {}
    region_code = str(ent_raw.get("region", "")).strip() or None
    quals_raw = ent_raw.get("qualifications") or []
    ent_defaulted: set[str] = set()
    facts = _fields(ent_raw, catalogue.enterprise, "enterprise", {"qualifications"}, problems, region_code, ent_defaulted)
    quals = _qualifications(quals_raw, catalogue, problems)

    events: list[Event] = []
    ev_raw = raw.get("events") or []
    if not isinstance(ev_raw, list):
        problems.append(Problem("events", "事项", ev_raw, "应为事项列表"))
        ev_raw = []
    seen_ids: set[str] = set()
    for i, item in enumerate(ev_raw, start=1):
        events.extend(_event(i, item, catalogue, problems, seen_ids))
    # every event's id as written, even of an event with another problem (reported there already)
    written = [str(item.get("id") or "").strip() or f"E{i}" for i, item in enumerate(ev_raw, start=1) if _is_mapping(item)]
    event_ids = None if raw.get("events") is not None and not isinstance(raw.get("events"), list) else written

    priors = _prior_awards(raw.get("prior_awards") or [], problems, event_ids, catalogue.benefits)
    as_of = None
    if raw.get("as_of") is not None:
        as_of = _to_date(raw.get("as_of"))
        if as_of is None:
            problems.append(
                Problem("as_of", "测算基准日", raw.get("as_of"), _date_need(raw.get("as_of"), "不是有效日期；应为YYYY-MM-DD"))
            )
    if problems:
        raise ScenarioError(problems, source)
    enterprise = Enterprise(
        credit_code=str(facts.get("credit_code", "")),
        name=str(facts.get("name", "")),
        kind=str(facts.get("kind", "企业")),
        region=str(facts.get("region", "")),
        town=str(facts["town"]) if "town" in facts else None,
        facts={k: v for k, v in facts.items() if k not in _ENTERPRISE_CORE},
        qualifications=quals,
        defaulted=frozenset(ent_defaulted),
    )
    return Scenario(enterprise=enterprise, events=tuple(events), prior_awards=priors, as_of=as_of)


_QUALIFICATION_KEYS = frozenset({"title", "level", "since", "until"})


def _qualifications(raw: object, catalogue: Catalogue, problems: list[Problem]) -> tuple[Qualification, ...]:
    if not isinstance(raw, list):
        problems.append(Problem("enterprise.qualifications", "已获资质", raw, "应为列表"))
        return ()
    out = []
    for i, q in enumerate(raw, start=1):
        where = f"enterprise.qualifications[{i}]"
        if not _is_mapping(q):
            problems.append(Problem(where, "已获资质", q, "应为{title, level, since}"))
            continue
        unknown = [k for k in q if k not in _QUALIFICATION_KEYS]
        for key in unknown:  # a field no rule reads would be ignored without a word
            hint = "；资质不记等级：此前获评的等级（如先进级、三星）请记为一个获评认定事项" if key == "grade" else ""
            problems.append(Problem(f"{where}.{key}", "已获资质", q[key], f"未知的字段，可用：title、level、since、until{hint}"))
        if unknown:
            continue
        title = str(q.get("title", "")).strip()
        if catalogue.qualification_titles and title not in catalogue.qualification_titles:
            problems.append(
                Problem(
                    f"{where}.title",
                    "资质名称",
                    title or None,
                    "未知的资质名称" + _suggest(title, catalogue.qualification_titles),
                )
            )
            continue
        since = _to_date(q.get("since"))
        if since is None:
            problems.append(
                Problem(f"{where}.since", "获得日期", q.get("since"), _date_need(q.get("since"), "应为日期YYYY-MM-DD"))
            )
            continue
        given = q.get("until")
        until = None
        if given is not None and str(given).strip() != "":
            until = _to_date(given)
            if until is None:  # an unreadable expiry (2024/12/31) was dropped: the title never expired
                problems.append(Problem(f"{where}.until", "有效期至", given, _date_need(given, "应为日期YYYY-MM-DD")))
                continue
            if until < since:
                problems.append(Problem(f"{where}.until", "有效期至", given, "有效期至早于获得日期"))
                continue
        # trimmed as a register's cell is: “省级 ” was no 省级, and the title counted as newly rated
        level = str(q.get("level") or "").strip() or None
        out.append(Qualification(title=title, since=since, level=level, until=until))
    return tuple(out)


def _event(i: int, item: object, catalogue: Catalogue, problems: list[Problem], seen: set[str]) -> list[Event]:
    where = f"events[{i}]"
    if not _is_mapping(item):
        problems.append(Problem(where, "事项", item, "应为事项的映射（含kind、date）"))
        return []
    kind_name = str(item.get("kind", "")).strip()
    kind = catalogue.events.get(kind_name)
    if kind is None:
        known = "、".join(f"{k}（{v.label}）" for k, v in catalogue.events.items())
        problems.append(
            Problem(
                f"{where}.kind",
                "事项类型",
                kind_name or None,
                f"未知的事项类型{_suggest(kind_name, list(catalogue.events))}；可用：{known}",
            )
        )
        return []
    # trimmed as a register's cell and a prior award's reference are: “ E1” matched no award for E1
    event_id = str(item.get("id") or "").strip() or f"E{i}"
    if event_id in seen:
        problems.append(Problem(f"{where}.id", "事项编号", event_id, "事项编号重复"))
    seen.add(event_id)
    when = _to_date(item.get("date"))
    if when is None:
        given = item.get("date")
        need = (
            "必填；应为有效日期YYYY-MM-DD"
            if given is None or str(given).strip() == ""
            else _date_need(given, "应为有效日期YYYY-MM-DD")
        )
        problems.append(Problem(f"{where}.date", "发生日期", given, need))
    defaulted: set[str] = set()
    facts = _fields(item, kind.fields, f"{where}（{kind.label}）", {"kind", "id", "date"}, problems, None, defaulted)
    if when is None:
        return []
    return [Event(id=event_id, kind=kind_name, date=when, facts=facts, defaulted=frozenset(defaulted))]


def _loose(text: str) -> str:
    """An id as compared for a suggestion: without case, width, spaces and quotes (“ａ２”, A2)."""
    return re.sub(r"[\s\"'“”‘’「」『』《》〈〉()\[\]【】]", "", unicodedata.normalize("NFKC", text)).casefold()


def unknown_event(value: str, ids: Sequence[str], whose: str = "本情景") -> str:
    """What is expected of an award received whose 事项编号 names no event of ``ids`` (the scenario's,
    or an enterprise's in a register): the id it likely means, differing only in case, width or
    surrounding characters (a2 for A2), else the ids there are. Left unchecked, the award was
    silently not matched to its project, and 就高不重复 paid in full what had been received already."""
    near = [i for i in ids if _loose(i) == _loose(value)]
    if near:
        hint = f"是否为“{near[0]}”？"
    elif ids:
        shown = "、".join(f"“{i}”" for i in ids[:8]) + ("等" if len(ids) > 8 else "")
        hint = f"{whose}的事项编号：{shown}；"
    else:
        hint = ""
    return f"{whose}没有该事项；{hint}为其他项目所获奖补请不填事项编号"


def unknown_benefit(value: str, benefits: Mapping[str, str]) -> str:
    """What is expected of an award received whose 奖补项编号 is no benefit (nor once-per-key group)
    of the library: the closest id with how it is cited, so that the user can confirm it. Left
    unchecked, the award counted in no yearly cap nor once-per-key limit of its benefit."""
    near = [b for b in benefits if _loose(b) == _loose(value)] or difflib.get_close_matches(
        value, list(benefits), n=1, cutoff=0.6
    )
    hint = f"；是否为“{near[0]}”（{benefits[near[0]]}）？" if near else "（见政策条款页或 huiqi policies 所列编号）；"
    return f"政策库中没有该奖补项{hint}未注明奖补项时请不填奖补项编号"


def _prior_awards(
    raw: object, problems: list[Problem], event_ids: Sequence[str] | None = None, benefits: Mapping[str, str] | None = None
) -> tuple[PriorAward, ...]:
    """``event_ids``: the scenario's events an award may name (None: not checked); ``benefits``: the
    ids it may name as its benefit (empty: not checked)."""
    if not isinstance(raw, list):
        problems.append(Problem("prior_awards", "已获奖补", raw, "应为列表"))
        return ()
    out = []
    for i, p in enumerate(raw, start=1):
        where = f"prior_awards[{i}]"
        if not _is_mapping(p):
            problems.append(Problem(where, "已获奖补", p, "应为映射"))
            continue
        try:
            fen = parse_money(p.get("amount"))
        except MoneyError as exc:
            problems.append(Problem(f"{where}.amount", "金额", p.get("amount"), str(exc)))
            continue
        if fen < 0:  # a negative award received raised the top-up above the text's ceiling
            problems.append(Problem(f"{where}.amount", "金额", p.get("amount"), "金额不能为负数"))
            continue
        level = str(p.get("level", "")).strip()
        level = _LEVEL_OF_NAME.get(level, level)  # 市级 as a register takes it
        if level not in LEVEL_VALUES:
            problems.append(
                Problem(
                    f"{where}.level",
                    "层级",
                    level or None,
                    "应为national、province、city、district（或国家级、省级、市级、区级）之一",
                )
            )
            continue
        year = p.get("year")
        # “2025” as the form and a register take it
        if isinstance(year, str) and year.strip().isascii() and year.strip().isdigit():
            year = int(year.strip())
        if not isinstance(year, int) or not 1990 <= year <= 2100:
            problems.append(Problem(f"{where}.year", "年度", year, "应为四位年份"))
            continue
        # a reference to nothing was silently no reference: the award reduced nothing (最高50万元, not 5万元)
        event = _trimmed(p.get("event"))
        benefit = _trimmed(p.get("benefit"))
        known = True
        if event is not None and event_ids is not None and event not in event_ids:
            problems.append(Problem(f"{where}.event", "事项编号", event, unknown_event(event, event_ids)))
            known = False
        if benefit is not None and benefits and benefit not in benefits:
            problems.append(Problem(f"{where}.benefit", "奖补项编号", benefit, unknown_benefit(benefit, benefits)))
            known = False
        if not known:
            continue
        out.append(
            PriorAward(
                amount_fen=fen,
                year=year,
                level=level,
                document=str(p.get("document", "")).strip(),
                benefit=benefit,
                event=event,
                key=_trimmed(p.get("key")),
            )
        )
    return tuple(out)


def _trimmed(value: object) -> str | None:
    """A reference of an award received (benefit, event, key) without surrounding spaces, as a
    register's cells are read: a key “ S1 ” matched no product S1 in a scenario, and did in a register."""
    text = "" if value is None else str(value).strip()
    return text or None


def describe_value(spec: FieldSpec | None, value: Value, apart: Fraction | None = None) -> str:
    """A value as a person reads it: money in 万元/元, rates in %, units shown.

    ``apart`` is a threshold the value is compared with: a fraction is then shown with as many
    places as it takes to stay on its own side of it (比例49.9999998%低于50%, not 50%低于50%).
    """
    if spec is not None and spec.type == "money" and isinstance(value, int) and not isinstance(value, bool):
        return format_wan(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Fraction):
        if spec is not None and spec.type == "rate":
            return f"{_dec(value * 100, None if apart is None else apart * 100)}%"
        unit = spec.unit if spec is not None and spec.unit else ""
        return f"{_dec(value, apart)}{unit}"
    if isinstance(value, tuple):
        return "、".join(value) or "（无）"
    return str(value)


def _dec(value: Fraction, apart: Fraction | None = None) -> str:
    """A fraction as a short decimal for display (six places at most), or with more places when
    six would round it onto or across ``apart`` (a threshold it is compared with): the value shown
    is then never the threshold, nor on the other side of it, unless it is the threshold.

    >>> _dec(Fraction(1, 8)), _dec(Fraction(-3, 2)), _dec(Fraction(1, 3)), _dec(Fraction(-1, 2_000_000))
    ('0.125', '-1.5', '0.333333', '0')
    >>> _dec(Fraction(300_000_000, 600_000_002) * 100, Fraction(50)), _dec(Fraction(50), Fraction(50))
    ('49.9999998', '50')
    """
    if value.denominator == 1:
        return str(value.numerator)
    scale = 1_000_000
    scaled = round(value * scale)
    if apart is not None and value != apart:
        # the side of ``apart`` the value is on, and the rounded value's: integers only (p/q against a/b)
        p, q, a, b = value.numerator, value.denominator, apart.numerator, apart.denominator
        side = (p * b > a * q) - (p * b < a * q)
        while (scaled * b > a * scale) - (scaled * b < a * scale) != side:
            scale *= 10
            scaled = round(value * scale)
    return ("-" if scaled < 0 else "") + decimal_text(abs(scaled), scale)
