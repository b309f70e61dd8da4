"""The CLI through its real entry point: what a user types and reads."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from huiqi.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "scenarios" / "wuzhong-robot-maker.yaml"


def _scenario(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    """A scenario file ``name`` of the YAML ``text``."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_evaluate_prints_a_chinese_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "购买机器人产品或服务补助" in out
    assert "最高4万元" in out
    assert "吴中区财政 最高1.6万元；木渎镇财政 最高2.4万元（由木渎镇兑付）" in out
    # 80万元 and 50万元 bought in 2025: the year's 130万元 is over 50万元, so both purchases are paid
    assert "同一年度采购金额合计130万元，符合超过50万元（不含本数）" in out
    assert "不超过采购金额50万元 × 5% = 2.5万元" in out


def test_evaluate_json_carries_fen(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", str(EXAMPLE), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    robot = next(a for a in data["awards"] if a["benefit"] == "wz-1-robot-purchase")
    assert (robot["min_fen"], robot["max_fen"], robot["nature"]) == (0, 4_000_000, "ceiling")
    assert sum(p["max_fen"] for p in robot["payers"]) == robot["max_fen"]


def test_a_json_scenario_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    path = tmp_path / "s.json"
    path.write_text(
        json.dumps(yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")), default=str, ensure_ascii=False), encoding="utf-8"
    )
    assert main(["evaluate", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["awards"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("enterprise: [\n", "YAML格式错误"),
        ("enterprise: {credit_code: 91320506MA1XXXXX08, name: x, region: '320506'}\nevents: []\n", "校验码错误"),
        ("enterprise: {credit_code: 91320506MA1XXXXX09, name: x, region: '999999'}\n", "未知的行政区划代码"),
    ],
)
def test_bad_input_gets_a_clear_message_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, expected: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content, encoding="utf-8")
    assert main(["evaluate", str(path)]) == 2
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err


def test_a_missing_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "nope.yaml"]) == 2
    assert "找不到情景文件" in capsys.readouterr().err


def test_policies_lists_and_shows(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policies"]) == 0
    assert "wuzhong-2025" in capsys.readouterr().out
    assert main(["policies", "wuzhong-2025", "8"]) == 0
    out = capsys.readouterr().out
    assert "对设备投入300万元以上的企业技术改造项目" in out
    assert main(["policies", "wuzhong-2025", "99"]) == 2
    assert "第99条没有单独编码的奖补项" in capsys.readouterr().err
    assert main(["policies", "wujin-2024", "注意事项2"]) == 2  # not an article number: quoted as typed
    assert "《武进2024》“注意事项2”没有单独编码的奖补项" in capsys.readouterr().err


def test_an_article_is_found_as_a_person_types_it(capsys: pytest.CaptureFixture[str]) -> None:
    """苏州2025机器人 numbers its articles 一…十二 and 苏州2020 （一）…: ``8`` failed with “第8条没有单独编码的
    奖补项；已编码条款：…八…”, and ``第一条`` with “第一条”没有…, naming the article it refused as encoded."""
    for typed in ("8", "八", "第8条", "第八条", "（八）", "(八)", "８"):
        assert main(["policies", "suzhou-2025-robots", typed]) == 0, typed
        assert capsys.readouterr().out.startswith("《苏州2025具身智能》第八条\n"), typed
    assert main(["policies", "suzhou-2025-robots", "12", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["article"] == "十二"  # the document's own label
    for typed in ("第一条", "1", "（一）", "(一)", "一"):
        assert main(["policies", "suzhou-2020", typed]) == 0, typed
        assert capsys.readouterr().out.startswith("《苏州2020》第一条\n"), typed
    assert main(["policies", "suzhou-2020", "20"]) == 0
    assert capsys.readouterr().out.startswith("《苏州2020》第二十条\n")
    # and the other way round: Arabic-numbered 吴中2025 takes 十六 and 第十六条
    for typed in ("16", "十六", "第十六条", "第16条"):
        assert main(["policies", "wuzhong-2025", typed]) == 0, typed
        assert capsys.readouterr().out.startswith("《吴中2025》第16条\n"), typed
    # an article with no item of its own is still refused, in Chinese, without naming itself as encoded
    assert main(["policies", "suzhou-2025-robots", "7"]) == 2
    err = capsys.readouterr().err
    assert "《苏州2025具身智能》第7条没有单独编码的奖补项；已编码条款：一、二、三、四、五、六、八、九、十、十二。" in err
    assert main(["policies", "suzhou-2025-robots", "第九十九条"]) == 2
    assert "第九十九条没有单独编码的奖补项" in capsys.readouterr().err


def test_facts_prints_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["facts"]) == 0
    out = capsys.readouterr().out
    assert "统一社会信用代码" in out and "采购金额" in out


def test_every_command_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in sub.choices:  # type: ignore[union-attr]
        assert f"huiqi {name}" in readme, f"`huiqi {name}` is not documented in README.md"


def test_compare_puts_the_same_events_side_by_side(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(EXAMPLE), "--in", "320506", "--in", "320412", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    e1 = next(r for r in data["rows"] if r["event"] == "E1")
    assert any("购买机器人产品或服务补助：最高4万元" in c for c in e1["cells"]["320506"])
    assert not any("吴中2025" in c for c in e1["cells"]["320412"])
    assert "吴中2025" not in [d for r in data["regions"] if r["code"] == "320412" for d in r["documents"]]


def test_compare_says_why_an_event_earns_nothing_in_a_region(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A region's “—” hid why: 武进 reads another investment field than 吴中, and 2024 is before
    吴中2025; the line now names the item it came nearest to and its reason."""
    body = (
        "as_of: 2024-12-31\n"
        "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例企业, region: '320506', town: 木渎镇, manufacturing_enterprise: true}\n"
        "events:\n"
        "  - {id: E2, kind: project, date: 2024-09-15, category: 智能化改造, total_investment: 1200万元,"
        " equipment_investment: 900万元, smart_investment: 700万元, annual_investment: 1200万元}\n"
    )
    assert main(["compare", str(_scenario(tmp_path, body)), "--in", "320506", "--in", "320412"]) == 0
    out = capsys.readouterr().out
    assert "  吴中区（320506）：—（《吴中2025》第8条 企业技术改造项目补助：日期2024-09-15不在《吴中2025》有效期" in out
    assert (
        "  武进区（320412）：—（《武进2024》第1条 “智改数转网联”改造提升项目补助：缺少智能化设备及信息化投入，无法计算金额）"
        in out
    )


def test_compare_rejects_an_unknown_region(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(EXAMPLE), "--in", "123456"]) == 2
    assert "未知的行政区划代码" in capsys.readouterr().err


def test_plan_shows_indicators(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan"]) == 0
    out = capsys.readouterr().out
    assert "规模以上工业增加值率" in out and "2020年目标：23%" in out


def test_plan_text_shows_other_figures_126_and_cited_words(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan"]) == 0
    out = capsys.readouterr().out
    assert "四、其他数字（共132项，按所在部分分组）" in out
    assert "【“126”发展新态势】（3项）" in out
    assert "2大技术高地，即纳米和生物制药" in out
    assert "〔目标〕省级民营科技企业数：1.3万家以上；2020年" in out
    assert "   引文：“8规模以上工业增加值率（%）23”；“2015年规模以上工业增加值率20.5%”" in out
    assert "2015年：21" not in out and "2015年：127" not in out and "2015年：48.7" not in out


def test_plan_json_carries_annex_status_and_period_text(capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import date

    from huiqi.core.plan import plan_dict
    from huiqi.policyfile import DEFAULT_POLICY_DIR
    from huiqi.policyfile.plan_loader import load_plan

    assert main(["plan", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    plan = load_plan(DEFAULT_POLICY_DIR / "suzhou-2016-plan.yaml", DEFAULT_POLICY_DIR / "texts")
    assert data == plan_dict(plan, date.today())
    photovoltaic = next(a for a in data["annexed_policies"] if a["id"] == "photovoltaic")
    assert (photovoltaic["status"], photovoltaic["period_text"]) == ("期限未载明", "2015-01-01 起，止期未载明")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["batch", "r.xlsx", "--as-of", "2025-13-01"], "huiqi batch：错误：--as-of 应为日期YYYY-MM-DD，收到“2025-13-01”"),
        (["export-sql", "--dialect", "spark", "--as-of", "2025/12/31"], "--as-of 应为日期YYYY-MM-DD，收到“2025/12/31”"),
        (["serve", "--port", "abc"], "huiqi serve：错误：--port 应为整数，收到“abc”"),
        (
            ["synth", "--enterprises", "10", "--events-per-enterprise", "x", "--out", "r.xlsx"],
            "--events-per-enterprise 应为数值，收到“x”",
        ),
        (
            ["batch", "r.xlsx", "--engine", "duk"],
            "--engine 的值“duk”不在可选范围内（是否为“duckdb”？）；可选：duckdb、spark、reference",
        ),
        (["evaluat", "s.yaml"], "huiqi：错误：未知的命令“evaluat”（是否为“evaluate”？）；可用：evaluate、policies"),
        ([], "huiqi：错误：缺少命令；可用：evaluate、"),
        (["evaluate"], "huiqi evaluate：错误：缺少必需的参数：scenario（情景文件路径，见 examples/scenarios/）"),
        (["synth", "--out", "r.xlsx"], "缺少必需的参数：--enterprises（企业数）"),
        (["evaluate", "s.yaml", "--bogus"], "huiqi：错误：无法识别的参数：--bogus"),
        (["compare", "s.yaml", "--in"], "--in 之后应给出一个值"),
    ],
)
def test_argument_mistakes_are_told_in_chinese_with_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("用法：huiqi")
    assert expected in err
    for english in ("usage:", "error:", "invalid", "required", "choose from", "unrecognized", "expected"):
        assert english not in err


def test_help_is_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["evaluate", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("用法：huiqi evaluate") and "位置参数" in out and "显示本帮助并退出" in out


def test_policies_not_in_force_on_the_event_date_are_not_near_misses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 2025 recognition is no near miss of 苏州2020 (in force 2021–2023): it is listed apart,
    one line each with the window, and the JSON marks it."""
    path = _scenario(
        tmp_path,
        "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例企业, region: '320506', town: 木渎镇}\n"
        "events:\n"
        "  - {id: R1, kind: recognition, date: 2025-09-10, title: 首台（套）装备及关键零部件, level: 省级, unit_price: 100万元}\n"
        "  - {id: P1, kind: purchase, date: 2025-06-30, category: 机器人产品或服务, amount: 50万元}\n",
    )
    assert main(["evaluate", str(path)]) == 0
    out = capsys.readouterr().out
    near, _, outside = out.partition("、事项日期不在政策有效期内、不适用的（2项）\n")
    assert "同一年度采购金额合计50万元未超过50万元" in near and "苏州2020" not in near.split("差一点符合的")[1]
    assert outside.splitlines()[0] == (
        "1. 《苏州2020》第十六条　首台（套）装备及关键零部件一次性奖励（事项R1）："
        "日期2025-09-10不在《苏州2020》有效期（2021-01-01至2023-12-31，按解释）内"
    )
    assert main(["evaluate", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {(a["benefit"], a["out_of_window"]) for a in data["near_misses"] if a["event"] == "R1"} == {
        ("sz20-16-first-set", True),
        ("sz20-16-first-purchase", True),
    }
    assert all(not a["out_of_window"] for a in data["near_misses"] if a["event"] == "P1")
    # 适用政策 lists 苏州2020 by place, saying that none of the scenario's dates is in its window
    lapsed = "有效期2021-01-01至2023-12-31，所填事项与基准日均不在有效期内"
    assert data["document_notes"] == {"suzhou-2020": lapsed}
    assert main(["evaluate", str(path)]) == 0
    (listed,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("适用政策：")]
    assert f"（{lapsed}）" in listed and listed.count("（有效期") == 1


def test_the_rules_a_document_applies_to_all_its_benefits_are_shown(capsys: pytest.CaptureFixture[str]) -> None:
    """吴中2025 第21、22条 encode no benefit of their own; their 就高不重复 and 4:6 split apply to all."""
    assert main(["policies", "wuzhong-2025"]) == 0
    rules = capsys.readouterr().out.split("全文适用的规则")[1]
    assert "就高不重复：本文件各条之间，并对市级、区级政策（“对于已经依据市、区其他政策措施获得过资金奖励的项目" in rules
    assert "出资：吴中区财政 4、镇（开发区、太湖新城）财政 6，由镇（开发区、太湖新城）财政兑付" in rules
    assert "解释（原文未明确）：适用主体：原文未规定统一的申报主体范围" in rules  # the reading, not only its words
    assert main(["policies", "wuzhong-2025", "21"]) == 2
    assert "全文适用的规则（就高不重复、出资与兑付、合计上限等）见 huiqi policies wuzhong-2025" in capsys.readouterr().err


def test_events_after_the_reference_date_are_pointed_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An event dated after 基准日 is evaluated on its own date, and the evaluation says so (a
    mistyped year or 基准日 otherwise passes unnoticed), as ``huiqi batch`` does for a register."""
    path = _scenario(
        tmp_path,
        "as_of: 2025-12-31\n"
        "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例企业, region: '320506', town: 木渎镇}\n"
        "events:\n"
        "  - {id: P1, kind: purchase, date: 2025-06-30, category: 机器人产品或服务, amount: 80万元}\n"
        "  - {id: P2, kind: purchase, date: 2052-06-30, category: 机器人产品或服务, amount: 80万元}\n",
    )
    assert main(["evaluate", str(path)]) == 0
    note = (
        "注意：1条事项的发生日期晚于基准日2025-12-31：P2（2052-06-30），已按各自日期测算；如基准日或日期有误，请更正后重新测算。"
    )
    assert note in capsys.readouterr().out.splitlines()
    assert main(["evaluate", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["as_of"], data["events_after_as_of"], data["notice"]) == ("2025-12-31", ["P2"], note)
    path.write_text(path.read_text(encoding="utf-8").replace("2052-06-30", "2025-12-31"), encoding="utf-8")
    assert main(["evaluate", str(path), "--json"]) == 0  # on 基准日 itself: no notice
    data = json.loads(capsys.readouterr().out)
    assert (data["events_after_as_of"], data["notice"]) == ([], "")


def test_examples_checks_a_policy_authors_worked_examples(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``huiqi examples`` runs the worked examples of a folder as the test suite runs the bundled
    ones, naming each difference, so an encoder of a new document can check its examples."""
    good = ROOT / "policies" / "examples" / "wuzhong-2025" / "art01-robot-purchase.yaml"
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(good.read_text(encoding="utf-8").replace("max: 4万元}", "max: 5万元}"), encoding="utf-8")
    assert main(["examples", str(good)]) == 0
    assert "共1个算例：通过1个，未通过0个" in capsys.readouterr().out
    assert main(["examples", str(wrong)]) == 1
    out = capsys.readouterr().out
    assert "✗" in out and "wz-1-robot-purchase（事项E1）应为0元～5万元，实际0元～4万元" in out, out
    assert "合计应为0元～5万元，实际0元～4万元" in out
    assert main(["examples", str(tmp_path / "none")]) == 2
    assert "算例文件或文件夹不存在" in capsys.readouterr().err


def test_compare_leaves_out_awards_of_governments_that_do_not_govern_the_other_region(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 苏州市 award netted 武进's (常州市) award as if it were 武进's own 上级: 45万元 received took
    50万元 down to 5万元. In 武进 it is left out, and the comparison says so."""
    path = _scenario(
        tmp_path,
        "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例装备企业, region: '320506', town: 木渎镇}\n"
        "events:\n"
        "  - {id: R1, kind: recognition, date: 2024-09-10, title: 首台（套）智能化重大装备, level: 省级, product: 装备A}\n"
        "prior_awards:\n"
        "  - {amount: 45万元, year: 2024, level: city, event: R1, document: 苏州市首台套政策}\n"
        "  - {amount: 10万元, year: 2024, level: province, event: R1, document: 江苏省首台套政策}\n",
    )
    assert main(["compare", str(path), "--in", "320506", "--in", "320412", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    wujin = next(a for a in data["results"]["320412"]["awards"] if a["benefit"] == "wj-11-first-set")
    assert wujin["max_fen"] == 40_000_000  # 50万元 less the province's 10万元 (江苏 governs both), not less 苏州's 45万元
    notes = {r["code"]: r["note"] for r in data["regions"]}
    assert notes == {"320506": "", "320412": "已获奖补中苏州市首台套政策45万元由不管辖武进区的政府给予，在此地区测算时未计入"}


def test_a_two_level_cap_says_when_an_award_received_names_no_event(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """吴中 第3条 市、区两级 counts city awards for the trials it covers; a city award that names no
    event cannot be placed, and was left out without a word (600万元 paid, 200万元 may be due)."""
    path = _scenario(
        tmp_path,
        "as_of: 2025-12-31\n"
        "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例创新药企业, region: '320506', town: 木渎镇}\n"
        "events:\n"
        "  - {id: T1, kind: clinical_trial, date: 2025-09-01, drug_type: 创新药, phase: Ⅲ期, rd_investment: 3000万元, in_china: true}\n"
        "prior_awards:\n"
        "  - {amount: 2800万元, year: 2025, level: city, document: 苏州市生物医药政策}\n",
    )
    assert main(["evaluate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "另有已获市级、区（县）级奖补2800万元未注明事项，无法判断是否计入本限额，未计入（请核实）" in out


_TWO_RENOVATIONS = (
    "as_of: 2025-12-31\n"
    "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例企业, region: '320506', town: 木渎镇, industrial: true}\n"
    "events:\n"
    "{before}"
    "  - {id: D1, kind: project, date: 2025-06-01, category: 数字化网络化改造, total_investment: 800万元, annual_investment: 300万元}\n"
    "  - {id: D2, kind: project, date: 2025-07-01, category: 数字化网络化改造, total_investment: 600万元,"
    " annual_investment: 300万元, equipment_investment: 500万元}\n"
)


def test_jiugao_keeps_the_item_that_pays_more_after_the_yearly_caps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """吴中2025 第8条, two 数字化网络化改造 projects in one year. D2 is also a 技改 project: 数字化 pays
    60万元 and 技改 30万元 on their own, but D1's 80万元 leaves 数字化's yearly 100万元 only 20万元.
    就高 kept 数字化 before the caps (100万元 in all); keeping 技改 pays 110万元, and the item set
    aside says why it gave way (it said the other was higher and asked for review)."""
    path = _scenario(tmp_path, _TWO_RENOVATIONS.replace("{before}", ""))
    data, loser, notes = _set_aside_with_notes(path, capsys, "D2")
    awards = sorted((a["benefit"], a["event"], a["max_fen"]) for a in data["awards"])
    assert awards == [("wz-8-digital-renovation", "D1", 800_000_00), ("wz-8-tech-renovation", "D2", 300_000_00)]
    assert data["totals"]["total"]["max_fen"] == 1_100_000_00
    kept = next(a for a in data["awards"] if a["event"] == "D2")
    assert "就高不重复；该项首轮测算经年度限额削减后低于本项，保留本项" in [s["text"].split("）", 1)[-1] for s in kept["steps"]]
    assert loser["benefit"] == "wz-8-digital-renovation"
    assert notes == [
        "注意：首轮测算保留本项时，本项经年度限额削减后低于《吴中2025》第8条“企业技术改造项目补助”；改按该项支持，"
        "企业合计可得更多（解释：原文未明确“就高”按限额前还是限额后的金额比较，按企业实际可得金额比较）"
    ]


def test_jiugao_keeps_its_first_choice_when_the_other_pays_no_more(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """As above, but a 技改 project D0 earlier in the year has used 技改's yearly 100万元: keeping 技改 for
    D2 would pay nothing there (200万元 in all becomes 180万元). 数字化 stays kept at 20万元, and the
    item set aside says it was tried, for review."""
    d0 = "  - {id: D0, kind: project, date: 2025-05-10, category: 企业技术改造, total_investment: 3000万元, equipment_investment: 3000万元}\n"
    path = _scenario(tmp_path, _TWO_RENOVATIONS.replace("{before}", d0))
    data, loser, notes = _set_aside_with_notes(path, capsys, "D2")
    assert data["totals"]["total"]["max_fen"] == 2_000_000_00
    assert loser["benefit"] == "wz-8-tech-renovation"
    assert notes == [
        "注意：保留的《吴中2025》第8条“数字化网络化改造项目补助”经限额削减后为最高20万元，低于本项最高30万元；"
        "已改按本项重新测算，企业合计可得未更高，仍保留该项，请人工复核"
    ]


_COMPUTE = "embodied_ai: true, model_params: 150, typical_scenarios: 6, model_builder: true}}\n"


def test_jiugao_tries_the_earliest_case_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """苏州2025 第八条 (50% 每年最高300万元, or 20% 每年最高200万元): C1 400万元, C2 510万元, C3 190万元 of compute. Before the
    caps the 50% item is kept for all three (300万元 in all): C2 and C3 are cases. Keeping the 20% item at both pays
    340万元; at C2 alone 397万元, since C3's 50% item then fits in the room left (95万元). The second is taken."""
    events = [("C1", "06", "400"), ("C2", "07", "510"), ("C3", "08", "190")]
    text = (
        "as_of: 2025-12-31\nenterprise: {credit_code: 91320506MA1XXXXX09, name: 示例企业, region: '320506', town: 木渎镇}\n"
        "events:\n"
        + "".join(
            f"  - {{id: {e}, kind: compute_use, date: 2025-{m}-01, compute_cost: {c}万元, " + _COMPUTE.format()
            for e, m, c in events
        )
    )
    data, loser, notes = _set_aside_with_notes(_scenario(tmp_path, text), capsys, "C2")
    assert data["totals"]["total"]["max_fen"] == 3_970_000_00
    kept = sorted((a["event"], a["benefit"], a["max_fen"]) for a in data["awards"])
    assert kept == [
        ("C1", "sz25-8-large-model-compute", 2_000_000_00),
        ("C2", "sz25-8-compute-user", 1_020_000_00),
        ("C3", "sz25-8-large-model-compute", 950_000_00),
    ]
    assert loser["benefit"] == "sz25-8-large-model-compute" and len(notes) == 1 and "改按该项支持，企业合计可得更多" in notes[0]


def test_jiugao_says_which_case_of_an_event_was_tried(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """吴中2025 第8、9条: D2 is a 数字化 project (kept, cut to 20万元 by its yearly cap) that 技改 (30万元) and 专精特新设备
    (50万元) also cover. Only the higher of the two, 专精特新设备, is tried kept; it pays no more in all (D3 needs 第9条's
    room). 技改 was not tried: it says so, and asks for review, rather than that it was tried."""
    text = (
        _TWO_RENOVATIONS.replace("{before}", "").replace(
            "industrial: true}",
            "industrial: true, qualifications: [{title: 专精特新中小企业, level: 省级, since: 2024-03-01}]}",
        )
        + "  - {id: D3, kind: project, date: 2025-08-01, category: 专精特新企业设备投入, equipment_investment: 3000万元}\n"
    )
    assert main(["evaluate", str(_scenario(tmp_path, text)), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    notes = {a["benefit"]: [r["text"] for r in a["reasons"] if r["text"].startswith("注意：")] for a in data["set_aside"]}
    tried = "已改按本项重新测算，企业合计可得未更高，仍保留该项，请人工复核"
    untried = "按就高原则可能应改按本项支持，请人工复核（就高不重复先于年度限额判断）"
    assert [n.endswith(tried) for n in notes["wz-9-srdi-equipment"]] == [True], notes
    assert [n.endswith(untried) for n in notes["wz-8-tech-renovation"]] == [True], notes


def test_an_item_set_aside_for_one_topped_up_for_the_same_event_is_not_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """C1's kept 50% item pays 50万元, the difference to the 150万元 received for C1; the 20% item set
    aside (80万元) would have had the same 150万元 deducted, so nothing is to review (the note said
    the kept item was “经限额削减后为50万元”, though no cap cut it)."""
    path = _scenario(
        tmp_path,
        "as_of: 2025-12-31\n"
        "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例企业, region: '320506', town: 木渎镇}\n"
        "events:\n"
        "  - {id: C1, kind: compute_use, date: 2025-06-01, compute_cost: 400万元, embodied_ai: true, model_params: 150,"
        " typical_scenarios: 6, model_builder: true}\n"
        "prior_awards:\n"
        "  - {amount: 150万元, year: 2025, level: city, benefit: sz25-8-large-model-compute, event: C1, document: 苏州2025具身智能}\n",
    )
    data, loser, notes = _set_aside_with_notes(path, capsys, "C1")
    assert [(a["benefit"], a["max_fen"]) for a in data["awards"]] == [("sz25-8-large-model-compute", 50 * 1_000_000)]
    assert loser["benefit"] == "sz25-8-compute-user" and notes == []


def _set_aside_with_notes(path: Path, capsys: pytest.CaptureFixture[str], event: str) -> tuple[Any, Any, list[str]]:
    """The evaluation's JSON, the item set aside for ``event`` and its review notes (注意：…)."""
    assert main(["evaluate", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    loser = next(a for a in data["set_aside"] if a["event"] == event)
    return data, loser, [r["text"] for r in loser["reasons"] if r["text"].startswith("注意：")]


def test_examples_counts_a_malformed_file_as_one_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file in another encoding, or an expectation without its benefit, stopped the whole run
    with a traceback (UnicodeDecodeError, KeyError); each is now one failed example, in words."""
    good = ROOT / "policies" / "examples" / "wuzhong-2025" / "art01-robot-purchase.yaml"
    shutil.copy(good, tmp_path / "a-good.yaml")
    (tmp_path / "b-gbk.yaml").write_bytes(good.read_text(encoding="utf-8").encode("gb18030"))
    text = good.read_text(encoding="utf-8")
    (tmp_path / "c-no-benefit.yaml").write_text(
        text.replace("benefit: wz-1-robot-purchase, event: E1", "event: E1"), encoding="utf-8"
    )
    (tmp_path / "d-unknown.yaml").write_text(
        text.replace("wz-1-robot-purchase, event: E1", "wz-1-nope, event: E1"), encoding="utf-8"
    )
    assert main(["examples", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "共4个算例：通过1个，未通过3个" in out, out
    assert "不是UTF-8编码的文本（请另存为UTF-8）" in out
    assert "expect.awards[0]缺少奖补项编号（benefit）" in out
    assert "expect.awards[0]：没有编号为“wz-1-nope”的奖补项" in out


def test_examples_refuses_a_key_it_does_not_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``award:`` for ``awards:``, ``totl:`` and a ``payers:`` inside an award were ignored: the
    example passed while asserting nothing. Each is named, as an unknown key of a policy file is."""
    good = ROOT / "policies" / "examples" / "wuzhong-2025" / "art01-robot-purchase.yaml"
    text = good.read_text(encoding="utf-8")
    (tmp_path / "a-award.yaml").write_text(text.replace("  awards:", "  award:"), encoding="utf-8")
    (tmp_path / "b-totl.yaml").write_text(text.replace("  total:", "  totl:"), encoding="utf-8")
    (tmp_path / "c-payers.yaml").write_text(
        text.replace("min: 0, max: 4万元}", "min: 0, max: 4万元, payers: {district: 1万元}}", 1), encoding="utf-8"
    )
    (tmp_path / "d-top.yaml").write_text(text.replace("expect:", "note: 说明\nexpect:"), encoding="utf-8")
    assert main(["examples", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "共4个算例：通过0个，未通过4个" in out, out
    assert "expect：未知字段“award”（可用：absent、awards、near_misses、only_listed、set_aside、total）" in out
    assert "expect：未知字段“totl”（可用：" in out
    assert "expect.awards[0]：未知字段“payers”（可用：benefit、event、max、min）" in out
    assert "未知字段“note”（可用：expect、scenario、title）" in out


def test_an_article_shows_who_pays_whether_review_decides_and_the_yearly_event(capsys: pytest.CaptureFixture[str]) -> None:
    """``huiqi policies DOC ARTICLE`` left out the payer split (区4:镇6) and 须经评审, and printed
    事项：enterprise for a yearly item."""
    assert main(["policies", "wuzhong-2025", "3"]) == 0
    out = capsys.readouterr().out
    assert "  出资：吴中区财政、镇（开发区、太湖新城）财政按4:6分担，由镇（开发区、太湖新城）财政兑付（全文规定）\n" in out, out
    assert "wz-3-innovative-drug" in out and "须经评审" in out
    assert main(["policies", "wuzhong-2025", "1"]) == 0
    out = capsys.readouterr().out
    assert "  事项：年度（企业层面）　金额：最高100万元（阶梯式，细则未公布）" in out and "事项：enterprise" not in out
    assert main(["policies", "wuzhong-2025", "3", "--json"]) == 0
    (drug,) = [b for b in json.loads(capsys.readouterr().out)["benefits"] if b["id"] == "wz-3-innovative-drug"]
    assert drug["review"] is True
    assert drug["funding"]["split"] == "4:6" and drug["funding"]["scope"] == "document"
    assert [(s["role"], s["weight"]) for s in drug["funding"]["shares"]] == [("district", 4), ("town", 6)]
    assert main(["policies", "suzhou-2020", "一", "--json"]) == 0
    (loan,) = [b for b in json.loads(capsys.readouterr().out)["benefits"] if b["id"] == "sz20-1-loan-city"]
    assert loan["funding"]["scope"] == "benefit" and loan["funding"]["shares"][0]["payer"] == "苏州市财政"
    assert "本项规定：“市级财政按照项目贷款额的 1%给予贴息奖励”" in loan["funding"]["text"]


def test_the_text_says_which_reference_date_it_judged_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without as_of a scenario is judged on its last event's date, a register on today: only the
    JSON said which (a tester compared the two and found rows that differ)."""
    body = (
        "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例企业, region: '320506', town: 木渎镇}\n"
        "events:\n"
        "  - {id: E1, kind: purchase, date: 2025-06-30, category: 机器人产品或服务, amount: 80万元}\n"
        "  - {id: E2, kind: purchase, date: 2026-03-01, category: 机器人产品或服务, amount: 80万元}\n"
    )
    assert main(["evaluate", str(_scenario(tmp_path, body))]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "基准日：2026-03-01（未填写as_of，取最后一个事项的日期）"
    assert main(["evaluate", str(_scenario(tmp_path, "as_of: 2025-12-31\n" + body))]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "基准日：2025-12-31"


def test_a_yearly_cap_says_which_year_it_counted_and_what_was_received_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """“每年最高100万元：已计99.5万元” did not say the 99.5万元 was a 2025 award received before."""
    body = (
        "as_of: 2026-12-31\n"
        "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例企业, region: '320506', town: 木渎镇}\n"
        "events:\n"
        "  - {id: E1, kind: purchase, date: 2025-06-30, category: 机器人产品或服务, amount: 1000万元}\n"
        "  - {id: E2, kind: purchase, date: 2026-03-01, category: 机器人产品或服务, amount: 1000万元}\n"
        "prior_awards:\n"
        "  - {amount: 30万元, year: 2025, level: district, benefit: wz-1-robot-purchase, document: 吴中2025}\n"
    )
    assert main(["evaluate", str(_scenario(tmp_path, body))]) == 0
    out = capsys.readouterr().out
    assert "每年最高100万元（2025年，含已获奖补30万元）：已计确定金额30万元，尚余70万元，本项不受影响" in out  # 5% of 1000万元
    assert "每年最高100万元（2026年）" not in out  # nothing counted in 2026, nothing cut: no line


def test_serve_help_lists_the_environment_the_web_app_reads(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/web.md sends an operator to ``huiqi serve --help`` for the environment variables: every one
    the web app's factory and job runner read is listed there."""
    web = Path(__file__).resolve().parents[1] / "src" / "huiqi" / "web"
    read = set()
    for path in web.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        read |= set(re.findall(r'environ\.get\("(HUIQI_\w+)"', text)) | set(re.findall(r'_ENV = "(HUIQI_\w+)"', text))
    read.discard("HUIQI_SERVE_BALANCE")  # set by serve itself for its workers, not by an operator
    assert {"HUIQI_POLICIES", "HUIQI_DATA", "HUIQI_ROOT_PATH", "HUIQI_BATCH_KEEP_DAYS"} <= read
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    shown = capsys.readouterr().out
    assert [name for name in sorted(read) if name not in shown] == []


def test_an_applicant_refused_by_an_item_for_enterprises_is_shown_the_items_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """吴中2025 admits universities in general, but 第13条 信创 is for 企业 (鼓励企业加大信创投入): a 高校院所
    is refused with those words, not with the document's general clause (依据上级政策规定，制定本政策)."""
    path = _scenario(
        tmp_path,
        "as_of: 2025-12-31\n"
        "enterprise: {credit_code: 12320506466W20004Q, name: 示例研究院, kind: 高校院所, region: '320506', town: 木渎镇}\n"
        "events:\n"
        "  - {id: X1, kind: project, date: 2025-08-01, category: 信创投入, total_investment: 100万元}\n",
    )
    assert main(["evaluate", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (miss,) = [a for a in data["near_misses"] if a["benefit"] == "wz-13-xinchuang"]
    assert miss["reasons"] == [{"text": "主体类型“高校院所”不在支持范围（企业）内", "cite": "鼓励企业加大信创投入"}]
    assert not data["awards"]
    # no amount is computed for a near miss: the nature its text states (按不超过…的30%给予补助), not 0元 确定金额
    assert (miss["nature"], miss["nature_label"]) == ("ceiling", "最高限额（经审核确定）")
    assert [miss[k] for k in ("min_fen", "max_fen", "min_yuan", "max_yuan", "amount_text")] == [None] * 5


def test_a_yes_no_fact_left_blank_is_said_to_be_read_as_its_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """吴中2025 第3条 is for trials 在国内开展; a trial that does not say so is read as one (the catalogue's
    default), and the explanation says it was not given instead of showing it as established."""
    trial = "  - {id: T1, kind: clinical_trial, date: 2025-09-01, drug_type: 创新药, phase: Ⅲ期, rd_investment: 3000万元%s}\n"
    texts = {}
    for name, extra in (("blank", ""), ("given", ", in_china: true")):
        path = _scenario(
            tmp_path,
            "as_of: 2025-12-31\n"
            "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例创新药企业, region: '320506', town: 木渎镇}\n"
            "events:\n" + trial % extra,
            name=f"{name}.yaml",
        )
        assert main(["evaluate", str(path), "--json"]) == 0
        (award,) = [a for a in json.loads(capsys.readouterr().out)["awards"] if a["event"] == "T1"]
        texts[name] = [c["text"] for c in award["conditions"] if c["text"].startswith("是否在国内开展")]
    assert texts == {"blank": ["是否在国内开展：是（未填写，按默认值）"], "given": ["是否在国内开展：是"]}
    assert main(["facts"]) == 0
    assert "是否在国内开展（是/否，未填写按“是”）" in capsys.readouterr().out
    assert main(["facts", "--json"]) == 0
    fields = {f["name"]: f for k in json.loads(capsys.readouterr().out)["events"] for f in k["fields"]}
    assert (fields["in_china"]["default"], fields["related_party"]["default"], fields["rd_investment"]["default"]) == (
        "是",
        "否",
        None,
    )


def test_an_event_no_item_selects_is_said_not_left_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 吴中 enterprise's project of category 智改数转网联改造 (武进2024's word) matched no item of 吴中 or
    苏州 and vanished from the result: the officer told the enterprise it gets nothing for it. It is
    listed, with the document whose items would take it; an event of a category no document uses says so."""
    path = _scenario(
        tmp_path,
        "as_of: 2025-12-31\n"
        "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例企业, region: '320506', town: 木渎镇, industrial: true}\n"
        "events:\n"
        "  - {id: P1, kind: project, date: 2025-09-01, category: 智改数转网联改造, total_investment: 1200万元}\n"
        "  - {id: E1, kind: purchase, date: 2025-06-30, category: 机器人产品或服务, amount: 80万元}\n",
    )
    assert main(["evaluate", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unmatched_events"] == [
        {
            "event": "P1",
            "kind": "project",
            "date": "2025-09-01",
            "text": "只有《武进2024》有适用于该事项的条款，该文件不适用于注册在吴中区的企业",
        }
    ]
    assert main(["evaluate", str(path)]) == 0
    assert "、没有适用条款的事项（1项）\n1. 事项P1（2025-09-01）：只有《武进2024》" in capsys.readouterr().out
    assert main(["evaluate", str(EXAMPLE), "--json"]) == 0  # every event of the example is taken by some item
    assert json.loads(capsys.readouterr().out)["unmatched_events"] == []


def test_an_article_shows_what_the_engine_checks_and_how_it_reckons(capsys: pytest.CaptureFixture[str]) -> None:
    """政策库: 吴中2025 第8条 showed 金额：不超过基数的10% without the 基数 or the coded conditions (设备投入≥300万,
    工业企业): an officer could check the encoding against the text only by building test cases."""
    assert main(["policies", "wuzhong-2025", "8"]) == 0
    out = capsys.readouterr().out
    assert (
        "  条件：主体类型为企业；项目类别应为企业技术改造、智能化改造、数字化网络化改造、节能技改；是否工业企业应为“是”；设备投入300万元以上（含本数）\n"
        in out
    )
    assert "  计算：不超过项目实际总投入 × 5%\n" in out
    assert main(["policies", "wuzhong-2025", "8", "--json"]) == 0
    (tech,) = [b for b in json.loads(capsys.readouterr().out)["benefits"] if b["id"] == "wz-8-tech-renovation"]
    assert tech["formula"] == "不超过项目实际总投入 × 5%" and "设备投入300万元以上（含本数）" in tech["conditions"]


def test_a_near_miss_says_what_the_item_would_pay_were_it_met(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A blank 是否工业企业 keeps 吴中2025 第8条 智能化改造 (10% of 1200万元 = 120万元) from a 1200万元 project; the
    result's headline showed what was granted and the near miss only why, not the money at stake."""
    path = _scenario(
        tmp_path,
        "as_of: 2025-12-31\n"
        "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例企业, region: '320506', town: 木渎镇}\n"
        "events:\n"
        "  - {id: P1, kind: project, date: 2025-09-01, category: 智能化改造, total_investment: 1200万元,"
        " equipment_investment: 900万元, smart_investment: 700万元}\n",
    )
    assert main(["evaluate", str(path), "--json"]) == 0
    near = {a["benefit"]: a for a in json.loads(capsys.readouterr().out)["near_misses"]}
    assert near["wz-8-smart-renovation"]["if_met"] == "最高120万元"
    assert near["wz-8-tech-renovation"]["if_met"] == "最高60万元"
    assert near["wz-8-smart-renovation"]["max_fen"] is None  # a near miss has no amount: if_met says what is at stake
    assert main(["evaluate", str(path)]) == 0
    assert (
        "   → 若满足上述条件，按所填事实本项可得（按本项年度限额封顶，未计其已用额度与就高不重复）：最高120万元\n"
        in capsys.readouterr().out
    )


def test_what_a_near_miss_would_pay_is_bounded_by_its_own_yearly_maximum(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """吴中2025 第8条 企业技术改造: 5% of a 5000万元 project is 250万元, but 单个企业每年最高100万元: a near miss (设备投入
    200万元, under 300万元) said it would pay 最高250万元, which no award of the item can."""
    path = _scenario(
        tmp_path,
        "as_of: 2025-12-31\n"
        "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例企业, region: '320506', town: 木渎镇, industrial: true}\n"
        "events:\n"
        "  - {id: P1, kind: project, date: 2025-09-01, category: 企业技术改造, total_investment: 5000万元,"
        " equipment_investment: 200万元}\n",
    )
    assert main(["evaluate", str(path), "--json"]) == 0
    near = {a["benefit"]: a for a in json.loads(capsys.readouterr().out)["near_misses"]}
    assert near["wz-8-tech-renovation"]["if_met"] == "最高100万元"


def test_a_ratio_just_below_its_threshold_is_not_shown_as_the_threshold(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """300万元 / 6,000,000.02元 = 49.99999983%: the near miss read “比例50%低于50%”, a value rounded onto the
    threshold it is said to be below. It is shown with the places it takes to stay below; 50% exactly stays 50%."""
    project = (
        "as_of: 2025-12-31\n"
        "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例企业, region: '320506', town: 木渎镇, industrial: true}\n"
        "events:\n"
        "  - {id: P1, kind: project, date: 2025-09-01, category: 智能化改造, total_investment: %s,"
        " equipment_investment: 500万元, smart_investment: 300万元}\n"
    )
    assert main(["evaluate", str(_scenario(tmp_path, project % "6000000.02元"))]) == 0
    out = capsys.readouterr().out
    assert "50%低于50%" not in out
    assert "智能改造（含软件）投资额占项目实际总投入的比例49.9999998%低于50%（要求不低于50%（含本数））" in out
    assert main(["evaluate", str(_scenario(tmp_path, project % "600万元"))]) == 0  # exactly 50%: met, and shown as 50%
    assert "比例50%，符合不低于50%（含本数）" in capsys.readouterr().out


def test_an_item_granted_without_a_stated_amount_has_no_amount_and_is_counted_apart(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """吴中2025 第6条 经区专题会议研究后予以支持 states no amount: the JSON said 0 fen (a client summing it told the
    firm it gets 0元, as the register's rows say null); it is null, and the totals count it apart."""
    path = tmp_path / "s.yaml"
    path.write_text(
        "as_of: 2025-12-31\n"
        "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例企业, region: '320506', industrial: true}\n"
        "events:\n"
        "  - {id: M1, kind: project, date: 2025-06-01, category: 重大产业项目}\n"
        "  - {id: P1, kind: purchase, date: 2025-06-30, category: 人形机器人产品或服务, amount: 80万元}\n",
        encoding="utf-8",
    )
    assert main(["evaluate", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    major = next(a for a in data["awards"] if a["event"] == "M1")
    assert (major["nature"], major["min_fen"], major["max_fen"], major["min_yuan"], major["max_yuan"]) == (
        "none",
        None,
        None,
        None,
        None,
    )
    total = data["totals"]["total"]
    assert (total["max_fen"], total["count"], total["unpriced"]) == (8_000_000, 1, 1)
    assert data["totals"]["by_document"]["wuzhong-2025"]["unpriced"] == 1
    assert main(["evaluate", str(path)]) == 0
    assert "总计：最高8万元（1项）；另有1项可享受但原文未定金额，未计入" in capsys.readouterr().out


def test_an_award_received_named_as_an_award_is_not_called_an_award_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """已获苏州市专精特新奖励奖励20万元: the document's own name ends in 奖励."""
    path = _scenario(
        tmp_path,
        "as_of: 2025-12-31\n"
        "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例企业, region: '320506', industrial: true}\n"
        "events:\n  - {id: Q1, kind: recognition, date: 2025-07-15, title: 专精特新中小企业, level: 省级}\n"
        "prior_awards:\n  - {amount: 20万元, year: 2025, level: city, event: Q1, document: 苏州市专精特新奖励}\n",
    )
    assert main(["evaluate", str(path)]) == 0
    out = capsys.readouterr().out
    assert "该事项已获苏州市专精特新奖励20万元" in out and "奖励奖励" not in out


def test_an_item_that_only_lacks_facts_is_told_apart_from_a_near_miss_with_what_to_fill_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 武进 firm that left out its 当年度产销 was told it “nearly” qualifies for the 50亿元 award; a project without its
    智能化设备及信息化投入 got “无法计算金额” with no key to write. Items whose only reasons are facts not given are
    listed apart, with the facts to fill in by label and key."""
    path = _scenario(
        tmp_path,
        "as_of: 2024-12-31\n"
        "enterprise: {credit_code: 91320412MA1WJ00024, name: 武进甲, region: '320412', industrial: true,"
        " manufacturing_enterprise: true}\n"
        "events:\n  - {id: P1, kind: project, date: 2024-03-15, category: 智改数转网联改造, total_investment: 400万元}\n",
    )
    assert main(["evaluate", str(path)]) == 0
    out = capsys.readouterr().out
    near, unknown = out.split("差一点符合的")[1].split("缺少资料、尚无法判断的")
    assert "“智改数转网联”改造提升项目补助（事项P1）" in near  # 400万元 does not pass 超500万元: nearly met
    assert "请补充：当年度产销（销售收入）（enterprise.annual_sales）、以往年度最高产销（enterprise.prior_peak_sales）" in unknown
    assert main(["evaluate", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    by_id = {(a["benefit"], a["event"]): a for a in data["near_misses"]}
    smart = by_id[("wj-1-smart-upgrade", "P1")]
    assert (smart["incomplete"], smart["missing_facts"]) == (False, [])
    sales = next(
        a for a in data["near_misses"] if a["missing_facts"] and a["missing_facts"][0]["fact"] == "enterprise.annual_sales"
    )
    assert sales["incomplete"] is True


def test_an_amount_far_below_its_threshold_is_pointed_out_as_maybe_meant_in_wan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An enterprise user writes equipment_investment: 300 meaning 300万元: read as 300元 it met nothing, and only a
    near miss's “300.00元” gave a hint. A note names the amount, the threshold and how to write 万元."""
    path = _scenario(
        tmp_path,
        "as_of: 2025-12-31\n"
        "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例企业, region: '320506', industrial: true}\n"
        "events:\n  - {id: T1, kind: project, date: 2025-08-01, category: 企业技术改造, total_investment: 800,"
        " equipment_investment: 300}\n"
        "  - {id: T2, kind: project, date: 2025-09-01, category: 企业技术改造, total_investment: 800万元,"
        " equipment_investment: 300万元}\n",
    )
    note = "注意：事项T1的设备投入（equipment_investment）为300.00元，远低于《吴中2025》第8条的门槛300万元；金额不写单位时按元计，如指万元请写成“300万元”"
    assert main(["evaluate", str(path)]) == 0
    out = capsys.readouterr().out
    assert note in out and "事项T2的" not in out
    assert main(["evaluate", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unit_notes"] == [note]


def test_a_refused_run_with_json_answers_json_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A scheduler parsing ``--json`` got nothing on standard output when a run was refused (exit 2)."""
    assert main(["batch", str(tmp_path / "missing.xlsx"), "--json"]) == 2
    captured = capsys.readouterr()
    message = captured.err.removeprefix("错误：").strip()
    assert message and json.loads(captured.out) == {"error": message}
    assert main(["evaluate", str(tmp_path / "missing.yaml")]) == 2
    assert capsys.readouterr().out == ""  # without --json: the message only, on standard error


PROBE = """\
enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例, region: "320506", town: 木渎镇, industrial: true}
events:
  - {id: A2, kind: project, date: 2025-09-01, category: 企业技术改造, equipment_investment: 400万元, total_investment: 1000万元}
prior_awards:
  - {amount: 45万元, year: 2025, level: city, event: a2}
  - {amount: 10万元, year: 2025, level: district, benefit: wz-8-tech-renovaton}
"""


def test_an_award_received_naming_no_event_or_benefit_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A user's probe: 最高50万元 was printed without a word; spelt right it is 5万元 (吴中 第21条)."""
    assert main(["evaluate", str(_scenario(tmp_path, PROBE))]) == 2
    err = capsys.readouterr().err
    assert "prior_awards[1].event（事项编号）：“a2” —— 本情景没有该事项；是否为“A2”？" in err
    assert "是否为“wz-8-tech-renovation”（《吴中2025》第8条“企业技术改造项目补助”）？" in err
    right = PROBE.replace("event: a2", "event: A2").replace("renovaton", "renovation")
    assert main(["evaluate", str(_scenario(tmp_path, right, "right.yaml")), "--json"]) == 0
    awards = json.loads(capsys.readouterr().out)["awards"]
    (item,) = [a for a in awards if a["benefit"] == "wz-8-tech-renovation"]
    assert (item["min_fen"], item["max_fen"], item["amount_text"]) == (0, 5_000_000, "最高5万元")


_MULTI_YEAR = (
    "as_of: 2026-06-30\n"
    "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例吴中机器人企业, region: '320506', town: 木渎镇,"
    " size: 小型, industrial: true, sectors: [人形机器人整机制造]}\n"
    "events:\n"
    "  - {id: L1, kind: loan, date: 2023-04-20, purpose: 智能化改造提升项目, amount: 1500万元, via_platform: true}\n"
    "  - {id: S1, kind: service_request, date: 2023-05-01, service: 智能制造诊断（工厂）}\n"
    "  - {id: S2, kind: service_request, date: 2023-06-01, service: 智能制造顾问咨询}\n"
    "  - {id: C1, kind: recognition, date: 2023-07-01, title: 上云企业, level: 省级, grade: 三星}\n"
    "  - {id: E1, kind: purchase, date: 2025-06-30, category: 机器人产品或服务, amount: 80万元}\n"
    "  - {id: E2, kind: project, date: 2025-09-15, category: 智能化改造, total_investment: 1200万元,"
    " equipment_investment: 900万元, smart_investment: 700万元, annual_investment: 1200万元}\n"
    "  - {id: E3, kind: purchase, date: 2026-03-01, category: 机器人产品或服务, amount: 80万元}\n"
)


def test_evaluate_totals_by_year_add_up_to_the_total(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 吴中 enterprise's awards of 2023 (苏州2020, in force 2021–2023) and of 2025–2026 (吴中2025): the totals
    by year (an event's year, a yearly item's under the 基准日's) sum to the total to the fen, in JSON and text."""
    path = _scenario(tmp_path, _MULTI_YEAR)
    assert main(["evaluate", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    totals = data["totals"]
    years = totals["by_year"]
    assert list(years) == ["2023年", "2025年", "2026年"]
    for field in ("min_fen", "count", "unpriced", "non_money"):
        assert sum(t[field] for t in years.values()) == totals["total"][field], field
    # 苏州2020's 不低于 county interest (2023) leaves the total and that year unbounded; the others are bounded
    assert totals["total"]["max_fen"] is None and years["2023年"]["max_fen"] is None
    assert years["2025年"]["max_fen"] is not None and years["2026年"]["max_fen"] is not None
    bounded = [a for a in data["awards"] if a["max_fen"] is not None]
    assert years["2025年"]["max_fen"] + years["2026年"]["max_fen"] == sum(
        a["max_fen"] for a in bounded if a["document"] == "wuzhong-2025"
    )
    # the yearly item (no event) falls in the year of as_of (2026), not in its last event's
    yearly = [a for a in data["awards"] if a["event"] is None]
    assert yearly and all(a["document"] == "wuzhong-2025" for a in yearly)
    in_2026 = [a for a in data["awards"] if a["event"] == "E3"] + yearly
    assert years["2026年"]["max_fen"] == sum(a["max_fen"] for a in in_2026)
    assert years["2026年"]["count"] == len(in_2026)
    # each total's items (money, unpriced, non-money) are the items listed
    listed = len(data["awards"])
    assert totals["total"]["count"] + totals["total"]["unpriced"] + totals["total"]["non_money"] == listed
    assert sum(t["count"] + t["unpriced"] + t["non_money"] for t in totals["by_document"].values()) == listed

    assert main(["evaluate", str(path)]) == 0
    out = capsys.readouterr().out
    head = "   按年度（事项发生的年份；年度、企业层面的项目计入基准日所在年份）："
    assert head in out
    lines = out.split(head)[1].splitlines()[1:4]
    assert [line.split("：")[0].strip() for line in lines] == ["2023年", "2025年", "2026年"]
    assert lines[0] == f"     2023年：{years['2023年']['text']}（3项）；另有3项为权益或免费服务（非资金），未计入上述金额"
    assert lines[2] == f"     2026年：{years['2026年']['text']}（{len(in_2026)}项）"


def test_evaluate_by_year_is_shown_only_when_awards_span_years(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Awards all of one year: the total is that year's, no 按年度 lines in the text; JSON gives the one year."""
    events_2025 = [line for line in _MULTI_YEAR.splitlines(keepends=True) if "2025-" in line]
    head = _MULTI_YEAR.split("  - {id: L1")[0].replace("as_of: 2026-06-30", "as_of: 2025-12-31")
    path = _scenario(tmp_path, head + "".join(events_2025))
    assert main(["evaluate", str(path), "--json"]) == 0
    totals = json.loads(capsys.readouterr().out)["totals"]
    assert list(totals["by_year"]) == ["2025年"]
    assert totals["by_year"]["2025年"] == totals["total"] and totals["total"]["count"] >= 3  # E1, E2 and the yearly item
    assert main(["evaluate", str(path)]) == 0
    assert "按年度" not in capsys.readouterr().out


def test_evaluate_counts_the_non_money_items_apart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Items granted that pay no money (免费服务, 权益) were listed in 一 and left out of the totals in silence
    (26项 listed, the totals' counts made 21): each total now says how many it leaves out, as for 未定额."""
    path = _scenario(tmp_path, _MULTI_YEAR)
    assert main(["evaluate", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    non_money = [a for a in data["awards"] if a["nature"] in ("in_kind", "right")]
    assert len(non_money) == 3  # 苏州2020 免费诊断, 免费顾问咨询 (S1, S2) and 风险补偿 (L1)
    assert {a["document"] for a in non_money} == {"suzhou-2020"}
    assert data["totals"]["total"]["non_money"] == 3
    assert data["totals"]["by_document"]["suzhou-2020"]["non_money"] == 3
    assert data["totals"]["by_document"]["wuzhong-2025"]["non_money"] == 0
    money = data["totals"]["total"]["count"]
    assert main(["evaluate", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"一、可享受的支持（{money + 3}项）" in out
    assert f"   总计：不低于30万元（部分项目不设上限）（{money}项）；另有3项为权益或免费服务（非资金），未计入上述金额" in out
    assert "   《苏州2020》：不低于30万元（部分项目不设上限）（3项）；另有3项为权益或免费服务（非资金），未计入上述金额" in out


def test_a_document_paying_through_an_items_own_window_is_not_called_lapsed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """苏州2025 第五条 judges 上一年度服务活动: a 2024 service year is paid, though the measures start in 2025-06; 适用政策
    said of the document “所填事项与基准日均不在有效期内” beside the award it paid."""
    path = _scenario(
        tmp_path,
        "as_of: 2024-12-31\n"
        "enterprise: {credit_code: 91320505MA1W25003G, name: 示例苏州机器人产业促进机构, region: '320505'}\n"
        "events:\n"
        "  - {id: S24, kind: project, date: 2024-06-01, category: 中小企业公共服务平台服务活动, embodied_ai: true}\n",
    )
    assert main(["evaluate", str(path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [a["benefit"] for a in data["awards"]] == ["sz25-5-public-service-platform"]
    assert "suzhou-2025-robots" not in data["document_notes"] and "suzhou-2020" in data["document_notes"]
