"""Deleting and re-running a 名单测算 job.

- ``DELETE /api/batch/{id}`` and the page's form (``POST /batch/{id}/delete``, then back to
  ``/batch`` with a notice);
- ``POST /api/batch/{id}/rerun`` (JSON ``{"as_of": "YYYY-MM-DD"}``, optional: without it the job's
  own reference date, ``""`` or ``null`` for today; any other key is refused, 422) and the page's
  form (``POST /batch/{id}/rerun``, filled with the job's own date, then to the new job's page): a
  new job on the same uploaded register, on the policies the server has now; the old job is kept.

A job still queued or running is refused (409), an unknown one is 404, one whose upload is gone
410; all raise ``JobError``, which the app answers with its Chinese error JSON or page.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from .batchjobs import BatchJobs, JobError, reference_date

__all__ = ["RERUN_KEYS", "add_batch_routes"]

RERUN_KEYS = ("as_of",)  # what a rerun's JSON body may hold


def _as_of(value: Any) -> date | None:
    """A rerun's reference date: none or blank for today, else YYYY-MM-DD."""
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError(f"测算基准日“{value}”不是有效日期（应为YYYY-MM-DD）")
        return reference_date(value)
    except ValueError as exc:
        raise JobError(400, str(exc), "invalid_date") from None


def add_batch_routes(app: FastAPI, jobs: BatchJobs, root: str = "") -> None:
    """Add the delete and rerun routes for ``jobs`` to ``app`` (served under ``root``)."""

    @app.delete("/api/batch/{job_id}", tags=["名单测算"], summary="删除任务及其上传文件与结果（测算中的任务不能删除）")
    def api_batch_delete(job_id: str) -> JSONResponse:
        jobs.delete(job_id)
        return JSONResponse({"id": job_id, "deleted": True, "message": f"已删除名单测算任务{job_id}及其上传文件与结果"})

    @app.post("/batch/{job_id}/delete", include_in_schema=False)
    def batch_delete(job_id: str) -> RedirectResponse:
        jobs.delete(job_id)
        return RedirectResponse(f"{root}/batch?deleted={job_id}", status_code=303)

    @app.post(
        "/api/batch/{job_id}/rerun",
        tags=["名单测算"],
        summary="用同一份登记表重新测算（按当前政策；可另定测算基准日）；返回新任务编号",
        status_code=202,
    )
    async def api_batch_rerun(request: Request, job_id: str) -> JSONResponse:
        body = await request.body()
        try:
            data = json.loads(body) if body.strip() else {}
        except (ValueError, RecursionError):
            raise JobError(400, '请求体应为JSON，如 {"as_of": "2025-12-31"}（可省略）', "invalid_json") from None
        if not isinstance(data, dict):
            raise JobError(400, '请求体应为JSON对象，如 {"as_of": "2025-12-31"}（可省略）', "invalid_json")
        unknown = [str(k) for k in data if k not in RERUN_KEYS]
        if unknown:
            raise JobError(
                422,
                f"请求体中有未知的键：{'、'.join(f'“{k}”' for k in unknown)}；可用的键：{'、'.join(RERUN_KEYS)}",
                "invalid_body",
            )
        if "as_of" in data:  # given: that date, or blank (or null) for today, as the page's form
            as_of = _as_of(data["as_of"])
        else:  # not given: the job's own, as the page's form is filled (today for a job that recorded none)
            job = await run_in_threadpool(jobs.status, job_id)
            own = (job or {}).get("as_of")
            as_of = date.fromisoformat(own) if isinstance(own, str) else None
        new_id = await run_in_threadpool(jobs.rerun, job_id, as_of)  # copies the upload
        body_out = {
            "id": new_id,
            "status": f"{root}/api/batch/{new_id}",
            "results": f"{root}/api/batch/{new_id}/results",
            "page": f"{root}/batch/{new_id}",
            "rerun_of": job_id,
        }
        return JSONResponse(body_out, status_code=202, headers={"Location": body_out["status"]})

    @app.post("/batch/{job_id}/rerun", include_in_schema=False)
    async def batch_rerun(request: Request, job_id: str) -> RedirectResponse:
        form = await request.form()
        new_id = await run_in_threadpool(jobs.rerun, job_id, _as_of(form.get("as_of")))
        return RedirectResponse(f"{root}/batch/{new_id}", status_code=303)
