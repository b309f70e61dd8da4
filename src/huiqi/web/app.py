"""The FastAPI application: server-rendered Chinese pages, each with a JSON twin.

``create_app(engine)`` builds the app over a loaded :class:`~huiqi.service.Engine`
(the one the CLI uses) and a data folder holding the SQLite database of saved
scenarios.  Pages answer JSON when asked with ``Accept: application/json``;
the same data is under ``/api``.  Bad input gives a Chinese message and a 4xx
status, never a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import Mapping
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import orjson
import yaml
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from ..compare import evaluate_in
from ..core.explain import to_dict
from ..core.facts import ScenarioError
from ..core.money import format_wan
from ..core.plan import Plan
from ..core.regions import REGIONS, TOWNS
from ..core.text import brief
from ..policy_view import ArticleNotFound, facts_catalogue, list_documents, show_article, show_document
from ..service import Engine, InputError, check_json_depth, check_json_keys, read_scenario_text
from .batchjobs import FILTERS, UNRECORDED, BatchJobs, UploadError, UploadFile, reference_date
from .batchroutes import add_batch_routes
from .batchview import (
    SCOPE_NOTE,
    apply_filters,
    by_enterprise,
    charts,
    enterprises_without_results,
    events_after_in_rows,
    filter_choices,
    filtered_overview,
    one_payer,
    quota_dict,
    result_rows,
    summary_dict,
    unmatched_filters,
    year_value,
)
from .forms import PRIOR_LEVELS, FormState, add_problems, fen_to_wan, form_to_raw, raw_to_form
from .serving import ServingLoop
from .store import DISK_FULL, ScenarioStore, default_data_dir, disk_full, storable, store_busy, store_problem
from .views import NATURE_CHOICES, benefit_nature, benefit_sectors, highlight, plan_dict, search_benefits

__all__ = ["WebError", "create_app", "root_path"]

HERE = Path(__file__).resolve().parent
MAX_BODY = 1_000_000
MAX_ITEMS = 1_000  # events (or awards received, qualifications) in one scenario sent to the web app
INLINE_BODY = 32_000  # a body evaluated on the event loop (a 10-event scenario is ≈2 KB); larger ones in a thread
MAX_UPLOAD = 20_000_000  # a register upload (名单测算)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_ROWS = 200  # result rows shown on the page (all of them in the JSON and the Excel export)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")
_LOG = logging.getLogger(__name__)
INTERNAL_ERROR = "服务器内部错误，请稍后再试"
COMPARE_KEYS = ("scenario", "regions")  # what a POST /api/compare body may hold
FILTER_LABELS = {  # a 名单测算 result filter as officers name it (the export's 筛选 line, the messages)
    "document": "政策文件",
    "article": "条款",
    "department": "责任单位",
    "payer": "出资方",
    "town": "镇（街道、板块）",
    "year": "年度",
    "status": "状态",
    "nature": "金额性质",
    "q": "企业名称或代码",
}


# The JSON's ``code`` of an error given no code of its own, by its status (docs/web.md lists them all).
STATUS_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_parameter",
    500: "internal_error",
    503: "unavailable",
    507: "disk_full",
}


def error_code(status: int) -> str:
    """The ``code`` of an error answer with ``status`` that names no code of its own."""
    return STATUS_CODES.get(status, "client_error" if 400 <= status < 500 else "server_error")


class WebError(Exception):
    """A request the app refuses, with a Chinese message, an HTTP status and a short English
    ``code`` for programs (default: the status's, :data:`STATUS_CODES`)."""

    def __init__(
        self,
        status: int,
        message: str,
        problems: list[dict[str, Any]] | None = None,
        field: str | None = None,
        page_message: str | None = None,
        links: list[tuple[str, str]] | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or error_code(status)
        self.problems = problems or []
        self.field = field  # the form field the message is about, shown beside it (None: the page's own)
        # on a page (not the JSON): the message worded for an officer (pages to open, not ids or
        # commands) and links to those pages, as (path under the root, text)
        self.page_message = page_message
        self.links = links or []


class ErrorProblem(BaseModel):
    """One problem of a 422: where it is and what is wrong, in Chinese (a scenario's also name the
    field, the value and what was expected; a query parameter's the value received)."""

    where: str = Field(description="出问题的位置：情景中的路径（events[0].date）或参数（query.limit）")
    message: str = Field(description="问题说明（中文）")
    label: str | None = None
    value: Any = None
    expected: str | None = None
    detail: str | None = None
    choices: list[str] | None = None


class ErrorBody(BaseModel):
    """Every error the API answers (4xx, 5xx): the Chinese message, a stable English code, and
    for 422 the problems one by one."""

    error: str = Field(description="错误说明（中文）")
    code: str = Field(description="稳定的英文错误代码，如 invalid_json、unknown_job（见 docs/web.md）")
    problems: list[ErrorProblem] | None = Field(default=None, description="422：逐项问题")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": ErrorBody, "description": "请求有误（中文说明与英文代码）"},
    "5XX": {"model": ErrorBody, "description": "服务器暂不可用或内部错误"},
}


def _problems(exc: ScenarioError) -> list[dict[str, Any]]:
    return [
        {
            "where": p.where,
            "label": p.label,
            "value": p.value_text(),  # as the file wrote it: true, [火星], not True, ['火星']
            "expected": p.expected,
            "message": p.message(),
        }
        for p in exc.problems
    ]


def grouped_yuan(text: str | None) -> str:
    """An amount of 元 as the JSON gives it (15135132.50) with its thousands marked, as people read
    money (15,135,132.50); anything else (不设上限, blank) as it is."""
    if text is None:
        return ""
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, dot, cents = digits.partition(".")
    return f"{sign}{int(whole):,}{dot}{cents}" if whole.isdigit() else text


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


class _Site:
    """What the routes share: the engine, the store, the templates."""

    def __init__(self, eng: Engine, data_dir: Path, max_upload: int = MAX_UPLOAD, root_path: str = "") -> None:
        self.engine = eng
        self.root = root_path  # the path the app is served under ("" at the root): every link starts with it
        self.store = ScenarioStore(data_dir)
        self.batch = BatchJobs(eng, self.store, max_upload)
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.globals.update(regions=REGIONS, towns=TOWNS, nature_choices=NATURE_CHOICES, base=root_path)
        self.templates.env.filters["wan"] = format_wan
        self.templates.env.filters["yuan"] = grouped_yuan

    @cached_property
    def plan(self) -> Plan:
        from ..policyfile.plan_loader import load_plan

        return load_plan(self.engine.policy_dir / "suzhou-2016-plan.yaml", self.engine.policy_dir / "texts")

    @cached_property
    def payer_names(self) -> Any:
        """The payers of items granted without a stated amount (``io_write.PayerNames``), which count and
        filter under them: one per app, its names kept across requests (loaded at the first 名单测算 view)."""
        from ..batch.io_write import PayerNames

        return PayerNames(self.engine.library)

    @cached_property
    def quota_places(self) -> dict[str, tuple[int, bool]]:
        from ..batch.io_write import quota_places

        return quota_places(self.engine.library)

    def page(self, request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
        return self.templates.TemplateResponse(request, name, context, status_code=status)

    def document(self, doc_id: str) -> Any:
        doc = self.engine.library.by_id.get(doc_id)
        if doc is None:
            known = "、".join(self.engine.library.by_id) or "（无）"
            raise WebError(
                404,
                f"没有编号为“{doc_id}”的政策文件；可用：{known}",
                page_message=f"没有编号为“{doc_id}”的政策文件；链接可能有误。请在政策库中选择：",
                links=[(f"/policies/{d.id}", f"《{d.short}》{d.title}") for d in self.engine.library.documents],
                code="unknown_document",
            )
        return doc

    def scenario_raw(self, sid: str) -> Any:
        raw = self.store.load(sid)
        if raw is None:
            raise WebError(404, f"找不到编号为“{sid}”的测算情景；链接可能有误或已失效", code="unknown_scenario")
        return raw

    def evaluate(self, raw: Any, region: str | None = None) -> dict[str, Any]:
        scenario = self.engine.scenario(raw)
        return to_dict(self.engine.evaluate(scenario, region=region))

    def filters(self) -> dict[str, list[str]]:
        departments: dict[str, None] = {}
        sectors: dict[str, None] = {}
        for doc in self.engine.library.documents:
            for b in doc.benefits:
                departments.update(dict.fromkeys(b.department))
                sectors.update(dict.fromkeys(benefit_sectors(b)))
        return {"departments": list(departments), "sectors": list(sectors)}

    def qual_levels(self) -> tuple[str, ...]:
        rec = self.engine.catalogue.events.get("recognition")
        spec = rec.fields.get("level") if rec else None
        return tuple(spec.values) if spec is not None and spec.values else ("国家级", "省级", "市级", "区级")

    def doc_names(self) -> dict[str, str]:
        return {d.id: d.short for d in self.engine.library.documents}

    def event_labels(self) -> dict[str, str]:
        return {k: v.label for k, v in self.engine.catalogue.events.items()}


def _scenario_from_body(body: bytes, content_type: str) -> Any:
    """The scenario in a request body: JSON, or YAML text with a YAML content type."""
    if len(body) > MAX_BODY:
        raise WebError(413, f"请求体过大（上限{MAX_BODY // 1000}KB）")
    if not body.strip():
        raise WebError(400, "请求体为空：请提交情景（JSON，或content-type为application/yaml的YAML文本）", code="empty_body")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebError(400, "请求体不是UTF-8编码", code="invalid_encoding") from None
    ctype = (content_type or "application/json").split(";")[0].strip().lower()
    if ctype in YAML_TYPES:
        name = "请求.yaml"
    elif ctype in ("application/json", ""):
        name = "请求.json"
        try:
            data = orjson.loads(body)  # orjson: ≈15 µs less than the json module on a 10-event body
        except orjson.JSONDecodeError:
            pass  # read again below, for the json module's message (the CLI's), or its wider reading
        else:  # as read_scenario_text checks JSON: too deep, or a key written twice (orjson keeps the last)
            try:
                checked = check_json_keys(check_json_depth(data, text, name), text, name)
            except InputError as exc:
                raise WebError(400, str(exc), code="invalid_json") from None
            return _not_too_long(checked, size=len(body))
    else:
        raise WebError(415, f"不支持的内容类型“{ctype}”：请用application/json或application/yaml")
    try:
        return _not_too_long(read_scenario_text(text, name), size=len(body))
    except InputError as exc:
        raise WebError(400, str(exc), code="invalid_yaml" if ctype in YAML_TYPES else "invalid_json") from None


def _listed(values: list[str], most: int = 20) -> str:
    """Values named in a message: the first ``most`` of them, and how many more."""
    shown = "、".join(values[:most]) or "（无）"
    return shown + (f"等{len(values)}项" if len(values) > most else "")


def _not_too_long(data: Any, where: str = "", size: int | None = None) -> Any:
    """``data`` with no list of more than ``MAX_ITEMS`` entries: an evaluation's cost grows faster than
    its events (4,300 took 2.4 s, holding every other request of the worker), so the web app takes
    at most ``MAX_ITEMS``; a register goes to 名单测算, a larger scenario to ``huiqi evaluate``. A body
    of ``size`` bytes up to ``INLINE_BODY`` holds fewer events than that (one takes 40 bytes or more)
    and is not walked: the load benchmark's requests paid ≈25 µs each for it."""
    if size is not None and size <= INLINE_BODY:
        return data
    if isinstance(data, list):
        if len(data) > MAX_ITEMS:
            raise WebError(
                413,
                f"{where or '列表'}有{len(data):,}项，网页与接口每个情景最多{MAX_ITEMS:,}项；"
                "更多事项请用名单测算上传登记表，或用命令行 huiqi evaluate",
            )
        for item in data:
            _not_too_long(item, where)
    elif isinstance(data, dict):
        for key, value in data.items():
            _not_too_long(value, str(key))
    return data


async def _body_scenario(request: Request) -> Any:
    return _scenario_from_body(await request.body(), request.headers.get("content-type", "application/json"))


def _json_bytes(data: Any) -> bytes:
    """Compact UTF-8 JSON (orjson: ≈0.2 ms less per evaluation answer than the json module)."""
    return orjson.dumps(data)


class _HuiqiApp(FastAPI):
    """FastAPI with a direct path for ``POST /api/evaluate``, the hot endpoint.

    A successful evaluation is answered here, without FastAPI's routing,
    middleware and dependency machinery (≈1 ms of a ≈3 ms request on the load
    benchmark).  Anything else — other routes, and every request this path
    cannot answer with 200 (bad body, bad scenario, too large) — goes through
    the ordinary stack, with the body replayed, so errors look exactly alike.
    """

    site: _Site

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        root = self.site.root
        if root and scope["type"] in ("http", "websocket"):
            scope = _under_root(scope, root)
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
            refused = _refusal(scope, self.site)
            if refused is not None:
                await refused(scope, receive, send)
                return
            receive = _capped(scope, receive, _body_limit(scope, self.site)[0])
        if scope["type"] != "http" or scope["path"] != root + "/api/evaluate" or scope["method"] != "POST":
            await super().__call__(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # client went away
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if len(body) > INLINE_BODY or scope.get(TOO_LARGE):  # in a thread, or refused, by the ordinary route
            await super().__call__(scope, _replay(body, receive), send)
            return
        try:
            ctype = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"content-type"), "application/json")
            payload = _json_bytes(self.site.evaluate(_scenario_from_body(body, ctype)))
        except Exception:
            await super().__call__(scope, _replay(body, receive), send)
            return
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        loop = asyncio.get_running_loop()
        if isinstance(loop, ServingLoop) and loop.shed_one():  # this worker holds too many: the client reconnects
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


TOO_LARGE = "huiqi.too_large"  # set in the scope when a body was cut at its limit


def _replay(body: bytes, receive: Any) -> Any:
    """A ``receive`` that gives ``body`` once, then what the client sends (a disconnect)."""
    replayed = False

    async def again() -> Any:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return again


def _body_limit(scope: Any, site: _Site) -> tuple[int, str]:
    """The bytes a request may send, and what a larger one is told: a register upload (名单测算) its
    limit, a scenario file a little over ``MAX_BODY`` (the form's wrapping), anything else ``MAX_BODY``."""
    path = _route_path(scope)
    if path in ("/api/batch", "/batch"):
        return site.batch.max_upload + 100_000, site.batch.too_large()
    too_large = f"请求体过大（上限{MAX_BODY // 1000}KB）"
    return (MAX_BODY + 100_000 if path in ("/calc/upload", "/compare/upload") else MAX_BODY), too_large


def _capped(scope: Any, receive: Any, limit: int) -> Any:
    """A ``receive`` that stops a body at ``limit`` + 1 bytes and marks the scope (``TOO_LARGE``):
    a body sent without its length (chunked) was read whole before it was refused (800 MB took
    2.4 GB). The routes refuse such a body by its length or by the mark, with 413."""
    total = 0
    cut = False

    async def capped() -> Any:
        nonlocal total, cut
        if cut:
            return await receive()
        message = await receive()
        if message["type"] == "http.request":
            body = message.get("body", b"")
            total += len(body)
            if total > limit:
                cut = True
                scope[TOO_LARGE] = True
                return {"type": "http.request", "body": body[: len(body) - (total - limit) + 1], "more_body": False}
        return message

    return capped


def _refusal(scope: Any, site: _Site) -> Any:
    """An answer given before the body is read: a declared length over the limit (413), or a form
    posted from another site (403: a page elsewhere could delete a job whose link it knew)."""
    headers = dict(scope.get("headers") or [])
    if headers.get(b"sec-fetch-site") == b"cross-site":  # browsers say so of a request another site made
        message, status, code = "拒绝来自其他网站的请求（跨站提交）", 403, "cross_site_refused"
    else:
        length = headers.get(b"content-length", b"")
        limit, too_large = _body_limit(scope, site)
        if not (length.isdigit() and int(length) > limit):
            return None
        message, status, code = too_large, 413, "too_large"
    wants_json = _route_path(scope).startswith("/api") or b"application/json" in headers.get(b"accept", b"")
    if wants_json:
        body = {"error": message, "code": code}
        answer: Response = JSONResponse(body, status_code=status, headers={"connection": "close"})
    else:
        answer = site.page(Request(scope), "error.html", {"status": status, "message": message, "problems": []}, status)
    for name, value in _SECURITY_HEADERS:  # answered before the middleware that adds them to every other answer
        answer.headers[name.decode()] = value.decode()
    return answer


def root_path(value: str) -> str:
    """``--root-path`` as the app uses it: ``/huiqi/`` → ``/huiqi``, ``/`` → ``""``; a Chinese
    message for what cannot be a URL path prefix."""
    text = value.strip()
    if not text.startswith("/"):
        raise InputError(f"--root-path应以“/”开头，如/huiqi：{value!r}")
    if not re.fullmatch(r"[A-Za-z0-9._~/-]*", text):
        raise InputError(f"--root-path只能含英文字母、数字和 . _ ~ - /（其他字符须在网址中转义）：{value!r}")
    parts = text.strip("/").split("/")
    if text != "/" and any(part in ("", ".", "..") for part in parts):
        raise InputError(f"--root-path不能含空段、“.”或“..”：{value!r}")
    return "/" + "/".join(parts) if text != "/" else ""


def _under_root(scope: Any, root: str) -> Any:
    """The request as served under ``root``: ASGI paths include the root path, so a request the
    reverse proxy passed on without it (nginx ``proxy_pass http://…/;``), or one made to the
    server directly, gets it put in front; one passed on with it is left as it is."""
    path = scope["path"]
    if path == root:  # /huiqi is the home page, as /huiqi/ is (Starlette's redirect would name the proxy's upstream)
        return {**scope, "path": root + "/", "raw_path": None, "root_path": root}
    if not path.startswith(root + "/"):
        raw = scope.get("raw_path")
        return {**scope, "path": root + path, "raw_path": root.encode("ascii") + raw if raw else None, "root_path": root}
    return {**scope, "root_path": root}


def _route_path(scope: Any) -> str:
    """The path inside the app (``/static/app.css``), without the path it is served under."""
    return str(scope["path"])[len(scope.get("root_path", "")) :]


def _validation_text(error: Mapping[str, Any]) -> str:
    """What a request parameter should be, in Chinese, from pydantic's error (its English is not shown)."""
    ctx = error.get("ctx") or {}
    kind = str(error.get("type", ""))
    bounds = {
        "greater_than_equal": ("不小于", "ge"),
        "less_than_equal": ("不大于", "le"),
        "greater_than": ("大于", "gt"),
        "less_than": ("小于", "lt"),
    }
    if kind in bounds:
        word, key = bounds[kind]
        return f"应{word}{ctx.get(key)}"
    return {
        "missing": "缺少此参数",
        "int_parsing": "应为整数",
        "int_from_float": "应为整数",
        "float_parsing": "应为数值",
        "bool_parsing": "应为true或false",
        "date_parsing": "应为日期YYYY-MM-DD",
        "date_from_datetime_parsing": "应为日期YYYY-MM-DD",
        "datetime_parsing": "应为日期时间YYYY-MM-DDTHH:MM:SS",
        "string_type": "应为文字",
        "string_too_short": f"过短（至少{ctx.get('min_length')}个字符）",
        "string_too_long": f"过长（最多{ctx.get('max_length')}个字符）",
        "too_short": f"过少（至少{ctx.get('min_length')}项）",
        "too_long": f"过多（最多{ctx.get('max_length')}项）",
        "literal_error": f"应为{ctx.get('expected')}",
        "enum": f"应为{ctx.get('expected')}",
        "json_invalid": "不是有效的JSON",
        "json_type": "应为JSON文本",
        "list_type": "应为列表",
        "dict_type": "应为对象（键值对）",
        "model_type": "应为对象（键值对）",
        "model_attributes_type": "应为对象（键值对）",
        "extra_forbidden": "不是可用的参数",
    }.get(kind, "取值不符合要求")


def _validation_detail(error: Mapping[str, Any]) -> str:
    """``_validation_text`` with the value received, where there was one (pydantic's ``msg`` is English)."""
    text = _validation_text(error)
    value = error.get("input")
    if error.get("type") != "missing" and isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return f"{text}，收到“{brief(str(value))}”"
    return text


# Sent with every answer: no MIME sniffing, no framing by other sites, no full URLs to other sites.
_SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"referrer-policy", b"same-origin"),
)


class HeadAndHeaders:
    """ASGI middleware: HEAD answered as GET without its body (uptime checks asked with HEAD and
    got 405 on every page), the security headers on every answer, and static assets revalidated
    on each use (``no-cache`` with their ETag: the file names carry no version, so a browser
    kept an old app.js after an upgrade)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
        static = _route_path(scope).startswith("/static/")

        async def send_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in _SECURITY_HEADERS if k not in names]
                if static and b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-cache"))
                message = {**message, "headers": headers}
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app(scope, receive, send_headers)


def create_app(eng: Engine, data_dir: Path | None = None, max_upload: int = MAX_UPLOAD, root: str = "") -> FastAPI:
    """The web app over ``eng``; saved scenarios and batch jobs live in ``data_dir`` (default ``$HUIQI_DATA``).

    ``max_upload`` limits a register upload (bytes). ``root`` is the path the app is served
    under behind a reverse proxy (``/huiqi``; see :func:`root_path`), ``""`` at the root.
    """
    site = _Site(eng, data_dir or default_data_dir(), max_upload, root_path(root) if root else "")
    app = _HuiqiApp(
        title="惠企 huiqi",
        description="制造业支持政策测算（规则即代码）的网页与JSON接口。金额以分为整数计算，以元字符串返回。",
        version="0.1.0",
        docs_url=None,
        redoc_url=None,
        responses=ERROR_RESPONSES,  # the error shape the API answers, not FastAPI's HTTPValidationError
    )
    app.state.site = site
    app.site = site
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.add_middleware(HeadAndHeaders)

    # --- errors: Chinese, 4xx, never a traceback ---------------------------

    def _error(
        request: Request,
        status: int,
        message: str,
        problems: list[dict[str, Any]] | None = None,
        page_message: str | None = None,
        links: list[tuple[str, str]] | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        if _route_path(request.scope).startswith("/api") or _wants_json(request):
            body: dict[str, Any] = {"error": message, "code": code or error_code(status)}
            if problems:
                body["problems"] = problems
            return JSONResponse(body, status_code=status, headers=headers)
        ctx = {"status": status, "message": page_message or message, "problems": problems or [], "links": links or []}
        answer = site.page(request, "error.html", ctx, status)
        answer.headers.update(headers or {})
        return answer

    @app.exception_handler(WebError)
    async def _web_error(request: Request, exc: WebError) -> Response:
        return _error(request, exc.status, exc.message, exc.problems, exc.page_message, exc.links, exc.code)

    @app.exception_handler(UploadError)
    async def _upload_error(request: Request, exc: UploadError) -> Response:
        # an upload refused before its job exists: 400 is a file that is no register
        return _error(request, exc.status, exc.message, code=exc.code or ("invalid_register" if exc.status == 400 else None))

    @app.exception_handler(ScenarioError)
    async def _scenario_error(request: Request, exc: ScenarioError) -> Response:
        return _error(request, 422, f"情景有{len(exc.problems)}处问题", _problems(exc), code="invalid_scenario")

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError) -> Response:
        return _error(request, 400, str(exc), code="invalid_input")

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "message": _validation_text(e), "detail": _validation_detail(e)}
            for e in exc.errors()
        ]
        message = "请求参数有误：" + "；".join(f"{p['where']}{p['message']}" for p in problems)
        return _error(request, 422, message, problems, code="invalid_parameter")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        messages = {404: "页面不存在", 405: "不支持此请求方法"}
        # its headers kept: a 405 names the methods the path takes (Allow, RFC 9110 §15.5.6) — those of
        # every route of the path (Starlette names its first route's: GET alone for /calc, which takes POST)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = _allowed(request.scope)
        return _error(request, exc.status_code, messages.get(exc.status_code, "请求有误"), headers=headers)

    def _allowed(scope: Any) -> str:
        methods: set[str] = set()
        for route in app.router.routes:
            if isinstance(route, Route) and route.matches(scope)[0] != Match.NONE:
                methods |= set(route.methods or ())
        if "GET" in methods:
            methods.add("HEAD")  # answered as GET without the body (HeadAndHeaders)
        return ", ".join(sorted(methods))

    @app.exception_handler(sqlite3.Error)
    async def _store_error(request: Request, exc: sqlite3.Error) -> Response:
        # the data folder made read-only, its database removed or damaged while the server runs, or
        # locked by another process past the busy timeout: the details (the path) for the log only
        _LOG.error(
            "%s %s: data store %s unavailable: %s: %s", request.method, request.url.path, site.store.path, type(exc).__name__, exc
        )
        if store_busy(exc):
            return _error(request, 503, store_problem(exc), code="store_busy")
        message = f"数据存储暂不可用（{store_problem(exc)}）：请联系管理员检查数据目录后重启服务"
        return _error(request, 503, message, code="store_unavailable")

    @app.exception_handler(OSError)
    async def _os_error(request: Request, exc: OSError) -> Response:
        # a file the answer needed (a temporary one for the export) could not be written
        if disk_full(exc):
            _LOG.error("%s %s: %s", request.method, request.url.path, exc)
            return _error(request, 507, f"{DISK_FULL}，请稍后重试或联系管理员")
        _LOG.exception("%s %s failed", request.method, request.url.path)
        return _error(request, 500, INTERNAL_ERROR)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:  # pragma: no cover - last resort
        return _error(request, 500, INTERNAL_ERROR)

    # --- API -------------------------------------------------------------------

    scenario_body = {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "description": "与 huiqi evaluate 相同的情景：enterprise、events、prior_awards、as_of",
                    }
                },
                "application/yaml": {"schema": {"type": "string", "description": "情景YAML文本"}},
            },
        }
    }

    @app.post("/api/evaluate", tags=["测算"], summary="测算一个情景", openapi_extra=scenario_body)
    async def api_evaluate(request: Request) -> JSONResponse:
        """Accepts exactly what `huiqi evaluate` accepts; returns the evaluation (amounts in fen and 元 strings)."""
        # Returned as a JSONResponse: the result is plain JSON data already, so
        # FastAPI's per-value jsonable_encoder pass (≈2 ms here) is skipped.
        # here only what the direct path declined: a large body (evaluated in a thread, not holding the
        # worker's other requests) or one that fails (its error said the same way)
        return JSONResponse(await run_in_threadpool(site.evaluate, await _body_scenario(request)))

    @app.post("/api/compare", tags=["测算"], summary="同一情景在不同地区的测算对比")
    async def api_compare(request: Request) -> dict[str, Any]:
        """Body: `{"scenario": {...}, "regions": ["320506", "320412"]}`; returns one evaluation per region code."""
        body = await _body_scenario(request)
        if not isinstance(body, dict) or "scenario" not in body:
            raise WebError(422, '请求体应为{"scenario": 情景, "regions": [行政区划代码…]}', code="invalid_body")
        extra = [str(k) for k in body if k not in COMPARE_KEYS]
        if extra:  # as /api/evaluate refuses a scenario's unknown key: a misspelt "region" was ignored
            expected = f"未知的顶层字段；可用：{'、'.join(COMPARE_KEYS)}"
            problems = [
                {"where": k, "label": "", "value": brief(str(body[k])), "expected": expected, "message": f"{k}：{expected}"}
                for k in extra
            ]
            raise WebError(
                422, f"请求体有{len(extra)}处问题：未知的键{'、'.join(f'“{k}”' for k in extra)}", problems, code="invalid_body"
            )
        regions = body.get("regions") or []
        if not isinstance(regions, list) or not all(isinstance(r, str) for r in regions):
            raise WebError(422, 'regions应为行政区划代码（字符串）的列表，如["320506", "320412"]', code="invalid_body")
        unknown = [r for r in regions if r not in REGIONS]
        if unknown:
            raise WebError(422, f"未知的行政区划代码：{'、'.join(unknown)}", code="unknown_region")
        scenario = eng.scenario(body["scenario"])
        codes = regions or [scenario.enterprise.region]

        def each() -> dict[str, Any]:
            return {
                code: {"name": REGIONS[code].name, "result": to_dict(ev), "note": note}
                for code in codes
                for ev, note in [evaluate_in(eng, scenario, code)]
            }

        return {"regions": await run_in_threadpool(each)}

    @app.post("/api/scenarios", tags=["情景"], summary="保存情景，返回可分享的链接", openapi_extra=scenario_body)
    async def api_save(request: Request) -> dict[str, Any]:
        raw = storable(await _body_scenario(request))  # the form saved is the form checked: its link reopens it
        eng.scenario(raw)
        sid = site.store.save(raw)
        return {"id": sid, "link": f"{site.root}/calc?s={sid}", "yaml": f"{site.root}/calc/{sid}.yaml"}

    @app.get("/api/scenarios/{sid}", tags=["情景"], summary="已保存的情景及其测算结果")
    def api_scenario(sid: str) -> dict[str, Any]:
        raw = site.scenario_raw(sid)
        return {"id": sid, "scenario": raw, "result": site.evaluate(raw)}

    @app.get("/api/policies", tags=["政策库"], summary="政策文件列表；带筛选条件时返回匹配的奖补项")
    def api_policies(
        q: str = Query("", description="关键词"),
        department: str = Query("", description="责任单位"),
        nature: str = Query("", description="金额性质：exact/ceiling/floor/range/none/in_kind/right"),
        sector: str = Query("", description="产业领域"),
    ) -> dict[str, Any]:
        return _policies_data(q, department, nature, sector)

    def _policies_data(q: str, department: str, nature: str, sector: str) -> dict[str, Any]:
        if nature and nature not in {n for n, _ in NATURE_CHOICES}:
            choices = "、".join(f"{n}（{label}）" for n, label in NATURE_CHOICES)
            raise WebError(422, f"未知的金额性质“{nature}”；可选：{choices}", code="invalid_parameter")
        data: dict[str, Any] = {"documents": list_documents(eng, date.today()), "filters": site.filters()}
        if q or department or nature or sector:
            data["benefits"] = search_benefits(eng.library.documents, q.strip(), department, nature, sector)
        return data

    @app.get("/api/policies/{doc_id}", tags=["政策库"], summary="一个政策文件：各条款的编码与原文")
    def api_policy(doc_id: str) -> dict[str, Any]:
        return _policy_data(doc_id)

    def _policy_data(doc_id: str) -> dict[str, Any]:
        doc = site.document(doc_id)
        data = show_document(eng, doc, date.today())
        for view, b in zip(data["benefits"], doc.benefits, strict=True):
            view["nature"] = benefit_nature(b).value
            view["nature_label"] = benefit_nature(b).label
        data["source_text"] = doc.source.text
        return data

    @app.get("/api/policies/{doc_id}/articles/{article}", tags=["政策库"], summary="一个条款的编码")
    def api_article(doc_id: str, article: str) -> dict[str, Any]:
        return _article_data(doc_id, article)

    def _article_data(doc_id: str, article: str) -> dict[str, Any]:
        doc = site.document(doc_id)
        try:
            return show_article(eng, doc, article)
        except ArticleNotFound as exc:
            # not the command line's pointer (见 huiqi policies DOC): the JSON names the document's API
            # answer, a page the document's own page (every article and the rules of the whole text)
            message = f"{exc.head}见 {site.root}/api/policies/{doc.id}"
            page = f"{exc.head}见《{doc.short}》的文件页面"
            links = [(f"/policies/{doc.id}", f"《{doc.short}》全文与各条款")]
            raise WebError(404, message, page_message=page, links=links, code="unknown_article") from None

    @app.get("/api/facts", tags=["事实目录"], summary="事实目录：企业字段与事项类型")
    def api_facts() -> dict[str, Any]:
        return facts_catalogue(eng)

    @app.get("/api/plan", tags=["规划"], summary="苏州市“十三五”工业发展规划：指标、重点产业、附件政策")
    def api_plan() -> dict[str, Any]:
        return plan_dict(site.plan, date.today())

    @app.get("/openapi-docs", include_in_schema=False)
    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=f"{site.root}/openapi.json",
            title="惠企 API 文档",
            swagger_js_url=f"{site.root}/static/vendor/swagger-ui-bundle.js",
            swagger_css_url=f"{site.root}/static/vendor/swagger-ui.css",
            swagger_favicon_url=f"{site.root}/static/vendor/swagger-favicon-32x32.png",
        )

    # --- pages -----------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse(f"{site.root}/calc", status_code=307)

    @app.get("/policies", response_class=HTMLResponse, include_in_schema=False)
    def policies_page(request: Request, q: str = "", department: str = "", nature: str = "", sector: str = "") -> Response:
        data = _policies_data(q, department, nature, sector)
        if _wants_json(request):
            return JSONResponse(data)
        ctx = {"data": data, "q": q, "department": department, "nature": nature, "sector": sector, "nav": "policies"}
        return site.page(request, "policies.html", ctx)

    @app.get("/policies/{doc_id}", response_class=HTMLResponse, include_in_schema=False)
    def policy_page(request: Request, doc_id: str) -> Response:
        data = _policy_data(doc_id)
        if _wants_json(request):
            return JSONResponse(data)
        doc = site.document(doc_id)
        articles: dict[str, list[dict[str, Any]]] = {}
        for view in data["benefits"]:
            articles.setdefault(view["article"], []).append(view)
        titles = {b.id: f"第{b.article}条 {b.title}" for b in doc.benefits}
        ctx = {"doc": data, "articles": articles, "segments": highlight(doc), "titles": titles, "nav": "policies"}
        return site.page(request, "policy.html", ctx)

    @app.get("/policies/{doc_id}/articles/{article}", response_class=HTMLResponse, include_in_schema=False)
    def article_page(request: Request, doc_id: str, article: str) -> Response:
        data = _article_data(doc_id, article)
        if _wants_json(request):
            return JSONResponse(data)
        doc = site.document(doc_id)
        return site.page(request, "article.html", {"data": data, "doc": doc, "nav": "policies"})

    def _chart(result: dict[str, Any] | None) -> dict[str, Any]:
        if result is None:
            return {}
        names = site.doc_names()

        def upper(t: dict[str, Any]) -> str:
            return fen_to_wan(t["max_fen"] if t["max_fen"] is not None else t["min_fen"])

        totals = result["totals"]
        return {
            # a document whose items granted pay no money (权益, 免费服务) has a totals line, but no bar
            "documents": [[names.get(k, k), upper(t)] for k, t in totals["by_document"].items() if t["count"]],
            "payers": [[k, upper(t)] for k, t in totals["by_payer"].items()],
        }

    def _calc_context(state: FormState, result: dict[str, Any] | None = None, sid: str | None = None) -> dict[str, Any]:
        return {
            "prior_levels": PRIOR_LEVELS,
            "qual_levels": site.qual_levels(),
            "doc_choices": [(getattr(d, "number", None) or d.title, d.short) for d in eng.library.documents],
            "chart": _chart(result),
            "catalogue": eng.catalogue,
            "form": state,
            "result": result,
            "sid": sid,
            "docs": site.doc_names(),
            "event_labels": site.event_labels(),
            "nav": "calc",
        }

    @app.get("/calc", response_class=HTMLResponse, include_in_schema=False)
    def calc_page(request: Request, s: str | None = None) -> Response:
        if s is None:
            if _wants_json(request):
                return JSONResponse(facts_catalogue(eng))
            return site.page(request, "calc.html", _calc_context(FormState()))
        raw = site.scenario_raw(s)
        state = raw_to_form(raw, eng.catalogue)
        try:
            result = site.evaluate(raw)
        except ScenarioError as exc:
            if _wants_json(request):
                raise
            add_problems(state, exc.problems)
            return site.page(request, "calc.html", _calc_context(state, sid=s), 422)
        if _wants_json(request):
            return JSONResponse({"id": s, "scenario": raw, "result": result})
        return site.page(request, "calc.html", _calc_context(state, result, s))

    @app.post("/calc", response_class=HTMLResponse, include_in_schema=False)
    async def calc_submit(request: Request) -> Response:
        # a form of 1,000 events has some 6,000 fields: Starlette's default of 1,000 refused the page
        # of a saved scenario of 160 events with 请求有误 (the body limit, 1 MB, still holds)
        try:
            form = await request.form(max_fields=MAX_ITEMS * 20)
        except Exception:
            if request.scope.get(TOO_LARGE):
                raise WebError(413, f"请求体过大（上限{MAX_BODY // 1000}KB）") from None
            raise WebError(400, f"表单有误：字段过多（最多{MAX_ITEMS * 20:,}个）或格式不对") from None
        values: dict[str, Any] = {}
        for key in form:
            items = [v for v in form.getlist(key) if isinstance(v, str)]
            values[key] = items if len(items) > 1 or key.endswith("[]") else (items[0] if items else "")
        # multi-valued fields are named "<name>[]"
        for key in [k for k in values if k.endswith("[]")]:
            values[key[:-2]] = values.pop(key)
        op = str(values.pop("op", "evaluate"))
        if op.startswith("remove-"):
            row = op.removeprefix("remove-")
            prefix = f"{row}." if row[:1] in ("q", "p") else f"e{row}."
            for key in [k for k in values if k.startswith(prefix)]:
                del values[key]
        focus = ""  # the new row's first field: the page opens there, not at its top (app.js)
        if op in ("add-qual", "add-prior"):
            letter, first = ("q", "title") if op == "add-qual" else ("p", "amount")
            taken = [int(m.group(1)) for k in values if (m := re.match(rf"^{letter}(\d+)\.", k))]
            values[f"{letter}{max(taken, default=0) + 1}.{first}"] = ""
            focus = f"f-{letter}{max(taken, default=0) + 1}-{first}"
        if op == "add":
            kind = str(values.get("add_kind", ""))
            if kind not in eng.catalogue.events:
                raise WebError(422, f"未知的事项类型“{kind}”")
            rows = [
                int(k[1:].split(".")[0])
                for k in values
                if k.startswith("e") and k.endswith(".kind") and k[1:].split(".")[0].isdigit()
            ]
            values[f"e{max(rows, default=0) + 1}.kind"] = kind
            focus = f"f-e{max(rows, default=0) + 1}-id"
        raw, state = form_to_raw(values, eng.catalogue)
        if op != "evaluate":
            return site.page(request, "calc.html", _calc_context(state) | {"focus": focus})
        try:
            eng.scenario(raw)
        except ScenarioError as exc:
            add_problems(state, exc.problems)
        if state.errors or state.general:
            return site.page(request, "calc.html", _calc_context(state), 422)
        sid = site.store.save(raw)
        return RedirectResponse(f"{site.root}/calc?s={sid}#result", status_code=303)

    async def _upload(request: Request) -> Any:
        try:
            form = await request.form()
        except Exception:
            if request.scope.get(TOO_LARGE):
                raise WebError(413, f"文件过大（上限{MAX_BODY // 1000}KB）") from None
            raise
        upload = form.get("file")
        text = form.get("text")
        if upload is not None and not isinstance(upload, str):
            content = await upload.read()
            name = upload.filename or "上传.yaml"
        elif isinstance(text, str) and text.strip():
            content, name = text.encode("utf-8"), "粘贴.yaml"
        else:
            raise WebError(400, "请选择情景文件（YAML或JSON）或粘贴情景文本")
        if len(content) > MAX_BODY or request.scope.get(TOO_LARGE):
            raise WebError(413, f"文件过大（上限{MAX_BODY // 1000}KB）")
        try:
            return _not_too_long(read_scenario_text(content.decode("utf-8"), name), size=len(content))
        except UnicodeDecodeError:
            raise WebError(400, "文件不是UTF-8编码") from None

    @app.post("/calc/upload", response_class=HTMLResponse, include_in_schema=False)
    async def calc_upload(request: Request) -> Response:
        raw = storable(await _upload(request))
        state = raw_to_form(raw, eng.catalogue)
        try:
            eng.scenario(raw)
        except ScenarioError as exc:
            add_problems(state, exc.problems)
            return site.page(request, "calc.html", _calc_context(state), 422)
        sid = site.store.save(raw)
        return RedirectResponse(f"{site.root}/calc?s={sid}#result", status_code=303)

    @app.get("/calc/{sid}.yaml", include_in_schema=False)
    def calc_yaml(sid: str) -> Response:
        raw = site.scenario_raw(sid)
        text = "# 惠企测算情景；运行：huiqi evaluate 本文件\n" + yaml.safe_dump(raw, allow_unicode=True, sort_keys=False)
        headers = {"Content-Disposition": f'attachment; filename="scenario-{sid}.yaml"'}
        return Response(text, media_type="application/yaml; charset=utf-8", headers=headers)

    @app.get("/compare", response_class=HTMLResponse, include_in_schema=False)
    def compare_page(
        request: Request,
        s: str | None = None,
        region: list[str] = Query(default=[]),  # noqa: B008
        picked: str | None = None,  # the form sent: no region ticked is the user's choice, not a first visit
    ) -> Response:
        if s is None:
            if _wants_json(request):
                raise WebError(400, "请提供已保存情景的编号s，或使用POST /api/compare", code="invalid_parameter")
            return site.page(request, "compare.html", {"sid": None, "results": None, "chosen": [], "nav": "compare"})
        raw = site.scenario_raw(s)
        scenario = eng.scenario(raw)
        unknown = [r for r in region if r not in REGIONS]
        if unknown:
            raise WebError(422, f"未知的行政区划代码：{'、'.join(unknown)}", code="unknown_region")
        chosen = list(dict.fromkeys(region)) or list(
            dict.fromkeys([scenario.enterprise.region, *(d.jurisdiction for d in eng.library.documents)])
        )
        chosen = [c for c in chosen if c in REGIONS]
        results = {code: {**to_dict(ev), "note": note} for code in chosen for ev, note in [evaluate_in(eng, scenario, code)]}
        if _wants_json(request):
            return JSONResponse({"id": s, "regions": {c: {"name": REGIONS[c].name, "result": r} for c, r in results.items()}})
        ctx = {
            "sid": s,
            "results": results,
            "chosen": chosen,
            "name": scenario.enterprise.name,
            "docs": site.doc_names(),
            "nav": "compare",
            "none_picked": bool(picked) and not region,
        }
        return site.page(request, "compare.html", ctx)

    @app.post("/compare/upload", include_in_schema=False)
    async def compare_upload(request: Request) -> Response:
        raw = storable(await _upload(request))
        eng.scenario(raw)
        sid = site.store.save(raw)
        return RedirectResponse(f"{site.root}/compare?s={sid}", status_code=303)

    @app.get("/plan", response_class=HTMLResponse, include_in_schema=False)
    def plan_page(request: Request) -> Response:
        data = plan_dict(site.plan, date.today())
        if _wants_json(request):
            return JSONResponse(data)
        return site.page(request, "plan.html", {"plan": data, "nav": "plan"})

    # --- 名单测算 (免申即享) ----------------------------------------------------------

    async def _register_upload(request: Request) -> tuple[list[UploadFile], date | None]:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > site.batch.max_upload + 100_000:
            raise WebError(413, site.batch.too_large())
        try:
            form = await request.form(max_files=20, max_fields=20)
        except Exception:
            if request.scope.get(TOO_LARGE):  # sent without its length, cut at the limit
                raise WebError(413, site.batch.too_large()) from None
            raise WebError(
                400, "上传请求格式错误：请以multipart/form-data上传文件（字段名file）", code="invalid_upload"
            ) from None
        if request.scope.get(TOO_LARGE):
            raise WebError(413, site.batch.too_large())
        files: list[UploadFile] = []
        total = 0
        for item in form.getlist("file"):
            if isinstance(item, str):
                continue
            content = await item.read()
            total += len(content)
            if total > site.batch.max_upload:
                raise WebError(413, site.batch.too_large())
            if item.filename or content:
                files.append(UploadFile(item.filename or "登记表.xlsx", content))
        if not files:
            raise WebError(400, "请选择要上传的登记表文件（Excel .xlsx，或CSV/Parquet文件）", code="no_file")
        empty = [f.name for f in files if not f.content]
        if empty:  # a file chosen, but nothing in it (0 bytes): say so, not "choose a file"
            raise WebError(400, f"上传的文件是空的（0字节）：{'、'.join(empty)}；请检查文件后重新上传", code="empty_file")
        as_of_text = form.get("as_of")
        as_of = None
        if isinstance(as_of_text, str):
            try:
                as_of = reference_date(as_of_text)
            except ValueError as exc:
                raise WebError(400, str(exc), field="as_of", code="invalid_date") from None
        return files, as_of

    def _job(job_id: str) -> dict[str, Any]:
        status = site.batch.status(job_id)
        if status is None:
            raise WebError(404, f"找不到编号为“{job_id}”的名单测算任务；链接可能有误或已失效", code="unknown_job")
        return status

    def _finished(job_id: str) -> dict[str, Any]:
        status = _job(job_id)
        if status.get("files_lost"):
            raise WebError(410, status["message"], code="job_files_lost")
        if status["status"] == "failed":
            raise WebError(409, f"该任务测算失败：{status['message']}", code="job_failed")
        if status["status"] != "done":
            raise WebError(409, f"任务尚未完成（{status['stage_label']}），请稍后再试", code="job_not_finished")
        return status

    def _job_as_of(job: Mapping[str, Any]) -> date | None:
        """The job's 基准日 (recorded when it was queued): the year of its yearly items in 按年度 and the 年度 filter."""
        return date.fromisoformat(str(job["as_of"])) if job.get("as_of") else None

    def _filtered(
        job_id: str, request: Request, strict: bool = False, job: Mapping[str, Any] | None = None
    ) -> tuple[Any, Any, dict[str, str]]:
        """The job's rows the request's filters keep; ``strict`` (the JSON and the export): a filter
        value no row of the job has is refused (422, with the values its rows have), not an empty answer.
        ``job`` is the job's status when the caller has it (its 基准日 dates the yearly items for 年度)."""
        params = {k: request.query_params.get(k, "") for k in FILTERS}
        titles = {d.title: d.id for d in eng.library.documents}  # a document by its full title too
        params["document"] = titles.get(params["document"].strip(), params["document"])
        params["year"] = year_value(params["year"])  # 2025 as 2025年, as 按年度 names it
        names = site.payer_names  # the payers of items without a stated amount: they filter too
        as_of = _job_as_of(job if job is not None else site.batch.status(job_id) or {})
        results, payers = site.batch.tables(job_id)
        if strict and (unmatched := unmatched_filters(results, payers, params, names, as_of)):
            problems: list[dict[str, Any]] = []
            for name, value, choices in unmatched:
                # status and nature have fixed values; the others those of the job's rows
                why = "不是可用的取值" if name in ("status", "nature") else "不在本任务的结果中"
                message = f"{FILTER_LABELS[name]}（{name}）“{brief(value)}”{why}；可选：{_listed(choices)}"
                problems.append({"where": f"query.{name}", "message": message, "value": value, "choices": choices})
            said = "；".join(str(p["message"]) for p in problems)
            raise WebError(422, f"筛选条件有误：{said}", problems, code="invalid_parameter")
        kept, kept_payers = apply_filters(results, payers, params, names, as_of)
        return kept, kept_payers, {k: v for k, v in params.items() if v}

    def _summary(results: Any, payers: Any, job_id: str, shown: dict[str, str]) -> Any:
        """The summary of the rows shown; unfiltered, the job's own counts of enterprises and events
        evaluated (an enterprise or event with no result row counts too, as on the page's head) and of
        events dated after the 基准日; filtered, those of the rows kept. Filtered by a payer, an item
        without a stated amount counts under that payer only (not under its co-payers as well)."""
        from ..batch.io_write import summarise

        names, places = site.payer_names, site.quota_places
        if shown.get("payer"):
            names = one_payer(names, shown["payer"])
        job = site.batch.status(job_id) or {}
        as_of = _job_as_of(job)  # the yearly items' 按年度 line
        if not shown and job.get("enterprises_evaluated") is not None and job.get("events_evaluated") is not None:
            s = summarise(results, payers, int(job["enterprises_evaluated"]), int(job["events_evaluated"]), names, places, as_of)
            if job.get("events_after_as_of") is None:  # a job recorded before it was counted: its rows'
                return _with_events_after(s, results, job)
            s.events_after_as_of = int(job["events_after_as_of"])
            return s
        enterprises = len(set(results.column("credit_code").to_pylist()))
        events = len(
            {
                (c, e)
                for c, e in zip(results.column("credit_code").to_pylist(), results.column("event_id").to_pylist(), strict=True)
                if e
            }
        )
        return _with_events_after(summarise(results, payers, enterprises, events, names, places, as_of), results, job)

    def _with_events_after(summary: Any, results: Any, job: dict[str, Any]) -> Any:
        """``summary`` with the events of ``results`` dated after the job's 基准日 (``summarise`` does not count them)."""
        if job.get("as_of"):
            summary.events_after_as_of = events_after_in_rows(results, date.fromisoformat(str(job["as_of"])))
        return summary

    upload_body = {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {
                                "type": "array",
                                "items": {"type": "string", "format": "binary"},
                                "description": "登记表：一个.xlsx，或CSV/Parquet文件（企业.csv、事项.csv…），或其.zip",
                            },
                            "as_of": {"type": "string", "format": "date", "description": "测算基准日（默认今天）"},
                        },
                        "required": ["file"],
                    }
                }
            },
        }
    }

    @app.post(
        "/api/batch", tags=["名单测算"], summary="上传登记表，后台测算；返回任务编号", status_code=202, openapi_extra=upload_body
    )
    async def api_batch_submit(request: Request) -> JSONResponse:
        files, as_of = await _register_upload(request)
        # checking the register (unzipping, opening the workbook) takes a thread: not this worker's loop
        job_id = await run_in_threadpool(site.batch.submit, files, as_of)
        body = {
            "id": job_id,
            "status": f"{site.root}/api/batch/{job_id}",
            "results": f"{site.root}/api/batch/{job_id}/results",
            "page": f"{site.root}/batch/{job_id}",
        }
        return JSONResponse(body, status_code=202, headers={"Location": body["status"]})

    @app.get("/api/batch/{job_id}", tags=["名单测算"], summary="任务状态、进度、行数统计、汇总与问题")
    def api_batch_status(job_id: str) -> JSONResponse:
        return JSONResponse(_job(job_id))

    @app.get("/api/batch/{job_id}/results", tags=["名单测算"], summary="测算结果行（可按条件筛选）")
    def api_batch_results(
        request: Request,
        job_id: str,
        document: str = Query("", description="政策文件编号，如 wuzhong-2025"),
        article: str = Query("", description="条款：“文件编号:条款号”或条款号，如 wuzhong-2025:8"),
        department: str = Query("", description="责任单位，如 区工信局"),
        payer: str = Query("", description="出资方，如 区财政"),
        town: str = Query("", description="镇（街道、板块）；“（未填）”为未填镇街"),
        year: str = Query(
            "", description="年度，如 2025年（按年度的键：事项发生日期所在年度；无事项的年度项目计入测算基准日所在年度）"
        ),
        status: str = Query("", description="状态：granted/set_aside/near_miss"),
        nature: str = Query("", description="金额性质：exact/ceiling/floor/range/none/in_kind/right"),
        q: str = Query("", description="企业名称或统一社会信用代码"),
        view: str = Query("rows", description="rows：每项结果一行；enterprises：每家企业一行"),
        offset: int = Query(0, ge=0),
        limit: int = Query(1000, ge=1, le=100_000),
    ) -> JSONResponse:
        job = _finished(job_id)
        if view not in ("rows", "enterprises"):
            raise WebError(422, f"view应为rows或enterprises，收到“{brief(view)}”", code="invalid_parameter")
        kept, kept_payers, shown = _filtered(job_id, request, strict=True, job=job)
        summary = _summary(kept, kept_payers, job_id, shown)
        body: dict[str, Any] = {
            "id": job_id,
            "filters": shown,
            "summary": summary_dict(summary),
            "quotas": quota_dict(eng.library, summary),  # of the rows kept, as the export's 汇总
        }
        if view == "rows":
            body.update(count=kept.num_rows, offset=offset, rows=result_rows(kept, offset, limit))
        else:
            ents = by_enterprise(kept)
            body.update(count=len(ents), offset=offset, rows=ents[offset : offset + limit])
        return JSONResponse(body)

    @app.get("/batch", response_class=HTMLResponse, include_in_schema=False)
    def batch_page(request: Request) -> Response:
        return site.page(request, "batch.html", {"job": None, "nav": "batch", "max_mb": site.batch.max_upload / 1_000_000})

    @app.get("/batch/template.xlsx", include_in_schema=False)
    def batch_template() -> Response:
        import tempfile

        from ..batch.template import write_template

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "登记表模板.xlsx"
            write_template(path, eng.catalogue)
            content = path.read_bytes()
        headers = {"Content-Disposition": "attachment; filename*=UTF-8''%E7%99%BB%E8%AE%B0%E8%A1%A8%E6%A8%A1%E6%9D%BF.xlsx"}
        return Response(content, media_type=XLSX, headers=headers)

    @app.post("/batch", include_in_schema=False)
    async def batch_submit(request: Request) -> Response:
        try:
            files, as_of = await _register_upload(request)
            job_id = await run_in_threadpool(site.batch.submit, files, as_of)
        except (WebError, UploadError) as exc:
            if _wants_json(request):
                raise
            # the upload form again, the reason beside the field it concerns (a file must be chosen again)
            field = exc.field if isinstance(exc, WebError) and exc.field else "file"  # an upload's problems: the file's
            ctx = {"job": None, "nav": "batch", "max_mb": site.batch.max_upload / 1_000_000, "upload_error": (field, exc.message)}
            return site.page(request, "batch.html", ctx, exc.status)
        return RedirectResponse(f"{site.root}/batch/{job_id}", status_code=303)

    @app.get("/batch/{job_id}", response_class=HTMLResponse, include_in_schema=False)
    def batch_job_page(request: Request, job_id: str) -> Response:
        job = _job(job_id)
        if _wants_json(request):
            return JSONResponse(job)
        ctx: dict[str, Any] = {"job": job, "nav": "batch", "max_mb": site.batch.max_upload / 1_000_000}
        if job.get("rerun_of"):  # a rerun links to its original while that is kept
            ctx["original_kept"] = site.batch.status(job["rerun_of"]) is not None
        if job.get("files_lost"):  # the page says so (the job can still be deleted), with 410
            return site.page(request, "batch.html", ctx, 410)
        if job["status"] == "done":
            from ..batch.io_write import STATUS_LABELS

            results, payers = site.batch.tables(job_id)
            kept, kept_payers, shown = _filtered(job_id, request, job=job)
            summary = _summary(kept, kept_payers, job_id, shown)
            ctx.update(
                status_labels=STATUS_LABELS,
                choices=filter_choices(results, payers, site.payer_names, _job_as_of(job)),
                shown=shown,
                summary=summary_dict(summary),
                quotas=quota_dict(eng.library, summary),
                chart=charts(summary),
                count=kept.num_rows,
                rows=result_rows(kept, 0, PAGE_ROWS),
                enterprises=(listed := by_enterprise(kept))[:PAGE_ROWS],
                enterprise_count=len(listed),
                without_results=job["enterprises_without_results"]
                if job.get("enterprises_without_results") is not None  # a job of an earlier version: counted now
                else enterprises_without_results(int(job.get("enterprises_evaluated") or 0), results),
                page_rows=PAGE_ROWS,
                query=str(request.url.query),
            )
        return site.page(request, "batch.html", ctx)

    @app.get("/batch/{job_id}/export.xlsx", include_in_schema=False)
    def batch_export(request: Request, job_id: str) -> Response:
        import tempfile

        from ..batch.cli_batch import event_labels
        from ..batch.io_write import EXCEL_MAX_ROWS, STATUS_LABELS, quota_notes, run_notes, write_results

        kept, kept_payers, shown = _filtered(job_id, request, strict=True, job=_finished(job_id))
        summary = _summary(kept, kept_payers, job_id, shown)
        register = site.batch.register(job_id)
        labels = FILTER_LABELS
        job = site.batch.status(job_id) or {}
        notes = run_notes(site.engine.policy_dir, str(job.get("engine") or ""), str(job.get("as_of") or ""), full_path=False)
        # the policies the job ran on, not the server's now (another --policies since): 未记录 for a job of
        # an earlier version, the fingerprint that tells an edited folder of the same name, what differs
        own = job.get("policies")
        notes = [(k, (own["folder"] if own else UNRECORDED) if k == "政策文件夹" else v) for k, v in notes]
        policy_rows = [("政策版本", own.get("fingerprint") or UNRECORDED)] if own else []  # after the filters' rows
        policy_rows += [("政策提示", job["policies_note"])] if job.get("policies_note") else []
        said = {**shown, **({"status": STATUS_LABELS.get(shown["status"], shown["status"])} if "status" in shown else {})}
        notes += [("筛选", "；".join(f"{labels.get(k, k)}：{v}" for k, v in said.items()))] if shown else []
        if shown.get("payer"):  # the amounts are that payer's share (batchview._payer_shares)
            notes.append(("金额口径", f"按出资方“{shown['payer']}”筛选：各金额均为该出资方承担的部分"))
        if shown:  # which figures are the register's, which the filtered rows'
            notes.append(("统计口径", SCOPE_NOTE))
        notes += policy_rows + quota_notes(site.engine.library, summary)
        whole = {k: job.get(v) for k, v in (("测算企业数", "enterprises_evaluated"), ("测算事项数", "events_evaluated"))}
        whole["其中发生日期晚于基准日的事项数"] = job.get("events_after_as_of")
        # filtered, the 汇总 says which figures are the filtered rows'
        reshape = (lambda rows: filtered_overview(rows, whole)) if shown else None
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "结果.xlsx"
            try:
                write_results(path, register, kept, kept_payers, summary, event_labels(site.engine), notes, reshape)
            except InputError:  # more rows than an Excel sheet holds, its one refusal of an .xlsx
                # the 结果 sheet's rows, or the 出资明细 sheet's (a payer row per share of each granted item)
                sheet, rows = ("结果", kept.num_rows) if kept.num_rows > EXCEL_MAX_ROWS else ("出资明细", kept_payers.num_rows)
                raise WebError(413, f"{sheet}有{rows:,}行，超过Excel单表上限{EXCEL_MAX_ROWS:,}行；请加筛选条件分批导出") from None
            content = path.read_bytes()
        headers = {"Content-Disposition": f'attachment; filename="batch-{job_id}.xlsx"'}
        return Response(content, media_type=XLSX, headers=headers)

    add_batch_routes(app, site.batch, site.root)
    return app
