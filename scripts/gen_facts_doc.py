"""Write docs/facts.md from the catalogue (policies/facts/*.yaml).

Run: .venv/bin/python scripts/gen_facts_doc.py — tests/test_docs.py fails when
the file is out of date.
"""

from __future__ import annotations

from pathlib import Path

from huiqi.core.facts import TYPES, FieldSpec, default_text
from huiqi.service import engine

OUT = Path(__file__).resolve().parents[1] / "docs" / "facts.md"


def _row(spec: FieldSpec) -> str:
    values = "、".join(spec.values) if spec.values else ""
    return (
        f"| `{spec.name}` | {spec.label} | {TYPES.get(spec.type, spec.type)} | {spec.unit or ''} | {'是' if spec.required else ''} "
        f"| {default_text(spec)} | {values} |"
    )


def render() -> str:
    cat = engine().catalogue
    head = "| field | 名称 | 类型 | 单位 | 必填 | 未填写时按 | 可选值 |\n|---|---|---|---|---|---|---|"
    lines = [
        "# The catalogue of facts (事实目录)",
        "",
        "Generated from `policies/facts/*.yaml` by `scripts/gen_facts_doc.py`; `huiqi facts` prints the same.",
        "Money is written as `50万元`, `1000元` or a number in the field's unit; rates as `55%` or `0.55`; dates as YYYY-MM-DD.",
        "A field left blank is read as the value in 未填写时按 where there is one; an explanation that relies on it says",
        "（未填写，按默认值）. A register's rows are read with the defaults put in, so there a value equal to its default",
        "is said as （或未填写，按默认值）.",
        "",
        "## Enterprise (`enterprise`)",
        "",
        head,
        *(_row(s) for s in cat.enterprise.values()),
        "",
        "`qualifications`: a list of `{title, level, since, until}` — the titles are those of the recognition event below.",
        "",
    ]
    for kind in cat.events.values():
        lines += [
            f"## Event `{kind.name}`: {kind.label}",
            "",
            kind.help,
            "",
            head,
            "| `id` | 事项编号 | 文本 |  |  |  |  |",
            "| `date` | 发生日期 | 日期 |  | 是 |  |  |",
        ]
        lines += [_row(s) for s in kind.fields.values()]
        lines.append("")
    lines += [
        "## Awards already received (`prior_awards`)",
        "",
        "`{amount, year, level: national|province|city|district, document, event, benefit, key}` — `event` names the",
        "scenario event (the same project) for 就高不重复; `benefit` a huiqi benefit id for multi-year limits and once-per-key "
        "(with `key`, e.g. the product series; an award under one benefit of a group such as 吴中 第3条's device items counts "
        "for the whole group).",
        "",
        "Both references are checked: an `event` that is no event id of the scenario, or a `benefit` that is neither",
        "a benefit id of the loaded library nor a once-per-key group's id (`wuzhong-2025-art3-device-series`), is an",
        "input error — before, it was silently no reference, and the award reduced nothing (吴中 第8条 showed",
        "最高50万元 where, after 45万元 received for the same project, 5万元 was due). The message suggests the id",
        "meant: an event id differing only in letter case, width or surrounding spaces and quotes (`a2`, `Ａ２` for",
        "`A2`), else the scenario's ids; the closest benefit id with how it is cited, so that it can be confirmed:",
        "",
        "```",
        "prior_awards[1].event（事项编号）：“a2” —— 本情景没有该事项；是否为“A2”？为其他项目所获奖补请不填事项编号",
        "prior_awards[2].benefit（奖补项编号）：“wz-8-tech-renovaton” —— 政策库中没有该奖补项；"
        "是否为“wz-8-tech-renovation”（《吴中2025》第8条“企业技术改造项目补助”）？未注明奖补项时请不填奖补项编号",
        "```",
        "",
        "An award for another project leaves `event` out; one whose article is not known leaves `benefit` out (it then",
        "counts for 就高不重复 through its `event`, but in no cap or limit kept per benefit, such as 单个企业每年最高100万元).",
        "The ids the library offers are `Catalogue.benefits` (id → citation), set by `load_library`.",
        "",
        "An award naming both the `event` and the item's own `benefit` is that item paid before for the event, in every",
        "document, with or without a 就高不重复 rule: the item is set aside when it received as much (本项不再重复支持),",
        "else it pays the difference (苏府〔2020〕120号 has no such rule, and its 1% 贴息 for a loan already subsidised was",
        "paid again). In a cap kept per benefit, an award recorded under one of its benefits counts when its `level` is",
        "the cap's document's, or one the cap names (市、区两级): a city award recorded under 吴中2025 第1条 (as 市级同类",
        "资助) is not district money in 单个企业每年最高100万元, and left 20万元 where 50万元 was due.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")
