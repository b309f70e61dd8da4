"""Deleting a 名单测算 job: ``DELETE /api/batch/{id}`` and the page's form
(``POST /batch/{id}/delete``, then back to ``/batch`` with a notice).

A job still queued or running is refused (409), an unknown one is 404; both
raise ``JobError``, which the app answers with its Chinese error JSON or page.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse, RedirectResponse

from .batchjobs import BatchJobs

__all__ = ["add_batch_routes"]


def add_batch_routes(app: FastAPI, jobs: BatchJobs, root: str = "") -> None:
    """Add the delete routes for ``jobs`` to ``app`` (served under ``root``)."""

    @app.delete("/api/batch/{job_id}", tags=["名单测算"], summary="删除任务及其上传文件与结果（测算中的任务不能删除）")
    def api_batch_delete(job_id: str) -> JSONResponse:
        jobs.delete(job_id)
        return JSONResponse({"id": job_id, "deleted": True, "message": f"已删除名单测算任务{job_id}及其上传文件与结果"})

    @app.post("/batch/{job_id}/delete", include_in_schema=False)
    def batch_delete(job_id: str) -> RedirectResponse:
        jobs.delete(job_id)
        return RedirectResponse(f"{root}/batch?deleted={job_id}", status_code=303)
