"""YAML with line numbers: mappings and lists remember where they stand.

Also the reading of scenario YAML (:func:`parse_yaml_text`) and the Chinese
wording of YAML mistakes, shared by policy files and scenarios: a syntax error
names its line and column; an impossible date (in a policy file), an integer too
long to read, a key written twice, nesting too deep and aliases that expand too
far are refused with their line instead of a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from ..core.text import as_written, brief, date_reason

__all__ = [
    "MAX_DEPTH",
    "MAX_DIGITS",
    "TOO_DEEP",
    "LList",
    "LMap",
    "YamlSyntaxError",
    "as_written",
    "load_yaml",
    "parse_yaml_text",
]

MAX_DEPTH = 100  # lists and mappings within one another; a scenario needs five
MAX_DIGITS = 4300  # the longest integer Python reads from text (sys.get_int_max_str_digits)
TOO_DEEP = f"嵌套层次过深（超过{MAX_DEPTH}层列表或映射）"
_INT_LIMIT = 10**MAX_DIGITS
# Nodes that aliases (*name) may add beyond the text's own length: a few lines of
# aliases of aliases ("billion laughs") otherwise expand to gigabytes.
_ALIAS_ALLOWANCE = 100_000
# libyaml builds its node tree recursively in C: a document nested this deep or more
# is checked event by event first (100,000 levels crash the interpreter).
_SAFE_DEPTH = 1000


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
    """YAML that cannot be read: ``path:line[:column]: YAML格式错误：…`` (no heading for a bad value)."""

    def __init__(self, path: str, line: int, message: str, column: int = 0, heading: str = "YAML格式错误") -> None:
        self.path, self.line, self.column = path, line, column
        where = f"{path}:{line}:{column}" if column else f"{path}:{line}"
        super().__init__(f"{where}: {heading}：{message}" if heading else f"{where}: {message}")


class _ValueProblem(ConstructorError):
    """Well-formed YAML holding a value that cannot be read (its message is already Chinese)."""


def _mark_problem(message: str, node: yaml.Node) -> _ValueProblem:
    return _ValueProblem(None, None, message, node.start_mark)


def _timestamp(loader: SafeConstructor, node: yaml.ScalarNode) -> Any:
    try:
        return SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, AttributeError):  # AttributeError: "!!timestamp" before text that is no date
        value = str(node.value)
        reason = date_reason(value) or "（时刻无效）"  # the resolver took it for a date: only a day or a time can be wrong
        raise _mark_problem(f"日期“{brief(value)}”无效{reason}；应为有效日期YYYY-MM-DD", node) from None


def _too_long(node: yaml.ScalarNode) -> _ValueProblem:
    value = str(node.value)
    return _mark_problem(f"数字“{brief(value, 20)}”过长（{len(value)}个字符）；整数最多{MAX_DIGITS}位", node)


def _int(loader: SafeConstructor, node: yaml.ScalarNode) -> Any:
    try:
        number = SafeConstructor.construct_yaml_int(loader, node)
    except ValueError:
        if sum(ch.isdigit() for ch in str(node.value)) > MAX_DIGITS:
            raise _too_long(node) from None
        raise _mark_problem(f"“{brief(str(node.value))}”不是整数", node) from None  # "!!int" before text
    if isinstance(number, int) and abs(number) >= _INT_LIMIT:  # hexadecimal, binary, 1:20:30… are not limited
        raise _too_long(node)
    return number


def _float(loader: SafeConstructor, node: yaml.ScalarNode) -> Any:
    try:
        return SafeConstructor.construct_yaml_float(loader, node)
    except ValueError:  # "!!float" before text
        raise _mark_problem(f"“{brief(str(node.value))}”不是数值", node) from None


def _bool(loader: SafeConstructor, node: yaml.ScalarNode) -> Any:
    try:
        return SafeConstructor.construct_yaml_bool(loader, node)
    except KeyError:  # "!!bool" before text
        raise _mark_problem(f"“{brief(str(node.value))}”不是是/否（true/false）", node) from None


def _guard_scalars(loader: Any) -> None:
    """Scalars that cannot be read give a marked Chinese problem, not ``ValueError`` from the constructor."""
    for tag, construct in (("timestamp", _timestamp), ("int", _int), ("float", _float), ("bool", _bool)):
        loader.add_constructor(f"tag:yaml.org,2002:{tag}", construct)


def _duplicate(key: str, first_line: int, node: yaml.Node) -> _ValueProblem:
    return _mark_problem(f"键“{brief(key)}”重复（第{first_line}行已有）；同一映射中每个键只能写一次", node)


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
            raise _duplicate(key_text, result.key_lines[key_text], key_node)
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
_guard_scalars(_Loader)


def load_yaml(path: Path, display: str | None = None) -> Any:
    """Parse a YAML file keeping line numbers; syntax errors name the line."""
    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise YamlSyntaxError(name, 0, "文件不是UTF-8编码") from None
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise _refusal(exc, name, text) from None
    except RecursionError:
        raise YamlSyntaxError(name, 0, TOO_DEEP, heading="") from None


_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _ScenarioLoader(_FAST_LOADER):  # type: ignore[misc]
    """libyaml's safe loader (when present) that refuses a key written twice in one mapping."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.checked: set[int] = set()

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        # Called on every mapping before it is built, and on each mapping merged into
        # another ("<<: *base") before merging changes it: its own keys are checked once.
        if id(node) not in self.checked:
            self.checked.add(id(node))
            first: dict[str, int] = {}
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    key = str(self.construct_object(key_node))
                    if key in first:
                        raise _duplicate(key, first[key], key_node)
                    first[key] = key_node.start_mark.line + 1
        super().flatten_mapping(node)


_guard_scalars(_ScenarioLoader)


def _timestamp_as_written(loader: SafeConstructor, node: yaml.ScalarNode) -> Any:
    """A scenario's impossible date (2025-13-01) is kept as its text: the scenario's own check then names
    it by its path (``events[2].date``) beside every other problem of the file, as for JSON."""
    try:
        return SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, AttributeError):
        return str(node.value)


_ScenarioLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_written)

_OPEN = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _depth_bound(text: str) -> int:
    """A bound on the nesting of ``text``: each level opens with a bracket, a "-", a "?" or a new line
    (and a flow pair ``[a: …]`` adds one more)."""
    return 2 * (text.count("[") + text.count("{") + text.count("-") + text.count("?") + text.count("\n")) + 2


def _check_events(text: str, name: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` and aliases that expand too far, from the parser's
    events (before libyaml builds the tree, and before any alias is expanded)."""
    budget = _ALIAS_ALLOWANCE + len(text)
    sizes: dict[str, int] = {}  # anchor → nodes it stands for, expanded
    stack: list[list[Any]] = []  # open collections: [nodes so far, anchor]
    for event in yaml.parse(text, Loader=_FAST_LOADER):
        if isinstance(event, _OPEN):
            if len(stack) >= MAX_DEPTH:
                line, column = _line_column(event.start_mark)
                raise YamlSyntaxError(name, line, TOO_DEEP, column, heading="")
            stack.append([1, event.anchor])
            continue
        if isinstance(event, _CLOSE):
            size, anchor = stack.pop()
        elif isinstance(event, yaml.ScalarEvent):
            size, anchor = 1, event.anchor
        elif isinstance(event, yaml.AliasEvent):
            size, anchor = sizes.get(event.anchor or "", 0), None
        else:
            continue
        if anchor is not None:
            sizes[anchor] = size
        total = size
        if stack:
            stack[-1][0] += size
            total = stack[-1][0]
        if total > budget:
            message = "别名（*引用）层层展开后的内容过多；请直接写出内容，或减少引用的层次"
            line, column = _line_column(event.start_mark)
            raise YamlSyntaxError(name, line, message, column, heading="")


def parse_yaml_text(text: str, name: str) -> Any:
    """Parse YAML text (scenarios, uploads) with libyaml when present.

    Scenarios need no key lines (their problems are named by path, such as
    ``events[2].amount``); syntax errors, over-long integers, repeated keys, deep
    nesting and alias bombs still name the line. An impossible date is kept as its
    text, so that the scenario's check names it beside the file's other problems."""
    try:
        if "*" in text or _depth_bound(text) > _SAFE_DEPTH:  # aliases, or nesting that could be deep
            _check_events(text, name)
        return yaml.load(text, Loader=_ScenarioLoader)
    except yaml.YAMLError as exc:
        raise _refusal(exc, name, text) from None
    except RecursionError:  # PyYAML's own composer, without libyaml
        raise YamlSyntaxError(name, 0, TOO_DEEP, heading="") from None


def _refusal(exc: yaml.YAMLError, name: str, text: str) -> YamlSyntaxError:
    """The error to show for ``exc``: file, line, column and what is wrong, in Chinese."""
    if isinstance(exc, yaml.reader.ReaderError):
        char = chr(exc.character) if isinstance(exc.character, int) else str(exc.character)[:1]
        at = text.find(char) if char else -1
        line, column = (text.count("\n", 0, at) + 1, at - text.rfind("\n", 0, at)) if at >= 0 else (0, 0)
        shown = f"（U+{ord(char):04X}）" if char else ""
        return YamlSyntaxError(name, line, f"有不允许的控制字符{shown}", column)
    if not isinstance(exc, yaml.MarkedYAMLError):
        return YamlSyntaxError(name, 0, str(exc))
    line, column = _line_column(exc.problem_mark or exc.context_mark)
    if isinstance(exc, _ValueProblem):
        return YamlSyntaxError(name, line, str(exc.problem), column, heading="")
    return YamlSyntaxError(name, line, _chinese(exc, text), column)


def _line_column(mark: Any) -> tuple[int, int]:
    """A parser's mark as 1-based line and column; (0, 0) when it has none."""
    return (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)


def _at(text: str, mark: Any) -> str:
    """The rest of the line from ``mark``."""
    lines = text.splitlines()
    if mark is None or not 0 <= mark.line < len(lines):
        return ""
    rest: str = lines[mark.line][mark.column :]
    return rest


def _chinese(exc: yaml.MarkedYAMLError, text: str) -> str:
    """The parser's problem in Chinese, for the mistakes people make; its own words otherwise."""
    problem, context = str(exc.problem or ""), str(exc.context or "")
    start = exc.context_mark.line + 1 if exc.context_mark else 0
    here = _at(text, exc.problem_mark)
    if "cannot start any token" in problem or "tab character" in problem:
        if here.startswith("\t"):
            return "不能用制表符（Tab）缩进或分隔，请改用空格"
        return f"字符“{here[:1]}”不能作为值的开头；以它开头的值请加引号"
    if problem.startswith("mapping values are not allowed"):
        return "此处不能有“: ”：值中含冒号加空格时请给值加引号；也可能是上一行的键缺少冒号，或缩进不对"
    if "expected node content" in problem or "expected the node content" in problem:
        return "此处缺少值（括号没有闭合，或多写了逗号、括号？）"
    if "',' or ']'" in problem:
        return f"方括号列表缺少“,”或“]”（列表从第{start}行开始）"
    if "',' or '}'" in problem:
        return f"花括号映射缺少“,”或“}}”（映射从第{start}行开始）"
    if "expected key" in problem or ("block mapping" in context and "<block end>" in problem):
        return f"缩进不一致，或此处应为“键: 值”（所在映射从第{start}行开始）"
    if "'-' indicator" in problem or ("block collection" in context and "<block end>" in problem):
        return f"缩进不一致：同一列表的各项应以“- ”开头并对齐（列表从第{start}行开始）"
    if "end of stream" in problem:
        if "quoted scalar" in context:
            return f"引号没有闭合（从第{start}行开始）"
        return "内容意外结束"
    if "unknown escape character" in problem:
        return "双引号内有无效的转义（反斜杠“\\”之后的字符）；反斜杠本身请写作“\\\\”，或改用单引号"
    if "hexdecimal" in problem or "hexadecimal" in problem:
        return "双引号内“\\x”“\\u”“\\U”之后应为十六进制数字"
    if "another document" in problem:
        return "有多个YAML文档（以“---”分隔）；只能有一个"
    if "undefined alias" in problem:
        alias = re.match(r"\*[^\s,\[\]{}]*", here)
        return f"引用了未定义的锚点“{alias.group(0) if alias else '*'}”（锚点应先以“&名称”定义）"
    if "duplicate anchor" in context:
        anchor = re.match(r"&[^\s,\[\]{}]*", here)
        return f"锚点“{anchor.group(0) if anchor else '&'}”重复定义（第{start}行已定义）"
    tag = re.search(r"constructor for the tag '([^']*)'", problem)
    if tag:
        return f"不支持的标签“{tag.group(1).replace('tag:yaml.org,2002:', '!!')}”；请去掉它，或给值加引号"
    if "unhashable key" in problem:
        return "键不能是列表或映射"
    if "could not find expected ':'" in problem:
        return f"缺少“:”：键与值之间应有冒号加空格（从第{start}行开始）"
    if "block sequence entries are not allowed" in problem:
        return "此处不能开始列表项“- ”（缩进不对？）"
    if "directive" in context or "directive" in problem:
        return "以“%”开头的行是YAML指令；以%开头的值请加引号"
    if "alphabetic or numeric character" in problem and ("alias" in context or "anchor" in context):
        return "“*”或“&”之后应为锚点名；以*或&开头的值请加引号"
    if "base64" in problem:
        return "“!!binary”之后应为base64编码的内容"
    return problem or str(exc)
