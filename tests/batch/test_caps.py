"""Caps that share a benefit: each counts what is finally paid, in both engines.

A benefit's own yearly cap (200万元) inside a cap over two articles (250万元), from a small
fictional measure (``data/nested-caps``) added to a copy of the bundled policies. The cap over
both articles used to count what it let through before the inner cap cut it (90万元 where 40万元
was paid), and refused the other article's project (50万元 left) as 额度已用尽.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("duckdb")

from huiqi.cli import main
from huiqi.core.credit_code import make_credit_code
from huiqi.policyfile import DEFAULT_POLICY_DIR

from .test_cli_batch import csv_register

DATA = Path(__file__).parent / "data" / "nested-caps"
CODE = make_credit_code("91320507MA1XC0000")
EVENTS = [  # (id, date, category, equipment, total, this year's)
    ("E1", "2025-08-01", "企业技术改造", 20_000_000, 25_000_000, None),  # 8% = 160万
    ("E2", "2025-09-01", "企业技术改造", 15_000_000, 18_000_000, None),  # 8% = 120万 → 40万 (200万 a year)
    ("D1", "2025-10-01", "数字化网络化改造", 1_000_000, 10_000_000, 3_000_000),  # ≤100万 → ≤50万 (250万 a year)
]


def policies(tmp_path: Path) -> Path:
    """The bundled policies with the fictional measure beside them."""
    folder = tmp_path / "policies"
    shutil.copytree(DEFAULT_POLICY_DIR, folder)
    shutil.copy(DATA / "text.txt", folder / "texts" / "test-nested-caps.txt")
    shutil.copy(DATA / "policy.yaml", folder / "test-nested-caps.yaml")
    return folder


def overlapping_caps(tmp_path: Path) -> Path:
    """:func:`policies` with a cap over 第一、三条 beside the one over 第一、四条: caps the compiled plan cannot express."""
    other = (
        "  caps:\n    - id: test-other\n      per: enterprise_year\n      max: 250万元\n"
        "      benefits: [t-1-equipment, t-3-energy]\n      cite: 第一条、第四条合计每家企业每年支持资金不超过250万元\n"
    )
    text = (DATA / "policy.yaml").read_text(encoding="utf-8")
    folder = policies(tmp_path)
    (folder / "test-nested-caps.yaml").write_text(
        text.replace("  caps:\n    - id: test-group", other + "    - id: test-group"), encoding="utf-8"
    )
    return folder


def scenario(tmp_path: Path) -> Path:
    lines = ["as_of: 2025-12-31", f"enterprise: {{credit_code: {CODE}, name: 相城示例机械有限公司, region: '320507'}}", "events:"]
    for eid, day, category, equipment, total, annual in EVENTS:
        extra = f", annual_investment: {annual}元" if annual else ""
        lines.append(
            f"  - {{id: {eid}, kind: project, date: {day}, category: {category}, "
            f"equipment_investment: {equipment}元, total_investment: {total}元{extra}}}"
        )
    path = tmp_path / "s.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_cap_over_two_articles_counts_what_the_inner_cap_let_through(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = policies(tmp_path)
    assert main(["--policies", str(folder), "evaluate", str(scenario(tmp_path)), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    got = {(a["benefit"], a["event"]): (a["min_fen"], a["max_fen"]) for a in data["awards"] if a["benefit"].startswith("t-")}
    assert got == {
        ("t-1-equipment", "E1"): (1_600_000_00, 1_600_000_00),
        ("t-1-equipment", "E2"): (400_000_00, 400_000_00),
        ("t-4-digital", "D1"): (0, 500_000_00),  # 250万 − 160万 − 40万 paid; was set aside (额度已用尽)
    }


def test_the_compiled_backend_pays_the_same_under_nested_caps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = policies(tmp_path)
    header = "credit_code,id,kind,date,category,equipment_investment,total_investment,annual_investment\n"
    rows = "".join(f"{CODE},{e},project,{d},{c},{q},{t},{a or ''}\n" for e, d, c, q, t, a in EVENTS)
    register = csv_register(tmp_path, f"credit_code,name,region\n{CODE},相城示例机械有限公司,320507\n", header + rows)
    results = {}
    for engine_name in ("reference", "duckdb"):
        out = tmp_path / f"{engine_name}.csv"
        args = [
            "--policies",
            str(folder),
            "batch",
            str(register),
            "--engine",
            engine_name,
            "--as-of",
            "2025-12-31",
            "--out",
            str(out),
        ]
        assert main(args) == 0
        capsys.readouterr()
        with out.open(encoding="utf-8-sig") as fh:
            results[engine_name] = {
                (r["奖补项编号"], r["事项编号"]): (r["状态"], r["最低（元）"], r["最高（元）"])
                for r in csv.DictReader(fh)
                if r["奖补项编号"].startswith("t-")
            }
    assert results["duckdb"] == results["reference"]
    assert results["duckdb"][("t-4-digital", "D1")] == ("可享受", "0.00", "500000.00")


def test_caps_that_overlap_without_nesting_are_refused_by_the_compiled_backend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cap over 第一、三条 beside one over 第一、四条: the layers cannot count what is finally
    paid, so the batch engine says so (no traceback) and the reference engine evaluates it."""
    folder = overlapping_caps(tmp_path)
    register = csv_register(
        tmp_path, f"credit_code,name,region\n{CODE},相城示例机械有限公司,320507\n", "credit_code,id,kind,date\n"
    )
    assert main(["--policies", str(folder), "batch", str(register), "--engine", "duckdb", "--as-of", "2025-12-31"]) == 2
    err = capsys.readouterr().err
    overlap = (
        "限额“第一条、第四条合计每家企业每年支持资金不超过250万元”（test-other）与"
        "“第一条、第四条合计每家企业每年支持资金不超过250万元”（test-group）共有奖补项，但并非一项包含另一项且按同一期间计"
    )
    assert overlap in err, err
    assert "--engine reference" in err and "Traceback" not in err
    assert main(["--policies", str(folder), "export-sql", "--dialect", "spark"]) == 2
    assert main(["--policies", str(folder), "batch", str(register), "--engine", "reference", "--as-of", "2025-12-31"]) == 0
    capsys.readouterr()
    # no engine chosen: the default one cannot, so the run is the reference engine's, and says so
    assert main(["--policies", str(folder), "batch", str(register), "--as-of", "2025-12-31", "--json"]) == 0
    done = capsys.readouterr()
    assert json.loads(done.out)["engine"] == "reference"
    assert done.err.startswith(f"注意：{overlap}") and "本次改用参考引擎（reference）测算" in done.err, done.err


def test_a_ceiling_does_not_squeeze_out_an_exact_award_under_a_shared_yearly_cap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """吴中2025 第3条, 每家单位每年累计支持资金不超过500万元 over its device items: 创新医疗器械 最高200万元
    (05-15), 第三类 300万元 exact (06-01), 第二类 50万元 exact (07-01). The room went to the earlier
    ceiling at its full 200万元, and the exact 50万元 was refused as 额度已用尽 (0, and a total of 300万～500万元).
    What is certain counts first: 第二类 keeps its 50万元, the ceiling keeps what the exact awards leave
    (≤150万元), and the items add up to what the cap gives, 350万～500万元, in both engines."""
    code = make_credit_code("91320506MA1PRB016")
    events = (
        "credit_code,id,kind,date,device_class,first_registration,has_invention_patent,rd_expense,product_series,title,product\n"
        f"{code},D3,recognition,2025-05-15,,,,,,国家创新医疗器械特别审查程序,丙系列\n"
        f"{code},D1,device_registration,2025-06-01,第三类,是,是,20000000,甲系列,,\n"
        f"{code},D2,device_registration,2025-07-01,第二类,是,是,5000000,乙系列,,\n"
    )
    register = csv_register(tmp_path, f"credit_code,name,region\n{code},示例医疗器械企业,320506\n", events)
    rows = {}
    for engine_name in ("reference", "duckdb"):
        out = tmp_path / f"{engine_name}.csv"
        assert main(["batch", str(register), "--engine", engine_name, "--as-of", "2025-12-31", "--out", str(out)]) == 0
        capsys.readouterr()
        with out.open(encoding="utf-8-sig") as fh:
            rows[engine_name] = {
                r["事项编号"]: (r["奖补项编号"], r["状态"], r["最低（元）"], r["最高（元）"], r["原因与说明"])
                for r in csv.DictReader(fh)
                if r["状态"] == "可享受" and r["奖补项编号"].startswith("wz-3-")
            }
    for engine_name, got in rows.items():
        amounts = {e: r[:4] for e, r in got.items()}
        assert amounts == {
            "D3": ("wz-3-innovative-device", "可享受", "0.00", "1500000.00"),
            "D1": ("wz-3-class3-device", "可享受", "3000000.00", "3000000.00"),
            "D2": ("wz-3-class2-device", "可享受", "500000.00", "500000.00"),
        }, engine_name
    # the ceiling's row says the cap cut it and how the room was shared (an interpretation)
    assert "先计各项确定可得的金额，再按日期计其余可能金额" in rows["duckdb"]["D3"][4]
    assert "每年最高500万元（2025年）：已计确定金额350万元，本项至多150万元" in rows["reference"]["D3"][4]
    assert "每年最高500万元（2025年）：已计确定金额300万元，尚余200万元，本项不受影响" in rows["reference"]["D2"][4]


def test_an_award_its_own_cap_used_up_names_that_cap(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A third 技改 project after E1 and E2 have used 第一条's own 每年最高200万元: it is set aside as 额度已用尽 under
    that cap. It named the cap over 第一、四条 (每年最高250万元…已计确定金额200万元，额度已用尽), which had 50万元 left."""
    folder = policies(tmp_path)
    path = scenario(tmp_path)
    path.write_text(
        path.read_text(encoding="utf-8")
        + "  - {id: E3, kind: project, date: 2025-10-15, category: 企业技术改造, equipment_investment: 10000000元, total_investment: 12000000元}\n",
        encoding="utf-8",
    )
    assert main(["--policies", str(folder), "evaluate", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    e3 = next(a for a in data["set_aside"] if a["event"] == "E3")
    assert [r["text"] for r in e3["reasons"]] == ["每年最高200万元（2025年）：已计确定金额200万元，额度已用尽"]
