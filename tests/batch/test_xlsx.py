"""The streaming .xlsx writer: what Excel readers get back, the header's look, and no
half-written file when a run fails."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

openpyxl = pytest.importorskip("openpyxl")
calamine = pytest.importorskip("python_calamine")

from huiqi.batch.xlsx import column_letter, write_xlsx  # noqa: E402

TEXTS = [
    "a&b<c>\"d'",
    "  leading and trailing  ",
    "tab\there, line\nbreak",
    "control\x01\x1fcharacters",
    "_x0041_ looks like an escape",
    "苏州甲精密有限公司 𠀀",
]


def cells(path: Path, sheet: str) -> list[list[Any]]:
    return calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def test_every_value_reads_back_as_written(tmp_path: Path) -> None:
    out = write_xlsx(
        tmp_path / "r.xlsx",
        [
            (
                "结果",
                ["text", "int", "big", "float", "whole float", "decimal", "bool"],
                [[t, 7, 2**40, 1.5, 3000.0, Decimal("12.30"), True] for t in TEXTS],
            ),
            ("按条款", ["date", "datetime", "blank", "empty"], [[date(2025, 3, 1), datetime(2025, 3, 1, 10, 5, 30), None, ""]]),
            ("问题", ["nan", "inf", "decimal nan"], [[float("nan"), float("-inf"), Decimal("NaN")]]),
        ],
    )
    rows = cells(out, "结果")
    assert rows[0] == ["text", "int", "big", "float", "whole float", "decimal", "bool"]
    # Excel's escapes (_xHHHH_) bring back the characters XML cannot hold
    assert [r[0] for r in rows[1:]] == TEXTS
    assert rows[1][1:] == [7, 2**40, 1.5, 3000, 12.3, True]
    assert cells(out, "问题")[1] == ["nan", "-inf", "NaN"]  # no number Excel would refuse to open
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["结果", "按条款", "问题"]
    ws = wb["按条款"]
    assert ws["A2"].value == datetime(2025, 3, 1) and ws["A2"].number_format == "yyyy-mm-dd"
    assert ws["B2"].value == datetime(2025, 3, 1, 10, 5, 30)
    assert ws["C2"].value is None and ws["D2"].value is None
    assert isinstance(wb["结果"]["B2"].value, int) and isinstance(wb["结果"]["E2"].value, int)  # 3000.0 as Excel writes it


def test_the_header_is_bold_and_frozen(tmp_path: Path) -> None:
    out = write_xlsx(tmp_path / "h.xlsx", [("汇总", ["项目", "值"], [["测算企业数", 3]])])
    ws = openpyxl.load_workbook(out)["汇总"]
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.b and ws["B1"].font.b
    assert not ws["A2"].font.b


def test_every_part_is_well_formed_xml(tmp_path: Path) -> None:
    out = write_xlsx(tmp_path / "x.xlsx", [("结果", ["a"], [[t] for t in TEXTS]), ("问题", ["b"], [])])
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        assert {"[Content_Types].xml", "xl/workbook.xml", "xl/styles.xml", "xl/worksheets/sheet2.xml"} <= set(names)
        for name in names:
            ElementTree.fromstring(z.read(name))  # raises on anything malformed


def test_a_failed_write_keeps_the_earlier_file(tmp_path: Path) -> None:
    out = tmp_path / "结果.xlsx"
    write_xlsx(out, [("结果", ["a"], [["earlier"]])])

    def rows() -> Iterator[list[Any]]:
        yield ["new"]
        raise RuntimeError("the query failed")

    with pytest.raises(RuntimeError, match="the query failed"):
        write_xlsx(out, [("结果", ["a"], rows())])
    assert cells(out, "结果") == [["a"], ["earlier"]]
    assert [p.name for p in tmp_path.iterdir()] == ["结果.xlsx"]  # no part file left behind


def test_a_text_longer_than_a_cell_holds_is_cut_where_excel_allows(tmp_path: Path) -> None:
    """A register accepts a 200,000-character name; an .xlsx cell holds 32,767 characters, and a longer one makes
    Excel report the workbook as damaged. The cell keeps its first 32,766 characters and an ellipsis."""
    out = tmp_path / "结果.xlsx"
    write_xlsx(out, [("结果", ["企业名称"], [["名" * 200_000], ["短"]])])
    (long_name,), (short,) = cells(out, "结果")[1:]
    assert len(long_name) == 32_767 and long_name == "名" * 32_766 + "…"
    assert short == "短"


@pytest.mark.parametrize("title", ["", "a" * 32, "结果[1]", "a/b", "dup"])
def test_unusable_sheet_names_are_refused(tmp_path: Path, title: str) -> None:
    sheets = [("dup", ["a"], []), (title, ["a"], [])]
    with pytest.raises(ValueError, match="sheet name"):
        write_xlsx(tmp_path / "n.xlsx", sheets)
    assert not (tmp_path / "n.xlsx").exists()


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 25, 26, 51, 52, 701, 702, 16383)] == ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA", "XFD"]


def test_columns_are_wide_enough_to_show_their_values_and_the_header_filters(tmp_path: Path) -> None:
    """Excel shows a number wider than its column as ####: each column is sized for its header
    and the first rows (a Chinese character two widths), and the header row has filter buttons."""
    from huiqi.batch.xlsx import Money

    path = tmp_path / "w.xlsx"
    rows = [["91320506MA1XXXXX09", "购买机器人产品或服务补助", Money("4741122909025.07"), date(2025, 6, 30)]]
    rows += [["x", "", Money("1.00"), None]] * 700  # past the rows read ahead
    write_xlsx(path, [("结果", ["统一社会信用代码", "奖补项", "最高（元）", "日期"], rows), ("空", [], [])])
    wb = openpyxl.load_workbook(path)
    ws = wb["结果"]
    widths = [ws.column_dimensions[c].width for c in "ABCD"]
    assert widths == [18 + 2, 24 + 2, len("4,741,122,909,025.07") + 2, 10 + 2]
    assert ws.auto_filter.ref == "A1:D702"
    assert wb["空"].auto_filter.ref is None
    with zipfile.ZipFile(path) as z:  # the filtered range named per sheet, as Excel writes it
        book = z.read("xl/workbook.xml").decode()
    assert '<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">\'结果\'!$A$1:$D$702</definedName>' in book
