"""What an operator meets running ``huiqi serve``: start-up mistakes told in Chinese before
anything starts, a broken data folder named, HEAD answered, security headers sent."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from huiqi.cli import main
from huiqi.service import InputError, engine
from huiqi.web import create_app

from .registers import wait_for_job


def test_head_is_answered_like_get_without_a_body(client: TestClient) -> None:
    """Uptime checks ask with HEAD; every page answered 405."""
    for url in ("/", "/calc", "/batch", "/api/plan", "/static/app.css"):
        got = client.head(url)
        assert got.status_code == 200, url
        assert got.content == b""
        assert int(got.headers["content-length"]) == len(client.get(url).content)


def test_every_answer_carries_the_security_headers_and_assets_are_revalidated(client: TestClient) -> None:
    page = client.get("/policies")
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "SAMEORIGIN"
    assert page.headers["referrer-policy"] == "same-origin"
    asset = client.get("/static/app.js")
    assert asset.headers["cache-control"] == "no-cache" and "etag" in asset.headers
    assert client.get("/static/app.js", headers={"if-none-match": asset.headers["etag"]}).status_code == 304


def test_a_damaged_database_in_the_data_folder_is_named_before_the_server_starts(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "huiqi.sqlite3").write_bytes(b"this is no database, " * 100)
    with pytest.raises(InputError) as info:
        create_app(engine(), data)
    assert f"数据目录{data}无法使用：数据库文件已损坏或不是SQLite数据库" in str(info.value)


def test_a_data_folder_that_is_a_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "afile"
    data.write_text("x", encoding="utf-8")
    assert main(["serve", "--data", str(data), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert f"错误：数据目录{data}无法使用" in err and "Traceback" not in err, err


def test_the_database_removed_while_serving_gives_503_naming_the_store(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with TestClient(create_app(engine(), data), raise_server_exceptions=False) as client:
        for name in ("huiqi.sqlite3", "huiqi.sqlite3-wal", "huiqi.sqlite3-shm"):
            (data / name).unlink(missing_ok=True)
        got = client.get("/api/batch/0123456789ab")
        assert got.status_code == 503, got.text
        assert "数据存储暂不可用（数据库文件在服务运行时被删除或替换" in got.json()["error"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--workers", "0"], "--workers应为正整数：0"),
        (["--port", "70000"], "--port应为0～65535之间的端口号：70000"),
        (["--host", "no-such-host.invalid"], "无法识别的监听地址--host：no-such-host.invalid"),
    ],
)
def test_serve_options_are_checked_in_chinese_before_starting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    assert main(["serve", "--data", str(tmp_path / "data"), *argv]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err, err
    assert "惠企网页" not in err  # the banner only once it can listen


def test_a_port_in_use_is_told_in_chinese(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "--data", str(tmp_path / "data"), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"端口{port}已被占用" in err, err


def test_settings_are_checked_once_before_the_workers_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With two workers a bad setting made uvicorn start worker after worker, each with a
    traceback, and nothing listened; it is now told once, and the command ends."""
    monkeypatch.setenv("HUIQI_BATCH_KEEP_DAYS", "abc")
    assert main(["serve", "--data", str(tmp_path / "data"), "--port", "0", "--workers", "2"]) == 2
    err = capsys.readouterr().err
    assert "HUIQI_BATCH_KEEP_DAYS" in err and "Traceback" not in err, err


@pytest.mark.parametrize(
    ("argv", "env", "expected"),
    [
        (["--max-upload", "abc"], None, "--max-upload应为名单测算上传文件的大小上限（MB，正数，如50），而不是“abc”"),
        (["--max-upload", "0"], None, "--max-upload应为名单测算上传文件的大小上限"),
        (["--max-upload", "nan"], None, "--max-upload应为名单测算上传文件的大小上限"),
        ([], "-5", "环境变量HUIQI_MAX_UPLOAD_MB应为名单测算上传文件的大小上限（MB，正数，如50），而不是“-5”"),
    ],
)
def test_an_upload_limit_that_is_no_size_is_refused_before_serving(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    env: str | None,
    expected: str,
) -> None:
    if env is not None:
        monkeypatch.setenv("HUIQI_MAX_UPLOAD_MB", env)
    assert main(["serve", "--data", str(tmp_path / "data"), "--port", "0", *argv]) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err, err


def test_an_upload_over_the_limit_names_what_an_officer_can_do(tmp_path: Path) -> None:
    """The page's officer has no command line: the answer offers a zip or smaller parts, and the administrator."""
    with TestClient(create_app(engine(), tmp_path / "data", max_upload=1_000), raise_server_exceptions=False) as client:
        got = client.post("/batch", files={"file": ("企业.csv", b"a" * 5_000, "text/csv")})
    assert got.status_code == 413
    assert "上传的文件过大：上限为0.001MB。CSV文件可打包为一个zip上传" in got.text and "请联系系统管理员" in got.text
    assert "huiqi" not in got.text.split("<main", 1)[1].split("</main>", 1)[0]


def test_an_address_the_machine_does_not_have_is_told_in_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--data", str(tmp_path / "data"), "--host", "192.0.2.1", "--port", "8749"]) == 2
    err = capsys.readouterr().err
    assert "无法在192.0.2.1:8749上监听：本机没有这个地址" in err, err


# --- what a hostile or careless client can send -------------------------------------------------

A_SCENARIO = {
    "enterprise": {"credit_code": "91320506MA1XXXXX09", "name": "示例企业", "region": "320506", "town": "木渎镇"},
    "events": [{"id": "E1", "kind": "purchase", "date": "2025-06-30", "category": "机器人产品或服务", "amount": "80万元"}],
}


def test_a_body_declared_too_large_is_refused_before_it_is_read(client: TestClient) -> None:
    """800 MB sent to /api/evaluate with its length was read whole (2.4 GB of the server) before 413."""

    def body() -> Iterator[bytes]:
        raise AssertionError("the body was read")
        yield b""  # pragma: no cover

    for url in ("/api/evaluate", "/api/scenarios"):
        got = client.post(url, content=body(), headers={"content-type": "application/json", "content-length": "800000000"})
        assert got.status_code == 413 and got.json() == {"error": "请求体过大（上限1000KB）", "code": "too_large"}, url
        assert got.headers["x-content-type-options"] == "nosniff"  # answered before the middleware: still sent


def test_a_body_sent_without_its_length_is_cut_at_the_limit(tmp_path: Path) -> None:
    """Chunked bodies (no Content-Length) were read whole, then refused (600 MB held in memory)."""
    import asyncio

    app = create_app(engine(), tmp_path / "data", max_upload=2_000_000)
    pulled = 0
    answer: list[Any] = []

    async def receive() -> Any:  # 200 chunks of 100 KB, as a client streaming 20 MB would send
        nonlocal pulled
        pulled += 1
        return {"type": "http.request", "body": b" " * 100_000, "more_body": pulled < 200}

    async def send(message: Any) -> None:
        answer.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/evaluate",
        "raw_path": b"/api/evaluate",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json")],
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1),
        "http_version": "1.1",
        "asgi": {"version": "3.0"},
    }
    # in a thread of its own: the browser tests' Playwright keeps an event loop in this one
    worker = threading.Thread(target=lambda: asyncio.run(app(scope, receive, send)))
    worker.start()
    worker.join()
    assert answer[0]["status"] == 413
    assert "请求体过大（上限1000KB）" in answer[1]["body"].decode()
    assert pulled <= 11  # 1 MB and one chunk more, not 20 MB
    with TestClient(create_app(engine(), tmp_path / "data", max_upload=2_000_000), raise_server_exceptions=False) as client:
        multipart = b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n\r\n' + b"a" * 3_000_000
        got = client.post("/api/batch", content=iter([multipart]), headers={"content-type": "multipart/form-data; boundary=b"})
        assert got.status_code == 413 and "上传的文件过大：上限为2MB" in got.json()["error"]


def test_a_scenario_with_too_many_events_is_refused_in_chinese(client: TestClient) -> None:
    """4,300 events took 2.4 s of the worker, holding every other request; the web app takes 1,000."""
    many = {**A_SCENARIO, "events": [{**A_SCENARIO["events"][0], "id": f"E{i}"} for i in range(1001)]}
    got = client.post("/api/evaluate", json=many)
    assert got.status_code == 413
    assert (
        got.json()["error"]
        == "events有1,001项，网页与接口每个情景最多1,000项；更多事项请用名单测算上传登记表，或用命令行 huiqi evaluate"
    )
    assert client.post("/api/evaluate", json={**many, "events": many["events"][:1000]}).status_code == 200


def test_a_form_posted_from_another_site_is_refused(client: TestClient) -> None:
    """A page elsewhere could delete a job whose link it knew (no CSRF check)."""
    cross = client.post("/batch/0123456789ab/delete", headers={"sec-fetch-site": "cross-site"}, follow_redirects=False)
    assert cross.status_code == 403 and "拒绝来自其他网站的请求" in cross.text
    own = client.post("/batch/0123456789ab/delete", headers={"sec-fetch-site": "same-origin"}, follow_redirects=False)
    assert own.status_code == 404  # reaches the route: no such job
    assert client.post("/api/evaluate", json=A_SCENARIO, headers={"sec-fetch-site": "cross-site"}).status_code == 403
    assert client.post("/api/evaluate", json=A_SCENARIO).status_code == 200  # a script or curl sends no such header


def test_a_workbook_unpacking_to_hundreds_of_times_its_size_is_refused(client: TestClient, tmp_path: Path) -> None:
    """762 KB of workbook held 196 MB of sheets: 19 s and 800 MB of the server."""
    import io
    import zipfile

    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", "<c><v>1</v></c>" * 4_000_000)  # 60 MB of one repeated cell
    content = packed.getvalue()
    assert len(content) < 1_000_000
    got = client.post("/api/batch", files={"file": ("登记表.xlsx", content, "application/octet-stream")})
    assert got.status_code == 413, got.text
    assert "解压后60MB" in got.json()["error"] and "远超正常登记表" in got.json()["error"]


def test_a_dense_workbook_within_the_ratio_is_accepted(tmp_path: Path) -> None:
    """An 18.8 MB register of 640,000 events unpacks to 268 MB (14 times): it was refused by the zip
    uploads' 10 × limit, which workbooks had not had. Scaled down: a workbook unpacking to more than
    10 × the upload limit but to less than 100 times its own size."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ent = wb.create_sheet("企业")
    ent.append(["统一社会信用代码", "企业名称", "注册地行政区划代码"])
    ent.append(["91320506MA1XXXXX09", "示例企业", "320506"])
    ev = wb.create_sheet("事项")
    ev.append(["统一社会信用代码", "事项编号", "事项类型", "发生日期", "采购类别", "采购金额（元）"])
    for i in range(2_000):  # rows of an enterprise not in 企业: refused at once, the job ends quickly
        ev.append(["91320506MA1YYYYY09", f"E{i}", "采购", "2025-07-01", "机器人产品或服务", 1000 + i])
    path = tmp_path / "登记表.xlsx"
    wb.save(path)
    content = path.read_bytes()
    import io
    import zipfile

    unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(content)).infolist())
    assert 10 * len(content) < unpacked < 100 * len(content)
    with TestClient(
        create_app(engine(), tmp_path / "data", max_upload=unpacked // 10 - 1), raise_server_exceptions=False
    ) as client:
        got = client.post("/api/batch", files={"file": (path.name, content, "application/octet-stream")})
        assert got.status_code == 202, got.text
        wait_for_job(client, got.json()["id"])  # not left running into the next test
