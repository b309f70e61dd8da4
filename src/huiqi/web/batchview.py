"""Views of a finished 名单测算 job: filters over the result rows, rows per
enterprise, totals by dimension (for the charts) and the filter choices.

The result tables are those of ``huiqi batch`` (``io_write.RESULT_SCHEMA`` and
``PAYER_SCHEMA``); totals come from ``io_write.summarise`` on the rows kept, so
the page, the JSON and the Excel export agree to the fen.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import date

    import pyarrow as pa

    from ..core.model import Library

__all__ = [
    "apply_filters",
    "by_enterprise",
    "charts",
    "enterprises_without_results",
    "events_after_in_rows",
    "filter_choices",
    "filtered_overview",
    "one_payer",
    "quota_dict",
    "result_rows",
    "summary_dict",
    "unmatched_filters",
    "year_keys",
    "year_value",
]


def _key_column(t: pa.Table) -> pa.Array:
    import pyarrow.compute as pc

    event = pc.fill_null(t.column("event_id"), "")
    return pc.binary_join_element_wise(t.column("credit_code"), t.column("benefit"), event, "|")


def apply_filters(
    results: pa.Table,
    payers: pa.Table,
    params: Mapping[str, str],
    payer_names: PayerLookup | None = None,
    as_of: date | None = None,
) -> tuple[pa.Table, pa.Table]:
    """The result rows (and their payer rows) that pass every filter given; ``payer_names``
    (``io_write.PayerNames``) finds the payers of items granted without a stated amount, which
    have no payer rows (the summary counts them under those payers); ``as_of``, the job's 基准日,
    is the year of the yearly items (no event date) for the 年度 filter, as for 按年度."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..batch.io_write import missing_only_regex

    mask = pa.array([True] * results.num_rows, pa.bool_())

    def keep(m: Any) -> None:
        nonlocal mask
        mask = pc.and_kleene(mask, pc.fill_null(m, False))

    doc = params.get("document", "").strip()
    if doc:
        keep(_document_mask(results, doc))
    article = params.get("article", "").strip()
    if article:
        keep(_article_mask(results, article))
    dept = params.get("department", "").strip()
    if dept:
        keep(_department_mask(results, dept))
    town = params.get("town", "").strip()
    if town:
        keep(_town_mask(results, town))
    year = year_value(params.get("year", ""))
    if year:
        keep(_year_mask(results, year, as_of))
    for name in ("status", "nature"):
        value = params.get(name, "").strip()
        if name == "status" and value == MISSING_STATUS:  # the near misses only for blank facts (缺少资料)
            codes = pc.match_substring_regex(results.column("reason_codes"), f"^{missing_only_regex()}$")
            keep(pc.and_kleene(pc.equal(results.column("status"), "near_miss"), codes))
        elif value:
            keep(pc.equal(results.column(name), value))
    q = params.get("q", "").strip()
    if q:
        keep(pc.or_(pc.match_substring(results.column("name"), q), pc.starts_with(results.column("credit_code"), q.upper())))
    payer = params.get("payer", "").strip()
    if payer:
        chosen = payers.filter(pc.equal(payers.column("payer"), payer))
        keep(pc.or_(pc.is_in(_key_column(results), _key_column(chosen)), _unpriced_of(results, payer, payer_names)))
        payers = chosen
    kept = results.filter(mask)
    if kept.num_rows != results.num_rows:
        payers = payers.filter(pc.is_in(_key_column(payers), _key_column(kept)))
    if payer:
        kept = _payer_shares(kept, payers)
    return kept, payers


PayerLookup = Callable[[str, str, "str | None"], Iterable[tuple[str, str]]]

# the 状态 filter's value for the near misses only for blank facts (缺少资料, io_write.missing_facts_only)
MISSING_STATUS = "missing_facts"


def _unpriced_of(results: pa.Table, payer: str, payer_names: PayerLookup | None) -> pa.Array:
    """The rows granted without a stated amount whose payers include ``payer`` (none without ``payer_names``)."""
    import pyarrow as pa

    from ..batch.io_write import is_unpriced

    cols = ["status", "is_money", "nature", "benefit", "region", "town"]
    flags = [
        payer_names is not None
        and is_unpriced(status, money, nature)
        and any(name == payer for _, name in payer_names(benefit, region, town))
        for status, money, nature, benefit, region, town in zip(*(results.column(c).to_pylist() for c in cols), strict=True)
    ]
    return pa.array(flags, pa.bool_())


def _document_mask(results: pa.Table, doc: str) -> pa.Array:
    """A document by its id (wuzhong-2025) or its short name (吴中2025, the key of the summary's
    ``by.document``)."""
    import pyarrow.compute as pc

    return pc.or_(pc.equal(results.column("document"), doc), pc.equal(results.column("document_short"), doc))


_ARTICLE_KEY = re.compile(r"(?P<doc>.+?) 第(?P<art>[^ 条]+)条(?: (?P<title>.*))?")


def _article_mask(results: pa.Table, article: str) -> pa.Array:
    """An article as ``文件:条款号`` (the document by id or short name: wuzhong-2025:8, 吴中2025:8), the
    number alone (8), or as the summary's ``by.article`` names it (吴中2025 第8条 <item>, or without the item)."""
    import pyarrow.compute as pc

    key = _ARTICLE_KEY.fullmatch(article)
    if key:
        mask = pc.and_(_document_mask(results, key["doc"]), pc.equal(results.column("article"), key["art"]))
        if key["title"]:
            mask = pc.and_(mask, pc.equal(results.column("benefit_title"), key["title"]))
        return mask
    d, sep, art = article.rpartition(":")
    mask = pc.equal(results.column("article"), art)
    return pc.and_(_document_mask(results, d), mask) if sep else mask


def _department_mask(results: pa.Table, dept: str) -> pa.Array:
    """Items of a department (区工信局: alone or with others), or of exactly the departments of a
    ``by.department`` line (区工信局、区科技局, in any order; （未注明） for items naming none)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    column = pc.fill_null(results.column("department"), "")
    wanted = "、".join(sorted(dept.split("、")))
    values = [
        v
        for v in pc.unique(column).to_pylist()
        if (v and (dept in v.split("、") or "、".join(sorted(v.split("、"))) == wanted)) or (not v and dept == "（未注明）")
    ]
    return pc.is_in(column, pa.array(values, pa.string()))


_UNFILLED_TOWN = re.compile(r"（(?P<region>\d{6})，未填镇街）")


def _town_mask(results: pa.Table, town: str) -> pa.Array:
    """A town, （未填） for rows without one, or the summary's ``by.town`` line for them in one
    region (（320506，未填镇街））."""
    import pyarrow.compute as pc

    column = pc.fill_null(results.column("town"), "")
    unfilled = _UNFILLED_TOWN.fullmatch(town)
    if unfilled:
        return pc.and_(pc.equal(column, ""), pc.equal(results.column("region"), unfilled["region"]))
    return pc.equal(column, "" if town == "（未填）" else town)


def year_value(value: str) -> str:
    """A 年度 filter's value as the 按年度 lines name a year: 2025年 (a bare 2025 taken as 2025年)."""
    value = value.strip()
    return f"{value}年" if value.isdigit() else value


def year_keys(results: pa.Table, as_of: date | None) -> pa.Array:
    """Each row's 按年度 line (``io_write.year_key``): its event's year (2025年), a yearly item's (no
    event date) the ``as_of`` year, ``io_write.YEAR_UNKNOWN`` without either."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from ..batch.io_write import YEAR_UNKNOWN

    years = pc.year(results.column("event_date"))
    if as_of is not None:
        years = pc.fill_null(years, as_of.year)
    keys = pc.binary_join_element_wise(pc.cast(years, pa.string()), pa.scalar("年"), "")
    return pc.fill_null(keys, YEAR_UNKNOWN)


def _year_mask(results: pa.Table, year: str, as_of: date | None) -> pa.Array:
    """The rows of a 按年度 line (2025年; the yearly items under the ``as_of`` year)."""
    import pyarrow.compute as pc

    return pc.equal(year_keys(results, as_of), year_value(year))


def unmatched_filters(
    results: pa.Table,
    payers: pa.Table,
    params: Mapping[str, str],
    payer_names: PayerLookup | None = None,
    as_of: date | None = None,
) -> list[tuple[str, str, list[str]]]:
    """The filters given a value no row of the job has, each with the values its rows do have
    (the choices the page offers): (parameter, value, choices). A value some row has, but not
    together with the other filters, is no mistake (an empty answer); nor is a search (``q``).
    ``as_of`` (the job's 基准日) dates the yearly items for the 年度 filter."""
    import pyarrow.compute as pc

    from ..batch.io_write import NATURE_LABELS, STATUS_LABELS

    fixed = {"status": [*STATUS_LABELS, MISSING_STATUS], "nature": list(NATURE_LABELS)}  # whether or not this job has them
    out: list[tuple[str, str, list[str]]] = []
    choices: dict[str, list[tuple[str, str]]] | None = None
    for name in ("document", "article", "department", "payer", "town", "year", "status", "nature"):
        value = params.get(name, "").strip()
        if not value:
            continue
        if name in fixed:
            if value not in fixed[name]:
                out.append((name, value, fixed[name]))
            continue
        if name == "payer":
            found = bool(pc.any(pc.equal(payers.column("payer"), value)).as_py()) or bool(
                pc.any(_unpriced_of(results, value, payer_names)).as_py()
            )
        elif name == "year":
            found = bool(pc.any(_year_mask(results, value, as_of)).as_py())
        else:
            mask = {"document": _document_mask, "article": _article_mask, "department": _department_mask, "town": _town_mask}[
                name
            ](results, value)
            found = bool(pc.any(pc.fill_null(mask, False)).as_py())
        if not found:
            choices = choices or filter_choices(results, payers, payer_names, as_of)
            out.append((name, value, [v for v, _ in choices[name]]))
    return out


def _payer_shares(results: pa.Table, payers: pa.Table) -> pa.Table:
    """Results filtered by one payer, their amounts that payer's share (a town officer reads what
    the town pays: 6/10 of a 吴中 award, not the whole of it)."""
    import pyarrow as pa

    share: dict[str, tuple[int, int | None]] = {}
    for key, low, high in zip(
        _key_column(payers).to_pylist(), payers.column("min_fen").to_pylist(), payers.column("max_fen").to_pylist(), strict=True
    ):
        a, b = share.get(key, (0, 0))
        share[key] = (a + (low or 0), None if b is None or high is None else b + high)
    keys = _key_column(results).to_pylist()
    lows = [share[k][0] if k in share else v for k, v in zip(keys, results.column("min_fen").to_pylist(), strict=True)]
    highs = [share[k][1] if k in share else v for k, v in zip(keys, results.column("max_fen").to_pylist(), strict=True)]
    i, j = results.schema.get_field_index("min_fen"), results.schema.get_field_index("max_fen")
    results = results.set_column(i, results.schema.field(i), pa.array(lows, results.schema.field(i).type))
    return results.set_column(j, results.schema.field(j), pa.array(highs, results.schema.field(j).type))


_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}


def _article_number(text: str) -> int | None:
    """An article's number: 12, or in Chinese numerals 十二 (up to 九十九)."""
    if text.isdigit():
        return int(text)
    if not text or any(c not in _DIGITS and c != "十" for c in text):
        return None
    tens, _, ones = text.partition("十")
    if "十" not in text:
        return _DIGITS[text] if len(text) == 1 else None
    return (_DIGITS.get(tens, 0) if tens else 1) * 10 + (_DIGITS.get(ones, 0) if ones else 0)


def _article_order(document: str, article: str) -> tuple[str, int, str]:
    """Articles in their documents' order of numbers (第2条 before 第10条, 第三条 before 第七条)."""
    number = _article_number(article)
    return (document, number if number is not None else 10**6, article)


def _yuan(fen: int | None) -> str | None:
    from ..batch.io_write import yuan

    return None if fen is None else yuan(fen)


def result_rows(results: pa.Table, offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
    """Result rows as JSON-ready dicts: fen as integers and 元 as exact strings."""
    from ..batch.io_write import NATURE_LABELS, status_label

    part = results.slice(offset, limit) if limit is not None else results.slice(offset)
    rows: list[dict[str, Any]] = part.to_pylist()
    for r in rows:
        shown = bool(r["is_money"]) and r["status"] == "granted"
        r["event_date"] = r["event_date"].isoformat() if r["event_date"] else None
        r["status_label"] = status_label(r["status"], r["reason_codes"])
        r["nature_label"] = NATURE_LABELS.get(r["nature"] or "", r["nature"] or "")
        r["min"] = _yuan(r["min_fen"]) if shown else None
        r["max"] = (_yuan(r["max_fen"]) if r["max_fen"] is not None else "不设上限") if shown else None
    return rows


def by_enterprise(results: pa.Table) -> list[dict[str, Any]]:
    """One row per enterprise: result rows by status and the granted money totals."""
    out: dict[str, dict[str, Any]] = {}
    cols = ["credit_code", "name", "town", "status", "is_money", "min_fen", "max_fen"]
    for batch in results.select(cols).to_batches(65_536):
        for code, name, town, status, money, low, high in zip(*(c.to_pylist() for c in batch.columns), strict=True):
            e = out.get(code)
            if e is None:
                e = out[code] = {
                    "credit_code": code,
                    "name": name,
                    "town": town,
                    "granted": 0,
                    "set_aside": 0,
                    "near_miss": 0,
                    "min_fen": 0,
                    "max_fen": 0,
                    "unbounded": 0,
                }
            e[status] = e.get(status, 0) + 1
            if status == "granted" and money:
                e["min_fen"] += low or 0
                if high is None:  # its floor is all it is known to reach (io_write.Totals)
                    e["unbounded"] += 1
                    e["max_fen"] += low or 0
                else:
                    e["max_fen"] += high
    rows = sorted(out.values(), key=lambda e: (-e["max_fen"], e["credit_code"]))
    for e in rows:
        e["min"] = _yuan(e["min_fen"])
        e["max"] = _yuan(e["max_fen"])
    return rows


def enterprises_without_results(evaluated: int, results: pa.Table) -> int:
    """How many of the ``evaluated`` enterprises have no row in ``results`` (their events all rejected,
    or neither an event nor a yearly item applies): the page's 按企业 lists only those with rows."""
    import pyarrow.compute as pc

    with_rows: int = pc.count_distinct(results.column("credit_code")).as_py() if results.num_rows else 0
    return max(0, evaluated - with_rows)


def summary_dict(summary: Any) -> dict[str, Any]:
    """``io_write.Summary`` as JSON: totals in 元 strings and fen, by dimension."""

    def tot(t: Any) -> dict[str, Any]:
        shown: dict[str, Any] = t.to_dict()
        return shown | {"min_fen": t.min_fen, "max_fen": t.max_fen}

    return {
        "results": summary.statuses(),
        "missing_facts": summary.missing_facts,  # near misses only for blank facts (缺少资料), within near_miss
        "enterprises_with_awards": summary.enterprises_with_awards,
        "total": tot(summary.total),
        "by": {
            dim: {k: tot(t) | ({"split": summary.payer_split(k)} if dim == "payer" else {}) for k, t in summary.ordered(dim)}
            for dim in summary.by
        },
    }


def _unpriced_payers(results: pa.Table, payer_names: PayerLookup | None) -> set[str]:
    """The payers of the rows granted without a stated amount (none without ``payer_names``)."""
    from ..batch.io_write import is_unpriced

    if payer_names is None:
        return set()
    cols = ["status", "is_money", "nature", "benefit", "region", "town"]
    return {
        name
        for status, money, nature, benefit, region, town in zip(*(results.column(c).to_pylist() for c in cols), strict=True)
        if is_unpriced(status, money, nature)
        for _, name in payer_names(benefit, region, town)
    }


def charts(summary: Any, top: int = 15) -> dict[str, list[list[Any]]]:
    """Bars per dimension: [label, 万元 upper total] for the largest ``top`` keys (按年度: the
    first ``top`` years, in order, as ``Summary.ordered`` lists each dimension)."""
    from .forms import fen_to_wan

    out: dict[str, list[list[Any]]] = {}
    for dim in summary.by:
        out[dim] = [[k, fen_to_wan(t.max_fen)] for k, t in summary.ordered(dim)[:top]]
    return out


def filter_choices(
    results: pa.Table, payers: pa.Table, payer_names: PayerLookup | None = None, as_of: date | None = None
) -> dict[str, list[tuple[str, str]]]:
    """(value, label) choices for each filter, from the job's own rows (with ``payer_names``, the
    payers of items granted without a stated amount too; the years as 按年度 names them, earliest
    first, a yearly item's that of ``as_of``, the job's 基准日)."""
    import pyarrow.compute as pc

    from ..batch.io_write import MISSING_FACTS, NATURE_LABELS, STATUS_LABELS, year_order

    docs = dict(zip(results.column("document").to_pylist(), results.column("document_short").to_pylist(), strict=True))
    articles: dict[str, str] = {}
    for d, art, _title in zip(
        results.column("document").to_pylist(),
        results.column("article").to_pylist(),
        results.column("benefit_title").to_pylist(),
        strict=True,
    ):
        articles.setdefault(f"{d}:{art}", f"{docs.get(d, d)} 第{art}条")
    departments: dict[str, None] = {}
    for v in pc.unique(results.column("department")).to_pylist():
        departments.update(dict.fromkeys(x for x in (v or "").split("、") if x))
    towns = sorted({t or "（未填）" for t in pc.unique(results.column("town")).to_pylist()})
    natures = [n for n in pc.unique(results.column("nature")).to_pylist() if n]
    return {
        "document": sorted(docs.items()),
        "article": sorted(articles.items(), key=lambda kv: _article_order(*kv[0].split(":", 1))),
        "department": [(d, d) for d in sorted(departments)],
        "payer": [
            (p, p) for p in sorted(set(pc.unique(payers.column("payer")).to_pylist()) | _unpriced_payers(results, payer_names))
        ],
        "town": [(t, t) for t in towns],
        "year": [(y, y) for y in sorted(pc.unique(year_keys(results, as_of)).to_pylist(), key=year_order)],
        "status": [*STATUS_LABELS.items(), (MISSING_STATUS, f"其中{MISSING_FACTS}（补填后可能符合）")],
        "nature": [(n, NATURE_LABELS.get(n, n)) for n in sorted(natures)],
    }


def one_payer(payer_names: PayerLookup, payer: str) -> PayerLookup:
    """``payer_names`` narrowed to ``payer``: filtered by one payer, an item granted without a stated
    amount counts under that payer alone, not under the payers it shares the item with as well
    (their lines had 0 items and the same items without an amount again)."""

    def named(benefit: str, region: str, town: str | None) -> Iterable[tuple[str, str]]:
        return tuple(pair for pair in payer_names(benefit, region, town) if pair[1] == payer)

    return named


def events_after_in_rows(results: pa.Table, as_of: date) -> int:
    """How many events of ``results`` (an enterprise's event counted once, whatever its rows) are
    dated after ``as_of``: the filtered rows' share of the job's ``events_after_as_of``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if results.num_rows == 0:
        return 0
    later = results.filter(pc.fill_null(pc.greater(results.column("event_date"), pa.scalar(as_of, pa.date32())), False))
    return len(set(zip(later.column("credit_code").to_pylist(), later.column("event_id").to_pylist(), strict=True)))


def quota_dict(library: Library, summary: Any) -> dict[str, str]:
    """The 名额 lines of ``summary`` (``io_write.quota_notes``) as ``huiqi batch --json`` gives them
    (``quotas``): 按条款 line → what the quota allows and what it means for the totals."""
    from ..batch.io_write import quota_notes, quotas_json

    return quotas_json(quota_notes(library, summary))


# the marks before a filtered export's 汇总 lines
FILTERED = "【筛选范围内】"
WHOLE = "【整个登记表】"
# 汇总 lines of a filtered export that count the filtered rows: their name there
_FILTERED_LINES = {"测算企业数": "涉及企业数", "测算事项数": "涉及事项数"}
_FIGURES = (
    "其中发生日期晚于基准日的事项数",
    "有可享受资金的企业数",
    "可享受资金项数",
    "合计最低（元）",
    "合计最高（元）",
    "其中不设上限项数",
    "另有金额未定项数",
)
# the 汇总 line (after 筛选) saying what the two marks mean
SCOPE_NOTE = (
    f"标“{WHOLE}”的为整个登记表的行数和测算数；标“{FILTERED}”的只计筛选后的结果行"
    "（涉及企业数、涉及事项数为筛选后的结果行所涉及的企业和事项）"
)


def filtered_overview(rows: list[list[Any]], whole: Mapping[str, int | None]) -> list[list[Any]]:
    """The 汇总 rows of a filtered export (``io_write`` writes them for a whole register) with each
    figure saying whether it is the whole register's (rows read and rejected; ``whole``: the job's
    测算企业数, 测算事项数 and events after the 基准日, added) or the filtered rows' (测算企业数
    became 涉及企业数: the enterprises of the rows kept), so a filtered 636 is not read against 3,000
    rows read. The lines not named stay as they are."""
    out: list[list[Any]] = []
    for label, *rest in rows:
        if label.endswith(("：读取行数", "：拒绝行数")):
            out.append([WHOLE + label, *rest])
        elif label in _FILTERED_LINES or label in _FIGURES or label.startswith("结果行："):
            if label == "测算企业数":  # the whole register's counts before the filtered ones
                out.extend([WHOLE + name, n] for name, n in whole.items() if n is not None)
            out.append([FILTERED + _FILTERED_LINES.get(label, label), *rest])
        else:
            out.append([label, *rest])
    return out
