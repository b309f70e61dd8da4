"""The empty Excel register template (登记表模板): the four sheets with their
Chinese headers, drop-down lists for option fields, and a 说明 sheet that
explains every column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from huiqi.core.facts import LEVEL_NAMES, LEVEL_VALUES, TYPES, Catalogue, default_text

from .io_read import SHEET_LABEL, Column, layout

__all__ = ["write_template"]

_ROWS_VALIDATED = 5000


def _type_text(col: Column) -> str:
    t = col.spec.type
    return TYPES.get(t, t)


def _unit(col: Column) -> str:
    if col.spec.type == "money":
        return "元（也可填“50万元”；表头写“（万元）”时数字按万元读）"
    if col.spec.type == "rate":
        return "%（如55%或0.55）"
    return col.spec.unit or ""


def _allowed(col: Column, cat: Catalogue) -> str:
    if col.name == "kind" and col.spec.type != "enum":  # 事项类型
        return "、".join(f"{k.label}（{n}）" for n, k in cat.events.items())
    if col.name == "level" and col.spec.values == (*LEVEL_NAMES.values(), *LEVEL_VALUES):  # 已获奖补's 层级
        return "、".join(LEVEL_NAMES.values())
    if col.spec.values:
        return "、".join(col.spec.values)
    if col.name == "title" and cat.qualification_titles:
        return "、".join(cat.qualification_titles)
    if col.spec.type == "bool":
        return "是、否"
    if col.spec.type == "date":
        return "YYYY-MM-DD，如2025-09-15"
    if col.spec.type == "credit_code":
        return "18位，末位为校验码"
    if col.spec.type == "region":
        return "320506（吴中区）、320412（武进区）等"
    return ""


def write_template(out: Path, catalogue: Catalogue) -> Path:
    """Write the template workbook."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    lay = layout(catalogue)
    wb = Workbook()
    default = wb.active
    if default is not None:
        wb.remove(default)
    options = wb.create_sheet("选项")
    option_col = 0
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    required_fill = PatternFill("solid", fgColor="FCE4D6")

    def option_range(values: list[str], title: str) -> str:
        nonlocal option_col
        option_col += 1
        letter = get_column_letter(option_col)
        options.cell(row=1, column=option_col, value=title).font = bold
        for i, v in enumerate(values, start=2):
            options.cell(row=i, column=option_col, value=v)
        return f"选项!${letter}$2:${letter}${len(values) + 1}"

    for key, cols in lay.sheets.items():
        ws = wb.create_sheet(SHEET_LABEL[key])
        ws.freeze_panes = "A2"
        for i, col in enumerate(cols, start=1):
            cell = ws.cell(row=1, column=i, value=col.header)
            cell.font = bold
            cell.fill = required_fill if col.spec.required else fill
            ws.column_dimensions[get_column_letter(i)].width = max(12, min(40, len(col.header) * 2 + 2))
            values: list[str] = []
            if key == "events" and col.name == "kind":
                values = [k.label for k in catalogue.events.values()]
            elif key == "prior_awards" and col.name == "level":  # the reader takes national … too; the list offers Chinese
                values = list(LEVEL_NAMES.values())
            elif col.spec.type == "enum" and col.spec.values:
                values = list(col.spec.values)
            elif col.spec.type == "bool":
                values = ["是", "否"]
            elif key == "qualifications" and col.name == "title" and catalogue.qualification_titles:
                values = list(catalogue.qualification_titles)
            if values:
                dv = DataValidation(
                    type="list", formula1=option_range(values, f"{SHEET_LABEL[key]}·{col.header}"), allow_blank=True
                )
                dv.error = f"请从下拉列表中选择{col.header}"
                dv.errorTitle = "取值不在可选范围内"
                dv.showErrorMessage = True
                ws.add_data_validation(dv)
                letter = get_column_letter(i)
                dv.add(f"{letter}2:{letter}{_ROWS_VALIDATED}")
            elif col.spec.type == "date":
                letter = get_column_letter(i)
                for r in range(2, 3):
                    ws.cell(row=r, column=i).number_format = "yyyy-mm-dd"
                ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
    options.sheet_state = "hidden"

    notes = wb.create_sheet("说明", 0)
    notes.append(["惠企 登记表模板：填写说明"])
    notes["A1"].font = Font(bold=True, size=14)
    intro = [
        "一、“企业”表每行一个主体，以统一社会信用代码为键；“事项”表每行一个事项（采购、投资项目、获评认定等），用“事项类型”区分，只填该类型用到的列，其余留空。",
        "二、“资质”表（可选）填写企业已持有的资质及日期；“已获奖补”表（可选）填写已获得的奖补，用于就高不重复与年度上限。",
        "三、金额以元为单位，可写数字或“50万元”；精确到分。日期写YYYY-MM-DD。橙色表头为必填列。",
        "四、表头可用中文（如本模板）或英文字段名（如 amount）。有误的行会在结果的“问题”表中逐条列出（文件、工作表、行、列、值、应为），其余行照常测算。",
    ]
    for line in intro:
        notes.append([line])
    notes.append([])
    header = ["工作表", "列（表头）", "英文字段名", "类型", "单位", "必填", "可选值/格式", "适用的事项类型", "说明"]
    notes.append(header)
    for c in notes[notes.max_row]:
        c.font = bold
        c.fill = fill
    for key, cols in lay.sheets.items():
        for col in cols:
            if key == "events" and col.kinds:
                users = "、".join(catalogue.events[k].label for k in col.kinds)
                required = "、".join(catalogue.events[k].label for k, s in col.specs.items() if s.required)
                req = f"{required}必填" if required else "否"
            else:
                users = "全部" if key == "events" else ""
                req = "是" if col.spec.required else "否"
            defaults = {default_text(s) for s in (col.specs.values() if col.specs else [col.spec])} - {""}
            if req == "否" and len(defaults) == 1:  # a blank is read as the catalogue's default
                req = f"否（未填写按“{defaults.pop()}”）"
            helps = [s.help for s in col.specs.values() if s.help] if col.specs else ([col.spec.help] if col.spec.help else [])
            row: list[Any] = [
                SHEET_LABEL[key],
                col.header,
                col.name,
                _type_text(col),
                _unit(col),
                req,
                _allowed(col, catalogue),
                users,
                "；".join(dict.fromkeys(helps)),
            ]
            notes.append(row)
    notes.append([])
    notes.append(["事项类型", "英文名", "说明"])
    for c in notes[notes.max_row]:
        c.font = bold
        c.fill = fill
    for name, kind in catalogue.events.items():
        notes.append([kind.label, name, kind.help])
    widths = [10, 34, 24, 10, 18, 14, 60, 30, 50]
    for i, w in enumerate(widths, start=1):
        notes.column_dimensions[get_column_letter(i)].width = w
    for row_cells in notes.iter_rows(min_row=2):
        for c in row_cells:
            c.alignment = Alignment(wrap_text=True, vertical="top")
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
