"""The Excel template: the four sheets with Chinese headers, drop-downs, and the 说明 sheet."""

from __future__ import annotations

from pathlib import Path

import pytest

openpyxl = pytest.importorskip("openpyxl")

from huiqi.batch.io_read import RegisterError, layout, read_register  # noqa: E402
from huiqi.cli import main  # noqa: E402
from huiqi.service import engine  # noqa: E402


def test_template_through_the_cli_opens_with_headers_dropdowns_and_notes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "模板.xlsx"
    assert main(["template", str(out)]) == 0
    assert "已生成登记表模板" in capsys.readouterr().out
    wb = openpyxl.load_workbook(out)
    assert {"说明", "企业", "事项", "资质", "已获奖补"} <= set(wb.sheetnames)
    lay = layout(engine().catalogue)
    assert [c.value for c in wb["企业"][1]] == [c.header for c in lay.sheets["enterprises"]]
    events_header = [c.value for c in wb["事项"][1]]
    assert events_header[:4] == ["统一社会信用代码", "事项编号", "事项类型", "发生日期"]
    assert any(h.startswith("采购金额") and h.endswith("（元）") for h in events_header)
    # drop-down lists for option fields, e.g. 事项类型 and 企业规模
    starts = {str(dv.sqref).split(":")[0] for dv in wb["事项"].data_validations.dataValidation}
    assert "C2" in starts  # 事项类型
    assert wb["事项"].data_validations.dataValidation[0].formula1.startswith("选项!")
    notes = wb["说明"]
    text = "\n".join(str(c.value) for row in notes.iter_rows() for c in row if c.value is not None)
    assert "事项类型" in text and "采购" in text and "机器人产品或服务" in text and "元" in text
    # a note row names which 事项类型 uses a column
    rows = [[c.value for c in r] for r in notes.iter_rows()]
    amount = next(r for r in rows if r[2] == "amount")
    assert "采购" in str(amount[7]) and amount[3] == "金额"
    # a column whose blank is read as a default says so in 必填 (是否在国内开展: a blank is 是)
    by_name = {r[2]: r for r in rows if r and len(r) > 5}
    assert (by_name["in_china"][5], by_name["related_party"][5], by_name["industrial"][5]) == (
        "否（未填写按“是”）",
        "否（未填写按“否”）",
        "否",
    )


def test_the_empty_template_is_refused_for_want_of_enterprises_and_reads_once_filled(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    assert main(["template", str(out)]) == 0
    with pytest.raises(RegisterError, match="企业表没有数据行"):  # its headers are all known: nothing else to say
        read_register(out, engine().catalogue)
    wb = openpyxl.load_workbook(out)
    heads = [c.value for c in wb["企业"][1]]
    row = {"统一社会信用代码": "91320506MA1XXXXX09", "名称": "甲", "注册地行政区划代码": "320506"}
    wb["企业"].append([row.get(h) for h in heads])
    wb.save(out)
    reg = read_register(out, engine().catalogue)
    assert reg.rows_read == 1 and reg.errors == []


def test_the_level_of_an_award_received_is_offered_in_chinese_only(tmp_path: Path) -> None:
    """已获奖补's 层级 list offered national, province, city and district beside 国家级 … (the reader
    takes both; an officer picks from the Chinese)."""
    out = tmp_path / "模板.xlsx"
    assert main(["template", str(out)]) == 0
    wb = openpyxl.load_workbook(out)
    header = [c.value for c in wb["已获奖补"][1]]
    column = chr(ord("A") + header.index("层级"))
    dv = next(dv for dv in wb["已获奖补"].data_validations.dataValidation if str(dv.sqref).startswith(f"{column}2"))
    sheet, cells = dv.formula1.split("!")
    first, last = cells.replace("$", "").split(":")
    offered = [c.value for row in wb[sheet][first:last] for c in row]
    assert offered == ["国家级", "省级", "市级", "区级"]
    said = next(r for r in wb["说明"].iter_rows(values_only=True) if r[:3] == ("已获奖补", "层级", "level"))
    assert "国家级、省级、市级、区级" in said and "national" not in str(said)
