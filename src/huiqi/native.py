"""The compiled core: :mod:`huiqi.core`'s modules built with mypyc, used only when up to date.

``scripts/build_native.py`` (run by ``make setup`` and ``make test``) compiles the
core's modules with mypyc — the same source, type-checked by ``mypy --strict`` —
into ``src/huiqi/_native/`` with a manifest of the sources' SHA-256.  On import,
:mod:`huiqi` calls :func:`install`, which puts a finder in front of the import
system that loads those extension modules instead of the ``.py`` files — but only
when every compiled source is unchanged since the build, for this interpreter.
A core edited after the build, a different Python, or ``HUIQI_PURE=1`` runs the
plain Python source: never a stale compilation, and never half of one (compiled
modules call each other directly, so they are used all together or not at all).

The answers are the same byte for byte (``tests/test_native.py`` compares every
worked example in three regions); evaluation takes about half the time
(``benchmarks/RESULTS-evaluate.md``).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

__all__ = ["COMPILED", "FOLDER", "PURE_ENV", "compiled", "install", "manifest_for", "status"]

# The core modules compiled (all of huiqi.core but the coverage and plan readers, which are
# not on an evaluation's path).
COMPILED = (
    "amounts",
    "conditions",
    "context",
    "credit_code",
    "evaluator",
    "explain",
    "facts",
    "legal",
    "model",
    "money",
    "regions",
    "results",
    "scenario",
    "text",
)
PACKAGE = Path(__file__).resolve().parent
FOLDER = PACKAGE / "_native"
PURE_ENV = "HUIQI_PURE"
_STATUS = "未安装"


def _sources(package: Path = PACKAGE) -> dict[str, str]:
    return {f"huiqi.core.{name}": hashlib.sha256((package / "core" / f"{name}.py").read_bytes()).hexdigest() for name in COMPILED}


def manifest_for(runtime: str, package: Path = PACKAGE) -> dict[str, object]:
    """What a build records: the interpreter's extension suffix, mypyc's shared module, the sources' hashes."""
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    return {"suffix": suffixes[0] if suffixes else "", "runtime": runtime, "sources": _sources(package)}


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        file = self.files.get(fullname)
        if file is None:
            return None
        loader = importlib.machinery.ExtensionFileLoader(fullname, str(file))
        return importlib.util.spec_from_file_location(fullname, file, loader=loader)


def _check(folder: Path) -> tuple[dict[str, Path] | None, str]:
    """The extension files to load, or None with the reason."""
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return None, f"未使用（{PURE_ENV}={os.environ[PURE_ENV]}）"
    try:
        recorded = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, "未编译（make setup 会编译）"
    except (OSError, ValueError) as exc:
        return None, f"未使用（清单无法读取：{exc}）"
    runtime = str(recorded.get("runtime", ""))
    if recorded != manifest_for(runtime):
        return None, "未使用（源代码或Python版本在编译后有改动，请重新运行 make setup）"
    suffix = str(recorded["suffix"])
    files = {f"huiqi.core.{name}": folder / "huiqi" / "core" / f"{name}{suffix}" for name in COMPILED}
    files[runtime] = folder / f"{runtime}{suffix}"
    missing = [str(f) for f in files.values() if not f.is_file()]
    if missing:
        return None, f"未使用（缺少编译文件：{missing[0]}）"
    return files, "已编译（mypyc）"


def install(folder: Path = FOLDER) -> str:
    """Load the compiled core for this process if it is up to date; the status either way.

    Must run before :mod:`huiqi.core` is imported (``huiqi/__init__.py`` does it)."""
    global _STATUS
    if compiled():
        return _STATUS
    files, _STATUS = _check(folder)
    if files is not None:
        already = [name for name in files if name in sys.modules and name.startswith("huiqi.core.")]
        if already:  # imported as source already: mixing the two is not allowed
            _STATUS = f"未使用（{already[0]} 已按源代码载入）"
        else:
            sys.meta_path.insert(0, _Finder(files))
    return _STATUS


def status() -> str:
    """规则核心的运行方式, in Chinese, as ``huiqi serve`` prints it."""
    return _STATUS


def compiled() -> bool:
    """Whether this process runs the compiled core (its finder is installed)."""
    return any(isinstance(f, _Finder) for f in sys.meta_path)
