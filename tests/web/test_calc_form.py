"""The calculator form: 万元 entry converted exactly, errors beside fields, rows
added and removed, and the downloadable YAML accepted by the real CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from huiqi.cli import main as cli_main
from huiqi.service import engine
from huiqi.web.forms import form_to_raw, problem_field, raw_to_form, wan_to_yuan

FORM = {
    "ent.credit_code": "91320506MA1XXXXX09",
    "ent.name": "苏州测试智能装备有限公司",
    "ent.region": "320506",
    "ent.town": "木渎镇",
    "e1.kind": "purchase",
    "e1.date": "2025-06-30",
    "e1.category": "机器人产品或服务",
    "e1.amount": "80",
    "op": "evaluate",
}


@pytest.mark.parametrize(
    ("wan", "yuan"),
    [("80", "800000元"), ("0.000001", "0.01元"), ("12.5", "125000元"), ("1,000", "10000000元"), ("80万元", "800000元")],
)
def test_wan_to_yuan_exact(wan: str, yuan: str) -> None:
    assert wan_to_yuan(wan) == yuan


@pytest.mark.parametrize("bad", ["abc", "0.0000001", "-1", "NaN", "1e400x"])
def test_wan_to_yuan_refuses(bad: str) -> None:
    with pytest.raises(ValueError, match=r"[\u4e00-\u9fff]"):
        wan_to_yuan(bad)


def test_form_and_raw_round_trip() -> None:
    cat = engine().catalogue
    raw, state = form_to_raw(FORM, cat)
    assert not state.errors
    assert raw["events"][0]["amount"] == "800000元"
    back = raw_to_form(raw, cat)
    assert back.values["e1.amount"] == "80"
    assert back.values["ent.region"] == "320506"
    assert back.events == ["purchase"]


def test_dates_the_engine_reads_reopen_as_the_forms_date_fields_take_them() -> None:
    """A scenario dated 20250630 (which the engine reads) reopened with its date fields emptied by
    the browser, and pressing 测算 again said the date was missing."""
    cat = engine().catalogue
    raw, _ = form_to_raw(FORM, cat)
    raw["events"][0]["date"] = "20250630"
    raw["as_of"] = "20251231"
    raw["enterprise"]["qualifications"] = [
        {"title": "专精特新中小企业", "level": "省级", "since": "20230301", "until": "2026-W01-1"}
    ]
    back = raw_to_form(raw, cat)
    assert back.values["e1.date"] == "2025-06-30" and back.values["as_of"] == "2025-12-31"
    assert (back.values["q1.since"], back.values["q1.until"]) == ("2023-03-01", "2025-12-29")
    raw["events"][0]["date"] = "2025/06/30"  # not a date: shown as given, refused with its reason
    assert raw_to_form(raw, cat).values["e1.date"] == "2025/06/30"
    raw["events"][0]["date"] = 20250630  # a number the engine refuses: not shown as a valid date
    assert raw_to_form(raw, cat).values["e1.date"] == "20250630"


def test_problem_field_mapping() -> None:
    assert problem_field("enterprise.credit_code") == "ent.credit_code"
    assert problem_field("events[3]（投资项目）.total_investment") == "e3.total_investment"
    assert problem_field("events[2].kind") == "e2.kind"
    assert problem_field("prior_awards[1].level") == "p1.level"
    assert problem_field("enterprise.qualifications[2].since") == "q2.since"


def _errors_beside(html: str, field_id: str) -> str:
    m = re.search(rf'id="{re.escape(field_id)}-err"[^>]*>([^<]+)<', html)
    assert m, f"no error beside {field_id}"
    return m.group(1)


def test_validation_messages_beside_fields(client: TestClient) -> None:
    bad = {**FORM, "ent.credit_code": "123", "e1.amount": "八十", "e1.date": ""}
    r = client.post("/calc", data=bad, follow_redirects=False)
    assert r.status_code == 422
    assert "统一社会信用代码" in _errors_beside(r.text, "f-ent-credit_code")
    assert "不是数字" in _errors_beside(r.text, "f-e1-amount")
    assert "日期" in _errors_beside(r.text, "f-e1-date")
    assert 'aria-invalid="true"' in r.text
    assert "Traceback" not in r.text


def test_amounts_are_typed_as_digits_full_width_ones_included(client: TestClient) -> None:
    """1e20 and 1_000 were read by Python's Decimal (1e20 万元 became 10^24 元) where the CLI and the
    register refuse them; ３００ was accepted but ８０．５ refused. Digits and a point, full-width or not."""
    for typed, words in [("1e20", "不是数字"), ("1_000", "不是数字"), ("-5", "不能为负数"), ("1000000000000000", "过大")]:
        r = client.post("/calc", data={**FORM, "e1.amount": typed}, follow_redirects=False)
        assert r.status_code == 422, typed
        assert words in _errors_beside(r.text, "f-e1-amount"), typed
    pages = [client.post("/calc", data={**FORM, "e1.amount": typed}) for typed in ("80.5", "８０．５")]
    assert all(p.status_code == 200 for p in pages)
    assert pages[0].text.count("80.5") == pages[1].text.count("80.5") > 0  # the same amount, shown as digits


def test_add_and_remove_event_rows(client: TestClient) -> None:
    kinds = list(engine().catalogue.events)
    r = client.post("/calc", data={**FORM, "op": "add", "add_kind": kinds[-1]})
    assert r.status_code == 200
    assert 'name="e2.kind"' in r.text and f'value="{kinds[-1]}"' in r.text
    assert 'value="80"' in r.text  # the first row keeps its values
    r = client.post("/calc", data={**FORM, "e2.kind": "project", "e2.date": "2025-09-01", "op": "remove-1"})
    assert 'name="e1.kind" value="project"' in r.text and 'name="e2.kind"' not in r.text
    r = client.post("/calc", data={**FORM, "op": "add", "add_kind": "rocket"})
    assert r.status_code == 422 and "未知的事项类型" in r.text


def test_every_event_kind_and_field_has_a_labelled_control(client: TestClient) -> None:
    cat = engine().catalogue
    data = dict(FORM)
    for i, kind in enumerate(cat.events, start=1):
        data[f"e{i}.kind"] = kind
    html = client.post("/calc", data={**data, "op": "add", "add_kind": "purchase"}).text
    for name in cat.enterprise:
        spec = cat.enterprise[name]
        fid = f"f-ent-{name}"
        assert f'id="{fid}"' in html, name
        if spec.type != "enum_list":
            assert f'for="{fid}"' in html, name
    for i, kind in enumerate(cat.events.values(), start=1):
        for name, spec in kind.fields.items():
            fid = f"f-e{i}-{name}"
            assert f'id="{fid}"' in html, (kind.name, name)
            if spec.type != "enum_list":
                assert f'for="{fid}"' in html, (kind.name, name)
            if spec.type == "enum" and spec.values:
                assert f'<option value="{spec.values[0]}"' in html


def test_result_page_and_yaml_accepted_by_the_cli(client: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    r = client.post("/calc", data=FORM, follow_redirects=False)
    assert r.status_code == 303
    link = r.headers["location"]
    sid = re.search(r"s=([0-9a-f]+)", link).group(1)  # type: ignore[union-attr]
    page = client.get(link).text
    assert "最高4万元" in page and "在原文中查看" in page and f"/calc/{sid}.yaml" in page
    y = client.get(f"/calc/{sid}.yaml")
    assert y.status_code == 200 and "attachment" in y.headers["content-disposition"]
    path = tmp_path / "scenario.yaml"
    path.write_bytes(y.content)
    capsys.readouterr()
    assert cli_main(["evaluate", str(path), "--json"]) == 0
    from_cli = json.loads(capsys.readouterr().out)
    assert from_cli == client.get(f"/api/scenarios/{sid}").json()["result"]


def test_upload_yaml_reopens_in_the_form(client: TestClient) -> None:
    example = Path(__file__).resolve().parents[2] / "examples" / "scenarios" / "wuzhong-robot-maker.yaml"
    r = client.post("/calc/upload", files={"file": ("s.yaml", example.read_bytes(), "application/yaml")})
    assert r.status_code == 200  # followed the redirect to the result
    assert 'value="1200"' in r.text  # 1200万元 shown in 万元
    r = client.post("/calc/upload", files={"file": ("s.yaml", b"enterprise: [", "application/yaml")})
    assert r.status_code == 400 and "Traceback" not in r.text


def test_the_result_page_points_out_events_after_the_reference_date(client: TestClient) -> None:
    scenario = (
        "as_of: 2025-12-31\n"
        "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例企业, region: '320506', town: 木渎镇}\n"
        "events: [{id: P9, kind: purchase, date: 2026-03-01, category: 机器人产品或服务, amount: 80万元}]\n"
    )
    r = client.post("/calc/upload", files={"file": ("s.yaml", scenario.encode(), "application/yaml")})
    assert r.status_code == 200
    assert '<p class="notice" id="after-as-of">注意：1条事项的发生日期晚于基准日2025-12-31：P9（2026-03-01）' in r.text


MULTI_YEAR = (
    "as_of: 2026-06-30\n"
    "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例吴中机器人企业, region: '320506', town: 木渎镇,"
    " size: 小型, industrial: true, sectors: [人形机器人整机制造]}\n"
    "events:\n"
    "  - {id: L1, kind: loan, date: 2023-04-20, purpose: 智能化改造提升项目, amount: 1500万元, via_platform: true}\n"
    "  - {id: S1, kind: service_request, date: 2023-05-01, service: 智能制造诊断（工厂）}\n"
    "  - {id: E1, kind: purchase, date: 2025-06-30, category: 机器人产品或服务, amount: 80万元}\n"
    "  - {id: E3, kind: purchase, date: 2026-03-01, category: 机器人产品或服务, amount: 80万元}\n"
)


def test_the_result_page_totals_by_year_and_counts_the_non_money_items(client: TestClient) -> None:
    """Awards of 2023, 2025 and 2026 (the yearly item under the 基准日's 2026): a 按年度 row each, as the
    JSON's ``totals.by_year``; the 免费服务 and 权益 items are said to be left out of the 合计."""
    r = client.post("/calc/upload", files={"file": ("s.yaml", MULTI_YEAR.encode(), "application/yaml")})
    assert r.status_code == 200
    api = client.post("/api/evaluate", content=MULTI_YEAR.encode(), headers={"content-type": "application/yaml"}).json()
    years = api["totals"]["by_year"]
    assert list(years) == ["2023年", "2025年", "2026年"]
    assert "<caption>按政策文件、年度与出资方</caption>" in r.text
    assert (
        '<tr id="by-year"><th scope="row">按年度</th><td>事项发生的年份；年度、企业层面的项目计入基准日（2026-06-30）所在年份</td></tr>'
        in r.text
    )
    rows = re.findall(r'<tr class="by-year"><th scope="row">(\d{4}年)</th><td>([^<]*)</td></tr>', r.text)
    assert [y for y, _ in rows] == list(years)
    for year, cell in rows:
        assert cell.startswith(f"{years[year]['text']}（{years[year]['count']}项）")
    n = api["totals"]["total"]["non_money"]
    assert n == 2  # 免费诊断 (S1) and 风险补偿 (L1)
    assert f'；其中<span id="non-money">{n}</span>项为权益或免费服务（非资金），未计入合计' in r.text
    assert rows[0][1].endswith("；另有2项为权益或免费服务（非资金）")  # 2023: both are 苏州2020 items of that year

    one_year = "\n".join(line for line in MULTI_YEAR.splitlines() if "2023-" not in line and "2026-03" not in line)
    r = client.post(
        "/calc/upload", files={"file": ("s.yaml", one_year.replace("2026-06-30", "2025-12-31").encode(), "application/yaml")}
    )
    assert r.status_code == 200
    assert (
        "<caption>按政策文件与出资方</caption>" in r.text and 'class="by-year"' not in r.text and 'id="non-money"' not in r.text
    )


# --- 已获资质 and 已获奖补 ----------------------------------------------------------

TOP_UP = {
    "ent.credit_code": "91320506MA1XXXXX09",
    "ent.name": "示例智能化改造企业",
    "ent.region": "320506",
    "ent.town": "木渎镇",
    "ent.industrial": "true",  # 吴中2025 第8条 is for 工业企业
    "e1.kind": "project",
    "e1.id": "P1",
    "e1.date": "2025-09-01",
    "e1.category": "智能化改造",
    "e1.total_investment": "800",
    "e1.smart_investment": "500",
    "q1.title": "高新技术企业",
    "q1.level": "国家级",
    "q1.since": "2023-12-01",
    "q1.until": "2026-11-30",
    "p1.amount": "30",
    "p1.year": "2025",
    "p1.level": "city",
    "p1.document": "苏府〔2020〕120号",
    "p1.event": "P1",
    "op": "evaluate",
}


def test_qualification_and_prior_award_rows_build_the_scenario() -> None:
    raw, state = form_to_raw(TOP_UP, engine().catalogue)
    assert not state.errors
    assert raw["enterprise"]["qualifications"] == [
        {"title": "高新技术企业", "level": "国家级", "since": "2023-12-01", "until": "2026-11-30"}
    ]
    assert raw["prior_awards"] == [
        {"amount": "300000元", "year": 2025, "level": "city", "document": "苏府〔2020〕120号", "event": "P1"}
    ]
    back = raw_to_form(raw, engine().catalogue)
    assert (back.quals, back.priors) == (1, 1)
    assert back.values["p1.amount"] == "30" and back.values["q1.title"] == "高新技术企业"
    assert back.extra == ""


def test_prior_city_award_for_the_same_project_tops_up(
    client: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    r = client.post("/calc", data=TOP_UP, follow_redirects=False)
    assert r.status_code == 303, r.text
    link = r.headers["location"]
    sid = re.search(r"s=([0-9a-f]+)", link).group(1)  # type: ignore[union-attr]
    page = client.get(link).text
    # 吴中第21条 就高不重复: 800万元 × 10% = 80万元, less the 30万元 already received from the city
    award = page[page.index("智能化改造项目") :]
    assert "只补足差额" in award and "最高50万元" in award
    # the saved scenario and its YAML carry both rows; the form reopens them
    saved = client.get(f"/api/scenarios/{sid}").json()
    assert saved["scenario"]["prior_awards"][0]["event"] == "P1"
    assert saved["scenario"]["enterprise"]["qualifications"][0]["title"] == "高新技术企业"
    assert 'id="f-p1-amount" name="p1.amount" value="30"' in page
    assert '<option value="高新技术企业" selected>' in page
    y = client.get(f"/calc/{sid}.yaml")
    path = tmp_path / "scenario.yaml"
    path.write_bytes(y.content)
    capsys.readouterr()
    assert cli_main(["evaluate", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == saved["result"]
    reopened = client.post("/calc/upload", files={"file": ("s.yaml", y.content, "application/yaml")})
    assert 'value="苏府〔2020〕120号"' in reopened.text


def test_add_remove_rows_and_errors_beside_prior_fields(client: TestClient) -> None:
    r = client.post("/calc", data={**FORM, "op": "add-qual"})
    assert r.status_code == 200 and 'id="f-q1-title"' in r.text
    titles = engine().catalogue.qualification_titles
    assert f'<option value="{titles[0]}"' in r.text
    r = client.post("/calc", data={**FORM, "op": "add-prior"})
    assert 'id="f-p1-amount"' in r.text and '<option value="city"' in r.text
    both = {**TOP_UP, "p2.amount": "10", "p2.year": "2024", "p2.level": "district", "op": "remove-p1"}
    r = client.post("/calc", data=both)
    assert 'name="p1.amount" value="10"' in r.text and 'name="p2.amount"' not in r.text
    r = client.post("/calc", data={**TOP_UP, "op": "remove-q1"})
    assert 'id="f-q1-title"' not in r.text
    bad = {**TOP_UP, "p1.amount": "三十", "p1.level": "", "q1.since": ""}
    r = client.post("/calc", data=bad, follow_redirects=False)
    assert r.status_code == 422
    assert "不是数字" in _errors_beside(r.text, "f-p1-amount")
    assert _errors_beside(r.text, "f-q1-since") == "应为日期YYYY-MM-DD"
    r = client.post("/calc", data={**TOP_UP, "p1.level": ""}, follow_redirects=False)
    assert r.status_code == 422 and "city" in _errors_beside(r.text, "f-p1-level")


IMPOSSIBLE = (
    "enterprise: {credit_code: 91320506MA1XXXXX09, name: x, region: '320506'}\n"
    "events:\n  - {id: E1, kind: purchase, date: 2025-02-30, category: 机器人产品或服务, amount: 80万元}\n"
)


def test_an_uploaded_impossible_date_is_shown_beside_its_field_with_the_other_problems(client: TestClient) -> None:
    r = client.post("/calc/upload", files={"file": ("情景.yaml", IMPOSSIBLE.encode(), "application/yaml")})
    assert r.status_code == 422
    assert _errors_beside(r.text, "f-e1-date") == "“2025-02-30”：日期无效（2025年2月只有28天）；应为有效日期YYYY-MM-DD"
    r = client.post("/calc/upload", data={"text": IMPOSSIBLE.replace("name: x, ", "")})
    assert r.status_code == 422
    assert _errors_beside(r.text, "f-e1-date") == "“2025-02-30”：日期无效（2025年2月只有28天）；应为有效日期YYYY-MM-DD"
    assert _errors_beside(r.text, "f-ent-name") == "必填；应为文本"  # the file's other problem, in the same answer


def test_a_scenario_uploaded_for_comparison_lists_an_impossible_date_with_the_other_problems(client: TestClient) -> None:
    r = client.post("/compare/upload", data={"text": IMPOSSIBLE.replace("name: x, ", "")})
    assert r.status_code == 422
    assert "情景有2处问题" in r.text
    assert "日期无效（2025年2月只有28天）" in r.text and "必填；应为文本" in r.text


@pytest.mark.parametrize("url", ["/calc/upload", "/compare/upload"])
def test_an_uploaded_scenario_with_a_time_of_day_reopens(client: TestClient, url: str) -> None:
    text = "as_of: 2025-12-31T10:00:00\n" + IMPOSSIBLE.replace("2025-02-30", "2025-06-30T08:00:00")
    r = client.post(url, files={"file": ("s.yaml", text.encode(), "application/yaml")}, follow_redirects=False)
    assert r.status_code == 303
    sid = r.headers["location"].split("s=")[1].split("#")[0]
    assert client.get(r.headers["location"]).status_code == 200
    saved = client.get(f"/api/scenarios/{sid}")
    assert saved.status_code == 200
    assert saved.json()["scenario"]["as_of"] == "2025-12-31"
    assert saved.json()["scenario"]["events"][0]["date"] == "2025-06-30"


@pytest.mark.parametrize("url", ["/calc/upload", "/compare/upload"])
def test_an_uploaded_json_scenario_with_a_key_twice_is_a_400_naming_file_and_line(client: TestClient, url: str) -> None:
    body = (
        '{"enterprise": {"credit_code": "91320506MA1XXXXX09", "name": "x", "region": "320506",\n'
        '  "region": "320412"}, "events": []}'
    )
    r = client.post(url, files={"file": ("情景.json", body.encode(), "application/json")})
    assert r.status_code == 400
    assert "情景.json:2:3: 键“region”重复（第1行已有）；同一映射中每个键只能写一次" in r.text


def test_a_json_upload_with_a_byte_order_mark_is_read(client: TestClient) -> None:
    body = b'\xef\xbb\xbf{"enterprise": {"credit_code": "91320506MA1XXXXX09", "name": "x", "region": "320506"}, "events": []}'
    r = client.post("/calc/upload", files={"file": ("s.json", body, "application/json")}, follow_redirects=False)
    assert r.status_code == 303


def test_policies_not_in_force_are_listed_apart_from_the_near_misses(client: TestClient) -> None:
    form = {k: v for k, v in FORM.items() if not k.startswith("e1.")}
    form.update({"e1.kind": "recognition", "e1.date": "2025-09-10", "e1.title": "首台（套）装备及关键零部件", "e1.level": "省级"})
    page = client.post("/calc", data=form).text
    results, box = page.split('<details id="out-of-window">')
    box = box.split("</details>")[0]
    assert "首台（套）装备及关键零部件一次性奖励" not in results.split("一、可享受的支持")[1]  # not as a near miss
    assert "首台（套）装备及关键零部件一次性奖励" in box
    assert "事项日期不在政策有效期内、不适用的（2项）" in box
    assert "日期2025-09-10不在《苏州2020》有效期（2021-01-01至2023-12-31，按解释）内" in box


def test_a_near_miss_lists_each_unmet_condition_once(client: TestClient) -> None:
    page = client.post("/calc", data={**FORM, "e1.amount": "50"}).text  # 50万元 is not 超过50万元
    near = page.split("差一点符合的")[1]
    assert near.count("同一年度采购金额合计50万元未超过50万元") == 1


def test_the_result_sections_are_numbered_in_turn(client: TestClient) -> None:
    """Without set-asides the near misses were 三 after 一 (二 skipped)."""
    for form in ({**FORM, "e1.amount": "50"}, {**FORM, "e1.date": "2022-06-30"}):
        page = client.post("/calc", data=form).text.split('id="result"')[-1]
        numerals = re.findall(r"(?:<h3>|<summary>)([一二三四五])、", page)
        assert numerals and numerals == list("一二三四五"[: len(numerals)]), numerals


def test_a_form_of_many_events_is_calculated(client: TestClient) -> None:
    """The page of a saved scenario of 160+ events could not be calculated again (请求有误): a form
    of that size has over 1,000 fields, Starlette's default limit."""
    many = dict(FORM)
    for i in range(2, 301):
        many |= {f"e{i}.kind": "purchase", f"e{i}.date": "2025-07-01", f"e{i}.category": "机器人产品或服务", f"e{i}.amount": "1"}
    assert len(many) > 1_000
    r = client.post("/calc", data=many, follow_redirects=False)
    assert r.status_code == 303 and "/calc?s=" in r.headers["location"], r.text[:300]


def _project_result(client: TestClient, category: str, **wan: str) -> str:
    """The result page of FORM's enterprise with one project P1 (2025-09-01) of ``category``, amounts in 万元."""
    form = {k: v for k, v in FORM.items() if not k.startswith("e1.")}
    form |= {"e1.kind": "project", "e1.id": "P1", "e1.date": "2025-09-01", "e1.category": category}
    form |= {f"e1.{k}": v for k, v in wan.items()}
    r = client.post("/calc", data=form, follow_redirects=True)
    assert r.status_code == 200, r.text
    return r.text


def test_an_event_no_item_takes_is_listed_on_the_result(client: TestClient) -> None:
    """A project whose 项目类别 is another region's word (武进2024's 智改数转网联改造) is listed with why."""
    page = _project_result(client, "智改数转网联改造", total_investment="1200")
    assert "没有适用条款的事项（1项）" in page
    assert "事项P1（2025-09-01）：只有《武进2024》有适用于该事项的条款，该文件不适用于注册在吴中区的企业" in page


def test_a_near_miss_shows_the_money_at_stake(client: TestClient) -> None:
    """The page showed 最高7.5万元 granted while 120万元 of 智能化改造 waited on a blank 是否工业企业."""
    page = _project_result(client, "智能化改造", total_investment="1200", equipment_investment="900", smart_investment="700")
    smart = page[page.index("智能化改造项目补助") :]
    assert "若满足条件可得：<strong>最高120万元</strong>" in smart[: smart.index("</article>")]


def _shown(client: TestClient, text: str) -> Any:
    """The 企业测算 page of a scenario pasted into the upload form."""
    r = client.post("/calc/upload", data={"text": text})
    assert r.status_code == 200, r.text
    return r


def test_the_total_says_how_many_items_it_leaves_out_for_stating_no_amount(client: TestClient) -> None:
    """吴中2025 第6条 (经区专题会议研究后予以支持) is granted with no amount: the page's 合计 counts it apart."""
    text = (
        "as_of: 2025-12-31\n"
        "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例企业, region: '320506', industrial: true}\n"
        "events:\n  - {id: M1, kind: project, date: 2025-06-01, category: 重大产业项目}\n"
    )
    r = _shown(client, text)
    assert re.search(
        r'合计：<strong id="total">0元</strong>（1项；其中<span id="unpriced">1</span>项可享受但原文未定金额', r.text
    )


def test_items_that_only_lack_facts_have_their_own_section_saying_what_to_fill_in(client: TestClient) -> None:
    text = (
        "as_of: 2024-12-31\n"
        "enterprise: {credit_code: 91320412MA1WJ00024, name: 武进甲, region: '320412', industrial: true,"
        " manufacturing_enterprise: true}\n"
        "events:\n  - {id: P1, kind: project, date: 2024-03-15, category: 智改数转网联改造, total_investment: 800万元}\n"
    )
    r = _shown(client, text)
    section = r.text.split('id="incomplete"', 1)[1]
    assert "缺少资料、尚无法判断的（3项）" in section
    assert "→ 请补充：智能化设备及信息化投入</li>" in section
    assert "差一点符合的" not in r.text  # nothing was nearly met: every item lacks a fact


def test_an_uploaded_amount_far_below_its_threshold_is_pointed_out(client: TestClient) -> None:
    text = (
        "as_of: 2025-12-31\n"
        "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例企业, region: '320506', industrial: true}\n"
        "events:\n  - {id: T1, kind: project, date: 2025-08-01, category: 企业技术改造, total_investment: 800,"
        " equipment_investment: 300}\n"
    )
    r = _shown(client, text)
    assert (
        '<p class="notice unit-note">注意：事项T1的设备投入（equipment_investment）为300.00元，远低于《吴中2025》第8条的门槛300万元'
        in r.text
    )


def test_the_result_page_marks_a_policy_in_force_at_none_of_the_dates(client: TestClient) -> None:
    """A 吴中 enterprise's 2025 purchase: 苏州2020 (in force 2021–2023) binds it by place only; 适用政策 says so
    beside its title instead of listing it as if it applied."""
    page = client.get(client.post("/calc", data=FORM, follow_redirects=False).headers["location"]).text
    listed = re.search(r"适用政策：(.*?)</p>", page).group(1)  # type: ignore[union-attr]
    lapsed = re.findall(
        r"《([^》]+)》<span class=\"doc-lapsed\">（有效期2021-01-01至2023-12-31，所填事项与基准日均不在有效期内）", listed
    )
    assert lapsed == ["苏州2020"]  # the page names documents by their short names
    assert listed.count("doc-lapsed") == 1  # the documents in force are listed bare


def test_a_prior_award_naming_no_event_or_benefit_is_shown_beside_its_field(client: TestClient) -> None:
    """p1.event “p1” (for P1) and a benefit id with a typo were silently no reference: the full
    最高80万元 was shown where 50万元 was left after the 30万元 received (吴中 第21条)."""
    bad = {**TOP_UP, "p1.event": "p1", "p2.amount": "10", "p2.year": "2025", "p2.level": "district"}
    bad["p2.benefit"] = "wz-8-smart-renovaton"
    r = client.post("/calc", data=bad, follow_redirects=False)
    assert r.status_code == 422 and "Traceback" not in r.text
    assert _errors_beside(r.text, "f-p1-event") == "“p1”：本情景没有该事项；是否为“P1”？为其他项目所获奖补请不填事项编号"
    said = _errors_beside(r.text, "f-p2-benefit")
    assert said.startswith("“wz-8-smart-renovaton”：政策库中没有该奖补项；是否为“wz-8-smart-renovation”（《吴中2025》第8条")
    # what the user typed stays in the form
    assert 'id="f-p1-event" name="p1.event" value="p1"' in r.text
    assert '<option value="wz-8-smart-renovaton" selected>wz-8-smart-renovaton（政策库中没有）</option>' in r.text


def test_the_benefit_of_an_award_received_is_chosen_among_the_librarys(client: TestClient) -> None:
    r = client.post("/calc", data={**FORM, "op": "add-prior"})
    assert '<select id="f-p1-benefit" name="p1.benefit">' in r.text
    assert '<option value="">（未注明）</option>' in r.text
    assert '<option value="wz-8-tech-renovation" >《吴中2025》第8条“企业技术改造项目补助”</option>' in r.text
    ok = {**TOP_UP, "p1.benefit": "wz-8-smart-renovation"}
    r = client.post("/calc", data=ok, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"]).text
    assert '<option value="wz-8-smart-renovation" selected>' in page
