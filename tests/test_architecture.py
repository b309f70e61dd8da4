"""The border of the pure core: nothing under huiqi.core imports a web,
database or dataframe library, nor any adapter of huiqi."""

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "src" / "huiqi" / "core"
FORBIDDEN = {
    "fastapi",
    "starlette",
    "uvicorn",
    "jinja2",
    "flask",
    "httpx",
    "requests",
    "sqlite3",
    "duckdb",
    "psycopg",
    "psycopg2",
    "sqlalchemy",
    "pyspark",
    "pandas",
    "polars",
    "pyarrow",
    "numpy",
    "openpyxl",
    "yaml",
}
ADAPTERS = {"huiqi.policyfile", "huiqi.cli", "huiqi.service", "huiqi.web", "huiqi.batch", "huiqi.policy_view", "huiqi.store"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_imports_no_web_database_or_dataframe_code() -> None:
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        for name in _imports(path):
            if name.split(".")[0] in FORBIDDEN or any(name == a or name.startswith(a + ".") for a in ADAPTERS):
                offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_the_border_check_sees_a_forbidden_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import duckdb\nfrom huiqi.web import app\n", encoding="utf-8")
    assert _imports(bad) == {"duckdb", "huiqi.web"}
