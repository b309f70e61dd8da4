"""What an operator meets running ``huiqi serve``: start-up mistakes told in Chinese before
anything starts, a broken data folder named, HEAD answered, security headers sent."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from huiqi.cli import main
from huiqi.service import InputError, engine
from huiqi.web import create_app


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


def test_an_address_the_machine_does_not_have_is_told_in_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--data", str(tmp_path / "data"), "--host", "192.0.2.1", "--port", "8749"]) == 2
    err = capsys.readouterr().err
    assert "无法在192.0.2.1:8749上监听：本机没有这个地址" in err, err
