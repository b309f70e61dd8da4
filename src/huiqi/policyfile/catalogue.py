"""The catalogue of facts: ``policies/facts/*.yaml`` fragments, checked and merged."""

from __future__ import annotations

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
        _merge_fragment(name, data, merged, problems, origins)
    for section, fields in [("enterprise", merged["enterprise"])] + [
        (kind, ev.get("fields", {})) for kind, ev in merged["events"].items()
    ]:
        for key, spec in fields.items():
            if spec.get("type") in ("enum", "enum_list") and not spec.get("values"):
                problems.append(f"{facts}: 字段{section}.{key}为选项，但没有任何文件给出values")
    for kind, ev in merged["events"].items():
        if "label" not in ev:
            problems.append(f"{facts}: 事项类型{kind}没有label")
    problems += _same_headers(merged, origins)
    if problems:
        raise PolicyFileError(problems)
    return Catalogue.from_mapping(merged)


def _merge_fields(
    name: str, where: str, fields: Any, target: dict[str, Any], problems: list[str], origins: dict[str, str]
) -> None:
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
        origins[f"{where}.{key}"] = f"{name}:{line}"


def _merge_fragment(name: str, data: LMap, merged: dict[str, Any], problems: list[str], origins: dict[str, str]) -> None:
    for key in data:
        if key not in ("enterprise", "events", "qualification_titles"):
            problems.append(
                f"{name}:{data.line_of(key)}: 未知的顶层字段“{key}”（可用：enterprise、events、qualification_titles）"
            )
    if "enterprise" in data:
        _merge_fields(name, "enterprise", data["enterprise"], merged["enterprise"], problems, origins)
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
            _merge_fields(name, kind, ev["fields"], target["fields"], problems, origins)
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
