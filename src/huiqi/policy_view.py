"""Views of the library and the catalogue for people (CLI) and machines (JSON, web)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from fractions import Fraction
from typing import Any

from .core.amounts import show_rate
from .core.evaluator import ROLE_FINANCE
from .core.facts import LEVEL_NAMES, TYPES, FieldSpec, default_text, describe_value
from .core.model import (
    AmountSpec,
    Benefit,
    ByValue,
    Ceiling,
    Document,
    Fixed,
    Funding,
    InKind,
    NoAmount,
    PerUnit,
    RangeRate,
    Rate,
    Right,
    Sum,
    Tiers,
)
from .core.money import format_wan
from .core.regions import REGIONS, parents
from .service import Engine, InputError

CAP_SCOPES = {"item": "单项", "enterprise_year": "单个企业每年", "key": "同一标的"}

__all__ = [
    "article_number",
    "benefit_view",
    "describe_amount",
    "facts_catalogue",
    "funding_view",
    "list_documents",
    "render_facts",
    "resolve_article",
    "show_article",
    "show_document",
]


def _number(value: Fraction) -> str:
    return describe_value(FieldSpec("", "", "number"), value)


def describe_amount(spec: AmountSpec) -> str:
    """The formula of a benefit in words (没有 numbers filled in)."""
    if isinstance(spec, Fixed):
        return f"给予{format_wan(spec.fen)}"
    if isinstance(spec, Ceiling):
        return f"最高{format_wan(spec.fen)}" + ("（阶梯式，细则未公布）" if spec.tiers_unpublished else "")
    if isinstance(spec, Rate):
        word = "不超过" if spec.up_to else ("不低于" if spec.at_least else "按")
        return f"{word}基数的{show_rate(spec.rate)}"
    if isinstance(spec, PerUnit):
        return f"{format_wan(spec.fen_per_unit)}/{spec.unit}"
    if isinstance(spec, Sum):
        parts = "＋".join(describe_amount(p).removeprefix("按") for p in spec.parts)
        return ("不超过" if spec.up_to else "") + parts + "（叠加）"
    if isinstance(spec, ByValue):
        return "、".join(f"{k}：{describe_amount(v)}" for k, v in spec.cases)
    if isinstance(spec, Tiers):
        return "；".join(f"{t.comparison.word}{_number(t.threshold)}：{describe_amount(t.amount)}" for t in spec.tiers)
    if isinstance(spec, RangeRate):
        text = f"基数的{show_rate(spec.low)}～{show_rate(spec.high)}"
        if spec.floor_fen is not None:
            text += f"，不低于{format_wan(spec.floor_fen)}"
        if spec.cap_fen is not None:
            text += f"，最高{format_wan(spec.cap_fen)}"
        return text
    if isinstance(spec, NoAmount):
        return f"未定额：{spec.text}"
    if isinstance(spec, InKind):
        return f"免费服务：{spec.service}"
    if isinstance(spec, Right):
        return f"权益：{spec.text}"
    return str(spec)


YEARLY_LABEL = "年度（企业层面）"  # ``event: enterprise``: reckoned each year on the enterprise's profile


def _event_label(eng: Engine, kind: str | None) -> str | None:
    """The event kind as people read it (采购; 年度（企业层面） for ``enterprise``), the code
    (purchase) when the catalogue has none."""
    if kind is None:
        return None
    if kind == "enterprise":
        return YEARLY_LABEL
    spec = eng.catalogue.events.get(kind)
    return spec.label if spec is not None else kind


def benefit_view(b: Benefit, event_label: str | None = None) -> dict[str, Any]:
    return {
        "id": b.id,
        "article": b.article,
        "title": b.title,
        "event": b.event,
        **({"event_label": event_label} if event_label is not None else {}),  # where the catalogue is at hand
        "department": list(b.department),
        "amount": describe_amount(b.amount),
        "caps": [
            {
                "per": c.per,
                "per_label": CAP_SCOPES.get(c.per, c.per),
                "max": format_wan(c.fen) if c.fen is not None else None,
                "cite": c.cite.quote,
            }
            for c in b.caps
        ],
        "cite": b.cite.quote,
        "span": None if b.cite.span is None else [b.cite.span.start, b.cite.span.end],
        "interpretations": [i.reason.strip() for i in b.interpretations],
        "quota": None if b.quota is None else b.quota.count,
    }


def _doc_head(d: Document, today: date) -> dict[str, Any]:
    return {
        "id": d.id,
        "short": d.short,
        "title": d.title,
        "issuer": d.issuer,
        "number": d.number,
        "level": d.level,
        "level_label": LEVEL_NAMES.get(d.level, d.level),
        "jurisdiction": d.jurisdiction,
        "valid_from": d.valid_from.isoformat(),
        "valid_to": d.valid_to.isoformat() if d.valid_to else None,
        "status": d.status(today),
        "benefit_count": len(d.benefits),
    }


def list_documents(eng: Engine, today: date) -> list[dict[str, Any]]:
    return [_doc_head(d, today) for d in eng.library.documents]


def _payer(role: str, doc: Document, f: Funding) -> str:
    """A payer level of a document's funding in words: the treasury of that level over the
    document's jurisdiction (吴中区财政, 苏州市财政), else the level's words: the town level as the
    funding names it (镇（开发区、太湖新城）财政), another level's by ``ROLE_FINANCE``."""
    chain = {r.level: r for r in parents(doc.jurisdiction)} if doc.jurisdiction in REGIONS else {}
    if role in chain:
        return chain[role].finance
    return f"{f.town_words}财政" if role == "town" else ROLE_FINANCE.get(role, role)


def funding_view(f: Funding, doc: Document, own: bool) -> dict[str, Any]:
    """Who pays an item, in what split and who pays out, with the words: ``own`` when the item
    has its own funding (所需资金由市、区两级财政按3:7比例分担), else the document's."""
    names = [f.unspecified_payer if s.role == "unspecified" else _payer(s.role, doc, f) for s in f.shares]
    split = ":".join(str(s.weight) for s in f.shares)
    payers = "、".join(names)
    text = f"{payers}按{split}分担" if len(names) > 1 else payers
    if f.disburser:
        text += f"，由{_payer(f.disburser, doc, f)}兑付"
    return {
        "scope": "benefit" if own else "document",
        "shares": [{"role": s.role, "payer": n, "weight": s.weight} for s, n in zip(f.shares, names, strict=True)],
        "split": split if len(names) > 1 else None,
        "disburser": f.disburser,
        "cite": f.cite.quote,
        "text": f"{text}（本项规定：“{f.cite.quote}”）" if own else f"{text}（全文规定）",
    }


def document_rules(doc: Document) -> list[str]:
    """The rules a document applies to all its benefits, each with its words: who may apply,
    who pays (and pays out), 就高不重复, caps over several benefits, and the notes kept for display.
    They are written in articles of their own (吴中2025 第21、22条), which encode no benefit."""
    lines = []
    if doc.applicants:
        quote = f"（“{doc.applicants_cite.quote}”）" if doc.applicants_cite else ""
        lines.append(f"适用主体：{'、'.join(doc.applicants)}{quote}")
    if doc.funding is not None:
        f = doc.funding
        names = [f.unspecified_payer if s.role == "unspecified" else _payer(s.role, doc, f) for s in f.shares]
        parts = "、".join(f"{n} {s.weight}" for n, s in zip(names, f.shares, strict=True)) if len(names) > 1 else names[0]
        paid_out = f"，由{_payer(f.disburser, doc, f)}兑付" if f.disburser else ""
        lines.append(f"出资：{parts}{paid_out}（“{f.cite.quote}”）")
    for rule in doc.exclusivity:
        scope = {"document": "本文件各条之间", "article": "同一条内", "none": "与其他文件之间"}.get(rule.within, rule.within)
        if rule.articles:
            scope = f"第{'、'.join(rule.articles)}条内"
        against = "、".join(LEVEL_NAMES.get(a, "更高层级" if a == "higher" else a) for a in rule.against)
        why = f"；解释（原文未明确）：{rule.interpretation.reason.strip()}" if rule.interpretation else ""
        lines.append(f"就高不重复：{scope}{'，并对' + against + '政策' if against else ''}（“{rule.cite.quote}”）{why}")
    titles = {b.id: f"第{b.article}条{b.title}" for b in doc.benefits}
    for cap in doc.group_caps:
        amount = format_wan(cap.fen) if cap.fen else "按阶段"
        over = f"，合计{'、'.join(titles.get(m, m) for m in cap.benefits)}" if cap.benefits else ""
        lines.append(f"合计上限：{CAP_SCOPES.get(cap.per, cap.per)}{amount}{over}（“{cap.cite.quote}”）")
    lines.extend(f"说明：“{n.quote}”" for n in doc.notes)
    lines.extend(f"解释（原文未明确）：{i.reason.strip()}" for i in doc.interpretations)
    return lines


def show_document(eng: Engine, doc: Document, today: date) -> dict[str, Any]:
    head = _doc_head(doc, today)
    lines = [
        f"《{doc.title}》",
        f"发文机关：{doc.issuer}　文号：{doc.number or '（原文未载）'}　层级：{LEVEL_NAMES.get(doc.level, doc.level)}　地区：{doc.jurisdiction}",
        f"有效期：{doc.valid_from}至{doc.valid_to or '长期'}（{doc.status(today)}）　原文：“{doc.validity_cite.quote}”",
        "",
    ]
    articles: dict[str, list[Benefit]] = {}
    for b in doc.benefits:
        articles.setdefault(b.article, []).append(b)
    for article, items in articles.items():
        lines.append(f"第{article}条")
        for b in items:
            lines.append(f"  - {b.id}　{b.title}：{describe_amount(b.amount)}")
    rules = document_rules(doc)
    if rules:
        lines += ["", "全文适用的规则"] + [f"  - {r}" for r in rules]
    head["rules"] = rules
    head["benefits"] = [benefit_view(b, _event_label(eng, b.event)) for b in doc.benefits]
    head["text"] = "\n".join(lines)
    return head


class ArticleNotFound(InputError):
    """An article with no item of its own. ``head`` says so without pointing anywhere; the message (the
    command line's) ends with the command that shows the whole document, and a page or the API points
    to their own places instead (the web app's article pages)."""

    def __init__(self, head: str, doc: Document) -> None:
        super().__init__(f"{head}见 huiqi policies {doc.id}")
        self.head = head
        self.doc = doc


_CHINESE_NUMBER = re.compile(
    r"(?:(?P<h>[一二三四五六七八九])百)?(?:零?(?P<t>[一二三四五六七八九])?(?P<ten>十))?[零〇]?(?P<o>[一二三四五六七八九])?"
)
_CHINESE_DIGITS = {c: i for i, c in enumerate("一二三四五六七八九", 1)}


def article_number(text: str) -> int | None:
    """An article's number, written in Arabic (8, ８) or Chinese numerals (八, 十二, 二十, 一百零五).

    >>> article_number("8"), article_number("十二"), article_number("二十"), article_number("注意事项2")
    (8, 12, 20, None)
    """
    text = unicodedata.normalize("NFKC", text).strip()
    if text.isascii() and text.isdigit():
        return int(text)
    m = _CHINESE_NUMBER.fullmatch(text)
    if not text or m is None or text in ("零", "〇"):
        return None
    hundreds = _CHINESE_DIGITS[m["h"]] * 100 if m["h"] else 0
    tens = (_CHINESE_DIGITS[m["t"]] if m["t"] else 1) * 10 if m["ten"] else 0
    return hundreds + tens + (_CHINESE_DIGITS[m["o"]] if m["o"] else 0)


# the forms a person types an article in around its number: 第8条, 第八条, （一）, (一), 一、, 8.
_ARTICLE_FORMS = re.compile(r"第\s*(?P<a>[^第条]+?)\s*条|\(\s*(?P<b>[^()]+?)\s*\)|(?P<c>[^、.]+?)\s*[、.]|(?P<d>.+)")


def _article_core(article: str) -> str:
    """The number part of an article as typed: 八 of 第八条, （八）, (八), 八、; 8 of ８."""
    text = unicodedata.normalize("NFKC", article).strip()  # （一） → (一), ８ → 8
    m = _ARTICLE_FORMS.fullmatch(text)
    return next(g for g in m.groups() if g is not None).strip() if m else text


def resolve_article(doc: Document, article: str) -> str | None:
    """The document's own label of the article a person typed, ``None`` when it has no item of its own.

    The label as the document writes it (八 in 苏州2025机器人, 8 in 吴中2025), or that article typed
    another way: its number in the other numerals (8 → 八, 十六 → 16), 第8条/第八条, （一）/(一), 一、."""
    labels = list(dict.fromkeys(b.article for b in doc.benefits))
    if article in labels:
        return article
    core = _article_core(article)
    if core in labels:
        return core
    number = article_number(core)
    if number is None:
        return None
    return next((label for label in labels if article_number(label) == number), None)


def show_article(eng: Engine, doc: Document, article: str) -> dict[str, Any]:
    label = resolve_article(doc, article)
    if label is None:
        known = "、".join(dict.fromkeys(b.article for b in doc.benefits))
        # 第…条 only around an article number (8, 十四, typed as 第十四条 or （十四）): anything else is quoted as typed
        core = _article_core(article)
        named = f"第{core}条" if article_number(core) is not None else f"“{article}”"
        head = f"《{doc.short}》{named}没有单独编码的奖补项；已编码条款：{known}。全文适用的规则（就高不重复、出资与兑付、合计上限等）"
        raise ArticleNotFound(head, doc)
    article = label
    items = [b for b in doc.benefits if b.article == article]
    lines = [f"《{doc.short}》第{article}条"]
    for b in items:
        lines.append("")
        lines.append(f"{b.id}　{b.title}")
        lines.append(f"  原文：“{b.cite.quote}”")
        review = "　须经评审" if b.review else ""
        lines.append(f"  事项：{_event_label(eng, b.event)}　金额：{describe_amount(b.amount)}{review}")
        rule = rule_view(eng, b, doc)
        lines.append(f"  条件：{'；'.join(rule['conditions']) or '无'}")
        if rule["formula"]:
            lines.append(f"  计算：{rule['formula']}")
        for c in b.caps:
            lines.append(f"  上限：{CAP_SCOPES.get(c.per, c.per)}{format_wan(c.fen) if c.fen else '按阶段'}（“{c.cite.quote}”）")
        if b.quota is not None:
            lines.append(f"  {b.quota.text()}（“{b.quota.cite.quote}”）")
        if rule["funding"] is not None:
            lines.append(f"  出资：{rule['funding']['text']}")
        for i in b.interpretations:
            lines.append(f"  ※ 解释：{i.reason.strip()}")
    benefits = [benefit_view(b, _event_label(eng, b.event)) | rule_view(eng, b, doc) for b in items]
    return {"document": doc.id, "article": article, "benefits": benefits, "text": "\n".join(lines)}


def rule_view(eng: Engine, b: Benefit, doc: Document) -> dict[str, Any]:
    """What the engine checks and reckons for an item, in words without any enterprise's values: the
    requirements (the item's event, applicants, ``match`` and ``when``) and the amount's formula with
    its base named, so an officer can check the encoding against the text without a test case."""
    from .core.amounts import formula_text
    from .core.conditions import requirement_text
    from .core.context import fact_label

    kinds = b.applicants or doc.applicants
    checks = [f"主体类型为{'、'.join(kinds)}"] if kinds else []
    checks += [requirement_text(c, eng.catalogue, b.event) for c in (*b.match, *b.when)]
    if b.max_years is not None:
        checks.append(f"最多享受{b.max_years}年")
    funding = b.funding or doc.funding
    return {
        "conditions": checks,
        "formula": formula_text(b.amount, lambda expr: fact_label(expr, eng.catalogue, b.event)),
        "review": b.review,
        "funding": None if funding is None else funding_view(funding, doc, b.funding is not None),
    }


def _field(spec: FieldSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "label": spec.label,
        "type": spec.type,
        "type_label": TYPES.get(spec.type, spec.type),
        "unit": spec.unit,
        "values": list(spec.values),
        "required": spec.required,
        "default": default_text(spec) or None,
        "help": spec.help,
    }


def facts_catalogue(eng: Engine) -> dict[str, Any]:
    cat = eng.catalogue
    return {
        "enterprise": [_field(s) for s in cat.enterprise.values()],
        "events": [
            {"kind": k.name, "label": k.label, "help": k.help, "fields": [_field(s) for s in k.fields.values()]}
            for k in cat.events.values()
        ],
        "qualification_titles": list(cat.qualification_titles),
    }


def _field_line(spec: FieldSpec) -> str:
    unit = f"，单位{spec.unit}" if spec.unit else ""
    req = "，必填" if spec.required else (f"，未填写按“{default_text(spec)}”" if spec.default is not None else "")
    values = f"；可选：{'、'.join(spec.values)}" if spec.values else ""
    helptext = f"；{spec.help}" if spec.help else ""
    return f"  {spec.name:<28} {spec.label}（{TYPES.get(spec.type, spec.type)}{unit}{req}）{values}{helptext}"


def render_facts(eng: Engine) -> str:
    cat = eng.catalogue
    lines = ["企业（enterprise）"]
    lines.extend(_field_line(s) for s in cat.enterprise.values())
    lines.append("  qualifications               已获资质列表：[{title, level, since, until}]")
    for kind in cat.events.values():
        lines.append("")
        lines.append(f"事项 {kind.name}：{kind.label}" + (f"（{kind.help}）" if kind.help else ""))
        lines.append(f"  {'id':<28} 事项编号（文本，可选）")
        lines.append(f"  {'date':<28} 发生日期（日期，必填）")
        lines.extend(_field_line(s) for s in kind.fields.values())
    lines.append("")
    lines.append(
        "已获奖补（prior_awards）：[{amount, year, level: national/province/city/district, document, event, benefit, key}]"
    )
    return "\n".join(lines)
