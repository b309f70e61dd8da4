"""Reading registers: every format gives the same canonical tables; bad rows are
reported with file, sheet, row, column, value and expectation, and good rows go on."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pa = pytest.importorskip("pyarrow")
openpyxl = pytest.importorskip("openpyxl")
duckdb = pytest.importorskip("duckdb")

from huiqi.batch.io_read import Register, layout, read_register  # noqa: E402
from huiqi.batch.io_sql import SqlRegister, canonical_tables, validate_sql  # noqa: E402
from huiqi.core.credit_code import make_credit_code  # noqa: E402
from huiqi.service import InputError, engine  # noqa: E402

A = make_credit_code("91320506MA1XA0001")
B = make_credit_code("91320506MA1XA0002")
C = make_credit_code("91320412MA1XA0003")
A3 = make_credit_code("91320506MA1XA0003")  # a third enterprise of 吴中

# One register as Python data: enterprise rows and event rows with English field
# names, money in 元 (as Decimal so that typed databases can hold it).
ENTERPRISES: list[dict[str, Any]] = [
    {
        "credit_code": A,
        "name": "苏州甲精密有限公司",
        "kind": "企业",
        "region": "320506",
        "town": "木渎镇",
        "size": "中型",
        "industrial": True,
    },
    {
        "credit_code": B,
        "name": "苏州乙机器人有限公司",
        "kind": "企业",
        "region": "320506",
        "town": "郭巷街道",
        "size": "小型",
        "industrial": True,
    },
    {
        "credit_code": C,
        "name": "常州丙智能装备有限公司",
        "kind": "企业",
        "region": "320412",
        "town": "湖塘镇",
        "size": "大型",
        "industrial": False,
    },
]
EVENTS: list[dict[str, Any]] = [
    {
        "credit_code": A,
        "event_id": "P1",
        "kind": "project",
        "date": date(2025, 9, 15),
        "category": "智能化改造",
        "total_investment": Decimal("12000000"),
        "equipment_investment": Decimal("9000000"),
        "smart_investment": Decimal("7000000"),
        "annual_investment": Decimal("12000000"),
    },
    {
        "credit_code": A,
        "event_id": "B1",
        "kind": "purchase",
        "date": date(2025, 10, 8),
        "category": "机器人产品或服务",
        "amount": Decimal("800000.50"),
        "related_party": False,
    },
    {
        "credit_code": B,
        "event_id": "B2",
        "kind": "purchase",
        "date": date(2025, 11, 1),
        "category": "机器人产品或服务",
        "amount": Decimal("500000"),
        "related_party": False,
    },
    {
        "credit_code": C,
        "event_id": "P2",
        "kind": "project",
        "date": date(2024, 6, 1),
        "category": "智能化改造",
        "total_investment": Decimal("30000000"),
        "equipment_investment": Decimal("20000000"),
        "smart_investment": Decimal("20000000"),
        "annual_investment": Decimal("30000000"),
    },
]
QUALIFICATIONS: list[dict[str, Any]] = []
PRIOR_AWARDS: list[dict[str, Any]] = [
    {
        "credit_code": A,
        "amount": Decimal("100000"),
        "year": 2025,
        "level": "district",
        "document": "往年政策",
        "benefit": None,
        "event": None,
        "key": None,
    },
]
TABLES = {"enterprises": ENTERPRISES, "events": EVENTS, "qualifications": QUALIFICATIONS, "prior_awards": PRIOR_AWARDS}


def columns(key: str) -> list[str]:
    names: list[str] = []
    for rows in TABLES[key]:
        names.extend(k for k in rows if k not in names)
    if key == "qualifications":
        names = ["credit_code", "title", "level", "since", "until"]
    return names


def headers(key: str) -> dict[str, str]:
    """English field name → the Chinese header of the template."""
    return {c.name: c.header for c in layout(engine().catalogue).sheets[key]}


def excel_value(v: Any) -> Any:
    if isinstance(v, Decimal):
        return str(v) if v != v.to_integral_value() else int(v)
    if isinstance(v, bool):
        return "是" if v else "否"
    return v


def write_xlsx(
    path: Path, tables: dict[str, list[dict[str, Any]]] | None = None, extra: dict[str, list[list[Any]]] | None = None
) -> Path:
    tables = tables or TABLES
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for key, label in (("enterprises", "企业"), ("events", "事项"), ("qualifications", "资质"), ("prior_awards", "已获奖补")):
        ws = wb.create_sheet(label)
        cols = columns(key)
        heads = headers(key)
        ws.append([heads.get(c, c) if c != "amount" or key != "prior_awards" else "金额（元）" for c in cols])
        for row in tables[key]:
            ws.append([excel_value(row.get(c)) for c in cols])
        for row2 in (extra or {}).get(key, []):
            ws.append(row2)
    wb.save(path)
    return path


def sheets_xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """A workbook of the sheets given as they would be typed: name → rows, the header first."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def write_csv(folder: Path) -> Path:
    folder.mkdir()
    for key in TABLES:
        heads = headers(key)
        with (folder / f"{key}.csv").open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            cols = columns(key)
            w.writerow([heads.get(c, c) for c in cols])
            for row in TABLES[key]:
                w.writerow(["" if row.get(c) is None else excel_value(row.get(c)) for c in cols])
    return folder


def arrow_tables() -> Iterator[tuple[str, Any]]:
    money = {"total_investment", "equipment_investment", "smart_investment", "annual_investment", "amount"}
    for key, rows in TABLES.items():
        cols = columns(key)
        fields = []
        for c in cols:
            if c in money:
                t = pa.decimal128(18, 2)
            elif c in ("date", "since", "until"):
                t = pa.date32()
            elif c in ("industrial", "related_party"):
                t = pa.bool_()
            elif c == "year":
                t = pa.int32()
            else:
                t = pa.string()
            fields.append(pa.field(c, t))
        schema = pa.schema(fields)
        yield key, pa.Table.from_pylist([{c: r.get(c) for c in cols} for r in rows], schema=schema)


def write_parquet(folder: Path) -> Path:
    import pyarrow.parquet as pq

    folder.mkdir()
    for key, table in arrow_tables():
        pq.write_table(table, folder / f"{key}.parquet")
    return folder


def write_duckdb(path: Path) -> Path:
    con = duckdb.connect(str(path))
    for key, table in arrow_tables():
        con.register("t", table)
        con.execute(f"CREATE TABLE {key} AS SELECT * FROM t")
        con.unregister("t")
    con.close()
    return path


def read(source: str | Path, schema: str | None = None) -> Register:
    return read_register(source, engine().catalogue, schema)


def read_sql(source: str | Path) -> SqlRegister:
    """The register validated in SQL (the compiled engine's reading), for checks against ``read``."""
    return validate_sql(source, engine().catalogue, duckdb.connect())


def sheets_csv(folder: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """A CSV register folder of the sheets given as rows (the header first), one file per sheet."""
    folder.mkdir()
    for name, rows in sheets.items():
        with (folder / f"{name}.csv").open("w", encoding="utf-8-sig", newline="") as fh:
            csv.writer(fh).writerows(rows)
    return folder


@pytest.fixture(scope="module")
def from_xlsx(tmp_path_factory: pytest.TempPathFactory) -> Register:
    return read(write_xlsx(tmp_path_factory.mktemp("x") / "登记表.xlsx"))


def test_xlsx_reads_every_row_without_problems(from_xlsx: Register) -> None:
    assert [e.message() for e in from_xlsx.errors] == []
    assert {k: (c.read, c.rejected) for k, c in from_xlsx.counts.items()} == {
        "enterprises": (3, 0),
        "events": (4, 0),
        "qualifications": (0, 0),
        "prior_awards": (1, 0),
    }
    ev = {r["event_id"]: r for r in from_xlsx.tables["events"].to_pylist()}
    assert ev["B1"]["amount"] == 80_000_050  # 800000.50元 in fen, exact
    assert ev["P1"]["total_investment"] == 1_200_000_000
    assert ev["P1"]["amount"] is None
    ent = {r["credit_code"]: r for r in from_xlsx.tables["enterprises"].to_pylist()}
    assert ent[A]["independent_legal_person"] is True  # catalogue default filled in
    assert from_xlsx.tables["prior_awards"].to_pylist()[0]["amount_fen"] == 10_000_000


def test_canonical_schema_is_the_backend_layout(from_xlsx: Register) -> None:
    from huiqi.batch.layout import arrow_schema
    from huiqi.batch.layout import layout as canonical

    lay = canonical(engine().catalogue)
    for name, table in from_xlsx.tables.items():
        assert table.schema.equals(arrow_schema(lay.table(name))), name


def test_csv_parquet_and_duckdb_give_the_same_tables(tmp_path: Path, from_xlsx: Register) -> None:
    for source in (write_csv(tmp_path / "csv"), write_parquet(tmp_path / "pq"), write_duckdb(tmp_path / "r.duckdb")):
        got = read(source)
        assert [e.message() for e in got.errors] == [], source
        for name, table in from_xlsx.tables.items():
            assert got.tables[name].equals(table), (source, name)


@pytest.mark.postgres
def test_postgresql_gives_the_same_tables(from_xlsx: Register, pg_schema: tuple[str, str]) -> None:
    psycopg = pytest.importorskip("psycopg")
    from .pg import create_table

    dsn, schema = pg_schema
    with psycopg.connect(dsn, autocommit=True) as conn:
        for key, table in arrow_tables():
            create_table(conn, schema, key, table)
    got = read(dsn, schema)
    assert [e.message() for e in got.errors] == []
    for name, table in from_xlsx.tables.items():
        assert got.tables[name].equals(table), name


# --- bad rows ---------------------------------------------------------------------------------


def bad_register(tmp_path: Path) -> Path:
    heads = headers("events")
    cols = columns("events")
    bad_code = A[:-1] + ("0" if A[-1] != "0" else "1")

    def ev(**kw: Any) -> list[Any]:
        return [excel_value(kw.get(c)) for c in cols]

    ent_cols = columns("enterprises")
    extra_ent = [[bad_code, "校验码错误公司", "企业", "320506", "木渎镇", "小型", "是"][: len(ent_cols)]]
    extra_events = [
        ev(credit_code=B, event_id="X1", kind="purchase", date=date(2025, 5, 1), category="机器人产品或服务", amount="-5万元"),
        ev(credit_code=B, event_id="X2", kind="旅游", date=date(2025, 5, 1)),
        ev(credit_code=B, event_id="X3", kind="采购", date=date(2025, 5, 1), category="机器人产品或服务", amount="abc"),
        ev(
            credit_code=make_credit_code("91320506MA1XA0099"),
            event_id="X4",
            kind="purchase",
            date=date(2025, 5, 1),
            category="机器人产品或服务",
            amount="60万元",
        ),
        ev(
            credit_code=B,
            event_id="X5",
            kind="purchase",
            date=date(2025, 5, 1),
            category="机器人产品或服务",
            amount="60万元",
            total_investment="100万元",
        ),
        ev(credit_code=B, event_id="B2", kind="purchase", date=date(2025, 5, 1), category="机器人产品或服务", amount="60万元"),
        ev(credit_code=B, event_id="X6", kind="purchase", date=date(2025, 5, 1), category="机器人产品或服务", amount=12.345),
        ev(
            credit_code=bad_code,
            event_id="X7",
            kind="purchase",
            date=date(2025, 5, 1),
            category="机器人产品或服务",
            amount="60万元",
        ),
    ]
    assert heads  # headers exist for every column written
    return write_xlsx(tmp_path / "有误.xlsx", extra={"enterprises": extra_ent, "events": extra_events})


def test_bad_rows_are_reported_with_where_what_and_expected(tmp_path: Path) -> None:
    reg = read(bad_register(tmp_path))
    heads = headers("events")
    by_row = {(e.sheet, e.row): e for e in reg.errors}
    assert all(e.file == "有误.xlsx" for e in reg.errors)
    ent = by_row[("企业", 5)]
    assert ent.column == "统一社会信用代码" and "校验码错误" in ent.expected
    neg = by_row[("事项", 6)]
    assert (neg.column, neg.value) == (heads["amount"], "-5万元") and "负数" in neg.expected
    kind = by_row[("事项", 7)]
    assert (kind.column, kind.value) == ("事项类型", "旅游") and "未知的事项类型" in kind.expected
    abc = by_row[("事项", 8)]
    assert (abc.column, abc.value) == (heads["amount"], "abc") and "不是金额" in abc.expected
    unknown = by_row[("事项", 9)]
    assert unknown.column == "统一社会信用代码" and "没有该统一社会信用代码" in unknown.expected
    wrong_col = by_row[("事项", 10)]
    assert wrong_col.column == heads["total_investment"] and "不适用于事项类型“采购”" in wrong_col.expected
    dup = by_row[("事项", 11)]
    assert dup.column == "事项编号" and "重复" in dup.expected
    fen = by_row[("事项", 12)]
    assert fen.value == 12.345 and "精确到分" in fen.expected
    owner_bad = by_row[("事项", 13)]
    assert "第5行有误" in owner_bad.expected
    assert reg.counts["enterprises"].read == 4 and reg.counts["enterprises"].rejected == 1
    assert reg.counts["events"].read == 12 and reg.counts["events"].rejected == 8
    assert reg.tables["events"].num_rows == 4  # the good rows are all kept
    assert reg.tables["enterprises"].num_rows == 3
    msg = abc.message()
    assert msg.startswith("有误.xlsx［事项］第8行") and "“abc”" in msg


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_files_are_read_in_blocks_into_the_lines_of_the_whole_text(tmp_path: Path, encoding: str) -> None:
    """A CSV file is read a block at a time (a register is never held whole in memory) and
    split into the lines str.splitlines() gives for the whole text: line ends of every kind,
    a \\r\\n or a multi-byte character cut by a block's end, a last line without an end."""
    from huiqi.batch.io_read import _csv_encoding, _csv_lines

    text = "统一社会信用代码,名称\r\n甲,乙\r\r\n丙\n\n丁\x0b戊\x1c己\u2028庚\x85辛\r壬,“癸”\r\n末行无换行"
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode(encoding))
    assert _csv_encoding(path) == ("gb18030" if encoding == "gb18030" else "utf-8-sig")
    for block in (1, 2, 3, 5, 7, 64, 1 << 20):
        assert list(_csv_lines(path, _csv_encoding(path), block)) == text.splitlines(), block
    # a byte UTF-8 cannot read, far from the start: the whole file is GB18030
    path.write_bytes(("a,b\n" * 300_000).encode("ascii") + "丙".encode("gb18030"))
    assert _csv_encoding(path) == "gb18030"
    bad = tmp_path / "enterprises.csv"
    bad.write_bytes(b"a,b\n\xff\xff\xff")
    with pytest.raises(InputError, match="无法识别文件编码"):
        read(tmp_path)


def test_unreadable_inputs_raise_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="找不到登记表"):
        read(tmp_path / "nothing.xlsx")
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="无法读取Excel"):
        read(junk)
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.save(tmp_path / "nosheet.xlsx")
    with pytest.raises(InputError, match="找不到“企业”工作表"):
        read(tmp_path / "nosheet.xlsx")


def test_headers_in_wan_yuan_and_english_names_are_accepted(tmp_path: Path) -> None:
    sheets = {
        "企业": [["credit_code", "企业名称", "region", "town"], [A, "甲", 320506, "木渎镇"]],
        "事项": [
            ["统一社会信用代码", "事项编号", "事项类型", "日期", "采购类别", "采购金额（万元）"],
            [A, "B1", "采购", "2025/9/1", "机器人产品或服务", 80.5],
        ],
    }
    reg = read(sheets_xlsx(tmp_path / "wan.xlsx", sheets))
    assert [e.message() for e in reg.errors] == []
    row = reg.tables["events"].to_pylist()[0]
    assert row["amount"] == 80_500_000 and row["date"] == date(2025, 9, 1) and row["kind"] == "purchase"
    assert reg.tables["enterprises"].to_pylist()[0]["region"] == "320506"


def test_a_column_under_a_fields_earlier_label_is_read_as_that_field(tmp_path: Path) -> None:
    """苏州2020 第一条's 是否在苏州综合金融服务等平台获得 read as cut off and became …获得贷款; a workbook
    made from the earlier template still has the old header, and both are read as via_platform."""
    rows = {}
    for n, header in enumerate(("是否在苏州综合金融服务等平台获得", "是否在苏州综合金融服务等平台获得贷款")):
        sheets = {
            "企业": [["统一社会信用代码", "名称", "注册地行政区划代码"], [A, "甲", "320506"]],
            "事项": [
                ["统一社会信用代码", "事项编号", "事项类型", "发生日期", "贷款用途", "贷款金额（万元）", header],
                [A, "L1", "loan", "2022/6/1", "智能化改造提升项目", 500, "是"],
            ],
        }
        reg = read(sheets_xlsx(tmp_path / f"h{n}.xlsx", sheets))
        assert [e.message() for e in reg.errors] == []
        rows[header] = reg.tables["events"].to_pylist()[0]["via_platform"]
    assert list(rows.values()) == [True, True]


def test_every_money_column_may_be_headed_in_wan_yuan_as_the_notes_say(tmp_path: Path) -> None:
    """The template's 说明 says a header written “（万元）” is read in 万元: for every money column, the
    template's header with （元） turned into （万元） is that column in 万元. 当年度产销（销售收入）（万元）
    was an unknown column, and every enterprise's sales were dropped with a note of 仅提示."""
    lay = layout(engine().catalogue)
    money = 0
    for sheet, cols in lay.sheets.items():
        lookup = lay.lookup(sheet)
        for col in cols:
            if col.spec.type == "money" and col.header.endswith("（元）"):
                money += 1
                wan = col.header.removesuffix("（元）") + "（万元）"
                assert lookup.get(wan.replace(" ", "").lower()) == (col, "万元"), wan
    assert money >= 20
    sheets = {
        "企业": [
            ["统一社会信用代码", "名称", "注册地行政区划代码", "当年度产销（销售收入）（万元）"],
            [A, "甲", "320412", 510000],
        ]
    }
    reg = read(sheets_xlsx(tmp_path / "sales.xlsx", sheets))
    assert [e.message() for e in reg.errors] == []
    assert reg.tables["enterprises"].to_pylist()[0]["annual_sales"] == 51 * 10**8 * 100  # 51亿元 in fen


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_an_event_of_an_enterprise_whose_code_was_mistyped_points_to_that_row(tmp_path: Path, suffix: str) -> None:
    """The 企业 row's code has a wrong character (its check fails); the 事项 rows carry the right code.
    They said only 企业表中没有该统一社会信用代码的企业, and the officer set about fixing the 事项 rows."""
    typo = A[:10] + ("1" if A[10] != "1" else "2") + A[11:]
    if suffix == ".xlsx":
        sheets = {
            "企业": [["统一社会信用代码", "名称", "注册地行政区划代码"], [typo, "甲", "320506"]],
            "事项": [
                ["统一社会信用代码", "事项编号", "事项类型", "发生日期", "采购类别", "采购金额（万元）"],
                [A, "B1", "采购", "2025/9/1", "机器人产品或服务", 80],
            ],
        }
        source = sheets_xlsx(tmp_path / "typo.xlsx", sheets)
    else:
        source = tmp_path / "typo"
        source.mkdir()
        (source / "企业.csv").write_text(f"统一社会信用代码,名称,注册地行政区划代码\n{typo},甲,320506\n", encoding="utf-8")
        (source / "事项.csv").write_text(
            f"统一社会信用代码,事项编号,事项类型,发生日期,采购类别,采购金额（万元）\n{A},B1,采购,2025-09-01,机器人产品或服务,80\n",
            encoding="utf-8",
        )
    reg = read(source)
    (event_error,) = [e for e in reg.errors if e.sheet in ("事项", "事项.csv") or "事项" in str(e.sheet)]
    assert event_error.expected.endswith(f"“企业”表第2行的“{typo}”有误未通过，是否为同一企业？请先改正该行"), event_error.expected


def test_an_unknown_column_is_noted_but_rejects_no_row(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(["统一社会信用代码", "名称", "注册地行政区划代码", "备注", "企业规摸"])
    ws.append([A, "甲", "320506", "随便写", "中型"])
    wb.save(tmp_path / "extra.xlsx")
    reg = read(tmp_path / "extra.xlsx")
    assert reg.tables["enterprises"].num_rows == 1
    note, typo = reg.errors
    assert note.column == "备注" and not note.rejected
    # not the ≈1,500 characters of every column's name, repeated for each such column
    n = len(layout(engine().catalogue).sheets["enterprises"])
    assert note.expected == f"未知的列，已忽略本列；可用的{n}列见模板（huiqi template）的“说明”工作表", note.expected
    assert typo.column == "企业规摸" and typo.expected == "未知的列，已忽略本列；是否为“企业规模”？"


# --- the Excel reader ----------------------------------------------------------------------


def odd_workbook(path: Path, error: str | None = None) -> Path:
    """Cells of every kind an officer's workbook holds, blank rows between them, and
    (with ``error``) an error value in the purchase amount of row 6."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(["统一社会信用代码", "名称", "注册地行政区划代码", "所在镇（街道、板块）", "是否工业企业"])
    ws.append([A, "  甲  ", 320506, "木渎镇", True])
    ws.append([None, None, None, None, None])
    ws.append([B, "乙", "320506", "", "否"])
    ev = wb.create_sheet("事项")
    ev.append(["统一社会信用代码", "事项编号", "事项类型", "发生日期", "采购类别", "采购金额（万元）"])
    ev.append([A, 1001, "采购", date(2025, 9, 1), "机器人产品或服务", 80.5])
    ev.append([A, "B2", "purchase", datetime(2025, 9, 2, 0, 0), "机器人产品或服务", 3000.0])
    ev.append([])
    ev.append([B, "B3", "采购", "2025/9/3", "机器人产品或服务", "60"])
    ev.append([B, "B4", "采购", date(2025, 9, 4), "机器人产品或服务", error or 12.5])
    wb.save(path)
    return path


def test_the_fast_excel_reader_gives_what_openpyxl_gives(tmp_path: Path) -> None:
    from huiqi.batch.io_read import _xlsx, _xlsx_openpyxl

    path = odd_workbook(tmp_path / "odd.xlsx")

    def sheets(reader: Any) -> list[tuple[str, list[str], list[tuple[int, list[Any]]]]]:
        out = []
        for s in reader(path):
            rows = [(n, list(r) + [None] * (len(s.header) - len(r))) for n, r in s.rows]
            out.append((s.sheet, s.header, [(n, [(type(v), v) for v in r]) for n, r in rows]))
        return out

    fast, slow = sheets(_xlsx), sheets(_xlsx_openpyxl)
    assert fast == slow
    assert [n for n, _ in fast[1][2]] == [2, 3, 5, 6]  # Excel's row numbers, blank rows skipped
    reg = read(path)
    assert [e.message() for e in reg.errors] == []
    assert [r["event_id"] for r in reg.tables["events"].to_pylist()] == ["1001", "B2", "B3", "B4"]


def test_an_error_cell_is_reported_with_its_value_not_read_as_blank(tmp_path: Path) -> None:
    reg = read(odd_workbook(tmp_path / "err.xlsx", error="#DIV/0!"))
    (err,) = reg.errors
    assert (err.sheet, err.row, err.value) == ("事项", 6, "#DIV/0!") and err.rejected
    assert reg.counts["events"].read == 4 and reg.counts["events"].rejected == 1


@pytest.mark.parametrize("split", range(0, 7))
def test_an_error_cell_is_found_where_the_sheet_is_read_in_two_pieces(tmp_path: Path, split: int) -> None:
    """The sheet's XML is searched 8 MiB at a time; an error cell across the boundary counts too."""
    import zipfile

    from huiqi.batch.io_read import _scan_cells

    cell = b'<c r="A2" t="e"><v>#N/A</v></c>'
    at = (1 << 23) - cell.index(b't="e"') - split  # the boundary falls ``split`` bytes into the attribute
    for error in (True, False):
        xml = b" " * at + (cell if error else cell.replace(b't="e"', b't="s"')) + b" " * 100
        path = tmp_path / f"{error}.xlsx"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("xl/worksheets/sheet1.xml", xml)
        assert _scan_cells(path).errors is error


def rezip(path: Path, part: str, old: bytes, new: bytes) -> None:
    """Replace ``old`` by ``new`` in one part of the .xlsx at ``path`` (as a program other than openpyxl writes it)."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    assert old in parts[part]
    parts[part] = parts[part].replace(old, new)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)


@pytest.mark.parametrize("engine_name", ["reference", "duckdb"])
def test_a_formula_without_its_saved_result_refuses_the_workbook(
    tmp_path: Path, engine_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """openpyxl (and other programs) write a formula without its result; Excel saves the result
    beside it. Without one the cell reads as blank, and row 6 would be judged without its amount."""
    from huiqi.cli import main

    path = odd_workbook(tmp_path / "formula.xlsx", error="=F2*2")
    assert main(["batch", str(path), "--engine", engine_name, "--out", str(tmp_path / "out.csv")]) == 2
    assert (
        capsys.readouterr()
        .err.strip()
        .endswith(
            f"{path}：“事项”工作表有1个公式单元格没有保存计算结果（F6），读不出它们的值。"
            "这种文件多由程序生成、之后没有在Excel中打开保存过：请用Excel或WPS打开，保存后再导入"
        )
    )
    assert not (tmp_path / "out.csv").exists()

    rezip(path, "xl/worksheets/sheet2.xml", b"<f>F2*2</f><v /></c>", b"<f>F2*2</f><v>161</v></c>")  # saved by Excel
    reg = read(path)
    assert [e.message() for e in reg.errors] == []
    assert reg.tables["events"].to_pylist()[-1]["amount"] == 161_000_000  # 161万元, in fen


def test_formulas_are_refused_only_in_the_register_sheets(tmp_path: Path) -> None:
    from huiqi.batch.io_read import _scan_cells

    path = odd_workbook(tmp_path / "sums.xlsx")
    wb = openpyxl.load_workbook(path)
    wb.create_sheet("汇总").append(["=SUM(事项!F2:F6)", '=""'])
    wb.save(path)
    assert [e.message() for e in read(path).errors] == []  # a summary sheet beside the register is not read
    assert _scan_cells(path).uncached == {"xl/worksheets/sheet3.xml": ["A1", "B1"]}

    # ="" saved by Excel: an empty text result (t="str", <v></v>), a blank cell that is what it says
    rezip(path, "xl/worksheets/sheet3.xml", b'<c r="B1"><f>""</f><v /></c>', b'<c r="B1" t="str"><f>""</f><v></v></c>')
    assert _scan_cells(path).uncached == {"xl/worksheets/sheet3.xml": ["A1"]}


@pytest.mark.parametrize("split", [0, 3, 9, 20])
def test_a_formula_without_its_result_is_found_once_across_the_pieces(tmp_path: Path, split: int) -> None:
    import zipfile

    from huiqi.batch.io_read import _scan_cells

    cell = b'<c r="F9"><f>E9*2</f><v /></c>'
    xml = b" " * ((1 << 23) - split) + cell + b" " * 100  # the boundary falls ``split`` bytes before its end
    path = tmp_path / "f.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", xml)
    assert _scan_cells(path).uncached == {"xl/worksheets/sheet1.xml": ["F9"]}


def test_a_workbook_with_error_cells_but_no_enterprise_sheet_says_so(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "Sheet1"
    wb.active.append(["a"])
    wb.active.append(["#N/A"])  # an error value: this workbook is read by openpyxl
    wb.save(tmp_path / "err.xlsx")
    with pytest.raises(InputError) as exc:
        read(tmp_path / "err.xlsx")
    assert str(exc.value) == f"{tmp_path / 'err.xlsx'}：找不到“企业”工作表（现有：Sheet1）"


@pytest.mark.parametrize("held, fen", [(677999.9999999999, 67_800_000), (300000.30000000005, 30_000_030), (0.1 + 0.2, 30)])
def test_a_formulas_amount_is_read_as_excel_shows_it(tmp_path: Path, held: float, fen: int) -> None:
    """=E5*1.13 of 600000 is held as 677999.99999999988 and shown as 678,000.00: the row was refused
    with 金额精确到分：677999.9999999999, a value the officer never typed. Read to Excel's 15 digits,
    by the Python reader and by the SQL validation alike."""
    sheets = {
        "企业": [["统一社会信用代码", "名称", "注册地行政区划代码"], [A, "甲", "320506"]],
        "事项": [
            ["统一社会信用代码", "事项编号", "事项类型", "发生日期", "采购类别", "采购金额（元）"],
            [A, "B1", "采购", "2025/9/1", "机器人产品或服务", held],
        ],
    }
    path = sheets_xlsx(tmp_path / "formula.xlsx", sheets)
    reg = read(path)
    assert [e.message() for e in reg.errors] == []
    assert reg.tables["events"].to_pylist()[0]["amount"] == fen
    sreg = read_sql(path)
    assert [e.message() for e in sreg.register.errors] == []
    assert canonical_tables(sreg)["events"].to_pylist()[0]["amount"] == fen


@pytest.mark.parametrize("yes, no", [("Y", "N"), ("√", "×"), ("有", "无"), ("yes", "No")])
def test_yes_and_no_as_officers_write_them(tmp_path: Path, yes: str, no: str) -> None:
    """Y/N, √/×, 有/无 in 是否工业企业 were refused (应为是/否), and every event of the enterprise with it."""
    sheets = {
        "企业": [
            ["统一社会信用代码", "名称", "注册地行政区划代码", "是否工业企业"],
            [A, "甲", "320506", yes],
            [B, "乙", "320506", no],
        ],
    }
    path = sheets_xlsx(tmp_path / "yes.xlsx", sheets)
    reg = read(path)
    assert [e.message() for e in reg.errors] == []
    assert {r["credit_code"]: r["industrial"] for r in reg.tables["enterprises"].to_pylist()} == {A: True, B: False}
    sreg = read_sql(path)
    assert [e.message() for e in sreg.register.errors] == [] and sreg.rows_to_python == 0  # the SQL checks read them too
    ents = canonical_tables(sreg)["enterprises"].to_pylist()
    assert {r["credit_code"]: r["industrial"] for r in ents} == {A: True, B: False}


def test_full_width_digits_are_read_as_digits(tmp_path: Path) -> None:
    """３００万元 and ６０００００ (an input method's full-width digits) were refused as 不是金额, with the
    example “50万元” the cell already looked like. Excel registers and CSV registers (the SQL validation
    hands such a row to the Python validator) read them alike."""
    rows = [
        ["统一社会信用代码", "事项编号", "事项类型", "发生日期", "采购类别", "采购金额（元）"],
        [A, "B1", "采购", "2025/9/1", "机器人产品或服务", "３００万元"],
        [A, "B2", "采购", "２０２５/９/２", "机器人产品或服务", "６０００００"],
        [A, "B3", "采购", "2025/9/3", "机器人产品或服务", "１，２３４．５元"],
    ]
    sheets = {"企业": [["统一社会信用代码", "名称", "注册地行政区划代码"], [A, "甲", "320506"]], "事项": rows}
    want = {"B1": (3_000_000_00, date(2025, 9, 1)), "B2": (600_000_00, date(2025, 9, 2)), "B3": (1_234_50, date(2025, 9, 3))}
    xlsx = sheets_xlsx(tmp_path / "full.xlsx", sheets)
    folder = sheets_csv(tmp_path / "csv", sheets)
    for source in (xlsx, folder):
        reg = read(source)
        assert [e.message() for e in reg.errors] == []
        assert {r["event_id"]: (r["amount"], r["date"]) for r in reg.tables["events"].to_pylist()} == want
        sreg = read_sql(source)
        assert [e.message() for e in sreg.register.errors] == []
        got = {r["event_id"]: (r["amount"], r["date"]) for r in canonical_tables(sreg)["events"].to_pylist()}
        assert got == want, source


def test_a_copy_of_a_refused_enterprise_row_is_refused_too(tmp_path: Path) -> None:
    """甲 entered twice: the first row refused (是否工业企业 “也许”), the copy (another name and sectors) was
    accepted without a word, and 甲's events were evaluated on the copy's profile."""
    sheets = {
        "企业": [
            ["统一社会信用代码", "名称", "注册地行政区划代码", "是否工业企业"],
            [A, "甲", "320506", "也许"],
            [B, "乙", "320506", "是"],
            [A, "甲（重复录入）", "320506", "是"],
        ],
        "事项": [
            ["统一社会信用代码", "事项编号", "事项类型", "发生日期", "采购类别", "采购金额（元）"],
            [A, "B1", "采购", "2025/9/1", "机器人产品或服务", 600000],
        ],
    }
    path = sheets_xlsx(tmp_path / "twice.xlsx", sheets)
    for sql in (False, True):
        reg = read_sql(path).register if sql else read(path)
        said = [(e.sheet, e.row, e.expected) for e in reg.errors]
        assert ("企业", 4, "统一社会信用代码重复（首次出现于第2行，该行有误未通过，请先改正该行）") in said, said
        assert ("事项", 2, "所属企业在“企业”表第2行有误，本行未测算") in said, said
        assert (reg.counts["enterprises"].accepted, reg.counts["events"].accepted) == (1, 0)


@pytest.mark.parametrize("error_cell", [False, True])  # an error cell sends the workbook to openpyxl
def test_a_cell_merged_down_a_column_is_read_into_each_of_its_rows(tmp_path: Path, error_cell: bool) -> None:
    """镇（街道、板块） 木渎镇 merged over three enterprises' rows: the readers give the value to the first
    row only, so 乙 and 丙 had no town and their 木渎镇 shares went to 吴中区属地镇（街道、板块）财政, silently.
    Read into every row of the range, with a notice; a merge across columns (a 合计 row) is left alone."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(["统一社会信用代码", "名称", "注册地行政区划代码", "所在镇（街道、板块）"])
    ws.append([A, "甲", "320506", "木渎镇"])
    ws.append([B, "乙", "320506", None])
    ws.append([A3, "丙", "320506", None])
    ws.merge_cells("D2:D4")
    ws.merge_cells("A6:C6")
    ws["A6"] = "合计：3家"
    if error_cell:
        ws["F1"] = "备注"
        ws["F2"] = "#N/A"
        ws["F2"].data_type = "e"
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    want = {A: "木渎镇", B: "木渎镇", A3: "木渎镇"}
    notice = ("企业", 2, "所在镇（街道、板块）", "合并单元格D2:D4：按首格的值读入第2至4行（请核实各行是否确为此值）", False)
    reg = read(path)
    assert {r["credit_code"]: r["town"] for r in reg.tables["enterprises"].to_pylist()} == want
    said = [(e.sheet, e.row, e.column, e.expected, e.rejected) for e in reg.errors]
    assert notice in said and not [e for e in reg.errors if e.rejected]
    assert ("企业", 6, "统一社会信用代码", "合计行，不是一行数据：未读取，不计入读取行数", False) in said  # not filled
    sreg = read_sql(path)
    assert {r["credit_code"]: r["town"] for r in canonical_tables(sreg)["enterprises"].to_pylist()} == want
    assert [(e.sheet, e.row, e.column, e.expected, e.rejected) for e in sreg.register.errors] == said


def test_a_merge_under_a_title_row_is_named_by_the_header_not_the_column_letter(tmp_path: Path) -> None:
    """With a title in row 1 the notice named the column “D” (or the title's own text for column A): the header,
    found in row 2, names it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(["2025年企业登记表"])
    ws.append(["统一社会信用代码", "名称", "注册地行政区划代码", "所在镇（街道、板块）"])
    ws.append([A, "甲", "320506", "木渎镇"])
    ws.append([B, "乙", "320506", None])
    ws.merge_cells("D3:D4")
    path = tmp_path / "titled.xlsx"
    wb.save(path)
    notice = ("企业", 3, "所在镇（街道、板块）", "合并单元格D3:D4：按首格的值读入第3至4行（请核实各行是否确为此值）")
    for errors in (read(path).errors, read_sql(path).register.errors):
        assert notice in [(e.sheet, e.row, e.column, e.expected) for e in errors]


@pytest.mark.parametrize(
    "number_format, typed, fen",
    [
        ('0"万元"', 60, 600_000_00),  # shows 60万元: the cell holds 60
        ('#,##0.00"万元"', 60.5, 605_000_00),
        ('0.00"亿元"', 1.5, 150_000_000_00),
        ('0!.0000"万元"', 600_000, 600_000_00),  # shows 60.0000万元 of a cell holding 600000元: read as 元
        ('0.0,"万"', 600_000, 600_000_00),  # shows 60.0万 of 600000元 (scaled by the comma): read as 元
    ],
)
def test_a_number_formatted_to_show_wan_yuan_is_read_as_shown(tmp_path: Path, number_format: str, typed: float, fen: int) -> None:
    """A cell holding 60 in the format 0"万元" shows 60万元 under a （元） header, and was read as 60元 (3.00元
    granted, no notice). It is read in 万元, with a notice; formats that only show a 元 amount in 万 keep 元."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(["统一社会信用代码", "名称", "注册地行政区划代码"])
    ws.append([A, "甲", "320506"])
    ev = wb.create_sheet("事项")
    ev.append(["统一社会信用代码", "事项编号", "事项类型", "发生日期", "采购类别", "采购金额（元）"])
    ev.append([A, "B1", "采购", "2025/9/1", "机器人产品或服务", typed])
    ev["F2"].number_format = number_format
    path = tmp_path / "wan.xlsx"
    wb.save(path)
    scaled = fen != typed * 100
    for reg in (read(path), read_sql(path).register):
        said = [(e.row, e.column, e.rejected, e.expected) for e in reg.errors]
        assert [s[:3] for s in said] == ([(2, "采购金额（元）", False)] if scaled else []), said
        if scaled:
            assert said[0][3].startswith("单元格格式将数字显示为")
    assert read(path).tables["events"].to_pylist()[0]["amount"] == fen
    sreg = read_sql(path)
    assert canonical_tables(sreg)["events"].to_pylist()[0]["amount"] == fen


def test_hidden_rows_are_read_and_said(tmp_path: Path) -> None:
    """A hidden enterprise row was granted 30,000.00 and nothing said it was hidden."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(["统一社会信用代码", "名称", "注册地行政区划代码"])
    ws.append([A, "甲", "320506"])
    ws.append([B, "乙", "320506"])
    ws.row_dimensions[3].hidden = True
    path = tmp_path / "hidden.xlsx"
    wb.save(path)
    reg = read(path)
    assert reg.counts["enterprises"].accepted == 2
    assert [(e.row, e.rejected, e.expected) for e in reg.errors] == [
        (3, False, "第3行在Excel中为隐藏行（共1行），已照常读入测算；如不应测算，请删去这些行")
    ]


def test_dates_typed_with_spaces_or_a_midnight_time_are_dates(tmp_path: Path) -> None:
    """2025 年 6 月 5 日 was refused while 2025年6月5日 was read; so was a date cell pasted as the text
    2025-07-08 00:00:00. Excel and CSV registers, through the SQL validation too."""
    rows = [
        ["统一社会信用代码", "事项编号", "事项类型", "发生日期", "采购类别", "采购金额（元）"],
        [A, "B1", "采购", "2025 年 6 月 5 日", "机器人产品或服务", 600000],
        [A, "B2", "采购", "2025-07-08 00:00:00", "机器人产品或服务", 600000],
    ]
    sheets = {"企业": [["统一社会信用代码", "名称", "注册地行政区划代码"], [A, "甲", "320506"]], "事项": rows}
    folder = sheets_csv(tmp_path / "csv", sheets)
    want = {"B1": date(2025, 6, 5), "B2": date(2025, 7, 8)}
    for source in (sheets_xlsx(tmp_path / "dates.xlsx", sheets), folder):
        reg = read(source)
        assert [e.message() for e in reg.errors] == []
        assert {r["event_id"]: r["date"] for r in reg.tables["events"].to_pylist()} == want
        sreg = read_sql(source)
        assert {r["event_id"]: r["date"] for r in canonical_tables(sreg)["events"].to_pylist()} == want


def test_a_header_below_title_rows_is_found(tmp_path: Path) -> None:
    """A title merged over the first row (and a line of who filled it in) above the header refused the
    whole register (找不到必填列…表头须在第1行), on the command line and after an upload alike."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "企业"
    ws.append(["吴中区2025年度免申即享企业登记表"])
    ws.merge_cells("A1:D1")
    ws.append(["填报单位：区工信局", None, "填报日期：2025-12-01"])
    ws.append(["统一社会信用代码", "名称", "注册地行政区划代码", "备注"])
    ws.append([A, "甲", "320506", "无"])
    ws.append([B, "乙", "320506", None])
    path = tmp_path / "title.xlsx"
    wb.save(path)
    said = (
        3,
        "（表头）",
        "表头在第3行，其上2行（吴中区2025年度免申即享企业登记表、填报单位：区工信局、填报日期：2025-12-01）按标题处理，未读入",
    )
    for reg in (read(path), read_sql(path).register):
        notices = [(e.row, e.column, e.expected) for e in reg.errors]
        assert notices[0] == said and [e.rejected for e in reg.errors] == [False, False], notices
        assert notices[1][:2] == (3, "备注")  # the header's own notices name its row
        assert (reg.counts["enterprises"].read, reg.counts["enterprises"].accepted) == (2, 2)


def test_a_totals_row_under_the_data_is_not_read_as_a_row(tmp_path: Path) -> None:
    """An officer's sheet ends with 合计 over the summed amounts: it was counted as a rejected row whose
    credit code, type and date were wrong. It is now said to be a totals row and not counted."""
    sheets = {
        "企业": [
            ["序号", "统一社会信用代码", "名称", "注册地行政区划代码"],
            [1, A, "甲", "320506"],
            ["合  计", None, "1家", None],
        ],
        "事项": [
            ["统一社会信用代码", "事项编号", "事项类型", "发生日期", "采购类别", "采购金额（元）"],
            [A, "B1", "采购", "2025-06-05", "机器人产品或服务", 600000],
            ["合计：", None, None, None, None, 600000],
            ["小计", "B2", None, None, None, 600000],  # the word in the key's cell, whatever else the row holds
        ],
    }
    said = {
        ("企业", 3, "序号", "合  计"),
        ("事项", 3, "统一社会信用代码", "合计："),
        ("事项", 4, "统一社会信用代码", "小计"),
    }
    for source in (sheets_xlsx(tmp_path / "totals.xlsx", sheets), sheets_csv(tmp_path / "csv", sheets)):
        for reg in (read(source), read_sql(source).register):
            assert not [e.message() for e in reg.errors if e.rejected]
            assert {(e.sheet, e.row, e.column, e.value) for e in reg.errors if e.expected.startswith("合计行")} == said
            assert {k: (c.read, c.rejected) for k, c in reg.counts.items() if c.read} == {"enterprises": (1, 0), "events": (1, 0)}


def test_a_row_whose_code_is_given_is_never_a_totals_row(tmp_path: Path) -> None:
    """合计 written in a name or remark beside a credit code is an enterprise's row like any other."""
    sheets = {
        "企业": [["统一社会信用代码", "名称", "注册地行政区划代码"], [A, "合计", "320506"], [B, "乙", "3205"]],
    }
    for reg in (read(sheets_xlsx(tmp_path / "named.xlsx", sheets)), read_sql(tmp_path / "named.xlsx").register):
        assert (reg.counts["enterprises"].read, reg.counts["enterprises"].rejected) == (2, 1)
        assert [(e.row, e.rejected) for e in reg.errors] == [(3, True)]


def test_a_date_shown_as_excel_serial_is_refused_with_the_date_it_stands_for(tmp_path: Path) -> None:
    """A date pasted into a General-format cell shows as 45813: the refusal says it is Excel's serial for
    2025-06-05 and how to have the column read as dates."""
    sheets = {
        "企业": [["统一社会信用代码", "名称", "注册地行政区划代码"], [A, "甲", "320506"]],
        "事项": [
            ["统一社会信用代码", "事项编号", "事项类型", "发生日期", "采购类别", "采购金额（元）"],
            [A, "B1", "采购", 45813, "机器人产品或服务", 600000],
            [A, "B2", "采购", 123, "机器人产品或服务", 600000],
        ],
    }
    path = sheets_xlsx(tmp_path / "serial.xlsx", sheets)
    for reg in (read(path), read_sql(path).register):
        said = {e.row: e.expected for e in reg.errors}
        assert "45813似为Excel的日期序号，即2025-06-05" in said[2]
        assert "序号" not in said[3]  # 123 is no date of these years


def test_a_money_label_alone_is_its_column(tmp_path: Path) -> None:
    """当年度产销（销售收入） without （元） was an unknown column, ignored: the 规模 award vanished with no
    row rejected. A label alone reads as the template's header does (bare numbers in the field's unit)."""
    sheets = {
        "企业": [
            ["统一社会信用代码", "名称", "注册地行政区划代码", "当年度产销（销售收入）", "以往年度最高产销"],
            [C, "丙", "320412", 1_200_000_000, "11亿元"],
        ],
    }
    for source in (sheets_xlsx(tmp_path / "label.xlsx", sheets), sheets_csv(tmp_path / "csv", sheets)):
        reg, sreg = read(source), read_sql(source)
        for errors, table in ((reg.errors, reg.tables), (sreg.register.errors, canonical_tables(sreg))):
            assert [e.message() for e in errors if e.sheet != "事项"] == []  # (a CSV folder without events: said)
            row = table["enterprises"].to_pylist()[0]
            assert (row["annual_sales"], row["prior_peak_sales"]) == (120_000_000_000, 110_000_000_000)
