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
