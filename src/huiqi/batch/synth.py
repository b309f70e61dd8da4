"""Synthetic registers (模拟登记表): reproducible for a seed, realistic enough to
exercise the library, and fast enough for 10^7 event rows.

Values are drawn around the thresholds the library's conditions use (超过50万元,
不低于200万元, 不低于50% …), so many events qualify and many are near-misses;
5% sit exactly on a threshold.  Everything is generated column-wise with numpy
in chunks of enterprises (each chunk seeded by ``(seed, chunk)``), written
chunk by chunk, and never held as Python objects per row.

The output is a *register* (money in 元, headers Chinese in Excel/CSV, English
field names in Parquet/DuckDB), read back by :func:`huiqi.batch.io_read.read_register`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from huiqi.core.credit_code import ALPHABET, WEIGHTS
from huiqi.core.facts import Catalogue, FieldSpec
from huiqi.core.model import Compare, Contains, Field, Holds, IsTrue, Library, OneOf, Ratio, Total, YearSum
from huiqi.core.regions import TOWNS
from huiqi.service import InputError

from .io_read import SHEETS, layout

__all__ = ["CHUNK", "synth", "synth_chunks"]

CHUNK = 50_000  # enterprises per chunk (fixed: the data do not depend on the output format)
EPOCH_2016 = 16801  # days from 1970-01-01 to 2016-01-01
DAY_2024 = 19723  # 2024-01-01
DAY_2027 = 20819  # 2027-01-01
REGION_MIX = (("320506", 0.46), ("320412", 0.44), ("320505", 0.04), ("320583", 0.03), ("320411", 0.03))
INDUSTRIES = (
    "C3491",
    "C3484",
    "C3411",
    "C3670",
    "C2710",
    "C2720",
    "C3581",
    "C3589",
    "C3976",
    "C3985",
    "C3311",
    "C3824",
    "C2929",
    "C3399",
    "C4090",
)
NAME_WORDS = (
    "精密",
    "智能",
    "科技",
    "机电",
    "新材料",
    "医药",
    "电子",
    "装备",
    "自动化",
    "汽车部件",
    "半导体",
    "生物",
    "光电",
    "数控",
    "环保",
)
_WEIGHTS = np.array(WEIGHTS, dtype=np.int64)


@dataclass(slots=True)
class Hints:
    """What the library's conditions look at, per event kind (or ``enterprise``) and field."""

    thresholds: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    preferred: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    expected: dict[tuple[str, str], bool] = field(default_factory=dict)
    ratios: dict[str, list[tuple[str, str, float]]] = field(default_factory=lambda: defaultdict(list))
    kind_weight: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    holds: set[str] = field(default_factory=set)


def hints(library: Library) -> Hints:
    """Collect thresholds, option values and yes/no expectations from every benefit."""
    h = Hints()
    for b in library.benefits.values():
        h.kind_weight[b.event] += 1
        for c in (*b.match, *b.when):
            if isinstance(c, Compare):
                value = float(c.value)
                if isinstance(c.fact, Field):
                    owner = "enterprise" if c.fact.on_enterprise else b.event
                    h.thresholds[(owner, c.fact.name)].append(value)
                elif isinstance(c.fact, Ratio):
                    h.ratios[b.event].append((c.fact.numerator.name, c.fact.denominator.name, value))
                elif isinstance(c.fact, YearSum):  # a year's total: two or three events cross it
                    h.thresholds[(b.event, c.fact.field.name)].append(value / 2)
                elif isinstance(c.fact, Total):
                    for part in c.fact.parts:
                        h.thresholds[(b.event, part.name)].append(value / max(1, len(c.fact.parts)))
            elif isinstance(c, OneOf) and not c.negate:
                owner = "enterprise" if c.fact.on_enterprise else b.event
                h.preferred[(owner, c.fact.name)].update(c.values)
            elif isinstance(c, IsTrue):
                owner = "enterprise" if c.fact.on_enterprise else b.event
                h.expected[(owner, c.fact.name)] = c.expected
            elif isinstance(c, Holds):
                h.holds.update(c.titles)
            elif isinstance(c, Contains):
                h.preferred[("enterprise", c.fact.name)].update(c.values)
    return h


# --- column generators ------------------------------------------------------------------


def _choice(rng: np.random.Generator, values: tuple[str, ...], n: int, preferred: set[str], null_share: float = 0.0) -> pa.Array:
    if not values:
        return pa.nulls(n, pa.string())
    weights = np.array([4.0 if v in preferred else 1.0 for v in values])
    idx = rng.choice(len(values), size=n, p=weights / weights.sum())
    mask = rng.random(n) < null_share if null_share else None
    indices = pa.array(idx.astype(np.int32), mask=mask)
    return pa.DictionaryArray.from_arrays(indices, pa.array(list(values), pa.string())).cast(pa.string())


def _near(rng: np.random.Generator, thresholds: list[float], n: int, default: float, spread: float = 0.7) -> np.ndarray:
    """Values scattered around the thresholds (5% exactly on one), else around ``default``."""
    if thresholds:
        base = np.array(thresholds, dtype=np.float64)[rng.integers(0, len(thresholds), size=n)]
        values = base * np.exp(rng.normal(0.0, spread, size=n))
        exact = rng.random(n) < 0.05
        values[exact] = base[exact]
        return values
    return default * np.exp(rng.normal(0.0, 1.1, size=n))


def _column(rng: np.random.Generator, spec: FieldSpec, owner: str, n: int, h: Hints, seq: np.ndarray) -> pa.Array:
    key = (owner, spec.name)
    t = spec.type
    null_share = 0.0 if spec.required else 0.1
    if t == "money":
        fen = _near(rng, h.thresholds.get(key, []), n, 100_000_000.0)
        yuan = np.maximum(np.round(fen / 100.0), 0).astype(np.int64)
        return pa.array(yuan, mask=rng.random(n) < null_share if null_share else None)
    if t in ("number", "rate"):
        default = 0.4 if t == "rate" else 100.0
        v = np.round(_near(rng, h.thresholds.get(key, []), n, default, 0.4), 2)
        if t == "rate":
            v = np.minimum(v, 1.0)
        if spec.maximum is not None:
            v = np.minimum(v, float(spec.maximum))
        return pa.array(v, mask=rng.random(n) < null_share if null_share else None)
    if t == "integer":
        v = np.maximum(1, np.round(_near(rng, h.thresholds.get(key, []), n, 10.0, 0.5))).astype(np.int64)
        if spec.maximum is not None:
            v = np.minimum(v, int(spec.maximum))
        return pa.array(v)
    if t == "bool":
        p = 0.8 if h.expected.get(key, True) else 0.2
        return pa.array(rng.random(n) < p)
    if t == "enum":
        return _choice(rng, spec.values, n, h.preferred.get(key, set()), null_share if not spec.required else 0.0)
    if t == "enum_list":
        if not spec.values:
            return pa.nulls(n, pa.list_(pa.string()))
        has = rng.random(n) < 0.3
        values = _choice(rng, spec.values, n, h.preferred.get(key, set()))
        offsets = np.concatenate([[0], np.cumsum(has.astype(np.int32))]).astype(np.int32)
        return pa.ListArray.from_arrays(pa.array(offsets), values.filter(pa.array(has)))
    if t == "date":
        return pa.array((DAY_2024 + rng.integers(0, DAY_2027 - DAY_2024, size=n)).astype(np.int32), pa.date32())
    # text
    if spec.name == "industry":
        return _choice(rng, INDUSTRIES, n, set())
    stem = spec.label.split("（")[0][:4]  # 产品（型号、系列） → 产品-12, not 产品（型-12 with a bracket left open
    labels = np.char.add(f"{stem}-", (seq % 997).astype(str))
    return pa.array(labels, mask=None if spec.required else rng.random(n) < 0.3)


def _credit_codes(region: np.ndarray, seq: np.ndarray, seed: int) -> np.ndarray:
    """Valid 统一社会信用代码: 91 + region + a 9-character organisation code + check."""
    n = len(seq)
    digits = np.zeros((n, 17), dtype=np.int64)
    digits[:, 0], digits[:, 1] = 9, 1
    reg = region.astype(np.int64)
    for i in range(6):
        digits[:, 2 + 5 - i] = reg % 10
        reg //= 10
    mod = 31**9
    org = (seq.astype(np.int64) * 1_000_003 + seed * 7919 + 12345) % mod  # bijective: 1000003 is prime to 31
    for i in range(9):
        digits[:, 8 + 8 - i] = org % 31
        org //= 31
    check = (31 - (digits * _WEIGHTS).sum(axis=1) % 31) % 31
    alphabet = np.array(list(ALPHABET))
    chars = np.concatenate([alphabet[digits], alphabet[check][:, None]], axis=1)
    return np.ascontiguousarray(chars).view("<U18").reshape(n)


def synth_chunks(
    library: Library, catalogue: Catalogue, enterprises: int, seed: int, per_enterprise: float = 4.0
) -> Iterator[dict[str, pa.Table]]:
    """The register, chunk by chunk (enterprises, events, qualifications, prior_awards)."""
    h = hints(library)
    lay = layout(catalogue)
    kinds = list(catalogue.events)
    kw = np.array([h.kind_weight.get(k, 0) + 1.0 for k in kinds])
    kw /= kw.sum()
    event_cols = lay.sheets["events"][4:]
    titles = tuple(catalogue.qualification_titles)
    regions = np.array([r for r, _ in REGION_MIX])
    region_p = np.array([p for _, p in REGION_MIX])
    event_seq = 0
    for chunk, start in enumerate(range(0, enterprises, CHUNK)):
        rng = np.random.default_rng([seed, chunk])
        n = min(CHUNK, enterprises - start)
        seq = np.arange(start, start + n, dtype=np.int64)
        region = regions[rng.choice(len(regions), size=n, p=region_p)]
        codes = _credit_codes(region, seq, seed)
        town_parts = []
        for code, towns in TOWNS.items():
            m = region == code
            if m.any():
                town_parts.append((m, np.array(towns)[rng.integers(0, len(towns), size=int(m.sum()))]))
        town_str = np.full(n, "", dtype="<U16")
        for m, picked in town_parts:
            town_str[m] = picked
        town_arr = pa.array(town_str, mask=town_str == "")
        words = np.array(NAME_WORDS)[rng.integers(0, len(NAME_WORDS), size=n)]
        names = np.char.add(np.char.add(np.char.add("苏常", words), seq.astype(str)), "有限公司")
        ent: dict[str, pa.Array] = {}
        for col in lay.sheets["enterprises"]:
            if col.name == "credit_code":
                ent[col.name] = pa.array(codes)
            elif col.name == "name":
                ent[col.name] = pa.array(names)
            elif col.name == "region":
                ent[col.name] = pa.array(region)
            elif col.name == "town":
                ent[col.name] = town_arr
            elif col.name == "kind":
                ent[col.name] = _choice(
                    rng, tuple(v for v in ("企业",) * 30 + ("社会组织", "高校院所") if v in col.spec.values), n, set()
                )
            else:
                ent[col.name] = _column(rng, col.spec, "enterprise", n, h, seq)
        counts = rng.poisson(per_enterprise, size=n)
        m = int(counts.sum())
        owner = np.repeat(np.arange(n), counts)
        kind_idx = rng.choice(len(kinds), size=m, p=kw)
        eseq = np.arange(event_seq, event_seq + m, dtype=np.int64)
        event_seq += m
        ev: dict[str, pa.Array] = {
            "credit_code": pa.array(codes[owner]) if m else pa.array([], pa.string()),
            "event_id": pa.array(np.char.add("E", np.char.zfill(eseq.astype(str), 9))) if m else pa.array([], pa.string()),
            "kind": pa.DictionaryArray.from_arrays(pa.array(kind_idx.astype(np.int32)), pa.array(kinds)).cast(pa.string()),
            "date": pa.array((DAY_2024 + rng.integers(0, DAY_2027 - DAY_2024, size=m)).astype(np.int32), pa.date32()),
        }
        built: dict[str, Any] = {}
        for col in event_cols:
            parts = []
            positions = []
            for k_i, k in enumerate(kinds):
                spec = col.specs.get(k)
                if spec is None:
                    continue
                pos = np.nonzero(kind_idx == k_i)[0]
                if len(pos):
                    parts.append(_column(rng, spec, k, len(pos), h, eseq[pos]))
                    positions.append(pos)
            built[col.name] = (parts, positions)
        for col in event_cols:
            parts, positions = built[col.name]
            typ = parts[0].type if parts else _pa_type(col.spec.type)
            if not parts:
                ev[col.name] = pa.nulls(m, typ)
                continue
            order = np.concatenate(positions)
            values = pa.concat_arrays([p.cast(typ) for p in parts])
            inverse = np.full(m, len(order), dtype=np.int64)
            inverse[order] = np.arange(len(order))
            ev[col.name] = pa.concat_arrays([values, pa.nulls(1, typ)]).take(pa.array(inverse))
        _ratios(rng, ev, kinds, kind_idx, h, m)
        qn = rng.random(n) < (0.12 if titles else 0.0)
        qpos = np.nonzero(qn)[0]
        since = (EPOCH_2016 + rng.integers(0, DAY_2027 - EPOCH_2016 - 400, size=len(qpos))).astype(np.int32)
        quals = {
            "credit_code": pa.array(codes[qpos]) if len(qpos) else pa.array([], pa.string()),
            "title": _choice(rng, titles, len(qpos), h.holds),
            "level": _choice(rng, ("国家级", "省级", "市级"), len(qpos), set()),
            "since": pa.array(since, pa.date32()),
            "until": pa.array(since + 3 * 365, pa.date32(), mask=rng.random(len(qpos)) < 0.5),
        }
        pn = np.nonzero(rng.random(n) < 0.03)[0]
        priors = {
            "credit_code": pa.array(codes[pn]) if len(pn) else pa.array([], pa.string()),
            "amount": pa.array(np.round(np.exp(rng.normal(np.log(2e5), 1.0, size=len(pn)))).astype(np.int64)),
            "year": pa.array(rng.integers(2023, 2026, size=len(pn)).astype(np.int64)),
            "level": _choice(rng, ("district", "city"), len(pn), set()),
            "document": pa.array(np.full(len(pn), "往年同类政策")),
            "benefit": pa.nulls(len(pn), pa.string()),
            "event": pa.nulls(len(pn), pa.string()),
            "key": pa.nulls(len(pn), pa.string()),
        }
        yield {
            "enterprises": pa.table(ent),
            "events": pa.table(ev),
            "qualifications": pa.table(quals),
            "prior_awards": pa.table(priors),
        }


def _pa_type(t: str) -> pa.DataType:
    return {
        "money": pa.int64(),
        "number": pa.float64(),
        "rate": pa.float64(),
        "integer": pa.int64(),
        "bool": pa.bool_(),
        "enum_list": pa.list_(pa.string()),
        "date": pa.date32(),
    }.get(t, pa.string())


def _ratios(rng: np.random.Generator, ev: dict[str, pa.Array], kinds: list[str], kind_idx: np.ndarray, h: Hints, m: int) -> None:
    """Numerators of ratio conditions (智能改造投入占总投入不低于50%) around the ratio, never above the whole."""
    for k_i, k in enumerate(kinds):
        for num, den, r in h.ratios.get(k, []):
            if num not in ev or den not in ev or not pa.types.is_integer(ev[den].type):
                continue
            pos = np.nonzero(kind_idx == k_i)[0]
            if not len(pos):
                continue
            whole = ev[den].fill_null(0).to_numpy(zero_copy_only=False).astype(np.float64)
            part = (
                ev[num].to_numpy(zero_copy_only=False).astype(np.float64)
                if ev[num].null_count == 0
                else ev[num].fill_null(0).to_numpy(zero_copy_only=False).astype(np.float64)
            )
            factor = np.minimum(np.exp(rng.normal(0.0, 0.35, size=len(pos))), 1.0 / r)
            part[pos] = np.round(whole[pos] * r * factor)
            valid = ~np.asarray(ev[num].is_null().to_numpy(zero_copy_only=False))
            valid[pos] = ~np.asarray(ev[den].is_null().to_numpy(zero_copy_only=False))[pos]
            ev[num] = pa.array(part.astype(np.int64), mask=~valid)


# --- writers ---------------------------------------------------------------------------


def _for_text(table: pa.Table) -> pa.Table:
    """Lists joined with 、 for CSV and Excel."""
    import pyarrow.compute as pc

    cols = []
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_list(col.type):
            col = pc.binary_join(col, "、")
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def _headers(catalogue: Catalogue) -> dict[str, dict[str, str]]:
    lay = layout(catalogue)
    return {k: {c.name: c.header for c in cols} for k, cols in lay.sheets.items()}


def synth(
    out: Path, library: Library, catalogue: Catalogue, enterprises: int, seed: int, per_enterprise: float = 4.0
) -> dict[str, int]:
    """Write a synthetic register; the format follows the suffix of ``out``."""
    suffix = out.suffix.lower()
    stats = dict.fromkeys(SHEETS, 0)
    chunks = synth_chunks(library, catalogue, enterprises, seed, per_enterprise)
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        out.mkdir(parents=True, exist_ok=True)
        writers: dict[str, Any] = {}
        try:
            for chunk in chunks:
                for key, t in chunk.items():
                    if key not in writers:
                        writers[key] = pq.ParquetWriter(out / f"{key}.parquet", t.schema)
                    writers[key].write_table(t)
                    stats[key] += t.num_rows
        finally:
            for w in writers.values():
                w.close()
    elif suffix == ".csv":
        import pyarrow.csv as pacsv

        out.mkdir(parents=True, exist_ok=True)
        heads = _headers(catalogue)
        files = {k: (out / f"{k}.csv").open("wb") for k in SHEETS}
        try:
            for i, chunk in enumerate(chunks):
                for key, t in chunk.items():
                    t = _for_text(t).rename_columns([heads[key].get(c, c) for c in t.column_names])
                    if i == 0:
                        files[key].write(b"\xef\xbb\xbf")
                    pacsv.write_csv(t, files[key], pacsv.WriteOptions(include_header=i == 0))
                    stats[key] += t.num_rows
        finally:
            for f in files.values():
                f.close()
    elif suffix == ".duckdb":
        import duckdb

        if out.exists():
            out.unlink()
        con = duckdb.connect(str(out))
        try:
            created: set[str] = set()
            for chunk in chunks:
                for key, t in chunk.items():
                    con.register("chunk_view", t)
                    if key in created:
                        con.execute(f'INSERT INTO "{key}" SELECT * FROM chunk_view')
                    else:
                        con.execute(f'CREATE TABLE "{key}" AS SELECT * FROM chunk_view')
                        created.add(key)
                    con.unregister("chunk_view")
                    stats[key] += t.num_rows
        finally:
            con.close()
    elif suffix == ".xlsx":
        from .xlsx import MAX_ROWS, write_xlsx

        heads = _headers(catalogue)
        # every sheet of a chunk is kept until the workbook is written: .xlsx sheets
        # are written one after another, and the chunks come sheet by sheet in parallel
        kept: dict[str, list[pa.Table]] = {k: [] for k in SHEETS}
        for chunk in chunks:
            for key, t in chunk.items():
                if stats[key] + t.num_rows > MAX_ROWS - 1:
                    raise InputError("Excel单表最多1,048,575行；请减少企业数或输出为 .parquet / .csv / .duckdb")
                kept[key].append(_for_text(t))
                stats[key] += t.num_rows

        def rows(tables: list[pa.Table]) -> Iterator[tuple[Any, ...]]:
            for t in tables:
                for batch in t.to_batches(65_536):
                    yield from zip(*(c.to_pylist() for c in batch.columns), strict=True)

        out.parent.mkdir(parents=True, exist_ok=True)
        write_xlsx(
            out,
            [(SHEETS[k][0], [heads[k].get(c, c) for c in ts[0].column_names], rows(ts)) for k, ts in kept.items() if ts],
        )
    else:
        raise InputError(f"无法识别的输出格式：{out}（.xlsx 文件、.duckdb 文件，或 .parquet / .csv 结尾的文件夹）")
    return stats
