"""``huiqi batch-diff``: two real runs of ``huiqi batch`` on one register, under the bundled policies and
under a draft raising 吴中2025 第8条's rate from 5% to 8%, compared against totals computed here
from the Parquet results themselves."""

from __future__ import annotations

import json
import shutil
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("duckdb")
openpyxl = pytest.importorskip("openpyxl")

from huiqi.batch.diff import ARTICLE_NOTE  # noqa: E402
from huiqi.cli import main  # noqa: E402
from huiqi.core.credit_code import make_credit_code  # noqa: E402
from huiqi.policyfile import DEFAULT_POLICY_DIR  # noqa: E402

AS_OF = "2025-12-31"
TOWNS = ["木渎镇", "胥口镇", "甪直镇", "东山镇"]
CODES = [make_credit_code(f"91320506MA1DF{i:04d}") for i in range(8)]
HEADER = (
    "credit_code,id,kind,date,category,amount,total_investment,equipment_investment,smart_investment,"
    "annual_investment,energy_saved_tce,tech_equipment_investment\n"
)
EVENTS = [
    f"{CODES[0]},A1,project,2025-06-10,企业技术改造,,10000000,3500000,,,,",  # 第8条: 50万 → 80万
    f"{CODES[1]},B1,project,2025-06-10,企业技术改造,,30000000,3000000,,,,",  # 每年最高100万元 either way
    f"{CODES[2]},C1,project,2025-07-01,企业技术改造,,12000000,4000000,,,,",
    f"{CODES[2]},C2,project,2026-03-01,企业技术改造,,10000000,3500000,,,,",  # another year
    f"{CODES[3]},D1,project,2025-08-01,数字化网络化改造,,8000000,3500000,,1000000,,",
    f"{CODES[4]},E1,purchase,2025-06-01,机器人产品或服务,800000,,,,,,",  # 第1条: unchanged
    f"{CODES[5]},F1,project,2025-07-01,企业技术改造,,10000000,2000000,,,,",  # below 300万 of equipment
    # 节能技改: 第10条 (5% + 1000元/吨) kept over 第8条 at 5%; at 8% 第8条 is kept (就高不重复)
    f"{CODES[5]},F2,project,2025-09-01,节能技改,,15000000,3000000,,,60,1500000",
]


def _enterprises(codes: list[str]) -> str:
    return "credit_code,name,region,town,industrial\n" + "".join(
        f"{c},草案测算{i}有限公司,320506,{TOWNS[i % len(TOWNS)]},是\n" for i, c in enumerate(codes)
    )


def _register(folder: Path, codes: list[str]) -> Path:
    folder.mkdir(parents=True)
    (folder / "enterprises.csv").write_text(_enterprises(codes), encoding="utf-8")
    lines = [e for e in EVENTS if e.split(",")[0] in codes]
    (folder / "events.csv").write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return folder


def _replace_once(text: str, old: str, new: str, count: int = 1) -> str:
    assert text.count(old) == count, (old, text.count(old))
    return text.replace(old, new)


def make_draft(to: Path) -> Path:
    """A copy of the policies with 吴中2025 第8条's 5% as 8%, in its text and in its rule (the loader checks
    that every number of a rule cites the text)."""
    shutil.copytree(DEFAULT_POLICY_DIR, to)
    text = to / "texts" / "wuzhong-2025-manufacturing-measures.txt"
    body = text.read_text(encoding="utf-8")
    text.write_text(
        _replace_once(body, "投入的5%给予补助，单个企业每年最高100万元", "投入的8%给予补助，单个企业每年最高100万元"), "utf-8"
    )
    rules = to / "wuzhong-2025.yaml"
    body = rules.read_text(encoding="utf-8")
    start = body.index("  - id: wz-8-tech-renovation\n")
    end = body.index("\n  - id:", start + 1)
    block = _replace_once(body[start:end], "总投入的5%", "总投入的8%", count=3)
    block = _replace_once(block, "rate: 5%", "rate: 8%")
    rules.write_text(body[:start] + block + body[end:], encoding="utf-8")
    return to


@dataclass
class Runs:
    tmp: Path
    base: Path
    draft: Path
    policies: Path


def _batch(policies: Path, register: Path, out: Path) -> None:
    assert main(["--policies", str(policies), "batch", str(register), "--as-of", AS_OF, "--out", str(out), "--json"]) == 0


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    tmp = tmp_path_factory.mktemp("diff")
    register = _register(tmp / "登记表.csv", CODES)
    draft_dir = make_draft(tmp / "draft-policies")
    _batch(DEFAULT_POLICY_DIR, register, tmp / "base.parquet")
    _batch(draft_dir, register, tmp / "draft.parquet")
    return Runs(tmp, tmp / "base.parquet", tmp / "draft.parquet", draft_dir)


def _diff(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["batch-diff", *args, "--json"]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def fen(text: Any) -> int:
    cents = Decimal(str(text)) * 100
    assert cents == cents.to_integral_value(), text
    return int(cents)


def _granted(path: Path) -> list[dict[str, Any]]:
    return [r for r in pq.read_table(path).to_pylist() if r["status"] == "granted" and r["is_money"]]


def _high(r: dict[str, Any]) -> int:
    return int(r["max_fen"] if r["max_fen"] is not None else r["min_fen"])


def test_the_total_difference_is_the_difference_of_the_two_runs(runs: Runs, capsys: pytest.CaptureFixture[str]) -> None:
    data = _diff(capsys, str(runs.base), str(runs.draft))
    base, draft = _granted(runs.base), _granted(runs.draft)
    high = sum(map(_high, draft)) - sum(map(_high, base))
    low = sum(r["min_fen"] for r in draft) - sum(r["min_fen"] for r in base)
    assert high > 0  # the draft costs more: the test compares something
    assert fen(data["total"]["base"]["max"]) == sum(map(_high, base))
    assert fen(data["total"]["draft"]["max"]) == sum(map(_high, draft))
    assert fen(data["total"]["diff"]["max"]) == high and fen(data["total"]["diff"]["min"]) == low
    assert data["base"]["as_of"] == AS_OF and data["draft"]["policies"] == str(runs.policies.resolve())


def test_per_enterprise_differences_sum_to_the_total(runs: Runs, capsys: pytest.CaptureFixture[str]) -> None:
    out = runs.tmp / "比较.xlsx"
    data = _diff(capsys, str(runs.base), str(runs.draft), "--out", str(out))
    wb = openpyxl.load_workbook(out)
    rows = list(wb["按企业"].iter_rows(values_only=True))
    header, body = rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert "增减最高（元）" in header
    expected: dict[str, int] = defaultdict(int)
    for sign, path in ((-1, runs.base), (1, runs.draft)):
        for r in _granted(path):
            expected[r["credit_code"]] += sign * _high(r)
    moved = {k: v for k, v in expected.items() if v}
    assert {r["统一社会信用代码"]: fen(r["增减最高（元）"]) for r in body} == moved
    assert sum(fen(r["增减最高（元）"]) for r in body) == fen(data["total"]["diff"]["max"])
    diffs = [fen(r["增减最高（元）"]) for r in body]
    assert diffs == sorted(diffs, reverse=True)
    e = data["enterprises"]
    assert (e["gained"], e["lost"], e["unchanged"]) == (len(moved), 0, len(CODES) - len(moved))
    assert [g["credit_code"] for g in e["top_gainers"]] == [r["统一社会信用代码"] for r in body][:10]
    # the other way round, the gainers are the losers
    back = _diff(capsys, str(runs.draft), str(runs.base))
    assert (back["enterprises"]["gained"], back["enterprises"]["lost"]) == (0, len(moved))
    assert fen(back["total"]["diff"]["max"]) == -fen(data["total"]["diff"]["max"])
    assert [x["credit_code"] for x in back["enterprises"]["top_losers"]] == [r["统一社会信用代码"] for r in body][:10]
    assert sorted(wb.sheetnames) == sorted(["汇总", "按企业", "按出资方", "按镇街", "按年度", "按政策文件", "按条款"])


def test_payer_town_year_and_document_lines_sum_to_the_total(runs: Runs, capsys: pytest.CaptureFixture[str]) -> None:
    data = _diff(capsys, str(runs.base), str(runs.draft))
    total = fen(data["total"]["diff"]["max"])
    for dim in ("payer", "town", "year", "document", "article"):
        assert sum(fen(ln["diff"]["max"]) for ln in data["by"][dim]) == total, dim
    payers: dict[str, int] = defaultdict(int)
    for sign, path in ((-1, runs.base), (1, runs.draft)):
        for r in pq.read_table(path.with_name(f"{path.stem}.payers.parquet")).to_pylist():
            payers[r["payer"]] += sign * _high(r)
    assert {ln["key"]: fen(ln["diff"]["max"]) for ln in data["by"]["payer"]} == payers
    assert any(v > 0 for k, v in payers.items() if k.endswith("镇财政"))  # the towns pay part of 第8条
    years = {ln["key"]: fen(ln["diff"]["max"]) for ln in data["by"]["year"]}
    assert set(years) == {"2025年", "2026年"} and years["2026年"] == 300_000_00  # C2: 1000万 × 3%


def test_article_lines_are_not_net_and_say_so(runs: Runs, capsys: pytest.CaptureFixture[str]) -> None:
    """第8条 gains more than the whole draft costs: 第10条's 节能技改 award moved to it (就高不重复)."""
    data = _diff(capsys, str(runs.base), str(runs.draft))
    assert data["note"] == ARTICLE_NOTE and "只有合计与按企业的增减是净额" in ARTICLE_NOTE
    lines = {ln["key"]: fen(ln["diff"]["max"]) for ln in data["by"]["article"]}
    eighth = lines["吴中2025 第8条 企业技术改造项目补助"]
    tenth = lines["吴中2025 第10条 节能技改项目补助"]
    assert tenth < 0 < fen(data["total"]["diff"]["max"]) < eighth
    capsys.readouterr()
    assert main(["batch-diff", str(runs.base), str(runs.draft)]) == 0
    text = capsys.readouterr().out
    assert ARTICLE_NOTE in text and "按条款" in text and "增加最多" in text
    out = runs.tmp / "比较-条款.xlsx"
    assert main(["batch-diff", str(runs.base), str(runs.draft), "--out", str(out)]) == 0
    sheet = list(openpyxl.load_workbook(out)["按条款"].iter_rows(values_only=True))
    assert ARTICLE_NOTE in str(sheet[1][0])


def test_excel_and_csv_results_compare_as_parquet_does(runs: Runs, capsys: pytest.CaptureFixture[str]) -> None:
    register = runs.tmp / "登记表.csv"
    want = _diff(capsys, str(runs.base), str(runs.draft))
    for fmt in ("xlsx", "csv"):
        base, draft = runs.tmp / f"base.{fmt}", runs.tmp / f"draft.{fmt}"
        _batch(DEFAULT_POLICY_DIR, register, base)
        _batch(runs.policies, register, draft)
        got = _diff(capsys, str(base), str(draft))
        for key in ("total", "enterprises", "by"):
            assert got[key] == want[key], (fmt, key)
    out = runs.tmp / "比较.csv"
    assert main(["batch-diff", str(runs.base), str(runs.draft), "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8-sig").startswith("统一社会信用代码")
    assert ARTICLE_NOTE in (runs.tmp / "比较.按条款.csv").read_text(encoding="utf-8-sig")


def test_results_of_another_register_are_refused(runs: Runs, capsys: pytest.CaptureFixture[str]) -> None:
    other = _register(runs.tmp / "少一家.csv", CODES[1:])
    _batch(runs.policies, other, runs.tmp / "other.parquet")
    capsys.readouterr()
    assert main(["batch-diff", str(runs.base), str(runs.tmp / "other.parquet")]) == 2
    err = capsys.readouterr().err
    assert "企业不同" in err and CODES[0] in err and "Traceback" not in err
    data = _diff(capsys, str(runs.base), str(runs.tmp / "other.parquet"), "--allow-different")
    assert data["warnings"] and "企业不同" in data["warnings"][0]


def test_a_file_that_is_no_results_file_is_an_error_naming_it(runs: Runs, capsys: pytest.CaptureFixture[str]) -> None:
    import pyarrow as pa

    not_results = runs.tmp / "登记表.parquet"
    pq.write_table(pa.table({"credit_code": [CODES[0]], "name": ["某企业"]}), not_results)
    junk = runs.tmp / "junk.parquet"
    junk.write_text("not parquet", encoding="utf-8")
    cases = [
        (not_results, "缺少列"),
        (junk, "不是Parquet文件"),
        (runs.tmp / "none.parquet", "不存在"),
        (runs.tmp / "登记表.csv" / "events.csv", "缺少列"),
    ]
    for path, words in cases:
        capsys.readouterr()
        assert main(["batch-diff", str(path), str(runs.draft), "--json"]) == 2, path
        captured = capsys.readouterr()
        assert str(path) in captured.err and words in captured.err and "Traceback" not in captured.err, captured.err
        assert str(path) in json.loads(captured.out)["error"]
    lonely = runs.tmp / "lonely.parquet"
    shutil.copy(runs.base, lonely)  # without its payers file
    assert main(["batch-diff", str(lonely), str(runs.draft)]) == 2
    assert "lonely.payers.parquet" in capsys.readouterr().err
    assert main(["batch-diff", str(runs.base), str(runs.draft), "--out", str(runs.tmp / "base.csv")]) == 2
    assert "会覆盖" in capsys.readouterr().err


def test_the_labels_it_reads_are_those_batch_writes() -> None:
    """diff.py keeps io_write's floor label as its own (importing io_write would load pyarrow at every start
    of the CLI); a label changed there must change here, or floors read as bounded. (Its 按年度 lines are
    io_write.year_sql's, imported when a comparison runs.)"""
    from huiqi.batch import diff, io_write

    assert io_write.NATURE_LABELS["floor"] == diff._FLOOR_LABEL


def test_the_terminal_shows_amounts_with_thousands_separators(runs: Runs, capsys: pytest.CaptureFixture[str]) -> None:
    """Amounts of 亿元 read at a glance on the terminal (an officer read 1113979952.75 digit by digit);
    the JSON keeps plain decimal strings for machines."""
    data = _diff(capsys, str(runs.base), str(runs.draft))
    assert main(["batch-diff", str(runs.base), str(runs.draft)]) == 0
    text = capsys.readouterr().out
    total = data["total"]
    grouped = f"{Decimal(total['draft']['max']):,.2f}"
    assert "," in grouped and total["draft"]["max"] == grouped.replace(",", "")
    assert f"  草案：{total['draft']['count']:,}项，最低{Decimal(total['draft']['min']):,.2f}元，最高{grouped}元" in text
    assert f"  增减：最高+{Decimal(total['diff']['max']):,.2f}元" in text
