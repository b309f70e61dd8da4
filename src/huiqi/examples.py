"""Worked examples beside the policy files: each scenario computed by hand from the text, and
what the engine must give for it (``huiqi examples``; the test suite runs the bundled ones).

Each ``<policies>/examples/<document>/*.yaml`` holds::

    title: 第8条 智能化改造，合格
    scenario: {...}            # as `huiqi evaluate` reads it
    expect:
      awards:                  # each must be granted with exactly these amounts
        - {benefit: wz-8-smart-renovation, event: E1, min: 0, max: 120万元}
      set_aside:               # each must be set aside (就高不重复, once-per-key, cap used up)
        - {benefit: wz-8-tech-renovation, event: E1}
      near_misses:             # each must be a near-miss whose reasons contain the text
        - {benefit: wz-1-robot-purchase, event: E3, reason: 未超过50万元}
      absent: [wz-1-humanoid-purchase]   # benefits that must not appear at all
      total: {min: 0, max: 224万元}
      only_listed: true        # no granted award other than those listed

``max: null`` means no upper bound (a floor). Every key is checked: one not shown here (``award:``,
``totl:``, ``payers:`` in an award) is named, not ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .core.facts import ScenarioError
from .core.money import MoneyError, format_wan, parse_money
from .core.results import Award, Evaluation
from .policyfile.yamlnodes import as_written
from .service import Engine, InputError, read_scenario_text

__all__ = ["ExampleResult", "check_example", "example_files", "uncovered_benefits"]


@dataclass(frozen=True, slots=True)
class ExampleResult:
    path: Path
    title: str
    problems: tuple[str, ...]  # empty: the engine gives what the example expects
    got: str  # what the engine gave, one line per award, for a failed example


def example_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.yaml"))


def _fen(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return parse_money(value)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, MoneyError):
            raise
        raise MoneyError(f"“{value}”不是金额") from None


def _shown(fen: int | None) -> str:
    return "不设上限" if fen is None else format_wan(fen)


def _find(awards: Iterable[Award], benefit: str, event: str | None) -> Award | None:
    for a in awards:
        if a.benefit.id == benefit and (event is None or (a.event.id if a.event else None) == event):
            return a
    return None


def _where(item: dict[str, Any]) -> str:
    return f"{item['benefit']}（事项{item['event']}）" if item.get("event") else str(item["benefit"])


def describe(ev: Evaluation) -> str:
    """What an evaluation gave, one line per award: for a failed example's message."""
    rows = [f"  可享受 {a.benefit.id}@{a.event.id if a.event else '-'} {_shown(a.low)}～{_shown(a.high)}" for a in ev.awards]
    rows += [
        f"  未计入 {a.benefit.id}@{a.event.id if a.event else '-'}：{'；'.join(r.text for r in a.reasons)}" for a in ev.set_aside
    ]
    rows += [
        f"  差一点符合 {a.benefit.id}@{a.event.id if a.event else '-'}：{'；'.join(r.text for r in a.reasons)}"
        for a in ev.near_misses
    ]
    return "\n".join(rows)


def _read(path: Path) -> Any:
    try:
        return read_scenario_text(path.read_text(encoding="utf-8"), str(path))
    except UnicodeDecodeError:
        raise InputError(f"{path}：不是UTF-8编码的文本（请另存为UTF-8）") from None
    except OSError as exc:
        raise InputError(f"{path}：无法读取（{exc.strerror}）") from None


def check_example(eng: Engine, path: Path) -> ExampleResult:
    """Evaluate one worked example; its problems in Chinese (none when it holds). A file that
    cannot be read, or whose expectations are malformed, is one failed example, not a stop."""
    try:
        spec = _read(path)
    except InputError as exc:
        return ExampleResult(path, path.stem, (str(exc),), "")
    if not isinstance(spec, dict) or not isinstance(spec.get("scenario"), dict) or not isinstance(spec.get("expect"), dict):
        return ExampleResult(path, path.stem, ("算例应有scenario（情景）与expect（应得结果）两部分，均为映射",), "")
    title = str(spec.get("title", path.stem))
    malformed = _unknown_keys(spec, _KEYS, "") + _malformed(eng, spec["expect"])
    if malformed:
        return ExampleResult(path, title, tuple(malformed), "")
    try:
        ev = eng.evaluate(eng.scenario(spec["scenario"], str(path)))
    except ScenarioError as exc:
        return ExampleResult(path, title, (f"情景有误：{exc}",), "")
    problems = _compare(ev, spec["expect"])
    return ExampleResult(path, title, tuple(problems), describe(ev) if problems else "")


_AMOUNT_LISTS = ("awards", "set_aside", "near_misses")
# the keys an example may have at each level: a misspelt one (award:, totl:) asserted nothing and passed
_KEYS = ("title", "scenario", "expect")
_EXPECT_KEYS = (*_AMOUNT_LISTS, "absent", "total", "only_listed")
_ITEM_KEYS = {
    "awards": ("benefit", "event", "min", "max"),
    "set_aside": ("benefit", "event", "reason"),
    "near_misses": ("benefit", "event", "reason"),
}
_TOTAL_KEYS = ("min", "max")


def _unknown_keys(node: dict[str, Any], allowed: tuple[str, ...], where: str) -> list[str]:
    """A key not in ``allowed``, named as the policy files' are (未知字段“award”（可用：…）)."""
    shown = "、".join(sorted(allowed))
    return [f"{where}{'：' if where else ''}未知字段“{key}”（可用：{shown}）" for key in node if key not in allowed]


def _malformed(eng: Engine, expect: dict[str, Any]) -> list[str]:
    """What in ``expect`` cannot be checked, in words: items without a benefit, unknown benefit
    ids, amounts that are no money, reasons that are no text."""
    problems = _unknown_keys(expect, _EXPECT_KEYS, "expect")
    if not isinstance(expect.get("only_listed", False), bool):
        problems.append(f"expect.only_listed应为true或false（不加引号）：{as_written(expect['only_listed'])}")
    for key in (*_AMOUNT_LISTS, "absent"):
        items = expect.get(key, [])
        if not isinstance(items, list):
            problems.append(f"expect.{key}应为列表")
            continue
        for i, item in enumerate(items):
            benefit = item if key == "absent" else item.get("benefit") if isinstance(item, dict) else None
            where = f"expect.{key}[{i}]"
            if key != "absent" and not isinstance(item, dict):
                problems.append(f"{where}应为映射，如 {{benefit: …, event: …}}")
                continue
            if isinstance(item, dict):
                problems += _unknown_keys(item, _ITEM_KEYS[key], where)
            if not isinstance(benefit, str):
                problems.append(f"{where}缺少奖补项编号（benefit）" if key != "absent" else f"{where}应为奖补项编号")
            elif benefit not in eng.library.benefits:
                problems.append(f"{where}：没有编号为“{benefit}”的奖补项")
            if key == "awards" and isinstance(item, dict):
                for bound in ("min", "max"):
                    if bound not in item:
                        problems.append(f"{where}缺少{bound}（金额，max: null表示不设上限）")
                        continue
                    try:
                        _fen(item[bound])
                    except MoneyError as exc:
                        problems.append(f"{where}.{bound}：{exc}")
            if isinstance(item, dict) and "reason" in item and not isinstance(item["reason"], str):
                problems.append(f"{where}.reason应为文字")
    total = expect.get("total")
    if total is not None:
        if not isinstance(total, dict) or "min" not in total or "max" not in total:
            problems.append("expect.total应为{min: 金额, max: 金额}")
        else:
            problems += _unknown_keys(total, _TOTAL_KEYS, "expect.total")
            for bound in ("min", "max"):
                try:
                    _fen(total[bound])
                except MoneyError as exc:
                    problems.append(f"expect.total.{bound}：{exc}")
    return problems


def _compare(ev: Evaluation, expect: dict[str, Any]) -> list[str]:
    problems = []
    for item in expect.get("awards", []):
        a = _find(ev.awards, item["benefit"], item.get("event"))
        if a is None:
            problems.append(f"{_where(item)}应可享受，实际未给予")
            continue
        want_low, want_high = _fen(item["min"]), _fen(item["max"])
        if (a.low, a.high) != (want_low, want_high):
            problems.append(f"{_where(item)}应为{_shown(want_low)}～{_shown(want_high)}，实际{_shown(a.low)}～{_shown(a.high)}")
    for key, awards, expected in (
        ("set_aside", ev.set_aside, "应未计入（就高不重复、同一标的、限额用尽）"),
        ("near_misses", ev.near_misses, "应为差一点符合"),
    ):
        for item in expect.get(key, []):
            a = _find(awards, item["benefit"], item.get("event"))
            if a is None:
                problems.append(f"{_where(item)}{expected}，实际不是")
            elif "reason" in item and not any(item["reason"] in r.text for r in a.reasons):
                problems.append(f"{_where(item)}的原因应含“{item['reason']}”，实际：{'；'.join(r.text for r in a.reasons)}")
    everything = ev.awards + ev.set_aside + ev.near_misses
    for benefit in expect.get("absent", []):
        if any(a.benefit.id == benefit for a in everything):
            problems.append(f"{benefit}不应出现，实际出现")
    if expect.get("only_listed"):
        listed = {(i["benefit"], i.get("event")) for i in expect.get("awards", [])}
        extra = [a for a in ev.awards if (a.benefit.id, a.event.id if a.event else None) not in listed]
        problems += [f"{a.benefit.id}（事项{a.event.id if a.event else '-'}）未列出却可享受" for a in extra]
    if "total" in expect:
        want = (_fen(expect["total"]["min"]), _fen(expect["total"]["max"]))
        if (ev.total.low, ev.total.high) != want:
            problems.append(f"合计应为{_shown(want[0])}～{_shown(want[1])}，实际{_shown(ev.total.low)}～{_shown(ev.total.high)}")
    return problems


def uncovered_benefits(eng: Engine, files: Iterable[Path]) -> dict[str, list[str]]:
    """Per document, the benefits no worked example asserts as granted to the fen."""
    listed: set[str] = set()
    for path in files:
        try:
            spec = _read(path)
        except InputError:  # reported as that example's failure
            continue
        awards = (
            spec.get("expect", {}).get("awards", []) if isinstance(spec, dict) and isinstance(spec.get("expect"), dict) else []
        )
        if isinstance(awards, list):
            listed |= {str(item["benefit"]) for item in awards if isinstance(item, dict) and "benefit" in item}
    out = {}
    for doc in eng.library.documents:
        missing = [b.id for b in doc.benefits if b.id not in listed]
        if missing:
            out[doc.id] = missing
    return out
