"""An app factory for process managers (``uvicorn --factory``, several workers).

Reads ``HUIQI_POLICIES`` (a policy folder; the bundled policies by default) and
``HUIQI_DATA`` (the data folder for saved scenarios), ``HUIQI_ROOT_PATH`` (the path the
app is served under behind a reverse proxy, as ``huiqi serve --root-path``) and
``HUIQI_MAX_UPLOAD_MB`` (a register upload's limit, as ``huiqi serve --max-upload``)."""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

from huiqi.policyfile import DEFAULT_POLICY_DIR
from huiqi.service import engine

from .app import MAX_UPLOAD, create_app
from .batchjobs import max_upload_from_env

__all__ = ["app_from_env"]


def app_from_env() -> FastAPI:
    policies = Path(os.environ.get("HUIQI_POLICIES") or DEFAULT_POLICY_DIR).resolve()
    data = os.environ.get("HUIQI_DATA")
    limit = max_upload_from_env(MAX_UPLOAD)
    return create_app(engine(policies), Path(data) if data else None, limit, root=os.environ.get("HUIQI_ROOT_PATH", ""))
