"""An award received (已获奖补) names an event of its enterprise and a benefit of the library, in
every reader: a 事项编号 a2 (for A2) or a 奖补项编号 wz-8-tech-renovaton was silently no reference,
and 吴中 第8条 showed 最高50万元 where 5万元 was due (第21条 就高不重复 against 45万元 received)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

openpyxl = pytest.importorskip("openpyxl")
duckdb = pytest.importorskip("duckdb")

from huiqi.batch.io_read import read_register  # noqa: E402
from huiqi.batch.io_sql import canonical_tables, validate_sql  # noqa: E402
from huiqi.cli import main  # noqa: E402
from huiqi.core.credit_code import make_credit_code  # noqa: E402
from huiqi.service import engine  # noqa: E402

A = make_credit_code("91320506MA1XA0001")
B = make_credit_code("91320506MA1XA0002")
PRIOR_HEAD = ["统一社会信用代码", "金额（元）", "年度", "层级", "政策文件", "奖补项编号", "事项编号"]
GOOD_PRIORS = [
    [A, 450000, 2025, "市级", "苏州", "", "A2"],
    [A, 100000, 2025, "区级", "吴中2025", "wz-8-tech-renovation", ""],
]
BAD_PRIORS = [
    [A, 450000, 2025, "市级", "苏州", "", "a2"],
    [A, 100000, 2025, "区级", "吴中2025", "wz-8-tech-renovaton", ""],
    [A, 30000, 2025, "市级", "苏州", "", "B1"],  # B's event, not A's
]


def sheets(priors: list[list[Any]]) -> dict[str, list[list[Any]]]:
    return {
        "企业": [
            ["统一社会信用代码", "名称", "注册地行政区划代码", "所在镇（街道、板块）", "是否工业企业"],
            [A, "甲", "320506", "木渎镇", "是"],
            [B, "乙", "320506", "木渎镇", "是"],
        ],
        "事项": [
            ["统一社会信用代码", "事项编号", "事项类型", "发生日期", "项目类别", "设备投入（元）", "项目实际总投入（元）"],
            [A, "A2", "投资项目", "2025-09-01", "企业技术改造", 4000000, 10000000],
            [B, "B1", "投资项目", "2025-09-01", "企业技术改造", 4000000, 10000000],
        ],
        "已获奖补": [PRIOR_HEAD, *priors],
    }


def register(tmp_path: Path, fmt: str, priors: list[list[Any]]) -> Path:
    """The register as a CSV folder or an Excel workbook."""
    if fmt == "xlsx":
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for name, rows in sheets(priors).items():
            ws = wb.create_sheet(name)
            for row in rows:
                ws.append(row)
        path = tmp_path / "登记表.xlsx"
        wb.save(path)
        return path
    folder = tmp_path / "登记表"
    folder.mkdir()
    for name, rows in sheets(priors).items():
        text = "\n".join(",".join(str(v) for v in row) for row in rows) + "\n"
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def batch(path: Path, engine_name: str, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    assert main(["batch", str(path), "--engine", engine_name, "--as-of", "2025-12-31", "--json", *extra]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("engine_name", ["duckdb", "reference"])
def test_a_prior_award_naming_no_event_or_benefit_is_a_rejected_row(
    tmp_path: Path, fmt: str, engine_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = batch(register(tmp_path, fmt, BAD_PRIORS), engine_name, capsys)
    assert data["rows"]["prior_awards"] == {"read": 3, "rejected": 3, "accepted": 0}
    sheet = "已获奖补"
    found = {(e["sheet"], e["row"], e["column"], e["value"]): e["expected"] for e in data["errors"]}
    assert found == {
        (sheet, 2, "事项编号", "a2"): "“事项”表中该企业没有该事项；是否为“A2”？为其他项目所获奖补请不填事项编号",
        (sheet, 3, "奖补项编号", "wz-8-tech-renovaton"): "政策库中没有该奖补项；是否为“wz-8-tech-renovation”"
        "（《吴中2025》第8条“企业技术改造项目补助”）？未注明奖补项时请不填奖补项编号",
        (sheet, 4, "事项编号", "B1"): "“事项”表中该企业没有该事项；“事项”表中该企业的事项编号：“A2”；"
        "为其他项目所获奖补请不填事项编号",
    }


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("engine_name", ["duckdb", "reference"])
def test_prior_awards_spelt_right_top_up_to_the_difference(
    tmp_path: Path, fmt: str, engine_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data = batch(register(tmp_path, fmt, GOOD_PRIORS), engine_name, capsys)
    assert data["rows"]["prior_awards"] == {"read": 2, "rejected": 0, "accepted": 2}
    assert [e for e in data["errors"] if e["sheet"].startswith("已获奖补")] == []
    assert data["total"]["max"] == "550000.00"  # A: 5万元 left of 最高50万元; B: 50万元


def test_the_problems_sheet_names_the_prior_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "结果.xlsx"
    batch(register(tmp_path, "xlsx", BAD_PRIORS), "duckdb", capsys, "--out", str(out))
    ws = openpyxl.load_workbook(out)["问题"]
    rows = list(ws.iter_rows(values_only=True))
    head = rows[0]
    problems = [dict(zip(head, r, strict=True)) for r in rows[1:]]
    (typo,) = [p for p in problems if p["值"] == "wz-8-tech-renovaton"]
    assert (typo["工作表"], typo["行"], typo["列"]) == ("已获奖补", 3, "奖补项编号")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_sql_and_python_readers_agree_on_prior_references(tmp_path: Path, fmt: str) -> None:
    """Every reader: the Python one and the SQL staging (rows SQL cannot accept go to Python, whose
    own state holds only the events that went through it)."""
    cat = engine().catalogue
    rows = [
        *GOOD_PRIORS,
        *BAD_PRIORS,
        [B, 10000, 2025, "区级", "", "wuzhong-2025-art3-device-series", "B1"],  # a once-per-key group's id
        [B, "4.5万元", 2025, "市级", "", "", "B1"],  # read by the Python validator (an amount in 万元), event known
    ]
    path = register(tmp_path, fmt, rows)
    py = read_register(path, cat)
    sql = validate_sql(path, cat, duckdb.connect())
    assert [e.message() for e in sql.register.errors] == [e.message() for e in py.errors]
    assert (py.counts["prior_awards"].read, py.counts["prior_awards"].rejected) == (7, 3)
    assert (sql.register.counts["prior_awards"].read, sql.register.counts["prior_awards"].rejected) == (7, 3)


def pg_register(dsn: str, schema: str, refs: tuple[str, str], priors: str) -> None:
    """Enterprise A with its project A2 as PostgreSQL tables, and its awards received (``priors``, the VALUES
    rows) in a table whose benefit and event columns are named ``refs``."""
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(dsn, autocommit=True) as conn:
        for stmt in (
            f"CREATE TABLE {schema}.enterprises (credit_code TEXT, name TEXT, region TEXT, town TEXT, industrial BOOLEAN)",
            f"INSERT INTO {schema}.enterprises VALUES ('{A}', '甲', '320506', '木渎镇', TRUE)",
            f"CREATE TABLE {schema}.events (credit_code TEXT, event_id TEXT, kind TEXT, date DATE, category TEXT, "
            "equipment_investment NUMERIC(16,2), total_investment NUMERIC(16,2))",
            f"INSERT INTO {schema}.events VALUES ('{A}', 'A2', 'project', '2025-09-01', '企业技术改造', 4000000, 10000000)",
            f"CREATE TABLE {schema}.prior_awards (credit_code TEXT, amount NUMERIC(16,2), year INTEGER, level TEXT, "
            f"{refs[0]} TEXT, {refs[1]} TEXT)",
            f"INSERT INTO {schema}.prior_awards VALUES {priors}",
        ):
            conn.execute(stmt.encode())


@pytest.mark.postgres
def test_a_postgresql_register_checks_prior_references_too(pg_schema: tuple[str, str]) -> None:
    dsn, schema = pg_schema
    pg_register(
        dsn,
        schema,
        ("benefit", "event"),
        f"('{A}', 450000, 2025, 'city', NULL, 'a2'), ('{A}', 100000, 2025, 'district', 'wz-8-tech-renovaton', NULL), "
        f"('{A}', 450000, 2025, 'city', NULL, 'A2'), ('{A}', 100000, 2025, 'district', 'wz-8-tech-renovation', NULL)",
    )
    cat = engine().catalogue
    py = read_register(dsn, cat, schema)
    sql = validate_sql(dsn, cat, duckdb.connect(), schema)
    assert [e.message() for e in sql.register.errors] == [e.message() for e in py.errors]
    assert [(e.row, e.column, e.value) for e in py.errors] == [(1, "event", "a2"), (2, "benefit", "wz-8-tech-renovaton")]
    assert sql.register.counts["prior_awards"].rejected == 2 and sql.rows_to_python == 2


# --- the 事项 sheet's names for the same fields (huiqi synth writes event_id) -------------------

NAMED_HEAD = ["credit_code", "amount", "year", "level", "document", "benefit_id", "event_id"]


def named(tmp_path: Path, fmt: str, head: list[str]) -> Path:
    """The good register with its 已获奖补 headed by ``head``; Parquet written from the CSV's rows."""
    path = register(tmp_path, "xlsx" if fmt == "xlsx" else "csv", [])
    if fmt == "xlsx":
        wb = openpyxl.load_workbook(path)
        ws = wb["已获奖补"]
        for row in (head, *GOOD_PRIORS):
            ws.append(row)
        ws.delete_rows(1)
        wb.save(path)
        return path
    text = "\n".join(",".join(str(v) for v in row) for row in (head, *GOOD_PRIORS)) + "\n"
    (path / "已获奖补.csv").write_text(text, encoding="utf-8")
    if fmt == "parquet":
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        opts = pacsv.ConvertOptions(column_types={"event_id": "string", "benefit_id": "string", "document": "string"})
        for name in ("企业", "事项", "已获奖补"):
            src = path / f"{name}.csv"
            pq.write_table(pacsv.read_csv(src, convert_options=opts), path / f"{name}.parquet")
            src.unlink()
    return path


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
@pytest.mark.parametrize("engine_name", ["duckdb", "reference"])
def test_event_id_and_benefit_id_name_a_prior_awards_event_and_benefit(
    tmp_path: Path, fmt: str, engine_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An event_id column of 已获奖补 was an unknown column, ignored: A's 45万元 city award for A2 was
    no award for it, and 吴中 第8条 gave A 50万元 where 5万元 was due (就高不重复)."""
    data = batch(named(tmp_path, fmt, NAMED_HEAD), engine_name, capsys)
    assert data["rows"]["prior_awards"] == {"read": 2, "rejected": 0, "accepted": 2}
    assert [e for e in data["errors"] if e["sheet"].startswith("已获奖补")] == []
    assert data["total"]["max"] == "550000.00"  # A: 5万元 left of 最高50万元; B: 50万元


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_readers_read_event_id_in_prior_awards_alike(tmp_path: Path, fmt: str) -> None:
    cat = engine().catalogue
    path = named(tmp_path, fmt, NAMED_HEAD)
    py = read_register(path, cat)
    sql = validate_sql(path, cat, duckdb.connect())
    assert [e.message() for e in sql.register.errors] == [e.message() for e in py.errors]
    assert not [e for e in py.errors if e.sheet.startswith("已获奖补")]
    for table in (py.tables["prior_awards"], canonical_tables(sql)["prior_awards"]):
        assert table.column("event").to_pylist() == ["A2", None]
        assert table.column("benefit").to_pylist() == [None, "wz-8-tech-renovation"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_misspelt_or_other_sheets_column_name_says_which_column_was_meant(tmp_path: Path, fmt: str) -> None:
    """Still a notice that rejects no row, now with the column meant: a near English name, and the
    事项 sheet's ``id`` (ambiguous in 已获奖补, so not read as the event)."""
    cat = engine().catalogue
    path = named(tmp_path, fmt, ["credit_code", "amount", "year", "level", "document", "benfit", "event_idd", "id"])
    py = read_register(path, cat)
    sql = validate_sql(path, cat, duckdb.connect())
    assert [e.message() for e in sql.register.errors] == [e.message() for e in py.errors]
    notes = {e.column: (e.expected, e.rejected) for e in py.errors if e.sheet.startswith("已获奖补")}
    assert notes == {
        "benfit": ("未知的列，已忽略本列；是否为“benefit”（奖补项编号）？", False),
        "event_idd": ("未知的列，已忽略本列；是否为“event”（事项编号）？", False),
        "id": ("未知的列，已忽略本列；是否为“event”（事项编号）？", False),
    }
    assert py.counts["prior_awards"].rejected == 0


@pytest.mark.postgres
def test_a_postgresql_prior_awards_table_with_event_id(pg_schema: tuple[str, str]) -> None:
    dsn, schema = pg_schema
    pg_register(
        dsn,
        schema,
        ("benefit_id", "event_id"),
        f"('{A}', 450000, 2025, 'city', NULL, 'A2'), ('{A}', 100000, 2025, 'district', 'wz-8-tech-renovation', NULL)",
    )
    cat = engine().catalogue
    py = read_register(dsn, cat, schema)
    sql = validate_sql(dsn, cat, duckdb.connect(), schema)
    assert [e.message() for e in sql.register.errors] == [e.message() for e in py.errors] == []
    for table in (py.tables["prior_awards"], canonical_tables(sql)["prior_awards"]):
        assert table.column("event").to_pylist() == ["A2", None]
        assert table.column("benefit").to_pylist() == [None, "wz-8-tech-renovation"]
