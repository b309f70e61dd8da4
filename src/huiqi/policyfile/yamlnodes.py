"""YAML with line numbers: mappings and lists remember where they stand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["LList", "LMap", "YamlSyntaxError", "load_yaml"]


class LMap(dict[str, Any]):
    """A mapping that knows its line and each key's line (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LList(list[Any]):
    line: int = 0
    item_lines: list[int]


class YamlSyntaxError(ValueError):
    def __init__(self, path: str, line: int, message: str) -> None:
        self.path, self.line = path, line
        super().__init__(f"{path}:{line}: YAML格式错误：{message}")


class _Loader(yaml.SafeLoader):
    pass


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LMap:
    result = LMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        key_text = str(key)
        if key_text in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"重复的键“{key_text}”", key_node.start_mark
            )
        result[key_text] = loader.construct_object(value_node, deep=True)
        result.key_lines[key_text] = key_node.start_mark.line + 1
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LList:
    result = LList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load_yaml(path: Path, display: str | None = None) -> Any:
    """Parse a YAML file keeping line numbers; syntax errors name the line."""
    name = display or str(path)
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise YamlSyntaxError(name, line, str(exc.problem or exc)) from None
    except UnicodeDecodeError:
        raise YamlSyntaxError(name, 0, "文件不是UTF-8编码") from None


_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml_text(text: str, name: str) -> Any:
    """Parse YAML text (scenarios, uploads) with libyaml when present.

    Scenarios need no key lines (their problems are named by path, such as
    ``events[2].amount``); syntax errors still name the line."""
    try:
        return yaml.load(text, Loader=_FAST_LOADER)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        raise YamlSyntaxError(name, line, str(exc.problem or exc)) from None
