"""吴中2025 (policies/wuzhong-2025.yaml): what the worked examples cannot state.

The examples themselves run in ``test_examples.py``.  Here: who pays which
part of an award under art. 22 (区、镇 4:6, paid out by the town), that every
article is encoded, and that every benefit of the document is granted by at
least one worked example and every article has a qualifying example and a
near-miss.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from huiqi.core.results import Award, Evaluation
from huiqi.core.text import normalise
from huiqi.service import engine

from .support import only_award

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "policies" / "examples" / "wuzhong-2025"
DOC = "wuzhong-2025"
WAN = 1_000_000  # fen in 1万元


def _evaluate(name: str) -> Evaluation:
    spec = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    eng = engine()
    return eng.evaluate(eng.scenario(spec["scenario"], name))


def _payers(award: Award) -> list[tuple[str, str, int, int | None]]:
    return [(p.role, p.payer, p.low, p.high) for p in award.payers]


def test_exact_award_is_split_four_to_six_and_paid_out_by_the_town() -> None:
    # 省级零碳园区 20万元: 区 4/10 = 8万元, 镇 6/10 = 12万元, 木渎镇兑付.
    ev = _evaluate("art22-split.yaml")
    park = only_award(ev.awards, "wz-2-zero-carbon-park", "Z1")
    assert _payers(park) == [
        ("district", "吴中区财政", 8 * WAN, 8 * WAN),
        ("town", "木渎镇财政", 12 * WAN, 12 * WAN),
    ]
    assert park.disburser == "木渎镇"


def test_split_of_an_odd_amount_rounds_the_district_down_and_the_town_takes_the_rest() -> None:
    # 保费33333.33元 × 25% = 8333.3325元 → 8333.33元 = 833333分;
    # 区 833333 × 4/10 = 333333.2 → 333333分 (3333.33元); 镇 833333 − 333333 = 500000分 (5000元).
    ev = _evaluate("art22-split.yaml")
    insurance = only_award(ev.awards, "wz-14-cyber-insurance", "S1")
    assert (insurance.low, insurance.high) == (0, 833333)
    assert _payers(insurance) == [
        ("district", "吴中区财政", 0, 333333),
        ("town", "木渎镇财政", 0, 500000),
    ]
    assert insurance.disburser == "木渎镇"
    district = ev.by_payer["吴中区财政"]
    town = ev.by_payer["木渎镇财政"]
    assert (district.low, district.high) == (8 * WAN, 8 * WAN + 333333)
    assert (town.low, town.high) == (12 * WAN, 12 * WAN + 500000)


def _article_texts() -> dict[str, str]:
    """The source text cut at the article numbers printed as ``N.`` at a line start."""
    raw = (ROOT / "policies" / "texts" / "wuzhong-2025-manufacturing-measures.txt").read_text(encoding="utf-8")
    marks = list(re.finditer(r"^\s*(\d{1,2})\.", raw, re.M))
    out: dict[str, str] = {}
    for mark, after in zip(marks, [*marks[1:], None], strict=True):
        out[mark.group(1)] = normalise(raw[mark.start() : after.start() if after else len(raw)])
    return out


def test_the_source_has_22_articles() -> None:
    assert list(_article_texts()) == [str(n) for n in range(1, 23)]


def test_articles_1_to_20_each_have_a_benefit_and_21_22_are_document_rules() -> None:
    doc = engine().library.by_id[DOC]
    articles = {b.article for b in doc.benefits}
    assert articles == {str(n) for n in range(1, 21)}
    texts = _article_texts()
    for benefit in doc.benefits:
        assert normalise(benefit.cite.quote) in texts[benefit.article], benefit.id
    # 21: validity and 就高不重复; 22: the 4:6 split paid out by the town.
    assert normalise(doc.validity_cite.quote) in texts["21"]
    assert doc.exclusivity and all(normalise(r.cite.quote) in texts["21"] for r in doc.exclusivity)
    assert doc.funding is not None and normalise(doc.funding.cite.quote) in texts["22"]
    assert [(s.role, s.weight) for s in doc.funding.shares] == [("district", 4), ("town", 6)]
    assert doc.funding.disburser == "town"


def _expectations() -> dict[str, dict[str, Any]]:
    return {p.name: yaml.safe_load(p.read_text(encoding="utf-8"))["expect"] for p in sorted(EXAMPLES.glob("art*.yaml"))}


@pytest.mark.parametrize("article", [f"{n:02d}" for n in range(1, 23)])
def test_every_article_has_a_qualifying_example_and_a_near_miss(article: str) -> None:
    mine = {name: e for name, e in _expectations().items() if name.startswith(f"art{article}-")}
    assert mine, f"no worked example art{article}-*.yaml"
    assert any(e.get("awards") for e in mine.values()), f"art{article}: no qualifying example"
    assert any(e.get("near_misses") for e in mine.values()), f"art{article}: no near-miss"


def test_summing_several_prior_awards_for_one_event_is_marked_an_interpretation() -> None:
    """Art. 21 says 就高不重复, not how two awards already received for one project count:
    summing them is ours, and the working says so; with one prior award it does not."""
    two = _evaluate("art21-two-priors-one-event.yaml")
    topped = [s.text for a in two.awards for s in a.steps if "只补足差额" in s.text]
    assert topped and all("合计50万元" in t and "解释：原文未明确补差方式；同一事项已获多项奖励时合计计算" in t for t in topped)
    (aside,) = two.set_aside
    assert any("（解释：原文未明确，同一事项已获多项奖励时合计计算）" in r.text for r in aside.reasons)
    one = _evaluate("art21-top-up-prior-city.yaml")
    steps = [s.text for a in one.awards for s in a.steps if "只补足差额" in s.text]
    assert steps and all(t.endswith("（解释：原文未明确补差方式）") for t in steps)


def _rated_again(title: str, level: str) -> Evaluation:
    eng = engine()
    raw = {
        "as_of": "2025-12-31",
        "enterprise": {
            "credit_code": "91320506MA1XXXXX09",
            "name": "示例企业",
            "region": "320506",
            "industrial": True,
            "qualifications": [{"title": title, "level": level, "since": "2022-06-01", "until": "2025-05-31"}],
        },
        "events": [{"id": "Q1", "kind": "recognition", "date": "2025-07-15", "title": title, "level": level}],
    }
    return eng.evaluate(eng.scenario(raw))


def test_a_title_rated_again_after_it_lapsed_is_not_paid_as_new_and_says_the_text_is_silent() -> None:
    """第9条 rewards 新获评 where 第13条 says 首次获评: a 省级专精特新 title that lapsed on 2025-05-31 and was rated
    again on 2025-07-15 is not paid (as before), and the near miss says the text leaves this open, for review."""
    miss = only_award(_rated_again("专精特新中小企业", "省级").near_misses, "wz-9-srdi-sme", "Q1")
    assert [r.text for r in miss.reasons if "期满" in r.text] == [
        "企业已于2022-06-01获得“专精特新中小企业”（有效期至2025-05-31，已期满），本次为期满后再次获评；"
        "原文未明确期满后再次获评是否属于“新获评”，按不属于首次/新获评处理，请人工核实"
    ]
