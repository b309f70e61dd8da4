"""The catalogue of facts: ``policies/facts/*.yaml`` fragments, checked and merged."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from huiqi.core.facts import Catalogue

from .reader_base import DEFAULT_POLICY_DIR, PolicyFileError, _display, check_policy_dir
from .yamlnodes import LMap, YamlSyntaxError, load_yaml

__all__ = ["load_catalogue"]


def load_catalogue(policy_dir: Path = DEFAULT_POLICY_DIR) -> Catalogue:
    """Read the catalogue of facts: every ``policies/facts/*.yaml``, merged.

    Fragments may add enterprise fields, event kinds, fields of a kind, enum
    values and qualification titles; one file per document keeps each
    document's vocabulary beside its rules.
    """
    check_policy_dir(policy_dir)
    facts = _display(policy_dir / "facts", policy_dir)
    paths = sorted((policy_dir / "facts").glob("*.yaml"))
    if not paths:
        raise PolicyFileError([f"{facts}: 没有事实目录文件（*.yaml）"])
    merged: dict[str, Any] = {"enterprise": {}, "events": {}, "qualification_titles": []}
    origins: dict[str, str] = {}  # where each field is defined (file:line), by section.key
    problems: list[str] = []
    pending: list[_Pending] = []  # values added to a field no file before defines (yet)
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
        _merge_fragment(name, data, merged, problems, origins, pending)
    bundled = policy_dir.resolve() == DEFAULT_POLICY_DIR
    for name, line, where, key, values, target in pending:  # a.yaml adding values to common.yaml's field
        if key in target:
            target[key] = {**target[key], "values": list(dict.fromkeys([*target[key].get("values", []), *values]))}
            continue
        hint = "" if bundled else _bundled_hint(f"defines:{where}.{key}", "定义")
        problems.append(f"{name}:{line}: 字段{where}.{key}只追加了values，但没有任何文件定义它（须有label与type）{hint}")
    for section, fields in [("enterprise", merged["enterprise"])] + [
        (kind, ev.get("fields", {})) for kind, ev in merged["events"].items()
    ]:
        for key, spec in fields.items():
            if spec.get("type") in ("enum", "enum_list") and not spec.get("values"):
                hint = "" if bundled else _bundled_hint(f"values:{section}.{key}")
                hint = hint or f"（请在定义该字段的{origins.get(f'{section}.{key}', '文件')}写出values）"
                problems.append(f"{facts}: 字段{section}.{key}为选项，但没有任何文件给出values{hint}")
    for kind, ev in merged["events"].items():
        if "label" not in ev:
            hint = "" if bundled else _bundled_hint(f"label:{kind}")
            hint = hint or f"（请在一个事实文件中写 events: {{{kind}: {{label: …}}}}）"
            problems.append(f"{facts}: 事项类型{kind}没有label{hint}")
    problems += _same_headers(merged, origins)
    if problems:
        raise PolicyFileError(problems)
    return Catalogue.from_mapping(merged)


def _bundled_hint(part: str, verb: str = "给出") -> str:
    """Which files of the bundled catalogue give ``part`` (``values:section.key``, ``label:kind``),
    for a folder of one's own that lacks them: it was started with some of the bundled files only."""
    givers = [name for name, parts in _bundled_parts() if part in parts]
    if not givers:
        return ""
    return f"（内置目录中由{'、'.join(givers)}{verb}；自建政策目录请复制policies/facts/下的全部文件）"


@functools.cache
def _bundled_parts() -> tuple[tuple[str, frozenset[str]], ...]:
    """Each bundled facts file and what it gives, read once (a partial folder has many parts missing)."""
    out = []
    for path in sorted((DEFAULT_POLICY_DIR / "facts").glob("*.yaml")):
        name = _display(path, DEFAULT_POLICY_DIR)
        try:
            data = load_yaml(path, name)
        except (YamlSyntaxError, OSError):
            continue
        out.append((name, frozenset(_parts_given(data))))
    return tuple(out)


def _parts_given(data: Any) -> set[str]:
    """What a facts fragment gives: ``values:section.key`` for each field with values,
    ``defines:section.key`` for each field it defines (with a type), ``label:kind`` for each event
    kind with a label."""
    given: set[str] = set()
    if not isinstance(data, dict):
        return given
    sections = [("enterprise", data.get("enterprise"))]
    for kind, ev in (data.get("events") or {}).items():
        if isinstance(ev, dict):
            if ev.get("label"):
                given.add(f"label:{kind}")
            sections.append((kind, ev.get("fields")))
    for section, fields in sections:
        for key, spec in (fields or {}).items() if isinstance(fields, dict) else ():
            if isinstance(spec, dict) and spec.get("values"):
                given.add(f"values:{section}.{key}")
            if isinstance(spec, dict) and "type" in spec:
                given.add(f"defines:{section}.{key}")
    return given


_Pending = tuple[str, int, str, str, list[Any], dict[str, Any]]  # file, line, section, key, values, its fields


def _merge_fields(
    name: str,
    where: str,
    fields: Any,
    target: dict[str, Any],
    problems: list[str],
    origins: dict[str, str],
    pending: list[_Pending],
) -> None:
    if not isinstance(fields, LMap):
        problems.append(f"{name}:{getattr(fields, 'line', 0)}: {where}应为字段映射")
        return
    for key, spec in fields.items():
        line = fields.line_of(key)
        if key in target:
            extra = spec.get("values", []) if isinstance(spec, dict) else []
            if set(spec) - {"values"}:
                problems.append(
                    f"{name}:{line}: 字段{where}.{key}已在{origins.get(f'{where}.{key}', '另一文件')}定义："
                    "其他文件只能为它追加values，不能再次定义（请删去此处除values以外的内容）"
                )
                continue
            target[key] = {**target[key], "values": list(dict.fromkeys([*target[key].get("values", []), *extra]))}
            continue
        if isinstance(spec, dict) and set(spec) == {"values"} and isinstance(spec["values"], list):
            pending.append((name, line, where, key, spec["values"], target))  # defined by a later file, or by none
            continue
        _check_spec(name, line, f"{where}.{key}", spec, problems)
        target[key] = dict(spec)
        origins[f"{where}.{key}"] = f"{name}:{line}"


def _merge_fragment(
    name: str, data: LMap, merged: dict[str, Any], problems: list[str], origins: dict[str, str], pending: list[_Pending]
) -> None:
    for key in data:
        if key not in ("enterprise", "events", "qualification_titles"):
            problems.append(
                f"{name}:{data.line_of(key)}: 未知的顶层字段“{key}”（可用：enterprise、events、qualification_titles）"
            )
    if "enterprise" in data:
        _merge_fields(name, "enterprise", data["enterprise"], merged["enterprise"], problems, origins, pending)
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
            _merge_fields(name, kind, ev["fields"], target["fields"], problems, origins, pending)
    for title in data.get("qualification_titles") or []:
        if title not in merged["qualification_titles"]:
            merged["qualification_titles"].append(title)


def _same_headers(merged: dict[str, Any], origins: dict[str, str]) -> list[str]:
    """Two fields of the enterprise, or of one event kind, with the same label (or one's label an
    alias of the other): the register template then had two identical headers and the register
    reader put one column's values in the other field."""
    problems = []
    sections = [("enterprise", "企业", merged["enterprise"])]
    sections += [(kind, f"事项类型{kind}", ev.get("fields", {})) for kind, ev in merged["events"].items()]
    for section, shown, fields in sections:
        first: dict[str, str] = {}  # a header → the field that has it
        for key, spec in fields.items():
            if not isinstance(spec, dict):
                continue
            headers = [spec.get("label"), *(spec.get("aliases") or [])]
            for header in dict.fromkeys(str(h) for h in headers if isinstance(h, str) and h.strip()):
                other = first.setdefault(header, key)
                if other != key:
                    where = origins.get(f"{section}.{key}", section)
                    mine = "label" if header == spec.get("label") else "aliases中"
                    problems.append(
                        f"{where}: 字段{section}.{key}的{mine}“{header}”已是字段{section}.{other}"
                        f"（{origins.get(f'{section}.{other}', section)}）的名称：{shown}的字段名称须各不相同"
                        "（名单模板的表头与读取名单时的列都按名称对应）"
                    )
    return problems


def _check_spec(file: str, line: int, name: str, spec: Any, problems: list[str]) -> None:
    from huiqi.core.facts import TYPES

    if not isinstance(spec, dict) or "label" not in spec or "type" not in spec:
        problems.append(f"{file}:{line}: 字段{name}须有label与type")
        return
    if spec["type"] not in TYPES:
        problems.append(f"{file}:{line}: 字段{name}的type未知：{spec['type']}（可用：{'、'.join(TYPES)}）")
    aliases = spec.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip() for a in aliases):
        problems.append(f"{file}:{line}: 字段{name}的aliases应为以往表头（文字）的列表，如 [是否在苏州综合金融服务等平台获得]")
