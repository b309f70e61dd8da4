"""The web application (an adapter over :mod:`huiqi.service`): ``create_app(engine)``."""

from __future__ import annotations

from .app import create_app, root_path

__all__ = ["create_app", "root_path"]
