"""What an item set aside under 就高不重复 says of the item kept, once the yearly caps have cut it.

就高 is decided on the amounts before the yearly caps: the set-aside line names the kept item at that
amount. A hand audit of 苏州2025 第八条 read “同时符合……大模型算力使用成本支持（500万元）” while that item paid
300万元 (每年最高300万元): the line stands, and a note says what the kept item pays and that it is still no lower.
"""

from __future__ import annotations

from huiqi.service import engine


def _scenario(cost_wan: int) -> dict[str, object]:
    return {
        "as_of": "2025-12-31",
        "enterprise": {"credit_code": "91320505MA1W25002D", "name": "高新区测试", "region": "320505"},
        "events": [
            {
                "id": "C1",
                "kind": "compute_use",
                "date": "2025-07-01",
                "compute_cost": f"{cost_wan}万元",
                "embodied_ai": True,
                "model_params": 120,
                "typical_scenarios": 5,
                "model_builder": True,
            }
        ],
    }


def _notes(cost_wan: int) -> tuple[list[tuple[str, int | None]], list[str]]:
    eng = engine()
    ev = eng.evaluate(eng.scenario(_scenario(cost_wan)))
    kept = [(a.benefit.id, a.high) for a in ev.awards]
    loser = next(a for a in ev.set_aside if a.benefit.id == "sz25-8-compute-user")
    return kept, [r.text for r in loser.reasons if r.text.startswith("注意：")]


def test_a_kept_item_cut_by_its_yearly_cap_is_named_at_what_it_pays() -> None:
    # 1000万元 of compute: 50% is 500万元, cut to 每年最高300万元; 20% is 200万元 (每年最高200万元)
    kept, notes = _notes(1000)
    assert kept == [("sz25-8-large-model-compute", 300_000_000)]
    assert notes == [
        "注意：保留的《苏州2025具身智能》第八条“具身智能机器人大模型算力使用成本支持”经限额削减后为300万元，"
        "仍不低于本项（计本项年度限额后至多200万元）"
    ]


def test_no_note_when_no_cap_cut_the_kept_item() -> None:
    kept, notes = _notes(400)  # 50%: 200万元, under 每年最高300万元
    assert kept == [("sz25-8-large-model-compute", 200_000_000)] and notes == []
