"""A comparison's words (label, threshold, requirement) come from the catalogue it is read with."""

import dataclasses
from fractions import Fraction

from huiqi.core.conditions import test as check
from huiqi.core.context import Context
from huiqi.core.facts import Catalogue
from huiqi.core.legal import COMPARISONS
from huiqi.core.model import Citation, Compare, Field, Ratio
from huiqi.service import engine


def _relabelled(base: Catalogue, label: str) -> Catalogue:
    ent = dict(base.enterprise)
    ent["annual_sales"] = dataclasses.replace(ent["annual_sales"], label=label)
    return Catalogue(enterprise=ent, events=base.events, qualification_titles=base.qualification_titles)


def _a_sales_threshold() -> Compare:
    return Compare(
        Field("enterprise.annual_sales"), COMPARISONS["以上"], Fraction(2_000_000_000), "money", Citation("年产销2000万元以上")
    )


def test_each_catalogue_labels_a_condition_its_own_way_even_at_a_reused_address() -> None:
    eng = engine()
    cond = _a_sales_threshold()
    scenario = eng.scenario(
        {"enterprise": {"credit_code": "91320506MA1XXXXX09", "name": "示例企业", "region": "320506", "annual_sales": "3000万元"}}
    )
    seen: set[int] = set()
    reused = 0
    for i in range(200):  # a dropped catalogue's address is soon given to a new one
        cat = _relabelled(eng.catalogue, f"产销{i}号")
        reused += id(cat) in seen
        seen.add(id(cat))
        reasons = check(cond, Context(scenario, None, "", cat)).text
        assert reasons.startswith(f"产销{i}号3000万元"), reasons
        del cat
    assert reused, "no address was reused: the test did not reach the case it is about"


def test_a_copy_of_a_catalogue_with_other_fields_reads_its_own_fields() -> None:
    eng = engine()
    scenario = eng.scenario(
        {"enterprise": {"credit_code": "91320506MA1XXXXX09", "name": "示例企业", "region": "320506", "annual_sales": "3000万元"}}
    )
    cond = _a_sales_threshold()
    base = _relabelled(eng.catalogue, "产销甲")
    assert check(cond, Context(scenario, None, "", base)).text.startswith("产销甲")
    ent = dict(base.enterprise)
    ent["annual_sales"] = dataclasses.replace(ent["annual_sales"], label="产销乙")
    copy = dataclasses.replace(base, enterprise=ent)
    assert check(cond, Context(scenario, None, "", copy)).text.startswith("产销乙")


def test_each_requirement_is_worded_as_the_near_miss_words_it_without_a_value() -> None:
    """The compiled backend's reasons name what a row failed (not its value): one wording per
    kind of condition, with the legal word and whether it includes the number."""
    from huiqi.core.conditions import requirement_text

    eng = engine()
    lib, cat = eng.library, eng.catalogue

    def words(benefit: str) -> list[str]:
        b = lib.benefits[benefit]
        return [requirement_text(c, cat, b.event) for c in b.when]

    assert words("wj-1-smart-upgrade") == [
        "是否具有独立法人资格应为“是”",
        "该事项是否已按“一事一议”享受同类政策扶持应为“否”",
        "是否制造业企业应为“是”",
        "项目实际总投入超500万元（不含本数）",
    ]
    assert words("wz-8-smart-renovation") == [
        "是否工业企业应为“是”",
        "智能改造（含软件）投资额不低于200万元（含本数）",
        "智能改造（含软件）投资额占项目实际总投入的比例不低于50%（含本数）",
    ]
    assert words("wj-5-new-srdi-sme")[2:] == ["级别应为省级", "应为首次/新获评（此前未获同一称号）"]
    assert words("wz-9-srdi-equipment") == ["事项发生日应持有专精特新“小巨人”企业、专精特新中小企业资质"]
    assert words("wj-1-energy-saving")[2] == "年节能量50吨标准煤以上（含本数）"


def test_a_fact_not_given_is_worded_as_the_compiled_backend_words_it() -> None:
    """``absent_text`` (the compiled backend's 缺少资料 reason) is what ``test`` says of every condition of
    the bundled rules whose fact is blank: the same words in both engines' rows."""
    from datetime import date

    from huiqi.core.conditions import Absent, absent_text
    from huiqi.core.scenario import Enterprise, Event, Scenario

    eng = engine()
    ent = Enterprise("91320506MA1XXXXX09", "示例企业", "企业", "320506")
    checked = 0
    for b in eng.library.benefits.values():
        event = None if b.event == "enterprise" else Event("E1", b.event, date(2025, 6, 1))
        ctx = Context(Scenario(ent, () if event is None else (event,)), event, b.event, eng.catalogue)
        for c in b.when:
            expected = absent_text(c, eng.catalogue, b.event)
            outcome = check(c, ctx)
            if expected is None:
                assert not isinstance(outcome, Absent), (b.id, outcome.text)
                continue
            if isinstance(outcome, Absent):  # not a fact with a default (主体类型 is 企业 when blank)
                assert outcome.text == expected, b.id
                checked += 1
    assert checked > 100, checked


def _share(word: str, smart: str, total: str) -> str:
    """How 智能改造投入占项目总投入的比例 {word} 50% comes out for a project of these amounts."""
    eng = engine()
    scenario = eng.scenario(
        {
            "enterprise": {"credit_code": "91320506MA1XXXXX09", "name": "示例企业", "region": "320506"},
            "events": [
                {
                    "id": "P1",
                    "kind": "project",
                    "date": "2025-09-01",
                    "category": "智能化改造",
                    "smart_investment": smart,
                    "total_investment": total,
                }
            ],
        }
    )
    ratio = Ratio(Field("smart_investment"), Field("total_investment"))
    cond = Compare(ratio, COMPARISONS[word], Fraction(1, 2), "rate", Citation("比例"))
    return check(cond, Context(scenario, scenario.events[0], "project", eng.catalogue)).text


def test_a_ratio_is_never_rounded_onto_or_across_the_threshold_it_is_compared_with() -> None:
    """300万元 / 6,000,000.02元 = 49.99999983% read “比例50%低于50%”: six places cannot tell it from 50%, so
    it is shown with the places it takes (49.9999998%); a value six places can tell apart, and 50% itself, as before."""
    assert _share("不低于", "300万元", "6000000.02元").endswith("比例49.9999998%低于50%（要求不低于50%（含本数））")
    assert _share("超过", "300万元", "5999999.99元").endswith("比例50.0000001%，符合超过50%（不含本数）")
    assert _share("不低于", "300万元", "600万元").endswith("比例50%，符合不低于50%（含本数）")
    assert _share("不低于", "1万元", "3万元").endswith("比例33.333333%低于50%（要求不低于50%（含本数））")
