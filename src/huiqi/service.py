"""The application service: the bundled library loaded once, scenarios read
from files or mappings, evaluations returned.  The CLI and the web app both
stand on this module, so they accept exactly the same input.
"""

from __future__ import annotations

import errno
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .core.evaluator import evaluate
from .core.facts import Catalogue, Problem, ScenarioError, parse_scenario
from .core.model import Library
from .core.results import Evaluation
from .core.scenario import PriorAward, Scenario
from .core.text import brief
from .policyfile import DEFAULT_POLICY_DIR, load_library
from .policyfile.yamlnodes import MAX_DEPTH, MAX_DIGITS, TOO_DEEP, YamlSyntaxError, parse_yaml_text

__all__ = [
    "Engine",
    "InputError",
    "check_json_depth",
    "check_json_keys",
    "engine",
    "os_error_text",
    "os_reason",
    "read_scenario_text",
]


class InputError(ValueError):
    """Input that cannot be read at all (missing file, bad YAML/JSON)."""


_OS_REASONS = {
    errno.ENOENT: "文件或文件夹不存在",
    errno.EACCES: "没有读写权限",
    errno.EPERM: "没有读写权限",
    errno.ENOSPC: "磁盘空间不足",
    errno.EDQUOT: "超出磁盘配额",
    errno.EROFS: "所在文件系统只读",
    errno.EISDIR: "这是一个文件夹，不是文件",
    errno.ENOTDIR: "路径中有一项不是文件夹",
    errno.ENAMETOOLONG: "文件名过长",
    errno.EEXIST: "已有同名的文件",
}


def os_reason(exc: OSError) -> str:
    """Why a read or write of a file failed, in Chinese where the cause is a common one."""
    return _OS_REASONS.get(exc.errno or 0) or exc.strerror or str(exc)


def os_error_text(exc: OSError) -> str:
    """A failed read or write of a file, in words for the person who named it (the path and why)."""
    reason = os_reason(exc)
    if exc.filename:
        return f"无法读写“{exc.filename}”：{reason}"
    detail = str(exc)  # e.g. pyarrow's, which names the file only in its message
    return f"文件读写失败：{reason}" + (f"（{detail}）" if detail and detail != reason else "")


def _plain(value: Any, name: str, depth: int = 0) -> Any:
    """YAML's mappings and lists as JSON's (keys as text), refusing nesting deeper than ``MAX_DEPTH``."""
    if isinstance(value, dict):
        if depth >= MAX_DEPTH:
            raise InputError(f"{name}：{TOO_DEEP}")
        return {str(k): _plain(v, name, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        if depth >= MAX_DEPTH:
            raise InputError(f"{name}：{TOO_DEEP}")
        return [_plain(v, name, depth + 1) for v in value]
    return value


# What Python's json module says, in words for the person who wrote the file.
_JSON_REASONS = (
    ("Expecting value", "此处缺少值（多写了逗号，或值没有写？）"),
    (
        "Expecting property name enclosed in double quotes",
        "此处应为用双引号括起的键名（JSON的键要用双引号；最后一项之后不能有逗号）",
    ),
    ("Expecting ',' delimiter", "缺少逗号“,”"),
    ("Expecting ':' delimiter", "键之后缺少冒号“:”"),
    ("Unterminated string", "字符串缺少结尾的双引号"),
    ("Invalid control character", "字符串中有控制字符（换行、制表符应写作\\n、\\t）"),
    ("Invalid \\uXXXX escape", "“\\u”之后应为4位十六进制数字"),
    ("Invalid \\escape", "字符串中有无效的转义（反斜杠本身请写作“\\\\”）"),
    ("Extra data", "JSON内容结束后还有多余的字符"),
)
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _json_reason(msg: str) -> str:
    return next((chinese for english, chinese in _JSON_REASONS if msg.startswith(english)), msg)


def _position(text: str, at: int) -> str:
    """``line:column`` (1-based) of the character at ``at``."""
    line = text.count("\n", 0, at) + 1
    column = at - text.rfind("\n", 0, at)
    return f"{line}:{column}"


def _json_too_deep(text: str, name: str) -> InputError:
    """Nesting past ``MAX_DEPTH``, with where it passes it (brackets within strings do not count)."""
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        char = token.group(0)
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return InputError(f"{name}:{_position(text, token.start())}: {TOO_DEEP}")
        elif char in "]}":
            depth -= 1
    return InputError(f"{name}：{TOO_DEEP}")


def _deeper_than(value: Any, limit: int) -> bool:
    if isinstance(value, dict):
        return limit <= 0 or any(_deeper_than(v, limit - 1) for v in value.values())
    if isinstance(value, list):
        return limit <= 0 or any(_deeper_than(v, limit - 1) for v in value)
    return False


def check_json_depth(data: Any, text: str, name: str) -> Any:
    """``data`` read from JSON ``text``, refused when nested deeper than ``MAX_DEPTH``
    (its brackets are counted first, so an ordinary scenario costs two ``str.count``)."""
    if text.count("[") + text.count("{") > MAX_DEPTH and _deeper_than(data, MAX_DEPTH):
        raise _json_too_deep(text, name)
    return data


# A key's closing quote and its colon (also counted: ``\":`` within a string, and a string starting with ":").
_KEY_END = re.compile(r'"[ \t\n\r]*:')
# A string, with the colon after it when it is a key, or a bracket.
_JSON_KEY_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"(?:[ \t\n\r]*:)?|[\[\]{}]')


def _key_count(value: Any) -> int:
    """The keys of every mapping within ``value`` (a mapping or a list)."""
    if type(value) is dict:
        count = len(value)
        for v in value.values():
            if type(v) is dict or type(v) is list:
                count += _key_count(v)
        return count
    count = 0
    for v in value:
        if type(v) is dict or type(v) is list:
            count += _key_count(v)
    return count


def _json_duplicate(text: str, name: str) -> InputError | None:
    """The first key written twice in one object of the JSON ``text`` (well-formed up to there), with both lines."""
    objects: list[dict[str, int] | None] = []  # open brackets: an object's keys and their lines; None for a list
    line, counted = 1, 0
    for token in _JSON_KEY_TOKEN.finditer(text):
        part = token.group(0)
        if part in ("{", "["):
            objects.append({} if part == "{" else None)
        elif part in ("}", "]"):
            if objects:
                objects.pop()
        elif part.endswith(":") and objects and (keys := objects[-1]) is not None:
            line += text.count("\n", counted, token.start())
            counted = token.start()
            quoted = part[:-1].rstrip()
            key = json.loads(quoted) if "\\" in quoted else quoted[1:-1]
            if key in keys:
                return InputError(
                    f"{name}:{_position(text, token.start())}: 键“{brief(key)}”重复（第{keys[key]}行已有）；同一映射中每个键只能写一次"
                )
            keys[key] = line
    return None


def check_json_keys(data: Any, text: str, name: str) -> Any:
    """``data`` read from JSON ``text``, refused when an object holds a key twice (JSON readers keep
    the last silently; a YAML scenario is refused alike), naming the key and both lines.

    Every key is followed by a colon, so a text with no more colons than ``data`` has keys repeats
    none: an ordinary scenario costs one ``str.count`` and a walk over its mappings (≈4 µs for
    10 events).  Colons within strings (times, addresses) cost a count of the key tokens as well."""
    if (
        isinstance(data, (dict, list))
        and text.count(":") > (keys := _key_count(data))
        and len(_KEY_END.findall(text)) > keys
        and (error := _json_duplicate(text, name)) is not None
    ):
        raise error
    return data


def _read_json(text: str, name: str) -> Any:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}:{exc.lineno}:{exc.colno}: JSON格式错误：{_json_reason(exc.msg)}") from None
    except RecursionError:
        raise _json_too_deep(text, name) from None
    except ValueError:  # an integer longer than int() reads from text
        long = re.search(rf"\d{{{MAX_DIGITS + 1},}}", text)
        at = f":{_position(text, long.start())}" if long else ""
        shown = f"“{brief(long.group(0), 20)}”过长（{len(long.group(0))}位）" if long else "过长"
        raise InputError(f"{name}{at}: 数字{shown}；整数最多{MAX_DIGITS}位") from None
    return check_json_keys(check_json_depth(data, text, name), text, name)


def read_scenario_text(text: str, name: str) -> Any:
    """Parse a scenario written as YAML or JSON (JSON is YAML too); a leading byte order mark is allowed."""
    text = text.removeprefix("\ufeff")
    if name.endswith(".json"):
        return _read_json(text, name)
    try:
        return _plain(parse_yaml_text(text, name), name)
    except YamlSyntaxError as exc:
        raise InputError(str(exc)) from None


@dataclass
class Engine:
    """A loaded library and catalogue, ready to evaluate scenarios."""

    library: Library
    catalogue: Catalogue
    policy_dir: Path

    def scenario(self, raw: Any, source: str = "") -> Scenario:
        return parse_scenario(raw, self.catalogue, source)

    def scenario_file(self, path: Path) -> Scenario:
        if not path.exists():
            raise InputError(f"找不到情景文件：{path}")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{path}：文件不是UTF-8编码") from None
        return self.scenario(read_scenario_text(text, str(path)), str(path))

    def evaluate(self, scenario: Scenario, region: str | None = None) -> Evaluation:
        """Evaluate; ``region`` evaluates the same events as if registered elsewhere."""
        if region is not None:
            scenario, _ = self.relocated(scenario, region)
        return evaluate(self.library, self.catalogue, scenario)

    def relocated(self, scenario: Scenario, region: str) -> tuple[Scenario, list[PriorAward]]:
        """The scenario as if registered in ``region``, and the awards already received that it
        leaves out: those of a city, district or province that does not govern ``region`` (a
        苏州市 award is no 上级 award of 武进, which is in 常州市)."""
        from dataclasses import replace

        from .core.regions import REGIONS

        if region not in REGIONS:
            raise ScenarioError([Problem("--in", "地区", region, "未知的行政区划代码")])
        home = scenario.enterprise.region
        if region == home:
            return scenario, []
        shared = {"national": 0, "province": 2, "city": 4, "district": 6}  # code digits a level's government shares
        kept: list[PriorAward] = []
        dropped: list[PriorAward] = []
        for p in scenario.prior_awards:
            digits = shared.get(p.level, 6)
            (kept if home[:digits] == region[:digits] else dropped).append(p)
        enterprise = replace(scenario.enterprise, region=region, town=None)
        return replace(scenario, enterprise=enterprise, prior_awards=tuple(kept)), dropped


@lru_cache(maxsize=4)
def engine(policy_dir: Path = DEFAULT_POLICY_DIR) -> Engine:
    """The engine for a policy folder (the bundled policies by default), loaded once."""
    library, catalogue = load_library(policy_dir)
    return Engine(library, catalogue, policy_dir)
