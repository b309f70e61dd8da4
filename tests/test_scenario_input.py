"""Scenario files that cannot be read, through ``huiqi evaluate`` and ``huiqi compare``:
each is refused with exit status 2 and a Chinese message naming the file, the line
(and column) where known, the value and what is expected — never a traceback."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from huiqi.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "scenarios" / "wuzhong-robot-maker.yaml"
HEAD = "enterprise: {credit_code: 91320506MA1XXXXX09, name: x, region: '320506'}\n"
PURCHASE = "  - {id: E1, kind: purchase, date: 2025-06-30, category: 机器人产品或服务, amount: 80万元}\n"
# 269 bytes whose aliases of aliases stand for 9⁷ (4.8 million) strings
BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{q}: &{q} [{','.join([f'*{p}'] * 9)}]\n" for p, q in zip("abcdef", "bcdefg", strict=True)
)
DEEP = 5000


def _refused(path: Path, capsys: pytest.CaptureFixture[str], command: str = "evaluate") -> str:
    assert main([command, str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith(f"错误：{path}"), err
    return err


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        pytest.param("s.yaml", "enterprise: " + "[" * DEEP + "]" * DEEP + "\n", ":1:112: 嵌套层次过深", id="deep-yaml"),
        pytest.param("s.json", '{"enterprise": ' + "[" * DEEP + "]" * DEEP + "}", ":1:115: 嵌套层次过深", id="deep-json"),
        pytest.param("s.json", '{"enterprise": ' + "[" * 150 + "]" * 150 + "}", ":1:115: 嵌套层次过深", id="deep-json-readable"),
        pytest.param(
            "s.yaml",
            HEAD + "events:\n  - {id: E1, kind: purchase, amount: " + "9" * 5000 + "}\n",
            ":3:38: 数字“99999999999999999999…”过长（5000个字符）；整数最多4300位",
            id="long-integer-yaml",
        ),
        pytest.param(
            "s.yaml",
            HEAD + "events:\n  - {id: E1, kind: purchase, amount: 0x" + "f" * 4000 + "}\n",
            ":3:38: 数字“0xffffffffffffffffff…”过长",
            id="long-hex-integer-yaml",
        ),
        pytest.param(
            "s.json",
            '{"enterprise": {},\n "events": [{"amount": ' + "9" * 5000 + "}]}",
            ":2:24: 数字“99999999999999999999…”过长（5000位）；整数最多4300位",
            id="long-integer-json",
        ),
        pytest.param("s.yaml", BOMB + "enterprise: *g\n", ":6:11: 别名（*引用）层层展开后的内容过多", id="alias-bomb"),
        pytest.param(
            "s.yaml",
            HEAD + "enterprise: {credit_code: 91320506MA1XXXXX09, name: y, region: '320412'}\n",
            ":2:1: 键“enterprise”重复（第1行已有）；同一映射中每个键只能写一次",
            id="duplicate-key",
        ),
        pytest.param(
            "s.yaml",
            "enterprise:\n  name: x\n  name: y\n",
            ":3:3: 键“name”重复（第2行已有）",
            id="duplicate-nested-key",
        ),
        pytest.param("s.yaml", "enterprise: {a: [\n", ":2:1: YAML格式错误：此处缺少值", id="yaml-unclosed"),
        pytest.param("s.yaml", "enterprise:\n\tname: x\n", ":2:1: YAML格式错误：不能用制表符（Tab）缩进", id="yaml-tab"),
        pytest.param("s.yaml", "name: a: b\n", ":1:8: YAML格式错误：此处不能有“: ”", id="yaml-colon"),
        pytest.param("s.yaml", "a: 1\n---\nb: 2\n", ":2:1: YAML格式错误：有多个YAML文档", id="yaml-two-documents"),
        pytest.param(
            "s.yaml",
            "a: !!python/object/apply:os.system [ls]\n",
            ":1:4: YAML格式错误：不支持的标签“!!python/object/apply:os.system”",
            id="yaml-tag",
        ),
        pytest.param(
            "s.json",
            '{"enterprise": {"credit_code": "91320506MA1XXXXX09", "name": "x", "region": "320506"},\n'
            ' "events": [],\n "enterprise": {"credit_code": "91320506MA1XXXXX09", "name": "y", "region": "320412"}}',
            ":3:2: 键“enterprise”重复（第1行已有）；同一映射中每个键只能写一次",
            id="duplicate-key-json",
        ),
        pytest.param(
            "s.json",
            '{"enterprise": {},\n "events": [{"id": "E1", "amount": "80万元"},\n  {"id": "E2",\n   "amount" : "1万元", "amount": "2万元"}]}',
            ":4:22: 键“amount”重复（第4行已有）",
            id="duplicate-nested-key-json",
        ),
        pytest.param(
            "s.json", '{"n\\u0061me": "x", "name": "y"}', ":1:20: 键“name”重复（第1行已有）", id="duplicate-escaped-key-json"
        ),
        pytest.param("s.json", '{"a": [}', ":1:8: JSON格式错误：此处缺少值", id="json-missing-value"),
        pytest.param("s.json", '{"a": 1,}', ":1:9: JSON格式错误：此处应为用双引号括起的键名", id="json-trailing-comma"),
        pytest.param("s.json", '{"a": 1} x', ":1:10: JSON格式错误：JSON内容结束后还有多余的字符", id="json-extra"),
    ],
)
def test_unreadable_scenario_is_refused_with_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str, expected: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    err = _refused(path, capsys)
    assert f"错误：{path}{expected}" in err
    assert "Expecting" not in err and "did not find" not in err and "found" not in err


def test_json_keys_repeated_only_in_different_objects_are_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every event has its own "id" and "amount"; colons and quotes within values are no keys."""
    raw = {
        "enterprise": {"credit_code": "91320506MA1XXXXX09", "name": 'x "a": b', "region": "320506"},
        "events": [
            {"id": "E1", "kind": "purchase", "date": "2025-06-30", "category": "机器人产品或服务", "amount": "80万元"},
            {"id": "E2", "kind": "purchase", "date": "2025-07-01", "category": "机器人产品或服务", "amount": "60万元"},
        ],
    }
    path = tmp_path / "s.json"
    path.write_text(json.dumps(raw, ensure_ascii=False, indent=1, separators=(",", " : ")), encoding="utf-8")
    assert main(["evaluate", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["awards"]


@pytest.mark.parametrize("command", ["evaluate", "compare"])
def test_impossible_dates_are_named_with_every_other_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    """An unquoted impossible date is one problem among the file's others, named by its path and with
    why the day does not exist, as in JSON: a user mends the whole file in one pass."""
    path = tmp_path / "s.yaml"
    bad = HEAD.replace("name: x, ", "") + "events:\n  - {id: E1, kind: purchase, date: 2025-02-29, amount: 80万元}\n"
    path.write_text("as_of: 2025-13-01\n" + bad, encoding="utf-8")
    err = _refused(path, capsys, command)
    assert "输入有4处问题" in err, err
    assert "as_of（测算基准日）：“2025-13-01” —— 日期无效（月份应为1至12）；应为有效日期YYYY-MM-DD" in err
    assert "events[1].date（发生日期）：“2025-02-29” —— 日期无效（2025年2月只有28天）" in err
    assert "enterprise.name（名称）" in err and "events[1]（采购）.category" in err


def test_an_alias_bomb_is_refused_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(BOMB + "h: &h [" + ",".join(["*g"] * 9) + "]\nenterprise: *h\n", encoding="utf-8")
    started = time.perf_counter()
    assert "别名（*引用）层层展开后的内容过多" in _refused(path, capsys)
    assert time.perf_counter() - started < 2


def test_aliases_and_merge_keys_are_still_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """E3 written as "E1 but": its own keys override the merged ones (no "key written twice")."""
    e3 = "  - id: E3\n    kind: purchase\n    date: 2025-07-01\n    category: 机器人产品或服务\n    amount: 50万元\n"
    text = EXAMPLE.read_text(encoding="utf-8")
    assert e3 in text
    text = text.replace(e3, "  - {<<: *robot, id: E3, date: 2025-07-01, amount: 50万元}\n").replace(
        "  - id: E1\n", "  - &robot\n    id: E1\n"
    )
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["evaluate", str(path), "--json"]) == 0
    merged = json.loads(capsys.readouterr().out)
    assert main(["evaluate", str(EXAMPLE), "--json"]) == 0
    assert merged == json.loads(capsys.readouterr().out)


def test_a_value_is_shown_cut_short(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        HEAD + "events:\n  - {id: E1, kind: purchase, date: 2025-06-30, amount: " + "十" * 100_000 + "}\n", encoding="utf-8"
    )
    err = _refused(path, capsys)
    assert "events[1]（采购）.amount（采购金额）：“" + "十" * 60 + "…”" in err
    assert len(err) < 1000


def test_a_quoted_amount_too_long_for_int_is_a_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        HEAD + f'events:\n  - {{id: E1, kind: purchase, date: 2025-06-30, amount: "{"9" * 5000}元"}}\n', encoding="utf-8"
    )
    err = _refused(path, capsys)
    assert "数字过长（5000位，最多4300位）" in err
    assert "Exceeds" not in err and len(err) < 1000


@pytest.mark.parametrize("name", ["s.json", "s.yaml"])
def test_a_byte_order_mark_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    import yaml

    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(data, default=str, ensure_ascii=False).encode("utf-8"))
    assert main(["evaluate", str(path), "--json"]) == 0
    with_bom = json.loads(capsys.readouterr().out)
    assert main(["evaluate", str(EXAMPLE), "--json"]) == 0
    assert with_bom == json.loads(capsys.readouterr().out)


def test_a_qualification_field_no_rule_reads_is_refused_not_ignored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 资质's grade was accepted and ignored, so moving up a grade (先进级 → 卓越级) was judged as
    no new grade at all; the scenario now says where the grade goes instead."""
    path = tmp_path / "s.yaml"
    path.write_text(
        "enterprise:\n"
        "  credit_code: 91320506MA1XXXXX09\n  name: 示例企业\n  region: '320506'\n"
        "  qualifications: [{title: 智能工厂, grade: 先进级, since: 2024-01-01}]\n"
        "events: [{id: F1, kind: recognition, date: 2026-08-01, title: 智能工厂, grade: 卓越级}]\n",
        encoding="utf-8",
    )
    assert main(["evaluate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "enterprise.qualifications[1].grade（已获资质）：“先进级” —— 未知的字段，可用：title、level、since、until" in err
    assert "请记为一个获评认定事项" in err


def test_a_date_given_but_impossible_is_not_called_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.yaml"
    body = "enterprise: {credit_code: 91320506MA1XXXXX09, name: 示例企业, region: '320506'}\nevents:\n"
    path.write_text(
        body + "  - {id: E1, kind: purchase, date: '2025-02-30', category: 机器人产品或服务, amount: 80万元}\n"
        "  - {id: E2, kind: purchase, category: 机器人产品或服务, amount: 80万元}\n",
        encoding="utf-8",
    )
    assert main(["evaluate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "events[1].date（发生日期）：“2025-02-30” —— 日期无效（2025年2月只有28天）；应为有效日期YYYY-MM-DD" in err
    assert "events[2].date（发生日期）：（未填写） —— 必填；应为有效日期YYYY-MM-DD" in err


def test_values_in_problems_are_shown_as_the_file_writes_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A JSON or YAML author wrote true, ["火星"] and a list where a mapping belongs: the messages said “True”,
    “['火星']” and “list”, as Python prints them."""
    path = tmp_path / "s.json"
    raw = {
        "enterprise": {"credit_code": "91320506MA1XXXXX09", "name": "x", "region": "320506", "sectors": ["火星"]},
        "events": [{"id": "E1", "kind": "purchase", "date": "2025-06-30", "category": "机器人产品或服务", "amount": True}],
    }
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    err = _refused(path, capsys)
    assert "enterprise.sectors（所属产业领域）：“[火星]”" in err, err
    assert "events[1]（采购）.amount（采购金额）：“true” —— 不是金额：true" in err, err
    path.write_text("[]", encoding="utf-8")
    assert "情景：“[]” —— 应为包含enterprise与events的映射" in _refused(path, capsys)
