"""Awards already received under an item's own id, in the reference and the compiled engine alike.

Two hand audits found money paid twice:
- 苏府〔2020〕120号 has no 就高不重复 rule, so an award received under 第一条's 市级贴息 for loan L1 was not
  netted: L1 was paid its 100万元 again (only documents with such a rule looked at awards received per event);
- an award of 苏州市 recorded under 吴中2025 第1条's id (as 市级同类资助) counted in that item's
  单个企业每年最高100万元, which counts the district's money alone (the text writes no 市、区两级 there):
  最高20万元 where 50万元 is due.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pq = pytest.importorskip("pyarrow.parquet")
pytest.importorskip("duckdb")

from huiqi.cli import main  # noqa: E402
from huiqi.core.credit_code import make_credit_code  # noqa: E402

A = make_credit_code("91320506MA1XB0001")
B = make_credit_code("91320506MA1XB0002")
C = make_credit_code("91320412MA1XB0003")


def _register(folder: Path) -> Path:
    folder.mkdir()
    (folder / "enterprises.csv").write_text(
        f"credit_code,name,region,town,industrial\n{A},甲,320506,木渎镇,是\n{B},乙,320506,木渎镇,是\n{C},丙,320412,,是\n",
        encoding="utf-8",
    )
    (folder / "events.csv").write_text(
        "credit_code,id,kind,date,purpose,amount,via_platform,title,level,category,qualification,registration_moved\n"
        f"{A},L1,loan,2022-05-01,智能化改造提升项目,100000000,是,,,,,\n"  # 1% = 100万元, received already
        f"{A},L2,loan,2022-08-01,智能化改造提升项目,150000000,是,,,,,\n"  # 150万元, 100万元 left of 每年最高200万元
        f"{A},R,recognition,2022-05-01,,,,智能制造示范工厂,市级,,,\n"  # 最高100万元, 60万元 received
        f"{B},P,purchase,2025-06-01,,10000000,,,,机器人产品或服务,,\n"  # 5% of 1000万元 = 50万元
        # 武进 第5条 新招引, once per enterprise: already received under the item (no event, no key)
        f"{C},M1,relocation,2024-03-01,,,,,,,江苏省专精特新中小企业,是\n",
        encoding="utf-8",
    )
    (folder / "prior_awards.csv").write_text(
        "credit_code,amount,year,level,document,benefit,event\n"
        f"{A},1000000,2022,市级,苏府〔2020〕120号,sz20-1-loan-city,L1\n"
        f"{A},600000,2022,市级,苏府〔2020〕120号,sz20-2-city-factory,R\n"
        f"{B},800000,2025,市级,苏州市某政策,wz-1-robot-purchase,\n"
        f"{C},300000,2024,区级,2024年度武进区若干措施,wj-5-relocation,\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[tuple[str, str], dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("prior-own")
    register = _register(tmp / "登记表")
    out: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
    for engine_name in ("reference", "duckdb"):
        path = tmp / f"{engine_name}.parquet"
        args = ["batch", str(register), "--engine", engine_name, "--as-of", "2025-12-31", "--out", str(path), "--json"]
        assert main(args) == 0
        out[engine_name] = {(r["event_id"], r["benefit"]): r for r in pq.read_table(path).to_pylist()}
    return out


ENGINES = ["reference", "duckdb"]


@pytest.mark.parametrize("engine_name", ENGINES)
def test_an_award_received_under_the_item_for_the_event_is_not_paid_again(
    rows: dict[str, dict[tuple[str, str], dict[str, Any]]], engine_name: str
) -> None:
    got = rows[engine_name]
    loan = got[("L1", "sz20-1-loan-city")]
    assert loan["status"] == "set_aside"
    assert "该事项已获" in loan["reasons"] and "本项不再重复支持" in loan["reasons"]
    assert got[("L1", "sz20-1-loan-county")]["status"] == "granted"  # the county's 贴息 is another item
    factory = got[("R", "sz20-2-city-factory")]
    assert (factory["status"], factory["min_fen"], factory["max_fen"]) == ("granted", 0, 40_000_000)
    assert "本项只补足差额" in factory["reasons"]
    # the 100万元 received for L1 is 2022's money under the same item: L2 has 100万元 of 每年最高200万元 left
    second = got[("L2", "sz20-1-loan-city")]
    assert (second["status"], second["min_fen"], second["max_fen"]) == ("granted", 100_000_000, 100_000_000)


@pytest.mark.parametrize("engine_name", ENGINES)
def test_a_city_award_recorded_under_a_district_item_is_not_counted_in_the_district_cap(
    rows: dict[str, dict[tuple[str, str], dict[str, Any]]], engine_name: str
) -> None:
    robot = rows[engine_name][("P", "wz-1-robot-purchase")]
    assert (robot["status"], robot["min_fen"], robot["max_fen"]) == ("granted", 0, 50_000_000)


@pytest.mark.parametrize("engine_name", ENGINES)
def test_an_item_paid_once_per_enterprise_is_not_paid_after_an_award_received_under_it(
    rows: dict[str, dict[tuple[str, str], dict[str, Any]]], engine_name: str
) -> None:
    moved = rows[engine_name][("M1", "wj-5-relocation")]
    assert (moved["status"], moved["reason_codes"]) == ("set_aside", "once_per_key")


def test_the_engines_agree_on_every_row(rows: dict[str, dict[tuple[str, str], dict[str, Any]]]) -> None:
    def money(r: dict[str, Any]) -> tuple[Any, ...]:
        return (r["status"], r["nature"], r["min_fen"], r["max_fen"], r["reason_codes"])

    ref, duck = rows["reference"], rows["duckdb"]
    assert ref.keys() == duck.keys()
    assert {k: money(r) for k, r in ref.items()} == {k: money(r) for k, r in duck.items()}
