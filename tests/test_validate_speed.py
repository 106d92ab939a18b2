"""validate starts fast: no jieba or rapidfuzz unless a rule needs them; mistletoe's scan cached."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(*args: str, cache: Path) -> set[str]:
    env = {**os.environ, "GTCBRIEF_CACHE_DIR": str(cache)}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gtcbrief", "validate", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_a_clean_brief_needs_neither_jieba_nor_rapidfuzz(tmp_path: Path) -> None:
    mods = imported_modules(
        "samples/clean-brief.md", "--ignore", "GB301,GB302", cache=tmp_path / "cache"
    )
    assert "gtcbrief.rules.structure" in mods  # the rules did run
    assert not {m for m in mods if m.split(".")[0] in ("jieba", "rapidfuzz", "rjieba")}


def test_rapidfuzz_only_for_an_unknown_heading(tmp_path: Path) -> None:
    mods = imported_modules(
        "tests/data/validate/GB104.bad.md", "--select", "GB104", cache=tmp_path / "cache"
    )
    assert "rapidfuzz" in mods and "jieba" not in mods


def test_the_fast_mistletoe_import_gives_the_same_punctuation(tmp_path: Path) -> None:
    probe = (
        "import hashlib, sys\n"
        "from gtcbrief._mistletoe_speedup import install\n"
        "if sys.argv[1] == 'fast': install()\n"
        "import mistletoe.core_tokens as c\n"
        "assert (type(c.__loader__).__name__ == '_Loader') == (sys.argv[1] == 'fast')\n"
        "chars = ''.join(sorted(c.punctuation)).encode()\n"
        "print(len(c.punctuation), hashlib.sha256(chars).hexdigest())\n"
    )
    env = {**os.environ, "GTCBRIEF_CACHE_DIR": str(tmp_path / "cache")}

    def run(mode: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", probe, mode],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout

    plain = run("plain")
    assert run("fast") == plain  # computes and caches
    assert list((tmp_path / "cache").glob("unicode-punctuation-*.txt"))
    assert run("fast") == plain  # from the cache


def test_loading_never_scans_unicode_for_mistletoes_punctuation(tmp_path: Path) -> None:
    probe = (
        "import sys\n"
        "from gtcbrief.loader import load_text\n"
        "doc = load_text('# 每日参会快报\\n\\n## 【演讲】A *b* `c`!\\n\\n正文，见[链接](x)。\\n')\n"
        "import mistletoe.core_tokens as c\n"
        "from gtcbrief import _mistletoe_speedup as s\n"
        "assert isinstance(c.punctuation, s.Punctuation), type(c.punctuation)\n"
        "assert c.punctuation._chars is None, 'computed while loading'\n"
        "assert '!' in c.punctuation and '。' in c.punctuation and 'a' not in c.punctuation\n"
        "assert set(c.punctuation) == set('!\"#$%&\\'()*+,-./:;<=>?@[\\\\]^_`{|}~')"
        " | s.compute_punctuation()\n"
        "print(doc.entries[0].title)\n"
    )
    env = {**os.environ, "GTCBRIEF_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "A *b* `c`!"


def _core_tokens_loader() -> Any:
    """The speedup's loader of ``mistletoe.core_tokens``, as its import hook makes it."""
    import importlib.util

    from gtcbrief import _mistletoe_speedup as s

    spec = importlib.util.find_spec(s.TARGET)
    assert spec is not None and spec.origin is not None
    return s._Loader(s.TARGET, spec.origin)


def test_the_rewritten_mistletoe_module_is_compiled_once_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gtcbrief import _mistletoe_speedup as s

    monkeypatch.setenv("GTCBRIEF_CACHE_DIR", str(tmp_path))
    loader = _core_tokens_loader()
    compiled: list[object] = []

    def counting_compile(*args: Any, **kwargs: Any) -> Any:
        compiled.append(args[1])
        return compile(*args, **kwargs)

    monkeypatch.setattr(s, "compile", counting_compile, raising=False)
    first = loader.get_code(s.TARGET)
    assert "__import__" in first.co_names  # the rewrite's, making the punctuation lazily
    assert loader.get_code(s.TARGET) == first
    assert compiled == [loader.path]  # compiled once, then read back
    (kept,) = tmp_path.glob("mistletoe-core_tokens-*.marshal")
    kept.write_bytes(b"not marshal data")
    assert loader.get_code(s.TARGET) == first  # a damaged file is a miss
    assert len(compiled) == 2


def test_an_unwritable_cache_directory_only_means_compiling_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gtcbrief import _mistletoe_speedup as s
    from gtcbrief.text import keep_file

    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    monkeypatch.setenv("GTCBRIEF_CACHE_DIR", str(blocked))
    code = _core_tokens_loader().get_code(s.TARGET)
    assert "__import__" in code.co_names
    assert not keep_file(str(blocked / "x.bin"), b"data")
    assert keep_file(str(tmp_path / "kept" / "x.bin"), b"data")
    assert (tmp_path / "kept" / "x.bin").read_bytes() == b"data"
    assert [p.name for p in (tmp_path / "kept").iterdir()] == ["x.bin"]  # no temporary left
    (tmp_path / "kept" / "x-old.bin").write_bytes(b"old")
    os.utime(tmp_path / "kept" / "x-old.bin", (0, 0))  # unused for long
    (tmp_path / "kept" / "x-other.bin").write_bytes(b"another install's, in use")
    (tmp_path / "kept" / "y.bin").write_bytes(b"other")
    assert keep_file(str(tmp_path / "kept" / "x-new.bin"), b"new", replacing="x")
    assert sorted(p.name for p in (tmp_path / "kept").iterdir()) == [
        "x-new.bin",
        "x-other.bin",
        "x.bin",  # written just now: in use
        "y.bin",
    ]
