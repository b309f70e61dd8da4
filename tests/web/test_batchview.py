"""The 名单测算 page's filters, as people look for an article."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from huiqi.web.batchview import _article_order

from .registers import AS_OF, code, wait_for_job, write_register

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_articles_are_offered_in_the_order_of_their_numbers() -> None:
    """The 条款 filter sorted them as text: 第10条…第19条, 第1条, 第20条, 第2条; 第七条 before 第三条."""
    arabic = ["10", "2", "1", "21", "3"]
    assert sorted(arabic, key=lambda a: _article_order("wz", a)) == ["1", "2", "3", "10", "21"]
    chinese = ["七", "三", "十二", "十", "二十一", "一"]
    assert sorted(chinese, key=lambda a: _article_order("sz", a)) == ["一", "三", "七", "十", "十二", "二十一"]
    mixed = [("wz", "10"), ("sz", "二"), ("wz", "9"), ("wz", "附则")]
    assert sorted(mixed, key=lambda da: _article_order(*da)) == [("sz", "二"), ("wz", "9"), ("wz", "10"), ("wz", "附则")]


def test_the_page_counts_the_near_misses_only_for_blank_facts(client: TestClient, tmp_path: Path) -> None:
    """武进2024 智改数转网联 with 是否制造业企业 left blank is 缺少资料: the page and the API count it within
    未满足条件, and its row says so, for the officer to ask the enterprise for the fact."""
    ent = {"credit_code": code(1, "320412"), "name": "武进示例企业", "region": "320412"}
    event = {"id": "P1", "kind": "project", "date": "2024-05-20", "category": "智改数转网联改造"}
    raws = [{"enterprise": ent, "events": [event | {"total_investment": "800万元", "smart_it_investment": "400万元"}]}]
    path = write_register(tmp_path / "登记表.xlsx", raws)
    r = client.post("/api/batch", files={"file": (path.name, path.read_bytes(), XLSX)}, data={"as_of": AS_OF})
    assert r.status_code == 202, r.text
    job = wait_for_job(client, r.json()["id"])
    results = client.get(f"/api/batch/{job['id']}/results").json()
    assert results["summary"]["missing_facts"] == 1
    (row,) = [x for x in results["rows"] if x["benefit"] == "wj-1-smart-upgrade"]
    assert (row["status_label"], row["reason_codes"]) == ("缺少资料", "absent:2")
    page = client.get(f"/batch/{job['id']}").text
    assert '<span id="batch-missing-facts">缺少资料1项</span>' in page
    # the 状态 filter offers them apart, for the officer's list of enterprises to ask
    only = client.get(f"/api/batch/{job['id']}/results", params={"status": "missing_facts"}).json()
    assert [(x["benefit"], x["status_label"]) for x in only["rows"]] == [("wj-1-smart-upgrade", "缺少资料")]
    assert len(results["rows"]) > 1  # the other rows of the job are filtered out
    assert '<option value="missing_facts"' in page


def test_a_rows_year_is_the_one_the_year_summary_gives_it() -> None:
    """The 年度 filter's years are ``io_write.year_key``'s: the event's year, a yearly item's (no event
    date) the 基准日's, （未注明年度） without a 基准日; a bare 2025 is 2025年."""
    from datetime import date

    import pyarrow as pa

    from huiqi.batch.io_write import YEAR_UNKNOWN, year_key
    from huiqi.web.batchview import year_keys, year_value

    days = [date(2024, 3, 1), None, date(2025, 12, 31)]
    table = pa.table({"event_date": pa.array(days, pa.date32())})
    for as_of in (date(2026, 6, 30), None):
        assert year_keys(table, as_of).to_pylist() == [year_key(d, as_of) for d in days]
    assert year_keys(table, None).to_pylist()[1] == YEAR_UNKNOWN
    assert (year_value(" 2025 "), year_value("2025年"), year_value("")) == ("2025年", "2025年", "")
