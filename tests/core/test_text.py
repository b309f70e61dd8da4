"""Source texts shown to readers: a PDF's line wrapping taken out for display only."""

from __future__ import annotations

from pathlib import Path

import pytest

from huiqi.core.text import SourceText, soft_breaks

TEXTS = Path(__file__).resolve().parents[2] / "policies" / "texts"


def shown(text: str) -> str:
    out, at = [], 0
    for s in soft_breaks(text):
        out.append(text[at : s.start])
        at = s.end
    return "".join(out) + text[at:]


def test_a_wrapped_paragraph_reads_as_one_and_its_neighbours_keep_their_breaks() -> None:
    text = (TEXTS / "wuzhong-2025-manufacturing-measures.txt").read_text(encoding="utf-8")
    assert "按照不超过项目实际总\n\n投入的5%给予补助" in text  # as the PDF gave it
    display = shown(text)
    assert "对设备投入300万元以上的企业技术改造项目，按照不超过项目实际总投入的5%给予补助，单个企业每年最高100万元。" in display
    # paragraphs and headings stay on their own lines
    assert "（责任单位：区工信局）\n\n9. 深化专精特新培育。" in display
    assert "\n\n二、支持工业企业量质齐升\n\n7. 鼓励企业做大做强。" in display
    # nothing but white space (and page marks) is taken out
    hidden = "".join(text[s.start : s.end] for s in soft_breaks(text))
    assert hidden.strip() == "" and len(display) + len(hidden) == len(text)
    # a citation's span still points at the same words
    src = SourceText("wuzhong", text)
    span = src.find("设备投入300万元以上的企业技术改造项目，按照不超过项目实际总投入的5%给予补助")
    assert span is not None and "总\n\n投入" in text[span.start : span.end]


@pytest.mark.parametrize("name", ["wujin-2024-manufacturing-measures.txt", "suzhou-2025-embodied-ai-robots.txt"])
def test_a_text_typed_one_paragraph_a_line_keeps_every_break(name: str) -> None:
    assert soft_breaks((TEXTS / name).read_text(encoding="utf-8")) == []


def test_page_marks_inside_a_paragraph_go_with_its_break_and_a_sentence_end_keeps_its_own() -> None:
    line = "一二三四五六七八九十"
    text = f"{line}\n\n{line}\n— 2 —\n{line}。\n{line}\n（二）{line}"
    assert shown(text) == f"{line}{line}{line}。\n{line}\n（二）{line}"
