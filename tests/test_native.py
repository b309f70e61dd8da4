"""The compiled core (huiqi.native): same answers as the source, never stale, doctests kept."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from huiqi import native

ROOT = Path(__file__).resolve().parents[1]

# Every worked example and example scenario, evaluated in three regions: the answers as
# JSON and as text, printed with the core's status first.
_DUMP = """
import glob, json, yaml
from huiqi import native
from huiqi.core.explain import render_text, to_dict
from huiqi.service import engine
eng = engine()
print(native.status())
for f in sorted(glob.glob("policies/examples/**/*.yaml", recursive=True)) + sorted(glob.glob("examples/scenarios/*.yaml")):
    raw = yaml.safe_load(open(f, encoding="utf-8"))
    scenario = eng.scenario(raw.get("scenario", raw), f)
    for region in (None, "320506", "320412"):
        ev = eng.evaluate(scenario, region=region)
        print(f, region, json.dumps(to_dict(ev), ensure_ascii=False, sort_keys=True))
        print(render_text(ev))
"""

COMPILED = native.compiled()
needs_build = pytest.mark.skipif(not COMPILED, reason=f"规则核心{native.status()}")


def _run(code: list[str], pure: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != native.PURE_ENV}
    if pure:
        env[native.PURE_ENV] = "1"
    return subprocess.run([sys.executable, *code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


@needs_build
def test_the_compiled_core_gives_the_same_answers_as_the_source() -> None:
    compiled = _run(["-c", _DUMP], pure=False)
    source = _run(["-c", _DUMP], pure=True)
    assert compiled.returncode == 0 and source.returncode == 0, compiled.stderr + source.stderr
    first_c, _, rest_c = compiled.stdout.partition("\n")
    first_s, _, rest_s = source.stdout.partition("\n")
    assert first_c.startswith("已编译") and first_s.startswith("未使用")
    assert rest_c.count("\n") > 200 * 3  # 77 files × 3 regions, JSON and text each
    assert rest_c == rest_s


@needs_build
def test_the_compiled_modules_are_what_the_core_imports() -> None:
    import huiqi.core.evaluator as evaluator

    assert Path(evaluator.__file__ or "").is_relative_to(native.FOLDER)


@needs_build
def test_the_core_doctests_pass_on_the_source() -> None:
    """The doctests of the compiled modules (not collected in this process) run on the source."""
    done = _run(["-m", "pytest", "-p", "no:cacheprovider", "--doctest-modules", "src/huiqi/core"], pure=True)
    assert done.returncode == 0, done.stdout + done.stderr
    passed = re.search(r"(\d+) passed", done.stdout)
    assert passed is not None and int(passed.group(1)) >= len(native.COMPILED) // 2, done.stdout


def _copy_build(tmp_path: Path) -> Path:
    folder = tmp_path / "_native"
    shutil.copytree(native.FOLDER, folder)
    return folder


@needs_build
def test_a_core_changed_after_the_build_runs_as_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _copy_build(tmp_path)
    assert native._check(folder)[0] is not None
    recorded = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    recorded["sources"]["huiqi.core.money"] = "0" * 64  # as if money.py had been edited since
    (folder / "manifest.json").write_text(json.dumps(recorded), encoding="utf-8")
    files, why = native._check(folder)
    assert files is None and "改动" in why


@needs_build
def test_a_missing_file_or_huiqi_pure_runs_as_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _copy_build(tmp_path)
    monkeypatch.setenv(native.PURE_ENV, "1")
    files, why = native._check(folder)
    assert files is None and native.PURE_ENV in why
    monkeypatch.delenv(native.PURE_ENV)
    next((folder / "huiqi" / "core").glob("evaluator*")).unlink()
    files, why = native._check(folder)
    assert files is None and "缺少" in why


def test_without_a_build_the_source_runs(tmp_path: Path) -> None:
    files, why = native._check(tmp_path / "nothing-here")
    assert files is None and "未编译" in why
