"""Small registers built in the tests from scenarios, so the expected totals
come from evaluating each scenario with the reference evaluator."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from huiqi.core.credit_code import make_credit_code
from huiqi.core.explain import to_dict
from huiqi.service import Engine

AS_OF = "2025-12-31"


def code(n: int, region: str = "320506") -> str:
    return make_credit_code(f"91{region}MA1T{n:05d}"[:17])


def scenarios() -> list[dict[str, Any]]:
    """Five enterprises: robot purchases around the 5%/100万 rule, a project, one in 武进, a prior award."""
    out: list[dict[str, Any]] = []
    for i, (wan, town) in enumerate([(80, "木渎镇"), (300, "甪直镇"), (2500, "木渎镇")], start=1):
        out.append(
            {
                "enterprise": {"credit_code": code(i), "name": f"测试装备{i}有限公司", "region": "320506", "town": town},
                "events": [
                    {"id": "P1", "kind": "purchase", "date": "2025-06-30", "category": "机器人产品或服务", "amount": f"{wan}万元"}
                ],
                "as_of": AS_OF,
            }
        )
    out.append(
        {
            "enterprise": {
                "credit_code": code(4),
                "name": "测试智改企业",
                "region": "320506",
                "town": "木渎镇",
                "industrial": True,
            },
            "events": [
                {
                    "id": "P1",
                    "kind": "project",
                    "date": "2025-09-01",
                    "category": "智能化改造",
                    "total_investment": "800万元",
                    "smart_investment": "500万元",
                }
            ],
            "prior_awards": [{"amount": "30万元", "year": 2025, "level": "city", "event": "P1", "document": "苏府〔2020〕120号"}],
            "as_of": AS_OF,
        }
    )
    out.append(
        {
            "enterprise": {"credit_code": code(5, "320412"), "name": "武进测试企业", "region": "320412", "town": "湖塘镇"},
            "events": [
                {"id": "P1", "kind": "purchase", "date": "2025-06-30", "category": "机器人产品或服务", "amount": "200万元"}
            ],
            "as_of": AS_OF,
        }
    )
    return out


def reference_total_fen(eng: Engine, raws: list[dict[str, Any]]) -> int:
    """Sum of the upper totals of each scenario evaluated on its own (huiqi.core.evaluator via the engine)."""
    total = 0
    for raw in raws:
        t = to_dict(eng.evaluate(eng.scenario(raw)))["totals"]["total"]
        total += t["max_fen"]
    return total


def write_register(path: Path, raws: list[dict[str, Any]], bad_rows: bool = False) -> Path:
    """The scenarios as an Excel register (English field names as headers, which the reader accepts)."""
    from openpyxl import Workbook

    wb = Workbook()
    ent = wb.active
    ent.title = "企业"
    ent.append(["credit_code", "name", "region", "town", "industrial"])
    ev = wb.create_sheet("事项")
    ev_cols = ["credit_code", "event_id", "kind", "date", "category", "amount", "total_investment", "smart_investment"]
    ev.append(ev_cols)
    pa = wb.create_sheet("已获奖补")
    pa.append(["credit_code", "amount", "year", "level", "document", "event"])
    for raw in raws:
        e = raw["enterprise"]
        ent.append([e["credit_code"], e["name"], e["region"], e.get("town"), {True: "是", False: "否"}.get(e.get("industrial"))])
        for x in raw["events"]:
            ev.append([e["credit_code"], x["id"], x["kind"], x["date"], *(x.get(c) for c in ev_cols[4:])])
        for p in raw.get("prior_awards", []):
            pa.append([e["credit_code"], p["amount"], p["year"], p["level"], p["document"], p["event"]])
    if bad_rows:
        ent.append(["91320506MA1XA00010", "校验码错误企业", "320506", "木渎镇"])  # row 7: bad check character
        ev.append([raws[0]["enterprise"]["credit_code"], "P2", "purchase", "2025-07-01", "机器人产品或服务", "abc"])  # bad amount
        ev.append([code(99), "P1", "purchase", "2025-07-01", "机器人产品或服务", "10万元"])  # enterprise missing
    wb.save(path)
    return path


def wait_for_job(client: Any, job_id: str) -> dict[str, Any]:
    """The status of a web batch job once it is done or failed (a minute at most)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status: dict[str, Any] = client.get(f"/api/batch/{job_id}").json()
        if status["status"] in ("done", "failed"):
            return status
        time.sleep(0.05)
    raise AssertionError("batch job did not finish")
