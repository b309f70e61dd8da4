"""Validation in SQL (huiqi.batch.io_sql) rejects the same rows with the same
messages as the Python reader, and keeps the same canonical rows."""

from __future__ import annotations

import csv
import random
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
duckdb = pytest.importorskip("duckdb")

from huiqi.batch import io_read, io_sql  # noqa: E402
from huiqi.batch.io_read import Register, RegisterError, read_register  # noqa: E402
from huiqi.core.credit_code import ALPHABET, make_credit_code, validate_credit_code  # noqa: E402
from huiqi.service import engine  # noqa: E402

from .test_io import sheets_xlsx  # noqa: E402

A = make_credit_code("91320506MA1XA0001")
B = make_credit_code("91320506MA1XA0002")
C = make_credit_code("91320412MA1XA0003")
D = make_credit_code("91320412MA1XA0004")
BAD = A[:-1] + ("0" if A[-1] != "0" else "1")
UNKNOWN = make_credit_code("91320506MA1XA0099")


def _ents() -> list[dict[str, Any]]:
    return [
        {"credit_code": A, "name": "甲", "region": "320506", "town": "木渎镇", "size": "中型", "industrial": True},
        {"credit_code": B.lower(), "name": "乙", "region": "320506", "town": "郭巷街道", "size": "小型", "industrial": None},
        {"credit_code": C, "name": "丙", "region": "320412", "town": "湖塘镇", "size": "大型", "industrial": False},
        {"credit_code": BAD, "name": "校验码错", "region": "320506", "town": None, "size": "小型", "industrial": True},
        {
            "credit_code": D,
            "name": "丁",
            "region": "320412",
            "town": "木渎镇",
            "size": "小型",
            "industrial": True,
        },  # town of another district
        {"credit_code": C, "name": "丙重复", "region": "320412", "town": None, "size": "大型", "industrial": True},
        {"credit_code": make_credit_code("91320506MA1XA0005"), "name": "戊", "region": "999999", "town": None, "size": "巨型"},
        {
            "credit_code": " " + make_credit_code("91320506MA1XA0006"),
            "name": None,
            "region": "320506",
            "town": None,
            "size": None,
        },
    ]


def _events() -> list[dict[str, Any]]:
    def ev(**kw: Any) -> dict[str, Any]:
        return {"credit_code": B, "date": date(2025, 5, 1), **kw}

    return [
        ev(event_id="E1", kind="purchase", category="机器人产品或服务", amount=Decimal("600000.00")),
        ev(event_id="E2", kind="采购", category="机器人产品或服务", amount=Decimal("-5.00")),
        ev(event_id="E3", kind="旅游"),
        ev(event_id="E4", kind="purchase", category="不存在的类别", amount=Decimal("1.00")),
        ev(event_id="E5", kind="purchase", category="机器人产品或服务", amount=Decimal("12.345")),
        ev(event_id="E6", kind="purchase", category="机器人产品或服务", amount=Decimal("1.00"), total_investment=Decimal("5.00")),
        ev(event_id="E1", kind="purchase", category="机器人产品或服务", amount=Decimal("2.00")),  # duplicate id
        ev(event_id=None, kind="purchase", category="机器人产品或服务", amount=Decimal("3.00")),
        ev(credit_code=UNKNOWN, event_id="E7", kind="purchase", category="机器人产品或服务", amount=Decimal("3.00")),
        ev(credit_code=BAD, event_id="E8", kind="purchase", category="机器人产品或服务", amount=Decimal("3.00")),
        ev(credit_code=D, event_id="E9", kind="purchase", category="机器人产品或服务", amount=Decimal("3.00")),
        ev(credit_code=None, event_id="E10", kind="purchase", category="机器人产品或服务", amount=Decimal("3.00")),
        ev(event_id="E11", kind="purchase", date=None, category="机器人产品或服务", amount=Decimal("3.00")),
        ev(event_id="E12", kind="project", total_investment=Decimal("1000000.00"), equipment_investment=Decimal("800000.00")),
        ev(event_id=" E13", kind="purchase", category="机器人产品或服务", amount=Decimal("3.00")),
        ev(credit_code=A, event_id="E1", kind="purchase", category="机器人产品或服务", amount=Decimal("7.00")),
        ev(credit_code=f" {A}", event_id="E14", kind="purchase", category="机器人产品或服务", amount=Decimal("7.00")),
        ev(credit_code=A.lower(), event_id="E15", kind="purchase", category="机器人产品或服务", amount=Decimal("7.00")),
    ]


def _write(folder: Path) -> Path:
    folder.mkdir()
    money = pa.decimal128(18, 3)
    ent_schema = pa.schema(
        [
            ("credit_code", pa.string()),
            ("name", pa.string()),
            ("region", pa.string()),
            ("town", pa.string()),
            ("size", pa.string()),
            ("industrial", pa.bool_()),
        ]
    )
    ev_schema = pa.schema(
        [
            ("credit_code", pa.string()),
            ("event_id", pa.string()),
            ("kind", pa.string()),
            ("date", pa.date32()),
            ("category", pa.string()),
            ("amount", money),
            ("total_investment", money),
            ("equipment_investment", money),
            ("nonsense", pa.string()),
        ]
    )
    pq.write_table(pa.Table.from_pylist(_ents(), schema=ent_schema), folder / "enterprises.parquet")
    pq.write_table(pa.Table.from_pylist(_events(), schema=ev_schema), folder / "events.parquet")
    quals = [
        {"credit_code": A, "title": "专精特新“小巨人”企业", "level": "国家级", "since": date(2023, 1, 1), "until": None},
        {"credit_code": A, "title": "不存在的称号", "level": None, "since": date(2023, 1, 1), "until": None},
        {"credit_code": UNKNOWN, "title": "专精特新“小巨人”企业", "level": None, "since": date(2023, 1, 1), "until": None},
        {"credit_code": B, "title": "专精特新“小巨人”企业", "level": None, "since": date(2023, 1, 1), "until": date(2022, 1, 1)},
    ]
    q_schema = pa.schema(
        [
            ("credit_code", pa.string()),
            ("title", pa.string()),
            ("level", pa.string()),
            ("since", pa.date32()),
            ("until", pa.date32()),
        ]
    )
    pq.write_table(pa.Table.from_pylist(quals, schema=q_schema), folder / "qualifications.parquet")
    priors = [
        {
            "credit_code": A,
            "amount": 100000,
            "year": 2024,
            "level": "区级",
            "document": "往年",
            "benefit": None,
            "event": None,
            "key": None,
        },
        {
            "credit_code": A,
            "amount": -1,
            "year": 2024,
            "level": "district",
            "document": None,
            "benefit": None,
            "event": None,
            "key": None,
        },
        {
            "credit_code": A,
            "amount": 1,
            "year": 1900,
            "level": "省级",
            "document": None,
            "benefit": None,
            "event": None,
            "key": None,
        },
        {
            "credit_code": BAD,
            "amount": 1,
            "year": 2024,
            "level": "乡级",
            "document": None,
            "benefit": None,
            "event": None,
            "key": None,
        },
    ]
    p_schema = pa.schema(
        [
            ("credit_code", pa.string()),
            ("amount", pa.int64()),
            ("year", pa.int32()),
            ("level", pa.string()),
            ("document", pa.string()),
            ("benefit", pa.string()),
            ("event", pa.string()),
            ("key", pa.string()),
        ]
    )
    pq.write_table(pa.Table.from_pylist(priors, schema=p_schema), folder / "prior_awards.parquet")
    return folder


def _rows(table: Any) -> list[str]:
    return sorted(map(str, table.to_pylist()))


def _assert_same(py: Register, sql: io_sql.SqlRegister) -> None:
    """Both paths: the same messages in the same order, counts and accepted rows."""
    assert [e.message() for e in sql.register.errors] == [e.message() for e in py.errors]
    assert [e.rejected for e in sql.register.errors] == [e.rejected for e in py.errors]
    for key, c in py.counts.items():
        assert (sql.register.counts[key].read, sql.register.counts[key].rejected) == (c.read, c.rejected), key
    got = io_sql.canonical_tables(sql)
    for key, table in py.tables.items():
        assert _rows(got[key].cast(table.schema)) == _rows(table), key


def test_sql_and_python_reject_the_same_rows_with_the_same_messages(tmp_path: Path) -> None:
    folder = _write(tmp_path / "bad.parquet")
    cat = engine().catalogue
    py: Register = read_register(folder, cat)
    con = duckdb.connect()
    sql = io_sql.validate_sql(folder, cat, con)
    assert len(py.errors) >= 20  # the register really is full of bad cells
    _assert_same(py, sql)
    assert py.tables["events"].num_rows >= 3  # good rows are kept on both paths


def test_clean_rows_never_reach_python(tmp_path: Path) -> None:
    folder = tmp_path / "good.parquet"
    folder.mkdir()
    ents = [e for e in _ents()[:3]]
    ents[1] = {**ents[1], "credit_code": B}
    pq.write_table(pa.Table.from_pylist(ents), folder / "enterprises.parquet")
    evs = [
        {
            "credit_code": B,
            "event_id": "E1",
            "kind": "purchase",
            "date": date(2025, 5, 1),
            "category": "机器人产品或服务",
            "amount": 600000,
        }
    ]
    pq.write_table(pa.Table.from_pylist(evs), folder / "events.parquet")
    sql = io_sql.validate_sql(folder, engine().catalogue, duckdb.connect())
    assert sql.rows_to_python == 0 and sql.register.errors == []
    assert io_sql.canonical_tables(sql)["events"].column("amount").to_pylist() == [60_000_000]


def test_credit_code_check_character_in_sql_matches_gb32100() -> None:
    rng = random.Random(7)
    codes = [make_credit_code("9132" + "".join(rng.choice(ALPHABET) for _ in range(13))) for _ in range(200)]
    codes += [c[:-1] + rng.choice(ALPHABET) for c in codes[:200]]
    codes += ["91320506MA1XA0001", "91320506MA1XA0001IX"]
    con = duckdb.connect()
    con.register("c", pa.table({"code": codes}))
    got = con.execute(f"SELECT code, {io_sql.credit_code_ok('code')} FROM c").fetchall()
    for code, ok in got:
        assert bool(ok) == (validate_credit_code(code) is None), code


def test_doubles_are_read_as_python_reads_them() -> None:
    """A float is Decimal(repr(x)) in Python; the SQL accepts it only when that has at most 10 decimals."""
    rng = random.Random(3)
    values = [round(rng.uniform(0, 1e6), rng.randint(0, 12)) for _ in range(300)] + [0.1, 1e-05, 1e16, 123456789.123, 2.5e-11]
    con = duckdb.connect()
    con.register("d", pa.table({"x": pa.array(values, pa.float64())}))
    cell = io_sql._cell("x", "DOUBLE", io_sql.FieldSpec(name="x", label="x", type="number"), None)
    got = con.execute(f"SELECT x, {cell.ok}, {cell.value} FROM d").fetchall()
    for x, ok, value in got:
        exact = Decimal(repr(x))
        exponent = exact.as_tuple().exponent
        fits = isinstance(exponent, int) and exponent >= -10
        if ok:
            assert fits and Decimal(value) == exact, x
        # not ok: the Python validator decides (no claim here)


# --- CSV registers: text cells read in SQL -------------------------------------------------

# What officers type, put into random cells of a synthetic register: blanks, padding, text
# amounts, dates in other spellings, impossible dates, too many decimals, signs, full-width
# digits, percentages, lists with other separators.
_JUNK = [
    "",
    "  ",
    "abc",
    "-5",
    "+5",
    "旅游",
    "2025/13/40",
    "12.345",
    " 12 ",
    "1,000",
    "50万元",
    "2024/1/5",
    "是",
    "否",
    "0",
    "1.5",
    "2024年3月1日",
    "9999-12-31",
    "１２",
    "100%",
    "5%",
    "0.05",
    "a,b",
    "国家级",
    "1e3",
    "007",
    "2024-02-29",
    "2023-02-29",
    ".5",
    "3.",
    "0000-01-01",
    "机器人、新兴产业",
    "机器人, 新兴产业",
    "机器人,,未来产业",
]


def _mess_up_csv(folder: Path, cells: int, seed: int) -> None:
    rng = random.Random(seed)
    for name in ("enterprises.csv", "events.csv", "qualifications.csv", "prior_awards.csv"):
        path = folder / name
        rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
        for _ in range(cells if name == "events.csv" else cells // 10):
            r, c = rng.randrange(1, len(rows)), rng.randrange(len(rows[0]))
            rows[r][c] = rng.choice(_JUNK)
        if name == "events.csv":
            rows.insert(5, [""] * len(rows[0]))  # a blank row: skipped, and counted in the row numbers
            rows[7] = rows[7][:4]  # a short row: its missing cells are blank
            rows[8] = [*rows[8], "多余"]  # a cell past the header: ignored
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerows(rows)


@pytest.mark.parametrize("messy", [False, True])
def test_csv_registers_are_validated_in_sql_as_python_validates_them(tmp_path: Path, messy: bool) -> None:
    """A folder of CSV files is validated in SQL (its text cells read there when they are
    plain: decimals, dates like 2025-09-15 or 2025/9/15, lists like a、b) with the Python
    reader's messages, row numbers, counts and rows; a clean register sends no row to Python."""
    from huiqi.batch.synth import synth

    eng = engine()
    folder = tmp_path / "reg.csv"
    synth(folder, eng.library, eng.catalogue, 400, 5, 4.0)
    if messy:
        _mess_up_csv(folder, 700, 5)
    assert io_sql.columnar_source(folder) == ("csv", str(folder))
    assert io_sql.columnar_source(folder / "events.csv") == ("csv", str(folder))
    py = read_register(folder, eng.catalogue)
    sql = io_sql.validate_sql(folder, eng.catalogue, duckdb.connect())
    _assert_same(py, sql)
    assert py.tables["events"].num_rows > 800  # most rows are good
    if messy:
        assert len(py.errors) > 300 and 0 < sql.rows_to_python < py.counts["events"].read // 2
    else:
        assert py.errors == [] and sql.rows_to_python == 0


def test_text_cells_a_csv_register_spells_in_other_ways_are_read_in_sql(tmp_path: Path) -> None:
    """Dates with slashes or 年月日, amounts in a 万元 column with decimals, integers with
    leading zeros and lists with 、 or ， are read in SQL as the Python reader reads them."""
    folder = tmp_path / "reg"
    folder.mkdir()
    (folder / "enterprises.csv").write_text(
        "统一社会信用代码,名称,注册地行政区划代码,所属产业领域,当年度产销（销售收入）（元）\n"
        f"{A},甲,320506,机器人、新兴产业,1.25\n"
        f"{C},丙,320412,具身智能机器人，机器人,300\n",
        encoding="utf-8",
    )
    (folder / "events.csv").write_text(
        "统一社会信用代码,事项编号,事项类型,发生日期,采购类别,采购金额（万元）,服务企业数,连接设备数（万台）\n"
        f"{A},B1,采购,2025/9/1,机器人产品或服务,80.5,,\n"
        f"{C},B2,purchase,2025年9月2日,机器人产品或服务,0.000001,,\n"
        f"{C},P1,platform,2025.9.3,,,007,1.5\n",
        encoding="utf-8",
    )
    (folder / "qualifications.csv").write_text(
        "统一社会信用代码,资质名称,级别,获得日期,有效期至\n"
        f"{A},智能制造示范工厂,省级,2024/9/1,2027年8月31日\n"
        f"{C},智能制造示范工厂,省级,2025年9月1日,2025-03-01\n",  # ends before it starts: rejected
        encoding="utf-8",
    )
    cat = engine().catalogue
    sql = io_sql.validate_sql(folder, cat, duckdb.connect())
    py = read_register(folder, cat)
    assert [e.message() for e in sql.register.errors] == [e.message() for e in py.errors]
    ((row, problem),) = [(e.row, e.expected) for e in py.errors]
    assert row == 3 and problem == "有效期至早于获得日期"
    assert sql.rows_to_python == 1  # that row, so that Python says why
    got = io_sql.canonical_tables(sql)
    for key, table in py.tables.items():
        assert _rows(got[key].cast(table.schema)) == _rows(table), key
    events = {r["event_id"]: r for r in py.tables["events"].to_pylist()}
    assert events["B1"]["amount"] == 80_500_000 and events["B2"]["amount"] == 1
    assert events["B2"]["date"] == date(2025, 9, 2) and events["P1"]["served_enterprises"] == 7
    assert events["P1"]["connected_devices"] == Decimal("1.5")
    first = py.tables["enterprises"].to_pylist()[0]
    assert first["sectors"] == ["机器人", "新兴产业"] and first["annual_sales"] == 125


def test_a_number_past_its_columns_type_is_reported_not_a_crash(tmp_path: Path) -> None:
    """A year of 10^16 is digits SQL reads as a BIGINT but no INTEGER: it is rejected with the
    Python reader's message (it stopped the run with a DuckDB conversion error)."""
    folder = tmp_path / "reg"
    folder.mkdir()
    (folder / "enterprises.csv").write_text(f"credit_code,name,region\n{A},甲,320506\n", encoding="utf-8")
    (folder / "prior_awards.csv").write_text(
        f"credit_code,amount,year,level\n{A},100,10000000000000000,区级\n{A},100,2024,区级\n", encoding="utf-8"
    )
    typed = tmp_path / "reg.parquet"  # the same as a typed column
    typed.mkdir()
    pq.write_table(pa.table({"credit_code": [A], "name": ["甲"], "region": ["320506"]}), typed / "enterprises.parquet")
    awards = {"credit_code": [A, A], "amount": [100, 100], "year": [10**16, 2024], "level": ["区级", "区级"]}
    pq.write_table(pa.table(awards), typed / "prior_awards.parquet")
    cat = engine().catalogue
    for reg, row, value in ((folder, 2, "10000000000000000"), (typed, 1, 10**16)):
        py = read_register(reg, cat)
        sql = io_sql.validate_sql(reg, cat, duckdb.connect())
        _assert_same(py, sql)
        rejected = [(e.row, e.value, e.expected) for e in sql.register.errors if e.rejected]  # (and: no events table)
        assert rejected == [(row, value, "不能大于2100")]
        assert io_sql.canonical_tables(sql)["prior_awards"].column("year").to_pylist() == [2024]


def test_amounts_and_numbers_past_the_registers_columns_are_reported(tmp_path: Path) -> None:
    """Fen past 64 bits, integers past 64 bits and numbers of more than 28 digits are bad cells
    (they stopped the Python reader, and so the SQL path's rows sent to it, with an OverflowError)."""
    header = ["统一社会信用代码", "事项编号", "事项类型", "发生日期", "采购类别", "采购金额（万元）"]
    events = [
        [A, "E1", "采购", date(2025, 9, 1), "机器人产品或服务", 123456789012345678],
        [A, "E2", "采购", date(2025, 9, 1), "机器人产品或服务", "92233720368547758.08元"],  # 2^63 fen
        [A, "E3", "采购", date(2025, 9, 1), "机器人产品或服务", "92233720368547758.07元"],  # 2^63 - 1 fen: kept
    ]
    sheets = {"企业": [["统一社会信用代码", "名称", "注册地行政区划代码"], [A, "甲", "320506"]], "事项": [header, *events]}
    path = sheets_xlsx(tmp_path / "大数.xlsx", sheets)
    cat = engine().catalogue
    py = read_register(path, cat)
    sql = io_sql.validate_sql(path, cat, duckdb.connect())
    _assert_same(py, sql)
    assert [(e.row, e.expected) for e in py.errors] == [(2, "金额过大"), (3, "金额过大")]
    assert py.tables["events"].column("amount").to_pylist() == [2**63 - 1]
    with pytest.raises(ValueError, match="数值过大"):
        io_read._check(io_sql.FieldSpec(name="x", label="x", type="number"), "1" + "0" * 28, None, None)
    with pytest.raises(ValueError, match="数值过大"):
        io_read._check(io_sql.FieldSpec(name="x", label="x", type="integer"), 2**63, None, None)


def test_parquet_columns_sql_cannot_read_as_python_does(tmp_path: Path) -> None:
    """Amounts with more than 10 decimals (1E-20 is no whole fen, but DECIMAL(38,10) makes it 0),
    30-digit amounts (past DECIMAL(38,10): a DuckDB conversion error), infinite and NaN floats
    (an OverflowError, an English message) are reported as Python reports them; a duration
    column (DuckDB reads its count, pyarrow a timedelta) refuses the file on both paths."""
    folder = tmp_path / "reg"
    folder.mkdir()
    pq.write_table(pa.table({"credit_code": [A], "name": ["甲"], "region": ["320506"]}), folder / "enterprises.parquet")
    n = 6
    events = {
        "credit_code": [A] * n,
        "event_id": [f"E{i}" for i in range(n)],
        "kind": ["purchase"] * n,
        "date": [date(2025, 9, 1)] * n,
        "category": ["机器人产品或服务"] * n,
    }
    amounts = {
        "fine": pa.array([Decimal("1.5"), Decimal("1E-20"), Decimal("2"), None, None, None], pa.decimal128(38, 20)),
        "huge": pa.array([Decimal("9" * 30), Decimal(1), None, None, None, None], pa.decimal128(38, 0)),
        "floats": pa.array([float("inf"), float("nan"), float("-inf"), 1.25, -0.0, None], pa.float64()),
    }
    cat = engine().catalogue
    for name, amount in amounts.items():
        pq.write_table(pa.table({**events, "amount": amount}), folder / "events.parquet")
        py = read_register(folder, cat)
        sql = io_sql.validate_sql(folder, cat, duckdb.connect())
        _assert_same(py, sql)
        assert py.errors, name
    pq.write_table(pa.table({**events, "amount": pa.array([1000] * n, pa.duration("s"))}), folder / "events.parquet")
    for read in (lambda: read_register(folder, cat), lambda: io_sql.validate_sql(folder, cat, duckdb.connect())):
        with pytest.raises(RegisterError, match="“amount”列是时长"):
            read()


def test_dates_python_cannot_hold_are_bad_cells_on_both_paths(tmp_path: Path) -> None:
    """A Parquet date in year 10183 or before year 1, and DuckDB's infinite dates and timestamps:
    the Python reader stopped with an OverflowError, and SQL accepted the Parquet dates."""
    folder = tmp_path / "reg"
    folder.mkdir()
    pq.write_table(pa.table({"credit_code": [A], "name": ["甲"], "region": ["320506"]}), folder / "enterprises.parquet")
    days = pa.array([3_000_000, -800_000, 20_332], pa.date32())  # 20,332: 2025-09-01, kept
    events = {"credit_code": [A] * 3, "event_id": ["E1", "E2", "E3"], "kind": ["purchase"] * 3, "date": days}
    events |= {"category": ["机器人产品或服务"] * 3, "amount": [600000] * 3}
    pq.write_table(pa.table(events), folder / "events.parquet")
    db = tmp_path / "reg.duckdb"
    con = duckdb.connect(str(db))
    con.execute(f"CREATE TABLE enterprises AS SELECT '{A}' AS credit_code, '甲' AS name, '320506' AS region")
    con.execute(
        f"CREATE TABLE events AS SELECT '{A}' AS credit_code, 'E' || i AS event_id, 'purchase' AS kind, "
        "[DATE 'infinity', DATE '-infinity', DATE '2025-09-01'][i] AS date, '机器人产品或服务' AS category, 600000 AS amount "
        "FROM range(1, 4) t(i)"
    )
    con.close()
    cat = engine().catalogue
    for reg in (folder, db):
        py = read_register(reg, cat)
        sql = io_sql.validate_sql(reg, cat, duckdb.connect())
        _assert_same(py, sql)
        assert [(e.row, e.column) for e in py.errors] == [(1, "date"), (2, "date")]
        assert all("不是有效日期" in e.expected for e in py.errors)
        assert py.tables["events"].column("date").to_pylist() == [date(2025, 9, 1)]


def test_parquet_timestamps_are_dated_in_their_own_time_zone_on_both_paths(tmp_path: Path) -> None:
    """00:30 on 2025-05-01 in Beijing (the day 吴中2025 takes effect) is 16:30 UTC the day
    before: the event is dated 2025-05-01, as the Python reader dates it, and read in SQL
    (the compiled engine dated it in UTC, and granted 5 awards where the reference granted 22).
    Timestamps without a zone are dated as they read; a zone no one knows refuses the file."""
    from datetime import timedelta, timezone
    from zoneinfo import ZoneInfo

    folder = tmp_path / "reg"
    folder.mkdir()
    pq.write_table(pa.table({"credit_code": [A], "name": ["甲"], "region": ["320506"]}), folder / "enterprises.parquet")
    at = datetime(2025, 5, 1, 0, 30)
    kinds = {
        "Asia/Shanghai": pa.array([at.replace(tzinfo=ZoneInfo("Asia/Shanghai"))] * 2, pa.timestamp("us", tz="Asia/Shanghai")),
        "+08:00": pa.array([at.replace(tzinfo=timezone(timedelta(hours=8)))] * 2, pa.timestamp("ms", tz="+08:00")),
        "-05:30": pa.array([at.replace(tzinfo=timezone(-timedelta(hours=5, minutes=30)))] * 2, pa.timestamp("s", tz="-05:30")),
        "naive": pa.array([at] * 2, pa.timestamp("ns")),
    }
    cat = engine().catalogue
    for name, stamps in kinds.items():
        events = {"credit_code": [A] * 2, "event_id": ["E1", "E2"], "kind": ["purchase"] * 2, "date": stamps}
        pq.write_table(
            pa.table({**events, "category": ["机器人产品或服务"] * 2, "amount": [600000] * 2}), folder / "events.parquet"
        )
        since = pa.array([stamps[0].as_py()], stamps.type)
        quals = {"credit_code": [A], "title": ["高新技术企业"], "level": ["国家级"], "since": since}
        pq.write_table(pa.table(quals), folder / "qualifications.parquet")
        py = read_register(folder, cat)
        sql = io_sql.validate_sql(folder, cat, duckdb.connect())
        _assert_same(py, sql)
        assert py.errors == [] and sql.rows_to_python == 0, name
        assert py.tables["events"].column("date").to_pylist() == [date(2025, 5, 1)] * 2, name
        assert py.tables["qualifications"].column("since").to_pylist() == [date(2025, 5, 1)], name
    stamps = pa.array([datetime(2025, 5, 1)] * 2, pa.timestamp("us", tz="Mars/Olympus"))
    events = {"credit_code": [A] * 2, "event_id": ["E1", "E2"], "kind": ["purchase"] * 2, "date": stamps}
    pq.write_table(pa.table({**events, "category": ["机器人产品或服务"] * 2, "amount": [1] * 2}), folder / "events.parquet")
    for read in (lambda: read_register(folder, cat), lambda: io_sql.validate_sql(folder, cat, duckdb.connect())):
        with pytest.raises(RegisterError, match="时区“Mars/Olympus”无法识别"):
            read()


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_enterprises_sheet_without_the_credit_code_column_is_refused_with_a_reason(tmp_path: Path, fmt: str) -> None:
    """A sheet whose header names no credit-code column (here a title with the header far below it, or
    in a CSV file under a title row) is refused, saying where the header must be (it stopped with an
    AssertionError). An Excel header just below a title is found (test_io)."""
    import openpyxl

    rows = (
        [["2025年度企业名单", None, None], *[[f"第{i}行说明"] for i in range(11)]]
        if fmt == "xlsx"
        else [["2025年度企业名单", None, None]]
    )
    rows += [["统一社会信用代码", "名称", "注册地行政区划代码"], [A, "甲", "320506"]]
    said = "，或在标题下的前10行内" if fmt == "xlsx" else ""
    if fmt == "xlsx":
        path = tmp_path / "登记表.xlsx"
        wb = openpyxl.Workbook()
        wb.active.title = "企业"
        for r in rows:
            wb.active.append(r)
        wb.save(path)
    else:
        path = tmp_path / "reg"
        path.mkdir()
        (path / "企业.csv").write_text("\n".join(",".join(str(c or "") for c in r) for r in rows) + "\n", encoding="utf-8")
    cat = engine().catalogue
    for read in (lambda: read_register(path, cat), lambda: io_sql.validate_sql(path, cat, duckdb.connect())):
        with pytest.raises(
            RegisterError, match=rf"找不到必填列“统一社会信用代码”.*（现有列：2025年度企业名单；表头须在第1行{said}）"
        ):
            read()


@pytest.mark.parametrize(
    ("sheet", "column", "header"),
    [
        ("enterprises", "region", "注册地行政区划代码"),
        ("events", "date", "发生日期"),
        ("qualifications", "title", "资质名称"),
    ],
)
def test_a_sheet_without_a_required_column_is_refused_on_both_paths(tmp_path: Path, sheet: str, column: str, header: str) -> None:
    """No row of a sheet without a required column could be valid: the register is refused,
    naming the column (the enterprises' region missing, the compiled engine said "50 valid
    enterprises" that earned nothing, and the reference engine stopped with a TypeError)."""
    from huiqi.batch.synth import synth

    eng = engine()
    folder = tmp_path / "reg.parquet"
    synth(folder, eng.library, eng.catalogue, 20, 3, 4.0)
    path = folder / f"{sheet}.parquet"
    pq.write_table(pq.read_table(path).drop_columns([column]), path)
    for read in (
        lambda: read_register(folder, eng.catalogue),
        lambda: io_sql.validate_sql(folder, eng.catalogue, duckdb.connect()),
    ):
        with pytest.raises(RegisterError, match=f"{sheet}.parquet［.*］：找不到必填列“{header}”（{column}），无法读取本表"):
            read()


def test_two_tables_for_one_sheet_refuse_the_register_and_names_are_read_in_any_case(tmp_path: Path) -> None:
    """events.csv beside 事项.csv (or tables events and 事项 in a DuckDB file): one of them was
    read and the other dropped without a word; now the register is refused, naming both.
    Events.CSV is the events file, as Windows writes it (it was not read at all)."""
    from huiqi.batch.synth import synth

    eng = engine()
    cat = eng.catalogue
    folder = tmp_path / "reg.csv"
    synth(folder, eng.library, cat, 10, 3, 4.0)
    both = (lambda: read_register(folder, cat), lambda: io_sql.validate_sql(folder, cat, duckdb.connect()))
    expected = read_register(folder, cat).counts["events"].read
    (folder / "events.csv").rename(folder / "Events.CSV")
    for read in both:
        reg = read()
        assert (reg if isinstance(reg, Register) else reg.register).counts["events"].read == expected
    (folder / "事项.csv").write_bytes((folder / "Events.CSV").read_bytes())
    for read in both:
        with pytest.raises(RegisterError, match=r"事项表有2个文件（Events.CSV、事项.csv）；每张表只能有一个文件"):
            read()
    db = tmp_path / "reg.duckdb"
    synth(db, eng.library, cat, 10, 3, 4.0)
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE 事项 AS SELECT * FROM events LIMIT 3")
    con.close()
    for read in (lambda: read_register(db, cat), lambda: io_sql.validate_sql(db, cat, duckdb.connect())):
        with pytest.raises(RegisterError, match=r"事项表有两张（事项、events）"):
            read()


def test_sheet_names_are_read_in_any_case_with_spaces_and_two_sheets_for_one_table_refuse_the_workbook(tmp_path: Path) -> None:
    """A sheet named "事项 " stopped both engines with a StopIteration; " Events " is the events
    sheet too. Sheets 事项 and events side by side: one was read, the other dropped unsaid."""
    import openpyxl

    from huiqi.batch.synth import synth

    eng = engine()
    cat = eng.catalogue
    path = tmp_path / "登记表.xlsx"
    synth(path, eng.library, cat, 10, 3, 4.0)
    expected = read_register(path, cat).counts["events"].read
    wb = openpyxl.load_workbook(path)
    wb["事项"].title = " Events "
    wb.save(path)
    both = (lambda: read_register(path, cat), lambda: io_sql.validate_sql(path, cat, duckdb.connect()))
    for read in both:
        reg = read()
        assert (reg if isinstance(reg, Register) else reg.register).counts["events"].read == expected
    wb.copy_worksheet(wb[" Events "]).title = "事项"
    wb.save(path)
    for read in both:
        with pytest.raises(RegisterError, match="事项表有2个工作表（“事项”、“ Events ”）"):
            read()


def test_a_duckdb_register_whose_events_are_a_view_is_read_in_sql(tmp_path: Path) -> None:
    """Views have no rowid: the compiled engine stopped with DuckDB's BinderException."""
    from huiqi.batch.synth import synth

    eng = engine()
    db = tmp_path / "reg.duckdb"
    synth(db, eng.library, eng.catalogue, 10, 3, 4.0)
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE ev2 AS SELECT * FROM events; DROP TABLE events; CREATE VIEW events AS SELECT * FROM ev2")
    con.close()
    py = read_register(db, eng.catalogue)
    sql = io_sql.validate_sql(db, eng.catalogue, duckdb.connect())
    _assert_same(py, sql)
    assert py.tables["events"].num_rows > 20 and sql.rows_to_python == 0


def test_csv_values_past_the_header_reject_their_row_on_both_paths(tmp_path: Path) -> None:
    """An amount written 1,000,000 without quotes reads as three values: the row used to be
    read with 1 in the amount and the rest dropped without a word. Now a row with values past
    the header is rejected, showing them; blank ones (trailing commas) are no values."""
    folder = tmp_path / "reg"
    folder.mkdir()
    (folder / "enterprises.csv").write_text(
        f"credit_code,name,region\n{A},甲,320506,,\n{B},乙,320506,注释\n{C},丙,320412\n", encoding="utf-8"
    )
    (folder / "events.csv").write_text(
        "credit_code,event_id,kind,date,category,amount\n"
        f"{A},E1,purchase,2025-06-30,机器人产品或服务,1,000,000\n"
        f'{A},E2,purchase,2025-06-30,机器人产品或服务,"1,000,000"\n'
        f"{C},E3,purchase,2025-06-30,机器人产品或服务,600000, \n",
        encoding="utf-8",
    )
    cat = engine().catalogue
    py = read_register(folder, cat)
    sql = io_sql.validate_sql(folder, cat, duckdb.connect())
    _assert_same(py, sql)
    assert [(e.file, e.row, e.value) for e in py.errors] == [("enterprises.csv", 3, "注释"), ("events.csv", 2, "000,000")]
    assert all(e.expected == io_read.EXTRA_CELLS and e.rejected for e in py.errors)
    assert py.tables["events"].column("amount").to_pylist() == [100_000_000, 60_000_000]  # E2 and E3, in fen


def test_files_that_are_not_parquet_or_duckdb_are_refused_in_chinese_on_both_paths(tmp_path: Path) -> None:
    """DuckDB's and pyarrow's English (with the query echoed: LINE 1: SELECT * FROM read_parquet…) became a reason in Chinese."""
    cat = engine().catalogue
    folder = tmp_path / "reg"
    folder.mkdir()
    db = tmp_path / "reg.duckdb"
    db.write_bytes(b"not a database at all" * 10)
    cases = [(b"", "不是有效的Parquet文件"), (b"PAR1 then nothing", "不是有效的Parquet文件")]
    for content, words in cases:
        (folder / "enterprises.parquet").write_bytes(content)
        for read in (lambda: read_register(folder, cat), lambda: io_sql.validate_sql(folder, cat, duckdb.connect())):
            with pytest.raises(RegisterError, match=f"^无法读取Parquet文件.*enterprises.parquet：{words}") as info:
                read()
            assert "LINE 1" not in str(info.value)
    for read in (lambda: read_register(db, cat), lambda: io_sql.validate_sql(db, cat, duckdb.connect())):
        with pytest.raises(RegisterError, match=r"^无法读取DuckDB文件.*reg\.duckdb：不是DuckDB数据库文件"):
            read()


@pytest.mark.parametrize("block", [7, 1 << 20])
def test_a_csv_file_in_no_known_encoding_is_refused_with_the_line_of_its_first_bad_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """A UTF-8 file with one stray byte (0xFF: no GB18030 either) on line 3 said only 无法识别文件编码;
    it now names the line and the byte, wherever the byte falls in the blocks the file is read in."""
    monkeypatch.setattr(io_read, "_CSV_BLOCK", block)
    folder = tmp_path / "reg"
    folder.mkdir()
    head = f"统一社会信用代码,名称,注册地行政区划代码\n{A},甲,320506\n".encode()
    (folder / "enterprises.csv").write_bytes(head + f"{B},乙".encode() + b"\xff,320506\n")
    offset = len(head) + len(f"{B},乙".encode()) + 1
    cat = engine().catalogue
    for read in (lambda: read_register(folder, cat), lambda: io_sql.validate_sql(folder, cat, duckdb.connect())):
        io_read._SEEN.clear()
        with pytest.raises(
            RegisterError, match=f"无法识别文件编码（应为UTF-8或GB18030）；第3行有不是UTF-8的字节（文件第{offset}个字节：0xFF）"
        ):
            read()


def test_a_parquet_column_named_twice_is_the_same_notice_on_both_paths(tmp_path: Path) -> None:
    """DuckDB names the second "amount" amount_1, which the SQL path reported as an unknown column."""
    folder = tmp_path / "reg"
    folder.mkdir()
    pq.write_table(pa.table({"credit_code": [A], "name": ["甲"], "region": ["320506"]}), folder / "enterprises.parquet")
    names = ["credit_code", "event_id", "kind", "date", "category", "amount", "amount"]
    values = [[A], ["E1"], ["purchase"], [date(2025, 6, 30)], ["机器人产品或服务"], [600000], [1]]
    pq.write_table(pa.Table.from_arrays([pa.array(v) for v in values], names=names), folder / "events.parquet")
    cat = engine().catalogue
    py = read_register(folder, cat)
    sql = io_sql.validate_sql(folder, cat, duckdb.connect())
    _assert_same(py, sql)
    assert [(e.column, e.expected) for e in py.errors] == [("amount", "与前面的列重复，已忽略本列")]
    assert py.tables["events"].column("amount").to_pylist() == [60_000_000]


def test_a_date_that_is_no_day_is_shown_as_written_on_both_paths(tmp_path: Path) -> None:
    """2025/02/30 and 2025年2月30日 were both reported as “2025-02-30”: the officer could not find the cell."""
    folder = tmp_path / "reg"
    folder.mkdir()
    (folder / "enterprises.csv").write_text(f"credit_code,name,region\n{A},甲,320506\n", encoding="utf-8")
    spelled = ["2025/02/30", "2025年2月30日", "2025.2.30", "2025/2/3"]
    rows = "".join(f"{A},E{i},purchase,{d},机器人产品或服务,600000\n" for i, d in enumerate(spelled))
    (folder / "events.csv").write_text("credit_code,event_id,kind,date,category,amount\n" + rows, encoding="utf-8")
    cat = engine().catalogue
    py = read_register(folder, cat)
    sql = io_sql.validate_sql(folder, cat, duckdb.connect())
    _assert_same(py, sql)
    assert [e.value for e in py.errors] == spelled[:3]
    assert py.tables["events"].column("date").to_pylist() == [date(2025, 2, 3)]


def test_a_null_item_in_a_parquet_list_is_no_item_on_both_paths(tmp_path: Path) -> None:
    """["机器人", null] was refused as “None”不是可选项; a null item is none, as an empty one in 机器人,,新兴产业."""
    folder = tmp_path / "reg"
    folder.mkdir()
    sectors = pa.array([["机器人", None], [None], ["新兴产业"]], pa.list_(pa.string()))
    ents = pa.table(
        {"credit_code": [A, B, C], "name": ["甲", "乙", "丙"], "region": ["320506", "320506", "320412"], "sectors": sectors}
    )
    pq.write_table(ents, folder / "enterprises.parquet")
    cat = engine().catalogue
    py = read_register(folder, cat)
    sql = io_sql.validate_sql(folder, cat, duckdb.connect())
    _assert_same(py, sql)
    assert [e.sheet for e in py.errors] == ["事项"]  # no events table (said); nothing about the nulls
    assert py.tables["enterprises"].column("sectors").to_pylist() == [["机器人"], [], ["新兴产业"]]


def test_a_gb18030_csv_with_a_byte_order_mark_is_read_on_both_paths(tmp_path: Path) -> None:
    """The mark (84 31 95 33) read as U+FEFF before the first header: the Python reader (the web's, for
    small uploads) found no 统一社会信用代码 column while Arrow's read the file."""
    folder = tmp_path / "reg"
    folder.mkdir()
    text = f'\ufeff"统一社会信用代码","名称","注册地行政区划代码"\n"{A}","甲","320506"\n{B},乙,320506\n'
    (folder / "企业.csv").write_bytes(text.encode("gb18030"))
    cat = engine().catalogue
    py = read_register(folder, cat)
    sql = io_sql.validate_sql(folder, cat, duckdb.connect())
    _assert_same(py, sql)
    # the only notice: no events table, in this register of enterprises alone
    assert [e.expected[:5] for e in py.errors] == ["没有事项表"]
    assert py.tables["enterprises"].column("name").to_pylist() == ["甲", "乙"]


def test_the_empty_template_is_refused_on_both_paths(tmp_path: Path) -> None:
    """A register without an enterprise row ran to "完成" with every count 0 and nothing said."""
    from huiqi.batch.template import write_template

    cat = engine().catalogue
    path = write_template(tmp_path / "模板.xlsx", cat)
    for read in (lambda: read_register(path, cat), lambda: io_sql.validate_sql(path, cat, duckdb.connect())):
        with pytest.raises(RegisterError, match="企业表没有数据行"):
            read()


def test_any_csv_header_is_read_in_sql_with_the_python_readers_notices(tmp_path: Path) -> None:
    """Columns are staged by position, so a header DuckDB could not name columns by (a blank
    name, a name twice, two names that differ only in case, a name of huiqi's own) is read in
    SQL too, with the Python reader's notices (unknown column, repeated column)."""
    folder = tmp_path / "reg"
    folder.mkdir()
    (folder / "enterprises.csv").write_text(
        f"统一社会信用代码,名称,注册地行政区划代码,,Remark,remark,名称,hq_row,\n{A},甲,320506,x,y,z,乙,1,\n{C},丙,320412,,,,,,\n",
        encoding="utf-8",
    )
    assert io_sql.columnar_source(folder) == ("csv", str(folder))
    cat = engine().catalogue
    sql = io_sql.validate_sql(folder, cat, duckdb.connect())
    py = read_register(folder, cat)
    _assert_same(py, sql)
    notes = [(e.column, e.expected.split("，")[0]) for e in py.errors]
    assert notes[:4] == [("Remark", "未知的列"), ("remark", "未知的列"), ("名称", "与前面的列重复"), ("hq_row", "未知的列")]
    assert [e.sheet for e in py.errors[4:]] == ["事项"]  # no events table: said
    assert sql.rows_to_python == 0 and py.tables["enterprises"].column("name").to_pylist() == ["甲", "丙"]


# --- Excel registers: typed cells staged as text ---------------------------------------------

# What an officer's workbook holds besides text: numbers where text belongs and the reverse,
# dates as dates, as text and as numbers (20250301, Excel's serial 45000), booleans, floats
# with many or few digits, whole floats past 2^53, padded text.
_XLSX_JUNK: list[Any] = [
    *_JUNK,
    5,
    -5,
    0,
    1,
    2,
    20250301,
    45000,
    12.5,
    12.345,
    0.1,
    1e-05,
    2.5e-11,
    1e16,
    80.5,
    True,
    False,
    datetime(2025, 9, 1),
    datetime(2025, 9, 1, 13, 30),
    datetime(1899, 12, 31),
    "  甲  ",
    "\u3000320506\u3000",
]


def _mess_up_xlsx(path: Path, cells: int, seed: int, error_cell: bool) -> None:
    import openpyxl

    rng = random.Random(seed)
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        rows, cols = ws.max_row, ws.max_column
        for _ in range(cells if ws.title == "事项" else cells // 10):
            ws.cell(rng.randrange(2, rows + 1), rng.randrange(1, cols + 1)).value = rng.choice(_XLSX_JUNK)
    ev = wb["事项"]
    header = [c.value for c in ev[1]]
    at = {h: i + 1 for i, h in enumerate(header)}
    date_col = next(i for h, i in at.items() if "日期" in str(h))
    ev.cell(3, date_col).value = 20250301  # a number in a date column: Python refuses it, its text would read as a date
    ev.cell(4, date_col).value = 45000.0
    ev.cell(5, date_col).value = datetime(2025, 3, 1, 18, 45)  # a time of day: the date is kept
    ev.cell(6, 2).value = 1e16  # a whole float past 2^53 in the event id (text) column
    ev.cell(7, 2).value = 12.345
    for sheet in (ev, wb["企业"]):  # amounts with cents and fractions of 万: floats the rows keep
        heads = [str(c.value) for c in sheet[1]]
        for r in range(20, 60):
            for c, h in enumerate(heads, start=1):
                cell = sheet.cell(r, c)
                if type(cell.value) is int and ("元）" in h or "（万" in h):
                    cell.value += 0.25 if "（元）" in h else 0.5
    ent = wb["企业"]
    name_col = [str(c.value) for c in ent[1]].index("名称") + 1
    for r in range(2, ent.max_row + 1):  # a column of text only, every cell padded: stripped in SQL as in Python
        v = ent.cell(r, name_col).value
        ent.cell(r, name_col).value = f"  {v if v is not None else '某公司'}\u3000"
    ev.insert_rows(9)  # a blank row: skipped, and counted in the row numbers
    ev.cell(10, 1).value = "   "  # a row of blanks and spaces: skipped too
    ev.cell(11, ev.max_column + 2).value = "表外"  # a cell past the header: the row is read
    for r in range(12, 16):
        ev.cell(r, ev.max_column).value = None
    if error_cell:
        ev.cell(16, 3).value = "#DIV/0!"  # an error value: the workbook is read by openpyxl
    wb.save(path)


# openpyxl (the error cell's reader) says so of 20250301 in a date-formatted cell, and reads it as an error
@pytest.mark.filterwarnings("ignore:Cell .* is marked as a date:UserWarning")
@pytest.mark.parametrize(("messy", "error_cell"), [(False, False), (True, False), (True, True)])
def test_excel_registers_are_validated_in_sql_as_python_validates_them(tmp_path: Path, messy: bool, error_cell: bool) -> None:
    """A workbook is staged as text, each cell as the Python validator reads it for its column,
    and validated in SQL: the same problems (values as the cells hold them: 5, not "5"), row
    numbers, counts and rows as the Python reader gives, with calamine or openpyxl reading it."""
    from huiqi.batch.synth import synth

    eng = engine()
    path = tmp_path / "登记表.xlsx"
    synth(path, eng.library, eng.catalogue, 300, 5, 4.0)
    if messy:
        _mess_up_xlsx(path, 300, 5, error_cell)
    assert io_sql.columnar_source(path) == ("xlsx", str(path))
    py = read_register(path, eng.catalogue)
    sql = io_sql.validate_sql(path, eng.catalogue, duckdb.connect())
    _assert_same(py, sql)
    assert [e.to_dict() for e in sql.register.errors] == [e.to_dict() for e in py.errors]
    assert py.tables["events"].num_rows > 600  # most rows are good
    if messy:
        assert len(py.errors) > 200 and 0 < sql.rows_to_python < py.counts["events"].read // 2
        values = {type(e.value) for e in py.errors}
        assert {int, float, str} <= values  # typed cells are reported as typed
        kept = [v for t in py.tables.values() for c in t.columns for v in c.to_pylist()]
        assert any(type(v) is int and v % 100 == 25 for v in kept)  # 0.25元 kept as fen
        if error_cell:
            assert any(e.value == "#DIV/0!" for e in py.errors)
    else:
        assert py.errors == [] and sql.rows_to_python == 0
