"""Run a compiled plan with PySpark, and export the plan as SQL a platform
can schedule without Python (DuckDB, Spark SQL, Hive)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .compiler import Dialect, lit
from .layout import arrow_schema
from .plan import AS_OF, DIALECTS, Plan, StaticTable, date_literal

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["SparkResult", "export_sql", "run", "session"]


@dataclass(frozen=True, slots=True)
class SparkResult:
    awards: DataFrame
    payers: DataFrame
    steps_run: int


def session(cores: int = 2, memory: str | None = None, log: Path | None = None) -> SparkSession:
    """A local Spark session (``local[cores]``), small and quiet, for tests and single machines;
    ``memory`` (e.g. ``4GB``) sets the driver's memory when the session starts here. With ``log``,
    a JVM started here writes its own output (the JVM's and log4j's warnings, in English) to that
    file instead of the terminal."""
    from pyspark import SparkConf, SparkContext
    from pyspark.sql import SparkSession

    conf = (
        SparkConf()
        .setMaster(f"local[{cores}]")
        .setAppName("huiqi-batch")
        .set("spark.sql.shuffle.partitions", "4")
        .set("spark.ui.enabled", "false")
        .set("spark.ui.showConsoleProgress", "false")
        .set("spark.sql.session.timeZone", "UTC")
    )
    if memory:
        conf.set("spark.driver.memory", memory.strip().lower().replace("ib", "").replace("b", ""))
    if log is not None and SparkContext._active_spark_context is None:
        from pyspark.java_gateway import launch_gateway

        with log.open("ab") as out:  # the JVM holds its own copy of the file
            gateway = launch_gateway(conf, popen_kwargs={"stdout": out, "stderr": out})  # type: ignore[no-untyped-call]
        SparkContext(conf=conf, gateway=gateway)
    spark = SparkSession.builder.config(conf=conf).getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    # Code Spark generates for the plan's widest expressions can pass Java's 64 KB method limit;
    # Spark then evaluates them without generated code, with the same results, after logging the
    # failed compilation at ERROR (some 370 lines on every run): that logger is kept to FATAL.
    jvm: Any = spark.sparkContext._jvm
    log4j = jvm.org.apache.logging.log4j
    log4j.core.config.Configurator.setLevel("org.apache.spark.sql.catalyst.expressions.codegen.CodeGenerator", log4j.Level.FATAL)
    return spark


def _static_frame(spark: SparkSession, table: StaticTable) -> DataFrame:
    from pyspark.sql.types import BooleanType, IntegerType, LongType, StringType, StructField, StructType

    types = {"VARCHAR": StringType(), "BIGINT": LongType(), "INTEGER": IntegerType(), "BOOLEAN": BooleanType()}
    schema = StructType([StructField(n, types[t], True) for n, t in table.columns])
    return spark.createDataFrame([tuple(r) for r in table.rows], schema=schema)


def run(plan: Plan, spark: SparkSession, tables: Mapping[str, Any], as_of: date) -> SparkResult:
    """Run ``plan`` on the register tables (pyarrow tables or Spark DataFrames).

    Each step is materialised with ``localCheckpoint`` so that later steps
    (the exclusivity rounds read their predecessor three times) do not grow
    the logical plan."""
    import pyarrow as pa

    for name in plan.layout.tables:
        data = tables[name]
        if isinstance(data, pa.Table):
            data = spark.createDataFrame(data.cast(arrow_schema(plan.layout.table(name))))
        data.createOrReplaceTempView(name)
    for st in plan.statics:
        _static_frame(spark, st).createOrReplaceTempView(st.name)
    day = date_literal(as_of)
    parallel = max(1, spark.sparkContext.defaultParallelism)
    done: dict[str, str] = {}
    count = 0
    for step in plan.steps:
        if step.group is not None and step.group in done:
            spark.table(done[step.group]).createOrReplaceTempView(step.name)
            continue
        if step.group is not None and step.converged is not None and step.source is not None:
            left = spark.sql(step.converged["spark"]).collect()[0][0]
            if left == 0:
                done[step.group] = step.source
                spark.table(step.source).createOrReplaceTempView(step.name)
                continue
        parts = step.parts["spark"] if step.parts else (step.sql["spark"],)
        frame = spark.sql(parts[0].replace(AS_OF, day))
        for part in parts[1:]:
            frame = frame.unionByName(spark.sql(part.replace(AS_OF, day)))
        frame.coalesce(parallel).localCheckpoint(eager=True).createOrReplaceTempView(step.name)
        count += 1
    return SparkResult(spark.table(plan.outputs["awards"]), spark.table(plan.outputs["payers"]), count)


def _rows(d: Dialect, table: StaticTable, row_open: str, typed: bool) -> str:
    """The rows of a static table as SQL tuples (``row_open`` ``(`` for VALUES) or Hive ``struct(``s;
    ``typed`` casts every cell to its column's type, so that all of Hive's structs have one type."""

    def cell(v: object, t: str) -> str:
        if v is None:
            return f"CAST(NULL AS {d.type(t)})"
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        text = str(v) if isinstance(v, int) else lit(str(v))
        return f"CAST({text} AS {d.type(t)})" if typed else text

    return ",\n  ".join(
        row_open + ", ".join(cell(v, t) for v, (_, t) in zip(row, table.columns, strict=True)) + ")" for row in table.rows
    )


def export_sql(plan: Plan, dialect: str, as_of: date | None = None, reason_texts: Sequence[tuple[str, str, str]] = ()) -> str:
    """The whole plan as one SQL script for ``dialect`` (duckdb, spark or hive).

    The register tables ``enterprises``, ``qualifications``, ``events`` and
    ``prior_awards`` must exist in the canonical layout.  Each step becomes a
    table; ``hq_awards`` and ``hq_payers`` are the results.  Without ``as_of``
    the script keeps ``${as_of}`` for the scheduler to substitute (Hive
    ``--hivevar``/Spark ``spark.sql.variable.substitute``: pass a quoted date
    literal such as ``DATE '2025-12-31'``).  ``reason_texts`` (benefit, code,
    Chinese text), when given, become the table ``hq_reason_text`` that reads the
    results' reason and note codes."""
    if dialect not in DIALECTS:
        raise ValueError(f"未知的SQL方言“{dialect}”；可用：{'、'.join(DIALECTS)}")
    d = Dialect(dialect)
    out = [
        f"-- huiqi batch plan ({dialect}): {len(plan.benefits)} benefits, {plan.exclusivity_rounds} exclusivity rounds "
        f"(hq_x1 … hq_x{plan.exclusivity_rounds} after the ranking hq_x0; again as hq_xb0 … for 就高 after the caps), "
        f"{plan.cap_layers} cap layers",
        "-- inputs: enterprises, qualifications, events, prior_awards (canonical register layout)",
    ]

    def create(name: str, select: str) -> None:
        if dialect == "duckdb":
            out.append(f"CREATE OR REPLACE TABLE {name} AS\n{select};")
        else:
            out.append(f"DROP TABLE IF EXISTS {name};")
            stored = " STORED AS ORC" if dialect == "hive" else " USING parquet"
            out.append(f"CREATE TABLE {name}{stored} AS\n{select};")

    texts = StaticTable("hq_reason_text", (("benefit", "VARCHAR"), ("code", "VARCHAR"), ("text", "VARCHAR")), tuple(reason_texts))
    statics = [*plan.statics, *([texts] if reason_texts else [])]
    for st in statics:
        cols = ", ".join(n for n, _ in st.columns)
        if st.rows and dialect == "hive":  # Hive 2.3 has no VALUES in FROM: rows of one struct type
            create(
                st.name, f"SELECT inline(array(\n  {_rows(d, st, 'struct(', typed=True)}\n)) AS ({cols}) FROM (SELECT 1 AS one) t"
            )
        elif st.rows:
            create(st.name, f"SELECT * FROM (VALUES\n  {_rows(d, st, '(', typed=False)}\n) AS t({cols})")
        else:
            nulls = ", ".join(f"CAST(NULL AS {d.type(t)}) AS {n}" for n, t in st.columns)
            create(st.name, f"SELECT {nulls} FROM (SELECT 1 AS one) t WHERE 1 = 0")
    for step in plan.steps:
        out.append(f"-- step {step.name} ({step.stage})")
        sql = step.sql[dialect]
        if as_of is not None:
            sql = sql.replace(AS_OF, date_literal(as_of))
        create(step.name, sql)
    return "\n".join(out) + "\n"
