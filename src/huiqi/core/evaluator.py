"""The reference evaluator: a scenario against the library, exact to the fen.

Order of work, for every event (and once for the year, for benefits on the
enterprise's profile):

1. benefits of documents whose jurisdiction contains the enterprise's
   registered region, for the event's kind, whose ``match`` selects the event;
2. validity (the event's date in force), applicant kind, ``when`` conditions,
   multi-year limits — a failure makes a near-miss with the reason;
3. the amount formula, item caps (stage caps), uplifts;
4. once-per-key (同一型号每项认证仅奖励一次);
5. exclusivity per event (就高不重复), also against awards already received;
6. caps per enterprise-year, per key and per group, in date order;
7. payer shares, then totals per document and per payer.

Every later backend must agree with this module to the fen.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from .amounts import AmountMissing, compute, show_rate
from .conditions import Absent, Outcome, test
from .context import Context, fact_label
from .explain import amount_text
from .facts import Catalogue
from .model import LEVEL_LABELS, LEVELS, TOWN_WORDS, Benefit, Cap, Document, Exclusivity, Field, Funding, Library
from .money import floor_times, format_wan
from .regions import REGIONS, parents, region
from .results import GRANTED, NEAR_MISS, SET_ASIDE, Award, Evaluation, Line, Missing, PayerPart, Totals
from .scenario import Event, PriorAward, Scenario

__all__ = [
    "CAP_SHARE_NOTE",
    "EXCL_AFTER_CAPS",
    "NOTE",
    "ONCE_KEY_UNCHECKED",
    "REVIEW_TRIED",
    "REVIEW_UNTRIED",
    "UNKNOWN_AMOUNT_REVIEW",
    "documents_for",
    "evaluate",
    "once_key_note",
    "payer_name",
    "yearly_date_hint",
]


def documents_for(library: Library, region_code: str) -> list[Document]:
    """The documents that bind an enterprise registered in a region."""
    from .regions import contains

    return [d for d in library.documents if contains(d.jurisdiction, region_code)]


def evaluate(library: Library, catalogue: Catalogue, scenario: Scenario, for_people: bool = True) -> Evaluation:
    """Evaluate a scenario against every document that binds the enterprise. ``for_people`` adds what
    only an explanation shows (a near miss's amount if met, the events no item takes); a register's
    rows, which carry neither, are evaluated without.

    就高不重复 is first decided on each item's amount within its own caps, before the yearly caps
    over several items (step 5 before step 6). Where a yearly cap then cuts the kept item below
    what an item set aside could pay (a case; at an event with several, the best-ranked), the
    enterprise is evaluated again with every case's item kept first at its event, and once more
    with the earliest case's alone; it gets the choice that pays more in all (:func:`_gain`; the
    first on a tie). The compiled plan does the same (``hq_prefer_b``/``_c``, the ``_b``/``_c``
    steps, ``hq_pick``, ``hq_final``)."""
    first, cases = _evaluate(library, catalogue, scenario, for_people, frozenset(), ())
    if not cases:
        return first
    best = first
    tries = [cases, cases[:1]] if len(cases) > 1 else [cases]
    for kept in tries:
        other, _ = _evaluate(library, catalogue, scenario, for_people, frozenset((e, lo) for e, lo, _, _ in kept), kept)
        if _gain(other) > _gain(best):
            best = other
    return best


def _gain(ev: Evaluation) -> tuple[bool, int, int]:
    """What an evaluation pays in all, for choosing among the choices: without upper bound first, then
    the sum of the highs, then of the lows (the compiled plan's ``hq_pick``)."""
    money = [a for a in ev.awards if a.is_money]
    return (
        any(a.high is None for a in money),
        sum(a.high for a in money if a.high is not None),
        sum(a.low for a in money),
    )


# (event id, the item set aside, the item kept over it, whether the kept one crowded others out of a cap) under 就高不重复
Case = tuple[str, str, str, bool]


def _evaluate(
    library: Library,
    catalogue: Catalogue,
    scenario: Scenario,
    for_people: bool,
    prefer: frozenset[tuple[str, str]],
    cases: tuple[Case, ...],
) -> tuple[Evaluation, tuple[Case, ...]]:
    """One evaluation, with the items ``prefer`` names (event id, benefit id) kept first at their
    events under 就高不重复 (``cases``: the first choice's cases they come from); and, on the first
    choice, its cases in date order."""
    docs = documents_for(library, scenario.enterprise.region)
    here = {d.id for d in docs}
    events = sorted(scenario.events, key=lambda e: (e.date, e.id))
    candidates: list[Award] = []
    near: list[Award] = []
    # the events each benefit's kind and ``match`` select, whatever became of them: an award of
    # another level for such an event counts toward the benefit's caps over levels (``prior_levels``)
    matched: dict[str, set[str]] = defaultdict(set)
    selected: set[str] = set()  # events some benefit selected
    units: list[tuple[Event | None, str]] = [(e, e.kind) for e in events]
    units.append((None, "enterprise"))
    for event, kind in units:
        ctx = Context(scenario, event, kind, catalogue)
        for benefit in library.candidates(kind, event.facts if event else {}):
            if benefit.document_id not in here:
                continue
            outcomes = [test(c, ctx) for c in benefit.match]
            for o in outcomes:
                if not o.passed:
                    break
            else:
                award = _assess(benefit, library.by_id[benefit.document_id], event, ctx, outcomes, for_people)
                (candidates if award.status == GRANTED else near).append(award)
                if event is not None:
                    matched[benefit.id].add(event.id)
                    selected.add(event.id)
    set_aside: list[Award] = []
    granted = _once_per_key(candidates, library, scenario, set_aside, catalogue)
    rivals: list[tuple[Award, Award, int | None]] = []
    granted = _exclusivity(granted, scenario, set_aside, rivals, prefer, cases)
    before_caps = [winner.high for _, winner, _ in rivals]
    pre = {id(a): a.high for a in granted if a.is_money}  # each money award's high before the caps
    granted = _caps(granted, library, scenario, set_aside, matched)
    review = _after_caps(rivals, before_caps, not prefer)
    if rivals and not prefer:
        review = _crowding(review, rivals, pre, [*granted, *set_aside], library, scenario)
    payer_names: dict[str, str] = {}
    for award in granted:
        _split(award, scenario, payer_names)
    result = _totals(scenario, granted, set_aside, near, docs)
    if for_people:
        result.unmatched = [(e, _unmatched(library, catalogue, scenario, e, here)) for e in events if e.id not in selected]
        ent_facts = [f"enterprise.{k}" for k in scenario.enterprise.facts]
        result.labels = {p: fact_label(Field(p), catalogue, "enterprise") for p in ent_facts}
        for e in events:
            for k in e.facts:
                result.labels.setdefault(k, fact_label(Field(k), catalogue, e.kind))
    return result, review


def _unmatched(library: Library, catalogue: Catalogue, scenario: Scenario, event: Event, here: set[str]) -> str:
    """Why no item selected an event: the documents elsewhere that would (a 武进 category for a 吴中
    enterprise), or that no document has an item for it."""
    ctx = Context(scenario, event, event.kind, catalogue)
    elsewhere = []
    for benefit in library.candidates(event.kind, event.facts):
        doc = library.by_id[benefit.document_id]
        if doc.id not in here and doc.short not in elsewhere and all(test(c, ctx).passed for c in benefit.match):
            elsewhere.append(doc.short)
    if elsewhere:
        where = "、".join(f"《{d}》" for d in elsewhere)
        code = scenario.enterprise.region
        place = REGIONS[code].name if code in REGIONS else code
        these = "这些文件" if len(elsewhere) > 1 else "该文件"
        return f"只有{where}有适用于该事项的条款，{these}不适用于注册在{place}的企业"
    return "现行政策文件中没有适用于该事项（类型及类别）的条款；请核对事项类型与类别是否按政策原文选择"


def yearly_date_hint(doc: Document) -> str:
    """After a yearly item's date outside ``doc``: a yearly item (当年度产销 …) is dated by the reference
    date, and a year's figures evaluated after the year, as they usually are, need the year's last day
    in force as the reference date. '' for a document without an end."""
    if doc.valid_to is None:
        return ""
    return f"；年度奖补按测算基准日判断，测算{doc.valid_to.year}年度请以{doc.valid_to}为测算基准日"


def window_text(benefit: Benefit, doc: Document, on: date | None, yearly: bool) -> str:
    """Why a date is outside the window ``benefit``'s events are taken in (the document's, or the
    item's own: 上一年度服务活动), with ``on`` the date (None: the batch reason text, without it)."""
    start, end, _, read = doc.window(benefit)
    until = end.isoformat() if end else "长期"
    said = "，按解释" if read else ""
    where = (
        f"《{doc.short}》有效期" if start == doc.valid_from and end == doc.valid_to else f"《{doc.short}》本项适用的事项日期范围"
    )
    hint = yearly_date_hint(doc) if yearly and end is not None and (on is None or on > end) else ""
    return f"{'日期' if on is None else f'日期{on}'}不在{where}（{start}至{until}{said}）内{hint}"


# --- 1-3: one benefit on one event -----------------------------------------


def _assess(
    benefit: Benefit, doc: Document, event: Event | None, ctx: Context, matched: list[Outcome], for_people: bool
) -> Award:
    scenario = ctx.scenario
    on = event.date if event else scenario.reference_date
    award = Award(benefit=benefit, document=doc, event=event, status=GRANTED, conditions=list(matched))
    start, end, words, _ = doc.window(benefit)
    if on < start or (end is not None and on > end):
        award.out_of_window = True
        award.reasons.append(Line(window_text(benefit, doc, on, event is None), words))
    kinds = benefit.applicants or doc.applicants
    if kinds and scenario.enterprise.kind not in kinds:
        award.reasons.append(
            Line(
                f"主体类型“{scenario.enterprise.kind}”不在支持范围（{'、'.join(kinds)}）内",
                benefit.applicants_cite if benefit.applicants else doc.applicants_cite,
            )
        )
    for cond in benefit.when:
        outcome = test(cond, ctx)
        award.conditions.append(outcome)
        if not outcome.passed:
            given = outcome.facts if isinstance(outcome, Absent) else ()
            award.reasons.append(Missing(outcome.text, outcome.cite, given) if given else Line(outcome.text, outcome.cite))
    if benefit.max_years is not None:
        years = {y for p in scenario.prior_awards if p.benefit == benefit.id and (y := prior_year(p, scenario)) != on.year}
        if len(years) >= benefit.max_years:
            award.reasons.append(
                Line(f"已于{'、'.join(str(y) for y in sorted(years))}年享受，最多{benefit.max_years}年", benefit.max_years_cite)
            )
    if award.reasons:
        award.status = NEAR_MISS
        if for_people and not award.out_of_window:
            award.if_met = _if_met(benefit, doc, event, ctx)
        return award
    try:
        computed = compute(benefit.amount, ctx)
    except AmountMissing as exc:
        award.status = NEAR_MISS
        award.reasons.append(Missing(str(exc), benefit.cite, exc.facts) if exc.facts else Line(str(exc), benefit.cite))
        return award
    award.low, award.high, award.kind = computed.low, computed.high, computed.kind
    award.tiers_unpublished, award.text = computed.tiers_unpublished, computed.text
    for i, text in enumerate(computed.lines):
        award.steps.append(Line(text, computed.cites[i] if i < len(computed.cites) else None))
    for cap in benefit.caps:
        if cap.per == "item":
            _item_cap(award, cap, ctx)
    if benefit.uplift is not None and award.is_money:
        outcomes = [test(c, ctx) for c in benefit.uplift.conditions]
        if all(o.passed for o in outcomes):
            factor = 1 + benefit.uplift.rate
            award.low = floor_times(award.low, factor)
            award.high = None if award.high is None else floor_times(award.high, factor)
            shown = format_wan(award.high) if award.high is not None else "不设上限"
            award.steps.append(
                Line(f"{outcomes[0].text}，支持金额上浮{show_rate(benefit.uplift.rate)}：{shown}", benefit.uplift.cite)
            )
    if benefit.quota is not None:
        q = benefit.quota
        award.steps.append(Line(q.text(), q.cite))
    return award


def _item_cap(award: Award, cap: Cap, ctx: Context) -> None:
    limit = cap.fen
    if cap.by is not None:
        value = str(ctx.raw(cap.by))
        limit = dict(cap.by_fen).get(value)
        if limit is None:
            return
    if limit is None:
        return
    if award.high is None or award.high > limit:
        before = "不设上限" if award.high is None else format_wan(award.high)
        award.high = limit
        award.low = min(award.low, limit)
        award.steps.append(Line(f"最高{format_wan(limit)}：{before}封顶为{format_wan(limit)}", cap.cite))


# --- 4: once per key -------------------------------------------------------


def _higher_first(award: Award) -> tuple[int, int, int]:
    """Sorts higher awards first: no upper bound, then by upper and lower amount, descending."""
    return (0 if award.high is None else 1, -(award.high or 0), -award.low)


ONCE_KEY_UNCHECKED = "（按未奖励过计）"
NOTE = "注意："  # a reason line that is a note for review, not why the award was refused


def once_key_note(labels: str, some: bool = False) -> str:
    """The note of an award whose once-per key (``labels``, the blank facts) is not given;
    ``some``: ``labels`` names the whole key, of which one part or more is blank."""
    blank = f"{labels}未全部填写" if some else f"未填写{labels}"
    return f"{blank}，无法核对是否已奖励过同一{labels}{ONCE_KEY_UNCHECKED}"


def once_group_of(library: Library, benefit_id: str) -> str:
    """The once-per-key group an award received under ``benefit_id`` counts in: its benefit's
    ``once_group`` (吴中 第3条's 同系列类似产品不重复支持 over three device benefits), else the id itself."""
    benefit = library.benefits.get(benefit_id)
    return benefit.once_group if benefit is not None and benefit.once_group else benefit_id


def _once_per_key(
    candidates: list[Award], library: Library, scenario: Scenario, set_aside: list[Award], catalogue: Catalogue
) -> list[Award]:
    seen: dict[tuple[str, tuple[str, ...]], Award | None] = {}
    for p in scenario.prior_awards:
        if p.benefit and p.key:  # under a member benefit's id or the group's
            seen[(once_group_of(library, p.benefit), tuple(p.key.split("|")))] = None
        if p.benefit and (own := library.benefits.get(p.benefit)) is not None and own.once_per_enterprise:
            seen[(once_group_of(library, p.benefit), ())] = None  # once per enterprise: whatever its key
    kept: list[Award] = []
    # in date order; on one day the higher award first (two recognitions of one product the same
    # day keep the national one, not the one whose id sorts first)
    order = sorted(
        candidates,
        key=lambda a: (a.event.date if a.event else scenario.reference_date, a.benefit.order, _higher_first(a), a.sort_key),
    )
    for award in order:
        b = award.benefit
        if not (b.once_per or b.once_per_enterprise) or award.event is None:
            kept.append(award)
            continue
        key = (b.once_group or b.id, tuple(str(award.event.facts.get(k, "")) for k in b.once_per))
        if "" in key[1]:  # which product (model, …) it is is not given: it cannot be shown to be one paid before
            labels = "、".join(
                fact_label(Field(k), catalogue, award.event.kind) for k, v in zip(b.once_per, key[1], strict=True) if v == ""
            )
            award.steps.append(Line(once_key_note(labels), b.cite))
            kept.append(award)
            continue
        if key in seen:
            first = seen[key]
            where = f"事项{first.event.id}" if first is not None and first.event else "此前已获奖补"
            award.status = SET_ASIDE
            # named by what the value is (同一产品系列“X”, not 同一X); once per enterprise: 本企业
            named = "、".join(
                f"{fact_label(Field(k), catalogue, award.event.kind)}“{v}”" for k, v in zip(b.once_per, key[1], strict=True)
            )
            whose = f"同一{named}" if named else "本企业"
            award.reasons.append(Line(f"{whose}已奖励一次（{where}），不再重复奖励", b.cite))
            set_aside.append(award)
            continue
        seen[key] = award
        kept.append(award)
    return kept


# --- 5: exclusivity per event (就高不重复) ----------------------------------


def _level_rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


def _covers(rule: Exclusivity, own: Document, other: Document) -> bool:
    if other.id == own.id:
        return rule.within == "document"
    if other.level in rule.against:
        return True
    return "higher" in rule.against and _level_rank(other.level) < _level_rank(own.level)


def _conflict(a: Award, b: Award) -> Exclusivity | None:
    da, db = a.document, b.document
    for rule in da.exclusivity:
        if not rule.applies_to(a.benefit.article):
            continue
        if da.id == db.id:
            if not rule.applies_to(b.benefit.article):
                continue
            if rule.within == "document" or (rule.within == "article" and a.benefit.article == b.benefit.article):
                return rule
        elif _covers(rule, da, db):
            return rule
    if da.id != db.id:
        for rule in db.exclusivity:
            if rule.applies_to(b.benefit.article) and _covers(rule, db, da):
                return rule
    return None


# on an item without an amount in the text, set aside under 就高不重复 for one with an amount
UNKNOWN_AMOUNT_REVIEW = f"{NOTE}本项原文未定金额，与保留的一项孰高无法按原文比较；按就高原则可能应改按本项支持，请人工复核"


def _potential(award: Award) -> int | None:
    """The most this award could pay once its own yearly or per-key caps apply."""
    high = award.high
    for cap in award.benefit.caps:
        if cap.per != "item" and cap.fen is not None:
            high = cap.fen if high is None else min(high, cap.fen)
    return high


def _rank(award: Award) -> tuple[int, int, int, int, int]:
    high = _potential(award)
    return (
        0 if high is None else 1,
        -(high or 0),
        -award.low,
        _level_rank(award.document.level),
        award.benefit.order,
    )


# what a set-aside item left above the kept one after the caps says: a case tried (the first choice's, shown only
# when no other choice paid more in all), or not (another of its event's cases, or one another choice makes)
REVIEW_TRIED = "已改按本项重新测算，企业合计可得未更高，仍保留该项，请人工复核"
REVIEW_UNTRIED = "按就高原则可能应改按本项支持，请人工复核（就高不重复先于年度限额判断）"


def _after_caps(rivals: list[tuple[Award, Award, int | None]], before_caps: list[int | None], first: bool) -> tuple[Case, ...]:
    """就高不重复 is decided before the yearly caps (docs/rule-language.md, "就高 after the caps"): an
    award set aside for a higher one that a cap then cut below it is a case, and says so, for
    review. What the event received before (the winner pays only the difference) would have been
    deducted from the set-aside award too: it is compared net of that, and a winner no cap cut is no
    case. On the ``first`` choice, the best-ranked case of each event is returned, in date order,
    for :func:`evaluate` to try kept; it says it was tried (shown only when no other choice paid
    more), the others that they were not."""
    flagged: list[tuple[Award, Award]] = []
    for (loser, winner, chosen_high), capped_from in zip(rivals, before_caps, strict=True):
        # the most the set-aside award could pay is within its own yearly caps: 20% of 2000万 is 400万,
        # but 每年最高200万元 leaves it below a kept 300万, and there is nothing to review
        could_pay = _potential(loser)
        if could_pay is None or winner.high is None or capped_from is None or chosen_high is None or not winner.is_money:
            continue
        received = chosen_high - capped_from  # deducted as received before for the same event
        if winner.high < capped_from and winner.high < could_pay - received and loser.event is not None:
            flagged.append((loser, winner))
        elif winner.high < capped_from:  # the set-aside line shows the kept item before its cap: what it pays
            loser.reasons.append(
                Line(
                    f"{NOTE}保留的{_named(winner)}经限额削减后为{_show(winner)}，"
                    f"仍不低于本项（计本项年度限额后至多{format_wan(max(0, could_pay - received))}）",
                    loser.benefit.cite,
                )
            )
    best: dict[str, tuple[Award, Award]] = {}
    for loser, winner in flagged:
        assert loser.event is not None
        if first and (loser.event.id not in best or _rank(loser) < _rank(best[loser.event.id][0])):
            best[loser.event.id] = (loser, winner)
    tried = {id(loser) for loser, _ in best.values()}
    for loser, winner in flagged:
        loser.reasons.append(
            Line(
                f"{NOTE}保留的{_named(winner)}经限额削减后为{_show(winner)}，"
                f"低于本项{_show(loser)}；{REVIEW_TRIED if id(loser) in tried else REVIEW_UNTRIED}",
                loser.benefit.cite,
            )
        )
    ordered = sorted(best.values(), key=lambda lw: (lw[0].event.date, lw[0].event.id) if lw[0].event else (date.min, ""))
    return tuple((lo.event.id if lo.event else "", lo.benefit.id, w.benefit.id, False) for lo, w in ordered)


def _crowding(
    cases: tuple[Case, ...],
    rivals: list[tuple[Award, Award, int | None]],
    pre: dict[int, int | None],
    after: list[Award],
    library: Library,
    scenario: Scenario,
) -> tuple[Case, ...]:
    """``cases``; or where there are none, the events where the kept item was not cut below the one set aside but draws on a cap
    (每年最高) that cut another of the enterprise's awards, while the item set aside does not: keeping that
    one may leave the room to the other (吴中 第8条 at 8% kept over 第10条 for L1 used up the yearly cap
    L2's 技改 needed: 100万元 where 161万元 is due). No note: :func:`evaluate` tries them as it does the
    cases (the best-ranked item of each event), and only a choice that pays more says why. ``pre``: each
    money award's high before the caps; ``after``: the awards after them (the compiled plan's hq_xcrowd)."""

    if cases:  # an enterprise with a case keeps its choices as they were (trying both made one pay less)
        return cases
    cut: dict[tuple[str, str], set[int]] = defaultdict(set)  # per cap slot: the awards it cut
    for a in after:
        if id(a) in pre and a.high is not None and (pre[id(a)] is None or a.high < (pre[id(a)] or 0)):
            for _, slot in _slots(a, library, scenario):
                cut[slot].add(id(a))
    best: dict[str, tuple[Award, Award]] = {}
    for loser, winner, _ in rivals:
        event = loser.event
        if event is None or id(winner) not in pre or winner.high == 0 or loser.high == 0:
            continue
        own = set(library.caps_of.get(loser.benefit.id, ()))
        crowds = any(cut[slot] - {id(winner)} and slot[0] not in own for _, slot in _slots(winner, library, scenario))
        if crowds and (event.id not in best or _rank(loser) < _rank(best[event.id][0])):
            best[event.id] = (loser, winner)
    if not best:
        return cases
    found = sorted((lo.event.date, lo.event.id, lo.benefit.id, w.benefit.id) for lo, w in best.values() if lo.event)
    return tuple((e, lo, w, True) for _, e, lo, w in found)


def _named(award: Award) -> str:
    """An item as a note names it: 《吴中2025》第8条“企业技术改造项目补助” (an article may hold several)."""
    return f"《{award.document.short}》第{award.benefit.article}条“{award.benefit.title}”"


# a crowding case (_crowding) taken: on the item kept, and on the one given up for it
_CROWDED_WHY = "；该项首轮测算占用的限额额度使其他项目被削减，"
_CROWDED = "本项占用的限额额度使其他项目被削减"

# on the item a case's set-aside item was kept over, given up for it in another choice (evaluate's later passes)
EXCL_AFTER_CAPS = "解释：原文未明确“就高”按限额前还是限额后的金额比较，按企业实际可得金额比较"


def _exclusivity(
    candidates: list[Award],
    scenario: Scenario,
    set_aside: list[Award],
    rivals: list[tuple[Award, Award, int | None]],
    prefer: frozenset[tuple[str, str]],
    cases: tuple[Case, ...],
) -> list[Award]:
    kinds = {(e, lo, w): crowded for e, lo, w, crowded in cases}  # a case's kind, by (event, its two items)
    by_event: dict[str, list[Award]] = defaultdict(list)
    kept: list[Award] = []
    for award in candidates:
        if award.event is None or award.kind in ("in_kind", "right"):
            kept.append(award)
        else:
            by_event[award.event.id].append(award)
    for event_id, group in by_event.items():
        chosen: list[Award] = []
        first = {b for e, b in prefer if e == event_id}  # kept first (evaluate's other choices), then by rank
        for award in sorted(group, key=lambda a: (a.benefit.id not in first, _rank(a))):
            rival = next(((k, r) for k in chosen if (r := _conflict(award, k)) is not None), None)
            if rival is None:
                chosen.append(award)
                continue
            winner, rule = rival
            award.status = SET_ASIDE
            # kept over a higher one for a case (another choice): why, before the words every kept item ends with
            case = kinds.get((event_id, winner.benefit.id, award.benefit.id))
            # of a case the one kept is the lower before the caps: not 保留较高者 (the note below says why)
            which = "保留较高者" if case is None else "只保留其一（企业合计可得较多者，见下）"
            award.reasons.append(
                Line(
                    f"同一事项（{event_id}）同时符合《{winner.document.short}》第{winner.benefit.article}条"
                    f"“{winner.benefit.title}”（{_show(winner)}），按就高不重复原则{which}，本项不予重复支持",
                    rule.cite,
                )
            )
            why = "" if case is None else _CROWDED_WHY if case else "；该项首轮测算经年度限额削减后低于本项，"
            winner.steps.append(
                Line(
                    f"与《{award.document.short}》第{award.benefit.article}条“{award.benefit.title}”（{_show(award)}）"
                    f"就高不重复{why}{'' if why else '，'}保留本项",
                    rule.cite,
                )
            )
            if award.kind == "none":  # 按相关政策予以奖励: nothing in the text says the kept one is higher
                award.reasons.append(Line(UNKNOWN_AMOUNT_REVIEW, award.benefit.cite))
            if case is not None:  # the kept one of a case, given up: why
                before = _CROWDED if case else f"本项经年度限额削减后低于{_named(winner)}"
                instead = _named(winner) if case else "该项"
                award.reasons.append(
                    Line(
                        f"{NOTE}首轮测算保留本项时，{before}；改按{instead}支持，企业合计可得更多（{EXCL_AFTER_CAPS}）",
                        rule.cite,
                    )
                )
            set_aside.append(award)
            rivals.append((award, winner, winner.high))
        for award in chosen:
            if _against_prior(award, scenario, event_id):
                kept.append(award)
            else:
                set_aside.append(award)
    return kept


def _if_met(benefit: Benefit, doc: Document, event: Event | None, ctx: Context) -> str:
    """What a near miss would pay were its requirements met: its amount on the facts given and its
    item caps, as text (最高120万元); '' when the facts give no amount or it is not money. Its own
    yearly or per-key maxima bound it as well (an award alone never pays more than 每年最高100万元:
    it said 最高200万元), not what other awards have used of them."""
    try:
        computed = compute(benefit.amount, ctx)
    except AmountMissing:
        return ""
    if computed.kind != "money" or computed.high == 0:
        return ""
    probe = Award(benefit=benefit, document=doc, event=event, status=NEAR_MISS, low=computed.low, high=computed.high)
    for cap in benefit.caps:
        if cap.per == "item":
            _item_cap(probe, cap, ctx)
        elif cap.fen is not None and cap.by is None:
            probe.low = min(probe.low, cap.fen)
            probe.high = cap.fen if probe.high is None else min(probe.high, cap.fen)
    return _show(probe)


def _show(award: Award) -> str:
    return amount_text(award.low, award.high, kind=award.kind, text=award.text)


def _award_name(name: str) -> str:
    """A prior award's document or level as 已获…: 省级奖励, but 江苏省专精特新奖励 (not …奖励奖励)."""
    return name if name.endswith(("奖励", "补助", "奖补", "资助", "补贴", "支持")) else f"{name}奖励"


def _against_prior(award: Award, scenario: Scenario, event_id: str) -> bool:
    """Awards already received for the same event under a covered document, or under this very item.

    Interpretation: 就高不重复 against awards already received means the
    enterprise ends with the higher of this award and what it has received for
    the event — this award is set aside when the covered prior awards together
    are at least as high, and otherwise pays only the difference.  (The batch
    backends compute the same: ``hq_pcov`` sums the covered priors.)
    """
    rules = award.document.exclusivity
    own_rank = _level_rank(award.document.level)

    def covers(r: Exclusivity, prior: PriorAward) -> bool:
        return prior.level in r.against or ("higher" in r.against and _level_rank(prior.level) < own_rank)

    # an award received under this very item for the event counts whether or not the document has
    # a 就高不重复 rule: the item is not paid twice for one event (苏府〔2020〕120号 has no such rule, and
    # its 1% 贴息 for a loan already subsidised was paid again in full)
    covered = [
        prior
        for prior in scenario.prior_awards
        if prior.event == event_id and (prior.benefit == award.benefit.id or any(covers(r, prior) for r in rules))
    ]
    if not covered:
        return True
    # the words quoted are those of the rule that reaches the awards received (武进: 注意事项2 on
    # higher levels, not 第1条's 本条款内项目不得重复享受); the item's own when no rule does
    rule = next((r for r in rules if any(covers(r, p) for p in covered)), None)
    cite = award.benefit.cite if rule is None else rule.cite
    total = sum(p.amount_fen for p in covered)
    got = "、".join(f"{_award_name(p.document or LEVEL_LABELS.get(p.level, p.level))}{format_wan(p.amount_fen)}" for p in covered)
    summed = ""
    if len(covered) > 1:
        got += f"，合计{format_wan(total)}"
        summed = "同一事项已获多项奖励时合计计算"
    # an award of this very benefit received before is no other policy's: not paid again, not 就高
    own = all(p.benefit == award.benefit.id for p in covered)
    principle = "本项" if own else "按就高不重复原则"  # 本项不再重复支持 / 本项只补足差额
    if own:
        got += "（即本项奖补）"
    if award.high is not None and total >= award.high:
        award.status = SET_ASIDE
        note = f"（解释：原文未明确，{summed}）" if summed else ""
        stop = "本项不再重复支持" if own else "按就高不重复原则不再支持"
        award.reasons.append(Line(f"该事项已获{got}，不低于本项{_show(award)}，{stop}{note}", cite))
        return False
    award.low = max(0, award.low - total)
    award.high = None if award.high is None else award.high - total
    why = f"原文未明确补差方式；{summed}" if summed else "原文未明确补差方式"
    award.steps.append(Line(f"该事项已获{got}，{principle}只补足差额（解释：{why}）", cite))
    return True


# --- 6: caps over several awards ---------------------------------------------


def _caps(
    awards: list[Award], library: Library, scenario: Scenario, set_aside: list[Award], matched: dict[str, set[str]]
) -> list[Award]:
    """Cut the money awards to the caps over several awards (每年最高, 同一标的, 市、区两级 …).

    Within a cap's slot (enterprise, cap, year or key) the room goes first to what the awards
    pay for certain (their lows, in date order), then to what they may pay beyond it (high − low,
    in date order): an exact award is never squeezed out by an earlier ceiling that review may
    set lower, and the slot's lows and highs add up to what the enterprise gets under the cap,
    min(C, Σ low) to min(C, Σ high). The text does not say how the room is shared; this is
    marked as an interpretation where it decides (:data:`CAP_SHARE_NOTE`)."""
    caps = library.caps
    if not caps:
        return awards
    member_of = library.caps_of
    priors: dict[tuple[str, str], int] = {}  # per slot: the prior awards counted
    events_of: dict[str, set[str]] = defaultdict(set)  # a cap's events: those its benefits select
    for benefit_id, event_ids in matched.items():
        for cap_id in member_of.get(benefit_id, ()):
            events_of[cap_id] |= event_ids
    groups = library.once_groups if scenario.prior_awards else {}  # awards received may name a group
    counted: dict[str, frozenset[str]] = {}  # per cap: the ids an award received may be recorded under
    ordered = sorted(awards, key=lambda a: (a.event.date if a.event else scenario.reference_date, a.sort_key))
    capped: list[tuple[Award, list[tuple[Cap, tuple[str, str]]]]] = []
    for award in ordered:
        if not award.is_money:
            continue
        slots = _slots(award, library, scenario)
        for cap, slot in slots:
            cap_id = cap.id
            members = caps[cap_id][1]
            if groups and cap_id not in counted:
                counted[cap_id] = members | frozenset(g for g, ms in groups.items() if ms & members)
            if slot not in priors:
                level = library.by_id[library.benefits[next(iter(members))].document_id].level
                priors[slot] = _prior_counted(cap, counted.get(cap_id, members), level, scenario, slot[1], events_of[cap_id])
                _tell_unlinked(award, cap, scenario, slot[1])
        if slots:
            capped.append((award, slots))
    # 1. the lows, in date order: each slot's room less the priors and the earlier lows
    used_low = dict(priors)
    # per award and slot, as step 1 met them: the slot's use before the award, and the award's low then
    # (as earlier caps left it)
    met_at: dict[tuple[int, str, str], tuple[int, int]] = {}
    exact = {id(a) for a, _ in capped if a.high is not None and a.high == a.low}  # nothing beyond the low to place
    for award, slots in capped:
        low = award.low
        for cap, slot in slots:
            met_at[(id(award), *slot)] = (used_low[slot], low)
            low = min(low, max(0, (cap.fen or 0) - used_low[slot]))
        for _, slot in slots:  # each cap counts what is paid after all of them, not its own cut alone
            used_low[slot] += low
        award.low = low  # the high stays: what is left of the room for it is known once every low is counted
    # 2. what they may pay beyond it, in date order: the room the slot's lows leave
    used_more: dict[tuple[str, str], int] = defaultdict(int)
    for award, slots in capped:
        more = None if award.high is None else award.high - award.low
        told = []
        for cap, slot in slots:  # in the caps' order, inner first: each says what it left
            room = max(0, (cap.fen or 0) - used_low[slot] - used_more[slot])
            before, met = met_at[(id(award), *slot)]  # did this cap cut the low it met in step 1?
            low_cut = min(met, max(0, (cap.fen or 0) - before)) < met
            cut = more is None or room < more or low_cut
            more = room if more is None else min(more, room)
            # counted before this award: priors and earlier lows; for what it may pay beyond its low, all
            # the slot's lows (certain) and the earlier rests of highs (reserved for earlier ceilings)
            certain = before if id(award) in exact else used_low[slot] - award.low
            reserved = 0 if id(award) in exact else used_more[slot]
            if cut or certain or reserved:
                later = used_low[slot] - before - award.low  # later awards' lows counted first
                told.append((cap, slot, certain, reserved, cut, award.low + more, cut and bool(later)))
        assert more is not None
        high = award.low + more
        zeroed = False  # an inner cap left it nothing: an outer one with room did not use it up too
        for cap, slot, certain, reserved, cut, left, share in told:
            # an award left at 0 is set aside as 额度已用尽, as the compiled plan's hq_final does
            shown = left if cut or (left == 0 and not zeroed) else None
            _tell_cap(award, cap, slot[1], priors[slot], certain, reserved, shown, share)
            zeroed = zeroed or shown == 0
        for _, slot in slots:
            used_more[slot] += more
        award.high = high
    kept: list[Award] = []
    for award in ordered:
        if award.is_money and award.high == 0 and award.low == 0 and any("已用尽" in s.text for s in award.steps):
            award.status = SET_ASIDE
            award.reasons.append(next(s for s in award.steps if "已用尽" in s.text))  # the cap that used it up
            set_aside.append(award)
        else:
            kept.append(award)
    return kept


# Said where a cap's room went to later awards' certain amounts before this one's (the text gives no order).
CAP_SHARE_NOTE = "解释：原文未明确限额在各项之间如何分配，先计各项确定可得的金额，再按日期计其余可能金额"


def _tell_unlinked(award: Award, cap: Cap, scenario: Scenario, bucket: str) -> None:
    unlinked = _unlinked_priors(cap, scenario, bucket)
    if unlinked:  # 市、区两级: an award received without its event cannot be counted; said, not silent
        levels = "、".join(LEVEL_LABELS.get(lv, lv) for lv in cap.prior_levels)
        award.steps.append(
            Line(f"另有已获{levels}奖补{format_wan(unlinked)}未注明事项，无法判断是否计入本限额，未计入（请核实）", cap.cite)
        )


def _tell_cap(
    award: Award, cap: Cap, bucket: str, prior: int, certain: int, reserved: int, left: int | None, share: bool
) -> None:
    """The step a cap adds to an award it cut (``left``: what it left of the award) or that shares its
    slot with amounts counted before it: the certain ones (priors, lows) and those reserved for earlier
    ceilings up to their highs (``share``: later awards' certain amounts were counted first, which the
    text does not say: :data:`CAP_SHARE_NOTE`)."""
    assert cap.fen is not None
    scope = "每年" if cap.per == "enterprise_year" else "同一标的"
    limit = f"{scope}最高{format_wan(cap.fen)}"
    # which year it counted, and what of it was received before (a tester could not tell the
    # 99.5万元 已计 was a 2025 award): 每年最高100万元（2025年，含已获奖补99.5万元）
    told = [f"{bucket.removeprefix('year:')}年"] if cap.per == "enterprise_year" else []
    if prior:
        levels = "、".join(LEVEL_LABELS.get(lv, lv) for lv in cap.prior_levels)  # 市、区两级: which levels
        told.append(f"含已获{levels}奖补{format_wan(prior)}")
    if told:
        limit += f"（{'，'.join(told)}）"
    parts = [f"确定金额{format_wan(certain)}"] if certain else []
    if reserved:  # an earlier ceiling's rest, which its review may leave unused
        parts.append(f"在先项目的最高额{format_wan(reserved)}")
    counted = "已计" + "、".join(parts) if parts else "此前未计其他奖补"
    room = max(0, cap.fen - certain - reserved)
    if left is None:
        rest = f"尚余{format_wan(room)}，本项不受影响"
    elif left == 0:
        rest = "额度已用尽" + ("（在先项目经审核低于其最高额的，差额可用于本项）" if reserved else "")
    else:
        rest = f"本项至多{format_wan(left)}"
    share_note = f"（{CAP_SHARE_NOTE}）" if share else ""
    award.steps.append(Line(f"{limit}：{counted}，{rest}{share_note}", cap.cite))


def _slots(award: Award, library: Library, scenario: Scenario) -> list[tuple[Cap, tuple[str, str]]]:
    """The caps over several awards with an amount that ``award``'s benefit counts in, inner first, each
    with its slot (cap id, year or key bucket): what :func:`_caps` cuts it by."""
    out = []
    for cap_id in library.caps_of.get(award.benefit.id, ()):
        cap = library.caps[cap_id][0]
        if cap.fen is not None:
            out.append((cap, (cap.id, _bucket(cap, award, scenario))))
    return out


def _bucket(cap: Cap, award: Award, scenario: Scenario) -> str:
    if cap.per == "key":
        value = award.event.facts.get(cap.key or "", "") if award.event else ""
        return f"key:{value}"
    on = award.event.date if award.event else scenario.reference_date
    return f"year:{on.year}"


def _unlinked_priors(cap: Cap, scenario: Scenario, bucket: str) -> int:
    """Awards received at a level the cap counts (市、区两级) in its year that name neither the
    event nor a benefit: whether they were for what the cap covers cannot be told."""
    if not cap.prior_levels or cap.per != "enterprise_year":
        return 0
    return sum(
        p.amount_fen
        for p in scenario.prior_awards
        if f"year:{p.year}" == bucket and p.level in cap.prior_levels and not p.event and not p.benefit and p.key != cap.id
    )


def prior_year(p: PriorAward, scenario: Scenario) -> int:
    """The year an award received counts in: that of the scenario's event it names, as the event's own
    awards do (a 2025 cost paid in 2026 is 2025's: its year counted it against 2026's 每年最高, and
    in 最多3年 as a year of its own), else its ``year``."""
    if p.event:
        for e in scenario.events:
            if e.id == p.event:
                return e.date.year
    return p.year


def _prior_counted(cap: Cap, members: frozenset[str], level: str, scenario: Scenario, bucket: str, cap_events: set[str]) -> int:
    """What the awards received count in a cap's slot: ``members`` are its benefits' ids and the
    once-per-key groups of them (an award recorded under 吴中 第3条's device-series group counts in
    the article's yearly device cap) — received at the cap's own ``level`` (its document's), or at
    one it counts (``prior_levels``, 市、区两级): a city award recorded under a district item's id
    (as 市级同类资助) is no district money in 单个企业每年最高100万元, which counts the district's alone."""
    total = 0
    for p in scenario.prior_awards:
        counted = p.benefit in members and (p.level == level or p.level in cap.prior_levels)
        if cap.per == "key":
            if counted and f"key:{p.key}" == bucket:
                total += p.amount_fen
            continue
        if f"year:{prior_year(p, scenario)}" != bucket:
            continue
        if counted or p.key == cap.id or (p.level in cap.prior_levels and p.event in cap_events):
            total += p.amount_fen
    return total


# --- 7: payers and totals ----------------------------------------------------


def _payer_name(role: str, scenario: Scenario, funding: Funding | None = None) -> str:
    ent = scenario.enterprise
    return payer_name(role, ent.region, ent.town, funding)


def payer_name(role: str, region_code: str, town: str | None, funding: Funding | None = None) -> str:
    """The payer a share's ``role`` names for an enterprise registered in ``region_code`` (and ``town``):
    吴中区财政, 木渎镇财政, 苏州市（按原渠道和财政体制要求落实） for an ``unspecified`` share of ``funding``."""
    chain = {r.level: r for r in parents(region_code)}
    if role == "town":  # without a town: the document's words for its towns (镇（开发区、太湖新城）)
        return f"{town}财政" if town else f"{region(region_code).name}属地{funding.town_words if funding else TOWN_WORDS}财政"
    if role in ("district", "city", "province") and role in chain:
        return chain[role].finance
    if role == "unspecified":
        return funding.unspecified_payer if funding is not None else "未明确"
    # a level the registered region has none of (an enterprise registered under a city's code
    # is in no district): the level's finance, in words
    return ROLE_FINANCE.get(role, role)


ROLE_FINANCE = {"province": "省级财政", "city": "市级财政", "district": "区（县）级财政", "town": f"{TOWN_WORDS}财政"}


def _payer_key(role: str, funding: Funding) -> str:
    """A payer's name depends on the role, and for some roles on the funding's words: the key it is kept under."""
    if role == "unspecified":
        return f"unspecified:{funding.unspecified_payer}"
    return f"town:{funding.town_words}" if role == "town" else role


def _split(award: Award, scenario: Scenario, names: dict[str, str]) -> None:
    funding = award.benefit.funding or award.document.funding
    if not award.is_money:
        return
    if funding is None:
        award.payers = [PayerPart("unspecified", "未明确", 1, award.low, award.high)]
        return
    total_weight = sum(s.weight for s in funding.shares)
    parts: list[PayerPart] = []
    rest_low, rest_high = award.low, award.high
    for i, share in enumerate(funding.shares):
        last = i == len(funding.shares) - 1
        low = rest_low if last else award.low * share.weight // total_weight  # rounded down
        if award.high is None or rest_high is None:
            high = None
        else:
            high = rest_high if last else award.high * share.weight // total_weight
        key = _payer_key(share.role, funding)
        name = names.get(key) or names.setdefault(key, _payer_name(share.role, scenario, funding))
        parts.append(PayerPart(share.role, name, share.weight, low, high))
        rest_low -= low
        if rest_high is not None and high is not None:
            rest_high -= high
    award.payers = parts
    if funding.disburser:
        key = _payer_key(funding.disburser, funding)
        name = names.get(key) or names.setdefault(key, _payer_name(funding.disburser, scenario, funding))
        award.disburser = name.removesuffix("财政")


def _totals(
    scenario: Scenario, granted: list[Award], set_aside: list[Award], near: list[Award], docs: list[Document]
) -> Evaluation:
    by_doc: dict[str, Totals] = {}
    by_payer: dict[str, Totals] = {}
    total = Totals()
    granted.sort(key=lambda a: a.sort_key)
    for award in granted:  # a document whose items pay no money (权益, 免费服务) has its line as well
        total.add_award(award)
        by_doc.setdefault(award.document.id, Totals()).add_award(award)
        if award.is_money:
            for part in award.payers:
                by_payer.setdefault(part.payer, Totals()).add(part.low, part.high)
    return Evaluation(
        scenario=scenario,
        awards=granted,
        set_aside=sorted(set_aside, key=lambda a: a.sort_key),
        near_misses=sorted(near, key=lambda a: a.sort_key),
        by_document=by_doc,
        by_payer=by_payer,
        total=total,
        documents=docs,
    )
