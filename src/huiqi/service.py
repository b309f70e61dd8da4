"""The application service: the bundled library loaded once, scenarios read
from files or mappings, evaluations returned.  The CLI and the web app both
stand on this module, so they accept exactly the same input.
"""

from __future__ import annotations

import errno
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .core.evaluator import evaluate
from .core.facts import Catalogue, Problem, ScenarioError, parse_scenario
from .core.model import Library
from .core.results import Evaluation
from .core.scenario import Scenario
from .policyfile import DEFAULT_POLICY_DIR, load_library
from .policyfile.yamlnodes import YamlSyntaxError, parse_yaml_text

__all__ = ["Engine", "InputError", "engine", "os_error_text", "os_reason", "read_scenario_text"]


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


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def read_scenario_text(text: str, name: str) -> Any:
    """Parse a scenario written as YAML or JSON (JSON is YAML too)."""
    if name.endswith(".json"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}:{exc.lineno}: JSON格式错误：{exc.msg}") from None
    try:
        return _plain(parse_yaml_text(text, name))
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
            from dataclasses import replace

            from .core.regions import REGIONS

            if region not in REGIONS:
                raise ScenarioError([Problem("--in", "地区", region, "未知的行政区划代码")])
            town = scenario.enterprise.town if region == scenario.enterprise.region else None
            scenario = replace(scenario, enterprise=replace(scenario.enterprise, region=region, town=town))
        return evaluate(self.library, self.catalogue, scenario)


@lru_cache(maxsize=4)
def engine(policy_dir: Path = DEFAULT_POLICY_DIR) -> Engine:
    """The engine for a policy folder (the bundled policies by default), loaded once."""
    library, catalogue = load_library(policy_dir)
    return Engine(library, catalogue, policy_dir)
