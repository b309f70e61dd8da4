"""名单测算 end to end in headless Chromium against ``huiqi serve``: upload a register
built in the test, watch it finish, compare the total with the reference evaluator,
download the Excel export and open it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from huiqi.service import engine

from .conftest import ARTIFACTS
from .registers import AS_OF, reference_total_fen, scenarios, write_register

pytestmark = pytest.mark.browser


def test_batch_upload_results_export(server: str, page: Any, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    raws = scenarios()
    register = write_register(tmp_path / "登记表.xlsx", raws, bad_rows=True)
    expected = reference_total_fen(engine(), raws)
    page.goto(f"{server}/batch")
    assert page.get_by_role("link", name="下载Excel登记表模板").get_attribute("href") == "/batch/template.xlsx"
    page.get_by_label("登记表文件").set_input_files(str(register))
    page.get_by_label("测算基准日（可选）").fill(AS_OF)
    page.screenshot(path=str(ARTIFACTS / "batch-upload.png"), full_page=True)
    page.get_by_role("button", name="上传并测算").click()
    page.wait_for_url("**/batch/*")
    page.locator("#batch-total-max").wait_for(timeout=60_000)  # the page polls the JSON status, then reloads
    shown = page.locator("#batch-total-max").inner_text()
    assert shown == f"{expected // 100:,}.{expected % 100:02d}"  # with its thousands marked, as people read money
    assert page.locator("#rows-read").inner_text() == "14"
    assert page.locator("#rows-rejected").inner_text() == "3"
    assert page.locator("#ent-evaluated").inner_text() == "5"
    errors = page.locator("#batch-errors").inner_text()
    assert "abc" in errors and "credit_code" in errors
    # by document, article, department, payer, town and year (按年度)
    page.wait_for_function("document.querySelectorAll('.batch-chart canvas').length === 6")
    assert page.locator("#chart-year canvas").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.screenshot(path=str(ARTIFACTS / "batch-result.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: the charts fit, no sideways scrolling
    page.wait_for_function("document.documentElement.scrollWidth <= 390")  # once the charts have redrawn
    page.goto(f"{server}/policies/wuzhong-2025")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate(
        "document.querySelector('.source-text').scrollWidth <= document.querySelector('.source-text').clientWidth"
    )
    page.set_viewport_size({"width": 1280, "height": 800})
    page.go_back()
    # the upload page lists this browser's jobs (kept in the browser: the server lists nobody's)
    job_url = page.url.split("?")[0]
    page.goto(f"{server}/batch")
    recent = page.locator("#recent-jobs li")
    recent.first.wait_for()
    # each job with its 基准日: a rerun on another date is told from its original
    assert recent.count() == 1 and f"已完成，基准日 {AS_OF}，" in recent.first.inner_text()
    assert "可享受资金最高 " + shown + " 元" in recent.first.inner_text()
    assert recent.first.get_by_role("link", name="登记表.xlsx").get_attribute("href") == job_url.removeprefix(server)
    other = page.context.browser.new_context()  # another officer's browser
    elsewhere = other.new_page()
    elsewhere.goto(f"{server}/batch")
    assert not elsewhere.locator("#recent-jobs").is_visible()
    other.close()
    page.goto(job_url)
    # filter by town: the table and the total follow; the export carries the same filter
    page.locator("#flt-town").select_option("甪直镇")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**town=*")
    towns = page.locator("#by-benefit tbody tr").count()
    assert towns >= 1
    assert "甪直镇" in page.locator("#by-enterprise tbody").inner_text()
    with page.expect_download() as dl:
        page.locator("#export").click()
    path = tmp_path / "export.xlsx"
    dl.value.save_as(path)
    wb = load_workbook(path, read_only=True)
    rows = list(wb["结果"].iter_rows(values_only=True))[1:]
    assert len(rows) == towns and {r[3] for r in rows} == {"甪直镇"}
    problems = list(wb["问题"].iter_rows(values_only=True))[1:]
    assert len(problems) == 3
    page.screenshot(path=str(ARTIFACTS / "batch-filtered.png"), full_page=True)
    # filter by year (年度): a labelled select of the job's years; every event and yearly item is of 2025 here
    page.goto(job_url)
    every = page.locator("#by-benefit tbody tr").count()
    year = page.get_by_label("年度", exact=True)
    assert year.evaluate("e => [...e.options].map(o => o.value)") == ["", "2025年"]
    year.focus()  # reached and chosen with the keyboard, as any native select
    assert page.evaluate("document.activeElement.id") == "flt-year"
    year.select_option("2025年")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**year=*")
    assert page.locator("#flt-year").input_value() == "2025年"
    assert page.locator("#by-benefit tbody tr").count() == every >= 1
    assert page.locator("#batch-total-max").inner_text() == shown
    # delete the job with the keyboard: open the confirmation, then confirm
    page.goto(job_url)
    confirm = page.get_by_role("button", name="确认删除")
    assert not confirm.is_visible()
    page.locator("#batch-delete summary").focus()
    page.keyboard.press("Enter")
    assert confirm.is_visible()
    page.screenshot(path=str(ARTIFACTS / "batch-delete.png"), full_page=True)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "batch-delete-confirm"
    page.keyboard.press("Enter")
    page.wait_for_url("**/batch?deleted=*")
    assert "已删除名单测算任务" in page.locator("#batch-deleted").inner_text()
    page.goto(job_url)
    assert "找不到编号为" in page.content()
    page.goto(f"{server}/batch")  # a deleted job leaves the list
    page.wait_for_function("localStorage.getItem('huiqi.batchJobs') === '[]'")
    assert not page.locator("#recent-jobs").is_visible()
