"""Nothing in the measures texts was left out: every number is cited by a rule
or listed in policies/texts/coverage-exclusions.yaml with a reason.

``test_every_number_of_a_measures_text_is_cited_or_excluded`` fails while an
encoder is still working on a document; its message lists each uncited number
with its line in the source text and its context (``huiqi coverage --uncovered``
prints the same list).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from huiqi.cli import main
from huiqi.core.coverage import CoverageError
from huiqi.policyfile import DEFAULT_POLICY_DIR
from huiqi.policyfile.coverage import CoverageRun, coverage
from huiqi.service import engine

MEASURES = ["wuzhong-2025", "suzhou-2020", "wujin-2024", "suzhou-2025-robots"]
LOADED = [d.id for d in engine().library.documents]


@pytest.fixture(scope="module")
def run() -> CoverageRun:
    return coverage(engine().library, DEFAULT_POLICY_DIR)


@pytest.mark.parametrize("document", [d for d in MEASURES if d in LOADED])
def test_every_number_of_a_measures_text_is_cited_or_excluded(run: CoverageRun, document: str) -> None:
    (report,) = run.select(document)
    uncited = [f"texts/{report.file}:{m.line}: {m.text}（{m.kind.label}） …{m.context}…" for m in report.uncited_mentions]
    assert not uncited, f"《{report.title}》有 {len(uncited)} 处数字未被引用：\n" + "\n".join(uncited)


def test_every_text_is_measured_and_the_plan_by_its_plan_data(run: CoverageRun) -> None:
    files = sorted(p.name for p in (DEFAULT_POLICY_DIR / "texts").glob("*.txt"))
    assert [r.file for r in run.reports] == files
    roles = {r.file: r.role for r in run.reports}
    assert roles["suzhou-2016-13th-five-year-industrial-plan.txt"] == "plan"
    plan = next(r for r in run.reports if r.role == "plan")
    assert plan.cited > 0  # the plan data's quotations are located in the plan's text


def test_an_exclusion_that_has_rotted_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "exclusions.yaml"
    bad.write_text(
        "wuzhong-2025-manufacturing-measures.txt:\n"
        "  - {text: 本措施自2025年5月1日起施行, reason: 施行日期}\n"
        "  - {text: 本措施自2099年5月1日起施行, reason: 施行日期}\n"
        "no-such-text.txt:\n"
        "  - {text: 2020年, reason: 年份}\n",
        encoding="utf-8",
    )
    with pytest.raises(CoverageError) as error:
        coverage(engine().library, DEFAULT_POLICY_DIR, exclusions_path=bad)
    assert error.value.problems == [
        f"{bad}: 原文文件不存在：no-such-text.txt",
        f"{bad}:3: 排除项的文字在原文《wuzhong-2025-manufacturing-measures.txt》中找不到：“本措施自2099年5月1日起施行”",
    ]


def test_an_exclusion_without_a_reason_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "exclusions.yaml"
    bad.write_text("wujin-2024-manufacturing-measures.txt:\n  - {text: 国务院令第427号}\n", encoding="utf-8")
    with pytest.raises(CoverageError, match=r"exclusions.yaml:2: 排除项“国务院令第427号”缺少原因reason"):
        coverage(engine().library, DEFAULT_POLICY_DIR, exclusions_path=bad)


def test_the_command_reports_counts_that_add_up(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coverage", "wuzhong-2025", "--json"]) == 0
    (data,) = json.loads(capsys.readouterr().out)
    assert data["document"] == "wuzhong-2025"
    assert data["total"] == data["cited"] + data["excluded"] + data["uncited"] == len(data["mentions"])
    amounts = [m for m in data["mentions"] if m["text"] == "3000万元"]
    assert amounts and all(m["kind"] == "amount" for m in amounts)  # 单个企业每年市、区两级最高资助 3000万元


@pytest.mark.parametrize("document", [d for d in MEASURES if d in LOADED])
def test_every_cited_amount_rate_and_count_is_encoded_by_its_value(run: CoverageRun, document: str) -> None:
    """Citing a clause is not enough: some part of a rule must hold the number itself."""
    (report,) = run.select(document)
    missing = [f"texts/{report.file}:{m.line}: {m.text} …{m.context}…" for m in report.cited_not_encoded]
    assert not missing, f"《{report.title}》有 {len(missing)} 处数字被引用但未按值编码：\n" + "\n".join(missing)


def test_strict_fails_on_a_number_cited_but_not_encoded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--strict`` is the author's check: a cap left out (its 100万元 still inside the benefit's
    quote) passed it with exit status 0."""
    import shutil

    assert main(["coverage", "wuzhong-2025", "--strict"]) == 0
    folder = tmp_path / "pol"
    shutil.copytree(DEFAULT_POLICY_DIR, folder)
    rules = folder / "wuzhong-2025.yaml"
    cap = "    caps:\n      - {per: enterprise_year, max: 100万元, cite: 单个企业每年最高100万元}\n"
    text = rules.read_text(encoding="utf-8")
    assert text.count(cap) >= 1
    rules.write_text(text.replace(cap, "", 1), encoding="utf-8")
    capsys.readouterr()
    assert main(["--policies", str(folder), "coverage", "wuzhong-2025", "--strict"]) == 1
    assert "仅引用未编码的数字：wuzhong-2025（1处）" in capsys.readouterr().err


@pytest.mark.parametrize("document", MEASURES)
def test_each_item_cites_its_own_words_not_a_part_of_them(document: str) -> None:
    """An item's 原文 is the sentence its ``cite`` names: items with a quota (武进2024 第1条) cited only
    每年择优支持不超过20个项目, the quota's words, and the money they grant went unshown."""
    import yaml

    written = yaml.safe_load((DEFAULT_POLICY_DIR / f"{document}.yaml").read_text(encoding="utf-8"))
    items = {b.id: b for b in engine().library.benefits.values() if b.document_id == document}
    for raw in written["benefits"]:
        assert items[raw["id"]].cite.quote == raw["cite"], raw["id"]
