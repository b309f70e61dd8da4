"""Testing a rule's conditions and saying, in Chinese, how each came out."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import cast

from .context import MISSING, Context, absent, fact_label
from .facts import Catalogue, FieldSpec, describe_value
from .model import Citation, Compare, Condition, Contains, Field, FirstTime, Holds, IsTrue, OneOf, YearSum
from .money import format_wan

__all__ = ["Absent", "Outcome", "absent_text", "requirement", "requirement_text", "show_threshold", "test"]


@dataclass(slots=True, init=False)
class Outcome:
    """How one condition came out: passed or not, and why in plain Chinese.

    Not frozen, and its ``__init__`` written out: dozens are made per evaluation,
    and a frozen dataclass's ``__init__`` costs three times as much, a generated
    one (interpreted even in the compiled core) four to six times a written one.
    Nothing changes an outcome after it is made.
    """

    passed: bool
    text: str
    cite: Citation | None

    def __init__(self, passed: bool, text: str, cite: Citation | None) -> None:
        self.passed = passed
        self.text = text
        self.cite = cite


class Absent(Outcome):
    """A condition that fails because the scenario does not give its fact: ``facts`` says which, as
    (path, label), so that the user is told what to fill in rather than that the item was nearly met."""

    facts: tuple[tuple[str, str], ...]

    def __init__(self, text: str, cite: Citation | None, facts: tuple[tuple[str, str], ...]) -> None:
        super().__init__(False, text, cite)
        self.facts = facts


def show_threshold(cond: Compare, unit: str = "") -> str:
    """The threshold as the text writes it (50万元, 2.5, 50%, 50吨标准煤)."""
    if cond.kind == "money":
        return format_wan(int(cond.value))
    if cond.kind == "rate":
        return describe_value(FieldSpec("", "", "rate"), cond.value)
    return describe_value(FieldSpec("", "", "number", unit=unit or None), cond.value)


def test(cond: Condition, ctx: Context) -> Outcome:
    """Test one condition in a context."""
    if isinstance(cond, Compare):
        return _compare(cond, ctx)
    if isinstance(cond, OneOf):
        value = ctx.raw(cond.fact)
        label = ctx.label(cond.fact)
        shown = "、".join(cond.values)
        if value is MISSING:
            return _absent(cond, ctx)
        inside = str(value) in cond.values
        ok = not inside if cond.negate else inside
        verb = "不属于" if cond.negate else "属于"
        given = ctx.default_note(cond.fact, value)
        if ok:
            return Outcome(True, f"{label}“{value}”{given}{verb}{shown}", cond.cite)
        return Outcome(False, f"{label}“{value}”{given}{'属于' if cond.negate else '不属于'}{shown}", cond.cite)
    if isinstance(cond, Contains):
        value = ctx.raw(cond.fact)
        label = ctx.label(cond.fact)
        items = value if isinstance(value, tuple) else ()
        hit = [v for v in cond.values if v in items]
        shown = "、".join(cond.values)
        if hit:
            return Outcome(True, f"{label}包含“{hit[0]}”", cond.cite)
        return Outcome(False, f"{label}不包含{shown}", cond.cite)
    if isinstance(cond, IsTrue):
        value = ctx.raw(cond.fact)
        label = ctx.label(cond.fact)
        want = "是" if cond.expected else "否"
        if value is MISSING:
            return _absent(cond, ctx)
        ok = value is cond.expected
        given = ctx.default_note(cond.fact, value)
        return Outcome(ok, f"{label}：{'是' if value else '否'}{given}" + ("" if ok else f"（应为“{want}”）"), cond.cite)
    if isinstance(cond, Holds):
        on = ctx.event.date if ctx.event else ctx.scenario.reference_date
        held = [q for q in ctx.enterprise.qualifications if q.title in cond.titles and q.held_on(on)]
        shown = "、".join(cond.titles)
        if held:
            return Outcome(True, f"企业于{on}持有“{held[0].title}”资质", cond.cite)
        # a title the same scenario records as obtained (a recognition event) is held from its date on
        got = [e for e in ctx.scenario.events if e is not ctx.event and e.date <= on and e.facts.get("title") in cond.titles]
        if got:
            first = min(got, key=lambda e: (e.date, e.id))
            return Outcome(True, f"企业于{on}持有“{first.facts['title']}”资质（事项{first.id}，{first.date}获评）", cond.cite)
        return Outcome(False, f"企业于{on}未持有{shown}资质", cond.cite)
    return _first_time(cond, ctx)


_AFTER = ("以上", "以下", "以内")  # words written after the number: 300万元以上


def requirement(cond: Compare, unit: str = "") -> str:
    """The requirement as the law writes it, with whether it includes the number:
    ``300万元以上（含本数）``, ``超过50万元（不含本数）``."""
    threshold = show_threshold(cond, unit)
    word = cond.comparison.word
    text = f"{threshold}{word}" if word in _AFTER else f"{word}{threshold}"
    return f"{text}（{'含' if cond.comparison.inclusive else '不含'}本数）"


# The words of a comparison that do not depend on the enterprise (label, threshold,
# requirement), per condition and event kind, kept on the catalogue they were read from
# (a cache keyed by the catalogue's id gave a later catalogue, at a reused address, the
# words of a dropped one): (condition, label, threshold, requirement, the threshold as an
# ``int`` when it is whole — comparing two ints skips Fraction's slow comparison).
_Words = tuple[Compare, str, str, str, int | None]


def _compare_words(cond: Compare, ctx: Context) -> _Words:
    memo = ctx.catalogue.memo
    key = (id(cond), ctx.event_kind)
    hit = memo.get(key)
    if hit is not None and hit[0] is cond:  # the same object, not a later one at a reused id
        return cast(_Words, hit)
    fact = cond.fact.field if isinstance(cond.fact, YearSum) else cond.fact
    spec = ctx.spec(fact) if isinstance(fact, Field) else None
    unit = spec.unit or "" if spec is not None and spec.type != "money" else ""
    if len(memo) > 50_000:  # libraries loaded and dropped again and again with one catalogue (tests)
        memo.clear()
    whole = cond.value.numerator if cond.value.denominator == 1 else None
    words: _Words = (cond, ctx.label(cond.fact), show_threshold(cond, unit), requirement(cond, unit), whole)
    memo[key] = words
    return words


def _compare(cond: Compare, ctx: Context) -> Outcome:
    _, label, threshold, required, whole = _compare_words(cond, ctx)
    value: Fraction | int | None = ctx.number(cond.fact)
    if value is None:
        return _absent(cond, ctx)
    shown = ctx.show(cond.fact, cond.value)  # never rounded onto the threshold: not “50%低于50%”
    limit: Fraction | int = whole if whole is not None and isinstance(value, int) else cond.value
    if cond.comparison.test(value, limit):
        return Outcome(True, f"{label}{shown}，符合{required}", cond.cite)
    return Outcome(False, f"{label}{shown}{cond.comparison.negated}{threshold}（要求{required}）", cond.cite)


def _required(cond: Compare, catalogue: Catalogue, event_kind: str) -> str:
    """:func:`requirement` with the unit of the compared fact (money's is in the threshold)."""
    fact = cond.fact.field if isinstance(cond.fact, YearSum) else cond.fact
    spec = catalogue.field(event_kind, fact.path) if isinstance(fact, Field) else None
    return requirement(cond, spec.unit or "" if spec is not None and spec.type != "money" else "")


def requirement_text(cond: Condition, catalogue: Catalogue, event_kind: str) -> str:
    """What ``cond`` asks, without any enterprise's value: 项目实际总投入超500万元（不含本数）,
    是否制造业企业应为“是”. For the compiled backend's reasons, which name the condition
    a row failed but not the value it had (``test`` gives both, for one scenario)."""
    if isinstance(cond, Compare):
        return f"{fact_label(cond.fact, catalogue, event_kind)}{_required(cond, catalogue, event_kind)}"
    if isinstance(cond, OneOf):
        return f"{fact_label(cond.fact, catalogue, event_kind)}{'不应为' if cond.negate else '应为'}{'、'.join(cond.values)}"
    if isinstance(cond, Contains):
        return f"{fact_label(cond.fact, catalogue, event_kind)}应包含{'、'.join(cond.values)}"
    if isinstance(cond, IsTrue):
        return f"{fact_label(cond.fact, catalogue, event_kind)}应为“{'是' if cond.expected else '否'}”"
    if isinstance(cond, Holds):
        return f"事项发生日应持有{'、'.join(cond.titles)}资质"
    return "应为首次/新获评（此前未获同一称号）"


def _absent(cond: OneOf | IsTrue | Compare, ctx: Context) -> Absent:
    """The outcome of a condition whose fact is not given, worded as :func:`absent_text` (the compiled
    backend's reason text for it)."""
    text = absent_text(cond, ctx.catalogue, ctx.event_kind)
    assert text is not None
    return Absent(text, cond.cite, absent(cond.fact, ctx))


def absent_text(cond: Condition, catalogue: Catalogue, event_kind: str) -> str | None:
    """What ``test`` says when ``cond``'s fact is not given (its :class:`Absent` text, which names no
    value): 设备投入未填写（要求300万元以上（含本数））. ``None`` for a condition that is never absent
    (包含, 持有资质, 首次/新获评 fail without a fact). For the compiled backend's reasons."""
    if isinstance(cond, Compare):
        return f"{fact_label(cond.fact, catalogue, event_kind)}未填写（要求{_required(cond, catalogue, event_kind)}）"
    if isinstance(cond, OneOf):
        return f"{fact_label(cond.fact, catalogue, event_kind)}未填写（应为{'、'.join(cond.values)}）"
    if isinstance(cond, IsTrue):
        return f"{fact_label(cond.fact, catalogue, event_kind)}未填写（应为“{'是' if cond.expected else '否'}”）"
    return None


def _first_time(cond: FirstTime, ctx: Context) -> Outcome:
    event = ctx.event
    if event is None:
        return Outcome(False, "首次/新获评须针对一次获评事项", cond.cite)
    title = event.facts.get("title")
    level = event.facts.get("level")
    outcome = event.facts.get("outcome")
    if outcome is not None and outcome != "新获评":  # a re-assessment is no new title
        return Outcome(False, f"获评方式为“{outcome}”，不属于首次/新获评", cond.cite)
    # a level left blank, on either side, cannot show the two are of different levels: counted as the same
    # (a 领航企业 entered without its 级别 and again as 市级 was paid twice)
    same = [
        q
        for q in ctx.enterprise.qualifications
        if q.title == title
        and q.since < event.date
        and (not cond.same_level or q.level is None or level is None or q.level == level)
    ]
    grade = event.facts.get("grade")  # 先进级 → 卓越级 is newly rated at the higher grade
    if same and grade is None:
        lapsed = [q.until for q in same if q.until is not None and q.until < event.date]
        # every earlier holding had ended: rated again, which 首次获评 excludes and 新获评 may not
        if len(lapsed) == len(same) and "首次" not in (cond.cite.quote if cond.cite else ""):
            return Outcome(
                False,
                f"企业已于{same[0].since}获得“{title}”（有效期至{max(lapsed)}，已期满），本次为期满后再次获评；"
                "原文未明确期满后再次获评是否属于“新获评”，按不属于首次/新获评处理，请人工核实",
                cond.cite,
            )
        return Outcome(False, f"企业已于{same[0].since}获得“{title}”，不属于首次/新获评", cond.cite)
    earlier = [
        e
        for e in ctx.scenario.events
        if e.kind == event.kind
        and e.facts.get("title") == title
        and (not cond.same_level or e.facts.get("level") is None or level is None or e.facts.get("level") == level)
        and (grade is None or e.facts.get("grade") in (None, grade))
        and (e.date, e.id) < (event.date, event.id)
    ]
    if earlier:
        first = earlier[0]
        unknown = cond.same_level and (first.facts.get("level") is None or level is None)
        said = "（级别未填，按同一级别计）" if unknown else ""
        return Outcome(False, f"事项{first.id}（{first.date}）已获评“{title}”{said}，不属于首次/新获评", cond.cite)
    if same:  # a held qualification says no grade: an upgrade to this one is newly rated (the rule's interpretation)
        return Outcome(
            True,
            f"企业已于{same[0].since}获得“{title}”（资质未载等级），本次为{grade}：由较低等级新获评较高等级的按新获评理解"
            "（如为同一等级，请核实）",
            cond.cite,
        )
    return Outcome(True, f"此前未获评“{title}”（{level or '同级'}），属于首次/新获评", cond.cite)
