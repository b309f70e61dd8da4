"""The batch commands of the ``huiqi`` CLI: ``template``, ``synth`` and ``batch``
(免申即享 over a whole register).

This module imports only the standard library at load time, so ``huiqi``
without the batch extra still starts; pyarrow, openpyxl and duckdb are
imported when a batch command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import itertools
import json
import os
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from huiqi.service import Engine, InputError, os_reason

if TYPE_CHECKING:
    from huiqi.core.model import Benefit, FactExpr
    from huiqi.core.results import Award, Evaluation
    from huiqi.core.scenario import Scenario

    from .io_read import Register, RowError

__all__ = ["COMMANDS", "add_parsers", "cmd_batch", "cmd_synth", "cmd_template", "reason_code", "reference_results", "scenarios"]

ENGINES = ("duckdb", "spark", "reference")


def add_parsers(sub: Any) -> None:
    """Add the batch subcommands to the ``huiqi`` parser."""
    p = sub.add_parser("template", help="生成空白Excel登记表模板（含填写说明与下拉选项）")
    p.add_argument("out", type=Path, help="输出文件，如 登记表模板.xlsx")
    p = sub.add_parser("synth", help="生成可复现的模拟登记表（用于演示与性能测试）")
    p.add_argument("--enterprises", type=int, required=True, help="企业数")
    p.add_argument("--events-per-enterprise", type=float, default=4.0, help="每家企业平均事项数（默认4）")
    p.add_argument("--seed", type=int, default=1, help="随机种子（同一种子生成相同数据）")
    p.add_argument("--out", type=Path, required=True, help="输出：.xlsx 文件、.duckdb 文件，或 .parquet / .csv 结尾的文件夹")
    p.add_argument("--overwrite", action="store_true", help="输出已存在时覆盖（默认不覆盖，以免误覆盖真实登记表）")
    p = sub.add_parser("batch", help="批量测算登记表中的企业（免申即享）")
    p.add_argument("register", help="登记表：.xlsx、CSV或Parquet文件夹、.duckdb 文件或 postgresql:// 连接串")
    p.add_argument("--schema", help="DuckDB/PostgreSQL 中登记表所在的模式（默认 main / public）")
    p.add_argument("--engine", choices=ENGINES, default=None, help="测算引擎（默认：duckdb，未安装时为 reference）")
    p.add_argument("--as-of", type=date.fromisoformat, default=None, help="测算基准日 YYYY-MM-DD（默认今天）")
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help="结果文件：.xlsx（含汇总、结果、出资明细及各汇总工作表）、.parquet（另写 名称.payers.parquet 与各汇总CSV）"
        "或 .csv（另写 名称.出资明细.csv 与各汇总CSV）",
    )
    p.add_argument("--memory-limit", default=None, help="DuckDB/Spark 内存上限，如 4GB（不指定时分块测算最多用约四成内存）")
    p.add_argument("--json", action="store_true", help="以JSON输出汇总")
    p = sub.add_parser("export-sql", help="导出编译后的规则计划（SQL），供数据平台自行调度")
    p.add_argument("--dialect", choices=("duckdb", "spark", "hive"), required=True, help="SQL方言")
    p.add_argument(
        "--as-of", type=date.fromisoformat, default=None, help="测算基准日 YYYY-MM-DD（缺省时保留 ${as_of} 由调度器替换）"
    )
    p.add_argument("--out", type=Path, default=None, help="输出文件（缺省时输出到标准输出）")


# --- where results go ---------------------------------------------------------------

RESULT_SUFFIXES = (".xlsx", ".parquet", ".csv")


def check_output(
    out: Path, suffixes: tuple[str, ...] | None, expected: str = "", register: str | None = None, folder: bool = False
) -> None:
    """Refuse an output before any work is done: a kind not in ``suffixes``, the register itself or
    a file inside its folder (the officer's own data would be overwritten), an existing folder
    where a file is written (unless ``folder``), or a place that cannot be written (tried by
    creating a file there)."""

    if suffixes is not None and out.suffix.lower() not in suffixes:
        raise InputError(f"无法识别的输出格式：{out}（{expected}）")
    if register is not None and "://" not in register:
        reg = Path(register).resolve()
        if reg.suffix.lower() in (".csv", ".parquet") and reg.is_file():  # one file stands for its folder's register
            reg = reg.parent
        target = out.resolve()
        if target == reg or reg in target.parents:
            raise InputError(f"输出“{out}”会覆盖登记表“{register}”；请写到登记表之外")
    if out.is_dir() and not folder:
        raise InputError(f"输出“{out}”是已有的文件夹；请给出文件名，如 {out / ('结果' + out.suffix.lower())}")
    if register is not None and out.is_file() and out.suffix.lower() == ".xlsx" and _is_register_workbook(out):
        raise InputError(f"输出“{out}”是一份登记表（有“企业”工作表，没有“结果”工作表），不覆盖；请换一个结果文件名")
    existing = next((p for p in out.absolute().parents if p.exists()), None)
    if existing is not None and not existing.is_dir():
        raise InputError(f"无法写入输出“{out}”：“{existing}”是文件，不是文件夹")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out.parent):
            pass
    except OSError as exc:
        raise InputError(f"无法在“{out.parent}”写入输出“{out.name}”：{os_reason(exc)}") from None


def event_labels(eng: Engine) -> dict[str, str]:
    """Event kind → its label, for the results people read (事项类型 采购, not purchase)."""
    return {kind: spec.label for kind, spec in eng.catalogue.events.items()}


def _is_register_workbook(path: Path) -> bool:
    """Whether an existing workbook is a register (an 企业 sheet, no 结果 sheet), read from its sheet names only."""
    try:
        from python_calamine import CalamineWorkbook

        from .io_read import sheet_for

        names = CalamineWorkbook.from_path(str(path)).sheet_names
    except Exception:  # not a workbook calamine reads (or no calamine): nothing a register would be lost in
        return False
    return any(sheet_for(n) == "enterprises" for n in names) and not any(n.strip() == "结果" for n in names)


# --- template and synth -----------------------------------------------------------


def cmd_template(args: argparse.Namespace, eng: Engine) -> int:
    from .template import write_template

    check_output(args.out, (".xlsx",), "模板为Excel文件，应以 .xlsx 结尾")
    write_template(args.out, eng.catalogue)
    print(f"已生成登记表模板：{args.out}（工作表：说明、企业、事项、资质、已获奖补）")
    return 0


def cmd_synth(args: argparse.Namespace, eng: Engine) -> int:
    from .synth import synth

    if args.enterprises < 1:
        raise InputError(f"--enterprises 应为正整数，收到“{args.enterprises}”")
    if args.seed < 0:
        raise InputError(f"--seed 应为0或正整数，收到“{args.seed}”")
    if not 0 < args.events_per_enterprise <= 1000:
        raise InputError(f"--events-per-enterprise 应为大于0、不超过1000的数，收到“{args.events_per_enterprise}”")
    check_output(
        args.out,
        (".xlsx", ".duckdb", ".parquet", ".csv"),
        ".xlsx 文件、.duckdb 文件，或 .parquet / .csv 结尾的文件夹",
        folder=args.out.suffix.lower() in (".parquet", ".csv"),
    )
    if args.out.exists() and not args.overwrite and (args.out.is_file() or any(args.out.iterdir())):
        raise InputError(f"输出“{args.out}”已存在；为免覆盖真实登记表，请换一个名字，或加 --overwrite 覆盖")
    stats = synth(args.out, eng.library, eng.catalogue, args.enterprises, args.seed, args.events_per_enterprise)
    print(
        f"已生成模拟登记表：{args.out}（企业{stats['enterprises']:,}家，事项{stats['events']:,}条，资质{stats['qualifications']:,}条，已获奖补{stats['prior_awards']:,}条）"
    )
    return 0


# --- the reference engine over a register --------------------------------------------


def _value(v: Any) -> Any:
    if isinstance(v, Decimal):
        return Fraction(v)
    if isinstance(v, list):
        return tuple(v)
    return v


def scenarios(register: Register, as_of: date | None) -> Iterator[Scenario]:
    """One scenario per valid enterprise row, from the canonical tables. The readers have put
    the catalogue's defaults in for blank cells, so a value equal to its default may have been
    left blank: the explanation says so (或未填写，按默认值)."""
    from huiqi.core.context import ANY_DEFAULT
    from huiqi.core.scenario import Enterprise, Event, PriorAward, Qualification, Scenario

    unknown_blanks = frozenset({ANY_DEFAULT})

    t = register.tables
    events: dict[str, list[Event]] = defaultdict(list)
    for row in t["events"].to_pylist():
        facts = {k: _value(v) for k, v in row.items() if k not in ("credit_code", "event_id", "kind", "date") and v is not None}
        events[row["credit_code"]].append(
            Event(id=row["event_id"], kind=row["kind"], date=row["date"], facts=facts, defaulted=unknown_blanks)
        )
    quals: dict[str, list[Qualification]] = defaultdict(list)
    for row in t["qualifications"].to_pylist():
        quals[row["credit_code"]].append(
            Qualification(title=row["title"], since=row["since"], level=row["level"], until=row["until"])
        )
    priors: dict[str, list[PriorAward]] = defaultdict(list)
    for row in t["prior_awards"].to_pylist():
        priors[row["credit_code"]].append(
            PriorAward(
                amount_fen=row["amount_fen"],
                year=row["year"],
                level=row["level"],
                document=row["document"] or "",
                benefit=row["benefit"],
                event=row["event"],
                key=row["key"],
            )
        )
    core = ("credit_code", "name", "kind", "region", "town")
    for batch in t["enterprises"].to_batches(8192):
        for row in batch.to_pylist():
            code = row["credit_code"]
            ent = Enterprise(
                credit_code=code,
                name=row["name"],
                kind=row["kind"] or "企业",
                region=row["region"],
                town=row["town"],
                facts={k: _value(v) for k, v in row.items() if k not in core and v is not None},
                qualifications=tuple(quals.get(code, ())),
                defaulted=unknown_blanks,
            )
            yield Scenario(
                enterprise=ent, events=tuple(events.get(code, ())), prior_awards=tuple(priors.get(code, ())), as_of=as_of
            )


def money_thresholds(eng: Engine) -> dict[tuple[str, str], int]:
    """(table, column) → the smallest money threshold the texts set on the column, in fen."""
    from huiqi.core.model import lowest_money_thresholds

    return {
        (("enterprises", path.removeprefix("enterprise.")) if path.startswith("enterprise.") else ("events", path)): fen
        for path, (fen, _) in lowest_money_thresholds(eng.library.benefits.values()).items()
    }


def unit_notices(eng: Engine, register: Register) -> list[RowError]:
    """Money columns whose values sit far below every threshold the texts set on them (投资额 900元
    where 设备投入300万元以上 is asked): most likely typed in 万元 under a （元） header. A notice each,
    rejecting no row: the officer is told before reading a register's worth of near misses."""
    thresholds = money_thresholds(eng)
    medians: dict[tuple[str, str], Decimal] = {}
    for table, name in thresholds:
        data = register.tables.get(table)
        if data is None or name not in data.column_names:
            continue
        values = sorted(v for v in data.column(name).to_pylist() if v)
        if values:  # whole fen: the median is whole or half a fen, exactly
            half = len(values) // 2
            medians[table, name] = Decimal(values[half]) if len(values) % 2 else (Decimal(values[half - 1]) + values[half]) / 2
    return unit_notices_from(eng, thresholds, medians, register.source)


def unit_notices_from(
    eng: Engine, thresholds: dict[tuple[str, str], int], medians: dict[tuple[str, str], Decimal], source: str
) -> list[RowError]:
    """The notices of :func:`unit_notices` from each money column's median in fen (non-zero values), however
    computed: from the rows read in Python, or in DuckDB by the streamed path; ``thresholds``: :func:`money_thresholds`."""
    from .io_read import SHEET_LABEL, RowError, layout

    lay = layout(eng.catalogue)
    out = []
    for (table, name), threshold in sorted(thresholds.items()):
        median_fen = medians.get((table, name))
        if median_fen is None or median_fen * 100 >= threshold:
            continue
        header = next((c.header for c in lay.sheets[table] if c.name == name), name)
        said = (
            f"数值普遍远低于政策门槛（门槛至少{threshold / 1_000_000:g}万元）：是否按万元填写？"
            f"若是，请把表头改为“{header.removesuffix('（元）')}（万元）”后重新导入；本提示不拒绝任何行"
        )
        shown = f"中位数{median_fen / 100:,.2f}元"
        out.append(RowError(Path(source).name, SHEET_LABEL[table], 1, header, shown, said, rejected=False))
    return out


# Reason codes shared with the compiled backend (huiqi.batch.compiler.REASON_CODES).
_CODES = (
    ("不在《", "validity"),
    ("主体类型", "applicant"),
    ("最多", "max_years"),
    ("同一事项（", "exclusivity"),
    ("已奖励一次", "once_per_key"),
    ("该事项已获", "prior_award"),
    ("额度已用尽", "cap_exhausted"),
)


def reason_code(text: str) -> str:
    """The code of a reason line the reference evaluator gives as text only."""
    return next((code for needle, code in _CODES if needle in text), "amount_missing")


def reason_codes(a: Award) -> list[str]:
    """Codes for an award's reasons: ``when:i`` names the failed requirement by its index, ``absent:i``
    one whose fact is not given."""
    from huiqi.core.conditions import Absent
    from huiqi.core.evaluator import NOTE, ONCE_KEY_UNCHECKED

    when_texts: dict[str, str] = {}
    for i, outcome in enumerate(a.conditions[len(a.benefit.match) :]):
        if not outcome.passed:  # a fact not given is 缺少资料 (absent:i), not a requirement failed
            when_texts.setdefault(outcome.text, f"{'absent' if isinstance(outcome, Absent) else 'when'}:{i}")
    codes = [when_texts.get(r.text) or reason_code(r.text) for r in a.reasons if not r.text.startswith(NOTE)]
    if a.status == "granted" and any(s.text.endswith(ONCE_KEY_UNCHECKED) for s in a.steps):
        codes.append("once_key_missing")  # paid, but whether it was paid before could not be checked
    return codes


def _award_row(a: Award, scenario: Scenario) -> dict[str, Any]:
    from .io_write import REVIEW_NOTE, department_text

    ent = scenario.enterprise
    money = a.is_money
    granted = a.status == "granted"
    reviewed = [REVIEW_NOTE] if granted and a.benefit.review else []  # as results_sql says it
    return {
        "credit_code": ent.credit_code,
        "name": ent.name,
        "region": ent.region,
        "town": ent.town,
        "document": a.document.id,
        "document_short": a.document.short,
        "article": a.benefit.article,
        "benefit": a.benefit.id,
        "benefit_title": a.benefit.title,
        "department": department_text(a.benefit.department),  # as the 按责任单位 line names it
        "event_id": a.event.id if a.event else None,
        "event_kind": a.event.kind if a.event else None,
        "event_date": a.event.date if a.event else None,
        "status": a.status,
        "nature": a.nature.value if granted else None,
        "is_money": money,
        "min_fen": a.low if money and granted else None,
        "max_fen": a.high if money and granted else None,
        "reason_codes": "；".join(reason_codes(a)) or None,  # none, as the compiled backends give it
        "reasons": "；".join(r.text for r in a.reasons) or "；".join([*(s.text for s in a.steps), *reviewed]),
    }


def reference_results(
    eng: Engine, register: Register, as_of: date | None, progress: Callable[[int], None] | None = None
) -> tuple[Any, Any, list[Evaluation] | None]:
    """Evaluate every enterprise with the reference evaluator; results and payer tables."""
    import pyarrow as pa

    from huiqi.core.evaluator import evaluate

    from .io_write import PAYER_SCHEMA, RESULT_SCHEMA

    rows: list[dict[str, Any]] = []
    payer_rows: list[dict[str, Any]] = []
    for sc in scenarios(register, as_of):
        ev = evaluate(eng.library, eng.catalogue, sc, for_people=False)  # the rows carry no if_met nor unmatched
        # an enterprise's rows in the compiled backends' order (RESULT_ORDER, PAYER_ORDER): the same file whatever the engine
        rows += sorted((_award_row(a, sc) for a in (*ev.awards, *ev.set_aside, *ev.near_misses)), key=_result_key)
        first_payer = len(payer_rows)
        for a in ev.awards:
            for part in a.payers:
                payer_rows.append(
                    {
                        "credit_code": sc.enterprise.credit_code,
                        "town": sc.enterprise.town,
                        "benefit": a.benefit.id,
                        "event_id": a.event.id if a.event else None,
                        "role": part.role,
                        "payer": part.payer,
                        "min_fen": part.low,
                        "max_fen": part.high,
                    }
                )
        payer_rows[first_payer:] = sorted(payer_rows[first_payer:], key=_payer_key)
        if progress is not None:
            progress(1)
    return pa.Table.from_pylist(rows, schema=RESULT_SCHEMA), pa.Table.from_pylist(payer_rows, schema=PAYER_SCHEMA), None


def _result_key(r: dict[str, Any]) -> tuple[Any, ...]:
    """RESULT_ORDER within an enterprise: event date and event (the yearly rows, without, first), item."""
    return (
        r["event_date"] is not None,
        r["event_date"] or date.min,
        r["event_id"] is not None,
        r["event_id"] or "",
        r["benefit"],
    )


def _payer_key(r: dict[str, Any]) -> tuple[Any, ...]:
    """PAYER_ORDER within an enterprise (an amount without upper bound last, as SQL sorts NULL)."""
    high = r["max_fen"]
    return (
        r["event_id"] is not None,
        r["event_id"] or "",
        r["benefit"],
        r["role"],
        r["payer"],
        r["min_fen"],
        high is None,
        high or 0,
    )


def compile_refusal(eng: Engine) -> str | None:
    """Why the compiled engines cannot evaluate this library exactly (a rule or an overlap of caps they
    cannot express, in words), or None when they can."""
    try:
        from .compiler import CompileError, compile_library
    except ImportError:
        return None
    try:
        compile_library(eng.library, eng.catalogue)
    except CompileError as exc:
        return exc.what
    return None


def _backend_available(name: str) -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec(f"huiqi.batch.{name}") is not None
    except (ImportError, ValueError):
        return False


def _reason_texts(eng: Engine) -> list[dict[str, str]]:
    """(benefit, code) → Chinese text, for the codes the compiled backend returns."""
    generic = {
        "validity": "日期不在文件有效期内",
        "applicant": "主体类型不在支持范围内",
        "max_years": "已达最多享受年数",
        "amount_missing": "缺少计算金额所需的事实或未达到任何档次",
        "once_per_key": "同一标的已奖励一次，不再重复奖励",
        "exclusivity": "同一事项按就高不重复原则保留较高者，本项不予重复支持",
        "prior_award": "该事项已获不低于本项的奖励，按就高不重复原则不再支持",
        "cap_exhausted": "限额已用尽",
    }
    from huiqi.core.conditions import absent_text, requirement_text
    from huiqi.core.context import fact_label
    from huiqi.core.evaluator import once_key_note, window_text
    from huiqi.core.model import Field

    from .compiler import exclusive_partners

    partners = exclusive_partners(eng.library)
    rows = []
    for b in eng.library.benefits.values():
        doc = eng.library.by_id[b.document_id]
        for w in sorted(partners.get(b.id, ())):  # a set-aside row names the item kept over it, as the reference does
            kept = eng.library.benefits[w]
            said = f"保留的一项：《{eng.library.by_id[kept.document_id].short}》第{kept.article}条“{kept.title}”"
            rows.append({"benefit": b.id, "code": f"excl_for:{w}", "text": said})
        # the condition or window each code stands for, as the reference words it without the row's value
        own = {"validity": window_text(b, doc, None, b.event == "enterprise")}
        kinds = b.applicants or doc.applicants
        if kinds:  # the kinds the item admits, as the reference names them (主体类型“高校院所”不在支持范围（企业）内)
            own["applicant"] = f"主体类型不在支持范围（{'、'.join(kinds)}）内"
        for code, text in generic.items():
            rows.append({"benefit": b.id, "code": code, "text": own.get(code, text)})
        for i, c in enumerate(b.when):
            rows.append({"benefit": b.id, "code": f"when:{i}", "text": f"未满足：{requirement_text(c, eng.catalogue, b.event)}"})
            if (blank := absent_text(c, eng.catalogue, b.event)) is not None:
                rows.append({"benefit": b.id, "code": f"absent:{i}", "text": blank})
        if b.once_per:  # on a granted row: the key is blank, the award is paid unchecked
            labels = "、".join(fact_label(Field(k), eng.catalogue, b.event) for k in b.once_per)
            rows.append({"benefit": b.id, "code": "once_key_missing", "text": once_key_note(labels, some=len(b.once_per) > 1)})
        rows += [{"benefit": b.id, "code": code, "text": text} for code, text in working_notes(eng, b)]
    return rows


def working_notes(eng: Engine, b: Benefit) -> list[tuple[str, str]]:
    """(note code, text) of a granted row's working in the compiled backends (huiqi.batch.compiler:
    ``notes``): how the amount is reckoned, without the enterprise's values (its amount is in its
    own columns), and what cut or counted it, in the order the reference's working shows them."""
    from huiqi.core.amounts import branch_texts, formula_text, show_rate
    from huiqi.core.conditions import requirement_text
    from huiqi.core.context import fact_label
    from huiqi.core.evaluator import (
        CAP_SHARE_NOTE,
        EXCL_AFTER_CAPS,
        NOTE,
        REVIEW_TRIED,
        REVIEW_UNTRIED,
        UNKNOWN_AMOUNT_REVIEW,
        once_key_note,
    )
    from huiqi.core.model import LEVEL_LABELS, Field
    from huiqi.core.money import format_wan

    def label(expr: FactExpr) -> str:
        return fact_label(expr, eng.catalogue, b.event)

    notes = [("amount", formula_text(b.amount, label))]
    notes += [(f"amount:{k}", text) for k, text in enumerate(branch_texts(b.amount, label) or ())]
    for i, cap in enumerate(c for c in b.caps if c.per == "item"):
        if cap.by is not None:
            limits = "、".join(f"{value}{format_wan(fen)}" for value, fen in cap.by_fen)
            notes.append((f"item_cap:{i}", f"按{label(cap.by)}最高（{limits}）：已封顶"))
        elif cap.fen is not None:
            notes.append((f"item_cap:{i}", f"最高{format_wan(cap.fen)}：已封顶"))
    if b.uplift is not None:
        met = "；".join(requirement_text(c, eng.catalogue, b.event) for c in b.uplift.conditions)
        notes.append(("uplift", f"符合上浮条件（{met}），支持金额上浮{show_rate(b.uplift.rate)}"))
    if b.quota is not None:
        notes.append(("quota", b.quota.text()))
    for blank in itertools.product("01", repeat=len(b.once_per)):  # the key's parts left blank, named
        if "1" in blank:
            labels = "、".join(label(Field(k)) for k, bit in zip(b.once_per, blank, strict=True) if bit == "1")
            notes.append((f"once_key_missing:{''.join(blank)}", once_key_note(labels)))
    notes.append(("excl_kept", "同一事项另符合其他条款，按就高不重复原则保留本项"))
    notes.append(("top_up", "该事项已获奖补，按就高不重复原则只补足差额（解释：原文未明确补差方式）"))
    notes.append(("top_up_own", "该事项已获本项奖补，本项只补足差额（解释：原文未明确补差方式）"))
    notes.append(("prior_award_own", "该事项已获本项奖补，不低于本项金额，本项不再重复支持"))
    # the note that makes a set-aside row's prior_award read as the item's own (REASON_TEXTS_SQL does so);
    # its text, for a platform reading hq_reason_text code by code, says the same
    notes.append(("prior_own", "该事项已获本项奖补，不低于本项金额，本项不再重复支持（代替prior_award的说明）"))
    for cap_id in eng.library.caps_of.get(b.id, ()):
        cap = eng.library.caps[cap_id][0]
        if cap.fen is None or cap.per == "item":
            continue
        limit = f"{'每年' if cap.per == 'enterprise_year' else '同一标的'}最高{format_wan(cap.fen)}"
        notes.append((f"cap_cut:{cap_id}", f"{limit}：按限额余额核减"))
        notes.append((f"cap:{cap_id}", f"{limit}：与此前计入该限额的奖补合计未超限额"))
        notes.append((f"cap_share:{cap_id}", f"{limit}：同期其他各项确定可得的金额先计入限额（{CAP_SHARE_NOTE}）"))
        if cap.prior_levels and cap.per == "enterprise_year":
            levels = "、".join(LEVEL_LABELS.get(lv, lv) for lv in cap.prior_levels)
            notes.append((f"cap_unlinked:{cap_id}", f"另有已获{levels}奖补未注明事项，无法判断是否计入本限额，未计入（请核实）"))
    notes.append(("excl_unknown", UNKNOWN_AMOUNT_REVIEW))  # on a set-aside row without an amount (compiler: final)
    notes.append(
        (
            "excl_review",  # on a set-aside row of the first choice (compiler: hq_xrev), as the reference's _after_caps
            f"{NOTE}保留的一项经限额削减后低于本项；{REVIEW_TRIED}",
        )
    )
    # a case not tried: another of its event's, or made by another choice (compiler: final)
    notes.append(("excl_recheck", f"{NOTE}保留的一项经限额削减后低于本项；{REVIEW_UNTRIED}"))
    notes.append(
        (
            "excl_capped",  # on a set-aside row of a later choice (compiler: final), as the reference's _exclusivity
            f"{NOTE}首轮测算保留本项时，本项经年度限额削减后低于保留的一项；改按该项支持，企业合计可得更多（{EXCL_AFTER_CAPS}）",
        )
    )
    notes.append(  # the same for a crowding case (compiler: hq_xcrowd; the reference's _crowding)
        (
            "excl_crowded",
            f"{NOTE}首轮测算保留本项时，本项占用的限额额度使其他项目被削减；改按保留的一项支持，企业合计可得更多（{EXCL_AFTER_CAPS}）",
        )
    )
    return notes


# 原因与说明: one row per distinct (benefit, reason codes, note codes) of the awards table,
# the codes' texts (hq_reason_text: benefit, code, text) joined in the order of the codes: a
# granted row's working notes (``notes``, its once_key_missing among them in the reference's
# place), a set-aside row's reason before its note for review (excl_review), its prior_award
# worded as the item's own when the awards received were (prior_own); (benefit, reasons, notes)
# tells the two apart. A code without a text stands for itself. Shared by the Excel/CSV path and huiqi.batch.stream.
REASON_TEXTS_SQL = """
CREATE OR REPLACE TEMP TABLE hq_rtext AS
SELECT u.benefit_id, u.reasons, u.notes, string_agg(coalesce(t.text, u.c), '；' ORDER BY u.i) AS text
FROM (SELECT d.benefit_id, d.reasons, d.notes, unnest(d.codes) AS c, unnest(range(len(d.codes))) AS i
      FROM (SELECT benefit_id, reasons, notes,
                   list_filter(CASE WHEN granted THEN string_split(notes, ',')
                               ELSE list_transform(string_split(reasons, ','), lambda c: CASE WHEN c = 'prior_award'
                                    AND list_contains(string_split(notes, ','), 'prior_own') THEN 'prior_award_own' ELSE c END)
                                    || string_split(notes, ',')
                               END, lambda c: c NOT IN ('', 'prior_own')) AS codes
            FROM (SELECT DISTINCT benefit_id, status = 'granted' AS granted, reasons, notes FROM {awards}
                  WHERE reasons <> '' OR notes <> '')) d) u
LEFT JOIN hq_reason_text t ON t.benefit = u.benefit_id AND t.code = u.c
GROUP BY u.benefit_id, u.reasons, u.notes
"""

# The order of result and payer rows, on their output columns and ``hq_row``, the enterprise's
# row in the register: enterprise by enterprise as the register lists them (as the reference
# does), then by event date (yearly rows first), event and item; the same from run to run.
# Here and in huiqi.batch.stream (chunk by chunk, each a range of enterprise rows).
RESULT_ORDER = "hq_row NULLS LAST, credit_code, event_date NULLS FIRST, event_id NULLS FIRST, benefit"
PAYER_ORDER = "hq_row NULLS LAST, credit_code, event_id NULLS FIRST, benefit, role, payer, min_fen, max_fen"


def results_sql(awards: str = "hq_awards", enterprises: str = "enterprises") -> str:
    """The compiled plan's awards shaped like the reference's result rows, with ``hq_row``, the
    enterprise's row in the register (a column of ``enterprises``). An event's kind is its
    benefit's and its date the unit's (no join with the events); the Chinese reasons come from
    ``hq_rtext`` (``REASON_TEXTS_SQL``), one row per distinct (benefit, reason codes)."""
    from .io_write import REVIEW_NOTE

    return f"""
SELECT e.hq_row, a.credit_code, e.name, e.region, e.town, a.document_id AS document, m.document_short, m.article,
       a.benefit_id AS benefit, m.benefit_title, m.department, a.event_id,
       CASE WHEN a.event_id IS NOT NULL THEN m.event_kind END AS event_kind,
       CASE WHEN a.event_id IS NOT NULL THEN a.unit_date END AS event_date,
       a.status, CASE WHEN a.status = 'granted' THEN a.nature END AS nature, a.kind = 'money' AS is_money,
       CASE WHEN a.status = 'granted' AND a.kind = 'money' THEN CAST(a.min_fen AS BIGINT) END AS min_fen,
       CASE WHEN a.status = 'granted' AND a.kind = 'money' THEN CAST(a.max_fen AS BIGINT) END AS max_fen,
       NULLIF(replace(a.reasons, ',', '；'), '') AS reason_codes,
       CASE WHEN a.status = 'granted' AND m.review THEN concat_ws('；', rt.text, '{REVIEW_NOTE}') ELSE rt.text END AS reasons
FROM {awards} a
JOIN {enterprises} e ON e.credit_code = a.credit_code
LEFT JOIN hq_meta m ON m.benefit = a.benefit_id
LEFT JOIN hq_rtext rt ON rt.benefit_id = a.benefit_id AND rt.reasons = a.reasons AND rt.notes = a.notes
"""


def payers_sql(payers: str = "hq_payers", enterprises: str = "enterprises") -> str:
    """The compiled plan's payer shares shaped like the reference's payer rows (``hq_row`` as in ``results_sql``)."""
    return f"""
SELECT e.hq_row, p.credit_code, e.town, p.benefit_id AS benefit, p.event_id, p.role, p.payer,
       CAST(p.min_fen AS BIGINT) AS min_fen, CAST(p.max_fen AS BIGINT) AS max_fen
FROM {payers} p JOIN {enterprises} e ON e.credit_code = p.credit_code
"""


def backend_results(engine_name: str, eng: Engine, register: Register, as_of: date, memory_limit: str | None) -> tuple[Any, Any]:
    """Run the compiled backend (huiqi.batch.duck) and shape its rows like the reference's."""
    import importlib

    if engine_name == "spark" and not _backend_available("spark"):
        raise InputError("测算引擎“spark”无法加载；请使用 --engine duckdb 或 reference")
    try:
        compiler: Any = importlib.import_module("huiqi.batch.compiler")
        duck: Any = importlib.import_module("huiqi.batch.duck")
    except ImportError as exc:
        raise InputError(f"测算引擎“{engine_name}”无法加载：{exc}；请使用 --engine reference") from None
    import duckdb
    import pyarrow as pa

    from .io_write import PAYER_SCHEMA, RESULT_SCHEMA

    plan = compiler.compile_library(eng.library, eng.catalogue)
    spill = tempfile.TemporaryDirectory(prefix="huiqi-duck-")  # removed with what DuckDB spilled there
    con = duckdb.connect()
    duck.no_auto_checkpoints(con)
    try:
        if engine_name == "spark":
            _run_spark(plan, con, register, as_of, memory_limit)
        else:
            duck.run(plan, con, register.tables, as_of, memory_limit=memory_limit, temp_directory=spill.name)
        from .io_write import benefit_meta

        con.register("hq_meta", benefit_meta(eng.library))
        con.register("hq_reason_text", pa.Table.from_pylist(_reason_texts(eng)))
        # the register's order of enterprises (the reader keeps the sheet's), which the rows keep
        codes = register.tables["enterprises"].column("credit_code")
        con.register("hq_order", pa.table({"credit_code": codes, "hq_row": pa.array(range(len(codes)), pa.int64())}))
        ordered = "(SELECT e.*, o.hq_row FROM enterprises e JOIN hq_order o ON o.credit_code = e.credit_code)"
        awards = plan.outputs["awards"]
        con.execute(REASON_TEXTS_SQL.format(awards=awards)).fetchall()
        rows = results_sql(awards, ordered)
        results = con.sql(f"SELECT {', '.join(RESULT_SCHEMA.names)} FROM ({rows}) ORDER BY {RESULT_ORDER}").to_arrow_table()
        rows = payers_sql(plan.outputs["payers"], ordered)
        payers = con.sql(f"SELECT {', '.join(PAYER_SCHEMA.names)} FROM ({rows}) ORDER BY {PAYER_ORDER}").to_arrow_table()
        results, payers = results.cast(RESULT_SCHEMA), payers.cast(PAYER_SCHEMA)
    finally:
        con.close()
        spill.cleanup()
    return results, payers


SPARK_MIN_MEMORY = 512 * 1024 * 1024  # Spark refuses a driver below ≈450 MB (INVALID_DRIVER_MEMORY)


def _run_spark(plan: Any, con: Any, register: Register, as_of: date, memory_limit: str | None) -> None:
    """Run the compiled plan with PySpark (local mode) and put its two outputs and the
    register on ``con`` under the names the result shaping reads."""
    try:
        from . import spark as spark_runner
    except ImportError as exc:
        raise InputError(f"测算引擎“spark”无法加载：{exc}") from None
    from .stream import memory_bytes

    if memory_limit is not None and memory_bytes(memory_limit) < SPARK_MIN_MEMORY:
        raise InputError(f"内存上限“{memory_limit}”对Spark引擎太小：Spark本地模式至少需要512MB（建议2GB以上）")
    # the JVM's own output (English warnings) goes to a log, named if Spark fails, removed if not
    log = Path(tempfile.gettempdir()) / f"huiqi-spark-{os.getpid()}.log"
    try:
        session = spark_runner.session(memory=memory_limit, log=log)
    except Exception as exc:  # no Java, no pyspark …: the Java stack goes to the log, not to the officer
        with contextlib.suppress(OSError), log.open("a", encoding="utf-8") as out:
            out.write(f"\nhuiqi: {exc}\n")
        said = str(exc)
        java = "JAVA_GATEWAY_EXITED" in said or ("java" in said.lower() and "not" in said.lower())
        why = "Java进程未能启动（需要Java 17；请检查JAVA_HOME）" if java else ""
        raise InputError(f"无法启动Spark（本地模式）{'：' + why if why else ''}；详情见Spark日志：{log}") from None
    try:
        res = spark_runner.run(plan, session, register.tables, as_of)
    except Exception as exc:
        raise InputError(f"Spark测算失败：{str(exc).strip().splitlines()[0][:300]}（Spark日志：{log}）") from None
    for name, frame in (("awards", res.awards), ("payers", res.payers)):
        con.register(f"hq_spark_{name}", frame.toArrow())
        con.execute(f"CREATE TEMP TABLE {plan.outputs[name]} AS SELECT * FROM hq_spark_{name}")
    for name in plan.layout.tables:
        con.register(f"hq_reg_{name}", register.tables[name])
        con.execute(f"CREATE TEMP VIEW {name} AS SELECT * FROM hq_reg_{name}")
    log.unlink(missing_ok=True)  # the session lives as long as the process (tests share one)


# --- the batch command ---------------------------------------------------------------------


_FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)  # no room for what is written: the disk, a file-size limit, a quota


class _Staged:
    """The results written beside ``out`` in a hidden folder, and moved into place only once complete: a run
    that fails (a full disk) left a truncated CSV or a Parquet file without its footer where the last good
    results were. ``path`` is where to write; :meth:`commit` moves what was written and gives its final paths."""

    def __init__(self, out: Path | None) -> None:
        self.out = out
        self.folder: Path | None = None
        self.path = out

    def __enter__(self) -> _Staged:
        if self.out is not None:
            self.out.parent.mkdir(parents=True, exist_ok=True)
            self.folder = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.", suffix=".part", dir=self.out.parent))
            self.path = self.folder / self.out.name
        return self

    def commit(self, written: list[Path]) -> list[Path]:
        if self.out is None or self.folder is None:
            return written
        final = [self.out.parent / p.name for p in written]
        for there in final:  # every place checked before any file is replaced: all of them, or none
            if there.is_dir():
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(there))
        for here, there in zip(written, final, strict=True):
            os.replace(here, there)  # one folder, one file system: no copy, nothing half written
        return final

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        if (
            isinstance(exc, OSError)
            and self.out is not None
            and (exc.errno in _FULL or (self.folder is not None and str(self.folder) in str(exc)))
        ):
            raise InputError(f"无法写出“{self.out}”：{os_reason(exc)}；已有的同名结果文件未改动") from None


def cmd_batch(args: argparse.Namespace, eng: Engine) -> int:
    if args.memory_limit is not None:
        from .stream import within_ram

        within_ram(args.memory_limit)
    if args.out is not None:
        check_output(args.out, RESULT_SUFFIXES, "支持 .xlsx、.parquet、.csv", args.register)
    try:
        with _Staged(args.out) as staged:
            return _cmd_batch(args, eng, staged)
    except Exception as exc:
        if type(exc).__name__ != "OutOfMemoryException":  # DuckDB's, which may not be installed
            raise
        within = f"在内存上限{args.memory_limit}内" if args.memory_limit else "在本机可用内存内"
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(
            f"内存不足：{within}无法完成测算（DuckDB：{detail}）；请调大 --memory-limit，或不指定（按本机内存分块测算）"
        ) from None


def _cmd_batch(args: argparse.Namespace, eng: Engine, staged: _Staged) -> int:
    from .io_read import read_register
    from .io_write import (
        PayerNames,
        events_after,
        quota_notes,
        quota_places,
        run_notes,
        summarise,
        townless_notice,
        write_results,
    )
    from .progress import Progress

    engine_name = args.engine or ("duckdb" if _backend_available("duck") else "reference")
    if args.engine is None and engine_name == "duckdb":
        why = compile_refusal(eng)
        if why is not None:  # the default engine cannot: the reference one can, more slowly
            print(f"注意：{why}；未指定 --engine，本次改用参考引擎（reference）测算，结果精确但较慢", file=sys.stderr)
            engine_name = "reference"
    as_of = args.as_of or date.today()
    if engine_name == "duckdb" and _columnar(args.register):
        return _cmd_batch_stream(args, eng, as_of, staged)
    started = time.monotonic()
    with Progress("读取校验") as bar:
        register = read_register(args.register, eng.catalogue, args.schema, progress=bar.update)
    register.errors.extend(unit_notices(eng, register))
    read_s = time.monotonic() - started
    n_ent = register.tables["enterprises"].num_rows
    n_ev = register.tables["events"].num_rows
    t0 = time.monotonic()
    if engine_name == "reference":
        with Progress("测算", n_ent) as bar:
            results, payers, _ = reference_results(eng, register, as_of, bar.update)
    else:
        results, payers = backend_results(engine_name, eng, register, as_of, args.memory_limit)
    eval_s = time.monotonic() - t0
    summary = summarise(results, payers, n_ent, n_ev, PayerNames(eng.library), quota_places(eng.library), as_of)
    summary.events_after_as_of = events_after(register.tables["events"], as_of)
    if (townless := townless_notice(summary, register.source)) is not None:  # before 问题 is written
        register.errors.append(townless)
    t1 = time.monotonic()
    quotas = quota_notes(eng.library, summary)
    notes = run_notes(eng.policy_dir, engine_name, as_of.isoformat()) + quotas
    out = staged.path
    written = staged.commit(write_results(out, register, results, payers, summary, event_labels(eng), notes) if out else [])
    seconds = (read_s, eval_s, time.monotonic() - t1)
    if args.json:
        d = _summary_dict(_Run(register, summary, engine_name, as_of, written, seconds, quotas))
        print(json.dumps(d | {"policies": str(eng.policy_dir)}, ensure_ascii=False, indent=2))
    else:
        print(_summary_text(_Run(register, summary, engine_name, as_of, written, seconds, quotas)))
    return 0


def _columnar(register: str) -> bool:
    try:
        from .io_sql import columnar_source
    except ImportError:
        return False
    return columnar_source(register) is not None


def _cmd_batch_stream(args: argparse.Namespace, eng: Engine, as_of: date, staged: _Staged) -> int:
    """CSV/Parquet/DuckDB/PostgreSQL registers: validated in SQL, evaluated chunk by chunk (huiqi.batch.stream)."""
    from .io_write import _sheets, _write_csv, quota_notes, run_notes, townless_notice, write_results
    from .progress import Stages
    from .stream import run_stream

    with Stages() as stages:  # 读取 (CSV rows parsed), 校验 (rows validated), 测算（块） (chunks of enterprises)
        res = run_stream(eng, args.register, as_of, staged.path, args.schema, args.memory_limit, progress=stages)
    if (townless := townless_notice(res.summary, res.register.source)) is not None:  # before 问题 is written
        res.register.errors.append(townless)
    out = staged.path
    written: list[Path] = []
    t1 = time.monotonic()  # Parquet results are written while evaluating; the rest here
    quotas = quota_notes(eng.library, res.summary)
    notes = run_notes(eng.policy_dir, "duckdb", as_of.isoformat()) + quotas
    if out is not None:
        if out.suffix.lower() == ".parquet":
            written = [out, out.with_name(f"{out.stem}.payers.parquet")]
            for title, header, rows in _sheets(res.register, RESULT_EMPTY(), res.summary, notes=notes):
                if title != "结果":
                    written.append(_write_csv(out.with_name(f"{out.stem}.{title}.csv"), header, rows))
        else:
            written = write_results(out, res.register, res.results, res.payers, res.summary, event_labels(eng), notes)
        written = staged.commit(written)
    seconds = (res.read_s, res.eval_s, time.monotonic() - t1)
    if args.json:
        d = _summary_dict(_Run(res.register, res.summary, "duckdb", as_of, written, seconds, quotas))
        d["policies"] = str(eng.policy_dir)
        d["chunks"] = res.chunks
        d["rows_validated_in_python"] = res.rows_to_python
        print(json.dumps(d, ensure_ascii=False, indent=2))
    else:
        print(_summary_text(_Run(res.register, res.summary, "duckdb", as_of, written, seconds, quotas)))
    return 0


def RESULT_EMPTY() -> Any:
    from .io_write import RESULT_SCHEMA

    return RESULT_SCHEMA.empty_table()


class _Run(NamedTuple):
    """A finished batch run, as the terminal and ``--json`` report it; ``seconds`` are reading and
    validating, evaluating, and writing."""

    register: Register
    summary: Any
    engine_name: str
    as_of: date
    written: list[Path]
    seconds: tuple[float, float, float]
    quotas: Sequence[tuple[str, str]]


def _summary_dict(run: _Run) -> dict[str, Any]:
    """The run as JSON."""
    from .io_write import quotas_json

    register, summary, engine_name, as_of, written, seconds, quotas = run
    return {
        "register": register.source,
        "engine": engine_name,
        "as_of": as_of.isoformat(),
        "rows": {k: {"read": c.read, "rejected": c.rejected, "accepted": c.accepted} for k, c in register.counts.items()},
        "rows_read": register.rows_read,
        "rows_rejected": register.rows_rejected,
        "enterprises_evaluated": summary.enterprises_evaluated,
        "enterprises_without_results": summary.enterprises_without_results,  # as the web page's status JSON
        "enterprises_with_awards": summary.enterprises_with_awards,
        "enterprises_without_town": summary.townless,  # with a town share counted under a placeholder payer
        "events_evaluated": summary.events_evaluated,
        "events_after_as_of": summary.events_after_as_of,
        "results": summary.statuses(),
        "missing_facts": summary.missing_facts,  # near misses only for blank facts (缺少资料)
        "total": summary.total.to_dict(),
        "by": summary.by_dict(),
        "quotas": quotas_json(quotas),
        "errors": [e.to_dict() for e in register.errors],
        "errors_not_listed": register.errors_dropped,
        "written": [str(p) for p in written],
        "seconds": dict(zip(("read", "evaluate", "write"), (round(x, 3) for x in seconds), strict=True)),
    }


def _summary_text(run: _Run) -> str:
    from huiqi.core.money import format_yuan

    from .io_read import SHEET_LABEL
    from .io_write import SPLIT_OPEN

    register, summary, engine_name, as_of, written, seconds, quotas = run
    lines = [f"登记表：{register.source}（引擎：{engine_name}，基准日：{as_of}）"]
    for key, c in register.counts.items():
        if c.read or key in ("enterprises", "events"):
            lines.append(f"  {SHEET_LABEL[key]}：读取{c.read:,}行，拒绝{c.rejected:,}行，有效{c.accepted:,}行")
    without = summary.enterprises_without_results
    none_said = f"（其中{without:,}家无测算结果：其事项均被拒绝、没有事项或无适用条款）" if without else ""
    lines.append(
        f"合计读取{register.rows_read:,}行，拒绝{register.rows_rejected:,}行；"
        f"测算企业{summary.enterprises_evaluated:,}家{none_said}、事项{summary.events_evaluated:,}条"
    )
    if summary.events_after_as_of:
        lines.append(
            f"注意：{summary.events_after_as_of:,}条事项的发生日期晚于基准日{as_of}，已按各自日期测算；"
            "如基准日或日期有误，请更正后重新测算"
        )
    if summary.townless:
        payers = "、".join(f"“{p}”" for p in sorted(summary.townless_payers))
        lines.append(
            f"注意：{summary.townless:,}家有可享受资金的企业未填所在镇（街道、板块），其镇级分担部分计入{payers}；"
            "请补填“所在镇（街道、板块）”后重新测算"
        )
    if register.errors:
        lines.append(f"问题（{len(register.errors) + register.errors_dropped:,}处）：")
        for e in register.errors[:20]:
            lines.append(f"  - {e.message()}")
        more = len(register.errors) + register.errors_dropped - 20
        if more > 0:
            lines.append(f"  …… 另有{more:,}处，见结果文件“问题”工作表" + ("" if written else "（使用 --out 输出）"))
    status = "，".join(f"{label}{v:,}项" for label, v in summary.status_lines())
    lines.append(f"结果：{status or '无'}；有可享受资金的企业{summary.enterprises_with_awards:,}家")
    t = summary.total
    extra = f"（另有{t.unbounded}项不设上限，按最低额计入）" if t.unbounded else ""
    lines.append(f"可享受资金合计：最低{format_yuan(t.min_fen)}，最高{format_yuan(t.max_fen)}{extra}")
    if t.unpriced:
        lines.append(
            f"另有{t.unpriced:,}项可享受但原文未定金额（未定额支持，如“给予相应补助”），未计入上述合计，金额须经研究或审核确定"
        )
    if quotas:
        lines.append("名额限制（合计按全部符合者计入，实际支付以名额为限）：")
        lines.extend(f"  {k.removeprefix('名额：')}：{v}" for k, v in quotas)
    if summary.by["payer"]:
        lines.append("按出资方：")
        for payer, pt in sorted(summary.by["payer"].items(), key=lambda kv: -kv[1].max_fen):
            open_ended = f"（其中{pt.unbounded}项不设上限，按最低额计入）" if pt.unbounded else ""
            unpriced = f"，另有{pt.unpriced:,}项金额未定" if pt.unpriced else ""
            split = f"［{SPLIT_OPEN}：原文未定各级财政分担比例］" if summary.payer_split(payer) == SPLIT_OPEN else ""
            lines.append(
                f"  {payer}{split}：{pt.count:,}项，最低{format_yuan(pt.min_fen)}，最高{format_yuan(pt.max_fen)}{open_ended}{unpriced}"
            )
    if summary.by.get("year"):  # the year of the event; an item without one (（年度）) the 基准日's
        lines.append("按年度：")
        for year, yt in summary.ordered("year"):
            open_ended = f"（其中{yt.unbounded}项不设上限，按最低额计入）" if yt.unbounded else ""
            unpriced = f"，另有{yt.unpriced:,}项金额未定" if yt.unpriced else ""
            lines.append(
                f"  {year}：{yt.count:,}项，最低{format_yuan(yt.min_fen)}，最高{format_yuan(yt.max_fen)}{open_ended}{unpriced}"
            )
    if written:
        lines.append("已写出：" + "、".join(str(p) for p in written))
    read_s, eval_s, write_s = seconds
    lines.append(f"用时：读取校验{read_s:.1f}秒，测算{eval_s:.1f}秒，写出{write_s:.1f}秒")
    return "\n".join(lines)


def cmd_export_sql(args: argparse.Namespace, eng: Engine) -> int:
    from .compiler import compile_library
    from .spark import export_sql

    texts = [(r["benefit"], r["code"], r["text"]) for r in _reason_texts(eng)]
    text = export_sql(compile_library(eng.library, eng.catalogue), args.dialect, args.as_of, texts)
    if args.out is None:
        print(text, end="")
    else:
        check_output(args.out, None)
        args.out.write_text(text, encoding="utf-8")
        print(f"已导出{args.dialect}方言的规则计划：{args.out}（{text.count(chr(10)):,}行）")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Engine], int]] = {
    "template": cmd_template,
    "synth": cmd_synth,
    "batch": cmd_batch,
    "export-sql": cmd_export_sql,
}
