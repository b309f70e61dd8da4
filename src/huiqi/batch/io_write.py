"""Results out: one row per enterprise × benefit × event, with summaries by
document, article, responsible department (责任单位), payer, town and year, as
Excel, Parquet or CSV.

Amounts are integer fen inside; on the sheets they are 元 as exact strings
with two decimals (``"12345.67"``), never floats.
"""

from __future__ import annotations

import csv
import heapq
import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa

from huiqi.core.explain import YEAR_UNKNOWN, year_key  # 按年度: one rule for evaluate and batch
from huiqi.core.model import Library
from huiqi.core.money import format_wan
from huiqi.service import InputError

from .io_read import Register, RowError
from .xlsx import MAX_ROWS, Money, write_xlsx

__all__ = [
    "PAYER_SCHEMA",
    "RESULT_SCHEMA",
    "REVIEW_NOTE",
    "STATUS_LABELS",
    "YEAR_UNKNOWN",
    "PayerNames",
    "Summary",
    "Totals",
    "benefit_meta",
    "department_text",
    "parquet_options",
    "quota_notes",
    "quotas_json",
    "run_notes",
    "status_label",
    "summarise",
    "townless_notice",
    "write_results",
    "year_key",
    "year_sql",
    "yuan",
]

RESULT_SCHEMA = pa.schema(
    [
        pa.field("credit_code", pa.string()),
        pa.field("name", pa.string()),
        pa.field("region", pa.string()),
        pa.field("town", pa.string()),
        pa.field("document", pa.string()),
        pa.field("document_short", pa.string()),
        pa.field("article", pa.string()),
        pa.field("benefit", pa.string()),
        pa.field("benefit_title", pa.string()),
        pa.field("department", pa.string()),
        pa.field("event_id", pa.string()),
        pa.field("event_kind", pa.string()),
        pa.field("event_date", pa.date32()),
        pa.field("status", pa.string()),
        pa.field("nature", pa.string()),
        pa.field("is_money", pa.bool_()),
        pa.field("min_fen", pa.int64()),
        pa.field("max_fen", pa.int64()),  # null: no upper bound (不低于)
        pa.field("reason_codes", pa.string()),
        pa.field("reasons", pa.string()),
    ]
)

PAYER_SCHEMA = pa.schema(
    [
        pa.field("credit_code", pa.string()),
        pa.field("town", pa.string()),
        pa.field("benefit", pa.string()),
        pa.field("event_id", pa.string()),
        pa.field("role", pa.string()),
        pa.field("payer", pa.string()),
        pa.field("min_fen", pa.int64()),
        pa.field("max_fen", pa.int64()),
    ]
)

# Text columns with about one value per row (an enterprise's code and name, an
# event's id). pyarrow would build a dictionary for them in every row group only
# to find it as large as the column; plain pages are smaller and faster to write
# (10^7 result rows: 259 → 236 MiB, benchmarks/RESULTS.md, eighth session).
_UNIQUE_TEXT = frozenset({"credit_code", "name", "event_id"})


def parquet_options(schema: pa.Schema) -> dict[str, Any]:
    """Writer options for a results or payers Parquet file: dictionary pages for repetitive columns only."""
    return {"use_dictionary": [f.name for f in schema if f.name not in _UNIQUE_TEXT]}


# set_aside: every reason a granted-looking item is not counted (就高不重复, a cap used up, paid once before)
STATUS_LABELS = {"granted": "可享受", "set_aside": "未计入（不重复、额度已用尽或已奖励过）", "near_miss": "未满足条件"}
# a set-aside row says why by its first reason: a yearly cap used up is no 就高不重复
_SET_ASIDE_LABELS = {
    "cap_exhausted": "额度已用尽",
    "once_per_key": "已奖励过",
    "exclusivity": "不重复享受",
    "prior_award": "不重复享受",
}


MISSING_FACTS = "缺少资料"


def missing_only_regex(sep: str = "；") -> str:
    """Reason codes that are all ``absent:i``, joined by ``sep`` (a results row's ``；``, the plan's ``,``), as a
    regular expression to match whole (Python, DuckDB and Arrow read it alike)."""
    return rf"absent:\d+(?:{sep}absent:\d+)*"


_MISSING_ONLY = re.compile(missing_only_regex())


def missing_facts_only(reason_codes: str | None) -> bool:
    """Whether a near miss failed only on facts not given (every reason ``absent:i``): the register lacks what
    would decide it, and filled in it may qualify."""
    return reason_codes is not None and _MISSING_ONLY.fullmatch(reason_codes) is not None


def status_label(status: str, reason_codes: str | None) -> str:
    """A row's 状态: 可享受 / 未满足条件 / 缺少资料 (a near miss only for facts not given), and for an item not
    counted why (不重复享受, 额度已用尽, 已奖励过)."""
    if status == "set_aside" and reason_codes:
        return _SET_ASIDE_LABELS.get(reason_codes.split("；")[0], STATUS_LABELS[status])
    if status == "near_miss" and missing_facts_only(reason_codes):
        return MISSING_FACTS
    return STATUS_LABELS.get(status, status)


NATURE_LABELS = {
    "exact": "确定金额",
    "ceiling": "最高限额（经审核确定）",
    "floor": "不低于（不设上限）",  # its 最高 cell is left empty: a number column stays numbers
    "range": "区间",
    "none": "未定额支持",
    "in_kind": "免费服务",
    "right": "权益（非资金）",
}
EXCEL_MAX_ROWS = MAX_ROWS - 1  # result rows on the 结果 sheet, below its header


def yuan_cell(fen: int | None) -> Money | str:
    """Fen as a sheet's money cell: a number in Excel (exact, shown 1,234,567.89), in a CSV file the
    text ``yuan`` gives; blank for no amount."""
    return "" if fen is None else Money.from_fen(fen)


def yuan(fen: int | None) -> str:
    """Fen as an exact string of 元 with two decimals: ``1234567`` → ``'12345.67'``."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


@dataclass(slots=True)
class Totals:
    count: int = 0
    min_fen: int = 0
    max_fen: int = 0
    # awards without an upper bound (不低于): counted here, and their floor added to the 最高 as well,
    # so that a total's 最高 is never below its 最低 (the floor is all they are known to reach)
    unbounded: int = 0
    # items granted whose text states no amount (未定额支持: 给予相应补助, 经专题会议研究后予以支持):
    # not money items (not in ``count``, nothing added to the amounts), counted apart so they are seen
    unpriced: int = 0

    def add(self, low: int | None, high: int | None) -> None:
        self.count += 1
        self.min_fen += low or 0
        if high is None:
            self.unbounded += 1
            self.max_fen += low or 0
        else:
            self.max_fen += high

    def row(self) -> list[Any]:
        return [self.count, yuan_cell(self.min_fen), yuan_cell(self.max_fen), self.unbounded, self.unpriced]

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "min": yuan(self.min_fen),
            "max": yuan(self.max_fen),
            "unbounded": self.unbounded,
            "unpriced": self.unpriced,
        }


@dataclass(slots=True)
class Summary:
    """Totals of granted money awards, by dimension."""

    total: Totals = field(default_factory=Totals)
    status: dict[str, int] = field(default_factory=dict)
    enterprises_evaluated: int = 0
    events_evaluated: int = 0
    enterprises_with_awards: int = 0
    by: dict[str, dict[str, Totals]] = field(default_factory=dict)
    # events dated after the run's 基准日: evaluated on their own dates, as every event is, but
    # a 免申即享 run "as of" a day seldom means to pay what has not happened by then
    events_after_as_of: int = 0
    # per 按条款 line, granted money items by their event's year (for quotas set per year)
    yearly: dict[str, dict[int, int]] = field(default_factory=dict)
    # payers of an ``unspecified`` share (苏州市（按原渠道和财政体制要求落实）): the text does not fix
    # how the levels split it, which a 按出资方 line must say (出资方式)
    unsettled_payers: set[str] = field(default_factory=set)
    # near misses only for facts the register leaves blank (状态 缺少资料, counted within near_miss)
    missing_facts: int = 0
    # items limited in number (名额: 每年择优支持不超过20个项目): per benefit and year (0: the whole period)
    # the largest upper amounts, at most as many as the places, largest first
    quota_top: dict[str, dict[int, list[int]]] = field(default_factory=dict)
    # enterprises with at least one result row (any status): the others were evaluated and got none
    enterprises_with_results: int = 0
    # enterprises with a town share of granted money (吴中2025 第22条's 6 of 4:6) but no 所在镇 in the
    # register: the share is counted under the placeholder payer (吴中区属地镇（开发区、太湖新城）财政);
    # their number, those placeholders, and the first few enterprises in the register's order
    townless: int = 0
    townless_payers: set[str] = field(default_factory=set)
    townless_examples: list[str] = field(default_factory=list)

    @property
    def enterprises_without_results(self) -> int:
        """Enterprises evaluated without a single result row (their events all rejected, no events, or no
        item applies), as the web page counts them (``web.batchview.enterprises_without_results``)."""
        return max(0, self.enterprises_evaluated - self.enterprises_with_results)

    def add_townless(self, n: int, payers: Iterable[str], examples: Iterable[str]) -> None:
        """Count ``n`` more enterprises whose town share went to a placeholder payer (a chunk's, or all)."""
        self.townless += n
        self.townless_payers.update(payers)
        for code in examples:
            if len(self.townless_examples) < TOWNLESS_EXAMPLES:
                self.townless_examples.append(code)

    def keep_top(self, benefit: str, year: int, amounts: Iterable[int], places: int) -> None:
        """Merge ``amounts`` (a chunk's, or all) into the largest ``places`` amounts of ``benefit`` in ``year``."""
        years = self.quota_top.setdefault(benefit, {})
        years[year] = heapq.nlargest(places, [*years.get(year, ()), *amounts])

    def statuses(self) -> dict[str, int]:
        """Result rows per status, by the status's name (as ``--json`` and the web app list them)."""
        return dict(sorted(self.status.items()))

    def status_lines(self) -> list[tuple[str, int]]:
        """(label, rows) per status as people read them, 缺少资料 within 未满足条件 (the terminal, 汇总)."""
        out = []
        for k, v in self.statuses().items():
            out.append((STATUS_LABELS.get(k, k), v))
            if k == "near_miss" and self.missing_facts:
                out.append((f"其中{MISSING_FACTS}（补填后可能符合）", self.missing_facts))
        return out

    def ordered(self, dimension: str) -> list[tuple[str, Totals]]:
        """A dimension's groups as the summary sheets and ``--json`` list them: the largest
        total first, then by name (not in the order the evaluation met them); 按年度 by year,
        the earliest first (a line without a year last)."""
        if dimension == "year":
            return sorted(self.by[dimension].items(), key=lambda kv: year_order(kv[0]))
        return sorted(self.by[dimension].items(), key=lambda kv: (-kv[1].max_fen, kv[0]))

    def payer_split(self, payer: str) -> str:
        """A 按出资方 line's 出资方式: 已明确, or 未明确分担 when the text leaves the split between levels open."""
        return SPLIT_OPEN if payer in self.unsettled_payers else SPLIT_FIXED

    def by_dict(self) -> dict[str, dict[str, dict[str, Any]]]:
        """The summaries as ``--json`` gives them; a payer's line with its 出资方式 (``split``)."""
        return {
            dim: {k: t.to_dict() | ({"split": self.payer_split(k)} if dim == "payer" else {}) for k, t in self.ordered(dim)}
            for dim in self.by
        }

    def add_unpriced(self, payers: Iterable[tuple[str, str]], n: int = 1) -> None:
        """Count ``n`` items without a stated amount under each of their payers ((role, payer) pairs)."""
        for role, payer in payers:
            self.by["payer"].setdefault(payer, Totals()).unpriced += n
            if role == "unspecified":
                self.unsettled_payers.add(payer)


TOWNLESS_EXAMPLES = 3  # enterprises named in the notice of blank towns
TOWN_HEADER = "所在镇（街道、板块）"  # the 企业 sheet's column of the town (the template's header)


def townless_notice(summary: Summary, source: str) -> RowError | None:
    """A notice (rejecting no row) when enterprises with granted money have no 所在镇 in the register: their
    town's share (吴中2025 第22条: 6 of 4:6) is counted under a placeholder payer (吴中区属地镇（开发区、太湖新城）
    财政), not under any town's 财政 in 按出资方."""
    if not summary.townless:
        return None
    from .io_read import SHEET_LABEL

    payers = "、".join(f"“{p}”" for p in sorted(summary.townless_payers))
    examples = "、".join(summary.townless_examples)
    more = "等" if summary.townless > len(summary.townless_examples) else ""
    said = (
        f"{summary.townless:,}家有可享受资金的企业未填所在镇（如{examples}{more}），其应由镇级承担的部分计入{payers}，"
        f"未落到具体镇（街道）；请补填“{TOWN_HEADER}”后重新测算；本提示不拒绝任何行"
    )
    return RowError(Path(source).name, SHEET_LABEL["enterprises"], 1, TOWN_HEADER, None, said, rejected=False)


SPLIT_FIXED = "已明确"
SPLIT_OPEN = "未明确分担"


DIMENSIONS = {
    "document": "按政策文件",
    "article": "按条款",
    "department": "按责任单位",
    "payer": "按出资方",
    "town": "按镇街",
    "year": "按年度",
}


def year_sql(as_of: date | None) -> str:
    """``year_key`` in SQL over a results table's ``event_date`` (DuckDB): the 按年度 line of the streamed
    summary and of ``huiqi batch-diff``."""
    fallback = year_key(None, as_of).replace("'", "''")
    return f"CASE WHEN event_date IS NOT NULL THEN concat(year(event_date), '年') ELSE '{fallback}' END"


def year_order(key: str) -> tuple[int, int, str]:
    """Sort key of a 按年度 line: by its year, a line without one (``YEAR_UNKNOWN``) last."""
    digits = re.match(r"\d+", key)
    return (0, int(digits.group()), key) if digits else (1, 0, key)


def article_key(document_short: str, article: str, title: str) -> str:
    """A 按条款 line's name (stream._DIM_SQL builds the same in SQL)."""
    return f"{document_short} 第{article}条 {title}"


def department_key(departments: str | None) -> str:
    """The 按责任单位 line of an item: its departments in one order (区工信局、区科技局 and
    区科技局、区工信局 were two lines for the same pair), 未注明 when it names none."""
    return department_text(departments.split("、")) if departments else "（未注明）"


def department_text(departments: Sequence[str]) -> str:
    """A result row's 责任单位: the benefit's departments in the order of their 按责任单位 line
    (``department_key``), so that a pivot of 结果 ties back to that sheet; blank when it names none."""
    return "、".join(sorted(departments))


def is_unpriced(status: str, money: bool | None, nature: str | None) -> bool:
    """A granted item whose text states no amount (金额性质 未定额支持)."""
    return status == "granted" and not money and nature == "none"


class PayerNames:
    """The payers the rules name for an item, as (role, payer) pairs, named as the evaluators name
    a money item's payers (``huiqi.core.evaluator.payer_name``, the compiled plan's ``hq_payers``):
    for items granted without a stated amount, which have no payer rows, to be counted under them."""

    def __init__(self, library: Library) -> None:
        self._funding = {b.id: b.funding or library.by_id[b.document_id].funding for b in library.benefits.values()}
        self._seen: dict[tuple[str, str, str], tuple[tuple[str, str], ...]] = {}

    def __call__(self, benefit: str, region: str, town: str | None) -> tuple[tuple[str, str], ...]:
        key = (benefit, region, town or "")
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = self._names(*key)
        return found

    def _names(self, benefit: str, region: str, town: str) -> tuple[tuple[str, str], ...]:
        from huiqi.core.evaluator import payer_name

        funding = self._funding.get(benefit)
        if funding is None:
            return (("unspecified", "未明确"),)
        return tuple((s.role, payer_name(s.role, region, town or None, funding)) for s in funding.shares)


def events_after(events: pa.Table, as_of: date) -> int:
    """How many of the accepted events are dated after ``as_of``."""
    import pyarrow.compute as pc

    if events.num_rows == 0:
        return 0
    return int(pc.sum(pc.greater(events.column("date"), pa.scalar(as_of, pa.date32()))).as_py() or 0)


def summarise(
    results: pa.Table,
    payers: pa.Table,
    enterprises: int,
    events: int,
    payer_names: Callable[[str, str, str | None], Iterable[tuple[str, str]]] | None = None,
    places: Mapping[str, tuple[int, bool]] | None = None,
    as_of: date | None = None,
) -> Summary:
    """Totals by document, article, department, payer, town and year (granted money awards), and the
    items granted without a stated amount counted apart (``Totals.unpriced``); ``payer_names``
    (a :class:`PayerNames`) counts those under their payers too; ``places`` (:func:`quota_places`) keeps the
    largest amounts of the items limited in number; ``as_of``, the run's 基准日, dates the yearly
    items for 按年度 (:func:`year_key`)."""
    import pyarrow.compute as pc

    s = Summary(enterprises_evaluated=enterprises, events_evaluated=events)
    limited: dict[tuple[str, int], list[int]] = {}
    s.by = {k: {} for k in DIMENSIONS}
    with_awards: set[str] = set()
    cols = [
        "credit_code",
        "region",
        "town",
        "document_short",
        "article",
        "benefit",
        "benefit_title",
        "department",
        "status",
        "nature",
        "is_money",
        "min_fen",
        "max_fen",
        "event_date",
        "reason_codes",
    ]
    for batch in results.select(cols).to_batches(65_536):
        for code, reg, town, doc, art, benefit, title, dept, status, nature, money, low, high, day, codes in zip(
            *(c.to_pylist() for c in batch.columns), strict=True
        ):
            s.status[status] = s.status.get(status, 0) + 1
            if status == "near_miss" and missing_facts_only(codes):
                s.missing_facts += 1
            if is_unpriced(status, money, nature):
                s.total.unpriced += 1
                for dim, key in _keys(doc, art, title, dept, town, reg, day, as_of).items():
                    s.by[dim].setdefault(key, Totals()).unpriced += 1
                if payer_names is not None:
                    s.add_unpriced(payer_names(benefit, reg, town))
                continue
            if status != "granted" or not money:
                continue
            with_awards.add(code)
            s.total.add(low, high)
            keys = _keys(doc, art, title, dept, town, reg, day, as_of)
            for dim, key in keys.items():
                s.by[dim].setdefault(key, Totals()).add(low, high)
            if day is not None:
                items = s.yearly.setdefault(keys["article"], {})
                items[day.year] = items.get(day.year, 0) + 1
            if places is not None and benefit in places:
                year = day.year if places[benefit][1] and day is not None else 0
                limited.setdefault((benefit, year), []).append(high if high is not None else low)
    townless: dict[str, None] = {}  # in the payer rows' order, the register's
    townless_payers: set[str] = set()
    for batch in payers.select(["credit_code", "town", "role", "payer", "min_fen", "max_fen"]).to_batches(65_536):
        for code, town, role, payer, low, high in zip(*(c.to_pylist() for c in batch.columns), strict=True):
            s.by["payer"].setdefault(payer, Totals()).add(low, high)
            if role == "unspecified":
                s.unsettled_payers.add(payer)
            elif role == "town" and not town:  # the town's share of an enterprise without one: a placeholder payer
                townless[code] = None
                townless_payers.add(payer)
    s.add_townless(len(townless), townless_payers, itertools.islice(townless, TOWNLESS_EXAMPLES))
    s.enterprises_with_awards = len(with_awards)
    s.enterprises_with_results = int(pc.count_distinct(results.column("credit_code")).as_py()) if results.num_rows else 0
    for (benefit, year), amounts in limited.items():
        assert places is not None
        s.keep_top(benefit, year, amounts, places[benefit][0])
    return s


def quota_places(library: Library) -> dict[str, tuple[int, bool]]:
    """benefit → (places, per year) of the items a text limits in number (每年择优支持不超过20个项目)."""
    return {
        b.id: (b.quota.count, b.quota.per == "年")
        for b in library.benefits.values()
        if b.quota is not None and b.quota.bound != "at_least"
    }


def _keys(
    doc: str, art: str, title: str, dept: str | None, town: str | None, reg: str, day: date | None, as_of: date | None
) -> dict[str, str]:
    """An item's line in each summary but 按出资方 (stream._DIM_SQL and year_sql build the same in SQL)."""
    return {
        "document": doc,
        "article": article_key(doc, art, title),
        "department": department_key(dept),
        "town": town or f"（{reg}，未填镇街）",
        "year": year_key(day, as_of),
    }


RESULT_HEADERS = [
    "统一社会信用代码",
    "企业名称",
    "行政区划代码",
    "镇（街道、板块）",
    "政策文件",
    "条款",
    "奖补项编号",
    "奖补项",
    "责任单位",
    "事项编号",
    "事项类型",
    "发生日期",
    "状态",
    "金额性质",
    "最低（元）",
    "最高（元）",
    "原因代码",
    "原因与说明",
]


def article_cell(article: str) -> int | str:
    """条款 as a cell: 8 as a number, so that the column sorts 2 before 10 in Excel; 十五 as printed."""
    return int(article) if article.isascii() and article.isdigit() else article


def _result_rows(results: pa.Table, kinds: Mapping[str, str]) -> Iterable[list[Any]]:
    for batch in results.to_batches(65_536):
        d = {n: batch.column(n).to_pylist() for n in batch.schema.names}
        for i in range(batch.num_rows):
            money = d["is_money"][i]
            status = d["status"][i]
            shown = money and status == "granted"
            yield [
                d["credit_code"][i],
                d["name"][i],
                d["region"][i],
                d["town"][i] or "",
                d["document_short"][i],
                article_cell(d["article"][i]),
                d["benefit"][i],
                d["benefit_title"][i],
                d["department"][i],
                d["event_id"][i] or "（年度）",
                kinds.get(d["event_kind"][i], d["event_kind"][i]) if d["event_kind"][i] else "",  # 采购, not purchase
                d["event_date"][i] or "",  # a date cell in Excel, its ISO text in a CSV file
                status_label(status, d["reason_codes"][i]),
                NATURE_LABELS.get(d["nature"][i] or "", d["nature"][i] or ""),
                yuan_cell(d["min_fen"][i]) if shown else "",
                yuan_cell(d["max_fen"][i]) if shown and d["max_fen"][i] is not None else "",
                d["reason_codes"][i] or "",
                d["reasons"][i] or "",
            ]


PAYER_HEADERS = [
    "统一社会信用代码",
    "企业名称",
    "镇（街道、板块）",
    "政策文件",
    "条款",
    "奖补项编号",
    "奖补项",
    "事项编号",
    "出资层级",
    "出资方",
    "最低（元）",
    "最高（元）",
]
# a payer share's role (PAYER_SCHEMA ``role``) as 出资明细 names it
ROLE_LABELS = {
    "province": "省级",
    "city": "市级",
    "district": "区（县）级",
    "town": "镇（街道）级",
    "unspecified": "未明确分担",
}
PAYER_SHEET = "出资明细"


def _payer_rows(payers: pa.Table, results: pa.Table) -> Iterable[list[Any]]:
    """出资明细: one row per payer share of a granted money item (the payers file's rows), with the
    enterprise's name and the item's document, article and title from its result row; 最高 blank for an
    item without an upper bound, as on 结果 (按出资方 adds its floor to 合计最高)."""
    import pyarrow.compute as pc

    granted = results.filter(pc.equal(results.column("status"), "granted")) if results.num_rows else results
    names: dict[str, str] = {}
    items: dict[str, tuple[str, int | str, str]] = {}
    for batch in granted.select(["credit_code", "name", "benefit", "document_short", "article", "benefit_title"]).to_batches(
        65_536
    ):
        for code, name, benefit, doc, art, title in zip(*(c.to_pylist() for c in batch.columns), strict=True):
            names.setdefault(code, name or "")
            if benefit not in items:
                items[benefit] = (doc or "", article_cell(art) if art else "", title or "")
    for batch in payers.to_batches(65_536):
        d = {n: batch.column(n).to_pylist() for n in batch.schema.names}
        for i in range(batch.num_rows):
            code, benefit, role = d["credit_code"][i], d["benefit"][i], d["role"][i]
            doc, art, title = items.get(benefit, ("", "", ""))
            high = d["max_fen"][i]
            yield [
                code,
                names.get(code, ""),
                d["town"][i] or "",
                doc,
                art,
                benefit,
                title,
                d["event_id"][i] or "（年度）",
                ROLE_LABELS.get(role, role),
                d["payer"][i],
                yuan_cell(d["min_fen"][i]),
                yuan_cell(high) if high is not None else "",
            ]


SUMMARY_NOTE = (
    "金额单位为元，精确到分；“最高”为政策上限，实际金额经审核确定；不设上限的项（金额性质“不低于（不设上限）”，结果表“最高”为空）"
    "按其最低额计入合计最高（实际可能更多）。"
    "“另有金额未定项数”为可享受但原文未定金额的项（金额性质“未定额支持”，如“给予相应补助”“经专题会议研究后予以支持”），"
    "不计入项数和合计金额，单独计数；按出资方计入规则所定的出资方（分担的，各出资方各计一项）。"
    "出资方式“未明确分担”：原文只写按财政体制承担，未定各级财政的分担比例。"
)
TOTAL_HEADERS = ["项数", "合计最低（元）", "合计最高（元）", "其中不设上限项数", "另有金额未定项数"]
PAYER_NOTE = (
    "出资明细：每项可享受资金按出资方分担的金额（如吴中2025第22条由区、镇按4:6分担，一项两行），"
    "按出资方汇总即“按出资方”；未填所在镇的企业，镇级部分计入“属地镇……财政”。"
)
ERROR_HEADERS = ["文件", "工作表", "行", "列", "值", "问题", "是否拒绝该行"]


def _sheets(
    register: Register,
    results: pa.Table,
    summary: Summary,
    kinds: Mapping[str, str] | None = None,
    notes: Sequence[tuple[str, str]] = (),
    overview_of: Callable[[list[list[Any]]], list[list[Any]]] | None = None,
    payers: pa.Table | None = None,
) -> list[tuple[str, list[str], Iterable[list[Any]]]]:
    """The sheets of the results for people; ``kinds``: event kind → its label (事项类型 as 采购);
    ``notes``: rows for 汇总 after the register's name (the web export's filters); ``overview_of``
    reshapes the 汇总 rows (a filtered web export marks which figures are the register's); ``payers``:
    the payer rows, written as 出资明细 after 结果 (none: no such sheet)."""

    def dim(name: str, title: str) -> tuple[str, list[str], Iterable[list[Any]]]:
        if name == "payer":  # whether the text fixes the split between levels (出资方式)
            rows = [[k, summary.payer_split(k), *t.row()] for k, t in summary.ordered(name)]
            return (title, [title.removeprefix("按"), "出资方式", *TOTAL_HEADERS], rows)
        rows = [[k, *t.row()] for k, t in summary.ordered(name)]
        return (title, [title.removeprefix("按"), *TOTAL_HEADERS], rows)

    overview: list[list[Any]] = [
        ["登记表", register.source],
        *[[k, v] for k, v in notes],
        *[
            [f"{label}：读取行数", register.counts[k].read]
            for k, label in (
                ("enterprises", "企业"),
                ("events", "事项"),
                ("qualifications", "资质"),
                ("prior_awards", "已获奖补"),
            )
        ],
        *[
            [f"{label}：拒绝行数", register.counts[k].rejected]
            for k, label in (
                ("enterprises", "企业"),
                ("events", "事项"),
                ("qualifications", "资质"),
                ("prior_awards", "已获奖补"),
            )
        ],
        ["测算企业数", summary.enterprises_evaluated],
        ["测算事项数", summary.events_evaluated],
        ["其中发生日期晚于基准日的事项数", summary.events_after_as_of],
        ["有可享受资金的企业数", summary.enterprises_with_awards],
        *[[f"结果行：{label}", v] for label, v in summary.status_lines()],
        ["可享受资金项数", summary.total.count],
        ["合计最低（元）", yuan_cell(summary.total.min_fen)],
        ["合计最高（元）", yuan_cell(summary.total.max_fen)],
        ["其中不设上限项数", summary.total.unbounded],
        ["另有金额未定项数", summary.total.unpriced],
        ["说明", SUMMARY_NOTE + (PAYER_NOTE if payers is not None else "")],
    ]

    def errors(errs: Sequence[RowError]) -> Iterable[list[Any]]:
        for e in errs:
            yield [
                e.file,
                e.sheet,
                e.row,
                e.column,
                "" if e.value is None else str(e.value),
                e.expected,
                "是" if e.rejected else "否（仅提示）",
            ]

    return [
        ("汇总", ["项目", "值"], overview if overview_of is None else overview_of(overview)),
        ("结果", RESULT_HEADERS, _result_rows(results, kinds or {})),
        *([(PAYER_SHEET, PAYER_HEADERS, _payer_rows(payers, results))] if payers is not None else []),
        dim("document", "按政策文件"),
        dim("article", "按条款"),
        dim("department", "按责任单位"),
        dim("payer", "按出资方"),
        dim("town", "按镇街"),
        dim("year", "按年度"),
        ("问题", ERROR_HEADERS, errors(register.errors)),
    ]


def write_results(
    out: Path,
    register: Register,
    results: pa.Table,
    payers: pa.Table,
    summary: Summary,
    kinds: Mapping[str, str] | None = None,
    notes: Sequence[tuple[str, str]] = (),
    overview_of: Callable[[list[list[Any]]], list[list[Any]]] | None = None,
) -> list[Path]:
    """Write results and summaries (``kinds``: event kind → label, ``notes``: rows for 汇总,
    ``overview_of``: reshapes them, as ``_sheets``), and the payer rows for people: a sheet 出资明细 in
    Excel, ``<name>.出资明细.csv`` beside a CSV (Parquet has ``<name>.payers.parquet``); returns the files
    written."""
    suffix = out.suffix.lower()
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".xlsx":
        for title, n in (("结果", results.num_rows), (PAYER_SHEET, payers.num_rows)):
            if n > EXCEL_MAX_ROWS:
                raise InputError(f"{title}有{n:,}行，超过Excel单表上限{EXCEL_MAX_ROWS:,}行；请改用 --out 结果.parquet 或 .csv")
        return [write_xlsx(out, _sheets(register, results, summary, kinds, notes, overview_of, payers))]
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        pq.write_table(results, out, **parquet_options(results.schema))
        written = [out]
        p = out.with_name(f"{out.stem}.payers.parquet")
        pq.write_table(payers, p, **parquet_options(payers.schema))
        written.append(p)
        for title, header, rows in _sheets(register, results, summary, kinds, notes, overview_of):
            if title == "结果":
                continue
            written.append(_write_csv(out.with_name(f"{out.stem}.{title}.csv"), header, rows))
        return written
    if suffix == ".csv":
        written = []
        for title, header, rows in _sheets(register, results, summary, kinds, notes, overview_of, payers):
            path = out if title == "结果" else out.with_name(f"{out.stem}.{title}.csv")
            written.append(_write_csv(path, header, rows))
        return written
    raise InputError(f"无法识别的结果格式：{out}（支持 .xlsx、.parquet、.csv）")


# A text cell Excel would read as a formula (=HYPERLINK(…) in an enterprise's name sends the
# row's cells to a site when clicked; -1+1, @SUM(…), +cmd too): written after a ' so that Excel
# shows it as text. A number (-5, -0.5) is left as it is.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?([eE][+-]?\d+)?")  # -5, -1,000, -5e3


def _as_text(value: Any) -> Any:
    if type(value) is str and value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def _write_csv(path: Path, header: list[str], rows: Iterable[list[Any]]) -> Path:
    """A CSV sheet for people (UTF-8 with BOM, opened in Excel): text that would start a formula
    is written after a ' (OWASP's CSV injection advice), every other cell as it is."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows([_as_text(v) for v in row] for row in rows)
    return path


ENGINE_LABELS = {"reference": "参考引擎（逐家解释）", "duckdb": "编译引擎（DuckDB）", "spark": "编译引擎（Spark）"}


def run_notes(policy_dir: Path, engine_name: str, as_of: str, full_path: bool = True) -> list[tuple[str, str]]:
    """What a results file says of its run, so that two runs can be told apart (a what-if run on a
    copy of the policies and the bundled run gave workbooks alike): 基准日, engine, policy folder, when.
    Without ``full_path`` (files the web app hands out) the folder is named, not where it is on the server."""
    from datetime import datetime

    from ..policyfile import DEFAULT_POLICY_DIR

    bundled = policy_dir.resolve() == DEFAULT_POLICY_DIR.resolve()
    folder = (str(policy_dir) if full_path else ("" if bundled else policy_dir.name)) + ("（内置政策）" if bundled else "")
    when = datetime.now().isoformat(sep=" ", timespec="seconds")
    return [
        ("基准日", as_of),
        ("测算引擎", ENGINE_LABELS.get(engine_name, engine_name)),
        ("政策文件夹", folder),
        ("生成时间", when),
    ]


def quotas_json(notes: Sequence[tuple[str, str]]) -> dict[str, str]:
    """:func:`quota_notes` as ``huiqi batch --json`` and the web's JSON give them (``quotas``): 按条款 line → text."""
    return {k.removeprefix("名额："): v for k, v in notes}


def quota_notes(library: Library, summary: Summary) -> list[tuple[str, str]]:
    """The articles whose granted items outnumber the places the text allows (武进 第1条 每年择优支持
    不超过15个项目): the totals count every item that qualifies, which the quota will not pay."""
    out = []
    for benefit, (places, per_year) in quota_places(library).items():
        b = library.benefits[benefit]
        assert b.quota is not None
        key = article_key(library.by_id[b.document_id].short, b.article, b.title)
        if per_year:  # a quota per year: each year's items against it (18 items over three years are 6 a year)
            over = sorted((y, n) for y, n in summary.yearly.get(key, {}).items() if n > places)
        else:  # the whole period: year 0, as ``Summary.quota_top`` keeps it
            t = summary.by["article"].get(key)
            over = [(0, t.count)] if t is not None and t.count > places else []
        if over:
            counted = "、".join(f"{f'{y}年' if y else ''}{n:,}项" for y, n in over)
            top = summary.quota_top.get(benefit, {})
            best = "、".join(
                f"{f'{y}年' if y else ''}{format_wan(sum(top[y]))}" for y, _ in over if len(top.get(y, ())) == places
            )
            bound = f"；按名额计至多{best}（金额最高的{places}项之和）" if best else ""
            out.append((f"名额：{key}", f"{b.quota.text()}；符合条件的{counted}均已计入合计，实际以名额为限{bound}"))
    return sorted(out)


# said on a granted row of an item the text awards after review (经评审, 择优): its amount is not yet committed
REVIEW_NOTE = "须经评审，评审通过后方可享受"


def benefit_meta(library: Library) -> pa.Table:
    """One row per benefit: its document, article as printed, title, departments and event kind (for joins in SQL)."""
    return pa.Table.from_pylist(
        [
            {
                "benefit": b.id,
                "document_short": library.by_id[b.document_id].short,
                "article": b.article,
                "benefit_title": b.title,
                "department": department_text(b.department),  # the 按责任单位 line's order
                "event_kind": b.event,
                "review": b.review,  # 经评审: a granted row says so (REVIEW_NOTE)
            }
            for b in library.benefits.values()
        ]
    )
