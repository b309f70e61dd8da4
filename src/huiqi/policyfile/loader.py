"""Reading policy files into :class:`~huiqi.core.model.Library`.

Each problem is collected as ``file:line: where: what is wrong`` and all of
them are raised together in one :class:`PolicyFileError`, so an author fixes
a file in one pass.  Every citation is looked up in the document's source
text, and every number a rule encodes must appear in the words it cites.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

from huiqi.core.facts import Catalogue
from huiqi.core.model import (
    LEVELS,
    Benefit,
    Citation,
    Compare,
    Document,
    Interpretation,
    Library,
    NoAmount,
    Quota,
    Uplift,
    YearSum,
)
from huiqi.core.regions import REGIONS
from huiqi.core.text import SourceText

from .catalogue import load_catalogue
from .reader_base import DEFAULT_POLICY_DIR, PolicyFileError, _display, check_policy_dir
from .rule_parts import RulePartsReader
from .yamlnodes import LList, LMap, YamlSyntaxError, as_written, load_yaml

__all__ = ["DEFAULT_POLICY_DIR", "PolicyFileError", "load_catalogue", "load_document", "load_library"]


class _Reader(RulePartsReader):
    """Reads one policy file: its benefits and its document-level rules."""

    headings: list[tuple[int, int, str, str]] | None = None  # the source text's article headings, once read

    # -- benefits ---------------------------------------------------------
    BENEFIT_KEYS: ClassVar[set[str]] = {
        "id",
        "article",
        "title",
        "department",
        "event",
        "match",
        "when",
        "amount",
        "caps",
        "uplift",
        "quota",
        "funding",
        "once_per",
        "max_years",
        "applicants",
        "review",
        "valid",
        "interpretation",
        "cite",
    }

    def benefit(self, raw: Any, line: int, doc_id: str, order: int) -> Benefit | None:
        if not isinstance(raw, LMap):
            self.problem(line, "每个奖补项应为映射")
            return None
        bid = str(raw.get("id") or f"#{order}")
        self.where = f"奖补项 {bid}"
        self.only(raw, self.BENEFIT_KEYS | {"note"}, words=False)  # 超过: 100万元 beside, not under, when: was ignored
        if "note" in raw:  # read and never shown: the author's words were lost
            self.problem(
                raw.line_of("note"),
                f"奖补项没有note字段（不会显示）：对原文的理解写interpretation（中文说明，随本项显示），"
                f"全文通用的原文字句写在document.notes中：{as_written(raw['note'])}",
            )
        for key in ("id", "article", "title", "event", "amount", "cite"):
            if key not in raw:
                self.problem(raw.line, f"缺少字段“{key}”")
        for key in ("id", "article", "title"):  # shown as 第[2]条 or None
            if key in raw and (not isinstance(raw[key], (str, int)) or isinstance(raw[key], bool) or str(raw[key]).strip() == ""):
                self.problem(raw.line_of(key), f"字段“{key}”应为文字或数字：{as_written(raw[key])}")
        event = str(raw.get("event", ""))
        if "event" in raw and event != "enterprise" and event not in self.catalogue.events:  # a missing one is named above
            self.problem(
                raw.line_of("event"),
                f"未知的事项类型{as_written(raw['event'])}（见 {self.facts}/*.yaml；年度企业层面用 enterprise）",
            )
        cite = self.cite(raw) or Citation("")
        self.check_article(raw, cite)
        self.anchor = cite.span
        match = self.conditions(raw, "match", event)
        for m in match:  # a year's total sums what ``match`` selects: it cannot be part of it
            if isinstance(m, Compare) and isinstance(m.fact, YearSum):
                self.problem(m.cite.line, "sum: year（同一年度合计）只能用于when条件，不能用于match")
        # a year's total sums the events this benefit selects: its match conditions
        when = tuple(
            replace(c, fact=YearSum(c.fact.field, match)) if isinstance(c, Compare) and isinstance(c.fact, YearSum) else c
            for c in self.conditions(raw, "when", event)
        )
        if isinstance(raw.get("amount"), (str, int)) and not isinstance(raw.get("amount"), bool):
            # read as 最高 (max) before: 给予一次性奖励50万元 became 最高50万元
            self.problem(
                raw.line_of("amount"),
                f"金额须写明形式：{{fixed: {raw['amount']}}}（确定金额）或{{max: {raw['amount']}}}（最高、不超过）",
            )
        amount = (  # a missing amount is named above (金额应为映射：None said it again)
            self.amount(raw["amount"], event, cite if cite.quote else None, raw.line_of("amount"))
            if "amount" in raw
            else NoAmount("", Citation(""))
        )
        caps_raw = raw.get("caps") or []
        yearly = "每年" in str(raw.get("interpretation") or "")  # a cap read as yearly where the words do not say it
        caps = tuple(
            c
            for i, (c_raw, ln) in enumerate(zip(caps_raw, getattr(caps_raw, "item_lines", []), strict=False))
            if (c := self.cap(c_raw, ln, bid, i, event, yearly)) is not None
        )
        uplift = None
        if isinstance(raw.get("uplift"), LMap):
            u = raw["uplift"]
            self.only(u, ("rate", "when", "cite"), words=False)
            rate, digits = self.rate(u, "rate")
            uplift = Uplift(rate, self.conditions(u, "when", event), self.cite(u, numbers=(digits,)) or Citation(""))
            for u_cond in uplift.conditions:
                if isinstance(u_cond, Compare) and isinstance(u_cond.fact, YearSum):
                    self.problem(u_cond.cite.line, "sum: year（同一年度合计）只能用于奖补项的when条件，不能用于上浮条件")
        quota = None
        if isinstance(raw.get("quota"), LMap):
            q = raw["quota"]
            count = q.get("count")
            if not isinstance(count, int) or isinstance(count, bool) or count <= 0:
                self.problem(q.line_of("count"), "名额count应为正整数")
                count = 0
            self.only(q, {"count", "per", "bound", "unit", "cite"}, words=False)
            bound = str(q.get("bound", "at_most"))
            if bound not in ("at_most", "exactly", "at_least"):
                self.problem(
                    q.line_of("bound"),
                    f"名额bound应为at_most（不超过）、exactly（定数）或at_least（不少于）之一：{as_written(q.get('bound'))}",
                )
            # its own name: the benefit's ``cite`` was overwritten here, and every item with a quota cited
            # only 每年择优支持不超过20个项目 as its words
            quota_cite = self.cite(q, numbers=(str(count),)) or Citation("")
            quota = Quota(count, str(q.get("per", "年")), quota_cite, bound, str(q.get("unit", "个")))
        once_per: tuple[str, ...] = ()
        once_group = None
        once_per_enterprise = False
        if isinstance(raw.get("once_per"), LMap):
            o = raw["once_per"]
            self.only(o, ("keys", "group", "cite", "per"), words=False)
            keys = o.get("keys") or []
            for k in keys:
                self.field(event, k, o.line_of("keys"))
            once_per = tuple(str(k) for k in keys)
            per = o.get("per")
            if per is not None and per != "enterprise":
                self.problem(o.line_of("per"), f"once_per 的 per 只能是 enterprise（每家企业一次），不是“{per}”")
            once_per_enterprise = per == "enterprise"
            if once_per_enterprise and once_per:
                self.problem(o.line_of("keys"), "once_per 写了 per: enterprise（每家企业一次）就不再写 keys")
            elif not once_per_enterprise and not once_per:
                self.problem(o.line, "once_per 须写 keys（按哪些字段判断同一标的）或 per: enterprise（每家企业一次）")
            once_group = o.get("group")
            self.cite(o)
        applicants, applicants_cite = self.benefit_applicants(raw)
        max_years = None
        max_years_cite = None
        if isinstance(raw.get("max_years"), LMap):
            m = raw["max_years"]
            self.only(m, ("years", "cite"), words=False)
            max_years = m.get("years")
            if not isinstance(max_years, int) or max_years <= 0:
                self.problem(m.line_of("years"), "max_years.years应为正整数")
                max_years = None
            max_years_cite = self.cite(m, numbers=(str(max_years),))
        dept = raw.get("department") or []
        funding, funding_read = self.funding(raw.get("funding"), raw.line_of("funding"))
        interpretations = self.interpretations(raw) + funding_read
        valid_from = valid_to = None
        validity_cite = None
        if "valid" in raw:  # the item's own window (上一年度服务活动): an interpretation, with its reason
            valid = raw["valid"]
            if not isinstance(valid, LMap):
                self.problem(raw.line_of("valid"), "奖补项的有效期valid应为映射：{from, to, cite, interpretation}")
            else:
                self.only(valid, {"from", "to", "cite", "interpretation"}, words=False)
                valid_from = self.date(valid, "from")
                valid_to = self.date(valid, "to", required=False)
                validity_cite = self.cite(valid)
                if validity_cite is not None:
                    self.check_dates(valid, validity_cite, valid_from, valid_to)
                read = self.interpretations(valid)
                if not read:
                    self.problem(valid.line, "奖补项自己的有效期valid须写interpretation（为何与文件有效期不同）")
                interpretations += tuple(Interpretation(f"有效期：{i.reason}") for i in read)
        self.check_words(match + when + (uplift.conditions if uplift else ()), amount, interpretations)
        self.where = ""
        self.anchor = None
        return Benefit(
            id=bid,
            document_id=doc_id,
            article=str(raw.get("article", "")),
            title=str(raw.get("title", "")),
            event=event,
            match=match,
            when=when,
            amount=amount,
            cite=cite,
            department=tuple(str(d) for d in (dept if isinstance(dept, list) else [dept])),
            caps=caps,
            uplift=uplift,
            quota=quota,
            funding=funding,
            once_per=once_per,
            once_group=str(once_group) if once_group else None,
            once_per_enterprise=once_per_enterprise,
            max_years=max_years,
            max_years_cite=max_years_cite,
            applicants=applicants,
            applicants_cite=applicants_cite,
            review=self.flag(raw, "review"),
            interpretations=interpretations,
            order=order,
            line=raw.line,
            valid_from=valid_from,
            valid_to=valid_to,
            validity_cite=validity_cite,
        )

    def check_article(self, raw: LMap, cite: Citation) -> None:
        """A numeral article label (``"四"``, ``"8"``) names the article whose words the benefit cites:
        the innermost heading of the text (第四条, 四、, （四）, 8.) whose part holds the quote. A
        label the words are not under (``"4"`` or ``"三"`` for words under 四、) was accepted, and
        the benefit shown and excluded (就高不重复 within an article) under the wrong article."""
        article = str(raw.get("article", "")).strip()
        if self.source is None or not cite.quote or not _ARTICLE_LABEL.fullmatch(article):
            return  # 注意事项2: a label that is not a heading's number is not checked
        if self.headings is None:
            self.headings = _headings(self.source.text)
        under = []
        for span in self.source.find_all(cite.quote):
            holding = [
                (start, marker, label) for start, end, marker, label in self.headings if start <= span.start and span.end <= end
            ]
            if holding:
                under.append(max(holding)[1:])
        if not under or article in {label for _, label in under}:
            return
        marker, label = under[0]
        self.problem(
            raw.line_of("article"),
            f'条款号article“{article}”与引文所在的条款不符：本项的引文在原文“{marker}”之下，应写 article: "{label}"',
        )

    def benefit_applicants(self, raw: LMap) -> tuple[tuple[str, ...], Citation | None]:
        """A benefit's own applicant kinds: ``{kinds: [企业], cite: …}`` (the words that name them,
        shown when an applicant of another kind is refused), or a bare list (no words of its own)."""
        given = raw.get("applicants")
        if given is None:
            return (), None
        if isinstance(given, LMap):
            self.only(given, {"kinds", "cite"}, words=False)
            kinds = given.get("kinds")
            cite = self.cite(given)
        else:
            kinds, cite = given, None
        if not isinstance(kinds, list) or not kinds:  # 企业 was read as 企 and 业
            self.problem(
                raw.line_of("applicants"), f"applicants应为主体类型的列表，如 {{kinds: [企业], cite: …}}：{as_written(kinds)}"
            )
            return (), None
        spec = self.catalogue.enterprise.get("kind")
        if spec is not None:
            self.check_values(spec, [str(k) for k in kinds], raw.line_of("applicants"))
        return tuple(str(k) for k in kinds), cite

    # -- the document -----------------------------------------------------
    DOC_KEYS: ClassVar[set[str]] = {
        "id",
        "short",
        "title",
        "issuer",
        "number",
        "level",
        "jurisdiction",
        "source",
        "valid",
        "applicants",
        "funding",
        "exclusivity",
        "caps",
        "notes",
        "interpretation",
        "registration_required",
    }

    def document(self, data: Any, order_base: int) -> Document | None:
        if not isinstance(data, LMap) or not isinstance(data.get("document"), LMap):
            self.problem(getattr(data, "line", 1), "文件须有“document”（文件信息）与“benefits”（奖补项列表）")
            return None
        head: LMap = data["document"]
        self.where = "document"
        self.only(head, self.DOC_KEYS, words=False)
        doc_id = self.need(head, "id") or "?"
        self.need(head, "title")  # a title: null was shown as None
        source_name = self.need(head, "source")
        if source_name is not None and not source_name.strip():
            self.problem(head.line_of("source"), "原文文件source不能为空（如 texts/<编号>.txt）")
        elif source_name:
            source_path = self.path.parent / source_name
            if not source_path.exists():
                self.problem(head.line_of("source"), f"原文文件不存在：{source_name}")
            else:
                try:
                    text = source_path.read_text(encoding="utf-8")
                    if text.strip():
                        self.source = SourceText(doc_id, text)
                    else:  # each quote was reported not found instead
                        self.problem(head.line_of("source"), f"原文文件为空：{source_name}")
                except UnicodeDecodeError:  # a GBK text gave a traceback
                    self.problem(head.line_of("source"), f"原文文件不是UTF-8编码的文本：{source_name}（请另存为UTF-8）")
                except OSError as exc:
                    self.problem(head.line_of("source"), f"原文文件无法读取：{source_name}（{exc.strerror}）")
        level = str(head.get("level", ""))
        if level not in LEVELS:
            self.problem(head.line_of("level"), f"层级level应为{'、'.join(LEVELS)}之一：{as_written(head.get('level'))}")
        jurisdiction = str(head.get("jurisdiction", ""))
        self.owner = REGIONS[jurisdiction].name if jurisdiction in REGIONS else ""  # named in its funding
        if jurisdiction not in REGIONS:
            self.problem(head.line_of("jurisdiction"), f"未知的行政区划代码：{as_written(head.get('jurisdiction'))}")
        elif level in ("province", "city", "district") and REGIONS[jurisdiction].level != level:
            region = REGIONS[jurisdiction]
            self.problem(
                head.line_of("level"),
                f"层级level“{level}”与行政区划{jurisdiction}（{region.name}，{region.level}）不符：文件的层级应为其区划的层级",
            )
        named = [r for r in REGIONS.values() if r.level == level and r.name in f"{head.get('title', '')}{head.get('issuer', '')}"]
        if jurisdiction in REGIONS and named and REGIONS[jurisdiction] not in named:  # 相城区's measure coded for 吴中区
            self.problem(
                head.line_of("jurisdiction"),
                f"行政区划{jurisdiction}（{REGIONS[jurisdiction].name}）与文件标题或发文机关所写的"
                f"{'、'.join(r.name for r in named)}不符",
            )
        valid = head.get("valid")
        valid_from = valid_to = None
        validity_cite = Citation("")
        if isinstance(valid, LMap):
            valid_from = self.date(valid, "from")
            valid_to = self.date(valid, "to", required=False)
            validity_cite = self.cite(valid) or validity_cite
            self.check_dates(valid, validity_cite, valid_from, valid_to)
            self.only(valid, {"from", "to", "cite", "interpretation"}, words=False)
        else:
            self.problem(head.line, "缺少有效期valid: {from, to, cite}")
        applicants: tuple[str, ...] = ()
        applicants_cite = None
        doc_interpretations = self.interpretations(head)
        validity_read = self.interpretations(valid) if isinstance(valid, LMap) else ()
        # kept with the document's, named by what they explain; near misses say the window is read
        doc_interpretations = tuple(Interpretation(f"有效期：{i.reason}") for i in validity_read) + doc_interpretations
        if isinstance(head.get("applicants"), LMap):
            a = head["applicants"]
            kinds = a.get("kinds") or []
            if not isinstance(kinds, list):  # 企业 was read as 企 and 业
                self.problem(a.line_of("kinds"), f"kinds应为列表，如 [企业]：{as_written(kinds)}")
                kinds = [kinds]
            applicants = tuple(str(k) for k in kinds)
            applicants_cite = self.cite(a)
            # kept with the document's, named by what they explain (they were read and dropped)
            doc_interpretations += tuple(Interpretation(f"适用主体：{i.reason}") for i in self.interpretations(a))
        kinds_spec = self.catalogue.enterprise.get("kind")
        if kinds_spec is not None:
            self.check_values(kinds_spec, list(applicants), head.line_of("applicants"))
        funding, funding_read = self.funding(head.get("funding"), head.line_of("funding"))
        doc_interpretations += funding_read
        exclusivity = self.exclusivity(head.get("exclusivity"), head.line_of("exclusivity"), doc_id)
        group_caps_raw = head.get("caps") or []
        notes = []
        for n in head.get("notes") or []:
            if isinstance(n, LMap):
                note = self.cite(n)
                if note:
                    notes.append(note)
        benefits_raw = data.get("benefits")
        benefits: list[Benefit] = []
        if not isinstance(benefits_raw, LList):
            self.problem(data.line, "缺少奖补项列表“benefits”")
            benefits_raw = LList()
            benefits_raw.item_lines = []
        seen: set[str] = set()
        for i, (item, ln) in enumerate(zip(benefits_raw, benefits_raw.item_lines, strict=True)):
            b = self.benefit(item, ln, doc_id, order_base + i)
            if b is None:
                continue
            if b.id in seen:
                self.problem(ln, f"奖补项编号重复：{b.id}")
            seen.add(b.id)
            benefits.append(b)
        unpaid = [b.id for b in benefits if b.funding is None]
        if funding is None and unpaid:  # 未明确 with no word said: the promise of who pays broken silently
            self.problem(
                head.line,
                f"缺少出资方funding：文件层面没有funding，奖补项{'、'.join(unpaid)}也没有"
                "（原文未写出资方的，写 funding: {shares: {unspecified: 1}, cite: …} 并引原文）",
            )
        articles = {b.article for b in benefits}
        for rule in exclusivity:
            unknown = [a for a in rule.articles if a not in articles]
            if unknown:
                self.problem(
                    head.line_of("exclusivity"),
                    f"就高不重复规则{rule.id}的articles中，本文件没有第{'、'.join(unknown)}条的奖补项",
                )
            elif rule.articles and not rule.against and sum(b.article in rule.articles for b in benefits) < 2:
                self.problem(
                    head.line_of("exclusivity"), f"就高不重复规则{rule.id}只涉及一个奖补项，也不涉及其他文件（against），不起作用"
                )
        self.where = "document.caps"
        group_caps = tuple(
            c
            for i, (c_raw, ln) in enumerate(zip(group_caps_raw, getattr(group_caps_raw, "item_lines", []), strict=False))
            if (c := self.cap(c_raw, ln, f"{doc_id}#group", i, _event_of(c_raw, benefits))) is not None
        )
        for cap in group_caps:
            for member in cap.benefits:
                if member not in seen:
                    self.problem(getattr(group_caps_raw, "line", 0), f"上限{cap.id}引用了不存在的奖补项：{member}")
        self.where = ""
        if self.source is None or valid_from is None:
            return None
        return Document(
            id=doc_id,
            title=str(head.get("title", "")),
            short=str(head.get("short") or head.get("title", "")),
            issuer=str(head.get("issuer", "")),
            level=level,
            jurisdiction=jurisdiction,
            valid_from=valid_from,
            valid_to=valid_to,
            validity_cite=validity_cite,
            applicants=applicants,
            applicants_cite=applicants_cite,
            funding=funding,
            exclusivity=exclusivity,
            benefits=tuple(benefits),
            source=self.source,
            number=head.get("number"),
            registration_required=self.flag(head, "registration_required", True),
            notes=tuple(notes),
            interpretations=doc_interpretations,
            group_caps=group_caps,
            path=self.display,
            validity_interpreted=bool(validity_read),
        )


# an article's heading at the start of a line, as the texts print it: 第四条, 四、, （四）, 4. or 4．
_HEADING = re.compile(
    r"^[ \t\u3000]*(第([一二三四五六七八九十百零0-9]+)条|([一二三四五六七八九十百]+)、|（([一二三四五六七八九十百]+)）|([0-9]+)[.．、])",
    re.MULTILINE,
)
_ARTICLE_LABEL = re.compile(r"[一二三四五六七八九十百零0-9]+")


def _headings(text: str) -> list[tuple[int, int, str, str]]:
    """Each article heading of a text: where its part starts and ends (at the next heading printed
    the same way: 五、 ends at 六、, 1. at 2.), the heading as printed and its number."""
    found = []
    for m in _HEADING.finditer(text):
        style = next(i for i in range(2, 6) if m.group(i))
        found.append((m.start(), style, m.group(1), m.group(style)))
    out = []
    for i, (start, style, marker, label) in enumerate(found):
        end = next((s for s, st, _, _ in found[i + 1 :] if st == style), len(text))
        out.append((start, end, marker, label))
    return out


def _event_of(raw: Any, benefits: list[Benefit]) -> str:
    if isinstance(raw, LMap):
        members = set(raw.get("benefits") or [])
        for b in benefits:
            if b.id in members:
                return b.event
    return "enterprise"


def load_document(
    path: Path, catalogue: Catalogue, order_base: int = 0, display: str | None = None, facts: str = "policies/facts"
) -> Document:
    """Read one policy file; :class:`PolicyFileError` lists every mistake. ``facts`` names the folder
    the catalogue was read from, as messages about an unknown fact, kind or value point to it."""
    name = display or str(path)
    try:
        data = load_yaml(path, name)
    except YamlSyntaxError as exc:
        raise PolicyFileError([str(exc)]) from None
    reader = _Reader(path, name, catalogue, facts)
    doc = reader.document(data, order_base)
    if reader.problems or doc is None:
        raise PolicyFileError(reader.problems or [f"{name}: 无法读取"])
    return doc


def load_library(policy_dir: Path = DEFAULT_POLICY_DIR, catalogue: Catalogue | None = None) -> tuple[Library, Catalogue]:
    """Read every ``*.yaml`` policy file of the folder (plan data ``*-plan.yaml`` excluded)."""
    check_policy_dir(policy_dir)
    catalogue = catalogue or load_catalogue(policy_dir)
    docs: list[Document] = []
    problems: list[str] = []
    facts = _display(policy_dir / "facts", policy_dir)  # the folder the catalogue is read from
    for i, path in enumerate(sorted(policy_dir.glob("*.yaml"))):
        if path.name.endswith("-plan.yaml"):
            continue
        try:
            docs.append(load_document(path, catalogue, order_base=i * 1000, display=_display(path, policy_dir), facts=facts))
        except PolicyFileError as exc:
            problems.extend(exc.problems)
    problems += _duplicates(docs) + _versions(docs) + _misplaced(policy_dir)
    if problems:
        raise PolicyFileError(problems)
    library = Library(tuple(docs))
    catalogue.benefits = benefit_citations(library)
    return library, catalogue


def benefit_citations(library: Library) -> dict[str, str]:
    """The ids an award received may name as its benefit → how each is cited: every benefit
    (《吴中2025》第8条“企业技术改造项目补助”) and every once-per-key group, by its members."""
    out: dict[str, str] = {}
    for doc in library.documents:
        for b in doc.benefits:
            out[b.id] = f"《{doc.short}》第{b.article}条“{b.title}”"
    for group, members in library.once_groups.items():
        ordered = sorted((library.benefits[m] for m in members), key=lambda b: b.order)
        doc = library.by_id[ordered[0].document_id]
        articles = "、".join(dict.fromkeys(f"第{b.article}条" for b in ordered))
        titles = "".join(f"“{b.title}”" for b in ordered)
        out.setdefault(group, f"《{doc.short}》{articles}{titles}合为一组")
    return out


_POLICY_HEAD = re.compile(r"^document:\s*(#.*)?$", re.MULTILINE)


def _misplaced(policy_dir: Path) -> list[str]:
    """A policy file that would not be read, named (its measure was silently left out and its
    enterprises got nothing): ``*.yml`` at the top, or a policy file in a subfolder."""
    problems = []
    for path in sorted(policy_dir.rglob("*.y*ml")):
        parts = path.relative_to(policy_dir).parts
        if path.suffix not in (".yaml", ".yml") or any(p.startswith(".") for p in parts):
            continue  # .gitlab-ci.yml, .git/…, or a file parked in a folder named .old
        if path.parent == policy_dir and path.suffix == ".yaml":
            continue
        try:
            head = path.read_text(encoding="utf-8", errors="replace")[:20_000]
        except OSError:
            continue
        if not (_POLICY_HEAD.search(head) and re.search(r"^benefits:", head, re.MULTILINE)):
            continue
        shown = _display(path, policy_dir)
        if path.parent == policy_dir:
            problems.append(f"{shown}: 政策文件须以.yaml结尾才会被读取（请改名为{path.stem}.yaml）")
        else:
            top = _display(policy_dir / path.name, policy_dir)
            problems.append(
                f"{shown}: 政策文件须放在政策文件夹顶层才会被读取（请移至{top}；暂不使用的文件可放入以.开头的文件夹，如.old）"
            )
    return problems


def _duplicates(docs: list[Document]) -> list[str]:
    """A document id or benefit id given in two files, each place named (a later file's
    document would replace the first in the totals, its benefits be paid twice)."""
    problems = []
    first_doc: dict[str, Document] = {}
    first_benefit: dict[str, tuple[Document, int]] = {}
    for d in docs:
        if d.id in first_doc:
            problems.append(f"{d.path}: 政策文件编号“{d.id}”已用于{first_doc[d.id].path}：每个政策文件的编号须唯一")
        first_doc.setdefault(d.id, d)
        for b in d.benefits:
            if b.id in first_benefit and first_benefit[b.id][0] is not d:
                where, line = first_benefit[b.id]
                problems.append(f"{d.path}:{b.line}: 奖补项编号“{b.id}”已用于{where.path}:{line}：奖补项编号须在所有文件中唯一")
            first_benefit.setdefault(b.id, (d, b.line))
    return problems


def _versions(docs: list[Document]) -> list[str]:
    """Two documents with the same title and jurisdiction whose validity windows overlap: two
    versions of one measure (a revision encoded beside the old file), each paying every award, so
    that an enterprise was paid twice. Both files and documents are named, with the overlap and
    what to do."""
    problems = []
    for i, new in enumerate(docs):
        for old in docs[:i]:
            if _same_title(old) != _same_title(new) or old.jurisdiction != new.jurisdiction:
                continue
            start = max(old.valid_from, new.valid_from)
            ends = [d for d in (old.valid_to, new.valid_to) if d is not None]
            end = min(ends) if ends else None
            if end is not None and end < start:
                continue  # one after the other: the later replaces the earlier
            if new.valid_from < old.valid_from:
                old, new = new, old
            overlap = f"{start.isoformat()}至{end.isoformat()}" if end is not None else f"{start.isoformat()}起（长期有效）"
            if old.valid_from == new.valid_from:
                fix = (
                    "两者自同一日生效：若是同一文件编码了两次，请删除其中一个文件；若一个是修订版，"
                    "请按原文核对其生效日期from，再把旧版本的有效期to改为新版本生效的前一日"
                )
            else:
                fix = (
                    f"请删除旧版本的文件{old.path}，或把旧版本的有效期to改为"
                    f"{(new.valid_from - timedelta(days=1)).isoformat()}（新版本生效的前一日；"
                    "其valid的cite只引生效日期的字句，并在interpretation中写明由新版本取代）"
                )
            region = REGIONS[new.jurisdiction].name if new.jurisdiction in REGIONS else ""
            problems.append(
                f"{new.path}:{new.validity_cite.line}: 政策文件“{new.id}”与{old.path}的“{old.id}”是同一措施的两个版本"
                f"（标题同为“{new.title}”，行政区划同为{new.jurisdiction}{region}），有效期在{overlap}重叠："
                f"两个版本都有效时每项奖补支付两次；{fix}"
            )
    return problems


def _same_title(doc: Document) -> str:
    """A title as two versions of one measure compare it: without white space."""
    return re.sub(r"\s+", "", doc.title)
