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
