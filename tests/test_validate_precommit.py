"""The pre-commit hook, run by the real pre-commit tool (`pre-commit try-repo`).

pre-commit installs this repository into a fresh virtualenv (from the package
registry, like a user's machine would), so this is the slowest test here
(~30 s the first time, seconds with a warm pip cache).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pre_commit", reason="pre-commit is not installed (pip install -e '.[test]')")

ROOT = Path(__file__).resolve().parents[1]


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def snapshot_of_this_checkout(dest: Path) -> Path:
    """This working tree (tracked and untracked, minus ignored files) as a one-commit repo.

    ``try-repo`` on the checkout itself would take modified tracked files but not new
    ones; a snapshot is what a user gets from a published revision.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    git(dest, "init", "-q", ".")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "snapshot")
    return dest


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    if shutil.which("git") is None:
        pytest.fail("git is needed to test the pre-commit hook")
    for key, value in {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.delenv("GIT_INDEX_FILE", raising=False)
    return dict(os.environ)


def try_repo(hooks: Path, user: Path, env: dict[str, str], *files: str) -> tuple[int, str]:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(hooks),
            "gtcbrief-validate",
            "--files",
            *files,
        ],
        cwd=user,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return proc.returncode, proc.stdout + proc.stderr


def test_hook_passes_clean_briefs_and_fails_broken_ones(
    tmp_path: Path, env: dict[str, str]
) -> None:
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    snapshot_of_this_checkout(hooks)
    user = tmp_path / "reports"
    user.mkdir()
    git(user, "init", "-q", ".")
    shutil.copy(ROOT / "samples" / "clean-brief.md", user / "clean.md")
    shutil.copy(ROOT / "tests" / "data" / "validate" / "GB104.bad.md", user / "broken.md")
    (user / "notes.txt").write_text("not Markdown: the hook must not see it\n", encoding="utf-8")
    git(user, "add", "-A")

    code, out = try_repo(hooks, user, env, "clean.md", "notes.txt")
    assert code == 0, out
    assert "gtcbrief validate" in out and "Passed" in out

    code, out = try_repo(hooks, user, env, "clean.md", "broken.md")
    assert code == 1, out
    assert "broken.md:3:1: GB104/missing-section" in out
    assert "broken.md:11:1: GB104/missing-section" in out
    assert "clean.md:" not in out
