"""``huiqi batch-diff BASE DRAFT``: what a draft of the policies changes, from two results of
``huiqi batch`` on the same register (a policy designer's what-if: 第8条 5%→8%).

Both results are read in DuckDB (Parquet with its ``.payers.parquet``, or the 结果 and 按出资方 of
a CSV or Excel result) and compared in totals, per enterprise, by payer, town, year, document and
article. Money stays integer fen (DuckDB sums of BIGINT), shown as 元 with two decimals. An item
without an upper bound (不低于) counts its floor in 最高 and is counted apart (不设上限项数), as
``io_write.Totals`` does. The 按条款 lines are not net: 就高不重复 moves an award from one article
to another when the draft raises one of them (``ARTICLE_NOTE``); the totals and the per-enterprise
lines are.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from huiqi.core.money import format_yuan
from huiqi.service import Engine, InputError, os_reason

__all__ = [
    "ARTICLE_NOTE",
    "DIFF_DIMENSIONS",
    "BatchDiff",
    "ResultsFile",
    "Side",
    "add_parser",
    "cmd_batch_diff",
    "diff_results",
    "open_results",
]

ARTICLE_NOTE = (
    "按条款的增减含就高不重复在条款间的转移，只有合计与按企业的增减是净额：草案提高某条的金额后，"
    "同一事项原由另一条享受的奖补改由该条享受，该条的增加中有一部分是另一条的减少，各条款的增减不能相加作为新增成本。"
)
UNIT_NOTE = (
    "金额单位为元，精确到分；“最高”为政策上限；不设上限的项（不低于）按其最低额计入合计最高，并单独计数（不设上限项数）；"
    "只计可享受的资金项，原文未定金额的项（未定额支持）不计入。"
)

DIFF_DIMENSIONS = {
    "payer": "按出资方",
    "town": "按镇街",
    "year": "按年度",
    "document": "按政策文件",
    "article": "按条款",
}

# the columns of a results file (io_write.RESULT_SCHEMA) that the comparison reads
RESULT_COLUMNS = (
    "credit_code",
    "name",
    "region",
    "town",
    "document_short",
    "article",
    "benefit_title",
    "event_date",
    "status",
    "is_money",
    "min_fen",
    "max_fen",
)
PAYER_COLUMNS = ("payer", "min_fen", "max_fen")

# The headers of the 结果 sheet of an Excel or CSV result (io_write.RESULT_HEADERS) the comparison reads
_SHEET_COLUMNS = {
    "统一社会信用代码": "credit_code",
    "企业名称": "name",
    "行政区划代码": "region",
    "镇（街道、板块）": "town",
    "政策文件": "document_short",
    "条款": "article",
    "奖补项": "benefit_title",
    "发生日期": "event_date",
    "金额性质": "nature",
    "最低（元）": "min",
    "最高（元）": "max",
}
_PAYER_SHEET = ("出资方", "项数", "合计最低（元）", "合计最高（元）", "其中不设上限项数")
_FLOOR_LABEL = "不低于（不设上限）"  # io_write.NATURE_LABELS["floor"]

_EXPECTED = (
    "应为 huiqi batch --out 写出的结果：.parquet（及同名的 .payers.parquet）、"
    ".xlsx（含“结果”“按出资方”工作表）或 .csv（及同名的 .按出资方.csv）"
)


# --- reading ------------------------------------------------------------------------


@dataclass(slots=True)
class ResultsFile:
    """One results file of ``huiqi batch``, loaded into DuckDB as ``<name>_rows`` (every result row)
    and ``<name>_pay`` (payer, n, lo, hi, unb: totals per payer); ``notes`` are its 汇总 (基准日, …)."""

    path: Path
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def as_of(self) -> date | None:
        try:
            return date.fromisoformat(self.notes.get("基准日", ""))
        except ValueError:
            return None

    @property
    def enterprises(self) -> int | None:
        text = self.notes.get("测算企业数", "").replace(",", "")
        return int(text) if text.isdigit() else None


def _sibling(path: Path, title: str) -> Path:
    return path.with_name(f"{path.stem}.{title}.csv")


def _read_notes(rows: Iterable[Sequence[Any]]) -> dict[str, str]:
    notes: dict[str, str] = {}
    for row in rows:
        if len(row) >= 2 and row[0] is not None:
            notes[str(row[0])] = "" if row[1] is None else str(row[1])
    return notes


def _read_csv(path: Path) -> list[list[str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return [row for row in csv.reader(fh)]
    except UnicodeDecodeError:
        raise InputError(f"无法读取“{path}”：不是UTF-8编码的CSV文件；{_EXPECTED}") from None
    except OSError as exc:
        raise InputError(f"无法读取“{path}”：{os_reason(exc)}") from None


def _missing(found: Iterable[str], wanted: Iterable[str]) -> list[str]:
    have = set(found)
    return [c for c in wanted if c not in have]


def open_results(con: Any, path: Path, name: str) -> ResultsFile:
    """Load a results file into ``con`` as ``<name>_rows`` and ``<name>_pay``; InputError naming the
    file and what is expected when it is missing, unreadable or not a results file."""
    if not path.exists():
        raise InputError(f"结果文件“{path}”不存在；{_EXPECTED}")
    if path.is_dir():
        raise InputError(f"“{path}”是文件夹，不是结果文件；{_EXPECTED}")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _open_parquet(con, path, name)
    if suffix == ".csv":
        return _open_csv(con, path, name)
    if suffix == ".xlsx":
        return _open_xlsx(con, path, name)
    raise InputError(f"无法识别的结果文件格式“{path}”；{_EXPECTED}")


def _open_parquet(con: Any, path: Path, name: str) -> ResultsFile:
    import pyarrow.parquet as pq

    def columns(p: Path) -> list[str]:
        try:
            return list(pq.read_schema(p).names)
        except OSError as exc:
            raise InputError(f"无法读取“{p}”：{os_reason(exc)}") from None
        except Exception:  # pyarrow's ArrowInvalid: not a Parquet file
            raise InputError(f"无法读取“{p}”：不是Parquet文件；{_EXPECTED}") from None

    missing = _missing(columns(path), RESULT_COLUMNS)
    if missing:
        raise InputError(f"“{path}”不是 huiqi batch 的结果文件：缺少列 {'、'.join(missing)}；{_EXPECTED}")
    payers = path.with_name(f"{path.stem}.payers.parquet")
    if not payers.exists():
        raise InputError(f"缺少出资方文件“{payers}”（huiqi batch --out {path.name} 与结果一同写出）；请把两个文件放在一起")
    missing = _missing(columns(payers), PAYER_COLUMNS)
    if missing:
        raise InputError(f"“{payers}”不是 huiqi batch 的出资方文件：缺少列 {'、'.join(missing)}")
    cols = ", ".join(RESULT_COLUMNS)
    con.execute(f"CREATE TEMP TABLE {name}_rows AS SELECT {cols} FROM read_parquet(?)", [str(path)])
    con.execute(
        f"CREATE TEMP TABLE {name}_pay AS SELECT payer, COUNT(*) AS n, SUM(min_fen) AS lo, "
        "SUM(COALESCE(max_fen, min_fen)) AS hi, COUNT(*) FILTER (WHERE max_fen IS NULL) AS unb "
        "FROM read_parquet(?) GROUP BY payer",
        [str(payers)],
    )
    summary = _sibling(path, "汇总")
    notes = _read_notes(_read_csv(summary)) if summary.exists() else {}
    return ResultsFile(path, notes)


def _fen(path: Path, where: str, value: Any) -> int | None:
    """An amount of 元 as a sheet holds it (a number cell, or its text in a CSV) in integer fen."""
    if value is None or value == "":
        return None
    try:
        cents = Decimal(str(value).replace(",", "")) * 100
    except InvalidOperation:
        raise InputError(f"“{path}”{where}的金额“{value}”不是以元为单位的数") from None
    if cents != cents.to_integral_value():
        raise InputError(f"“{path}”{where}的金额“{value}”不是精确到分的元")
    return int(cents)


def _sheet_tables(con: Any, path: Path, name: str, results: list[list[Any]], payers: list[list[Any]]) -> None:
    """The 结果 and 按出资方 rows of a CSV or Excel result as ``<name>_rows`` and ``<name>_pay``."""
    import pyarrow as pa

    if not results:
        raise InputError(f"“{path}”的结果表为空；{_EXPECTED}")
    header = [str(h) if h is not None else "" for h in results[0]]
    missing = _missing(header, _SHEET_COLUMNS)
    if missing:
        raise InputError(f"“{path}”不是 huiqi batch 的结果：结果表缺少列 {'、'.join(missing)}；{_EXPECTED}")
    at = {col: header.index(h) for h, col in _SHEET_COLUMNS.items()}
    data: dict[str, list[Any]] = {c: [] for c in RESULT_COLUMNS}
    for i, row in enumerate(results[1:], start=2):
        row = [*row, *([None] * (len(header) - len(row)))]

        def cell(col: str, row: list[Any] = row) -> Any:
            v = row[at[col]]
            return None if v == "" else v

        low = _fen(path, f"第{i}行“最低（元）”", cell("min"))
        high = _fen(path, f"第{i}行“最高（元）”", cell("max"))
        day = cell("event_date")
        if isinstance(day, str):
            try:
                day = date.fromisoformat(day[:10])
            except ValueError:
                raise InputError(f"“{path}”第{i}行“发生日期”应为日期YYYY-MM-DD，收到“{day}”") from None
        elif day is not None and hasattr(day, "date"):
            day = day.date()
        granted = low is not None  # io_write shows amounts only on granted money rows
        if granted and high is None and cell("nature") != _FLOOR_LABEL:
            high = low  # pragma: no cover - a sheet edited by hand; io_write always fills 最高 of a bounded item
        for col, value in (
            ("credit_code", cell("credit_code")),
            ("name", cell("name")),
            ("region", cell("region")),
            ("town", cell("town")),
            ("document_short", cell("document_short")),
            ("article", None if cell("article") is None else str(cell("article"))),
            ("benefit_title", cell("benefit_title")),
            ("event_date", day),
            ("status", "granted" if granted else "other"),
            ("is_money", granted),
            ("min_fen", low),
            ("max_fen", high),
        ):
            data[col].append(
                None if value is None else value if col in ("event_date", "is_money", "min_fen", "max_fen") else str(value)
            )
    schema = pa.schema(
        [
            *(pa.field(c, pa.string()) for c in RESULT_COLUMNS[:7]),
            pa.field("event_date", pa.date32()),
            pa.field("status", pa.string()),
            pa.field("is_money", pa.bool_()),
            pa.field("min_fen", pa.int64()),
            pa.field("max_fen", pa.int64()),
        ]
    )
    rows_tbl = pa.table(data, schema=schema)  # noqa: F841 - read by DuckDB by name
    con.execute(f"CREATE TEMP TABLE {name}_rows AS SELECT * FROM rows_tbl")
    if not payers:
        raise InputError(f"“{path}”缺少按出资方汇总；{_EXPECTED}")
    pheader = [str(h) if h is not None else "" for h in payers[0]]
    missing = _missing(pheader, _PAYER_SHEET)
    if missing:
        raise InputError(f"“{path}”的按出资方汇总缺少列 {'、'.join(missing)}；{_EXPECTED}")
    pat = [pheader.index(h) for h in _PAYER_SHEET]
    pay: dict[str, list[Any]] = {"payer": [], "n": [], "lo": [], "hi": [], "unb": []}
    for i, row in enumerate(payers[1:], start=2):
        payer, n, lo, hi, unb = (row[j] if j < len(row) else None for j in pat)
        where = f"按出资方第{i}行"
        pay["payer"].append(str(payer))
        pay["n"].append(int(n or 0))
        pay["lo"].append(_fen(path, where, lo) or 0)
        pay["hi"].append(_fen(path, where, hi) or 0)
        pay["unb"].append(int(unb or 0))
    pay_tbl = pa.table(  # noqa: F841 - read by DuckDB by name
        pay,
        schema=pa.schema(
            [("payer", pa.string()), ("n", pa.int64()), ("lo", pa.int64()), ("hi", pa.int64()), ("unb", pa.int64())]
        ),
    )
    con.execute(f"CREATE TEMP TABLE {name}_pay AS SELECT * FROM pay_tbl")


def _open_csv(con: Any, path: Path, name: str) -> ResultsFile:
    results = _read_csv(path)
    payer_file = _sibling(path, "按出资方")
    if not payer_file.exists() and results and "统一社会信用代码" in results[0]:
        raise InputError(f"缺少出资方汇总“{payer_file}”（huiqi batch --out {path.name} 与结果一同写出）；请把这些文件放在一起")
    payers = _read_csv(payer_file) if payer_file.exists() else []
    _sheet_tables(con, path, name, results, payers)
    summary = _sibling(path, "汇总")
    return ResultsFile(path, _read_notes(_read_csv(summary)) if summary.exists() else {})


def _open_xlsx(con: Any, path: Path, name: str) -> ResultsFile:
    import zipfile

    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except OSError as exc:
        raise InputError(f"无法读取“{path}”：{os_reason(exc)}") from None
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise InputError(f"无法读取“{path}”：不是Excel工作簿（.xlsx）；{_EXPECTED}") from None
    try:
        sheets = {ws.title for ws in wb.worksheets}
        if "结果" not in sheets or "按出资方" not in sheets:
            raise InputError(f"“{path}”不是 huiqi batch 的结果：缺少“结果”或“按出资方”工作表；{_EXPECTED}")

        def rows(title: str) -> list[list[Any]]:
            return [list(r) for r in wb[title].iter_rows(values_only=True)]

        _sheet_tables(con, path, name, rows("结果"), rows("按出资方"))
        notes = _read_notes(rows("汇总")) if "汇总" in sheets else {}
    finally:
        wb.close()
    return ResultsFile(path, notes)


# --- comparing ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Side:
    """Granted money items of one run in a line: count, 最低, 最高 (floors of unbounded items
    counted in), and how many have no upper bound."""

    count: int = 0
    min_fen: int = 0
    max_fen: int = 0
    unbounded: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "min": _yuan(self.min_fen), "max": _yuan(self.max_fen), "unbounded": self.unbounded}


@dataclass(frozen=True, slots=True)
class Line:
    key: str
    base: Side
    draft: Side

    @property
    def diff(self) -> Side:
        b, d = self.base, self.draft
        return Side(d.count - b.count, d.min_fen - b.min_fen, d.max_fen - b.max_fen, d.unbounded - b.unbounded)

    @property
    def changed(self) -> bool:
        return self.base != self.draft

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "base": self.base.to_dict(), "draft": self.draft.to_dict(), "diff": self.diff.to_dict()}


@dataclass(frozen=True, slots=True)
class EnterpriseLine:
    credit_code: str
    name: str
    town: str
    base: Side
    draft: Side

    @property
    def diff(self) -> Side:
        return Line("", self.base, self.draft).diff

    def to_dict(self) -> dict[str, Any]:
        return {
            "credit_code": self.credit_code,
            "name": self.name,
            "town": self.town,
            "base": self.base.to_dict(),
            "draft": self.draft.to_dict(),
            "diff": self.diff.to_dict(),
        }


@dataclass(slots=True)
class BatchDiff:
    base: ResultsFile
    draft: ResultsFile
    total: Line
    enterprises: int  # enterprises in both files
    changed: list[EnterpriseLine]  # every enterprise whose amounts changed, the largest gain first
    gained: int
    lost: int
    by: dict[str, list[Line]]
    warnings: list[str] = field(default_factory=list)


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def _shown(fen: int) -> str:
    """Fen for people: 元 with thousands separators (``_yuan`` is the JSON's plain string)."""
    return format_yuan(fen).removesuffix("元")


def _signed(fen: int) -> str:
    return ("+" if fen > 0 else "") + _shown(fen)


_AGG = (
    "COUNT(*) AS n, COALESCE(SUM(min_fen), 0) AS lo, COALESCE(SUM(COALESCE(max_fen, min_fen)), 0) AS hi, "
    "COUNT(*) FILTER (WHERE max_fen IS NULL) AS unb"
)


_KEYS = {  # the summaries' lines, as io_write._keys and stream._DIM_SQL name them
    "town": "COALESCE(NULLIF(town, ''), concat('（', region, '，未填镇街）'))",
    "document": "document_short",
    "article": "concat(document_short, ' 第', article, '条 ', benefit_title)",
}


def _side(row: Sequence[Any]) -> Side:
    return Side(*(int(v or 0) for v in row))


def _lines(con: Any, base_sql: str, draft_sql: str) -> list[Line]:
    """Lines of (key, n, lo, hi, unb) of both runs, joined on the key."""
    rows = con.execute(
        f"SELECT COALESCE(b.k, d.k) AS k, b.n, b.lo, b.hi, b.unb, d.n, d.lo, d.hi, d.unb "
        f"FROM ({base_sql}) b FULL OUTER JOIN ({draft_sql}) d ON b.k = d.k"
    ).fetchall()
    return [Line(str(r[0]), _side(r[1:5]), _side(r[5:9])) for r in rows]


def _order(dim: str, lines: list[Line]) -> list[Line]:
    if dim == "year":
        import re

        def year(line: Line) -> tuple[int, int, str]:
            m = re.match(r"\d+", line.key)
            return (0, int(m.group()), line.key) if m else (1, 0, line.key)

        return sorted(lines, key=year)
    return sorted(lines, key=lambda ln: (-ln.diff.max_fen, -ln.diff.min_fen, -ln.draft.max_fen, ln.key))


def diff_results(base_path: Path, draft_path: Path, allow_different: bool = False) -> BatchDiff:
    """Compare two results of ``huiqi batch``; InputError when they do not cover the same
    enterprises (another register) unless ``allow_different``."""
    import duckdb

    con = duckdb.connect()
    try:
        base = open_results(con, base_path, "b")
        draft = open_results(con, draft_path, "d")
        return _compare(con, base, draft, allow_different)
    except duckdb.Error as exc:
        raise InputError(f"无法比较“{base_path}”与“{draft_path}”：{str(exc).splitlines()[0]}") from None
    finally:
        con.close()


def _compare(con: Any, base: ResultsFile, draft: ResultsFile, allow_different: bool) -> BatchDiff:
    from .io_write import year_sql  # here, not at import: the CLI starts without pyarrow

    warnings: list[str] = []
    only = {}
    for a, b, label in (("b", "d", "仅在基准结果中"), ("d", "b", "仅在草案结果中")):
        n, examples = con.execute(
            f"SELECT COUNT(*), list(credit_code ORDER BY credit_code)[1:3] FROM "
            f"(SELECT DISTINCT credit_code FROM {a}_rows EXCEPT SELECT DISTINCT credit_code FROM {b}_rows)"
        ).fetchone()
        if n:
            only[label] = (int(n), list(examples))
    counts = (base.enterprises, draft.enterprises)
    if only or (None not in counts and counts[0] != counts[1]):
        parts = [f"{label}{n:,}家（如{'、'.join(ex)}）" for label, (n, ex) in only.items()]
        if None not in counts and counts[0] != counts[1]:
            parts.append(f"测算企业数分别为{counts[0]:,}家与{counts[1]:,}家")
        what = f"“{base.path}”与“{draft.path}”的企业不同：{'；'.join(parts)}"
        if not allow_different:
            raise InputError(
                f"{what}。两份结果应为同一登记表在不同政策下的测算，否则差额含企业名单的差别；"
                "请用同一登记表重新测算（确属同一登记表时可加 --allow-different，缺少的企业按0计）"
            )
        warnings.append(f"{what}；缺少的企业按0计，差额含企业名单的差别")
    if base.as_of != draft.as_of and base.as_of is not None and draft.as_of is not None:
        warnings.append(f"两份结果的基准日不同（{base.as_of}与{draft.as_of}），差额含基准日不同的影响")

    money = "status = 'granted' AND is_money"
    total = _lines(
        con,
        f"SELECT '合计' AS k, {_AGG} FROM b_rows WHERE {money}",
        f"SELECT '合计' AS k, {_AGG} FROM d_rows WHERE {money}",
    )[0]
    by: dict[str, list[Line]] = {}
    for dim in DIFF_DIMENSIONS:
        if dim == "payer":
            lines = _lines(con, "SELECT payer AS k, n, lo, hi, unb FROM b_pay", "SELECT payer AS k, n, lo, hi, unb FROM d_pay")
        else:
            sql = {s: _KEYS.get(dim) or year_sql(f.as_of) for s, f in (("b", base), ("d", draft))}
            lines = _lines(
                con,
                f"SELECT {sql['b']} AS k, {_AGG} FROM b_rows WHERE {money} GROUP BY k",
                f"SELECT {sql['d']} AS k, {_AGG} FROM d_rows WHERE {money} GROUP BY k",
            )
        by[dim] = _order(dim, lines)

    per = (
        "SELECT e.credit_code, e.name, e.town, m.n, m.lo, m.hi, m.unb FROM "
        "(SELECT credit_code, any_value(name) AS name, any_value(COALESCE(NULLIF(town, ''), concat('（', region, '，未填镇街）'))) AS town "
        " FROM {s}_rows GROUP BY credit_code) e "
        "LEFT JOIN (SELECT credit_code, " + _AGG + " FROM {s}_rows WHERE " + money + " GROUP BY credit_code) m "
        "USING (credit_code)"
    )
    rows = con.execute(
        f"SELECT COALESCE(b.credit_code, d.credit_code), COALESCE(d.name, b.name), COALESCE(d.town, b.town), "
        "b.n, b.lo, b.hi, b.unb, d.n, d.lo, d.hi, d.unb "
        f"FROM ({per.format(s='b')}) b FULL OUTER JOIN ({per.format(s='d')}) d USING (credit_code) "
        "WHERE b.n IS DISTINCT FROM d.n OR b.lo IS DISTINCT FROM d.lo OR b.hi IS DISTINCT FROM d.hi "
        "   OR b.unb IS DISTINCT FROM d.unb"
    ).fetchall()
    enterprises = int(
        con.execute("SELECT COUNT(*) FROM (SELECT credit_code FROM b_rows UNION SELECT credit_code FROM d_rows)").fetchone()[0]
    )
    # enterprises evaluated without a result row (no item of any document for them) are in the 汇总's count
    enterprises = max(enterprises, *(n for n in counts if n is not None), 0)
    changed = [EnterpriseLine(str(r[0]), str(r[1] or ""), str(r[2] or ""), _side(r[3:7]), _side(r[7:11])) for r in rows]
    changed = [e for e in changed if e.base != e.draft]  # NULL (no money item) and 0 are the same
    changed.sort(key=lambda e: (-e.diff.max_fen, -e.diff.min_fen, e.credit_code))
    gained = sum(1 for e in changed if (e.diff.max_fen, e.diff.min_fen) > (0, 0))
    lost = sum(1 for e in changed if (e.diff.max_fen, e.diff.min_fen) < (0, 0))
    return BatchDiff(base, draft, total, enterprises, changed, gained, lost, by, warnings)


# --- output -------------------------------------------------------------------------


def _source(f: ResultsFile) -> dict[str, Any]:
    return {
        "file": str(f.path),
        "as_of": f.as_of.isoformat() if f.as_of else None,
        "policies": f.notes.get("政策文件夹"),
        "register": f.notes.get("登记表"),
        "enterprises_evaluated": f.enterprises,
    }


def to_dict(d: BatchDiff, top: int = 10) -> dict[str, Any]:
    """The comparison as ``--json`` gives it: amounts as 元 strings with two decimals."""
    unchanged = d.enterprises - len(d.changed)
    return {
        "base": _source(d.base),
        "draft": _source(d.draft),
        "total": d.total.to_dict() | {"key": None},
        "enterprises": {
            "compared": d.enterprises,
            "gained": d.gained,
            "lost": d.lost,
            "changed_other": len(d.changed) - d.gained - d.lost,
            "unchanged": unchanged,
            "top_gainers": [e.to_dict() for e in d.changed[:top] if (e.diff.max_fen, e.diff.min_fen) > (0, 0)],
            "top_losers": [e.to_dict() for e in reversed(d.changed[-top:]) if (e.diff.max_fen, e.diff.min_fen) < (0, 0)],
        },
        "by": {dim: [ln.to_dict() for ln in d.by[dim]] for dim in DIFF_DIMENSIONS},
        "note": ARTICLE_NOTE,
        "warnings": d.warnings,
    }


def _side_text(s: Side) -> str:
    extra = f"，其中{s.unbounded:,}项不设上限" if s.unbounded else ""
    return f"{s.count:,}项，最低{_shown(s.min_fen)}元，最高{_shown(s.max_fen)}元{extra}"


def _diff_text(s: Side) -> str:
    extra = f"，不设上限项数{s.unbounded:+,}" if s.unbounded else ""
    return f"最高{_signed(s.max_fen)}元，最低{_signed(s.min_fen)}元，项数{s.count:+,}{extra}"


def render_text(d: BatchDiff, top: int = 10) -> str:
    """The comparison for people, in Chinese."""

    def run(label: str, f: ResultsFile) -> str:
        bits = [f"基准日{f.as_of}" if f.as_of else "", f"政策文件夹{f.notes['政策文件夹']}" if f.notes.get("政策文件夹") else ""]
        extra = "，".join(b for b in bits if b)
        return f"{label}：{f.path}" + (f"（{extra}）" if extra else "")

    lines = [run("基准", d.base), run("草案", d.draft)]
    lines += [f"注意：{w}" for w in d.warnings]
    t = d.total
    lines.append("可享受资金合计：")
    lines.append(f"  基准：{_side_text(t.base)}")
    lines.append(f"  草案：{_side_text(t.draft)}")
    lines.append(f"  增减：{_diff_text(t.diff)}")
    other = len(d.changed) - d.gained - d.lost
    lines.append(
        f"按企业（比较{d.enterprises:,}家）：增加{d.gained:,}家，减少{d.lost:,}家，"
        + (f"最高与最低增减方向不同{other:,}家，" if other else "")
        + f"不变{d.enterprises - len(d.changed):,}家"
    )
    gainers = [e for e in d.changed[:top] if (e.diff.max_fen, e.diff.min_fen) > (0, 0)]
    losers = [e for e in reversed(d.changed[-top:]) if (e.diff.max_fen, e.diff.min_fen) < (0, 0)]
    for title, group in (("增加最多", gainers), ("减少最多", losers)):
        if group:
            lines.append(f"  {title}：")
            lines += [
                f"    {e.name}（{e.credit_code}，{e.town}）：最高{_shown(e.base.max_fen)}→{_shown(e.draft.max_fen)}元（{_signed(e.diff.max_fen)}）"
                for e in group
            ]
    for dim, title in DIFF_DIMENSIONS.items():
        moved = [ln for ln in d.by[dim] if ln.changed]
        lines.append(f"{title}（有增减的{len(moved):,}行，共{len(d.by[dim]):,}行）：")
        if dim == "article":
            lines.append(f"  说明：{ARTICLE_NOTE}")
        lines += [
            f"  {ln.key}：最高{_shown(ln.base.max_fen)}→{_shown(ln.draft.max_fen)}元（{_signed(ln.diff.max_fen)}），"
            f"最低{_shown(ln.base.min_fen)}→{_shown(ln.draft.min_fen)}元（{_signed(ln.diff.min_fen)}）"
            + (f"，不设上限项数{ln.base.unbounded}→{ln.draft.unbounded}" if ln.base.unbounded or ln.draft.unbounded else "")
            for ln in moved
        ]
    lines.append(UNIT_NOTE)
    return "\n".join(lines)


_SIDE_HEADERS = ("项数", "最低（元）", "最高（元）", "不设上限项数")


def _headers(first: Sequence[str]) -> list[str]:
    return [
        *first,
        *(f"基准{h}" for h in _SIDE_HEADERS),
        *(f"草案{h}" for h in _SIDE_HEADERS),
        *(f"增减{h}" for h in _SIDE_HEADERS),
    ]


def _cells(*sides: Side) -> list[Any]:
    from .xlsx import Money

    out: list[Any] = []
    for s in sides:
        out += [s.count, Money.from_fen(s.min_fen), Money.from_fen(s.max_fen), s.unbounded]
    return out


def _sheets(d: BatchDiff) -> list[tuple[str, list[str], list[list[Any]]]]:
    from .xlsx import Money

    t = d.total
    overview: list[list[Any]] = [
        ["基准结果", str(d.base.path)],
        ["基准基准日", d.base.as_of.isoformat() if d.base.as_of else ""],
        ["基准政策文件夹", d.base.notes.get("政策文件夹", "")],
        ["草案结果", str(d.draft.path)],
        ["草案基准日", d.draft.as_of.isoformat() if d.draft.as_of else ""],
        ["草案政策文件夹", d.draft.notes.get("政策文件夹", "")],
        *[["注意", w] for w in d.warnings],
        ["比较企业数", d.enterprises],
        ["增加的企业数", d.gained],
        ["减少的企业数", d.lost],
        ["最高与最低增减方向不同的企业数", len(d.changed) - d.gained - d.lost],
        ["不变的企业数", d.enterprises - len(d.changed)],
    ]
    for label, s in (("基准", t.base), ("草案", t.draft), ("增减", t.diff)):
        overview += [
            [f"{label}：可享受资金项数", s.count],
            [f"{label}：合计最低（元）", Money.from_fen(s.min_fen)],
            [f"{label}：合计最高（元）", Money.from_fen(s.max_fen)],
            [f"{label}：其中不设上限项数", s.unbounded],
        ]
    overview += [["说明", UNIT_NOTE], ["按条款", ARTICLE_NOTE]]
    sheets: list[tuple[str, list[str], list[list[Any]]]] = [
        ("汇总", ["项目", "值"], overview),
        (
            "按企业",
            _headers(["统一社会信用代码", "企业名称", "镇（街道、板块）"]),
            [[e.credit_code, e.name, e.town, *_cells(e.base, e.draft, e.diff)] for e in d.changed],
        ),
    ]
    for dim, title in DIFF_DIMENSIONS.items():
        rows = [[ln.key, *_cells(ln.base, ln.draft, ln.diff)] for ln in d.by[dim]]
        if dim == "article":  # the note first, where the reader of the sheet sees it
            rows = [[f"说明：{ARTICLE_NOTE}"], *rows]
        sheets.append((title, _headers([title.removeprefix("按")]), rows))
    return sheets


def write_diff(out: Path, d: BatchDiff) -> list[Path]:
    """The comparison as an Excel workbook (.xlsx), or as CSV files: ``out`` holds 按企业 and
    ``<stem>.<sheet>.csv`` the other sheets, as ``huiqi batch --out x.csv`` writes its summaries."""
    from .io_write import _write_csv
    from .xlsx import MAX_ROWS, write_xlsx

    suffix = out.suffix.lower()
    out.parent.mkdir(parents=True, exist_ok=True)
    sheets = _sheets(d)
    if suffix == ".xlsx":
        if len(d.changed) >= MAX_ROWS:
            raise InputError(f"金额有增减的企业有{len(d.changed):,}家，超过Excel单表上限；请改用 --out 比较.csv")
        return [write_xlsx(out, sheets)]
    written = []
    for title, header, rows in sheets:
        path = out if title == "按企业" else out.with_name(f"{out.stem}.{title}.csv")
        written.append(_write_csv(path, header, rows))
    return written


# --- the command --------------------------------------------------------------------


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "batch-diff", help="比较两次批量测算的结果（如现行政策与政策草案）：合计、按企业、出资方、镇街、年度、文件、条款的增减"
    )
    p.add_argument("base", type=Path, help="基准结果：huiqi batch --out 写出的 .parquet（或 .xlsx、.csv）")
    p.add_argument("draft", type=Path, help="草案结果：同一登记表在草案政策下的结果")
    p.add_argument("--out", type=Path, default=None, help="写出比较：.xlsx 工作簿，或 .csv（按企业，另有同名的各汇总CSV）")
    p.add_argument("--top", type=int, default=10, help="列出增减最多的企业数（默认10）")
    p.add_argument("--allow-different", action="store_true", help="两份结果的企业不同时仍比较（缺少的企业按0计）")
    p.add_argument("--json", action="store_true", help="输出JSON")


def cmd_batch_diff(args: argparse.Namespace, eng: Engine) -> int:
    del eng  # the results carry what is compared; the policies are not read
    if args.top < 0:
        raise InputError(f"--top 应为0或正整数，收到“{args.top}”")
    out: Path | None = args.out
    if out is not None:
        if out.suffix.lower() not in (".xlsx", ".csv"):
            raise InputError(f"无法识别的输出格式：{out}（支持 .xlsx、.csv）")
        for given in (args.base, args.draft):  # nor its summaries beside it (<stem>.汇总.csv, …)
            if out.resolve().with_suffix("") == Path(given).resolve().with_suffix(""):
                raise InputError(f"输出“{out}”会覆盖结果文件“{given}”或其汇总；请换一个文件名")
        if out.is_dir():
            raise InputError(f"输出“{out}”是已有的文件夹；请给出文件名，如 {out / ('比较' + out.suffix.lower())}")
    d = diff_results(args.base, args.draft, args.allow_different)
    written = write_diff(out, d) if out is not None else []
    if args.json:
        data = to_dict(d, args.top) | {"written": [str(p) for p in written]}
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        text = render_text(d, args.top)
        if written:
            text += "\n已写出：" + "、".join(str(p) for p in written)
        print(text)
    return 0
