"""The compiler's static analysis and the exported SQL (DuckDB runs it here)."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from huiqi.batch import duck
from huiqi.batch.compiler import compile_library
from huiqi.batch.layout import LayoutError, layout, to_arrow
from huiqi.batch.spark import export_sql
from huiqi.core.facts import Catalogue, EventKind, FieldSpec
from huiqi.service import engine

from .test_differential import AS_OF, example_scenarios, records


def test_layout_has_one_column_per_catalogue_field() -> None:
    eng = engine()
    lay = layout(eng.catalogue)
    names = [c.name for c in lay.events]
    assert names[:4] == ["credit_code", "event_id", "kind", "date"]
    assert len(names) == len(set(names))
    for kind in eng.catalogue.events.values():
        for f in kind.fields:
            assert lay.event_field(f) is not None


def test_a_field_typed_two_ways_is_a_clear_error() -> None:
    cat = Catalogue(
        enterprise={},
        events={
            "a": EventKind("a", "甲", {"x": FieldSpec("x", "x", "money")}),
            "b": EventKind("b", "乙", {"x": FieldSpec("x", "x", "text")}),
        },
    )
    with pytest.raises(LayoutError, match="同名字段"):
        layout(cat)


def test_plan_is_compiled_once_for_every_dialect() -> None:
    eng = engine()
    plan = compile_library(eng.library, eng.catalogue)
    assert set(plan.benefits) == set(eng.library.benefits)
    for step in plan.steps:
        assert set(step.sql) == {"duckdb", "spark", "hive"}
    assert "//" in plan.step("hq_cand").sql["duckdb"] or "div" not in plan.step("hq_cand").sql["duckdb"]
    assert " div " in plan.step("hq_payers").sql["spark"]


@pytest.mark.parametrize("dialect", ["duckdb", "spark", "hive"])
def test_export_sql_names_every_step(dialect: str) -> None:
    eng = engine()
    plan = compile_library(eng.library, eng.catalogue)
    text = export_sql(plan, dialect)
    for step in plan.steps:
        assert f"-- step {step.name} " in text
    assert "${as_of}" in text


def test_exported_duckdb_script_gives_the_runner_result() -> None:
    eng = engine()
    plan = compile_library(eng.library, eng.catalogue)
    tables = to_arrow(example_scenarios(eng, AS_OF), eng.catalogue)
    con = duckdb.connect()
    res = duck.run(plan, con, tables, AS_OF)
    want = sorted(map(str, records(res.awards.order("credit_code, event_id, benefit_id"))))
    con2 = duckdb.connect()
    for name, table in tables.items():
        con2.register(name, table)
    con2.execute(export_sql(plan, "duckdb", date(2025, 12, 31)))
    got = sorted(map(str, records(con2.table("hq_awards").order("credit_code, event_id, benefit_id"))))
    assert got == want


def test_gated_benefits_share_one_select_per_kind_and_gate() -> None:
    """Benefits of one kind gated on one field (``Library.gates``) are one
    branch of ``hq_cand`` over the units joined to their gate values."""
    eng = engine()
    plan = compile_library(eng.library, eng.catalogue)
    branches = plan.step("hq_cand").sql["duckdb"].split("\nUNION ALL\n")
    assert len(branches) < len(plan.benefits)
    gates = next(st for st in plan.statics if st.name == "hq_gates")
    fused = {row[1] for row in gates.rows}
    assert fused and all(f"WHEN {n} THEN" in plan.step("hq_cand").sql["duckdb"] for n in fused)
    assert any(s.name.startswith("hq_ug") for s in plan.steps)


def test_the_exported_sql_reads_a_blank_as_the_catalogues_default() -> None:
    """huiqi's validation writes the defaults (获评方式 新获评, 是否向关联企业采购 否 …) into the
    register; a platform running the exported SQL on its own tables may leave them blank. A
    blank 获评方式 made 吴中 第15条 (which asks 新获评) drop a 100万元 award on Spark."""
    import pyarrow as pa
    import pyarrow.compute as pc

    eng = engine()
    plan = compile_library(eng.library, eng.catalogue)
    tables = to_arrow(example_scenarios(eng, AS_OF), eng.catalogue)
    con = duckdb.connect()
    want = sorted(map(str, records(duck.run(plan, con, tables, AS_OF).awards.order("credit_code, event_id, benefit_id"))))
    event_defaults = {n: s.default for k in eng.catalogue.events.values() for n, s in k.fields.items() if s.default is not None}
    enterprise_defaults = {n: s.default for n, s in eng.catalogue.enterprise.items() if s.default is not None}

    def blank_defaults(table: pa.Table, defaults: dict[str, object]) -> tuple[pa.Table, int]:
        blanked = 0
        for name, default in defaults.items():
            if name in table.column_names:
                column = table[name]
                is_default = pc.fill_null(pc.equal(column, pa.scalar(default, column.type)), False)
                blanked += pc.sum(is_default).as_py() or 0
                table = table.set_column(
                    table.column_names.index(name), name, pc.if_else(is_default, pa.nulls(len(column), column.type), column)
                )
        return table, blanked

    events, blanked_events = blank_defaults(tables["events"], event_defaults)
    enterprises, blanked_enterprises = blank_defaults(tables["enterprises"], enterprise_defaults)
    assert blanked_events > 0 and blanked_enterprises > 0  # 主体类型 企业 among them: the applicant check reads it
    con2 = duckdb.connect()
    for name, table in {**tables, "events": events, "enterprises": enterprises}.items():
        con2.register(name, table)
    con2.execute(export_sql(plan, "duckdb", AS_OF))
    assert sorted(map(str, records(con2.table("hq_awards").order("credit_code, event_id, benefit_id")))) == want


def test_a_cap_is_named_in_a_refusal_as_its_author_wrote_it() -> None:
    """A benefit's own cap has an id no one wrote (wz-8-digital-renovation#cap0): a refusal names it by its words
    and its benefit; a cap over several benefits by its words and its id."""
    from huiqi.batch.compiler import _cap_name

    caps = engine().library.caps
    own = _cap_name(caps["wz-8-digital-renovation#cap0"][0])
    assert own.startswith("“") and "单个企业每年最高 100万元”" in own and own.endswith("（奖补项wz-8-digital-renovation的限额）")
    assert (
        _cap_name(caps["wuzhong-2025-art3-devices-year"][0])
        == "“每家单位每年累计支持资金不超过 500万元”（wuzhong-2025-art3-devices-year）"
    )
