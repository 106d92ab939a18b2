"""`validate --fix` / `--diff`: safe, idempotent, atomic, and blind to entry content."""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from gtcbrief.cli import app
from gtcbrief.config import DEFAULT
from gtcbrief.errors import GtcbriefError
from gtcbrief.fix import apply_edits, document_content, fix_documents, write_atomic
from gtcbrief.loader import load_text
from gtcbrief.rules.engine import make_selection, run

ROOT = Path(__file__).resolve().parents[1]
CLEAN = (ROOT / "samples" / "clean-brief.md").read_text(encoding="utf-8")
FIXABLE = ["GB102", "GB104", "GB108", "GB203", "GB501", "GB502", "GB504"]
runner = CliRunner()


def damaged(text: str = CLEAN) -> str:
    """The clean sample with one instance of every fixable problem."""
    text = text.replace(
        "撰稿人：孙立 61234501、何静 61234502", "撰稿人:孙立 61234501,何静 61234502"
    )
    text = text.replace("撰稿人：马超 61234503\n\n---", "撰稿人：马超 61234503\n---")
    text = text.replace("### 主题\n", "### 主题  \n", 1)
    return text.rstrip("\n") + "\n\n\n"


def validate(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["validate", *args], input=input)
    return result.exit_code, result.stdout, result.stderr


def codes(text: str, path: str = "b.md") -> list[tuple[str, int]]:
    doc = load_text(text, path)
    return [(d.code, d.line) for d in run([doc], DEFAULT, make_selection(DEFAULT, select=FIXABLE))]


def test_damage_is_what_the_rules_report() -> None:
    assert codes(damaged()) == [
        ("GB501", 5),
        ("GB203", 17),
        ("GB108", 36),
        ("GB502", 55),
    ]


def test_fix_repairs_every_fixable_finding_and_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "brief.md"
    path.write_text(damaged(), encoding="utf-8")
    code, out, err = validate(str(path), "--fix", "--ignore", "GB301,GB302")
    assert (code, out) == (0, "")
    assert "fixed 4 problems in 1 file" in err  # the four findings above, not their 5 edits
    assert path.read_text(encoding="utf-8") == CLEAN


def test_fixed_counts_findings_not_the_lines_a_fix_removes(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("# 笔记\n\n- 谈话\n" + "\n" * 16, encoding="utf-8")
    code, _, err = validate(str(path), "--fix")
    assert (code, path.read_text(encoding="utf-8")) == (0, "# 笔记\n\n- 谈话\n")
    assert "fixed 1 problem in 1 file" in err  # GB502, as 'validate' counted it


def test_fixing_twice_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "brief.md"
    path.write_text(damaged(), encoding="utf-8")
    validate(str(path), "--fix", "--select", ",".join(FIXABLE))
    once = path.read_bytes()
    code, _, err = validate(str(path), "--fix", "--select", ",".join(FIXABLE))
    assert path.read_bytes() == once and code == 0 and "fixed" not in err


def test_loader_sees_the_same_entries_before_and_after() -> None:
    doc = load_text(damaged(), "b.md")
    (result,) = fix_documents([doc], DEFAULT, make_selection(DEFAULT))
    after = load_text(result.text, "b.md")
    assert result.changed and result.fixed == 4
    assert document_content(after) == document_content(doc)
    assert [(e.title, e.description, e.authors) for e in after.entries] == [
        (e.title, e.description, e.authors) for e in load_text(CLEAN, "b.md").entries
    ]


def test_diff_shows_the_fix_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "brief.md"
    path.write_text(damaged(), encoding="utf-8")
    before = path.read_bytes()
    code, out, _ = validate(str(path), "--diff")
    assert code == 1 and path.read_bytes() == before
    assert out.startswith(f"--- {path}\n+++ {path}\n@@")
    assert "-撰稿人:孙立 61234501,何静 61234502\n+撰稿人：孙立 61234501、何静 61234502\n" in out
    assert "-### 主题  \n+### 主题\n" in out
    assert validate(str(ROOT / "samples" / "clean-brief.md"), "--diff") == (0, "", "")


def test_diff_follows_exit_zero_and_refuses_another_format(tmp_path: Path) -> None:
    path = tmp_path / "brief.md"
    path.write_text(damaged(), encoding="utf-8")
    assert validate(str(path), "--diff", "--exit-zero")[0] == 0
    code, out, err = validate(str(path), "--diff", "--format", "json")
    assert code == 2 and out == "" and "--format json" in err


@pytest.mark.parametrize("terminal", [False, True], ids=["pipe", "terminal"])
def test_a_diff_shows_escapes_on_a_terminal_and_keeps_bytes_in_a_pipe(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    terminal: bool,
) -> None:
    import sys

    from gtcbrief.cli import run

    path = tmp_path / "red\x1b[31m.md"
    path.write_text("# 笔记 \x1b[31mRED\x1b[0m  \n", encoding="utf-8")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: terminal)
    assert run(["validate", str(path), "--diff"]) == 1
    out = capsys.readouterr().out
    assert ("\x1b" in out) is not terminal and ("\\x1b[31m" in out) is terminal
    assert out.count("\n") == 5  # ---, +++, @@, -, +


def test_a_diff_on_a_terminal_breaks_lines_only_at_line_feeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """U+2028 or a form feed inside a line must not start a line with no '+' or '-'."""
    import sys

    from gtcbrief.cli import run

    path = tmp_path / "a.md"
    path.write_bytes("# t\r\n\r\nhello\u2028+ looks added\x0c  \r\n".encode())
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert run(["validate", str(path), "--diff"]) == 1
    body = capsys.readouterr().out.split("\n")[5:-1]  # ---, +++, @@ and two lines of context
    assert body == [
        "-hello\\u2028+ looks added\\x0c  ",
        "+hello\\u2028+ looks added\\x0c",
    ]


def test_diff_works_on_stdin_but_fix_does_not() -> None:
    code, out, _ = validate("-", "--diff", "--stdin-filename", "b.md", input=damaged())
    assert code == 1 and out.startswith("--- b.md\n+++ b.md\n")
    code, _, err = validate("-", "--fix", input=damaged())
    assert code == 2 and "standard input" in err


def test_crlf_bom_and_file_mode_are_kept(tmp_path: Path) -> None:
    folder = tmp_path / "work"  # tmp_path also holds the test's cache directory
    folder.mkdir()
    path = folder / "brief.md"
    path.write_bytes(b"\xef\xbb\xbf" + damaged().replace("\n", "\r\n").encode("utf-8"))
    path.chmod(0o640)
    validate(str(path), "--fix", "--select", ",".join(FIXABLE))
    data = path.read_bytes()
    assert data == b"\xef\xbb\xbf" + CLEAN.replace("\n", "\r\n").encode("utf-8")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in folder.iterdir()] == ["brief.md"]  # no temporary file left


@pytest.mark.parametrize(
    ("bom", "codec", "option"),
    [
        pytest.param(b"\xfe\xff", "utf-16-be", None, id="utf-16-big-endian"),
        pytest.param(b"\xff\xfe", "utf-16-le", None, id="utf-16-little-endian"),
        pytest.param(b"\xfe\xff", "utf-16-be", "utf-16", id="encoding-utf-16-big-endian"),
        pytest.param(b"\xef\xbb\xbf", "utf-8", "utf-8", id="encoding-utf-8-with-a-bom"),
        pytest.param(b"", "utf-8", "utf-8-sig", id="encoding-utf-8-sig-without-one"),
        pytest.param(b"\xff\xfe", "utf-16-le", "utf-16-le", id="encoding-utf-16-le-with-a-bom"),
        pytest.param(b"", "gb18030", "gb18030", id="gb18030"),
        pytest.param(b"", "gbk", "gbk", id="gbk"),  # (its encoder has no BOM: it crashed)
        # a BOM decides over --encoding, as when the file was read
        pytest.param(b"\xef\xbb\xbf", "utf-8", "gb18030", id="utf-8-bom-beside-gb18030"),
        pytest.param(b"\xff\xfe", "utf-16-le", "gbk", id="utf-16-bom-beside-gbk"),
    ],
)
def test_the_encoding_byte_order_and_bom_are_kept(
    tmp_path: Path, bom: bytes, codec: str, option: str | None
) -> None:
    folder = tmp_path / "work"
    folder.mkdir()
    path = folder / "brief.md"
    path.write_bytes(bom + damaged().encode(codec))
    encoding = ["--encoding", option] if option else []
    validate(str(path), "--fix", "--select", ",".join(FIXABLE), *encoding)
    assert path.read_bytes() == bom + CLEAN.encode(codec)


@pytest.mark.parametrize(("codec", "diff_codec"), [("gbk", "gbk"), ("utf-16", "utf-8")])
def test_a_diff_in_a_pipe_is_in_the_encoding_patch_needs(
    tmp_path: Path, codec: str, diff_codec: str
) -> None:
    """A GBK file's diff was UTF-8, so ``patch`` failed on its hunks; it is GBK now.
    UTF-16's cannot be patched at all (its ``---`` is not ASCII): it stays readable."""
    path = tmp_path / "brief.md"
    path.write_bytes(damaged().encode(codec))
    before = path.read_bytes()
    result = runner.invoke(app, ["validate", str(path), "--diff", "--encoding", codec])
    assert result.exit_code == 1 and path.read_bytes() == before
    diff = result.stdout_bytes.decode(diff_codec)
    assert diff.startswith(f"--- {path}\n") and "+撰稿人：孙立 61234501、何静 61234502" in diff


def test_a_brief_in_traditional_characters_is_fixed_to_the_template_and_reads_the_same(
    tmp_path: Path,
) -> None:
    """GB101 and GB104 named each Traditional heading (每日參會快報, 主題, 實事描述：) with
    no fix: five findings an entry, by hand. The fix writes the template's names; every
    field reads as before."""
    from gtcbrief.fix import entry_content
    from gtcbrief.loader import load_path
    from gtcbrief.text import to_simplified

    traditional = CLEAN.translate(str.maketrans("参会报题讲关实华启为对", "參會報題講關實華啟為對"))
    traditional = traditional.replace("### 实事描述", "### 實事描述：")  # (a colon too)
    assert to_simplified(traditional) != traditional
    path = tmp_path / "brief.md"
    path.write_text(traditional, "utf-8")
    before = [entry_content(e) for e in load_path(str(path)).entries]
    code, out, _ = validate(str(path), "--select", "GB101,GB104", "--format", "json")
    assert code == 1 and all(d["fixable"] for d in json.loads(out))
    validate(str(path), "--fix", "--select", "GB101,GB104")
    assert validate(str(path), "--select", "GB101,GB104")[0] == 0
    assert [entry_content(e) for e in load_path(str(path)).entries] == before
    assert path.read_text("utf-8").startswith("# 每日参会快报\n")


def test_a_fix_the_file_s_encoding_cannot_hold_is_refused_and_not_counted(tmp_path: Path) -> None:
    """A Big5 brief's Traditional headings fix to Simplified ones Big5 lacks (参): --diff
    crashed encoding the patch (exit 3), and --fix said 'fixed 5 problems' of a file it
    left alone."""
    path = tmp_path / "tw.md"
    path.write_bytes("# 每日參會快報\n\n## 【Keynote】標題\n\n### 主題\nAI - GPU\n".encode("big5"))
    before = path.read_bytes()
    result = runner.invoke(app, ["validate", str(path), "--encoding", "big5", "--diff"])
    assert result.exit_code == 2 and result.stdout == ""
    assert f"{path}: no diff: big5 has no '参' for it" in result.stderr
    code, _, err = validate(str(path), "--encoding", "big5", "--fix")
    assert code == 2 and "not fixed: big5 has no '参'" in err
    assert not re.search(r"^fixed \d+ problem", err, re.M) and path.read_bytes() == before


def test_a_file_marked_read_only_is_left_alone_even_by_root(tmp_path: Path) -> None:
    """os.access says yes to root for any file: a 0444 brief was rewritten, though the
    README promises a read-only file is left alone (exit 2)."""
    path = tmp_path / "brief.md"
    path.write_text(damaged(), encoding="utf-8")
    path.chmod(0o444)
    before = path.read_bytes()
    code, _, err = validate(str(path), "--fix", "--select", ",".join(FIXABLE))
    assert code == 2 and "read-only file" in err and path.read_bytes() == before


def test_a_read_only_file_is_not_rewritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rename that writes atomically needs only the folder's permission, so the file's
    own is asked first (root may write anything: the refusal is simulated)."""
    path = tmp_path / "brief.md"
    path.write_text(damaged(), encoding="utf-8")
    before = path.read_bytes()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode)
    )
    code, _, err = validate(str(path), "--fix", "--select", ",".join(FIXABLE))
    assert code == 2 and "Permission denied" in err and path.read_bytes() == before


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give a file away"
)
def test_the_owner_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "brief.md"
    path.write_text(damaged(), encoding="utf-8")
    os.chown(path, 65534, 65534)
    validate(str(path), "--fix", "--select", ",".join(FIXABLE))
    assert path.read_text(encoding="utf-8") == CLEAN
    assert (path.stat().st_uid, path.stat().st_gid) == (65534, 65534)


def test_a_symlink_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.md"
    real.write_text("# 笔记 \n", encoding="utf-8")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    validate(str(link), "--fix")
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "# 笔记\n"


def test_a_file_that_does_not_parse_is_never_touched(tmp_path: Path) -> None:
    path = tmp_path / "deep.md"
    text = ">" * 3000 + " 太深了 \n\n\n"
    path.write_text(text, encoding="utf-8")
    code, _, err = validate(str(path), "--fix")
    assert path.read_text(encoding="utf-8") == text
    assert "not fixed: the loader could not read it cleanly" in err
    assert code == 1  # GB001 parse-problem is an error


def test_a_fix_that_would_change_an_entry_is_refused() -> None:
    # an entry-shaped line over '---' is a real heading: a blank line would change the entries
    text = "# 每日参会快报\n\n【Talks & Panels】标题\n---\n"
    doc = load_text(text, "b.md")
    found = run([doc], DEFAULT, make_selection(DEFAULT, select=["GB108"]))
    assert [(d.code, d.line, d.fixable) for d in found] == [("GB108", 4, False)]


def test_suppressed_findings_are_not_fixed(tmp_path: Path) -> None:
    path = tmp_path / "n.md"
    text = "# 笔记\n\n<!-- gtcbrief-disable-next-line GB501 -->\n保留 \n去掉 \n"
    path.write_text(text, encoding="utf-8")
    validate(str(path), "--fix")
    assert path.read_text(encoding="utf-8") == text.replace("去掉 \n", "去掉\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("a \nb\n", "a\nb\n", id="rstrip"),
        pytest.param("a\r\nb \r\n", "a\r\nb\r\n", id="crlf-kept"),
        pytest.param("a\nb", "a\nb\n", id="final-newline"),
        pytest.param("a\r\nb", "a\r\nb\r\n", id="final-crlf"),
        pytest.param("a\rb \rc", "a\rb\rc\r", id="old-mac-cr-kept"),
    ],
)
def test_apply_edits(text: str, expected: str) -> None:
    doc = load_text(text, "t.md")
    found = run([doc], DEFAULT, make_selection(DEFAULT, select=["GB501", "GB504"]))
    assert apply_edits(text, [e for d in found for e in d.fix])[0] == expected


DAMAGE = st.lists(
    st.sampled_from(
        ["spaces", "tab", "colon", "comma", "setext", "unspaced", "blank-end", "no-eol", "crlf"]
    ),
    unique=True,
)


def _damage(text: str, kinds: list[str], where: int) -> str:
    lines = text.split("\n")
    for kind in kinds:
        if kind in ("spaces", "tab"):
            i = where % (len(lines) - 1)
            lines[i] += "  " if kind == "spaces" else "\t"
        elif kind == "colon":
            lines = [line.replace("撰稿人：", "撰稿人:") for line in lines]
        elif kind == "comma":
            lines = [line.replace("、何静", "，何静") for line in lines]
    text = "\n".join(lines)
    if "setext" in kinds:
        text = text.replace("61234505\n\n---", "61234505\n---")
    if "unspaced" in kinds:  # headings written without the space after their marks
        text = text.replace("\n## 【", "\n##【", 2).replace("\n### 主题", "\n###主题", 1)
    if "blank-end" in kinds:
        text += "\n\n \n"
    if "no-eol" in kinds:
        text = text.rstrip("\n")
    if "crlf" in kinds:
        text = text.replace("\n", "\r\n")
    return text


@given(kinds=DAMAGE, where=st.integers(min_value=0, max_value=10_000))
def test_fix_undoes_any_mix_of_mechanical_damage(kinds: list[str], where: int) -> None:
    text = _damage(CLEAN, kinds, where)
    doc = load_text(text, "b.md")
    selection = make_selection(DEFAULT, select=FIXABLE)
    (result,) = fix_documents([doc], DEFAULT, selection)
    assert result.refused is None
    expected = CLEAN.replace("\n", "\r\n") if "crlf" in kinds else CLEAN
    assert result.text == expected
    (again,) = fix_documents([load_text(result.text, "b.md")], DEFAULT, selection)
    assert not again.changed
    assert document_content(load_text(result.text, "b.md")) == document_content(
        load_text(CLEAN, "b.md")
    )


def test_a_file_changed_since_it_was_read_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "brief.md"
    path.write_text(damaged(), encoding="utf-8")
    doc = load_text(damaged(), str(path))
    (result,) = fix_documents([doc], DEFAULT, make_selection(DEFAULT, select=FIXABLE))
    path.write_text("# 每日参会快报\n\n有人刚刚改过。\n", encoding="utf-8")
    with pytest.raises(GtcbriefError, match="changed on disk"):
        write_atomic(result)
    assert path.read_text(encoding="utf-8") == "# 每日参会快报\n\n有人刚刚改过。\n"
    assert [p.name for p in tmp_path.iterdir()] == ["brief.md"]


def test_a_folder_that_takes_no_new_file_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(As a user without write permission on the folder; root is given it anyway.)"""
    import tempfile

    path = tmp_path / "brief.md"
    path.write_text(damaged(), encoding="utf-8")

    def refused(*_: object, **__: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    code, _, err = validate(str(path), "--fix", "--ignore", "GB301,GB302")
    assert code == 2 and f"{path}: cannot write: Permission denied" in err
    assert path.read_text(encoding="utf-8") == damaged()


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit], ids=["ctrl-c", "sigterm"])
def test_an_interrupted_write_leaves_the_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interrupt: type[BaseException]
) -> None:
    path = tmp_path / "brief.md"
    path.write_text(damaged(), encoding="utf-8")
    (result,) = fix_documents(
        [load_text(damaged(), str(path))], DEFAULT, make_selection(DEFAULT, select=FIXABLE)
    )

    def stop(_fd: int) -> None:
        raise interrupt()

    monkeypatch.setattr(os, "fsync", stop)
    with pytest.raises(interrupt):
        write_atomic(result)
    assert [p.name for p in tmp_path.iterdir()] == ["brief.md"]
    assert path.read_text(encoding="utf-8") == damaged()


def test_sigterm_while_writing_removes_the_temporary_file(tmp_path: Path) -> None:
    import signal

    path = tmp_path / "brief.md"
    path.write_text(damaged(), encoding="utf-8")
    (result,) = fix_documents(
        [load_text(damaged(), str(path))], DEFAULT, make_selection(DEFAULT, select=FIXABLE)
    )
    real_fsync = os.fsync

    def terminated(fd: int) -> None:
        real_fsync(fd)
        os.kill(os.getpid(), signal.SIGTERM)  # as `timeout` or a cancelled CI job sends

    before = signal.getsignal(signal.SIGTERM)
    os.fsync, saved = terminated, os.fsync  # type: ignore[assignment]
    try:
        with pytest.raises(SystemExit) as stopped:
            write_atomic(result)
    finally:
        os.fsync = saved
    assert stopped.value.code == 128 + signal.SIGTERM
    assert [p.name for p in tmp_path.iterdir()] == ["brief.md"]
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_write_by_another_process_during_the_fix_is_kept_not_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file was compared before the fixed text was written out and renamed over it:
    a line another process appended meanwhile was lost (4 of 400 in a QA run)."""
    from gtcbrief import fix

    path = tmp_path / "brief.md"
    path.write_text(damaged(), encoding="utf-8")
    chmod = os.chmod

    def chmod_then_append(target: str, mode: int) -> None:
        chmod(target, mode)
        with open(path, "a", encoding="utf-8") as fh:
            fh.write("\n另一个进程写的一行\n")

    monkeypatch.setattr(fix.os, "chmod", chmod_then_append)
    code, _, err = validate(str(path), "--fix", "--ignore", "GB301,GB302")
    assert code == 2 and "changed on disk while it was fixed; not fixed" in err
    assert path.read_text(encoding="utf-8").endswith("另一个进程写的一行\n")
    assert not list(tmp_path.glob(".*.tmp"))
