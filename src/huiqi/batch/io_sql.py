"""Validate a register (Parquet folder, DuckDB file, PostgreSQL schema, folder of CSV files) inside DuckDB.

A PostgreSQL register is first copied into the connection by :mod:`huiqi.batch.io_pg`,
a CSV register parsed as the Python reader parses it and staged as text (``_stage_csv``),
an Excel workbook read as the Python reader reads it and staged as text too, each cell
written as the Python validator would read it (``_stage_xlsx``).

The rules stay in one place, :func:`huiqi.core.facts.convert` (through
:mod:`huiqi.batch.io_read`): the SQL derived here from the catalogue only
decides which rows are *certainly* valid and what their canonical values are.
Every other row — a bad cell, a type this module does not read in SQL, a
duplicate credit code or event id, an unknown enterprise — is handed to the
Python validator with the state it needs, so the messages are exactly the
Python path's and a row is rejected by the same rule.

Checks expressed in SQL (per row): casts from the source column types,
non-negative money in whole fen, enum and enum-list membership, regions and
towns, the credit code's form and check character (GB 32100-2015), event kind
(name or label), required fields per kind and fields that do not belong to the
row's kind; across rows: duplicate credit codes, duplicate event ids within an
enterprise, rows whose enterprise is not an accepted enterprise.

Each sheet is read once: one statement writes every row to ``hq_c_<table>`` in
the canonical layout (:mod:`huiqi.batch.layout`) with its row number, its
row-local verdict and owner key, and its chunk ``hq_bucket`` (enterprises: ranges
of rows; every other row: its enterprise's, found by the same LEFT JOIN that
checks the owner). Duplicates are found by a GROUP BY on a hash of the key
columns, checked exactly on the rows whose hash repeats; the rows that fail are
deleted and go to the Python validator (typically none). So validation is linear
in the register, and a chunk of the evaluation reads a mostly contiguous range.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from huiqi.core.credit_code import ALPHABET, WEIGHTS
from huiqi.core.facts import LEVEL_NAMES, NO, YES, Catalogue, FieldSpec, convert
from huiqi.core.regions import REGIONS, TOWNS

from . import io_read
from .compiler import lit
from .io_read import SHEET_LABEL, SHEETS, Counts, RawSheet, Register, RegisterError, RowError, ident

__all__ = ["FieldSpec", "SqlRegister", "canonical_tables", "columnar_source", "credit_code_ok", "validate_sql"]

# What Python's str.strip() removes (besides the ASCII spaces RE2's \s knows).
_WS = r"[\s\x{0b}\x{1c}-\x{1f}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "HUGEINT")
_UNIT_FEN = {"元": 100, "万元": 1_000_000, "亿元": 10_000_000_000}
_DATES = "DATE '0001-01-01' AND DATE '9999-12-31'"  # what Python's date holds
# DuckDB's types of a date and time without a zone (Parquet's zoned ones are made such by ``_wall_clock``)
_WALL_TIMES = ("TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS")
_HELPERS = ("hq_bucket", "hq_row", "hq_ok0", "hq_h")  # columns of hq_c_* that are not the layout's
_MAX_PY_ROWS = 5_000_000  # rows handed to the Python validator at most (beyond: read as Python would, slowly)


def _in(values: Sequence[str]) -> str:
    return "(" + ", ".join(lit(v) for v in values) + ")" if values else "(NULL)"


def _dec(value: Fraction) -> str | None:
    """A DECIMAL(38,10) literal for an exact value, or None."""
    scaled = value * 10**10
    if scaled.denominator != 1:
        return None
    return f"CAST({scaled.numerator} AS DECIMAL(38,0)) / CAST(10000000000 AS DECIMAL(38,0))"


def _clean_values(values: Sequence[str]) -> bool:
    """Every allowed value is already stripped: a cell in the list has no padding to test for."""
    return all(v == v.strip() for v in values)


def _padded(sql: str) -> str:
    """SQL: the text starts or ends with what Python's ``str.strip()`` removes."""
    return f"regexp_matches({sql}, '^{_WS}|{_WS}$')"


def _strip(sql: str, padded: str | None = None) -> str:
    """Python's ``str.strip()`` in SQL (the replacement only runs on padded text;
    ``padded``: that test already computed, e.g. a column)."""
    padded = padded or _padded(sql)
    return f"(CASE WHEN {padded} THEN regexp_replace({sql}, '^{_WS}+|{_WS}+$', '', 'g') ELSE {sql} END)"


def credit_code_ok(c: str) -> str:
    """SQL: ``c`` (upper-case text) is a valid 统一社会信用代码 (GB 32100-2015)."""
    alpha = lit(ALPHABET)
    total = " + ".join(f"(strpos({alpha}, substr({c}, {i + 1}, 1)) - 1) * {w}" for i, w in enumerate(WEIGHTS))
    return (
        f"(regexp_full_match({c}, '[0-9A-HJ-NPQRTUWXY]{{18}}') AND "
        f"substr({alpha}, ((31 - (({total}) % 31)) % 31) + 1, 1) = substr({c}, 18, 1))"
    )


def _text_decimal(src: str, digits: int, fraction: bool = True) -> str:
    """``src`` (text) is a plain decimal: 1 to ``digits`` digits, then up to 10 decimals when
    ``fraction``. Such text means the same number to DuckDB's DECIMAL cast and to Python's
    ``Decimal``; every other spelling is left to the Python validator."""
    tail = "(\\.[0-9]{1,10})?" if fraction else ""
    return f"regexp_full_match({src}, '[0-9]{{1,{digits}}}{tail}')"


@dataclass(frozen=True, slots=True)
class _Cell:
    """SQL for one source cell read as one catalogue type."""

    present: str  # the cell counts as given (Python: not None after _plain)
    ok: str  # given → certainly valid (else the Python validator decides)
    value: str  # the canonical value (only meaningful when present and ok)


def _cell(src: str, src_type: str, spec: FieldSpec, unit: str | None, region: str | None = None) -> _Cell:
    t = spec.type
    is_text = src_type == "VARCHAR"
    if is_text:
        present = f"({src} IS NOT NULL AND {src} <> '')"
        clean = f"(NOT regexp_matches({src}, '^{_WS}|{_WS}$'))"
    elif src_type.endswith("[]"):
        present = f"({src} IS NOT NULL AND len({src}) > 0)"
        clean = "TRUE"
    else:
        present = f"({src} IS NOT NULL)"
        clean = "TRUE"
    no = _Cell(present, "FALSE", "NULL")
    if t == "money":
        factor = _UNIT_FEN.get(unit if unit is not None else (spec.unit or "元"))
        if factor is None:
            return no
        if src_type in _INT_TYPES:
            ok = f"({src} >= 0 AND {src} <= {9 * 10**18 // factor})"
            return _Cell(present, ok, f"CAST(CASE WHEN {ok} THEN {src} END AS BIGINT) * {factor}")
        if src_type.startswith("DECIMAL"):
            scale = int(src_type.split(",")[1].rstrip(")")) if "," in src_type else 0
            if scale > 10:  # DECIMAL(38,10) would round 1E-20 to 0, which Python refuses (not whole fen)
                return no
            # 30 digits do not fit: NULL, Python says why; nor a value the factor would carry past DECIMAL(38)
            # (1e26 元 × 100 raised an overflow and stopped the run): NULL before multiplying
            dec = f"TRY_CAST({src} AS DECIMAL(38,10))"
            scaled = f"(CASE WHEN abs({dec}) < {9 * 10**18 // factor} THEN {dec} * {factor} END)"
            return _Cell(
                present,
                f"({src} >= 0 AND {scaled} < 9e18 AND {scaled} = floor({scaled}))",
                f"TRY_CAST({scaled} AS BIGINT)",
            )
        if is_text:  # a plain decimal in the column's unit; units, commas, signs: Python
            shaped = _text_decimal(src, 15)
            scaled = f"(TRY_CAST(CASE WHEN {shaped} THEN {src} END AS DECIMAL(38,10)) * {factor})"
            return _Cell(
                present, f"({shaped} AND {scaled} < 9e18 AND {scaled} = floor({scaled}))", f"TRY_CAST({scaled} AS BIGINT)"
            )
        return no
    if t in ("number", "integer", "rate"):
        if src_type in _INT_TYPES:
            num = f"TRY_CAST({src} AS DECIMAL(38,10))"
            value = f"TRY_CAST({src} AS BIGINT)" if t == "integer" else num
            ok = f"({src} >= 0"
        elif src_type.startswith("DECIMAL") and t != "integer":
            scale = int(src_type.split(",")[1].rstrip(")")) if "," in src_type else 0
            if scale > 10:
                return no
            num = f"TRY_CAST({src} AS DECIMAL(38,10))"
            value, ok = num, f"({src} >= 0"
        elif src_type in ("DOUBLE", "FLOAT") and t != "integer":
            # Python reads a float through Decimal(repr(x)): the shortest round-trip digits.
            text = f"CAST(CAST({src} AS DOUBLE) AS VARCHAR)"
            num = f"TRY_CAST({text} AS DECIMAL(38,10))"
            value = num
            ok = f"(isfinite({src}) AND regexp_full_match({text}, '[0-9]{{1,27}}(\\.[0-9]{{1,10}})?')"
        elif is_text:  # plain decimals (integers: digits only), as Decimal(text) reads them; the rest: Python
            shaped = _text_decimal(src, 18, t != "integer")
            num = f"TRY_CAST(CASE WHEN {shaped} THEN {src} END AS DECIMAL(38,10))"
            value = f"TRY_CAST(CASE WHEN {shaped} THEN {src} END AS BIGINT)" if t == "integer" else num
            ok = f"({shaped}"
        else:
            return no
        for bound, op in ((spec.minimum, ">="), (spec.maximum, "<=")):
            if bound is None:
                continue
            d = _dec(bound)
            if d is None:
                return no
            ok += f" AND {num} {op} {d}"
        return _Cell(present, ok + ")", value)
    if t == "bool":
        if src_type == "BOOLEAN":
            return _Cell(present, "TRUE", src)
        if is_text:
            value = f"(CASE WHEN {src} IN {_in(YES)} THEN TRUE WHEN {src} IN {_in(NO)} THEN FALSE END)"
            return _Cell(present, f"({clean} AND {value} IS NOT NULL)", value)
        return no
    if t == "enum":
        if not is_text:
            return no
        in_list = f"{src} IN {_in(spec.values)}"
        return _Cell(present, f"({in_list})" if _clean_values(spec.values) else f"({clean} AND {in_list})", src)
    if t == "enum_list":
        if is_text:  # "a,b" / "a，b" / "a、b" without blanks or empty items, as Python splits it
            sep = "[,，、]"
            shaped = f"regexp_full_match({src}, '[^\\s,，、]+({sep}[^\\s,，、]+)*')"
            items = f"string_split(regexp_replace({src}, '[，、]', ',', 'g'), ',')"
            ok = f"({shaped} AND list_bool_and(list_transform({items}, lambda x: x IN {_in(spec.values)})))"
            return _Cell(present, ok, f"CASE WHEN {shaped} THEN {items} END")
        if src_type != "VARCHAR[]":
            return no
        item_ok = f"x IS NOT NULL AND x IN {_in(spec.values)} AND NOT regexp_matches(x, '^{_WS}|{_WS}$') AND x <> ''"
        return _Cell(present, f"list_bool_and(list_transform({src}, lambda x: {item_ok}))", src)
    if t == "date":
        if src_type == "DATE":  # the years Python's dates hold (not year 10183, not DuckDB's infinity)
            return _Cell(present, f"({src} BETWEEN {_DATES})", src)
        if src_type in _WALL_TIMES:  # a date and time: its date, as Python's datetime.date()
            value = f"CAST({src} AS DATE)"
            return _Cell(present, f"({value} BETWEEN {_DATES})", value)
        if is_text:  # 2025-09-15, 2025/9/15, 2025.9.15, 2025年9月15日 (io_read._plain), a real day of a year ≥ 1
            parts = f"regexp_extract({src}, '^([0-9]{{4}})[-/.年]([0-9]{{1,2}})[-/.月]([0-9]{{1,2}})日?$', ['y', 'm', 'd'])"
            y, m, d = (f"struct_extract({parts}, '{k}')" for k in "ymd")
            iso = f"(CASE WHEN {y} NOT IN ('', '0000') THEN concat({y}, '-', lpad({m}, 2, '0'), '-', lpad({d}, 2, '0')) END)"
            value = f"TRY_CAST({iso} AS DATE)"
            return _Cell(present, f"({value} IS NOT NULL)", value)
        return no
    if t == "region":
        if not is_text:
            return no
        return _Cell(present, f"({src} IN {_in(sorted(REGIONS))})", src)  # codes are digits: no padding
    if t == "town":
        if not is_text or region is None:
            return no
        with_towns = sorted(r for r, towns in TOWNS.items() if towns)
        pairs = sorted(f"{r}|{t}" for r, towns in TOWNS.items() for t in towns)
        ok = f"({clean} AND (COALESCE({region}, '') NOT IN {_in(with_towns)} OR concat({region}, '|', {src}) IN {_in(pairs)}))"
        return _Cell(present, ok, src)
    if t == "credit_code":
        if not is_text:
            return no
        # the form test (18 characters of the code alphabet) already excludes padding
        return _Cell(present, credit_code_ok(f"upper({src})"), f"upper({src})")
    # text
    if not is_text:
        return no
    return _Cell(present, clean, src)


def _default(spec: FieldSpec, region: str | None = None) -> Any:
    return io_read._to_arrow(convert(spec, spec.default, region), spec.type) if spec.default is not None else None


def _sql_value(value: Any, logical: str) -> str:
    if value is None:
        return f"CAST(NULL AS {logical})"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, list):
        return "[" + ", ".join(lit(str(v)) for v in value) + f"]::{logical}"
    if isinstance(value, (int,)):
        return f"CAST({value} AS {logical})"
    return f"CAST({lit(str(value))} AS {logical})"


@dataclass(frozen=True, slots=True)
class _KindGroup:
    """Event kinds read back together in one scan of a chunk's rows: a kind with many
    rows alone, the many small kinds together (one scan per kind per chunk costs
    more than the few extra, mostly empty, columns)."""

    kinds: tuple[tuple[str, tuple[str, ...]], ...]  # kind, its spellings
    values: tuple[
        tuple[str, str], ...
    ]  # column, value SQL (NULL for a row of a kind without the column; ``s.hq_kind``: the row's kind)
    kind: str  # SQL of the row's kind (canonical name)

    def spellings(self) -> list[str]:
        return [sp for _, sps in self.kinds for sp in sps]


@dataclass(frozen=True, slots=True)
class _EventRows:
    """How the accepted event rows the SQL validated are read back from the source,
    one kind at a time with only that kind's columns (the values are never stored
    for every row; each row is cast once, when its chunk is read)."""

    src: _Src
    kind: str  # SQL of the source's kind cell
    code: str  # SQL of the canonical credit code
    eid: str  # SQL of the canonical event id
    date: str  # SQL of the canonical date
    groups: tuple[_KindGroup, ...]
    ranges: dict[int, tuple[int, int]]  # chunk → first and last row of its rows
    bad: bool  # some rows went to the Python validator (``hq_bad_events``): leave them out

    def disjoint(self) -> bool:
        """No chunk's row range holds a row of another chunk (events in the enterprises' order)."""
        spans = sorted(self.ranges.values())
        return all(a[1] < b[0] for a, b in itertools.pairwise(spans))


@dataclass(slots=True)
class SqlRegister:
    """A register validated in DuckDB: accepted rows in ``hq_c_<table>`` tables on
    ``con``; events: the verdicts in ``hq_c_events``, the rows the Python validator
    accepted in ``hq_py_events`` and the rest read back from the source (``event_rows``)."""

    register: Register  # source, errors, counts (``tables`` is empty)
    con: duckdb.DuckDBPyConnection
    buckets: int
    rows_to_python: int
    event_rows: _EventRows | None = None


def columnar_source(source: str | Path) -> tuple[str, str] | None:
    """("parquet", folder), ("csv", folder), ("xlsx", file), ("duckdb", file) or ("postgres", DSN)
    when the register can be validated in SQL."""
    text = str(source)
    if text.startswith(("postgresql://", "postgres://")):
        return "postgres", text
    path = Path(text)
    if path.is_file() and path.suffix.lower() in (".xlsx", ".xlsm"):
        return "xlsx", str(path)
    if path.is_file() and path.suffix.lower() in (".duckdb", ".db"):
        return "duckdb", str(path)
    folder = path if path.is_dir() else path.parent if path.is_file() and path.suffix.lower() in (".csv", ".parquet") else None
    try:
        kind = None if folder is None else io_read.folder_format(folder)
    except RegisterError:
        return None  # the Python reader says why
    if folder is None or kind is None:
        return None
    if path.is_file() and path.suffix.lower() != kind:
        return None
    return kind[1:], str(folder)


def _text_schema(width: int) -> pa.Schema:
    """A staged CSV sheet: ``width`` text columns ``c0`` … in the header's order, and ``hq_r0``."""
    return pa.schema([*((f"c{i}", pa.string()) for i in range(width)), ("hq_r0", pa.int64())])


def _staged_rows(table: str) -> str:
    """A staged sheet's rows as a source reads them: its columns, and ``hq_row`` from ``hq_r0``."""
    return f"SELECT * EXCLUDE (hq_r0), hq_r0 + 1 AS hq_row FROM {table}"


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while a sheet is staged: its rows are millions of
    short-lived tuples and lists that hold no cycles, and the collector's passes over them
    took a third of a CSV sheet's time at 10^6 rows (benchmarks/RESULTS.md, ninth session)
    and a sixth of an Excel workbook's at 10^5 (fourteenth session)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _create_staged(con: duckdb.DuckDBPyConnection, table: str, width: int, batches: Iterator[pa.RecordBatch]) -> None:
    """Write ``batches`` (``_text_schema(width)``) to ``table`` in one statement, DuckDB pulling
    them from a reader while they are made (an INSERT per batch was 7× slower). An error
    raised while making them is raised as itself, not as DuckDB's report of it."""
    raised: list[Exception] = []

    def watched() -> Iterator[pa.RecordBatch]:
        try:
            yield from batches
        except Exception as exc:
            raised.append(exc)
            raise

    con.register("hq_csv_in", pa.RecordBatchReader.from_batches(_text_schema(width), watched()))
    try:
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM hq_csv_in").fetchall()
    except duckdb.Error:
        if raised:
            raise raised[0] from None
        raise
    finally:
        con.unregister("hq_csv_in")


def _csv_batches(
    rows: Iterator[tuple[int, Sequence[Any]]],
    width: int,
    staged: Callable[[int], None] | None = None,
    extras: list[tuple[int, str]] | None = None,
) -> Iterator[pa.RecordBatch]:
    """Rows of a CSV sheet as record batches of ``_text_schema(width)`` (a short row's
    missing cells None, cells past the header dropped; ``hq_r0`` the line number − 1).
    The values past the header of a row that has any (``io_read.extra_cells``) are added
    to ``extras`` as (``hq_r0``, the values)."""
    schema = _text_schema(width)
    while chunk := list(itertools.islice(rows, 65_536)):
        nums, cells = zip(*chunk, strict=True)
        lists = pa.array(cells, pa.list_(pa.string()))
        lengths = pc.min_max(pc.list_value_length(lists)).as_py()
        if width and lengths == {"min": width, "max": width}:  # the usual file: each column by stride, in Arrow
            starts = lists.offsets.slice(0, len(lists))
            arrays = [lists.values.take(pc.add(starts, i)) for i in range(width)]
        else:  # short or long rows
            if extras is not None and (lengths["max"] or 0) > width:
                for n, row in chunk:
                    if len(row) > width and (shown := io_read.extra_cells(row, width)) is not None:
                        extras.append((n - 1, shown))
            columns = list(itertools.islice(itertools.zip_longest(*cells), width))
            columns += [(None,) * len(cells)] * (width - len(columns))
            arrays = [pa.array(c, pa.string()) for c in columns]
        arrays.append(pa.array([n - 1 for n in nums], pa.int64()))
        if staged is not None:
            staged(len(nums))
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)


_CSV_FIELD_LIMIT = csv.field_size_limit()  # characters in a cell; the Python reader refuses more
_CSV_MAX_COLUMNS = 4_096  # columns read as text by name (f0 …); a wider file goes to the Python reader
_BLANK = f"^{_WS}*$"


def _arrow_csv(con: duckdb.DuckDBPyConnection, path: Path, table: str, staged: Callable[[int], None] | None) -> list[str] | None:
    """Stage a CSV file with Arrow's parser into ``table`` as ``_stage_csv`` describes, and
    return its header; or None, with ``table`` dropped, when Arrow would not read it as the
    Python reader does (``io_read._csv_file``). It reads it the same when

    - the file is plain (``io_read.csv_lines`` and ``csv_breaks``: its only line breaks
      are \n, \r and \r\n, which both split on, and it holds no NUL);
    - it is valid UTF-8 (Arrow checks; a UTF-8 BOM is skipped by both), or else, as the
      Python reader decides, GB18030;
    - every record has the header's number of cells (an empty line is a record of blank
      cells to Arrow, a blank row to Python, and skipped by both);
    - no quoted cell holds a line break (Python's reader, given the file's lines, joins
      them without one): then Arrow finds as many records as the file has lines;
    - no cell is longer than the Python reader's limit (``csv.field_size_limit()``).

    Quoting otherwise is read alike, ``"x"y`` as ``xy`` and ``a"b`` as ``a"b``
    (``tests/batch/test_csv_arrow.py`` compares the two readers on generated files).
    """
    counted = io_read.csv_lines(path)
    if not counted.plain:
        return None
    header = None
    if not io_read.csv_breaks(path, "utf-8"):
        header = _arrow_csv_as(con, path, "utf8", counted.lines, table, staged)
    if header is None and io_read._csv_encoding(path) == "gb18030" and not io_read.csv_breaks(path, "gb18030"):
        header = _arrow_csv_as(con, path, "gb18030", counted.lines, table, staged)  # not UTF-8, as Python finds
    return header


def _arrow_csv_as(
    con: duckdb.DuckDBPyConnection, path: Path, encoding: str, lines: int, table: str, staged: Callable[[int], None] | None
) -> list[str] | None:
    """``_arrow_csv`` in one encoding: the header, or None (nothing staged) when the file
    does not decode, or a record, a cell or the count of records is not as it must be."""
    import pyarrow.csv as pacsv

    failed = False
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                encoding=encoding,
                autogenerate_column_names=True,  # the header is a record like the others
                block_size=1 << 24,
            ),
            # a record with more or fewer cells than the header is an error: Python's reader would keep it
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{i}": pa.string() for i in range(_CSV_MAX_COLUMNS)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowException, UnicodeDecodeError):  # an empty file, or not this encoding
        return None
    width = len(reader.schema)
    if width > _CSV_MAX_COLUMNS:
        return None
    header: list[str] = []
    records = 0
    too_long = False
    last: list[pa.RecordBatch] = []  # the last record read
    schema = _text_schema(width)

    def batches() -> Iterator[pa.RecordBatch]:
        nonlocal records, too_long
        for batch in reader:
            start, records = records, records + batch.num_rows
            if batch.num_rows:
                last[:] = [batch.slice(batch.num_rows - 1)]
            cols = batch.columns
            if any(pc.max(pc.binary_length(c)).as_py() > _CSV_FIELD_LIMIT for c in cols):
                too_long = too_long or any(pc.max(pc.utf8_length(c)).as_py() > _CSV_FIELD_LIMIT for c in cols)
            rows = pa.RecordBatch.from_arrays([*cols, pa.array(np.arange(start, records, dtype=np.int64))], schema=schema)
            if start == 0 and records:  # the header
                header.extend(c[0].as_py() for c in cols)
                rows = rows.slice(1)
            # blank rows: the first cell blank, and then the whole row (rarely looked at)
            blank = pc.match_substring_regex(rows.column(0), _BLANK)
            if pc.any(blank).as_py():
                at = pc.indices_nonzero(blank)
                row_text = pc.binary_join_element_wise(*(c.take(at) for c in rows.columns[:width]), "")
                rows = rows.filter(pc.invert(pc.replace_with_mask(blank, blank, pc.match_substring_regex(row_text, _BLANK))))
            if staged is not None:
                staged(rows.num_rows)
            yield rows

    try:
        _create_staged(con, table, width, batches())
    except (duckdb.Error, pa.ArrowException, UnicodeDecodeError):  # not this encoding, a record's cells, …
        failed = True
    # A quote still open at the end takes the file's last line break into its cell, without
    # a record fewer than lines (Python's reader, on lines without their breaks, does not).
    broken = bool(last) and any(pc.any(pc.match_substring_regex(c, "[\r\n]")).as_py() for c in last[0].columns)
    if failed or too_long or broken or records != lines or header == [""]:  # an empty first line: no header to Python
        con.execute(f"DROP TABLE IF EXISTS {table}").fetchall()
        return None
    return header


def _stage_csv(con: duckdb.DuckDBPyConnection, folder: Path, staged: Callable[[int], None] | None = None) -> dict[str, _Src]:
    """Each CSV file of the register, read exactly as the Python reader reads it
    (``io_read._csv_file``: its encodings, line numbers and skipped blank rows; a short
    row's missing cells are blank, cells past the header ignored), into a table of text
    columns ``c0`` … in the header's order, with the 0-based row ``hq_r0`` (line number − 1);
    the header itself, as written (blank or repeated names too), goes with the source.

    Arrow's parser reads the file when it reads it as the Python reader would (``_arrow_csv``:
    the usual file); otherwise Python's ``csv`` module does (``_create_staged`` takes its
    batches as it parses them), with the cyclic garbage collector paused meanwhile (``_gc_paused``)."""
    out: dict[str, _Src] = {}
    for key, path in io_read._find_files(folder, ".csv").items():
        table = f"hq_csv_{key}"
        sheet = SHEET_LABEL[key]
        sql = _staged_rows(table)
        header = _arrow_csv(con, path, table, staged)
        if header is not None:  # every row as wide as the header: no values past it
            out[key] = _Src(sql, path.name, sheet, "hq_r0", tuple(header), strict=True)
            continue
        raw = io_read._csv_file(path, sheet)
        extras: list[tuple[int, str]] = []
        with _gc_paused():
            _create_staged(con, table, len(raw.header), _csv_batches(raw.rows, len(raw.header), staged, extras))
        if extras:  # rows with values past the header: their values beside the row, for the verdict and Python
            r0, shown = zip(*extras, strict=True)
            con.register("hq_extra_in", pa.table({"hq_r0": pa.array(r0, pa.int64()), "hq_extra": pa.array(shown, pa.string())}))
            con.execute(f"CREATE OR REPLACE TABLE {table}_extra AS SELECT * FROM hq_extra_in").fetchall()
            con.unregister("hq_extra_in")
            sql = (
                f"SELECT s.* EXCLUDE (hq_r0), x.hq_extra, s.hq_r0 + 1 AS hq_row "
                f"FROM {table} s LEFT JOIN {table}_extra x ON x.hq_r0 = s.hq_r0"
            )
        out[key] = _Src(sql, raw.file, raw.sheet, "hq_r0", tuple(raw.header), strict=True, extra=bool(extras))
    return out


# A date column's cell SQL cannot read as a date (nor as blank): its row goes to the Python
# validator, which reads the workbook's own cell.
_TO_PYTHON = " ? "


def _xlsx_cell(value: Any, type_: str) -> str:
    """An Excel cell as text that SQL reads as the Python validator reads the cell.

    ``io_read._plain`` first, as the validator does (blank → "", text stripped, 2025/9/15 →
    2025-09-15, a datetime in a date column → its date, whole floats in code columns → int,
    floats in number/rate columns → Decimal). Then the text: ``convert`` reads every non-date
    type through ``str(value)`` (text, enum, region, town, credit code), or reads ``str(value)``
    to the same number as the value (money, number, integer, rate: int, float repr, Decimal;
    bool: True/False/1/0), so whenever SQL accepts the text it holds what Python makes of the
    cell, and when it rejects it Python reads the cell itself. A date column is the exception:
    Python refuses any cell but text and dates (a number such as 20250301 is no date), while
    the text might read as one, so such a cell is sent to Python (``_TO_PYTHON``)."""
    plain = io_read._plain(value, type_)
    if plain is None:
        return ""
    if type(plain) is str:
        return plain
    if type_ == "date":
        return plain.isoformat() if type(plain) is date else _TO_PYTHON
    return str(plain)


def _xlsx_column(col: Sequence[Any], type_: str) -> pa.Array:
    """One column of an Excel batch as ``_xlsx_cell`` writes each cell (a blank cell null).
    The usual columns hold one kind of cell, and for those the cell is written inline, as
    ``_xlsx_cell`` would: text stripped (a blank text reads as blank either way), a whole
    number as its digits (bool, a kind of int, is not one), a date cell as its ISO date."""
    kinds = set(map(type, col))
    kinds.discard(type(None))
    if type_ != "date" and kinds <= {str}:
        return pa.array([None if v is None else v.strip() for v in col], pa.string())
    if type_ != "date" and kinds <= {int}:
        return pa.array([None if v is None else str(v) for v in col], pa.string())
    if type_ == "date" and kinds <= {datetime}:
        return pa.array([None if v is None else v.date().isoformat() for v in col], pa.string())
    return pa.array([None if v is None else _xlsx_cell(v, type_) for v in col], pa.string())


def _xlsx_batches(
    rows: Iterator[tuple[int, Sequence[Any]]], types: Sequence[str | None], staged: Callable[[int], None] | None
) -> Iterator[pa.RecordBatch]:
    """Rows of an Excel sheet as record batches of ``_text_schema(len(types))``, converted column by
    column (``_xlsx_cell``; a blank cell, a cell past a short row and a column the layout does not
    know are null, which SQL reads as blank as for a CSV sheet's short row)."""
    width = len(types)
    schema = _text_schema(width)
    while chunk := list(itertools.islice(rows, 65_536)):
        nums, cells = zip(*chunk, strict=True)
        if any(len(r) < width for r in cells):
            cells = tuple((*r, *(None,) * (width - len(r))) for r in cells)
        columns = list(zip(*cells, strict=False))  # the first ``width`` columns (cells past the header: ignored)
        blank = pa.nulls(len(nums), pa.string())
        arrays = []
        for t, col in zip(types, columns, strict=False):
            if t is None or col.count(None) == len(col):
                arrays.append(blank)
            else:
                arrays.append(_xlsx_column(col, t))
        arrays.append(pa.array([n - 1 for n in nums], pa.int64()))
        if staged is not None:
            staged(len(nums))
        yield pa.RecordBatch.from_arrays(arrays, schema=schema)


def _xlsx_original(path: Path, sheet: str) -> Callable[[set[int]], dict[int, Sequence[Any]]]:
    def rows(wanted: set[int]) -> dict[int, Sequence[Any]]:
        with contextlib.closing(io_read._xlsx(path)) as sheets:  # type: ignore[type-var]  # a generator has close()
            for raw in sheets:
                if raw.sheet == sheet:
                    return {n: row for n, row in raw.rows if n in wanted}
        return {}

    return rows


def _stage_xlsx(
    con: duckdb.DuckDBPyConnection, path: Path, catalogue: Catalogue, staged: Callable[[int], None] | None = None
) -> dict[str, _Src]:
    """Each register sheet of an Excel workbook, read as the Python reader reads it
    (``io_read._xlsx``: calamine, or openpyxl for a workbook with error cells; row numbers
    as in Excel, blank rows skipped), into a table of text columns ``c0`` … like a CSV
    sheet's, each cell as ``_xlsx_cell`` writes it for its column's type."""
    lay = io_read.layout(catalogue)
    out: dict[str, _Src] = {}
    with contextlib.closing(io_read._xlsx(path)) as sheets:  # type: ignore[type-var]  # a generator has close()
        for raw in sheets:
            key = io_read.sheet_key(raw.sheet)
            sheet = io_read._Sheet(raw, key, lay, [])  # may find the header below a title (raw changed)
            width = len(raw.header)
            types: list[str | None] = [None] * width
            for i, col, _unit, _header in sheet.columns:
                types[i] = col.spec.type
            table = f"hq_xlsx_{key}"
            with _gc_paused():
                _create_staged(con, table, width, _xlsx_batches(raw.rows, types, staged))
            sql = _staged_rows(table)
            out[key] = _Src(
                sql,
                raw.file,
                raw.sheet,
                "hq_r0",
                tuple(raw.header),
                _xlsx_original(path, raw.sheet),
                notes=tuple(raw.notes),
                head_notes=() if raw.header_note is None else (raw.header_note,),
                header_row=raw.header_row,
            )
    return out


@dataclass(frozen=True, slots=True)
class _Src:
    """One sheet of the source: its raw rows with ``hq_row`` (1-based), the file and
    sheet named in errors, and the source's own 0-based row column."""

    sql: str
    file: str
    sheet: str
    row: str  # ``file_row_number`` (Parquet) or ``rowid`` (DuckDB): filters on it skip row groups
    # CSV, Excel: the header as written, for columns c0, c1, …; Parquet: the columns' names as the
    # file has them, for DuckDB's (a name twice is read as amount, amount_1)
    header: tuple[str, ...] | None = None
    # Excel: the rows numbered ``wanted`` as the workbook holds them (typed cells), read again
    # for the Python validator, whose messages show a cell as it is (5, not "5")
    original: Callable[[set[int]], dict[int, Sequence[Any]]] | None = None
    strict: bool = False  # CSV: values past the header make a row bad (``io_read.RawSheet.strict``)
    extra: bool = False  # some rows have such values: the last column ``hq_extra`` holds them
    notes: tuple[RowError, ...] = ()  # Excel: notices about the rows as read (``io_read.RawSheet.notes``)
    head_notes: tuple[RowError, ...] = ()  # Excel: a header found below a title (said before the header's own)
    header_row: int = 1

    def rows(self, lo: int, hi: int) -> str:
        """The rows ``lo`` … ``hi`` (1-based, inclusive), filtered in the scan itself."""
        return f"{self.sql} WHERE {self.row} BETWEEN {lo - 1} AND {hi - 1}"


def _pg_original(con: duckdb.DuckDBPyConnection, table: Any) -> Callable[[set[int]], dict[int, Sequence[Any]]] | None:
    """A PostgreSQL table's rows for the Python validator with its numeric columns staged as text
    (NaN, ±Infinity, too many digits: ``io_pg.PgTable.numeric_text``) as the Decimals psycopg gives
    the Python reader, so that both say “NaN” —— 不是数值 alike; ``None`` when there are none."""
    numeric = set(table.numeric_text)
    if not numeric:
        return None

    def as_decimal(value: Any) -> Any:
        try:
            return Decimal(value) if isinstance(value, str) else value
        except ArithmeticError:
            return value

    def rows(wanted: set[int]) -> dict[int, Sequence[Any]]:
        con.register("hq_pg_wanted", pa.table({"n": pa.array(sorted(wanted), pa.int64())}))
        try:
            rel = con.sql(
                f"SELECT rowid + 1 AS hq_n, * FROM {table.staged} WHERE rowid + 1 IN (SELECT n FROM hq_pg_wanted) ORDER BY rowid"
            )
            out: dict[int, Sequence[Any]] = {}
            for batch in rel.to_arrow_reader(65_536):
                pylists = [io_read.pylist(c) for c in batch.columns]
                for values in zip(*pylists, strict=True):
                    out[int(values[0])] = [as_decimal(v) if i in numeric else v for i, v in enumerate(values[1:])]
            return out
        finally:
            con.unregister("hq_pg_wanted")

    return rows


def _wall_clock(con: duckdb.DuckDBPyConnection, path: Path, schema: pa.Schema) -> str:
    """A ``REPLACE`` clause giving each timestamp column with a time zone as the wall-clock time in
    its own zone, as pyarrow hands it to the Python reader (2025-05-01 00:30 in Asia/Shanghai is
    dated 2025-05-01). DuckDB reads such a column as an instant, and its date would be the session
    zone's (UTC: 2025-04-30)."""
    parts = []
    for f in schema:
        if not pa.types.is_timestamp(f.type) or f.type.tz is None:
            continue
        zone, col = str(f.type.tz), ident(f.name)
        offset = io_read.UTC_OFFSET.fullmatch(zone)
        if offset:  # a fixed offset such as +08:00, which DuckDB's zones do not name
            minutes = (int(offset.group(2)) * 60 + int(offset.group(3))) * (-1 if offset.group(1) == "-" else 1)
            parts.append(f"timezone('UTC', {col}) + INTERVAL ({minutes}) MINUTE AS {col}")
            continue
        try:  # a zone the Python reader knows (io_read.check_parquet_types) that DuckDB does not
            con.execute(f"SELECT timezone({lit(zone)}, TIMESTAMPTZ '2000-01-01 00:00:00+00')").fetchall()
        except duckdb.Error:
            raise io_read.unknown_zone(path, f.name, zone) from None
        parts.append(f"timezone({lit(zone)}, {col}) AS {col}")
    return f" REPLACE ({', '.join(parts)})" if parts else ""


def _sources(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    where: str,
    schema: str | None,
    catalogue: Catalogue,
    on_rows: Callable[[int], None] | None = None,
) -> dict[str, _Src]:
    """table key → the sheet's source (see ``_Src``); ``on_rows`` is told the rows of each CSV or Excel batch read."""
    out: dict[str, _Src] = {}
    if kind == "csv":
        return _stage_csv(con, Path(where), on_rows)
    if kind == "xlsx":
        return _stage_xlsx(con, Path(where), catalogue, on_rows)
    if kind == "postgres":  # copied into this connection first (huiqi.batch.io_pg), then read like a DuckDB file
        import tempfile

        from .io_pg import stage_postgres

        with tempfile.TemporaryDirectory(prefix="huiqi-pg-") as folder:
            staged = stage_postgres(where, schema, con, Path(folder))
        shown = io_read.hide_password(where)
        return {
            t.key: _Src(f"SELECT *, rowid + 1 AS hq_row FROM {t.staged}", shown, t.source, "rowid", original=_pg_original(con, t))
            for t in staged
        }
    if kind == "parquet":
        found = io_read._find_files(Path(where), ".parquet")
        for key, path in found.items():
            try:
                con.execute(f"SELECT * FROM read_parquet({lit(str(path))}) LIMIT 0").fetchall()
            except duckdb.Error as exc:
                raise io_read.unreadable("Parquet文件", path, exc) from None
            arrow_schema = pq.read_schema(path)
            io_read.check_parquet_types(path, arrow_schema)
            sql = (
                f"SELECT * EXCLUDE (file_row_number){_wall_clock(con, path, arrow_schema)}, file_row_number + 1 AS hq_row "
                f"FROM read_parquet({lit(str(path))}, file_row_number = true)"
            )
            out[key] = _Src(sql, path.name, SHEET_LABEL[key], "file_row_number", tuple(arrow_schema.names))
        return out
    try:
        con.execute(f"ATTACH {lit(where)} AS hq_src (READ_ONLY)").fetchall()
    except duckdb.Error as exc:
        raise io_read.unreadable("DuckDB文件", where, exc) from None
    sch = schema or "main"
    kinds = dict(
        con.execute(
            "SELECT table_name, table_type FROM information_schema.tables WHERE table_catalog = 'hq_src' AND table_schema = ?",
            [sch],
        ).fetchall()
    )
    for key, name in io_read.register_tables(set(kinds), where, sch):
        table = f"hq_src.{ident(sch)}.{ident(name)}"
        if kinds[name] == "VIEW":  # a view has no rowid: its rows are copied, in the order the view gives them
            table = f"hq_view_{key}"
            con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM hq_src.{ident(sch)}.{ident(name)}").fetchall()
        out[key] = _Src(f"SELECT *, rowid + 1 AS hq_row FROM {table}", Path(where).name, f"{sch}.{name}", "rowid")
    return out


class _Validator:
    def __init__(self, con: duckdb.DuckDBPyConnection, catalogue: Catalogue, buckets: int, in_memory: bool) -> None:
        from .layout import layout as canonical_layout

        self.con = con
        self.cat = catalogue
        self.lay = io_read.layout(catalogue)
        self.canon = canonical_layout(catalogue)
        self.schemas = io_read.canonical_schemas(catalogue)
        self.buckets = buckets
        # in memory: temporary tables; otherwise (several chunks, under a memory limit or
        # of a large register) tables of the work database file, compressed (mostly empty
        # event columns take almost no room) and read back chunk by chunk, where temporary
        # tables would spill uncompressed. Writing them costs: at 10^7 event rows the
        # enterprises' statement alone took 7.1 s into the file against 4.6 s into memory
        # (benchmarks/RESULTS.md, eleventh session)
        self.kept = "TEMP" if in_memory else ""
        self.errors: list[RowError] = []
        self.counts = {k: Counts() for k in SHEETS}
        self.state = io_read._State()
        self.to_python = 0
        self.event_rows: _EventRows | None = None
        # the events sheet's rows with their owner's and their id's key expressions, as the duplicate
        # check reads them (Python's (code, event id) of state.event_ids): a prior award's 事项编号 is
        # looked up among every event row of its enterprise, accepted or not
        self.event_keys: tuple[str, str, str] | None = None
        self.n_enterprises = 0  # the last row number of the enterprises sheet
        self.refs: dict[str, list[str]] = {}  # per sheet: the column SQL of each header cell
        self.originals: dict[str, Callable[[set[int]], dict[int, Sequence[Any]]]] = {}  # see _Src.original
        cols = ", ".join(f"CAST(NULL AS {c.type}) AS {ident(c.name)}" for c in self.canon.events)
        self.ex(f"CREATE OR REPLACE {self.kept} TABLE hq_py_events AS SELECT {cols}, CAST(0 AS INTEGER) AS hq_bucket WHERE FALSE")

    def ex(self, sql: str, params: list[Any] | None = None) -> list[Any]:
        """Run a statement to completion (DuckDB keeps a pending result otherwise)."""
        return self.con.execute(sql, params or []).fetchall()

    def row_bucket(self, row: str) -> str:
        """An enterprise's chunk: chunks are ranges of the enterprises sheet's rows (1 … ``n_enterprises``),
        so events listed in the enterprises' order stay clustered by chunk, and chunk by chunk the results
        keep the register's order."""
        return f"CAST(({row} - 1) * {self.buckets} // {max(1, self.n_enterprises)} AS INTEGER) AS hq_bucket"

    def sheet(self, key: str, src: _Src) -> tuple[io_read._Sheet, dict[str, tuple[str, str, str | None]]]:
        """Header resolution (notices as the Python path gives them) and, per canonical
        column name, (source column SQL, its DuckDB type, the unit a header names). The
        header is the source's column names, or for CSV the header as written (columns
        ``c0`` … by position, all text); ``self.refs[key]``: the column SQL per header cell."""
        described = [tuple(r) for r in self.ex(f"DESCRIBE SELECT * FROM ({src.sql})") if r[0] != "hq_row"]
        if src.header is None:
            header = [str(r[0]) for r in described]
            self.refs[key] = [f"s.{ident(h)}" for h in header]
        else:
            header = list(src.header)
            self.refs[key] = [f"s.{ident(str(r[0]))}" for r in described]
        types = [str(r[1]) for r in described]
        self.errors.extend(src.head_notes)
        plain = RawSheet(src.file, src.sheet, header, iter(()), strict=src.strict, header_row=src.header_row)
        sh = io_read._Sheet(plain, key, self.lay, self.errors)
        cols: dict[str, tuple[str, str, str | None]] = {}
        for i, col, unit, _h in sh.columns:
            cols[col.name] = (self.refs[key][i], types[i], unit)
        return sh, cols

    def run_python(self, key: str, sh: io_read._Sheet, sql: str, where: str, validate: Callable[..., Any]) -> pa.Table | None:
        """Rows the SQL could not accept, through the Python validator, in row order."""
        cols = ", ".join(self.refs[key])
        rel = self.con.sql(f"SELECT s.hq_row, {cols} FROM ({sql}) s WHERE {where} ORDER BY s.hq_row")
        builder = io_read._Builder(self.schemas[key])
        n_py = 0
        accepted: list[int] = []  # their row numbers, so that results keep the register's order
        original = self.originals.get(key)
        cells = None  # an Excel sheet's rows as the workbook holds them, read again once
        wanted = set() if original is None else {int(r[0]) for r in self.ex(f"SELECT s.hq_row FROM ({sql}) s WHERE {where}")}
        if original is not None and wanted:
            cells = original(wanted)
        for batch in rel.to_arrow_reader(65_536):
            pylists = [io_read.pylist(c) for c in batch.columns]
            for values in zip(*pylists, strict=True):
                n = int(values[0])
                row = values[1:] if cells is None else cells[n]
                if (total := io_read.totals_row(sh, n, row)) is not None:
                    self.counts[key].read -= 1  # counted with the table's rows
                    self.errors.append(total)
                    continue
                problems: list[RowError] = []
                out = validate(sh, n, row, self.cat, self.state, problems)
                n_py += 1
                if problems:
                    self.counts[key].rejected += 1
                    self.errors.extend(problems)
                elif out is not None:
                    builder.add(out)
                    accepted.append(n)
        self.to_python += n_py
        if not n_py:
            return None
        return builder.table().append_column("hq_row", pa.array(accepted, pa.int64()))

    def insert_python(self, key: str, table: pa.Table | None) -> None:
        """Rows the Python validator accepted (with their ``hq_row``), into ``hq_c_<key>``:
        an enterprise gets the chunk of its row, every other row its enterprise's chunk."""
        if table is None or table.num_rows == 0:
            return
        self.con.register("hq_py_rows", table)
        target = "hq_py_events" if key == "events" else f"hq_c_{key}"  # events: hq_c_events holds verdicts only
        names = [n for n in table.schema.names if key != "events" or n != "hq_row"]
        cols = ", ".join(f"p.{ident(n)}" for n in names)
        if key == "enterprises":
            self.ex(f"INSERT INTO {target} BY NAME SELECT {cols}, {self.row_bucket('p.hq_row')} FROM hq_py_rows p")
        else:
            self.ex(
                f"INSERT INTO {target} BY NAME SELECT {cols}, COALESCE(e.hq_bucket, 0) AS hq_bucket FROM hq_py_rows p "
                "LEFT JOIN hq_c_enterprises e ON e.credit_code = p.credit_code"
            )
        self.con.unregister("hq_py_rows")

    def settle(
        self, key: str, sh: io_read._Sheet, sql: str, validate: Callable[..., Any], owner: str | None, dup: Sequence[str] | None
    ) -> None:
        """After the one pass that wrote ``hq_c_<key>`` (every row, with its row-local
        verdict ``hq_ok0`` and ``hq_h``, a hash of the key expressions ``dup``): rows
        failing it, and every row of a group sharing the keys, leave the table and go,
        in row order, through the Python validator. Duplicates: a GROUP BY on the hash,
        then the keys of the few rows whose hash repeats are compared exactly (read
        again from the source ``s``, like ``owner``, the owner's key of a failing row)."""
        self.counts[key].read = self._count(f"hq_c_{key}")
        self.ex(f"CREATE OR REPLACE TEMP TABLE hq_bad AS SELECT hq_row FROM hq_c_{key} WHERE NOT hq_ok0")
        if dup:
            self.ex(f"CREATE OR REPLACE TEMP TABLE hq_rep AS SELECT hq_h FROM hq_c_{key} GROUP BY 1 HAVING COUNT(*) > 1")
            if self._count("hq_rep"):
                ks = ", ".join(f"{e} AS d{i}" for i, e in enumerate(dup))
                rows = f"SELECT hq_row FROM hq_c_{key} WHERE hq_h IN (SELECT hq_h FROM hq_rep)"
                cand = f"SELECT s.hq_row, {ks} FROM ({sql}) s WHERE s.hq_row IN ({rows})"
                on = " AND ".join(f"d.d{i} IS NOT DISTINCT FROM c.d{i}" for i in range(len(dup)))
                self.ex(
                    f"INSERT INTO hq_bad SELECT c.hq_row FROM ({cand}) c "
                    f"SEMI JOIN (SELECT * EXCLUDE (hq_row) FROM ({cand}) GROUP BY ALL HAVING COUNT(*) > 1) d ON {on}"
                )
        if self._count("hq_bad") == 0:
            return
        self.ex(f"DELETE FROM hq_c_{key} WHERE hq_row IN (SELECT hq_row FROM hq_bad)")
        if owner is not None:
            self._load_owners(f"SELECT {owner} FROM ({sql}) s WHERE s.hq_row IN (SELECT hq_row FROM hq_bad)")
        py = self.run_python(key, sh, sql, "s.hq_row IN (SELECT hq_row FROM hq_bad)", validate)
        self.insert_python(key, py)

    # --- enterprises ---------------------------------------------------------------
    def enterprises(self, source: _Src) -> None:
        sql = source.sql
        sh, cols = self.sheet("enterprises", source)
        region_src = cols.get("region")
        region = f"CAST({region_src[0]} AS VARCHAR)" if region_src else None
        if region is not None and region_src is not None and region_src[1] == "VARCHAR":
            region = f"trim({region_src[0]})"
        oks: list[str] = ["s.hq_extra IS NULL"] if source.extra else []
        values: list[str] = []
        for c in self.canon.enterprises:
            spec = self.cat.enterprise.get(c.name)
            src = cols.get(c.name)
            default = _sql_value(_default(spec), c.type) if spec is not None else f"CAST(NULL AS {c.type})"
            if src is None or spec is None:
                values.append(f"{default} AS {ident(c.name)}")
                continue
            cell = _cell(src[0], src[1], spec, src[2], region)
            oks.append(f"({cell.present} AND {cell.ok})" if spec.required else f"(NOT {cell.present} OR {cell.ok})")
            values.append(f"CAST(CASE WHEN {cell.present} THEN {cell.value} ELSE {default} END AS {c.type}) AS {ident(c.name)}")
        code = cols.get("credit_code")
        if code is None:
            oks.append("FALSE")
            norm = "CAST(NULL AS VARCHAR)"
        else:
            norm = f"upper({_strip(f'CAST({code[0]} AS VARCHAR)')})"
        ok = " AND ".join(oks) or "TRUE"
        self.n_enterprises = int(self.ex(f"SELECT COALESCE(MAX(hq_row), 0) FROM ({sql})")[0][0])
        self.ex(
            f"CREATE OR REPLACE {self.kept} TABLE hq_c_enterprises AS SELECT {', '.join(values)}, "
            f"{self.row_bucket('s.hq_row')}, s.hq_row, "
            f"COALESCE({ok}, FALSE) AS hq_ok0, hash({norm}) AS hq_h FROM ({sql}) s"
        )
        self.settle("enterprises", sh, sql, io_read._enterprise_row, None, [norm])
        # state for the other sheets: accepted codes (region) are looked up per row in SQL,
        # rejected enterprises are known from the Python validator's own state.

    def _count(self, table: str) -> int:
        return int(self.ex(f"SELECT COUNT(*) FROM {table}")[0][0])

    def _load_owners(self, flagged_codes_sql: str) -> None:
        """Accepted enterprises referenced by rows going to the Python validator."""
        rows = self.ex(f"SELECT e.credit_code, e.region FROM hq_c_enterprises e WHERE e.credit_code IN ({flagged_codes_sql})")
        for code, region in rows:
            self.state.enterprises.setdefault(code, 0)
            self.state.regions[code] = str(region or "")

    # --- events ---------------------------------------------------------------------
    def events(self, src: _Src) -> None:
        sql = src.sql
        sh, cols = self.sheet("events", src)
        kind_src = cols.get("kind")
        if kind_src is not None and kind_src[1] == "VARCHAR":
            ks = kind_src[0]
            whens = " ".join(f"WHEN {ks} IN ({lit(k)}, {lit(v.label)}) THEN {lit(k)}" for k, v in self.cat.events.items())
            kind = f"(CASE {whens} END)"
            if not _clean_values([n for k, v in self.cat.events.items() for n in (k, v.label)]):
                kind = f"(CASE WHEN NOT regexp_matches({ks}, '^{_WS}|{_WS}$') THEN {kind} END)"
        else:
            kind = "CAST(NULL AS VARCHAR)"
        code_src = cols.get("credit_code")
        if code_src is not None and code_src[1] == "VARCHAR":
            cs = code_src[0]
            # the check character is not recomputed per event: a row is accepted only
            # when its code equals an accepted enterprise's (valid) code (the owner join below)
            code_ok = "(NOT s.hq_cpad)"
            code = f"upper({cs})"
        else:
            code_ok, code = "FALSE", "CAST(NULL AS VARCHAR)"
        id_src = cols.get("event_id")
        if id_src is None:
            eid, id_ok = f"concat({lit(SHEET_LABEL['events'])}, CAST(s.hq_row AS VARCHAR))", "TRUE"
        elif id_src[1] == "VARCHAR":
            i = id_src[0]
            eid = f"(CASE WHEN {i} IS NULL OR {i} = '' THEN concat({lit(SHEET_LABEL['events'])}, CAST(s.hq_row AS VARCHAR)) ELSE {i} END)"
            id_ok = f"({i} IS NULL OR NOT s.hq_ipad)"
        elif id_src[1] in _INT_TYPES:
            i = id_src[0]
            eid = f"(CASE WHEN {i} IS NULL THEN concat({lit(SHEET_LABEL['events'])}, CAST(s.hq_row AS VARCHAR)) ELSE CAST({i} AS VARCHAR) END)"
            id_ok = "TRUE"
        else:
            eid, id_ok = "NULL", "FALSE"
        date_src = cols.get("date")
        date_ok, date = "FALSE", "CAST(NULL AS DATE)"
        if date_src is not None and date_src[1] == "DATE":
            date_ok, date = f"({date_src[0]} BETWEEN {_DATES})", date_src[0]
        elif date_src is not None and date_src[1] in _WALL_TIMES:
            date = f"CAST({date_src[0]} AS DATE)"
            date_ok = f"({date} BETWEEN {_DATES})"
        elif date_src is not None and date_src[1] == "VARCHAR":  # text (CSV): the date forms _cell reads
            cell = _cell(date_src[0], "VARCHAR", FieldSpec(name="date", label="date", type="date"), None)
            date_ok, date = f"({cell.present} AND {cell.ok})", cell.value
        oks = ["s.hq_kind IS NOT NULL", code_ok, id_ok, date_ok] + (["s.hq_extra IS NULL"] if src.extra else [])
        per_kind: dict[str, list[str]] = {k: [] for k in self.cat.events}
        own_given: dict[str, list[str]] = {k: [] for k in self.cat.events}  # 1/0 terms: the kind's own cells given
        own_values: dict[str, list[tuple[str, str]]] = {k: [] for k in self.cat.events}  # (column, value SQL)
        all_given: list[str] = []  # 1/0 terms: any cell given
        kno = {k: i for i, k in enumerate(self.cat.events)}  # CASE on a small integer, not on the kind's text
        for c in self.canon.events[4:]:
            src_c = cols.get(c.name)
            given = (
                _cell(src_c[0], src_c[1], FieldSpec(name=c.name, label=c.name, type="text"), None).present if src_c else "FALSE"
            )
            if src_c is not None:
                all_given.append(f"CAST({given} AS INTEGER)")
            for kname, k in self.cat.events.items():
                spec = k.fields.get(c.name)
                if spec is None:
                    continue
                default = _sql_value(_default(spec), c.type) if spec.default is not None else None
                if src_c is None:
                    if spec.required:
                        per_kind[kname].append("FALSE")
                    if default is not None:
                        own_values[kname].append((c.name, default))
                    continue
                own_given[kname].append(f"CAST({given} AS INTEGER)")
                cell = _cell(src_c[0], src_c[1], spec, src_c[2], None)
                if spec.required:
                    per_kind[kname].append(f"({given} AND {cell.ok})")
                else:
                    per_kind[kname].append(f"(NOT {given} OR {cell.ok})")
                conv = f"CAST({cell.value} AS {c.type})"
                if default is None and conv == f"CAST({src_c[0]} AS {c.type})" and not src_c[1].endswith("[]"):
                    # the value is the cell itself (text, enum, bool, date): no CASE
                    value = f"NULLIF({src_c[0]}, '')" if src_c[1] == "VARCHAR" else src_c[0]
                else:
                    value = f"CASE WHEN {given} THEN {conv} ELSE {default or 'NULL'} END"
                own_values[kname].append((c.name, f"CAST({value} AS {c.type})"))
        # a cell given outside the row's kind: the count of given cells exceeds the kind's own
        # (one sum per row instead of a test per foreign column per kind)
        for kname, terms in own_given.items():
            per_kind[kname].append(f"s.hq_given = {' + '.join(terms) or '0'}")
        kind_whens = " ".join(f"WHEN {kno[k]} THEN {' AND '.join(conds)}" for k, conds in per_kind.items())
        oks.append(f"COALESCE(CASE s.hq_kno {kind_whens} ELSE FALSE END, FALSE)")
        nos = " ".join(f"WHEN s.hq_kind = {lit(k)} THEN {i}" for k, i in kno.items())
        # the padding tests of the code and the id once per row (the verdict and the keys read them)
        cpad = _padded(code_src[0]) if code_src is not None and code_src[1] == "VARCHAR" else "FALSE"
        ipad = _padded(id_src[0]) if id_src is not None and id_src[1] == "VARCHAR" else "FALSE"
        checked = f"SELECT s.*, {cpad} AS hq_cpad, {ipad} AS hq_ipad, {' + '.join(all_given) or '0'} AS hq_given FROM ({sql}) s"
        checked = f"SELECT s.*, CASE {nos} END AS hq_kno FROM (SELECT s.*, {kind} AS hq_kind FROM ({checked}) s) s"
        ok = " AND ".join(f"({o})" for o in oks)
        # the owner's key: Python's is 'None' for an invalid code; here the stripped
        # code, which can only meet an accepted (valid) enterprise code, and rows of an
        # invalid code are not accepted anyway, so duplicates among accepted rows agree
        key = f"upper({_strip(code_src[0], 's.hq_cpad')})" if code_src is not None and code_src[1] == "VARCHAR" else "'None'"
        if id_src is not None and id_src[1] == "VARCHAR":
            stripped = _strip(id_src[0], "s.hq_ipad")
            eid_key = f"(CASE WHEN {stripped} <> '' THEN {stripped} ELSE {eid} END)"
        else:
            eid_key = eid
        # one pass over every row, without the values: the row-local verdict, the owner
        # (by the stripped code, which can only meet an accepted, valid enterprise code),
        # its chunk and the hash of the keys; duplicates in ``settle``
        self.ex(
            f"CREATE OR REPLACE {self.kept} TABLE hq_c_events AS SELECT COALESCE(e.hq_bucket, 0) AS hq_bucket, "
            f"CAST(s.hq_kno AS TINYINT) AS hq_kno, s.hq_row, COALESCE(({ok}) AND e.credit_code IS NOT NULL, FALSE) AS hq_ok0, hash({key}, {eid_key}) AS hq_h "
            f"FROM ({checked}) s LEFT JOIN (SELECT credit_code, hq_bucket FROM hq_c_enterprises) e ON e.credit_code = {key}"
        )
        self.event_keys = (checked, key, eid_key)
        self.settle("events", sh, checked, io_read._event_row, key, [key, eid_key])
        self.ex("CREATE OR REPLACE TEMP TABLE hq_bad_events AS SELECT DISTINCT hq_row FROM hq_bad")
        sql_rows = kind != "CAST(NULL AS VARCHAR)" and code_ok != "FALSE" and id_ok != "FALSE" and date_ok != "FALSE"
        if sql_rows and kind_src is not None:
            got = self.ex("SELECT hq_bucket, MIN(hq_row), MAX(hq_row) FROM hq_c_events GROUP BY hq_bucket")
            ranges = {int(b): (int(lo), int(hi)) for b, lo, hi in got}
            bad = self._count("hq_bad_events") > 0
            groups = self._kind_groups(kind_src[0], own_values)
            self.event_rows = _EventRows(src, kind_src[0], code, eid, date, groups, ranges, bad)

    def _kind_groups(self, kind_cell: str, own_values: dict[str, list[tuple[str, str]]]) -> tuple[_KindGroup, ...]:
        """Kinds with at least an eighth of the rows alone, the others in one group."""
        names = list(self.cat.events)
        counted = self.ex("SELECT hq_kno, COUNT(*) FROM hq_c_events WHERE hq_kno IS NOT NULL GROUP BY hq_kno")
        per = {names[int(i)]: int(n) for i, n in counted}
        total = max(1, sum(per.values()))
        big = [k for k in names if per.get(k, 0) * 8 >= total]
        rest = [k for k in names if k not in big]
        out = []
        for members in [[k] for k in big] + ([rest] if rest else []):
            spell = [(k, (k, self.cat.events[k].label)) for k in members]
            if len(members) == 1:
                kind = lit(members[0])
            else:
                kind = "(CASE " + " ".join(f"WHEN {kind_cell} IN {_in(sp)} THEN {lit(k)}" for k, sp in spell) + " END)"
            by_col: dict[str, dict[str, str]] = {}
            for k in members:
                for c, v in own_values[k]:
                    by_col.setdefault(c, {})[k] = v
            values = []
            for c in (col.name for col in self.canon.events):
                if c not in by_col:
                    continue
                vs = by_col[c]
                if len(vs) == len(members) and len(set(vs.values())) == 1:  # the same SQL for every kind of the group
                    values.append((c, next(iter(vs.values()))))
                else:  # NULL for the kinds without the column (a default would otherwise fill them)
                    values.append((c, "CASE s.hq_kind " + " ".join(f"WHEN {lit(k)} THEN {v}" for k, v in vs.items()) + " END"))
            out.append(_KindGroup(tuple(spell), tuple(values), kind))
        return tuple(out)

    # --- qualifications and prior awards ------------------------------------------------
    def simple(self, key: str, source: _Src) -> None:
        sql = source.sql
        sh, cols = self.sheet(key, source)
        oks: list[str] = ["s.hq_extra IS NULL"] if source.extra else []
        values: list[str] = []
        code = "CAST(NULL AS VARCHAR)"
        code_ok = "FALSE"
        parsed: dict[str, str] = {}  # column → its value read from the cell
        for col in self.lay.sheets[key]:
            src = cols.get(col.name)
            canon = "amount_fen" if col.name == "amount" else col.name
            logical = next(c.type for c in self.canon.table(key) if c.name == canon)
            if src is None:
                values.append(f"CAST(NULL AS {logical}) AS {ident(canon)}")
                continue
            cell = _cell(src[0], src[1], col.spec, src[2], None)
            if col.spec.required:
                oks.append(f"({cell.present} AND {cell.ok})")
            else:
                oks.append(f"(NOT {cell.present} OR {cell.ok})")
            value = parsed[col.name] = cell.value
            if key == "qualifications" and col.name == "title" and self.cat.qualification_titles:
                oks.append(f"(NOT {cell.present} OR {src[0]} IN {_in(self.cat.qualification_titles)})")
            if key == "prior_awards" and col.name == "level":
                whens = " ".join(f"WHEN {lit(lb)} THEN {lit(k)}" for k, lb in LEVEL_NAMES.items())
                value = f"(CASE {value} {whens} ELSE {value} END)"
            if col.name == "credit_code":
                code, code_ok = cell.value, f"({cell.present} AND {cell.ok})"
            # the value only where the cell is valid: a year of 10^16 (valid BIGINT text, past
            # INTEGER) must fail the verdict and go to Python, not stop the cast
            values.append(f"CAST(CASE WHEN {cell.present} AND {cell.ok} THEN {value} END AS {logical}) AS {ident(canon)}")
        if key == "qualifications" and "since" in cols and "until" in cols:
            oks.append(f"NOT COALESCE(TRY_CAST({parsed['until']} AS DATE) < TRY_CAST({parsed['since']} AS DATE), FALSE)")
        hk = f"(CASE WHEN {code_ok} THEN {code} END)"
        joins = ""
        # a prior award's references: a benefit of the library, an event of its enterprise; the
        # rows naming anything else go to the Python validator, which says what was meant
        benefit = cols.get("benefit") if key == "prior_awards" else None
        if benefit is not None and self.cat.benefits:
            cell = _cell(benefit[0], benefit[1], FieldSpec(name="benefit", label="benefit", type="text"), None)
            oks.append(f"(NOT {cell.present} OR {cell.value} IN {_in(sorted(self.cat.benefits))})")
        event = cols.get("event") if key == "prior_awards" else None
        ev_present = "FALSE"
        if event is not None:
            cell = _cell(event[0], event[1], FieldSpec(name="event", label="event", type="text"), None)
            ev_present = cell.present
            named = f"SELECT DISTINCT {hk} AS c, {cell.value} AS i FROM ({sql}) s WHERE {cell.present} AND {cell.ok}"
            if self.event_keys is None:
                self.ex(
                    "CREATE OR REPLACE TEMP TABLE hq_ev_ids AS SELECT CAST(NULL AS VARCHAR) AS c, CAST(NULL AS VARCHAR) AS i WHERE FALSE"
                )
            else:
                checked, ek, ei = self.event_keys
                self.ex(
                    f"CREATE OR REPLACE TEMP TABLE hq_ev_ids AS SELECT n.c, n.i FROM ({named}) n "
                    f"SEMI JOIN (SELECT {ek} AS c, {ei} AS i FROM ({checked}) s) x ON x.c = n.c AND x.i = n.i"
                )
            joins = f" LEFT JOIN hq_ev_ids x ON x.c = {hk} AND x.i = {cell.value}"
            oks.append(f"(NOT {cell.present} OR x.c IS NOT NULL)")
        ok = " AND ".join(oks) or "TRUE"
        self.ex(
            f"CREATE OR REPLACE {self.kept} TABLE hq_c_{key} AS SELECT {', '.join(values)}, COALESCE(e.hq_bucket, 0) AS hq_bucket, "
            f"s.hq_row, COALESCE(({ok}) AND e.credit_code IS NOT NULL, FALSE) AS hq_ok0 "
            f"FROM ({sql}) s LEFT JOIN (SELECT credit_code, hq_bucket FROM hq_c_enterprises) e ON e.credit_code = {hk}{joins}"
        )
        if event is not None and self.event_keys is not None:
            # the event ids of the enterprises of rows going to the Python validator (its own state
            # holds only the event rows that went through it)
            checked, ek, ei = self.event_keys
            owners = (
                f"SELECT {hk} FROM ({sql}) s WHERE {ev_present} AND s.hq_row IN (SELECT hq_row FROM hq_c_{key} WHERE NOT hq_ok0)"
            )
            ids = f"SELECT {ek}, {ei}, MIN(s.hq_row) FROM ({checked}) s WHERE {ek} IN ({owners}) GROUP BY 1, 2"
            for c, i, n in self.ex(ids):
                self.state.event_ids.setdefault((c, i), int(n))  # the row: the ids are listed in row order
            self.state.ids_of = None
        validate = io_read._qualification_row if key == "qualifications" else io_read._prior_row
        self.settle(key, sh, sql, validate, hk, None)

    def empty(self, key: str) -> None:
        cols = ", ".join(f"CAST(NULL AS {c.type}) AS {ident(c.name)}" for c in self.canon.table(key))
        self.ex(
            f"CREATE OR REPLACE {self.kept} TABLE hq_c_{key} AS SELECT {cols}, CAST(0 AS INTEGER) AS hq_bucket, "
            "CAST(NULL AS BIGINT) AS hq_row, TRUE AS hq_ok0 WHERE FALSE"
        )


def validate_sql(
    source: str | Path,
    catalogue: Catalogue,
    con: duckdb.DuckDBPyConnection,
    schema: str | None = None,
    buckets: int = 1,
    progress: Callable[[int], None] | None = None,
    staged: Callable[[int], None] | None = None,
    in_memory: bool | None = None,
) -> SqlRegister:
    """Validate a Parquet folder, DuckDB file, PostgreSQL schema or CSV folder in SQL on ``con``;
    see the module docstring. ``progress`` is told the rows of each sheet validated, ``staged``
    the rows of each CSV batch read. ``in_memory``: keep the validated tables as temporary
    tables (by default only for one chunk); otherwise in ``con``'s database, compressed."""
    found = columnar_source(source)
    if found is None:
        raise RegisterError(f"{source}：不是可在SQL中校验的登记表（CSV或Parquet文件夹、.duckdb文件或PostgreSQL）")
    kind, where = found
    sources = _sources(con, kind, where, schema, catalogue, staged)
    v = _Validator(con, catalogue, buckets, buckets == 1 if in_memory is None else in_memory)
    v.originals = {k: src.original for k, src in sources.items() if src.original is not None}
    steps = ("enterprises", "events", "qualifications", "prior_awards")
    shown = io_read.database_source(where, schema) if kind in ("postgres", "duckdb") else where
    for key in steps:
        if key not in sources:
            v.empty(key)
            continue
        src = sources[key]
        if key == "enterprises":
            v.enterprises(src)
        elif key == "events":
            v.events(src)
        else:
            v.simple(key, src)
        v.errors.extend(src.notes)  # after the sheet's rows, as the Python reader gives them
        if progress is not None:
            progress(v.counts[key].read)
    if "events" not in sources and kind != "xlsx":  # last, as the Python reader; a workbook shows its sheets
        v.errors.append(io_read.no_events(shown))
    dropped = max(0, len(v.errors) - io_read.MAX_ERRORS_KEPT)
    io_read.require_enterprises(shown, v.counts)
    reg = Register(source=shown, tables={}, errors=v.errors[: io_read.MAX_ERRORS_KEPT], counts=v.counts, errors_dropped=dropped)
    return SqlRegister(reg, con, buckets, v.to_python, v.event_rows)


def accepted_columns(con: duckdb.DuckDBPyConnection, key: str) -> str:
    """The canonical columns of ``hq_c_<key>`` (without the bucket and the validation's own columns)."""
    names = [r[0] for r in con.execute(f"DESCRIBE hq_c_{key}").fetchall()]
    return ", ".join(ident(n) for n in names if n not in _HELPERS)


def _event_group_sql(ev: _EventRows, g: _KindGroup, bucket: int | None, one: bool) -> str | None:
    """SQL of one group of kinds' accepted rows (all, or one chunk's) read from the
    source with only their own columns; None when the chunk has no rows validated in SQL."""
    src, join = ev.src.sql, ""
    if bucket is not None and not one:
        span = ev.ranges.get(bucket)
        if span is None:
            return None
        src = ev.src.rows(*span)  # the chunk's rows are one range of row groups when events follow enterprises
        if not ev.disjoint():  # rows of other chunks inside the range: the owner's chunk decides
            join = f"JOIN (SELECT credit_code FROM hq_c_enterprises WHERE hq_bucket = {bucket}) e ON e.credit_code = {ev.code} "
    where = f"{ev.kind} IN {_in(g.spellings())}"
    if ev.bad:
        where += " AND s.hq_row NOT IN (SELECT hq_row FROM hq_bad_events)"
    cols = [f"{ev.code} AS credit_code", f"{ev.eid} AS event_id", f"{ev.date} AS date"]
    if len(g.kinds) > 1:
        cols.append("s.hq_kind AS kind")
    cols += [f"{v} AS {ident(c)}" for c, v in g.values]
    src = f"SELECT s.*, {g.kind} AS hq_kind FROM ({src}) s"  # the kind once per row (the values' CASEs read it)
    return f"SELECT {', '.join(cols)} FROM ({src}) s {join}WHERE {where}"


def chunk_tables(sreg: SqlRegister, bucket: int | None = None, row_order: bool = False) -> dict[str, str]:
    """Temporary tables or views on ``sreg.con`` with the accepted rows (all, or one chunk)
    in the canonical layout (enterprises with their sheet row ``hq_row`` too when
    ``row_order``); returns table key → name.  Events: one narrow table per
    kind read from the source (its own columns only), shown as one view of the
    canonical layout whose branches each carry their kind as a constant (so a filter
    on the kind reads one table), plus the rows the Python validator accepted."""
    con = sreg.con
    one = sreg.buckets == 1
    out: dict[str, str] = {}
    for key in ("enterprises", "qualifications", "prior_awards"):
        cols = accepted_columns(con, key) + (", hq_row" if row_order and key == "enterprises" else "")
        if bucket is None or one:  # all rows: no copy
            sel = f"VIEW hq_in_{key}_chunk AS SELECT {cols} FROM hq_c_{key}"
        else:  # rows of one chunk are mostly contiguous (see the module docstring): zone maps skip the rest
            sel = f"TABLE hq_in_{key}_chunk AS SELECT {cols} FROM hq_c_{key} WHERE hq_bucket = {bucket}"
        con.execute(f"CREATE OR REPLACE TEMP {sel}").fetchall()
        out[key] = f"hq_in_{key}_chunk"
    ev_cols = [(r[0], str(r[1])) for r in con.execute("DESCRIBE hq_py_events").fetchall() if r[0] not in _HELPERS]
    where = "" if bucket is None or one else f" WHERE hq_bucket = {bucket}"
    branches = [f"SELECT {', '.join(ident(n) for n, _ in ev_cols)} FROM hq_py_events{where}"]
    ev = sreg.event_rows
    for j, g in enumerate(ev.groups if ev is not None else ()):
        assert ev is not None
        rows = _event_group_sql(ev, g, bucket, one)
        if rows is None:
            continue
        con.execute(f"CREATE OR REPLACE TEMP TABLE hq_in_evg{j}_chunk AS {rows}").fetchall()
        # one kind: its name as a constant, so that a filter on another kind skips the table
        own = {c for c, _ in g.values} | {"credit_code", "event_id", "date"} | ({"kind"} if len(g.kinds) > 1 else set())
        proj = [
            f"{g.kind} AS kind" if n == "kind" and n not in own else ident(n) if n in own else f"CAST(NULL AS {t}) AS {ident(n)}"
            for n, t in ev_cols
        ]
        branches.append(f"SELECT {', '.join(proj)} FROM hq_in_evg{j}_chunk")
    con.execute(f"CREATE OR REPLACE TEMP VIEW hq_in_events_chunk AS {' UNION ALL '.join(branches)}").fetchall()
    out["events"] = "hq_in_events_chunk"
    return out


def canonical_tables(sreg: SqlRegister, bucket: int | None = None) -> dict[str, pa.Table]:
    """The accepted rows as pyarrow tables (all, or one bucket; events grouped by kind)."""
    names = chunk_tables(sreg, bucket)
    return {key: sreg.con.sql(f"SELECT * FROM {names[key]}").to_arrow_table() for key in SHEETS}
