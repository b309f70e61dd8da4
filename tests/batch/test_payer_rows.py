"""What an officer reads of who pays (出资) in ``huiqi batch``'s Excel and CSV results: the payer rows of every
granted money item (出资明细), summing to 按出资方 to the fen; a notice for enterprises without a town, whose
town share goes to a placeholder payer; and how many enterprises got no result row at all. Through
``huiqi.cli.main``, on the reference and the DuckDB engine alike."""

from __future__ import annotations

import copy
import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

openpyxl = pytest.importorskip("openpyxl")

from huiqi.cli import main  # noqa: E402
from huiqi.core.credit_code import make_credit_code  # noqa: E402

from .test_cli_batch import fen, sheet_rows  # noqa: E402
from .test_io import TABLES, A, columns, excel_value, headers, write_xlsx  # noqa: E402

AS_OF = "2025-12-31"
PLACEHOLDER = "吴中区属地镇（开发区、太湖新城）财政"  # 吴中2025 第22条: 由区、镇（开发区、太湖新城）按4:6分担
NOWHERE = make_credit_code("91320583MA1XC0001")  # 昆山, no events: no item applies, no result row
ENGINES = ["reference", "duckdb"]


def tables() -> dict[str, list[dict[str, Any]]]:
    """The test register with its 吴中 enterprise A's town left blank (A gets 吴中 money split 4:6 with the
    town), and an enterprise no policy applies to."""
    t = copy.deepcopy(TABLES)
    t["enterprises"][0]["town"] = None
    assert t["enterprises"][0]["credit_code"] == A
    t["enterprises"].append({"credit_code": NOWHERE, "name": "昆山丁有限公司", "kind": "企业", "region": "320583"})
    return t


def csv_register(folder: Path, t: dict[str, list[dict[str, Any]]]) -> Path:
    folder.mkdir()
    for key in t:
        heads = headers(key)
        cols = columns(key)
        with (folder / f"{key}.csv").open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow([heads.get(c, c) if c != "amount" or key != "prior_awards" else "金额（元）" for c in cols])
            for row in t[key]:
                w.writerow(["" if row.get(c) is None else excel_value(row.get(c)) for c in cols])
    return folder


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["batch", *args, "--as-of", AS_OF]) == 0
    return capsys.readouterr().out


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def payer_totals(rows: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """出资明细's rows summed per 出资方 as 按出资方 sums them: a blank 最高 (no upper bound) adds the 最低."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        low = fen(r["最低（元）"])
        out[r["出资方"]][0] += low
        out[r["出资方"]][1] += low if r["最高（元）"] in (None, "") else fen(r["最高（元）"])
    return {k: (a, b) for k, (a, b) in out.items()}


@pytest.mark.parametrize("engine_name", ENGINES)
def test_excel_has_the_payer_rows_that_sum_to_the_payer_sheet(
    tmp_path: Path, engine_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if engine_name == "duckdb":
        pytest.importorskip("duckdb")
    register = write_xlsx(tmp_path / "登记表.xlsx", tables())
    out = tmp_path / "结果.xlsx"
    run([str(register), "--engine", engine_name, "--out", str(out)], capsys)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:3] == ["汇总", "结果", "出资明细"]
    rows = sheet_rows(wb, "出资明细")
    by_payer = {r["出资方"]: (fen(r["合计最低（元）"]), fen(r["合计最高（元）"])) for r in sheet_rows(wb, "按出资方")}
    assert rows and payer_totals(rows) == by_payer
    # 吴中2025 第22条's 4:6: the district's and the (blank) town's share of each item, both named
    assert {r["出资方"] for r in rows} == {"吴中区财政", PLACEHOLDER}
    assert {(r["出资层级"], r["镇（街道、板块）"]) for r in rows if r["出资方"] == PLACEHOLDER} == {("镇（街道）级", None)}
    assert {r["统一社会信用代码"] for r in rows} == {A} and {r["企业名称"] for r in rows} == {"苏州甲精密有限公司"}
    assert all(r["政策文件"] and r["奖补项编号"] and r["奖补项"] and r["事项编号"] for r in rows)
    # each item's shares add up to its 结果 row's amounts
    granted = {(r["奖补项编号"], r["事项编号"]): r for r in sheet_rows(wb, "结果") if r["状态"] == "可享受" and r["最高（元）"]}
    shares: dict[tuple[str, str], int] = defaultdict(int)
    for r in rows:
        shares[r["奖补项编号"], r["事项编号"]] += fen(r["最高（元）"])
    assert shares == {k: fen(r["最高（元）"]) for k, r in granted.items()}
    # money as Excel numbers shown to the fen, as on 结果
    col = {h: i for i, h in enumerate(next(wb["出资明细"].iter_rows(max_row=1, values_only=True)))}
    cells = [row[col["最低（元）"]] for row in wb["出资明细"].iter_rows(min_row=2)]
    cells += [row[col["最高（元）"]] for row in wb["出资明细"].iter_rows(min_row=2)]
    assert all(type(c.value) in (int, float) and c.number_format == "#,##0.00" for c in cells)
    overview = {r["项目"]: r["值"] for r in sheet_rows(wb, "汇总")}
    assert "出资明细" in overview["说明"]


@pytest.mark.parametrize("engine_name", ENGINES)
def test_csv_writes_the_payer_rows_beside_the_other_sheets(
    tmp_path: Path, engine_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if engine_name == "duckdb":
        pytest.importorskip("duckdb")
    register = csv_register(tmp_path / "登记表.csv", tables())
    out = tmp_path / "out" / "结果.csv"
    printed = run([str(register), "--engine", engine_name, "--out", str(out)], capsys)
    path = out.with_name("结果.出资明细.csv")  # as 结果.按出资方.csv is named
    assert path.is_file() and str(path) in printed
    rows = csv_rows(path)
    by_payer = {
        r["出资方"]: (fen(r["合计最低（元）"]), fen(r["合计最高（元）"])) for r in csv_rows(out.with_name("结果.按出资方.csv"))
    }
    assert rows and payer_totals(rows) == by_payer
    assert {r["出资方"] for r in rows if not r["镇（街道、板块）"]} == {PLACEHOLDER, "吴中区财政"}


def test_both_engines_write_the_same_payer_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("duckdb")
    register = csv_register(tmp_path / "登记表.csv", tables())
    found = {}
    for engine_name in ENGINES:
        out = tmp_path / engine_name / "结果.csv"
        run([str(register), "--engine", engine_name, "--out", str(out)], capsys)
        found[engine_name] = csv_rows(out.with_name("结果.出资明细.csv"))
    assert found["reference"] == found["duckdb"] and found["reference"]


@pytest.mark.parametrize("engine_name", ENGINES)
def test_a_blank_town_and_enterprises_without_results_are_said(
    tmp_path: Path, engine_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if engine_name == "duckdb":
        pytest.importorskip("duckdb")
    register = write_xlsx(tmp_path / "登记表.xlsx", tables())
    out = tmp_path / "结果.xlsx"
    printed = run([str(register), "--engine", engine_name, "--out", str(out)], capsys)
    assert f"注意：1家有可享受资金的企业未填所在镇（街道、板块），其镇级分担部分计入“{PLACEHOLDER}”" in printed
    assert "测算企业4家（其中1家无测算结果" in printed
    notices = [r for r in sheet_rows(openpyxl.load_workbook(out), "问题") if r["列"] == "所在镇（街道、板块）"]
    assert len(notices) == 1 and notices[0]["是否拒绝该行"] == "否（仅提示）" and notices[0]["工作表"] == "企业"
    assert notices[0]["问题"].startswith(f"1家有可享受资金的企业未填所在镇（如{A}）") and PLACEHOLDER in notices[0]["问题"]
    d = json.loads(run([str(register), "--engine", engine_name, "--json"], capsys))
    assert (d["enterprises_evaluated"], d["enterprises_without_results"], d["enterprises_without_town"]) == (4, 1, 1)
    assert sum("未填所在镇" in e["expected"] for e in d["errors"]) == 1


@pytest.mark.parametrize("engine_name", ENGINES)
def test_a_register_with_every_town_has_no_notice(tmp_path: Path, engine_name: str, capsys: pytest.CaptureFixture[str]) -> None:
    if engine_name == "duckdb":
        pytest.importorskip("duckdb")
    register = write_xlsx(tmp_path / "登记表.xlsx")  # A in 木渎镇: its town's share is 木渎镇财政's
    d = json.loads(run([str(register), "--engine", engine_name, "--json"], capsys))
    assert (d["enterprises_without_town"], d["enterprises_without_results"]) == (0, 0)
    assert not any("未填所在镇" in e["expected"] for e in d["errors"])
    assert "木渎镇财政" in d["by"]["payer"]


def test_chunks_count_the_blank_towns_and_enterprises_without_results_as_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("duckdb")
    from huiqi.batch import stream

    t = tables()
    extra = make_credit_code("91320506MA1XC0009")  # a second 吴中 enterprise without a town, and money
    t["enterprises"].append({**t["enterprises"][0], "credit_code": extra, "name": "苏州戊有限公司"})
    t["events"] += [{**e, "credit_code": extra} for e in t["events"] if e["credit_code"] == A]
    register = csv_register(tmp_path / "登记表.csv", t)
    one = json.loads(run([str(register), "--json"], capsys))
    monkeypatch.setattr(stream, "chunk_events_for", lambda *a, **k: 2)  # a chunk per enterprise or two
    out = tmp_path / "结果.csv"
    many = json.loads(run([str(register), "--json", "--out", str(out)], capsys))
    assert many["chunks"] > 1 and one["chunks"] == 1
    for d in (one, many):
        assert (d["enterprises_without_town"], d["enterprises_without_results"]) == (2, 1)
        said = [e["expected"] for e in d["errors"] if "未填所在镇" in e["expected"]]
        assert len(said) == 1 and said[0].startswith(f"2家有可享受资金的企业未填所在镇（如{A}、{extra}）")
    rows = csv_rows(out.with_name("结果.出资明细.csv"))
    by_payer = {
        r["出资方"]: (fen(r["合计最低（元）"]), fen(r["合计最高（元）"])) for r in csv_rows(out.with_name("结果.按出资方.csv"))
    }
    assert payer_totals(rows) == by_payer and {r["统一社会信用代码"] for r in rows} == {A, extra}


def test_too_many_payer_rows_for_excel_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pa = pytest.importorskip("pyarrow")
    from huiqi.batch import io_write
    from huiqi.batch.io_read import Counts, Register
    from huiqi.service import InputError

    payers = pa.Table.from_pylist(
        [{"credit_code": A, "town": None, "benefit": "b", "event_id": None, "role": "district", "payer": "吴中区财政",
          "min_fen": 1, "max_fen": 1}] * 3,
        schema=io_write.PAYER_SCHEMA,
    )  # fmt: skip
    register = Register(source="登记表.xlsx", tables={}, counts={k: Counts() for k in TABLES}, errors=[])
    summary = io_write.summarise(io_write.RESULT_SCHEMA.empty_table(), payers, 1, 0)
    monkeypatch.setattr(io_write, "EXCEL_MAX_ROWS", 2)
    out = tmp_path / "结果.xlsx"
    with pytest.raises(InputError, match="出资明细有3行，超过Excel单表上限2行"):
        io_write.write_results(out, register, io_write.RESULT_SCHEMA.empty_table(), payers, summary)
    assert not out.exists()
