"""``huiqi --policies FOLDER``: a folder that cannot be used, or a mistake in one of its
files, is named as the user can find it — the folder given, the file actually read."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from huiqi.cli import main
from huiqi.policyfile import DEFAULT_POLICY_DIR, PolicyFileError, load_library

HINT = "政策文件夹应包含政策文件（*.yaml）与事实目录（facts/*.yaml）"


def _refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_a_missing_policy_folder_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope"
    err = _refused(["--policies", str(missing), "facts"], capsys)
    assert err.startswith(f"错误：政策文件夹“{missing}”不存在；{HINT}"), err
    assert "facts:" not in err


def test_a_file_given_as_the_policy_folder_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "broken.yaml"
    file.write_text("x: [\n", encoding="utf-8")
    err = _refused(["--policies", str(file), "policies"], capsys)
    assert err.startswith(f"错误：“{file}”是文件，不是政策文件夹；{HINT}"), err


def test_a_folder_under_the_current_one_is_named_as_typed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    err = _refused(["--policies", "nope", "facts"], capsys)
    assert err.startswith("错误：政策文件夹“nope”不存在"), err


def _copy_with(tmp_path: Path, name: str, extra: str) -> Path:
    """The bundled policies copied to ``tmp_path/pol1``, with ``extra`` appended to the file ``name``."""
    folder = tmp_path / "pol1"
    shutil.copytree(DEFAULT_POLICY_DIR, folder)
    with (folder / name).open("a", encoding="utf-8") as f:
        f.write(extra)
    return folder


@pytest.mark.parametrize(
    ("name", "extra", "expected"),
    [
        ("wuzhong-2025.yaml", "  x: [\n", "YAML格式错误"),
        ("facts/common.yaml", "qualification_title: []\n", "未知的顶层字段“qualification_title”"),
    ],
    ids=["policy-file", "facts-fragment"],
)
def test_a_mistake_in_another_folder_names_the_file_read(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    extra: str,
    expected: str,
) -> None:
    folder = _copy_with(tmp_path, name, extra)
    err = _refused(["--policies", str(folder), "facts"], capsys)
    assert f"  {folder / name}:" in err and expected in err, err
    assert f"policies/{name}" not in err
    monkeypatch.chdir(tmp_path)  # under the current folder: named relative to it, as typed
    err = _refused(["--policies", "pol1", "facts"], capsys)
    assert f"  pol1/{name}:" in err and expected in err, err


def test_the_bundled_folder_keeps_its_short_names() -> None:
    """The bundled folder's files are named ``policies/…`` wherever the command runs."""
    from huiqi.policyfile.reader_base import _display

    assert _display(DEFAULT_POLICY_DIR / "wuzhong-2025.yaml", DEFAULT_POLICY_DIR) == "policies/wuzhong-2025.yaml"
    with pytest.raises(PolicyFileError, match="不存在"):
        load_library(DEFAULT_POLICY_DIR / "nope")


def test_a_document_id_or_benefit_id_used_in_two_files_is_refused_naming_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A second file with the same document id was accepted: the totals named one document for
    the other's awards, and its benefits were paid twice."""
    folder = _copy_with(tmp_path, "wuzhong-2025.yaml", "")
    shutil.copy(folder / "wuzhong-2025.yaml", folder / "wuzhong-2025-copy.yaml")
    err = _refused(["--policies", str(folder), "policies"], capsys)
    assert f"{folder / 'wuzhong-2025.yaml'}: 政策文件编号“wuzhong-2025”已用于{folder / 'wuzhong-2025-copy.yaml'}" in err, err
    assert "奖补项编号“wz-1-conversion-platform”已用于" in err and "：奖补项编号须在所有文件中唯一" in err


@pytest.mark.parametrize(
    ("move", "expected"),
    [
        ("wuzhong-2025.yml", "政策文件须以.yaml结尾才会被读取"),
        ("texts/wuzhong-2025.yaml", "政策文件须放在政策文件夹顶层才会被读取"),
        ("examples/wuzhong-2025.yaml", "政策文件须放在政策文件夹顶层才会被读取"),
    ],
    ids=["yml", "in-texts", "in-examples"],
)
def test_a_policy_file_that_would_not_be_read_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], move: str, expected: str
) -> None:
    """A measure saved as .yml or into a subfolder was skipped without a word: its enterprises got nothing."""
    folder = _copy_with(tmp_path, "wuzhong-2025.yaml", "")
    (folder / "wuzhong-2025.yaml").rename(folder / move)
    err = _refused(["--policies", str(folder), "policies"], capsys)
    assert f"{folder / move}: {expected}" in err, err


def test_a_source_text_not_in_utf8_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A text saved as GBK gave a UnicodeDecodeError traceback on every command."""
    folder = _copy_with(tmp_path, "wuzhong-2025.yaml", "")
    text = folder / "texts" / "wuzhong-2025-manufacturing-measures.txt"
    text.write_bytes(text.read_text(encoding="utf-8").encode("gbk", errors="replace"))
    err = _refused(["--policies", str(folder), "policies"], capsys)
    assert "原文文件不是UTF-8编码的文本：texts/wuzhong-2025-manufacturing-measures.txt" in err, err


def test_an_empty_source_text_is_named_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An empty text gave one 引文未在原文中找到 per quote (19 for a short measure) and no word of why."""
    folder = _copy_with(tmp_path, "wuzhong-2025.yaml", "")
    (folder / "texts" / "wuzhong-2025-manufacturing-measures.txt").write_text("\n", encoding="utf-8")
    err = _refused(["--policies", str(folder), "policies"], capsys)
    assert "原文文件为空：texts/wuzhong-2025-manufacturing-measures.txt" in err, err
    assert "引文未在原文中找到" not in err


def test_other_yaml_files_and_parked_policies_do_not_stop_the_folder(tmp_path: Path) -> None:
    """A CI file at the top, or a measure parked in a folder named .old, is not a misplaced policy."""
    folder = _copy_with(tmp_path, "wuzhong-2025.yaml", "")
    (folder / ".gitlab-ci.yml").write_text("test:\n  script: make test\n", encoding="utf-8")
    (folder / ".old").mkdir()
    shutil.copy(folder / "wuzhong-2025.yaml", folder / ".old" / "wuzhong-2024.yaml")
    library, _ = load_library(folder)
    assert "wuzhong-2025" in library.by_id


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        (
            "events:\n  project:\n    fields:\n      green_investment: {label: 设备投入, type: money, unit: 元}\n",
            "zz-dup.yaml:4: 字段project.green_investment的label“设备投入”已是字段project.equipment_investment"
            "（pol1/facts/common.yaml:78）的名称：事项类型project的字段名称须各不相同",
        ),
        (
            "enterprise:\n  staff_count: {label: 职工人数, type: integer, aliases: [名称]}\n",
            "zz-dup.yaml:2: 字段enterprise.staff_count的aliases中“名称”已是字段enterprise.name",
        ),
    ],
    ids=["event-label", "enterprise-alias"],
)
def test_two_fields_with_one_name_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, fragment: str, expected: str
) -> None:
    """Two fields of one event kind (or of the enterprise) with the same label were accepted: the
    register template had two identical headers and the register reader put one column's values
    in the other field."""
    folder = _copy_with(tmp_path, "wuzhong-2025.yaml", "")
    (folder / "facts" / "zz-dup.yaml").write_text(fragment, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    err = _refused(["--policies", "pol1", "facts"], capsys)
    assert expected in err, err


_MEASURE_TEXT = (
    "测试区推动制造业发展的若干措施\n"
    "一、对一年内购买机器人产品或服务超过50万元的企业，给予10万元奖励。所需资金由区财政承担。\n"
    "二、本措施自{start}起施行，有效期至{end}。\n"
)
_MEASURE = """document:
  id: {id}
  title: 测试区推动制造业发展的若干措施
  issuer: 测试
  level: district
  jurisdiction: "{region}"
  source: texts/{id}.txt
  valid: {{from: {valid_from}, to: {valid_to}, cite: {valid_cite}}}
  funding: {{shares: {{district: 1}}, cite: 所需资金由区财政承担}}
benefits:
  - id: {id}-1
    article: "一"
    title: 购买机器人
    event: purchase
    match: [{{fact: category, in: [机器人产品或服务]}}]
    when: [{{fact: amount, 超过: 50万元, cite: 一年内购买机器人产品或服务超过50万元的企业}}]
    amount: {{fixed: 10万元}}
    cite: 对一年内购买机器人产品或服务超过50万元的企业，给予10万元奖励
"""


def _chinese_date(day: str) -> str:
    y, m, d = (int(p) for p in day.split("-"))
    return f"{y}年{m}月{d}日"


def _measure(
    folder: Path, doc_id: str, start: str, end: str, region: str = "320506", valid_to: str | None = None, cite: str = ""
) -> None:
    """A one-benefit measure in ``folder``: its text in force from ``start`` to ``end``."""
    (folder / "texts").mkdir(exist_ok=True)
    text = _MEASURE_TEXT.format(start=_chinese_date(start), end=_chinese_date(end))
    (folder / "texts" / f"{doc_id}.txt").write_text(text, encoding="utf-8")
    cite = cite or f"本措施自{_chinese_date(start)}起施行，有效期至{_chinese_date(end)}"
    body = _MEASURE.format(id=doc_id, region=region, valid_from=start, valid_to=valid_to or end, valid_cite=cite)
    (folder / f"{doc_id}.yaml").write_text(body, encoding="utf-8")


def _refusal(folder: Path) -> list[str]:
    """The problems a policy folder is refused with (it must be refused)."""
    with pytest.raises(PolicyFileError) as info:
        load_library(folder)
    return info.value.problems


def _facts_only(tmp_path: Path) -> Path:
    """A policy folder with the bundled catalogue of facts and no policy file yet."""
    folder = tmp_path / "own"
    shutil.copytree(DEFAULT_POLICY_DIR / "facts", folder / "facts")
    return folder


def test_two_versions_of_one_measure_in_force_together_are_refused(tmp_path: Path) -> None:
    """A revision encoded beside the old file (same title, same jurisdiction, overlapping
    validity) loaded, and every award was paid twice with no warning."""
    folder = _facts_only(tmp_path)
    _measure(folder, "m-2025", "2025-01-01", "2027-12-31")
    _measure(folder, "m-2026", "2026-07-01", "2028-12-31")
    problems = _refusal(folder)
    (problem,) = problems
    assert problem.startswith(
        f"{folder / 'm-2026.yaml'}:8: 政策文件“m-2026”与{folder / 'm-2025.yaml'}的“m-2025”是同一措施的两个版本"
    )
    assert "（标题同为“测试区推动制造业发展的若干措施”，行政区划同为320506吴中区），有效期在2026-07-01至2027-12-31重叠" in problem
    assert f"请删除旧版本的文件{folder / 'm-2025.yaml'}，或把旧版本的有效期to改为2026-06-30（新版本生效的前一日" in problem

    # as the message says: the old version ends the day before the new one starts
    _measure(
        folder,
        "m-2025",
        "2025-01-01",
        "2027-12-31",
        valid_to="2026-06-30",
        cite="本措施自2025年1月1日起施行",
    )
    library, _ = load_library(folder)
    assert sorted(library.by_id) == ["m-2025", "m-2026"]


def test_the_same_measure_encoded_twice_is_refused_and_other_measures_are_not(tmp_path: Path) -> None:
    folder = _facts_only(tmp_path)
    _measure(folder, "m-a", "2026-01-01", "2028-12-31")
    _measure(folder, "m-b", "2026-01-01", "2028-12-31")
    problems = _refusal(folder)
    (problem,) = problems
    assert "有效期在2026-01-01至2028-12-31重叠" in problem and "两者自同一日生效" in problem, problem
    _measure(folder, "m-b", "2026-01-01", "2028-12-31", region="320505")  # the same title in another district
    library, _ = load_library(folder)
    assert sorted(library.by_id) == ["m-a", "m-b"]


def test_an_unknown_fact_names_the_facts_folder_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``--policies DIR`` the messages pointed to policies/facts/*.yaml, a folder not read."""
    folder = _facts_only(tmp_path)
    _measure(folder, "m-2026", "2026-01-01", "2028-12-31")
    path = folder / "m-2026.yaml"
    body = path.read_text(encoding="utf-8").replace("fact: amount", "fact: amout").replace("[机器人产品或服务]", "[机器人]")
    path.write_text(body, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    err = _refused(["--policies", "own", "policies"], capsys)
    assert "未知的事实“amout”（事项“purchase”的字段见 own/facts/*.yaml）" in err, err
    assert "“机器人”不是“采购类别”的可选值（见 own/facts/*.yaml）" in err, err
    assert "policies/facts" not in err


def test_a_folder_with_part_of_the_catalogue_is_told_which_bundled_file_gives_the_rest(tmp_path: Path) -> None:
    """A folder with only facts/common.yaml (or without it) was refused with 为选项，但没有任何文件给出values
    and 没有label, not saying where the bundled catalogue has them."""
    folder = tmp_path / "own"
    (folder / "facts").mkdir(parents=True)
    shutil.copy(DEFAULT_POLICY_DIR / "facts" / "common.yaml", folder / "facts")
    problems = _refusal(folder)
    assert (
        f"{folder / 'facts'}: 字段purchase.category为选项，但没有任何文件给出values（内置目录中由"
        "policies/facts/wuzhong-2025.yaml给出；自建政策目录请复制policies/facts/下的全部文件）"
    ) in problems
    assert any(
        p.startswith(f"{folder / 'facts'}: 字段enterprise.sectors为选项，但没有任何文件给出values（内置目录中由policies/facts/")
        for p in problems
    )
    (folder / "facts" / "common.yaml").unlink()
    shutil.copy(DEFAULT_POLICY_DIR / "facts" / "wuzhong-2025.yaml", folder / "facts")
    problems = _refusal(folder)
    assert (
        f"{folder / 'facts'}: 事项类型purchase没有label（内置目录中由policies/facts/common.yaml给出；"
        "自建政策目录请复制policies/facts/下的全部文件）"
    ) in problems
    assert any("字段purchase.category只追加了values，但没有任何文件定义它" in p for p in problems)


def test_values_may_be_added_by_a_file_read_before_the_one_defining_the_field(tmp_path: Path) -> None:
    """Files are read in name order: a-mine.yaml adding values to common.yaml's enterprise.sectors
    was refused as 须有label与type; defining a field twice is refused naming the first."""
    folder = _facts_only(tmp_path)
    (folder / "facts" / "a-mine.yaml").write_text("enterprise:\n  sectors:\n    values: [测试产业]\n", encoding="utf-8")
    _measure(folder, "m-2026", "2026-01-01", "2028-12-31")
    _, catalogue = load_library(folder)
    assert "测试产业" in catalogue.enterprise["sectors"].values
    (folder / "facts" / "z-mine.yaml").write_text(
        "enterprise:\n  annual_sales: {label: 销售收入, type: money, unit: 元}\n", encoding="utf-8"
    )
    problems = _refusal(folder)
    wujin = folder / "facts" / "wujin-2024.yaml"
    lines = wujin.read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.startswith("  annual_sales:"))
    assert (
        f"{folder / 'facts' / 'z-mine.yaml'}:2: 字段enterprise.annual_sales已在{wujin}:{line}定义："
        "其他文件只能为它追加values，不能再次定义（请删去此处除values以外的内容）"
    ) in problems


def test_a_folder_without_worked_examples_yet_lists_what_no_example_asserts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/rule-language.md calls a folder's examples/ optional, and `huiqi --policies DIR examples` the way to
    see the items no example asserts: without examples/ (or with it empty) the command failed with exit 2."""
    folder = tmp_path / "pol"
    shutil.copytree(DEFAULT_POLICY_DIR, folder, ignore=shutil.ignore_patterns("examples"))
    for make_empty in (False, True):
        if make_empty:
            (folder / "examples" / "wujin-2024").mkdir(parents=True)
        assert main(["--policies", str(folder), "examples"]) == 0
        out = capsys.readouterr().out
        assert "还没有算例" in out and "共0个算例" in out
        assert "提示：《武进2024》以下奖补项没有算例断言其金额：wj-1-smart-upgrade、" in out
    assert "算例文件或文件夹不存在" in _refused(["--policies", str(folder), "examples", str(folder / "nope")], capsys)
