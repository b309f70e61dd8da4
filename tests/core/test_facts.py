"""Scenarios are validated against the catalogue with clear Chinese messages."""

from typing import Any

import pytest

from huiqi.core.facts import ScenarioError
from huiqi.service import engine


def _scenario(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "enterprise": {"credit_code": "91320506MA1XXXXX09", "name": "示例企业", "region": "320506", "town": "木渎镇"},
        "events": [{"id": "E1", "kind": "purchase", "date": "2025-06-30", "category": "机器人产品或服务", "amount": "80万元"}],
    }
    base.update(changes)
    return base


def _problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        engine().scenario(raw, "情景.yaml")
    return [p.message() for p in info.value.problems]


def test_a_valid_scenario_is_typed() -> None:
    s = engine().scenario(_scenario())
    assert s.events[0].facts["amount"] == 80_000_000
    assert s.enterprise.town == "木渎镇"


def test_wrong_check_character_is_reported_where_it_is() -> None:
    raw = _scenario(enterprise={"credit_code": "91320506MA1XXXXX08", "name": "x", "region": "320506"})
    (msg,) = _problems(raw)
    assert msg.startswith("enterprise.credit_code（统一社会信用代码）")
    assert "第18位应为“9”" in msg


def test_every_problem_is_reported_at_once() -> None:
    raw = _scenario(
        events=[
            {"id": "E1", "kind": "purchase", "date": "2025-02-30", "category": "机器人产品或服务", "amount": "-5万元"},
            {"id": "E2", "kind": "purchse", "date": "2025-06-01"},
            {"id": "E3", "kind": "purchase", "date": "2025-06-01", "category": "机器人产品或服务", "amount": "80吨", "amout": 1},
        ]
    )
    text = "\n".join(_problems(raw))
    assert "events[1].date（发生日期）" in text and "有效日期" in text
    assert "金额不能为负数" in text
    assert "未知的事项类型" in text and "是否为“purchase”" in text
    assert "“80吨”" in text
    assert "events[3]（采购）.amout" in text and "未知字段" in text


def test_an_option_value_outside_the_catalogue_suggests_the_nearest() -> None:
    raw = _scenario(events=[{"kind": "purchase", "date": "2025-06-01", "category": "机器人产品", "amount": 1}])
    (msg,) = _problems(raw)
    assert "是否为“机器人产品或服务”" in msg


@pytest.mark.parametrize(
    ("written", "hint"),
    [("武进区", "武进区的代码为320412"), ("常州市武进区", "武进区的代码为320412"), ("吴中", "吴中区的代码为320506")],
)
def test_a_region_written_by_its_name_is_told_its_code(written: str, hint: str) -> None:
    raw = _scenario(enterprise={"credit_code": "91320506MA1XXXXX09", "name": "x", "region": written})
    (msg,) = _problems(raw)
    assert f"未知的行政区划代码（{hint}，请填写代码）" in msg, msg


def test_a_town_must_belong_to_the_district() -> None:
    raw = _scenario(enterprise={"credit_code": "91320506MA1XXXXX09", "name": "x", "region": "320506", "town": "湖塘镇"})
    (msg,) = _problems(raw)
    assert "不是该区的镇" in msg


def test_an_award_received_names_its_key_benefit_and_event_without_padding() -> None:
    """A key “ S1 ” matched no product S1 in a scenario, while a register's cell is read trimmed: the
    two engines paid a series twice and once."""
    raw = _scenario()
    raw["prior_awards"] = [
        {
            "amount": "200万元",
            "year": 2025,
            "level": "district",
            "benefit": " wz-3-class3-device ",
            "key": " S1 ",
            "event": " E1 ",
        }
    ]
    prior = engine().scenario(raw).prior_awards[0]
    assert (prior.benefit, prior.key, prior.event) == ("wz-3-class3-device", "S1", "E1")
    raw["prior_awards"][0] |= {"key": "  ", "event": ""}
    prior = engine().scenario(raw).prior_awards[0]
    assert (prior.key, prior.event) == (None, None)  # blank is none, as in a register


def _granted(raw: dict[str, Any]) -> dict[str, tuple[int, int | None]]:
    result = engine().evaluate(engine().scenario(raw))
    return {a.benefit.id: (a.low, a.high) for a in result.awards}


def test_an_award_received_cannot_be_negative() -> None:
    """A prior award of -3万元 was accepted by a scenario and raised the top-up above the text's
    最高4万元 (a register and the web form refused it)."""
    raw = _scenario()
    raw["prior_awards"] = [{"amount": "-3万元", "year": 2025, "level": "city", "event": "E1", "document": "苏州"}]
    assert any("金额不能为负数" in m for m in _problems(raw))


def test_an_award_received_takes_a_level_and_year_as_a_register_does() -> None:
    raw = _scenario()
    raw["prior_awards"] = [{"amount": "3万元", "year": "2025", "level": "市级", "event": "E1", "document": "苏州"}]
    prior = engine().scenario(raw).prior_awards[0]
    assert (prior.level, prior.year) == ("city", 2025)


def test_an_event_id_is_read_without_padding_so_its_award_received_counts() -> None:
    """Event “ E1” matched no prior award for E1: 4万元 paid where a register paid the 1万元 top-up."""
    raw = _scenario()
    raw["events"][0]["id"] = " E1"
    raw["prior_awards"] = [{"amount": "3万元", "year": 2025, "level": "city", "event": "E1", "document": "苏府〔2020〕120号"}]
    assert engine().scenario(raw).events[0].id == "E1"
    assert _granted(raw)["wz-1-robot-purchase"] == (0, 1_000_000)


def _recognised(level: str, **held: str) -> dict[str, Any]:
    raw = _scenario()
    raw["enterprise"]["qualifications"] = [{"title": "专精特新中小企业", "level": level, "since": "2023-03-01", **held}]
    raw["events"] = [{"id": "R1", "kind": "recognition", "date": "2025-09-01", "title": "专精特新中小企业", "level": "省级"}]
    return raw


def test_a_qualification_level_is_read_without_padding() -> None:
    """A held title at level “省级 ” was no 省级: the same title was paid again as newly rated (30万元)."""
    assert "wz-9-srdi-sme" not in _granted(_recognised("省级 "))
    assert "wz-9-srdi-sme" not in _granted(_recognised("省级"))


def test_a_qualification_expiry_must_be_a_date_after_it_was_obtained() -> None:
    """An expiry written 2024/12/31 was dropped without a word: the title never expired."""
    assert any("有效期至" in m and "应为日期" in m for m in _problems(_recognised("省级", until="2024/12/31")))
    assert any("有效期至早于获得日期" in m for m in _problems(_recognised("省级", until="2022-12-31")))
    assert engine().scenario(_recognised("省级", until="")).enterprise.qualifications[0].until is None


def test_a_year_in_other_digits_is_a_problem_not_a_crash() -> None:
    raw = _scenario()
    raw["prior_awards"] = [{"amount": "3万元", "year": "2025²", "level": "city", "event": "E1"}]
    assert any("应为四位年份" in m for m in _problems(raw))


def _renovation(priors: list[dict[str, Any]]) -> dict[str, Any]:
    """吴中 第8条: 设备投入400万元, 总投入1000万元 → 最高50万元; 第21条 tops up awards for the same project."""
    raw = _scenario()
    raw["enterprise"]["industrial"] = True
    raw["events"] = [
        {
            "id": "A2",
            "kind": "project",
            "date": "2025-09-01",
            "category": "企业技术改造",
            "equipment_investment": "400万元",
            "total_investment": "1000万元",
        }
    ]
    raw["prior_awards"] = priors
    return raw


_CITY = {"amount": "45万元", "year": 2025, "level": "city", "event": "A2"}
_DISTRICT = {"amount": "10万元", "year": 2025, "level": "district", "benefit": "wz-8-tech-renovation"}


def test_an_award_received_for_an_event_or_benefit_that_does_not_exist_is_an_error() -> None:
    """Event a2 (for A2) and benefit wz-8-tech-renovaton were silently no reference: 最高50万元 shown
    where 5万元 was due (吴中 第21条 against the 45万元 received for the same project)."""
    messages = _problems(_renovation([_CITY | {"event": "a2"}, _DISTRICT | {"benefit": "wz-8-tech-renovaton"}]))
    assert messages == [
        "prior_awards[1].event（事项编号）：“a2” —— 本情景没有该事项；是否为“A2”？为其他项目所获奖补请不填事项编号",
        "prior_awards[2].benefit（奖补项编号）：“wz-8-tech-renovaton” —— 政策库中没有该奖补项；"
        "是否为“wz-8-tech-renovation”（《吴中2025》第8条“企业技术改造项目补助”）？未注明奖补项时请不填奖补项编号",
    ]
    # a full-width id is suggested too; an id like none lists the scenario's
    assert "是否为“A2”" in _problems(_renovation([_CITY | {"event": "Ａ２"}]))[0]
    assert "本情景的事项编号：“A2”；" in _problems(_renovation([_CITY | {"event": "P9"}]))[0]
    # spelt right: the award received counts, 5万元 is left of 最高50万元
    assert _granted(_renovation([_CITY, _DISTRICT]))["wz-8-tech-renovation"] == (0, 5_000_000)  # fen


def test_an_award_received_may_name_a_once_per_key_group() -> None:
    raw = _scenario()
    raw["prior_awards"] = [
        {"amount": "300万元", "year": 2025, "level": "district", "benefit": "wuzhong-2025-art3-device-series", "key": "S1"}
    ]
    assert engine().scenario(raw).prior_awards[0].benefit == "wuzhong-2025-art3-device-series"
