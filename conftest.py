"""Collection settings for the whole suite (tests/ and the doctests under src/huiqi)."""

from __future__ import annotations

from huiqi import native

# With the compiled core loaded, huiqi.core.money etc. come from src/huiqi/_native, and
# pytest refuses to collect doctests from the .py files beside them ("import file
# mismatch"); tests/test_native.py runs those doctests on the source in a child process.
collect_ignore = [f"src/huiqi/core/{name}.py" for name in native.COMPILED] if native.compiled() else []
