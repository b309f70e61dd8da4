"""Compile huiqi's core with mypyc into src/huiqi/_native/ (see src/huiqi/native.py).

    .venv/bin/python scripts/build_native.py            # make setup: on failure, say so and go on (pure Python)
    .venv/bin/python scripts/build_native.py --strict   # make test: a failed build fails

Does nothing when the build is already up to date (same sources, same Python).
The compilation runs on a copy of the package in a temporary folder, so the
source tree only ever gains the finished files and, last, their manifest.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
os.environ["HUIQI_PURE"] = "1"  # this process reads the sources, never the build
from huiqi import native  # noqa: E402


def build(strict: bool) -> int:
    manifest = native.FOLDER / "manifest.json"
    try:
        current = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        current = None
    if current is not None and current == native.manifest_for(str(current.get("runtime", ""))):
        print("规则核心已编译，无需重新编译（src/huiqi/_native）")
        return 0
    started = time.monotonic()
    print("正在用 mypyc 编译规则核心（约半分钟至一分钟）……", flush=True)
    with tempfile.TemporaryDirectory(prefix="huiqi-mypyc-") as tmp:
        work = Path(tmp)
        shutil.copytree(native.PACKAGE / "core", work / "huiqi" / "core", ignore=shutil.ignore_patterns("__pycache__"))
        (work / "huiqi" / "__init__.py").write_text("", encoding="utf-8")
        files = [f"huiqi/core/{name}.py" for name in native.COMPILED]
        done = subprocess.run(
            [sys.executable, "-m", "mypyc", *files], cwd=work, capture_output=True, text=True
        )
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
            print(f"规则核心编译失败，将以纯Python运行（结果相同，较慢）：\n{tail}", file=sys.stderr)
            return 1 if strict else 0
        runtime = [p for p in work.glob("*__mypyc*") if p.is_file()]
        if len(runtime) != 1:
            print(f"规则核心编译结果不完整（mypyc 共享模块：{[p.name for p in runtime]}），将以纯Python运行", file=sys.stderr)
            return 1 if strict else 0
        suffix = str(native.manifest_for("")["suffix"])
        name = runtime[0].name.removesuffix(suffix)
        shutil.rmtree(native.FOLDER, ignore_errors=True)
        (native.FOLDER / "huiqi" / "core").mkdir(parents=True)
        shutil.copy2(runtime[0], native.FOLDER / runtime[0].name)
        for module in native.COMPILED:
            shutil.copy2(work / "huiqi" / "core" / f"{module}{suffix}", native.FOLDER / "huiqi" / "core" / f"{module}{suffix}")
        # the manifest is written last: a build cut short is never taken for a finished one
        # (hashes of the copy that was compiled, not of the tree, which may have changed meanwhile)
        recorded = native.manifest_for(name, package=work / "huiqi")
        manifest.write_text(json.dumps(recorded, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"规则核心编译完成（{time.monotonic() - started:.0f} 秒）：src/huiqi/_native")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--strict", action="store_true", help="a failed build is an error (exit 1)")
    return build(ap.parse_args().strict)


if __name__ == "__main__":
    raise SystemExit(main())
