"""A CSV register staged by Arrow's parser holds exactly what the Python reader reads.

``io_sql._arrow_csv`` reads a CSV file with Arrow when Arrow reads it as
``io_read._csv_file`` (Python's ``csv`` module over ``str.splitlines()``) does, and
otherwise declines, so that ``_stage_csv`` uses the Python reader. Both are compared
here on generated files: whenever Arrow accepts a file, every staged row (its number
and its cells) and the header equal the Python reader's.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.batch import io_read, io_sql

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")

# pieces of cells: plain text, Chinese, spaces Python strips, quotes, commas, and every
# line break str.splitlines() knows
PIECES = [
    "a",
    "7",
    "中",
    "企业",
    " ",
    "\u3000",
    "\t",
    '"',
    '""',
    ",",
    "“",
    "\n",
    "\r",
    "\r\n",
    "\x0b",
    "\x0c",
    "\x1c",
    "\x85",
    "\u2028",
    "\x00",
]
BREAKS = ["\n", "\r\n", "\r"]


def _python(path: Path) -> tuple[list[str], list[tuple[Any, ...]]]:
    raw = io_read._csv_file(path, "企业")
    return list(raw.header), [(n - 1, *row) for n, row in raw.rows]


def _arrow(path: Path) -> tuple[list[str], list[tuple[Any, ...]]] | None:
    con = duckdb.connect()
    try:
        header = io_sql._arrow_csv(con, path, "hq_csv_t", None)
        if header is None:
            assert not con.execute("SELECT * FROM duckdb_tables() WHERE table_name = 'hq_csv_t'").fetchall()
            return None
        rows = con.execute("SELECT * FROM hq_csv_t ORDER BY hq_r0").fetchall()
    finally:
        con.close()
    return header, [(r[-1], *r[:-1]) for r in rows]


def _same_or_declined(path: Path) -> bool:
    """Whether Arrow accepted the file (then it must read it as Python does)."""
    try:
        expected = _python(path)
    except (csv.Error, io_read.RegisterError):  # the Python reader refuses it: Arrow must too
        assert _arrow(path) is None
        return False
    got = _arrow(path)
    if got is None:
        return False
    assert got == expected
    return True


def _write(tmp_path: Path, text: str, encoding: str) -> Path:
    path = tmp_path / "enterprises.csv"
    path.write_bytes(text.encode(encoding))
    io_read._SEEN.clear()
    return path


def _cell(draw: st.DrawFn) -> str:
    text = "".join(draw(st.lists(st.sampled_from(PIECES[:7]), max_size=4)))
    style = draw(st.sampled_from(["plain", "plain", "quoted", "quoted", "quoted, any piece", "odd"]))
    if style.startswith("quoted"):
        pieces = PIECES if style == "quoted, any piece" else PIECES[:11]  # commas and quotes, no line breaks
        return '"' + "".join(draw(st.lists(st.sampled_from(pieces), max_size=4))).replace('"', '""') + '"'
    if style == "odd":  # quotes where CSV does not put them: after a closing one, inside a bare cell
        return text + draw(st.sampled_from(['"', '"x"y', 'a"b']))
    return text


@st.composite
def regular_files(draw: st.DrawFn) -> str:
    """Rows of one width, mostly as a spreadsheet writes them, with blank rows and odd cells."""
    width = draw(st.integers(1, 4))
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from(["", ",,,"[: width - 1], " " * width, "\u3000"])))
        else:
            lines.append(",".join(_cell(draw) for _ in range(width)))
    text = draw(st.sampled_from(BREAKS)).join(lines)
    return text + draw(st.sampled_from(["", *BREAKS]))


@given(text=regular_files(), encoding=st.sampled_from(ENCODINGS))
@SETTINGS
def test_arrow_reads_regular_files_as_the_python_reader(tmp_path: Path, text: str, encoding: str) -> None:
    _same_or_declined(_write(tmp_path, text, encoding))


@given(text=st.lists(st.sampled_from(PIECES), max_size=30).map("".join), encoding=st.sampled_from(ENCODINGS))
@SETTINGS
def test_arrow_reads_any_text_as_the_python_reader_or_declines(tmp_path: Path, text: str, encoding: str) -> None:
    _same_or_declined(_write(tmp_path, text, encoding))


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_a_usual_register_is_read_by_arrow(tmp_path: Path, encoding: str) -> None:
    text = '"统一社会信用代码","名称"\r\n"91320506MA1XXXXX09","示例企业"\r\n,\r\n"x"y,"a,""b"""\r\n\r\n  ,\u3000\r\n'
    path = _write(tmp_path, text, encoding)
    assert _same_or_declined(path)
    got = _arrow(path)
    assert got is not None
    assert got[1] == [(1, "91320506MA1XXXXX09", "示例企业"), (3, "xy", 'a,"b"')]


@pytest.mark.parametrize(
    "text",
    [
        'a,b\n"x\ny",2\n',  # a line break inside quotes: Python's reader drops it
        "a,b\nx,y,z\n",  # a long row: Python keeps the header's cells
        "a,b\nx\n",  # a short row: Python pads it
        'a,b\n"x,2\n',  # a quote never closed
        'a,b,c\n,a,"\n',  # … opened in the last cell: Arrow keeps the file's last line break in it
        'a,b,c\n,a,"\r\n',
        "a,b\nx\u2028y,2\n",  # a line break Python splits on and Arrow does not
        "a,b\nx\x0by,2\n",
        "a,b\nx\x00,2\n",
        "a,b\n" + "x" * (csv.field_size_limit() + 1) + ",2\n",  # longer than Python's reader takes
        "",
    ],
)
def test_arrow_declines_what_it_would_read_otherwise(tmp_path: Path, text: str) -> None:
    path = _write(tmp_path, text, "utf-8")
    assert _arrow(path) is None
    assert not _same_or_declined(path)


def test_a_gb18030_file_is_read_by_arrow_once_python_finds_it_is_not_utf8(tmp_path: Path) -> None:
    path = _write(tmp_path, "名称,镇街\n示例企业,木渎镇\n", "gb18030")
    assert io_read._csv_encoding(path) == "gb18030"
    assert _arrow(path) == (["名称", "镇街"], [(1, "示例企业", "木渎镇")])


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_the_longer_line_breaks_are_found_in_each_encoding(tmp_path: Path, encoding: str) -> None:
    for c in "\x85\u2028\u2029":
        path = tmp_path / "x.csv"
        path.write_bytes(("名称\n" * 500_000 + f"a{c}b\n").encode(encoding))  # past the first block
        assert io_read.csv_breaks(path, encoding)
    path.write_bytes("名称\n“示例”企业\n".encode(encoding))
    assert not io_read.csv_breaks(path, encoding)


def test_lines_are_counted_as_str_splitlines_counts_them(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    for text in ["", "a", "a\n", "a\r\nb", "a\rb\r", "\n\n", "a\r" + "b" * (io_read._CSV_BLOCK - 2) + "\nc"]:
        path.write_bytes(text.encode())
        io_read._SEEN.clear()
        assert io_read.csv_lines(path).lines == len(text.splitlines()), repr(text[:8])


def test_a_cell_longer_than_the_python_reader_takes_is_reported_with_its_line(tmp_path: Path) -> None:
    from huiqi.service import engine

    path = tmp_path / "enterprises.csv"
    head = "统一社会信用代码,注册地行政区划代码,名称\n91320506MA1XXXXX09,320506,示例企业\n"
    path.write_text(head + '91320506MA1XXXXX09,320506,"' + "x" * 200_000 + "\n", "utf-8")
    catalogue = engine().catalogue
    for read in (
        lambda: io_read.read_register(tmp_path, catalogue),  # the Python reader
        lambda: io_sql.validate_sql(tmp_path, catalogue, duckdb.connect()),  # staged for SQL: Arrow declines it
    ):
        with pytest.raises(io_read.RegisterError) as info:
            read()
        assert (
            str(info.value)
            == f"enterprises.csv第3行：无法按CSV读取（单元格超过{csv.field_size_limit()}个字符，可能是某个引号没有结束）"
        )
