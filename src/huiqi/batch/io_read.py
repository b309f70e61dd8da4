"""Registers in: enterprises, events, qualifications and prior awards from
Excel, CSV, Parquet, DuckDB or PostgreSQL, validated cell by cell with the
fact catalogue, out as the four canonical tables (pyarrow).

Every cell goes through :func:`huiqi.core.facts.convert`, so a register is
checked exactly like a scenario.  A bad row is reported with file, sheet, row,
column (the Chinese header), value and what is expected; it is left out and
counted, and the good rows go on.  See ``docs/registers.md``.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import difflib
import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pyarrow as pa

from huiqi.core.facts import LEVEL_NAMES, LEVEL_VALUES, Catalogue, FieldSpec, convert, unknown_benefit, unknown_event
from huiqi.core.scenario import Value
from huiqi.core.text import brief
from huiqi.service import InputError, os_reason

from .xlsx import column_letter

__all__ = [
    "SHEETS",
    "Column",
    "Register",
    "RegisterError",
    "RegisterLayout",
    "RowError",
    "canonical_schemas",
    "layout",
    "read_register",
    "read_rows",
]

# Sheet (Excel), file stem (CSV/Parquet) and table (DuckDB/PostgreSQL) names.
SHEETS: dict[str, tuple[str, ...]] = {
    "enterprises": ("企业", "enterprises"),
    "events": ("事项", "events"),
    "qualifications": ("资质", "qualifications"),
    "prior_awards": ("已获奖补", "prior_awards"),
}
SHEET_LABEL = {k: v[0] for k, v in SHEETS.items()}
_SHEET_NAMES = {a.lower(): k for k, v in SHEETS.items() for a in v}
SCALE = 10  # decimal places kept for numbers and rates: DECIMAL(38,10)
MAX_ERRORS_KEPT = 100_000


class RegisterError(InputError):
    """A register that cannot be read at all (missing file, no 企业 sheet …)."""


@dataclass(frozen=True, slots=True)
class Column:
    """One register column: the canonical name, its Chinese header and how to read it."""

    name: str
    header: str
    spec: FieldSpec
    aliases: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()  # event kinds using it (events sheet only)
    specs: Mapping[str, FieldSpec] = field(default_factory=dict)  # per event kind


@dataclass(frozen=True, slots=True)
class RegisterLayout:
    """The register's columns per sheet, derived from the catalogue."""

    sheets: dict[str, tuple[Column, ...]]

    def lookup(self, sheet: str) -> dict[str, tuple[Column, str | None]]:
        """Header text (any accepted spelling) → column and the money unit the header names."""
        out: dict[str, tuple[Column, str | None]] = {}
        for col in self.sheets[sheet]:
            for alias in (col.header, col.name, *col.aliases):
                out[_norm_header(alias)] = (col, None)
            if col.spec.type == "money":
                # the label with its own brackets (当年度产销（销售收入）), its part before them, the aliases
                labels = {col.header.split("（")[0], _without_unit(col.header), *map(_without_unit, col.aliases)}
                for label in labels:
                    for unit in MONEY_UNITS:
                        out[_norm_header(f"{label}（{unit}）")] = (col, unit)
        for col in self.sheets[sheet]:  # the label alone (当年度产销（销售收入）), unless it is another column's header
            suffix = f"（{col.spec.unit}）" if col.spec.unit else ""
            if suffix and _norm_header(col.header).endswith(suffix):
                out.setdefault(_norm_header(col.header)[: -len(suffix)], (col, None))
        return out


MONEY_UNITS = ("元", "万元", "亿元")


def _without_unit(header: str) -> str:
    """A header without the money unit it ends with: 当年度产销（销售收入）（元） → 当年度产销（销售收入）."""
    for unit in MONEY_UNITS:
        if _norm_header(header).endswith(f"（{unit}）"):
            return header[: header.replace("(", "（").rindex("（")]
    return header


def ident(name: str) -> str:
    """A name as an SQL identifier, quoted (a schema named with a " in it is a name, not SQL)."""
    return '"' + name.replace('"', '""') + '"'


PG_NAME_BYTES = 63  # PostgreSQL cuts longer identifiers to this many bytes (at a character boundary)


def pg_cut_headers(lay: RegisterLayout, sheet: str) -> dict[str, str]:
    """A template header longer than PostgreSQL's identifiers, as PostgreSQL cuts it (its first
    63 bytes of UTF-8, at a character boundary) → the header, for the cuts that stand for exactly
    one header (“年度规模奖励是否已按“一事一议”享受同类政策扶持” arrives as its first 21 characters)."""
    cuts: dict[str, list[str]] = {}
    for col in lay.sheets[sheet]:
        raw = col.header.encode()
        if len(raw) > PG_NAME_BYTES:
            cuts.setdefault(raw[:PG_NAME_BYTES].decode("utf-8", "ignore"), []).append(col.header)
    return {cut: headers[0] for cut, headers in cuts.items() if len(headers) == 1}


def _norm_header(text: str) -> str:
    return str(text).strip().replace("(", "（").replace(")", "）").replace(" ", "").replace("\u3000", "").lower()


def _spec(name: str, label: str, type_: str, **kw: Any) -> FieldSpec:
    return FieldSpec(name=name, label=label, type=type_, **kw)


def _header(label: str, spec: FieldSpec) -> str:
    return f"{label}（{spec.unit}）" if spec.unit and spec.type in ("money", "number") else label


# One field under each sheet's own name (the 事项 sheet's event_id is the 已获奖补 sheet's event):
# a header one sheet accepts for it is accepted by the others where it is unambiguous there (below,
# in ``layout``), and otherwise suggested (an ``id`` column in 已获奖补: 是否为“event”（事项编号）？).
SAME_FIELD: tuple[Mapping[str, str], ...] = (
    {"enterprises": "credit_code", "events": "credit_code", "qualifications": "credit_code", "prior_awards": "credit_code"},
    {"events": "event_id", "prior_awards": "event"},
)
CODE_ALIASES = ("企业统一社会信用代码",)


def layout(catalogue: Catalogue) -> RegisterLayout:
    """The register layout for a catalogue (headers, aliases, types)."""
    credit = catalogue.enterprise.get("credit_code") or _spec("credit_code", "统一社会信用代码", "credit_code", required=True)
    ent: list[Column] = []
    for name, spec in catalogue.enterprise.items():
        aliases: tuple[str, ...] = ("企业名称", "单位名称") if name == "name" else ()
        if name == "credit_code":
            aliases = CODE_ALIASES
        if name == "region":
            aliases = ("行政区划代码", "注册地")
        if name == "town":
            aliases = ("所在镇", "镇（街道）", "属地")
        aliases += spec.aliases + tuple(_header(a, spec) for a in spec.aliases)
        ent.append(Column(name, _header(spec.label, spec), spec, aliases))

    ev: list[Column] = [
        Column("credit_code", credit.label, credit, CODE_ALIASES),
        # event: 已获奖补's name for it
        Column("event_id", "事项编号", _spec("event_id", "事项编号", "text"), ("id", "event")),
        Column("kind", "事项类型", _spec("kind", "事项类型", "text", required=True)),
        Column("date", "发生日期", _spec("date", "发生日期", "date", required=True), ("日期",)),
    ]
    merged: dict[str, dict[str, FieldSpec]] = {}
    for kind_name, kind in catalogue.events.items():
        for fname, spec in kind.fields.items():
            merged.setdefault(fname, {})[kind_name] = spec
    for fname, per_kind in merged.items():
        specs = list(per_kind.values())
        first = specs[0]
        types = {s.type for s in specs}
        if len(types) > 1:
            raise RegisterError(f"事实目录中事项字段“{fname}”在不同事项类型中的类型不一致：{'、'.join(sorted(types))}")
        labels = list(dict.fromkeys(s.label for s in specs))
        values = tuple(dict.fromkeys(v for s in specs for v in s.values))
        union = dataclasses.replace(first, label="／".join(labels), values=values, required=False, default=None)
        ev.append(
            Column(
                fname,
                _header("／".join(labels), first),
                union,
                tuple(labels)
                + tuple(_header(lb, first) for lb in labels)
                + tuple(a for s in specs for a in (*s.aliases, *(_header(a, s) for a in s.aliases))),
                tuple(per_kind),
                per_kind,
            )
        )

    qual = [
        Column("credit_code", credit.label, credit, CODE_ALIASES),
        Column("title", "资质名称", _spec("title", "资质名称", "text", required=True), ("称号",)),
        Column("level", "级别", _spec("level", "级别", "text")),
        Column("since", "获得日期", _spec("since", "获得日期", "date", required=True), ("认定日期",)),
        Column("until", "有效期至", _spec("until", "有效期至", "date"), ("截止日期",)),
    ]
    prior = [
        Column("credit_code", credit.label, credit, CODE_ALIASES),
        Column("amount", "金额（元）", _spec("amount", "金额", "money", unit="元", required=True), ("金额",)),
        Column("year", "年度", _spec("year", "年度", "integer", required=True, minimum=Fraction(1990), maximum=Fraction(2100))),
        Column(
            "level",
            "层级",
            _spec("level", "层级", "enum", values=tuple(LEVEL_NAMES.values()) + LEVEL_VALUES, required=True),
        ),
        Column("document", "政策文件", _spec("document", "政策文件", "text")),
        Column("benefit", "奖补项编号", _spec("benefit", "奖补项编号", "text"), ("benefit_id",)),
        # event_id: the 事项 sheet's name for it (huiqi synth writes it), read as the same field here: the
        # column was ignored as unknown, and 就高不重复 topped up against no award received
        Column("event", "事项编号", _spec("event", "事项编号", "text"), ("event_id",)),
        Column("key", "标识（型号、产品等）", _spec("key", "标识", "text"), ("标识",)),
    ]
    return RegisterLayout(
        {"enterprises": tuple(ent), "events": tuple(ev), "qualifications": tuple(qual), "prior_awards": tuple(prior)}
    )


# --- canonical tables ----------------------------------------------------------


def canonical_schemas(catalogue: Catalogue) -> dict[str, pa.Schema]:
    """The four canonical tables, as agreed with the compiled backend (:mod:`huiqi.batch.layout`)."""
    from .layout import arrow_schema
    from .layout import layout as canonical_layout

    lay = canonical_layout(catalogue)
    return {name: arrow_schema(lay.table(name)) for name in SHEETS}


def _to_arrow(value: Value | None, type_: str) -> Any:
    if value is None:
        return None
    if type_ in ("number", "rate") and type(value) is Fraction:
        scaled = value * 10**SCALE
        return Decimal(int(scaled)).scaleb(-SCALE)
    if type_ == "enum_list" and isinstance(value, tuple):
        return list(value)
    return value


# --- errors and results ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    """One bad cell or row: where it is, the value found and what is expected."""

    file: str
    sheet: str
    row: int
    column: str
    value: object
    expected: str
    rejected: bool = True  # False: a column-level notice that rejects no row

    def message(self) -> str:
        shown = "（未填写）" if self.value is None or self.value == "" else f"“{self.value}”"
        col = f"“{self.column}”列" if self.column else ""
        where = f"{self.file}［{self.sheet}］第{self.row}行" if self.row else f"{self.file}［{self.sheet}］"
        if not self.row and not self.column and self.value is None:  # about the sheet itself (none given)
            return f"{where}：{self.expected}"
        return f"{where}{col}：{shown} —— {self.expected}"

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "value": None if self.value is None else str(self.value),
            "expected": self.expected,
            "rejected": self.rejected,
        }


@dataclass(slots=True)
class Counts:
    read: int = 0
    rejected: int = 0

    @property
    def accepted(self) -> int:
        return self.read - self.rejected


@dataclass(slots=True)
class Register:
    """The validated register: canonical tables, errors and counts per sheet."""

    source: str
    tables: dict[str, pa.Table]
    errors: list[RowError]
    counts: dict[str, Counts]
    errors_dropped: int = 0

    @property
    def rows_read(self) -> int:
        return sum(c.read for c in self.counts.values())

    @property
    def rows_rejected(self) -> int:
        return sum(c.rejected for c in self.counts.values())


# --- raw rows from each format ------------------------------------------------------


@dataclass(slots=True)
class RawSheet:
    """Rows of one sheet: the file shown in errors, the header and rows with their row number."""

    file: str
    sheet: str
    header: list[str]
    rows: Iterator[tuple[int, Sequence[Any]]]
    # CSV: a value past the header makes its row bad (usually a comma left unquoted, so that
    # 1,000,000 reads as three values); Excel: cells past the header are no one's and ignored
    strict: bool = False
    # notices about the rows as read (Excel: merged cells read into each of their rows), complete once
    # ``rows`` is read to its end
    notes: list[RowError] = field(default_factory=list)
    # Excel: the first rows after row 1, as read (also in ``rows``), where the header is looked for
    # when row 1 is a title (``_Sheet``); ``header_row`` is the header's row number
    first: list[tuple[int, Sequence[Any]]] = field(default_factory=list)
    header_row: int = 1
    header_note: RowError | None = None  # the notice that the header was found below a title
    # notes naming a column (by its header in row 1), with its index: renamed when the header is found below a title
    note_columns: list[tuple[int, int]] = field(default_factory=list)  # (index in ``notes``, column)


Opener = Callable[[], Iterator[RawSheet]]

HEADER_SEARCH_ROWS = 10  # rows under row 1 where an Excel sheet's header may stand below its title


_ERROR_CELL = re.compile(rb"""\st\s*=\s*["']e["']""")  # a cell holding an error value (#DIV/0! …)
# A formula whose result the file does not hold: no ``<v>`` after it, or an empty one (openpyxl
# writes ``<f>A2*2</f><v />``). Found from its ``<f``; the cell's own tag is looked up behind it.
_UNCACHED_FORMULA = re.compile(rb"<f\b[^>]*?(?:/>|>[^<]*</f>)\s*(<v\s*/>|<v>\s*</v>)?\s*</c>")
_CELL_ATTR = re.compile(rb"""\b(r|t)\s*=\s*["']([^"']*)["']""")
_SCAN_TAIL = 1 << 16  # bytes kept from the last block: a formula (at most 8,192 characters) split by a block's end


@dataclass(slots=True)
class _CellScan:
    """What the worksheets' XML holds that the fast reader cannot read as the cell's value."""

    errors: bool = False  # an error value (#DIV/0! …)
    # worksheet part (xl/worksheets/sheet1.xml) → its formula cells without a saved result
    uncached: dict[str, list[str]] = field(default_factory=dict)
    # worksheet part → a cell with a value in a column past CZ: a reader's grid of the sheet
    # would reach it (``_oversized``)
    wide: dict[str, str] = field(default_factory=dict)
    # worksheet part → its merged ranges (first row, first column, last row, last column; rows from 1,
    # columns from 0)
    merges: dict[str, set[tuple[int, int, int, int]]] = field(default_factory=dict)
    # worksheet part → its hidden rows (from 1)
    hidden: dict[str, set[int]] = field(default_factory=dict)
    # worksheet part → (row, column) → 万 or 亿: number cells whose format shows the number in that unit
    # (自定义格式 0"万元": the cell holds 60 and shows 60万元)
    units: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)


_MERGE = re.compile(rb"""<mergeCell\s+ref\s*=\s*["']\$?([A-Z]{1,3})\$?(\d+):\$?([A-Z]{1,3})\$?(\d+)["']""")


_HIDDEN_ROW = re.compile(rb"""<row\b[^>]*?\bhidden\s*=\s*["'](?:1|true)["'][^>]*>""")
_ROW_NUMBER = re.compile(rb"""\br\s*=\s*["'](\d+)["']""")
_STYLED_CELL = re.compile(rb"""<c\b([^>]*?)\bs\s*=\s*["'](\d+)["']([^>]*)>""")
_CELL_REF = re.compile(rb"""\br\s*=\s*["']\$?([A-Z]{1,3})\$?(\d+)["']""")
_CELL_TYPE = re.compile(rb"""\bt\s*=\s*["'](\w+)["']""")


def _unit_styles(z: Any) -> dict[int, str]:
    """Cell style (``s``) → 万 or 亿, for the number formats that show a number in that unit: 0"万元",
    #,##0.00"亿元". Formats that only *display* a 元 amount in 万 (0!.0000"万元", 0.0,"万": the digits
    moved or scaled) leave the value in 元 and are not counted."""
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(z.read("xl/styles.xml"))
    except (KeyError, ElementTree.ParseError):
        return {}
    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    formats: dict[str, str] = {}
    for f in root.iter(f"{main}numFmt"):
        code = f.get("formatCode", "")
        section = code.split(";")[0]
        words = "".join(re.findall(r'"([^"]*)"', section)) + re.sub(r'"[^"]*"', "", section)
        skeleton = re.sub(r'"[^"]*"', "", section)
        moved = re.search(r"[!\\]\.", skeleton) is not None or re.search(r"[0#],+(?:$|[^0#])", skeleton) is not None
        for unit in ("亿", "万"):
            if unit in words and not moved:
                formats[f.get("numFmtId", "")] = unit
                break
    if not formats:
        return {}
    xfs = root.find(f"{main}cellXfs")
    if xfs is None:
        return {}
    return {i: formats[x.get("numFmtId", "")] for i, x in enumerate(xfs) if x.get("numFmtId", "") in formats}


def _column_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1


def _scan_cells(path: Path) -> _CellScan:
    """The error cells (``<c t="e">``) and the formulas without a saved result in the .xlsx at ``path``.

    The fast reader (calamine) reads an error as a blank cell; openpyxl reads it
    as its text (``#DIV/0!``), which validation then rejects with the cell's
    value. A workbook with error cells is therefore read by openpyxl. A formula
    whose result was never saved (a file written by a program and not opened in
    Excel since) reads as blank in both, so the file is refused (``_uncached_formulas``).
    """
    import zipfile

    found = _CellScan()
    with zipfile.ZipFile(path) as z:
        styles = _unit_styles(z)
        wanted = {str(i).encode() for i in styles}
        for name in z.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            with z.open(name) as fh:
                tail = b""
                while chunk := fh.read(1 << 23):
                    data = tail + chunk
                    if name not in found.wide:
                        refs = _FAR_REF_SINGLE if b"r='" in data else _FAR_REF
                        for ref in refs.finditer(data):  # rare: the cell's value looked at only then
                            far = _FAR_CELL.match(data, max(0, data.rfind(b"<c", 0, ref.start())))
                            if far is not None:
                                found.wide[name] = far.group(1).decode("ascii")
                                break
                    # the expressions only where a quoted e or a formula occurs (a plain search runs at memory speed)
                    if not found.errors and (b'"e"' in data or b"'e'" in data) and _ERROR_CELL.search(data):
                        found.errors = True
                    if b"hidden" in data:
                        for hr in _HIDDEN_ROW.finditer(data):
                            r = _ROW_NUMBER.search(hr.group(0))
                            if r is not None:
                                found.hidden.setdefault(name, set()).add(int(r.group(1)))
                    if wanted:  # number cells in a 万 or 亿 format (rare: only when the workbook has such a format)
                        for sc in _STYLED_CELL.finditer(data):
                            if sc.group(2) not in wanted:
                                continue
                            attrs = sc.group(1) + sc.group(3)
                            kind = _CELL_TYPE.search(attrs)
                            at = _CELL_REF.search(attrs)
                            if at is not None and (kind is None or kind.group(1) == b"n"):
                                found.units.setdefault(name, {})[(int(at.group(2)), _column_index(at.group(1)))] = styles[
                                    int(sc.group(2))
                                ]
                    if b"<mergeCell" in data:  # at the sheet's end; a block's tail may find one twice (a set)
                        for mc in _MERGE.finditer(data):
                            c0, r0, c1, r1 = mc.groups()
                            found.merges.setdefault(name, set()).add((int(r0), _column_index(c0), int(r1), _column_index(c1)))
                    if b"<f" in data:
                        for m in _UNCACHED_FORMULA.finditer(data):
                            if m.end() > len(tail):  # not found in the block before
                                cell = _uncached_cell(data, m)
                                if cell is not None:
                                    found.uncached.setdefault(name, []).append(cell)
                    tail = data[-_SCAN_TAIL:]
    return found


# A cell with a value (<v> or an inline string, after a formula if any) in a column past CZ (104
# columns; a register sheet has about 70): DA…ZZ or three letters. A cell with a style but no
# value is not read, and an Excel sheet has at most 1,048,576 rows, so the grid stays within
# 104 × 1,048,576 cells.
# (a literal prefix, so the search runs at memory speed; a false hit is settled by _FAR_CELL)
_FAR_REF = re.compile(rb'r="(?:[D-Z][A-Z]|[A-Z]{3})[0-9]')
_FAR_REF_SINGLE = re.compile(rb"r='(?:[D-Z][A-Z]|[A-Z]{3})[0-9]")
_FAR_CELL = re.compile(
    rb"<c\b[^>]*?\br\s*=\s*[\"']((?:[D-Z][A-Z]|[A-Z]{3})[0-9]+)[\"'][^>]*(?<!/)>\s*(?:<f\b[^>]*(?:/>|>[^<]*</f>)\s*)?<(?:v|is)\b"
)


def _oversized(path: Path, found: _CellScan) -> None:
    """Refuse a register sheet with a value far to the right of its table: one value at XFD1048576
    made calamine build 16,384 × 1,048,576 cells (512 GiB: the process aborted), so it is named
    instead of read. (A value far below the table costs at most 104 columns a row, as a register
    of that many rows would, and is read as an ordinary row.)"""
    names = _sheet_parts(path)
    for part, cell in found.wide.items():
        sheet = names.get(part, part)
        if sheet_for(sheet) is not None:
            raise RegisterError(
                f"{path}：“{sheet}”工作表在{cell}单元格有内容，超出登记表的列数（最多CZ列）：请删去多余的单元格后再导入"
            )


def _uncached_cell(data: bytes, m: re.Match[bytes]) -> str | None:
    """The reference (B5) of the cell holding the formula ``m``, unless its result is a saved
    empty text (``t="str"`` and ``<v></v>``, as Excel saves ="" )."""
    start = data.rfind(b"<c", 0, m.start())
    attrs: dict[bytes, bytes] = dict(_CELL_ATTR.findall(data[start : m.start()])) if start >= 0 else {}
    if attrs.get(b"t") == b"str" and m.group(1) is not None:
        return None
    return attrs.get(b"r", b"?").decode("ascii", "replace")


def _sheet_parts(path: Path) -> dict[str, str]:
    """Each worksheet's part in the .xlsx (xl/worksheets/sheet1.xml) → the sheet's name."""
    import posixpath
    import zipfile
    from xml.etree import ElementTree

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    try:
        with zipfile.ZipFile(path) as z:
            book = ElementTree.fromstring(z.read("xl/workbook.xml"))
            rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, OSError, zipfile.BadZipFile, ElementTree.ParseError):
        return {}
    targets = {}
    for r in rels:
        target = r.get("Target", "")
        targets[r.get("Id")] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
    return {targets[s.get(f"{rel}id")]: s.get("name", "") for s in book.iter(f"{main}sheet") if s.get(f"{rel}id") in targets}


def _uncached_formulas(path: Path, found: _CellScan) -> None:
    """Refuse the workbook when a register sheet holds formulas whose results it does not save:
    both readers would read each as a blank cell, and the rows would be judged without it.
    (A formula in a sheet of no register table, a summary beside them, is not read at all.)"""
    if not found.uncached:
        return
    names = _sheet_parts(path)
    for part, cells in found.uncached.items():
        sheet = names.get(part, part)
        if sheet_for(sheet) is not None:
            shown = "、".join(cells[:5]) + ("等" if len(cells) > 5 else "")
            raise RegisterError(
                f"{path}：“{sheet}”工作表有{len(cells)}个公式单元格没有保存计算结果（{shown}），读不出它们的值。"
                "这种文件多由程序生成、之后没有在Excel中打开保存过：请用Excel或WPS打开，保存后再导入"
            )


def _register_sheets(path: Path, sheet_names: Sequence[str]) -> Iterator[str]:
    """The workbook's sheets of the register, in the order of ``SHEETS``; the 企业 sheet is required."""
    names: dict[str, list[str]] = {}
    for n in sheet_names:  # "事项 " and "Events" name sheets too
        names.setdefault(n.strip().lower(), []).append(n)
    for key, aliases in SHEETS.items():
        found = [n for a in aliases for n in names.get(a.lower(), [])]
        if len(found) > 1:  # reading either would drop the other
            shown = "、".join(f"“{n}”" for n in found)
            raise RegisterError(
                f"{path}：{SHEET_LABEL[key]}表有{len(found)}个工作表（{shown}）；每张表只能有一个工作表，请合并或删去多余的"
            )
        sheet_name = found[0] if found else None
        if sheet_name is not None:
            yield sheet_name
        elif key == "enterprises":
            raise RegisterError(f"{path}：找不到“企业”工作表（现有：{'、'.join(sheet_names)}）")


def _xlsx(path: Path) -> Iterator[RawSheet]:
    """The sheets of an .xlsx register, read by calamine (Rust): about 5× faster than openpyxl.

    Values come as openpyxl gives them, so validation and its messages do not
    depend on the reader: blanks are ``None``, whole numbers ``int``, dates
    ``datetime``. Workbooks with error cells are read by openpyxl (``_xlsx_openpyxl``).
    """
    import zipfile
    import zlib
    from concurrent.futures import ThreadPoolExecutor

    try:
        from python_calamine import CalamineError, CalamineWorkbook
    except ImportError:  # an installation without the fast reader: the slow one gives the same rows
        found: _CellScan | None = None
        with contextlib.suppress(zipfile.BadZipFile, OSError, ValueError):  # openpyxl says why it cannot read it
            found = _scan_cells(path)
            _oversized(path, found)
            _uncached_formulas(path, found)
        yield from _xlsx_openpyxl(path, found)
        return
    unreadable = (CalamineError, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError, ValueError)
    # The error-cell scan runs while calamine parses the first sheet (both leave the GIL: on
    # a 125 MB workbook the scan's 3.8 s were hidden behind the parsing); it is waited for
    # before a row is given out, and a workbook with error cells goes to openpyxl whole.
    with ThreadPoolExecutor(max_workers=1) as pool:
        scan = pool.submit(_scan_cells, path)
        checked: list[_CellScan] = []  # the scan, once its formulas were checked (asked again at each sheet)

        def has_errors() -> bool:
            if not checked:
                try:
                    found = scan.result()
                    _oversized(path, found)  # these read the sheets' parts again: a damaged one fails here
                    _uncached_formulas(path, found)
                except RegisterError:  # their own words (a cell far out, formulas without values)
                    raise
                except unreadable as exc:  # not a zip, or a damaged part: the scan's words, as when it ran first
                    raise RegisterError(f"无法读取Excel文件{path}：{_unreadable(exc)}") from None
                checked.append(found)
            return checked[0].errors

        try:
            wb = CalamineWorkbook.from_path(str(path))
        except unreadable as exc:
            if has_errors():
                wb = None
            else:
                raise RegisterError(f"无法读取Excel文件{path}：{_unreadable(exc)}") from None
        if wb is not None:
            try:
                for sheet_name in _register_sheets(path, wb.sheet_names):
                    # the scan first: a sheet whose grid calamine cannot hold is refused before it is parsed
                    if has_errors():
                        break
                    try:
                        sheet = wb.get_sheet_by_name(sheet_name)
                    except CalamineError as exc:
                        raise RegisterError(f"无法读取Excel文件{path}的“{sheet_name}”工作表：{_unreadable(exc)}") from None
                    raw = _raw_sheet(path, sheet_name, _calamine_rows(sheet), _sheet_xml(path, checked[0], sheet_name))
                    if raw is not None:
                        yield raw
                else:
                    return
            finally:
                wb.close()
    yield from _xlsx_openpyxl(path, checked[0] if checked else None)


def _unreadable(exc: BaseException) -> str:
    """Why a workbook could not be opened, in Chinese (the readers' own words are English)."""
    import zipfile
    import zlib

    if isinstance(exc, OSError) and not isinstance(exc, zipfile.BadZipFile):
        return os_reason(exc)
    text = str(exc).lower()
    corrupt = "工作簿内容已损坏（压缩数据无法解开，可能下载或复制不完整）；请用Excel打开后另存为.xlsx，或重新获取文件"
    if isinstance(exc, (zlib.error, EOFError, NotImplementedError)) or "decompress" in text or "crc" in text:
        return corrupt
    if isinstance(exc, zipfile.BadZipFile) or "zip" in text:
        return "文件内容不是Excel工作簿（.xlsx应为zip压缩包）：可能只改了扩展名、是旧版.xls，或文件不完整（下载或复制中断）"
    return "工作簿内容已损坏，Excel格式无法识别；请用Excel打开后另存为.xlsx再试"


def column_name(header: Sequence[str], c: int) -> str:
    """Column ``c`` as a message names it: its header, or its letter where the header is blank."""
    return header[c] if c < len(header) and header[c].strip() else column_letter(c)


def _calamine_rows(sheet: Any) -> Iterator[list[Any]]:
    """A calamine sheet's rows, each cell as openpyxl reads it. Rows come from the sheet's
    row 1 and cells from its first used column, so the columns before it are added."""
    lead: list[Any] = [None] * (sheet.start[1] if sheet.start else 0)
    for row in sheet.iter_rows():
        # text inline (most cells are blank text, ''), the rest by a call
        yield lead + [(v or None) if type(v) is str else _openpyxl_value(v) for v in row]


def _openpyxl_value(v: Any) -> Any:
    """A calamine cell other than text as openpyxl reads it (``data_only``)."""
    t = type(v)
    if t is float:
        return int(v) if v.is_integer() and abs(v) < 2**53 else v
    if t is date:
        return datetime(v.year, v.month, v.day)
    return v


def _raw_sheet(path: Path, sheet_name: str, it: Iterator[Sequence[Any]], xml: _SheetXml | None = None) -> RawSheet | None:
    """A sheet whose rows ``it`` gives from row 1 (the header); ``None`` for an empty sheet.

    What the cells alone do not say, from the worksheet's XML (``xml``), each with a notice:
    a cell merged down a column below the header (所在镇（街道、板块） 木渎镇 over rows 2–4) holds its
    value in its first row only, and the readers give the others blank: it is read into every
    row of the range, as the officer sees it (other merges are read as they are); a number
    shown in 万 or 亿 by its format (0"万元": 60 shown as 60万元) is read as 60万; hidden rows
    are read as any other."""
    header_row = next(it, None)
    if header_row is None:
        return None
    header = ["" if h is None else str(h) for h in header_row]
    xml = xml or _SheetXml()
    down = sorted((r0, c, r1) for r0, c, r1, c1 in xml.merges if c == c1 and r1 > r0 >= 2)
    unit_cols: dict[int, list[tuple[int, str]]] = {}
    for (r, c), unit in sorted(xml.units.items()):
        if r >= 2:
            unit_cols.setdefault(r, []).append((c, unit))
    told_units: set[int] = set()
    hidden_seen: list[int] = []

    raw = RawSheet(path.name, sheet_name, header, iter(()))

    def note(n: int, c: int, value: Any, said: str) -> None:
        raw.note_columns.append((len(raw.notes), c))
        raw.notes.append(RowError(path.name, sheet_name, n, column_name(header, c), value, said, rejected=False))

    def rows() -> Iterator[tuple[int, Sequence[Any]]]:  # numbered as in Excel, without the blank ones
        filling: dict[int, tuple[int, Any]] = {}  # column → (last row, value) of a merge being read
        starts: dict[int, list[tuple[int, int]]] = {}
        for r0, c, r1 in down:
            starts.setdefault(r0, []).append((c, r1))
        for n, row in enumerate(it, start=2):
            if filling:
                row = list(row)
                for c, (last, value) in list(filling.items()):
                    if n > last:
                        del filling[c]
                    elif c < len(row) and (row[c] is None or row[c] == ""):
                        row[c] = value
                    elif c >= len(row):
                        row.extend([None] * (c - len(row)) + [value])
            for c, r1 in starts.get(n, ()):
                value = row[c] if c < len(row) else None
                if value is not None and str(value).strip():
                    filling[c] = (r1, value)
                    ref = f"{column_letter(c)}{n}:{column_letter(c)}{r1}"
                    note(n, c, value, f"合并单元格{ref}：按首格的值读入第{n}至{r1}行（请核实各行是否确为此值）")
            for c, unit in unit_cols.get(n, ()):
                value = row[c] if c < len(row) else None
                if type(value) in (int, float):
                    row = list(row)
                    shown_value = value if type(value) is int else float(f"{value:.15g}")  # as _plain reads a number
                    row[c] = f"{shown_value}{unit}"  # as it is shown: 60万, read in 万 whatever the header's unit
                    if c not in told_units:
                        told_units.add(c)
                        said = f"单元格格式将数字显示为{unit}元（{column_letter(c)}{n}显示为{value}{unit}元），本列此类单元格均按{unit}元读入"
                        note(n, c, value, said)
            if any(v is not None and str(v).strip() for v in row):
                if n in xml.hidden:
                    hidden_seen.append(n)
                yield n, row
        if hidden_seen:
            listed = "、".join(map(str, hidden_seen[:10])) + ("等" if len(hidden_seen) > 10 else "")
            said = f"第{listed}行在Excel中为隐藏行（共{len(hidden_seen)}行），已照常读入测算；如不应测算，请删去这些行"
            raw.notes.append(RowError(path.name, sheet_name, hidden_seen[0], "（整行）", None, said, rejected=False))

    found = rows()
    raw.first = list(itertools.islice(found, HEADER_SEARCH_ROWS))
    raw.rows = itertools.chain(raw.first, found)
    return raw


@dataclass(frozen=True, slots=True)
class _SheetXml:
    """What the scan of one worksheet's XML found that its rows do not carry (``_CellScan``)."""

    merges: set[tuple[int, int, int, int]] = field(default_factory=set)
    hidden: set[int] = field(default_factory=set)
    units: dict[tuple[int, int], str] = field(default_factory=dict)


def _sheet_xml(path: Path, scan: _CellScan | None, sheet_name: str) -> _SheetXml:
    """The merged ranges, hidden rows and 万/亿-formatted cells of the sheet named ``sheet_name``."""
    if scan is None or not (scan.merges or scan.hidden or scan.units):
        return _SheetXml()
    part = {name: part for part, name in _sheet_parts(path).items()}.get(sheet_name, "")
    return _SheetXml(scan.merges.get(part, set()), scan.hidden.get(part, set()), scan.units.get(part, {}))


def _xlsx_openpyxl(path: Path, scan: _CellScan | None = None) -> Iterator[RawSheet]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise RegisterError(f"无法读取Excel文件{path}：{_unreadable(exc)}") from None
    try:
        for sheet_name in _register_sheets(path, wb.sheetnames):
            raw = _raw_sheet(path, sheet_name, wb[sheet_name].iter_rows(values_only=True), _sheet_xml(path, scan, sheet_name))
            if raw is not None:
                yield raw
    finally:
        wb.close()


_CSV_BLOCK = 1 << 20  # bytes read at a time


# What a pass over a CSV file found, for the last few files, by path, size and modification
# time: counting the lines for the chunks, staging and the Python reader share one pass.
_SEEN: dict[tuple[str, str, int, int], Any] = {}


def _seen(what: str, path: Path, find: Callable[[Path], Any]) -> Any:
    st = path.stat()
    key = (what, str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _SEEN:
        _SEEN[key] = find(path)
        while len(_SEEN) > 16:
            del _SEEN[next(iter(_SEEN))]
    return _SEEN[key]


def _csv_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as UTF-8, else GB18030."""
    return str(_seen("encoding", path, _find_encoding))


def _find_encoding(path: Path) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as fh:
                while block := fh.read(_CSV_BLOCK):
                    decoder.decode(block)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    where = ""
    bad = _bad_utf8_byte(path)  # the file is most often UTF-8 with a stray byte: say where
    if bad is not None:
        with path.open("rb") as fh:
            head = fh.read(bad + 1)
        line = head.count(b"\n", 0, bad) + 1
        where = f"；第{line}行有不是UTF-8的字节（文件第{bad + 1}个字节：0x{head[bad:].hex().upper()}）"
    raise RegisterError(f"{path}：无法识别文件编码（应为UTF-8或GB18030）{where}；请用UTF-8另存此文件")


def _bad_utf8_byte(path: Path) -> int | None:
    """The offset of the first byte of ``path`` that is not UTF-8."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    done = 0  # bytes decoded before ``block``
    block = b""
    try:
        with path.open("rb") as fh:
            while block := fh.read(_CSV_BLOCK):
                decoder.decode(block)
                done += len(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:  # exc.object: the bytes the decoder held, then ``block``
        return done - (len(exc.object) - len(block)) + exc.start
    return None


# The line breaks of str.splitlines() besides \n, \r and \r\n, and NUL: one byte each in
# UTF-8 and GB18030, where no byte of a longer character is below 0x30 (nor \n or \r,
# so lines are counted on the bytes); and those longer than a byte, per encoding.
_NARROW_BREAKS = (b"\x00", b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e")
_WIDE_BREAKS = {  # U+0085, U+2028 and U+2029, each a regular expression with a literal prefix (searched fast)
    "utf-8": (re.compile(b"\xc2\x85"), re.compile(b"\xe2\x80[\xa8\xa9]")),
    "gb18030": (re.compile(b"\x810\x815"), re.compile(b"\x816\xa6[56]")),
}


@dataclass(frozen=True, slots=True)
class CsvLines:
    """A CSV file's lines as ``_csv_lines`` splits them (``str.splitlines()``), counted on its
    bytes, and whether it is ``plain`` so far: no NUL and no one-byte line break but \n and \r
    (``csv_breaks`` looks for the longer ones). Not plain: ``lines`` counts \n, \r and \r\n only."""

    lines: int
    plain: bool


def csv_lines(path: Path) -> CsvLines:
    """Count ``path``'s lines in one pass over its bytes (remembered while its size and
    modification time stay the same, so the chunk count and the reader share one pass)."""
    found: CsvLines = _seen("lines", path, _count_lines)
    return found


def _count_lines(path: Path) -> CsvLines:
    breaks = 0
    plain = True
    last = b""  # the file's last byte so far
    with path.open("rb") as fh:
        while block := fh.read(_CSV_BLOCK):
            breaks += block.count(b"\n")
            if b"\r" in block:
                breaks += block.count(b"\r") - block.count(b"\r\n")
            if last == b"\r" and block[:1] == b"\n":  # a \r\n across two blocks
                breaks -= 1
            if plain and any(b in block for b in _NARROW_BREAKS):
                plain = False
            last = block[-1:]
    lines = breaks + (1 if last and last not in b"\r\n" else 0)  # a last line without a break
    return CsvLines(lines, plain)


def csv_breaks(path: Path, encoding: str) -> bool:
    """Whether ``path``, read in ``encoding`` (``utf-8`` or ``gb18030``), holds a line break
    of more than one byte (U+0085, U+2028, U+2029). The bytes are searched, so a match
    across two characters (possible in GB18030) only makes the answer cautious."""
    tail = b""
    with path.open("rb") as fh:
        while block := fh.read(_CSV_BLOCK):
            joined = tail + block
            if any(p.pattern[:1] in joined and p.search(joined) for p in _WIDE_BREAKS[encoding]):  # the lead byte first
                return True
            tail = block[-3:]
    return False


def _csv_lines(path: Path, encoding: str, block: int = _CSV_BLOCK) -> Iterator[str]:
    """The file's text split as ``str.splitlines()`` splits it, read ``block`` bytes at a
    time, so that a register is never held whole in memory. The last line of a block may
    go on in the next (or be a ``\\r`` whose ``\\n`` comes next): it waits for the next block."""
    decoder = codecs.getincrementaldecoder(encoding)()
    rest = ""
    with path.open("rb") as fh:
        while data := fh.read(block):
            text = rest + decoder.decode(data)
            ends = text.splitlines(keepends=True)
            rest = ends[-1] if ends else ""
            yield from text[: len(text) - len(rest)].splitlines()
    yield from (rest + decoder.decode(b"", final=True)).splitlines()


def _csv_file(path: Path, sheet: str) -> RawSheet:
    lines = _csv_lines(path, _csv_encoding(path))
    first = next(lines, None)
    # GB18030's byte order mark (84 31 95 33) reads as U+FEFF: not part of the first cell
    # (UTF-8's is dropped by the utf-8-sig codec); Arrow's reader drops both
    head = [] if first is None else [first.removeprefix("\ufeff")]
    reader = csv.reader(itertools.chain(head, lines))

    def unreadable(exc: csv.Error) -> RegisterError:
        # the only error of the reader's dialect, but for a cell too long
        why = f"单元格超过{csv.field_size_limit()}个字符，可能是某个引号没有结束" if "field limit" in str(exc) else str(exc)
        return RegisterError(f"{path.name}第{reader.line_num}行：无法按CSV读取（{why}）")

    try:
        header = next(reader, [])
    except csv.Error as exc:
        raise unreadable(exc) from None

    def rows() -> Iterator[tuple[int, Sequence[Any]]]:
        try:
            for n, row in enumerate(reader, start=2):
                if "".join(row).strip():  # some cell is not blank
                    yield n, row
        except csv.Error as exc:
            raise unreadable(exc) from None

    return RawSheet(path.name, sheet, header, rows(), strict=True)


def folder_format(folder: Path) -> str | None:
    """ ".parquet" or ".csv": the kind of the register's files in ``folder`` (named as sheets, in any
    case), else of any file there (so that the reader says which sheet is missing); ``None`` for
    neither. Sheets in both kinds refuse the folder: reading one kind would drop the other."""
    files = [p for p in folder.iterdir() if p.suffix.lower() in (".parquet", ".csv")]
    kinds = {p.suffix.lower() for p in files if sheet_for(p.stem) is not None}
    if len(kinds) > 1:
        raise RegisterError(f"{folder}：文件夹中既有CSV又有Parquet的登记表文件；请只保留一种格式")
    for kind in (".parquet", ".csv"):
        if kind in kinds or (not kinds and any(p.suffix.lower() == kind for p in files)):
            return kind
    return None


def _find_files(folder: Path, suffix: str) -> dict[str, Path]:
    """The register's files in ``folder``, per sheet: the file named by one of the sheet's names
    (企业.csv or enterprises.csv; the English name and the suffix in any case, as Windows
    writes them). Two files for one sheet refuse the register: reading either would drop the other."""
    found: dict[str, list[Path]] = {}
    for p in sorted(folder.iterdir()) if folder.is_dir() else ():
        key = sheet_for(p.stem) if p.suffix.lower() == suffix else None
        if key is not None and p.is_file():
            found.setdefault(key, []).append(p)
    for key, paths in found.items():
        if len(paths) > 1:
            shown = "、".join(p.name for p in paths)
            raise RegisterError(
                f"{folder}：{SHEET_LABEL[key]}表有{len(paths)}个文件（{shown}）；每张表只能有一个文件，请合并或删去多余的"
            )
    if "enterprises" not in found:
        raise RegisterError(f"{folder}：找不到企业表（应有 enterprises{suffix} 或 企业{suffix}）")
    return {key: found[key][0] for key in SHEETS if key in found}  # in the sheets' order, as before


def _csv(folder: Path) -> Iterator[RawSheet]:
    for key, path in _find_files(folder, ".csv").items():
        yield _csv_file(path, SHEET_LABEL[key])


def pylist(column: pa.Array) -> list[Any]:
    """A column's Python values. A date or time Python cannot hold (year 10183, DuckDB's
    infinity) is given as Arrow's text of it, which validation refuses as no date; the
    column's other values stay dates."""
    try:
        values: list[Any] = column.to_pylist()
        return values
    except (OverflowError, ValueError):
        if not pa.types.is_temporal(column.type):
            raise
        import pyarrow.compute as pc

        text = pc.cast(column, pa.string())
        out: list[Any] = []
        for i in range(len(column)):
            try:
                out.append(column[i].as_py())
            except (OverflowError, ValueError):
                out.append(text[i].as_py())
        return out


def _arrow_rows(batches: Iterable[pa.RecordBatch], start: int = 2) -> Iterator[tuple[int, Sequence[Any]]]:
    n = start
    for batch in batches:
        cols = [pylist(c) for c in batch.columns]
        for values in zip(*cols, strict=True):
            yield n, values
            n += 1


# What DuckDB and pyarrow say of a file they cannot open, in words for the person who gave it
_UNREADABLE = (
    (
        ("magic bytes", "too small to be a Parquet file", "file size is 0 bytes"),
        "不是有效的Parquet文件（可能已损坏、未写完，或是改了扩展名的其他文件）",
    ),
    (("not a valid DuckDB database file",), "不是DuckDB数据库文件（可能已损坏，或是改了扩展名的其他文件）"),
    (("Could not set lock", "Conflicting lock"), "正被其他程序打开（如DuckDB命令行）；请关闭后重试"),
)


def unreadable(what: str, path: str | Path, exc: BaseException) -> RegisterError:
    """A Parquet or DuckDB file that cannot be opened: the reason in Chinese where it is a known one,
    else the library's own first line (without DuckDB's echo of the query)."""
    text = str(exc)
    reason = next((zh for needles, zh in _UNREADABLE if any(n in text for n in needles)), None)
    if reason is None:
        reason = re.sub(r"^[A-Za-z ]+ Error: ", "", text.split("\n")[0]).strip()
    return RegisterError(f"无法读取{what}{path}：{reason}")


def check_parquet_types(path: Path, schema: pa.Schema) -> None:
    """Refuse a Parquet file with a duration column: no register column is one, and DuckDB reads
    it as its count of units (1000 s → 1000) where pyarrow gives a timedelta, so the two engines
    would read different values."""
    for f in schema:
        if pa.types.is_duration(f.type):
            raise RegisterError(f"无法读取Parquet文件{path.name}：“{f.name}”列是时长（duration）类型；请改为数值、日期或文本")
        if pa.types.is_timestamp(f.type) and f.type.tz is not None and not known_zone(str(f.type.tz)):
            raise unknown_zone(path, f.name, str(f.type.tz))


UTC_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})")


def known_zone(zone: str) -> bool:
    """A timestamp column's time zone that the Python reader can date in: a fixed offset (+08:00) or a named zone."""
    from zoneinfo import ZoneInfo

    if UTC_OFFSET.fullmatch(zone):
        return True
    try:
        ZoneInfo(zone)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError; a malformed key a ValueError
        return False
    return True


def unknown_zone(path: Path, column: str, zone: str) -> RegisterError:
    return RegisterError(
        f"无法读取Parquet文件{path.name}：“{column}”列的时区“{zone}”无法识别；请改为日期，或Asia/Shanghai、+08:00等时区"
    )


def _parquet(folder: Path) -> Iterator[RawSheet]:
    import pyarrow.parquet as pq

    for key, path in _find_files(folder, ".parquet").items():
        try:
            pf = pq.ParquetFile(path)
        except Exception as exc:
            raise unreadable("Parquet文件", path, exc) from None
        check_parquet_types(path, pf.schema_arrow)
        header = list(pf.schema_arrow.names)
        # Parquet has no header row: row numbers count data rows from 1.
        yield RawSheet(path.name, SHEET_LABEL[key], header, _arrow_rows(pf.iter_batches(batch_size=65_536), start=1))


def register_tables(tables: set[str], shown: str, schema: str) -> list[tuple[str, str]]:
    """(sheet key, table name) of the register tables found among a schema's ``tables``.

    Each sheet may be named in English or Chinese (``enterprises`` or ``企业`` …); the
    enterprise table is required.
    """
    found = []
    for key, aliases in SHEETS.items():
        names = [a for a in aliases if a in tables]
        if not names:
            if key == "enterprises":
                raise RegisterError(f"{shown}：模式{schema}中找不到企业表（enterprises 或 企业）")
            continue
        if len(names) > 1:  # reading either would drop the other
            raise RegisterError(
                f"{shown}：模式{schema}中{SHEET_LABEL[key]}表有两张（{'、'.join(names)}）；每张表只能有一张，请合并或删去多余的"
            )
        found.append((key, names[0]))
    return found


def _duckdb(path: Path, schema: str | None) -> Iterator[RawSheet]:
    import duckdb

    try:
        con = duckdb.connect(str(path), read_only=True)
    except Exception as exc:
        raise unreadable("DuckDB文件", path, exc) from None
    try:
        sch = schema or "main"
        tables = {
            r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [sch]).fetchall()
        }
        for _key, name in register_tables(tables, str(path), sch):
            rel = con.sql(f"SELECT * FROM {ident(sch)}.{ident(name)}")  # a schema named to close a quote ran as SQL
            header = list(rel.columns)
            reader = rel.to_arrow_reader(65_536)
            yield RawSheet(path.name, f"{sch}.{name}", header, _arrow_rows(reader, start=1))
    finally:
        con.close()


def _postgres(dsn: str, schema: str | None) -> Iterator[RawSheet]:
    import psycopg

    from .io_pg import connect, find_tables, read_failed

    shown = hide_password(dsn)
    conn = connect(dsn)  # a timeout, China time, dates Python cannot hold as their text (huiqi.batch.io_pg)
    sch = schema or "public"
    try:
        with conn.cursor() as cur:
            found = find_tables(cur, shown, sch)
        for key, name in found:
            table = f"{sch}.{name}"
            try:
                cur = conn.cursor(name=f"huiqi_{key}")
                cur.itersize = 10_000
                cur.execute(f"SELECT * FROM {ident(sch)}.{ident(name)}".encode())
                first = cur.fetchmany(1)
            except psycopg.Error as exc:
                raise read_failed(shown, exc, table) from None
            header = [d.name for d in cur.description or ()]

            def rows(cur: Any = cur, first: list[Any] = first, table: str = table) -> Iterator[tuple[int, Sequence[Any]]]:
                n = 1
                for row in first:
                    yield n, row
                    n += 1
                try:
                    for row in cur:
                        yield n, row
                        n += 1
                    cur.close()
                except psycopg.Error as exc:  # the server gone mid-read (AdminShutdown …): nothing is written
                    raise read_failed(shown, exc, table) from None

            yield RawSheet(shown, table, header, rows())
    finally:
        conn.close()


def database_source(where: str, schema: str | None) -> str:
    """A database register as the summary names it: the address without its password, and the
    schema when one is given (two schemas of one database are two registers)."""
    shown = hide_password(where) if where.startswith(("postgresql://", "postgres://")) else where
    return f"{shown}（模式 {schema}）" if schema else shown


def hide_password(dsn: str) -> str:
    """A connection string as messages show it: any password replaced by ***: the userinfo's
    (up to the last “@” of the address, as a password may hold a raw “@”), a ``password`` query
    parameter's, and a ``password=`` of a key=value string."""
    for start, end in reversed(_password_spans(dsn)):
        dsn = dsn[:start] + "***" + dsn[end:]
    return dsn


def dsn_passwords(dsn: str) -> list[str]:
    """The passwords a connection string holds (to keep them out of a driver's messages too)."""
    return [dsn[start:end] for start, end in _password_spans(dsn) if end > start]


def _password_spans(dsn: str) -> list[tuple[int, int]]:
    """Where the passwords of a connection string stand, in order."""
    m = re.match(r"(?i)postgres(?:ql)?://", dsn)
    if m is None:
        return [x.span(1) for x in re.finditer(r"(?i)\bpassword\s*=\s*('(?:[^'\\]|\\.)*'|\S*)", dsn)]
    base = m.end()
    rest = dsn[base:]
    query = rest.find("?")
    at = (rest if query < 0 else rest[:query]).rfind("@")
    if at < 0:  # a “?” in the password itself, or an “@” only in the query
        at = rest.rfind("@")
    colon = rest.find(":")
    out = []
    if 0 <= colon < at and not re.search(r"[/?@]", rest[:colon]):
        port = re.match(r"[^/?]*", rest[colon + 1 :])
        if port is None or not port.group(0).isdigit():  # host:5432/db?x=a@b has no password
            out.append((base + colon + 1, base + at))
    out += [(base + x.start(1), base + x.end(1)) for x in re.finditer(r"(?i)[?&]password=([^&]*)", rest)]
    return sorted(out)


_KEY_VALUE_DSN = re.compile(r"^\s*(host|hostaddr|dbname|user|port|password|service)\s*=", re.IGNORECASE)


def read_rows(source: str | Path, schema: str | None = None) -> tuple[str, Iterator[RawSheet]]:
    """The raw sheets of a register in any supported format."""
    text = str(source)
    if text.startswith(("postgresql://", "postgres://")):
        return database_source(text, schema), _postgres(text, schema)
    path = Path(text)
    if not path.exists() and _KEY_VALUE_DSN.match(text):
        raise RegisterError(
            f"找不到登记表：{hide_password(text)}：PostgreSQL须写成URL，如 postgresql://用户@主机:5432/数据库（不支持key=value形式）"
        )
    if not path.exists():
        raise RegisterError(f"找不到登记表：{path}")
    suffix = path.suffix.lower()
    if path.is_dir():
        kind = folder_format(path)
        if kind == ".parquet":
            return str(path), _parquet(path)
        if kind == ".csv":
            return str(path), _csv(path)
        raise RegisterError(f"{path}：文件夹中没有CSV或Parquet登记表")
    if suffix in (".xlsx", ".xlsm"):
        return str(path), _xlsx(path)
    if suffix == ".csv":
        return str(path.parent), _csv(path.parent)
    if suffix == ".parquet":
        return str(path.parent), _parquet(path.parent)
    if suffix in (".duckdb", ".db"):
        return database_source(str(path), schema), _duckdb(path, schema)
    if suffix == ".xls":
        raise RegisterError(f"{path}：不支持旧版.xls格式，请在Excel中另存为.xlsx")
    raise RegisterError(f"{path}：无法识别的登记表格式（支持.xlsx、CSV或Parquet文件夹、.duckdb、postgresql://）")


# --- validation -----------------------------------------------------------------------


_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]0{1,2}:00(?::00)?)?")


def _plain(value: Any, type_: str) -> Any:
    """A cell as convert expects it: blanks → None, integral floats in code columns → int, 2025/9/15 → ISO."""
    if value is None:
        return None
    if isinstance(value, str):  # the usual cell first
        value = value.strip()
        if value == "":
            return None
        if type_ == "date":
            # 2025/9/15, 2025年9月15日, 2025 年 9 月 15 日, 2025-09-15 00:00:00 (a date cell pasted as text)
            m = _DATE_TEXT.fullmatch(value)
            if m:
                iso = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
                try:
                    date.fromisoformat(iso)
                except ValueError:  # no such day (2025/02/30): the message shows the cell as written
                    return value
                return iso
        return value
    if isinstance(value, (list, tuple)) and not value:
        return None  # an empty list reads like a blank cell
    if type(value) is float and math.isfinite(value):
        # as Excel shows it, to 15 significant digits: a formula's =E5*1.13 of 600000 is held as
        # 677999.99999999988 and shown as 678,000.00, which is what the officer means
        value = float(f"{value:.15g}")
    if isinstance(value, float) and type_ in ("text", "enum", "region", "town", "credit_code", "integer") and value.is_integer():
        return int(value)
    if isinstance(value, datetime) and type_ == "date":
        return value.date()
    if isinstance(value, Decimal) and type_ in ("text", "enum", "region", "town") and value == value.to_integral_value():
        return int(value)
    if isinstance(value, float) and type_ in ("number", "rate"):
        return Decimal(repr(value))
    return value


def _check(spec: FieldSpec, value: Any, region: str | None, unit: str | None) -> Value:
    if unit is not None and spec.type == "money" and unit != spec.unit:
        spec = dataclasses.replace(spec, unit=unit)
    if spec.type == "date" and not isinstance(value, (date, str)):
        raise ValueError(f"不是有效日期；应为{spec.expected()}{_serial_hint(value)}")
    out = convert(spec, value, region)
    if type(out) is Fraction and (out * 10**SCALE).denominator != 1:  # not isinstance: Fraction's is an ABC check
        raise ValueError(f"小数位数过多（最多{SCALE}位）")
    # the register's columns hold 64-bit fen and integers, and 28 digits before the decimals
    if type(out) is int and spec.type in ("money", "integer") and out > _INT64_MAX:
        raise ValueError("金额过大" if spec.type == "money" else "数值过大")
    if type(out) is Fraction and abs(out) >= _DECIMAL_MAX:
        raise ValueError("数值过大")
    return out


def _serial_hint(value: Any) -> str:
    """A date Excel shows as a number: a date pasted into a cell of the 常规 (General) format
    shows its serial (45813 for 2025-06-04), which is what the register then holds."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return ""
    if not 20_000 <= value < 80_000:  # 1954 … 2119
        return ""
    day = _EXCEL_EPOCH + timedelta(days=int(value))
    return f"（{value}似为Excel的日期序号，即{day.isoformat()}：请将该列的单元格格式设为“日期”后再导入）"


_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 and Excel counts a 1900-02-29
_INT64_MAX = 2**63 - 1
_DECIMAL_MAX = 10 ** (38 - SCALE)  # DECIMAL(38,10): 28 digits before the point


def extra_cells(row: Sequence[Any], width: int) -> str | None:
    """A CSV row's values past its header's ``width`` columns, joined by commas as the file
    has them, when any is not blank (blank ones, as trailing commas leave, are no value)."""
    extra = row[width:]
    if not any(v is not None and str(v).strip() for v in extra):
        return None
    return ",".join("" if v is None else str(v) for v in extra)


EXTRA_CELLS = '比表头多出的值；含逗号的数字或文字须用英文双引号括起，如"1,000,000"'


def _has_required(header: Sequence[Any], key: str, lay: RegisterLayout) -> bool:
    """Whether a row, read as a header, names every required column of sheet ``key``."""
    lookup = lay.lookup(key)
    named = {hit[0].name for h in header if h is not None and (hit := lookup.get(_norm_header(h))) is not None}
    return all(c.name in named for c in lay.sheets[key] if c.spec.required)


def _header_below_title(raw: RawSheet, key: str, lay: RegisterLayout, errors: list[RowError]) -> None:
    """Row 1 names no required column: a title (吴中区2025年度免申即享企业登记表) often stands above the
    header. The first row of the next few that names them all becomes the header, the rows above it
    are left out, and a notice says so; otherwise nothing changes (and the header is refused)."""
    for n, row in raw.first:
        if _has_required(row, key, lay):
            above = [str(v).strip() for v in raw.header if str(v).strip()]
            above += [str(v).strip() for m, r in raw.first if m < n for v in r if v is not None and str(v).strip()]
            shown = brief("、".join(dict.fromkeys(above)), 60)
            said = f"表头在第{n}行，其上{n - 1}行（{shown}）按标题处理，未读入"
            raw.header_note = RowError(raw.file, raw.sheet, n, "（表头）", None, said, rejected=False)
            errors.append(raw.header_note)
            raw.header = ["" if v is None else str(v) for v in row]
            raw.header_row = n
            for i, c in raw.note_columns:  # named by the title row's cells: by the header's
                raw.notes[i] = replace(raw.notes[i], column=column_name(raw.header, c))
            raw.rows = ((m, r) for m, r in raw.rows if m > n)
            return


def _meant(header: str, key: str, lay: RegisterLayout) -> str | None:
    """The column of sheet ``key`` an unknown header probably means, quoted, or ``None``: the same
    field as another sheet names it (``id``, the 事项 sheet's, in 已获奖补: “event”（事项编号）),
    else the closest template header (企业规摸: “企业规模”), else the closest English name or other
    accepted spelling (event_idd: “event”（事项编号））."""
    cols = lay.sheets[key]
    norm = _norm_header(header)
    for other in lay.sheets:
        hit = lay.lookup(other).get(norm) if other != key else None
        if hit is None:
            continue
        for same in SAME_FIELD:
            if same.get(other) == hit[0].name and key in same:
                col = next(c for c in cols if c.name == same[key])
                return f"“{col.name}”（{col.header}）"
    close = difflib.get_close_matches(header.strip(), [c.header for c in cols], n=1, cutoff=0.5)
    if close:
        return f"“{close[0]}”"
    spellings: dict[str, Column] = {}
    for c in cols:
        for spelling in (c.name, *c.aliases):
            spellings.setdefault(_norm_header(spelling), c)
    near = difflib.get_close_matches(norm, list(spellings), n=1, cutoff=0.6)
    if near:
        col = spellings[near[0]]
        return f"“{col.name}”（{col.header}）"
    return None


class _Sheet:
    """Header resolution for one raw sheet."""

    def __init__(self, raw: RawSheet, key: str, lay: RegisterLayout, errors: list[RowError]) -> None:
        if raw.header_row == 1 and raw.first and not _has_required(raw.header, key, lay):
            _header_below_title(raw, key, lay, errors)
        self.raw = raw
        self.key = key
        self.width = len(raw.header)
        self.layout_columns = lay.sheets[key]
        lookup = lay.lookup(key)
        self.columns: list[tuple[int, Column, str | None, str]] = []
        seen: set[str] = set()
        for i, h in enumerate(raw.header):
            if not str(h).strip():
                continue
            hit = lookup.get(_norm_header(h))
            if hit is None and raw.file.startswith(("postgresql://", "postgres://")):  # a header PostgreSQL cut
                full = pg_cut_headers(lay, key).get(str(h))
                hit = None if full is None else lookup.get(_norm_header(full))
            if hit is None:
                # the closest column, else where the columns are listed: the whole list (≈1,500 characters for
                # 事项) repeated for each of an officer's 序号 and 备注 columns buried the other problems
                headers = [c.header for c in lay.sheets[key]]
                meant = _meant(str(h), key, lay)
                known = f"是否为{meant}？" if meant else f"可用的{len(headers)}列见模板（huiqi template）的“说明”工作表"
                # a 资质's grade is read by no rule: an upgrade (先进级 → 卓越级) is judged by events
                grade = key == "qualifications" and _norm_header(h) in ("等级", "grade")
                hint = "；资质不记等级：此前获评的等级（如先进级、三星）请在“事项”表记为一个获评认定事项" if grade else ""
                errors.append(
                    RowError(
                        raw.file,
                        raw.sheet,
                        raw.header_row,
                        str(h),
                        h,
                        f"未知的列，已忽略本列；{known}{hint}",
                        rejected=False,
                    )
                )
                continue
            col, unit = hit
            if col.name in seen:
                errors.append(
                    RowError(raw.file, raw.sheet, raw.header_row, str(h), h, "与前面的列重复，已忽略本列", rejected=False)
                )
                continue
            seen.add(col.name)
            self.columns.append((i, col, unit, str(h)))
        # the credit code's cell, looked up once: ``totals_row`` reads it on every row
        self.code_index = next((i for i, c, _, _ in self.columns if c.name == "credit_code"), None)
        missing = [f"“{c.header}”（{c.name}）" for c in lay.sheets[key] if c.spec.required and c.name not in seen]
        if missing:  # no row of the sheet could be valid: the header is wrong (often a title row above it)
            given = "、".join(str(h).strip() for h in raw.header if str(h).strip())
            where = f"，或在标题下的前{HEADER_SEARCH_ROWS}行内" if raw.first else ""  # Excel: looked for below a title
            raise RegisterError(
                f"{raw.file}［{raw.sheet}］：找不到必填列{'、'.join(missing)}，无法读取本表"
                f"（{f'现有列：{given[:200]}' if given else '表头为空'}；表头须在第1行{where}）"
            )

    def overflow(self, n: int, row: Sequence[Any], problems: list[RowError]) -> None:
        """A CSV row with values past the header is bad (``RawSheet.strict``)."""
        if self.raw.strict and len(row) > self.width:
            shown = extra_cells(row, self.width)
            if shown is not None:
                problems.append(RowError(self.raw.file, self.raw.sheet, n, "", shown, EXTRA_CELLS))

    def header_for(self, name: str) -> str:
        """The header shown for a column: as written in the file, else the template's."""
        found = next((h for _, c, _, h in self.columns if c.name == name), None)
        if found is not None:
            return found
        return next((c.header for c in self.layout_columns if c.name == name), name)

    def cells(self, row: Sequence[Any]) -> Iterator[tuple[Column, str | None, str, Any]]:
        for i, col, unit, header in self.columns:
            value = row[i] if i < len(row) else None
            yield col, unit, header, _plain(value, col.spec.type)

    def filled(self, row: Sequence[Any]) -> Iterator[tuple[Column, str | None, str, Any]]:
        """``cells`` without the blank ones (an events row fills about 10 of its 75 columns)."""
        width = len(row)
        for i, col, unit, header in self.columns:
            if i < width and (value := row[i]) is not None:
                value = _plain(value, col.spec.type)
                if value is not None:
                    yield col, unit, header, value


_TOTALS = re.compile(r"(?:合计|总计|小计|共计)(?:[:：（(].*)?")


def totals_row(sheet: _Sheet, n: int, row: Sequence[Any]) -> RowError | None:
    """A row of sums under the data (合计, 总计, 小计 …, in any cell, with no credit code of its
    own) is no enterprise's row: it is not read, and a notice says so, where counting it as a
    rejected row sent the officer to "fix" a row that is right."""
    code = sheet.code_index
    if code is not None and code < len(row):
        own = row[code]
        if own is not None and not (isinstance(own, str) and (own.strip() == "" or _TOTALS.fullmatch(re.sub(r"\s", "", own)))):
            return None
    for i, v in enumerate(row):
        if isinstance(v, str) and _TOTALS.fullmatch(re.sub(r"\s", "", v)):
            header = str(sheet.raw.header[i]) if i < len(sheet.raw.header) else ""
            said = "合计行，不是一行数据：未读取，不计入读取行数"
            return RowError(sheet.raw.file, sheet.raw.sheet, n, header, v.strip(), said, rejected=False)
    return None


class _Builder:
    """Rows for one canonical table (dicts; a missing key is null), flushed to record batches."""

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.rows: list[Mapping[str, Any]] = []
        self.batches: list[pa.RecordBatch] = []

    def add(self, values: Mapping[str, Any]) -> None:
        self.rows.append(values)
        if len(self.rows) >= 65_536:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.batches.append(pa.RecordBatch.from_pylist(self.rows, schema=self.schema))
            self.rows = []

    def table(self) -> pa.Table:
        self.flush()
        return pa.Table.from_batches(self.batches, schema=self.schema)


def sheet_for(name: str) -> str | None:
    """The table a file stem or sheet name stands for (企业, Enterprises, "事项 " …), in any case
    and without surrounding spaces; ``None`` for a name of no table."""
    return _SHEET_NAMES.get(name.strip().lower())


def sheet_key(sheet: str) -> str:
    """The table a raw sheet of the register is (``enterprises`` …), by its name (``schema.name`` for a database)."""
    key = sheet_for(sheet.split(".")[-1])
    if key is None:
        raise KeyError(sheet)  # raw sheets are only those found by their names
    return key


def no_events(source: str) -> RowError:
    """The notice of a register of tables (a folder, a database) without its events table: only enterprise-level
    items are evaluated (a failed export of the events went unnoticed by a scheduler reading the exit status).
    An Excel workbook's sheets are in sight of whoever fills it, and the template's 企业 sheet alone is common."""
    said = (
        "没有事项表（events 或 事项）：只测算了企业层面的奖补（如年度产销奖励），投资项目、采购、获评认定等事项的奖补均未测算；"
        "如有事项，请放入名为events或事项的表后重新测算"
    )
    return RowError(source, SHEET_LABEL["events"], 0, "", None, said, rejected=False)


def require_enterprises(source: str, counts: dict[str, Counts]) -> None:
    """A register without a single enterprise row (the empty template, say) is refused: a run
    over it would end "完成" with every count 0 and nothing to say why."""
    if counts["enterprises"].read == 0:
        raise RegisterError(
            f"{source}：企业表没有数据行；请在表头下每行填写一家企业（统一社会信用代码、名称、注册地行政区划代码…）"
        )


def read_register(
    source: str | Path,
    catalogue: Catalogue,
    schema: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Register:
    """Read and validate a register; bad rows are reported and left out, good rows kept."""
    shown, sheets = read_rows(source, schema)
    lay = layout(catalogue)
    schemas = canonical_schemas(catalogue)
    errors: list[RowError] = []
    counts = {k: Counts() for k in SHEETS}
    builders = {k: _Builder(s) for k, s in schemas.items()}
    state = _State()
    raw_by_key: dict[str, RawSheet] = {}
    for raw in sheets:
        key = sheet_key(raw.sheet)
        raw_by_key[key] = raw
        sheet = _Sheet(raw, key, lay, errors)
        validate = {
            "enterprises": _enterprise_row,
            "events": _event_row,
            "qualifications": _qualification_row,
            "prior_awards": _prior_row,
        }[key]
        for n, row in raw.rows:
            if (total := totals_row(sheet, n, row)) is not None:
                errors.append(total)
                continue
            counts[key].read += 1
            problems: list[RowError] = []
            out = validate(sheet, n, row, catalogue, state, problems)
            if problems:
                counts[key].rejected += 1
                errors.extend(problems)
            elif out is not None:
                builders[key].add(out)
            if progress is not None and counts[key].read % 4096 == 0:
                progress(4096)
        errors.extend(raw.notes)
    if "events" not in raw_by_key and not str(shown).lower().endswith(".xlsx"):  # a workbook shows its sheets
        errors.append(no_events(shown))
    require_enterprises(shown, counts)
    dropped = max(0, len(errors) - MAX_ERRORS_KEPT)
    return Register(
        source=shown,
        tables={k: b.table() for k, b in builders.items()},
        errors=errors[:MAX_ERRORS_KEPT],
        counts=counts,
        errors_dropped=dropped,
    )


@dataclass(slots=True)
class _State:
    enterprises: dict[str, int] = field(default_factory=dict)  # credit code → row
    regions: dict[str, str] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)  # credit code of a rejected enterprise row → row
    event_ids: dict[tuple[str, str], int] = field(default_factory=dict)  # (credit code, event id) → row
    ids_of: dict[str, list[str]] | None = None  # credit code → its event ids, from event_ids when first asked

    def events_of(self, code: str) -> list[str]:
        """The ids of an enterprise's event rows (accepted or not) in row order, for a prior award's 事项编号."""
        if self.ids_of is None:
            self.ids_of = {}
            for owner, event_id in self.event_ids:
                self.ids_of.setdefault(owner, []).append(event_id)
        return sorted(self.ids_of.get(code, []), key=lambda i: self.event_ids[(code, i)])


def _err(sheet: _Sheet, n: int, column: str, value: Any, expected: str) -> RowError:
    return RowError(sheet.raw.file, sheet.raw.sheet, n, column, value, expected)


def _owner(sheet: _Sheet, n: int, header: str, code: Any, state: _State, problems: list[RowError]) -> None:
    """The enterprise a row refers to must be in the 企业 sheet (and not rejected)."""
    if not isinstance(code, str):
        return
    if code in state.enterprises:
        return
    if code in state.rejected:
        problems.append(_err(sheet, n, header, code, f"所属企业在“企业”表第{state.rejected[code]}行有误，本行未测算"))
        return
    # a refused enterprise row whose code differs in a character or two is likely the same enterprise,
    # its code mistyped there (校验码错误): the officer is sent to that row rather than to fix this one
    near = [(row, other) for other, row in state.rejected.items() if isinstance(other, str) and _differs_little(code, other)]
    if near:
        row, other = min(near)
        said = f"“企业”表中没有该统一社会信用代码的企业；“企业”表第{row}行的“{other}”有误未通过，是否为同一企业？请先改正该行"
        problems.append(_err(sheet, n, header, code, said))
    else:
        problems.append(_err(sheet, n, header, code, "“企业”表中没有该统一社会信用代码的企业"))


def _differs_little(a: str, b: str) -> bool:
    """Two codes of one length differing in at most two places (a mistyped character, two swapped)."""
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) <= 2


def _enterprise_row(
    sheet: _Sheet, n: int, row: Sequence[Any], cat: Catalogue, state: _State, problems: list[RowError]
) -> dict[str, Any] | None:
    sheet.overflow(n, row, problems)
    cells = list(sheet.cells(row))
    region = next((str(v).strip() for c, _, _, v in cells if c.name == "region" and v is not None), None)
    out: dict[str, Any] = {}
    given: set[str] = set()
    raw_code: Any = None
    for col, unit, header, value in cells:
        given.add(col.name)
        if col.name == "credit_code":
            raw_code = value
        if value is None:
            if col.spec.required:
                problems.append(_err(sheet, n, header, None, f"必填；应为{col.spec.expected()}"))
            continue
        try:
            out[col.name] = _to_arrow(_check(col.spec, value, region, unit), col.spec.type)
        except ValueError as exc:
            problems.append(_err(sheet, n, header, value, str(exc)))
    for name, spec in cat.enterprise.items():
        if name not in out and spec.default is not None:
            out[name] = _to_arrow(convert(spec, spec.default, region), spec.type)
    code = out.get("credit_code")
    if isinstance(code, str) and (code in state.enterprises or code in state.rejected):
        # a copy of a refused row is refused too: read alone, its profile would stand for the enterprise
        # that the officer entered twice, and the row to correct is the first
        first = state.enterprises.get(code)
        said = (
            f"首次出现于第{first}行"
            if first is not None
            else f"首次出现于第{state.rejected[code]}行，该行有误未通过，请先改正该行"
        )
        problems.append(_err(sheet, n, sheet.header_for("credit_code"), code, f"统一社会信用代码重复（{said}）"))
    if problems:
        key = code if isinstance(code, str) else (str(raw_code).strip().upper() if raw_code is not None else None)
        if key and key not in state.enterprises:
            state.rejected.setdefault(key, n)
        return None
    assert isinstance(code, str)
    state.enterprises[code] = n
    state.regions[code] = str(out.get("region", ""))
    return out


def _event_row(
    sheet: _Sheet, n: int, row: Sequence[Any], cat: Catalogue, state: _State, problems: list[RowError]
) -> dict[str, Any] | None:
    sheet.overflow(n, row, problems)
    cells = list(sheet.filled(row))
    by_name = {c.name: (c, u, h, v) for c, u, h, v in cells}
    kind_cell = by_name.get("kind")
    kind_raw = kind_cell[3] if kind_cell else None
    kind = None
    if kind_raw is not None:
        text = str(kind_raw).strip()
        kind = next((k for k, v in cat.events.items() if text in (k, v.label)), None)
        if kind is None:
            known = "、".join(f"{v.label}（{k}）" for k, v in cat.events.items())
            problems.append(_err(sheet, n, sheet.header_for("kind"), kind_raw, f"未知的事项类型；可用：{known}"))
    else:
        problems.append(_err(sheet, n, sheet.header_for("kind"), None, "必填；应为事项类型名称，如“采购”或“purchase”"))
    out: dict[str, Any] = {"kind": kind}
    code_cell = by_name.get("credit_code")
    code: Any = None
    if code_cell is None or code_cell[3] is None:
        problems.append(_err(sheet, n, sheet.header_for("credit_code"), None, "必填；应为统一社会信用代码"))
    else:
        try:
            code = _check(code_cell[0].spec, code_cell[3], None, None)
            out["credit_code"] = code
            _owner(sheet, n, code_cell[2], code, state, problems)
        except ValueError as exc:
            seen = state.rejected.get(str(code_cell[3]).strip().upper())
            also = f"（所属企业在“企业”表第{seen}行有误，本行未测算）" if seen else ""
            problems.append(_err(sheet, n, code_cell[2], code_cell[3], f"{exc}{also}"))
    region = state.regions.get(code) if isinstance(code, str) else None
    id_cell = by_name.get("event_id")
    event_id = str(id_cell[3]).strip() if id_cell and id_cell[3] is not None else f"{SHEET_LABEL['events']}{n}"
    # the owner of the id: the enterprise's code, or as written when it is invalid (two enterprises'
    # bad codes are two owners, as the SQL path keys them by the stripped code)
    owner = code if code is not None or code_cell is None or code_cell[3] is None else str(code_cell[3]).strip().upper()
    id_key = (str(owner), event_id)
    if id_key in state.event_ids:
        problems.append(
            _err(
                sheet,
                n,
                sheet.header_for("event_id"),
                event_id,
                f"同一企业的事项编号重复（首次出现于第{state.event_ids[id_key]}行）",
            )
        )
    else:
        state.event_ids[id_key] = n
    out["event_id"] = event_id
    date_cell = by_name.get("date")
    if date_cell is None or date_cell[3] is None:
        problems.append(_err(sheet, n, sheet.header_for("date"), None, "必填；应为有效日期YYYY-MM-DD"))
    else:
        try:
            out["date"] = _check(date_cell[0].spec, date_cell[3], None, None)
        except ValueError as exc:
            problems.append(_err(sheet, n, date_cell[2], date_cell[3], str(exc)))
    kind_spec = cat.events.get(kind) if kind else None
    for col, unit, header, value in cells:
        if col.name in ("kind", "credit_code", "event_id", "date"):
            continue
        if kind_spec is None:
            continue
        spec = kind_spec.fields.get(col.name)
        if spec is None:
            if value is not None:
                users = "、".join(cat.events[k].label for k in col.kinds)
                problems.append(
                    _err(sheet, n, header, value, f"本列不适用于事项类型“{kind_spec.label}”（用于：{users}），请留空")
                )
            continue
        if value is None:
            continue
        try:
            out[col.name] = _to_arrow(_check(spec, value, region, unit), spec.type)
        except ValueError as exc:
            problems.append(_err(sheet, n, header, value, str(exc)))
    if kind_spec is not None:
        for name, spec in kind_spec.fields.items():
            if name in out:
                continue
            if spec.required:
                header = sheet.header_for(name)
                if not any(p.column == header for p in problems):
                    problems.append(_err(sheet, n, header, None, f"事项类型“{kind_spec.label}”必填；应为{spec.expected()}"))
            elif spec.default is not None:
                out[name] = _to_arrow(convert(spec, spec.default, region), spec.type)
    return None if problems else out


def _checked_cells(sheet: _Sheet, n: int, row: Sequence[Any], problems: list[RowError]) -> Iterator[tuple[Any, str, Any, Any]]:
    """Each filled cell of a row checked against its field: (column, header, raw value, typed value);
    an empty required cell or a value that does not fit is added to ``problems`` instead."""
    for col, unit, header, value in sheet.cells(row):
        if value is None:
            if col.spec.required:
                problems.append(_err(sheet, n, header, None, f"必填；应为{col.spec.expected()}"))
            continue
        try:
            typed = _check(col.spec, value, None, unit)
        except ValueError as exc:
            problems.append(_err(sheet, n, header, value, str(exc)))
            continue
        yield col, header, value, typed


def _qualification_row(
    sheet: _Sheet, n: int, row: Sequence[Any], cat: Catalogue, state: _State, problems: list[RowError]
) -> dict[str, Any] | None:
    sheet.overflow(n, row, problems)
    out: dict[str, Any] = {}
    for col, header, value, v in _checked_cells(sheet, n, row, problems):
        if col.name == "title" and cat.qualification_titles and v not in cat.qualification_titles:
            shown = "、".join(cat.qualification_titles[:12])
            problems.append(_err(sheet, n, header, value, f"未知的资质名称；可用：{shown}"))
            continue
        if col.name == "credit_code":
            _owner(sheet, n, header, v, state, problems)
        out[col.name] = v
    since, until = out.get("since"), out.get("until")
    if isinstance(since, date) and isinstance(until, date) and until < since:
        problems.append(_err(sheet, n, sheet.header_for("until"), until, "有效期至早于获得日期"))
    return None if problems else out


def _prior_row(
    sheet: _Sheet, n: int, row: Sequence[Any], cat: Catalogue, state: _State, problems: list[RowError]
) -> dict[str, Any] | None:
    sheet.overflow(n, row, problems)
    out: dict[str, Any] = {}
    headers: dict[str, str] = {}
    for col, header, _value, v in _checked_cells(sheet, n, row, problems):
        if col.name == "level":
            v = next((k for k, lb in LEVEL_NAMES.items() if lb == v), v)
        if col.name == "credit_code":
            _owner(sheet, n, header, v, state, problems)
        out["amount_fen" if col.name == "amount" else col.name] = v
        headers[col.name] = header
    # a reference to nothing was silently no reference: the award reduced nothing (吴中 第21条 就高不重复)
    code, event, benefit = out.get("credit_code"), out.get("event"), out.get("benefit")
    if isinstance(event, str) and isinstance(code, str) and code in state.enterprises:
        ids = state.events_of(code)
        if event not in ids:
            problems.append(_err(sheet, n, headers["event"], event, unknown_event(event, ids, "“事项”表中该企业")))
    if isinstance(benefit, str) and cat.benefits and benefit not in cat.benefits:
        problems.append(_err(sheet, n, headers["benefit"], benefit, unknown_benefit(benefit, cat.benefits)))
    return None if problems else out
