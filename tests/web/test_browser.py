"""End to end in headless Chromium (Debian's, via Playwright) against ``huiqi serve``."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ARTIFACTS
from .test_accessibility import UNLABELLED

pytestmark = pytest.mark.browser


def _no_horizontal_scroll(page: Any) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


def _wuzhong_enterprise_with_event(page: Any, server: str, name: str, kind: str) -> None:
    """Open the calculator, fill a 吴中区 enterprise in 木渎镇 and add one event row of ``kind``."""
    page.goto(f"{server}/calc")
    page.get_by_label("统一社会信用代码").fill("91320506MA1XXXXX09")
    page.get_by_label("名称", exact=False).first.fill(name)
    page.locator("#f-ent-region").select_option("320506")
    page.get_by_label("所在镇（街道、板块）").fill("木渎镇")
    page.get_by_label("添加事项类型").select_option(kind)
    page.get_by_role("button", name="添加事项").click()


def test_calculator_robot_purchase(server: str, page: Any) -> None:
    _wuzhong_enterprise_with_event(page, server, "苏州测试智能装备有限公司", "purchase")
    page.locator("#f-e1-date").fill("2025-06-30")
    page.locator("#f-e1-category").select_option("机器人产品或服务")
    page.get_by_label("采购金额（万元）").fill("80")
    _no_horizontal_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "calc-form.png"), full_page=True)
    page.locator("#f-e1-amount").press("Enter")  # keyboard submit
    page.wait_for_url("**/calc?s=*")
    award = page.locator("article.award-granted", has_text="购买机器人产品或服务补助")
    assert "最高4万元" in award.inner_text()
    assert "木渎镇财政" in award.inner_text()
    page.wait_for_function("document.querySelector('#chart canvas') !== null")
    _no_horizontal_scroll(page)
    assert page.evaluate(UNLABELLED) == []  # the result page keeps the form: every field still labelled
    page.screenshot(path=str(ARTIFACTS / "calc-result.png"), full_page=True)
    # the shared link reopens the same calculation
    link = page.locator("#share-link").input_value()
    assert link.startswith(server + "/calc?s=")
    other = page.context.new_page()
    other.goto(link)
    assert other.locator("#f-e1-amount").input_value() == "80"
    assert "最高4万元" in other.locator("#result").inner_text()
    other.emulate_media(media="print")
    assert other.locator("#calc-form").is_hidden()
    other.pdf(path=str(ARTIFACTS / "calc-result-print.pdf"))


def test_back_shows_the_form_of_the_result_on_the_page(server: str, page: Any) -> None:
    """After a second calculation, Back showed the first result beside the amount typed for the
    second (the browser restores what was typed): the form now shows the result's own values."""
    _wuzhong_enterprise_with_event(page, server, "苏州测试智能装备有限公司", "purchase")
    page.locator("#f-e1-date").fill("2025-06-30")
    page.locator("#f-e1-category").select_option("机器人产品或服务")
    page.get_by_label("采购金额（万元）").fill("80")
    page.locator("#f-e1-amount").press("Enter")
    page.wait_for_url("**/calc?s=*")
    first, shown = page.url, page.locator("#result").inner_text()
    page.locator("#f-e1-amount").fill("60")
    page.locator("#f-e1-amount").press("Enter")
    page.wait_for_url(lambda url: url != first and "/calc?s=" in url)
    assert page.locator("#result").inner_text() != shown
    page.go_back()
    page.wait_for_url(first)
    page.wait_for_load_state()
    assert page.locator("#result").inner_text() == shown
    assert page.locator("#f-e1-amount").input_value() == "80"


def test_typing_before_the_page_has_loaded_is_kept(server: str, page: Any) -> None:
    """On a slow link one types into the form before the page's scripts have loaded: the reset
    meant for Back wiped it when the page then loaded (CI's first browser test evaluated an empty
    amount). A script held back keeps the page parsed but not loaded while we type."""
    held: list[Any] = []
    page.route("**/static/vendor/htmx.min.js", lambda route: held.append(route))
    page.goto(f"{server}/calc", wait_until="commit")
    page.get_by_label("统一社会信用代码").fill("91320506MA1XXXXX09")
    for _ in range(200):  # the route handler runs while Playwright waits
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the script was not requested"
    assert page.evaluate("document.readyState") != "complete"
    for route in held:
        route.continue_()
    page.wait_for_load_state("load")
    page.evaluate("new Promise(r => setTimeout(r, 50))")  # pageshow runs after load
    assert page.get_by_label("统一社会信用代码").input_value() == "91320506MA1XXXXX09"


def test_validation_message_beside_field(server: str, page: Any) -> None:
    page.goto(f"{server}/calc")
    page.get_by_label("统一社会信用代码").fill("123")
    page.get_by_role("button", name="测算", exact=True).click()
    err = page.locator("#f-ent-credit_code-err")
    assert "统一社会信用代码" in err.inner_text()
    page.screenshot(path=str(ARTIFACTS / "calc-errors.png"), full_page=True)


def test_benefit_lands_on_its_highlighted_words(server: str, page: Any) -> None:
    page.goto(f"{server}/policies/wuzhong-2025")
    _no_horizontal_scroll(page)
    page.locator("#b-wz-1-robot-purchase a.to-source").click()
    page.wait_for_function("location.hash === '#src-wz-1-robot-purchase'")
    active = page.locator("mark.cite.active")
    assert active.count() >= 1
    text = "".join(active.all_inner_texts()).replace("\n", "")
    assert "购买机器人产品或服务超过50万元" in text
    assert active.first.is_visible()
    box = active.first.bounding_box()
    assert box is not None and 0 <= box["y"] <= 900
    page.screenshot(path=str(ARTIFACTS / "policy-highlight.png"))
    # and back from the words to the benefit
    page.locator('a.back[href="#b-wz-1-robot-purchase"]').click()
    page.wait_for_function("location.hash === '#b-wz-1-robot-purchase'")
    assert page.locator("#b-wz-1-robot-purchase").is_visible()


def test_policy_search(server: str, page: Any) -> None:
    page.goto(f"{server}/policies")
    page.get_by_label("关键词").fill("机器人")
    page.get_by_role("button", name="查询").click()
    page.wait_for_selector("text=匹配的奖补项")
    assert page.locator(".benefit-list li").count() >= 1
    _no_horizontal_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "policies-search.png"), full_page=True)


def test_compare_side_by_side(server: str, page: Any) -> None:
    import httpx

    scenario = {
        "enterprise": {"credit_code": "91320506MA1XXXXX09", "name": "对比测试企业", "region": "320506", "town": "木渎镇"},
        "events": [{"kind": "purchase", "date": "2025-06-30", "category": "机器人产品或服务", "amount": "80万元"}],
    }
    sid = httpx.post(f"{server}/api/scenarios", json=scenario).json()["id"]
    page.goto(f"{server}/compare?s={sid}&region=320506&region=320412")
    cols = page.locator(".region-col")
    assert cols.count() == 2
    assert "吴中区" in cols.nth(0).inner_text() and "最高4万元" in cols.nth(0).inner_text()
    assert "武进区" in cols.nth(1).inner_text()
    b0, b1 = cols.nth(0).bounding_box(), cols.nth(1).bounding_box()
    assert b0 and b1 and b1["x"] > b0["x"] and abs(b1["y"] - b0["y"]) < 2  # side by side
    _no_horizontal_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "compare.png"), full_page=True)
    assert page.locator("#none-picked").count() == 0
    # every region unticked: the defaults are shown, and the page says so (it restored them silently)
    ticked = page.locator("input[name=region]:checked")
    while ticked.count():
        ticked.first.uncheck()
    page.get_by_role("button", name="对比").click()
    page.wait_for_load_state()
    assert "请至少勾选一个地区" in page.locator("#none-picked").inner_text()
    assert page.locator(".region-col").count() >= 1


def test_plan_page(server: str, page: Any) -> None:
    page.goto(f"{server}/plan")
    assert page.locator("h2", has_text="主要指标").is_visible()
    assert page.locator("h3", has_text="“126”发展新态势").is_visible()
    foot = page.locator("footer.foot").inner_text()  # not the site's words about amounts: what applies to plan data
    assert foot.startswith("本页为规划数据，不是补贴测算") and "金额按分精确计算" not in foot
    _no_horizontal_scroll(page)
    # the cited words open from the keyboard
    first = page.locator("details.plan-cite").first
    first.locator("summary").focus()
    page.keyboard.press("Enter")
    assert first.evaluate("d => d.open")
    assert first.locator("blockquote").first.is_visible()
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    _no_horizontal_scroll(page)  # every quotation open, the page still fits 1280 px
    page.screenshot(path=str(ARTIFACTS / "plan.png"), full_page=True)


def test_prior_city_award_tops_up(server: str, page: Any) -> None:
    """已获资质 and 已获奖补 rows: a city award for the same project leaves only the difference (吴中第21条)."""
    _wuzhong_enterprise_with_event(page, server, "示例智能化改造企业", "project")
    page.locator("#f-ent-industrial").select_option("true")  # 吴中2025 第8条 is for 工业企业
    page.locator("#f-e1-id").fill("P1")
    page.locator("#f-e1-date").fill("2025-09-01")
    page.locator("#f-e1-category").select_option("智能化改造")
    page.locator("#f-e1-total_investment").fill("800")
    page.locator("#f-e1-smart_investment").fill("500")
    page.get_by_role("button", name="添加已获资质").click()
    # the page opens at the new row, its first field focused (it opened at the top, 30 tab stops away)
    page.wait_for_function("document.activeElement && document.activeElement.id === 'f-q1-title'", timeout=10_000)
    page.locator("#f-q1-title").select_option("高新技术企业")
    page.locator("#f-q1-since").fill("2023-12-01")
    page.get_by_role("button", name="添加已获奖补").click()
    page.locator("#f-p1-amount").fill("30")
    page.locator("#f-p1-year").fill("2025")
    page.locator("#f-p1-level").select_option("city")
    page.locator("#f-p1-document").fill("苏府〔2020〕120号")
    page.locator("#f-p1-event").fill("P1")
    assert page.locator("#f-e1-total_investment").input_value() == "800"  # kept across the row additions
    _no_horizontal_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "calc-prior-form.png"), full_page=True)
    page.locator("#f-p1-amount").press("Enter")  # keyboard submit (a datalist may be open beside the event field)
    page.wait_for_url("**/calc?s=*")
    award = page.locator("article.award-granted", has_text="只补足差额")
    assert "最高50万元" in award.inner_text()
    assert page.locator("#f-p1-amount").input_value() == "30"
    assert page.locator("#f-q1-title").input_value() == "高新技术企业"
    page.screenshot(path=str(ARTIFACTS / "calc-prior-result.png"), full_page=True)
