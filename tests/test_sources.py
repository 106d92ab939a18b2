"""Input hygiene: finding files and decoding them, with one-line errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gtcbrief.errors import GtcbriefError
from gtcbrief.loader import iter_documents
from gtcbrief.sources import decode, iter_paths, read_source

BRIEF = "# 每日参会快报\n\n## 【Keynote】开幕\n"


def test_utf8_with_and_without_bom() -> None:
    assert decode(BRIEF.encode(), "a.md") == BRIEF
    assert decode(b"\xef\xbb\xbf" + BRIEF.encode(), "a.md") == BRIEF


def test_utf16_with_bom() -> None:
    assert decode(BRIEF.encode("utf-16"), "a.md") == BRIEF


def test_gbk_is_detected_and_named_with_a_hint() -> None:
    with pytest.raises(GtcbriefError) as info:
        decode(BRIEF.encode("gb18030"), "gbk.md")
    message = str(info.value)
    assert message.startswith("gbk.md: not valid UTF-8 (byte offset ")
    assert "--encoding gb18030" in message


def test_explicit_encoding_reads_gbk() -> None:
    assert decode(BRIEF.encode("gb18030"), "gbk.md", "gb18030") == BRIEF


TRADITIONAL = (
    "# 每日參會快報\n\n## 【Keynote】開幕：機器人與資料中心的發展\n\n### 實事描述\n講者介紹了。\n"
)


def test_big5_is_told_from_gbk_by_its_characters() -> None:
    """Big5 bytes mostly decode as GBK too, into rare characters: the hint said
    gb18030, and with it the file loaded as garbage with no finding."""
    with pytest.raises(GtcbriefError) as info:
        decode(TRADITIONAL.encode("big5"), "big5.md")
    assert str(info.value).endswith("it looks Big5: rerun with --encoding big5")
    with pytest.raises(GtcbriefError) as info:
        decode(TRADITIONAL.encode("gb18030"), "gbk.md")  # Traditional text, written as GBK
    assert str(info.value).endswith("--encoding gb18030")


def test_a_bom_decides_over_the_encoding_asked_for() -> None:
    """A folder of Notepad's UTF-8-with-BOM files and GBK files, read in one run."""
    assert decode(b"\xef\xbb\xbf" + BRIEF.encode(), "bom.md", "gb18030") == BRIEF
    assert decode(BRIEF.encode("utf-16"), "u16.md", "gbk") == BRIEF
    assert decode(BRIEF.encode("gb18030"), "gbk.md", "gb18030") == BRIEF


@pytest.mark.parametrize("order", ["le", "be"])
def test_utf16_without_a_bom_is_refused_with_its_encoding_named(order: str) -> None:
    with pytest.raises(GtcbriefError) as info:
        decode(BRIEF.encode(f"utf-16-{order}"), "u16.md")
    assert str(info.value).endswith(f"rerun with --encoding utf-16-{order}")
    assert decode(BRIEF.encode(f"utf-16-{order}"), "u16.md", f"utf-16-{order}") == BRIEF


def test_an_endless_device_is_refused_at_its_first_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """/dev/zero was read until memory ran out (MemoryError, exit 3) once grep read devices."""
    import gtcbrief.sources

    monkeypatch.setattr(gtcbrief.sources, "STREAM_LIMIT", 1 << 22)  # (should it ever loop)
    with pytest.raises(GtcbriefError, match="binary file"):
        read_source("/dev/zero")
    for encoding in ("gbk", "utf-8"):  # (an encoding asked for is no reason to read it all)
        with pytest.raises(GtcbriefError, match="binary file"):
            read_source("/dev/zero", encoding=encoding)
    assert decode("# 题\n".encode("utf-16-le"), "u.md", "utf-16-le") == "# 题\n"
    with pytest.raises(GtcbriefError, match="binary file"):  # --encoding gbk: a NUL too
        decode(b"# x\n\x00abc\n", "x.md", "gbk")


def test_a_nul_byte_anywhere_makes_a_binary_file() -> None:
    """Past the first 8 KB, a NUL used to be kept in a description (and by --fix)."""
    late = (BRIEF + "正文。" * 5000).encode() + b"\x00" + "尾".encode()
    for data in (late, b"# x\n\x00abc\n"):  # (a short file's one NUL is not UTF-16 either)
        with pytest.raises(GtcbriefError, match="binary file") as info:
            decode(data, "x.md")
        assert "UTF-16" not in str(info.value)


def test_binary_files_are_refused() -> None:
    with pytest.raises(GtcbriefError, match="binary file"):
        decode(b"\x89PNG\r\n\x1a\n\x00\x00", "x.md")


def test_unknown_encoding_is_a_usage_error() -> None:
    with pytest.raises(GtcbriefError, match="unknown encoding"):
        decode(b"x", "x.md", "no-such-codec")


def test_directories_are_walked_for_markdown_in_order(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.md").write_text(BRIEF, encoding="utf-8")
    (tmp_path / "a.md").write_text(BRIEF, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    (tmp_path / "dir.md").mkdir()  # a directory named *.md is not a file
    found = [Path(p).relative_to(tmp_path).as_posix() for p in iter_paths([str(tmp_path)])]
    assert found == ["a.md", "b/2.md"]


@pytest.mark.parametrize("command", ["parse", "validate", "stats", "grep", "dedupe"])
def test_a_walk_passes_over_hidden_folders_and_node_modules_unless_they_are_named(
    tmp_path: Path, command: str
) -> None:
    """An Obsidian vault's ``.obsidian/.trash`` of deleted notes, ``.git``, a copy under
    ``node_modules``: read by every command, they were duplicates for dedupe and GB110."""
    from typer.testing import CliRunner

    from gtcbrief.cli import app

    brief = (Path(__file__).parents[1] / "samples" / "clean-brief.md").read_text("utf-8")
    names = ("a.md", ".obsidian/.trash/a.md", "node_modules/x/a.md", ".git/a.md", ".b.md")
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(brief, "utf-8")

    def files_read(*paths: str) -> set[str]:
        query = ["机器人"] if command == "grep" else []
        extra = ["--no-cache", "-l"] if command == "grep" else ["--format", "json"]
        if command == "parse":
            extra = ["--format", "jsonl", "--documents"]
        elif command == "stats":
            extra += ["--by", "file"]
        elif command == "validate":
            extra += ["--select", "GB110"]  # copies of one another
        result = CliRunner().invoke(app, [command, *query, *paths, *extra])
        assert result.exit_code in (0, 1), result.stderr
        return {n for n in names if f"{tmp_path}/{n}" in result.stdout}

    trash = str(tmp_path / ".obsidian" / ".trash")  # (named: read, as rg reads it)
    if command in ("validate", "dedupe"):  # what they report is the copies
        assert files_read(str(tmp_path)) == set()
        assert files_read(str(tmp_path), trash) == {"a.md", ".obsidian/.trash/a.md"}
    else:
        assert files_read(str(tmp_path)) == {"a.md"}
        assert files_read(trash, str(tmp_path / ".b.md")) == {".obsidian/.trash/a.md", ".b.md"}


def test_standard_input_named_twice_is_read_once() -> None:
    assert list(iter_paths(["-", "a.md", "-"])) == ["-", "a.md"]


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_symlink_loops_and_broken_links_do_not_hang(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(BRIEF, encoding="utf-8")
    (tmp_path / "loop").symlink_to(tmp_path)
    (tmp_path / "broken.md").symlink_to(tmp_path / "missing.md")
    assert [Path(p).name for p in iter_paths([str(tmp_path)])] == ["a.md"]
    with pytest.raises(GtcbriefError, match="broken symbolic link"):
        read_source(str(tmp_path / "broken.md"))


def test_missing_file_is_reported_and_others_still_load(tmp_path: Path) -> None:
    good = tmp_path / "good.md"
    good.write_text(BRIEF, encoding="utf-8")
    errors: list[str] = []
    docs = list(
        iter_documents(
            [str(tmp_path / "nope.md"), str(good)], on_error=lambda e: errors.append(str(e))
        )
    )
    assert [d.entries[0].title for d in docs] == ["开幕"]
    assert errors == [f"{tmp_path / 'nope.md'}: no such file"]


def test_a_directory_given_as_a_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(GtcbriefError, match="is a directory"):
        read_source(str(tmp_path))


def test_a_process_pool_gives_the_same_documents_in_the_same_order(tmp_path: Path) -> None:
    for i in range(20):
        (tmp_path / f"{i:02d}.md").write_text(BRIEF.replace("开幕", f"第{i}场"), encoding="utf-8")
    (tmp_path / "07.md").write_bytes(b"# \xff\xff\n")  # unreadable: not UTF-8
    serial_errors: list[str] = []
    pooled_errors: list[str] = []
    serial = list(
        iter_documents([str(tmp_path)], jobs=1, on_error=lambda e: serial_errors.append(str(e)))
    )
    pooled = list(
        iter_documents([str(tmp_path)], jobs=2, on_error=lambda e: pooled_errors.append(str(e)))
    )
    assert serial == pooled
    assert [d.entries[0].title for d in pooled][:3] == ["第0场", "第1场", "第2场"]
    assert len(pooled) == 19 and serial_errors == pooled_errors and len(pooled_errors) == 1


def test_a_file_named_twice_is_read_once_where_it_first_came(tmp_path: Path) -> None:
    """``./a.md`` after ``a.md``, a link to it, the folder holding it: one file, so one
    document (else every entry is its own duplicate title and copied description)."""
    from gtcbrief.walk import stat_files

    folder = tmp_path / "briefs"
    folder.mkdir()
    (folder / "a.md").write_text("# a\n", "utf-8")
    (folder / "b.md").write_text("# b\n", "utf-8")
    (folder / "link.md").symlink_to("a.md")
    os.link(folder / "b.md", tmp_path / "hard.md")
    a, dot_a = str(folder / "a.md"), os.path.join(str(folder), ".", "a.md")
    paths = [a, dot_a, str(folder / "link.md"), str(folder), str(tmp_path / "hard.md")]
    expected = [a, str(folder / "b.md")]
    assert list(iter_paths(paths)) == expected
    assert [f.display for f in stat_files(paths, print)] == expected


def test_validate_of_a_file_and_its_folder_finds_no_duplicates_of_itself(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from gtcbrief.cli import app

    seed = tmp_path / "seed.md"
    seed.write_bytes((Path(__file__).parents[1] / "samples" / "gtc-daily-brief.md").read_bytes())
    named = os.path.join(str(tmp_path), ".", "seed.md")  # not the folder's spelling of it
    args = ["validate", named, str(tmp_path), "--select", "GB110,GB302", "--format", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0 and result.stdout.strip() == "[]"
