"""From huiqi's canonical register tables (``huiqi.batch.layout``) to an
OpenFisca simulation, column-wise (pyarrow and numpy, no per-row Python).

What the adapter computes that the OpenFisca formulas do not (OpenFisca has
one person entity and no operator for "an earlier row with the same key" or for
a third table):

- the group entities' membership: enterprise, enterprise × year, and the
  once-per key (同系列类似产品 / 同一产品 / 同一项目同一级别);
- ``holds_srdi``: the enterprise holds 专精特新“小巨人”企业 or 专精特新中小企业 on
  the event's date (a join with the qualifications table);
- ``first_time`` (新获评): no qualification of the same title (and level) since
  before the event, and no earlier recognition event of the same title and
  level (grade-compatible), exactly as ``huiqi.core.conditions._first_time``;
- the tie-break rank of the 事项编号 (huiqi orders by date, item, event id).

Money is converted from exact fen to 元 as float32, the type OpenFisca gives
``float`` variables; blanks become NaN.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from openfisca_core.simulations import Simulation, SimulationBuilder

from .variables import (
    BOOL_INPUTS,
    ENUMS,
    MONEY_INPUTS,
    NUMBER_INPUTS,
    TRISTATE_INPUTS,
    ApplicantKind,
    Title,
    UnitKind,
)

SRDI_TITLES = ("专精特新“小巨人”企业", "专精特新中小企业")
_EPOCH = date(1970, 1, 1).toordinal()


@dataclass
class Inputs:
    """Arrays ready for ``set_input``, and the group structure."""

    n_events: int
    n_enterprises: int
    unit: dict[str, np.ndarray] = field(default_factory=dict)
    enterprise: dict[str, np.ndarray] = field(default_factory=dict)
    groups: dict[str, np.ndarray] = field(default_factory=dict)  # group entity → member → group index
    credit_code: pa.Array | None = None  # per unit
    event_id: pa.Array | None = None  # per unit (null for the profile)


def _np(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    return col.to_numpy(zero_copy_only=False) if isinstance(col, pa.Array) else col.to_numpy()


def _enum_codes(col: pa.ChunkedArray, enum: type) -> np.ndarray:
    """Strings → indices of the Enum's members (blank → MISSING, unknown → OTHER)."""
    members = list(enum)
    values = pa.array([m.value for m in members])
    idx = pc.index_in(col, value_set=values)
    other = members.index(enum.OTHER)
    out = _np(pc.fill_null(idx, other)).astype(np.int16)
    if "MISSING" in enum.__members__:
        out[_np(pc.is_null(col))] = members.index(enum.MISSING)
    return out


def _money(col: pa.ChunkedArray) -> np.ndarray:
    """fen (BIGINT, nullable) → 元 float32, NaN when blank."""
    fen = _np(pc.cast(col, pa.float64()))
    return (fen / 100.0).astype(np.float32)


def _days(col: pa.ChunkedArray) -> np.ndarray:
    return _np(pc.cast(col, pa.int32())).astype(np.int64)


def _group_pos(keys: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """For keys already sorted: (start index of each row's group, row's position within it)."""
    n = len(keys[0])
    new = np.ones(n, dtype=bool)
    if n:
        change = np.zeros(n - 1, dtype=bool)
        for k in keys:
            change |= k[1:] != k[:-1]
        new[1:] = change
    starts = np.maximum.accumulate(np.where(new, np.arange(n), 0))
    return starts, np.arange(n) - starts


def _codes(col: pa.ChunkedArray) -> np.ndarray:
    """Dictionary codes for a string column, -1 for blank."""
    enc = pc.dictionary_encode(col).combine_chunks()
    return _np(pc.fill_null(enc.indices, -1)).astype(np.int64)


def first_time(ev: pa.Table, quals: pa.Table, ent: np.ndarray, eid_rank: np.ndarray) -> np.ndarray:
    """新获评 for every recognition row (same_level: the subset's items all compare levels)."""
    n = ev.num_rows
    out = np.zeros(n, dtype=bool)
    rec = np.nonzero(_np(pc.equal(ev["kind"], "recognition")))[0]
    if not len(rec):
        return out
    sub = ev.take(pa.array(rec))
    e, title, level, grade = ent[rec], _codes(sub["title"]), _codes(sub["level"]), _codes(sub["grade"])
    day, rank = _days(sub["date"]), eid_rank[rec]
    # earlier recognition events of the same title and level (the grade compatible)
    o1 = np.lexsort((rank, day, level, title, e))
    starts, pos = _group_pos([e[o1], title[o1], level[o1]])
    any_earlier = pos > 0
    null_grade = (grade[o1] < 0).astype(np.int64)
    seen_null = np.cumsum(null_grade) - null_grade
    earlier_null = (seen_null - seen_null[starts]) > 0
    o2 = np.lexsort((rank, day, grade, level, title, e))
    _, pos2 = _group_pos([e[o2], title[o2], level[o2], grade[o2]])
    same_grade = np.zeros(len(rec), dtype=bool)
    same_grade[o2] = pos2 > 0
    earlier = np.zeros(len(rec), dtype=bool)
    earlier[o1] = np.where(grade[o1] < 0, any_earlier, same_grade[o1] | earlier_null)
    # a qualification of the same title (level equal or blank) obtained before the event
    left = pa.table(
        {
            "credit_code": sub["credit_code"],
            "title": sub["title"],
            "level": sub["level"],
            "date": sub["date"],
            "i": np.arange(len(rec)),
        }
    )
    right = quals.select(["credit_code", "title", "level", "since"]).rename_columns(["credit_code", "title", "qlevel", "since"])
    j = left.join(right, ["credit_code", "title"], join_type="inner")
    hit = pc.and_(
        pc.less(j["since"], j["date"]),
        pc.or_kleene(pc.is_null(j["qlevel"]), pc.fill_null(pc.equal(j["qlevel"], j["level"]), False)),
    )
    held = np.zeros(len(rec), dtype=bool)
    held[_np(pc.filter(j["i"], hit)).astype(np.int64)] = True
    out[rec] = ~earlier & ~held
    return out


def holds_srdi(ev: pa.Table, quals: pa.Table) -> np.ndarray:
    """The enterprise holds a 专精特新 qualification on the project's date."""
    n = ev.num_rows
    out = np.zeros(n, dtype=bool)
    proj = np.nonzero(_np(pc.equal(ev["kind"], "project")))[0]
    q = quals.filter(pc.is_in(quals["title"], value_set=pa.array(SRDI_TITLES)))
    if not len(proj) or not q.num_rows:
        return out
    left = pa.table({"credit_code": ev["credit_code"].take(pa.array(proj)), "date": ev["date"].take(pa.array(proj)), "i": proj})
    j = left.join(q.select(["credit_code", "since", "until"]), ["credit_code"], join_type="inner")
    ok = pc.and_(pc.less_equal(j["since"], j["date"]), pc.fill_null(pc.less_equal(j["date"], j["until"]), True))
    out[_np(pc.filter(j["i"], ok)).astype(np.int64)] = True
    return out


def _once_keys(ev: pa.Table, ent: np.ndarray) -> np.ndarray:
    """The once_key group of every event row (a singleton for rows without a once-per item)."""
    n = ev.num_rows
    kind, title = ev["kind"], ev["title"]
    ent_s = pa.array(ent.astype(str))
    blank = pa.scalar("")

    def key(tag: str, *parts: pa.ChunkedArray | pa.Array) -> pa.Array:
        cols = [pa.array([tag] * n), ent_s, *[pc.fill_null(p, blank) for p in parts]]
        return pc.binary_join_element_wise(*cols, "\x1f")

    series = pc.equal(kind, "device_registration")
    device_rec = pc.and_(pc.equal(kind, "recognition"), pc.equal(title, Title.INNOVATIVE_DEVICE.value))
    catalogue = pc.and_(pc.equal(kind, "recognition"), pc.equal(title, Title.CATALOGUE_PRODUCT.value))
    iiot = pc.and_(pc.equal(kind, "recognition"), pc.equal(title, Title.IIOT_DEMO.value))
    single = pa.array(np.char.add("U\x1f", np.arange(n).astype(str)))
    k = pc.if_else(
        pc.fill_null(series, False),
        key("S", ev["product_series"]),
        pc.if_else(
            pc.fill_null(device_rec, False),
            key("S", ev["product"]),
            pc.if_else(
                pc.fill_null(catalogue, False),
                key("C", ev["product"]),
                pc.if_else(pc.fill_null(iiot, False), key("I", title, ev["product"], ev["level"]), single),
            ),
        ),
    )
    return _np(pc.dictionary_encode(k).combine_chunks().indices).astype(np.int64)


def build_inputs(tables: dict[str, pa.Table], as_of: date) -> Inputs:
    ents, ev, quals = tables["enterprises"], tables["events"], tables["qualifications"]
    n_e, n_m = ev.num_rows, ents.num_rows
    inp = Inputs(n_events=n_e, n_enterprises=n_m)
    ent = _np(pc.index_in(ev["credit_code"], value_set=ents["credit_code"].combine_chunks())).astype(np.int64)
    eid_rank = _np(pc.rank(ev["event_id"], sort_keys="ascending", tiebreaker="first")).astype(np.int64)
    as_of_days = as_of.toordinal() - _EPOCH
    day = _days(ev["date"])

    def units(event_values: np.ndarray, profile_value: object) -> np.ndarray:
        return np.concatenate([event_values, np.full(n_m, profile_value, dtype=event_values.dtype)])

    kind = _enum_codes(ev["kind"], UnitKind)
    inp.unit["kind"] = units(kind, list(UnitKind).index(UnitKind.PROFILE))
    for name, enum in ENUMS.items():
        if name == "kind":
            continue
        inp.unit[name] = units(_enum_codes(ev[name], enum), list(enum).index(enum.MISSING))
    for name in MONEY_INPUTS:
        inp.unit[name] = units(_money(ev[name]), np.nan)
    for name in NUMBER_INPUTS:
        inp.unit[name] = units(_np(pc.cast(ev[name], pa.float64())).astype(np.float32), np.nan)
    inp.unit["rank"] = units(_np(pc.fill_null(ev["rank"], -1)).astype(np.int64), -1)
    for name in TRISTATE_INPUTS:
        col = pc.fill_null(pc.cast(ev[name], pa.int8()), -1)
        inp.unit[name] = units(_np(col).astype(np.int64), -1)
    inp.unit["holds_srdi"] = units(holds_srdi(ev, quals), False)
    inp.unit["first_time"] = units(first_time(ev, quals, ent, eid_rank), False)
    assert set(BOOL_INPUTS) <= set(inp.unit)
    inp.unit["date_days"] = units(day, as_of_days)
    inp.unit["event_id_rank"] = units(eid_rank, 0)
    # enterprise facts
    region = pc.cast(pc.fill_null(ents["region"], "0"), pa.int64())
    inp.enterprise["region_code"] = _np(region).astype(np.int64)
    inp.enterprise["applicant_kind"] = _enum_codes(pc.fill_null(ents["kind"], "企业"), ApplicantKind)
    sectors = ents["sectors"].combine_chunks()
    flat, parent = pc.list_flatten(sectors), pc.list_parent_indices(sectors)
    for var, value in (("sector_humanoid_maker", "人形机器人整机制造"), ("sector_humanoid", "人形机器人")):
        hit = _np(pc.filter(parent, pc.fill_null(pc.equal(flat, value), False))).astype(np.int64)
        mask = np.zeros(n_m, dtype=bool)
        mask[hit] = True
        inp.enterprise[var] = mask
    # groups
    unit_ent = np.concatenate([ent, np.arange(n_m)])
    year = (units(day, as_of_days).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)) + 1970
    _, ey = np.unique(unit_ent * 10_000 + year, return_inverse=True)
    once = _once_keys(ev, ent)
    inp.groups = {
        "enterprise": unit_ent,
        "enterprise_year": ey.astype(np.int64),
        "once_key": np.concatenate([once, once.max(initial=-1) + 1 + np.arange(n_m)]),
    }
    inp.credit_code = pa.concat_arrays([ev["credit_code"].combine_chunks(), ents["credit_code"].combine_chunks()])
    inp.event_id = pa.concat_arrays([ev["event_id"].combine_chunks(), pa.nulls(n_m, pa.string())])
    return inp


def simulation(tbs, inp: Inputs, period: str) -> Simulation:
    """``build_default_simulation`` with the unit count, the group structure set on
    the populations, and every input through ``set_input``."""
    n_units = inp.n_events + inp.n_enterprises
    sim = SimulationBuilder().build_default_simulation(tbs, count=n_units)
    for name, members in inp.groups.items():
        pop = sim.populations[name]
        count = int(members.max()) + 1
        pop.count = count
        pop.ids = np.arange(count)
        pop.members_entity_id = members
        pop._members_role = None
        pop._members_position = None
        pop._ordered_members_map = None
    for name, values in inp.unit.items():
        sim.set_input(name, period, values)
    for name, values in inp.enterprise.items():
        sim.set_input(name, period, values)
    return sim
