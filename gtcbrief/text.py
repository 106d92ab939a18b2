"""Text normalisation and tokenising, shared by the index, search, mismatch and dedupe.

* :func:`normalize`: NFKC (full-width → half-width), case folding for Latin.
* :func:`tokens`: words. Latin/digit runs stay whole (``TensorRT-LLM``,
  ``RAG``: so ``RAG`` never matches inside ``storage``); Chinese runs are
  segmented by jieba (precise mode, HMM off, so the result is deterministic
  and identical across jieba-compatible backends) with a domain user
  dictionary shipped in ``gtcbrief/data/userdict.txt``.
* :func:`search_tokens`: jieba's search mode (adds the shorter words inside
  long ones) for recall.
* :func:`cjk_bigrams`: character bigrams of Chinese runs, the recall net for
  queries jieba segments differently from the text.

jieba is imported lazily, silently, with its cache in the user's cache
directory (never a shared ``/tmp`` file).
"""

from __future__ import annotations

import os
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

_RUNS = re.compile(
    r"(?P<latin>[0-9a-z]+(?:[._+#/-][0-9a-z]+)*\+*)|(?P<cjk>[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)"
)

_tokenizer: Any = None


def cache_dir() -> Path:
    """``$GTCBRIEF_CACHE_DIR``, else ``$XDG_CACHE_HOME/gtcbrief``, else ``~/.cache/gtcbrief``."""
    explicit = os.environ.get("GTCBRIEF_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gtcbrief"


def user_dict_path() -> Path:
    return Path(__file__).parent / "data" / "userdict.txt"


def _jieba() -> Any:
    """The shared jieba tokenizer, initialised once, quietly."""
    global _tokenizer
    if _tokenizer is None:
        import logging

        import jieba

        jieba.setLogLevel(logging.ERROR)
        tok = jieba.Tokenizer()
        folder = cache_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tok.tmp_dir = str(folder)
        except OSError:
            tok.tmp_dir = None  # jieba then works without a cache file
        tok.initialize()
        tok.load_userdict(str(user_dict_path()))
        _tokenizer = tok
    return _tokenizer


def normalize(text: str) -> str:
    """NFKC and case folding: ``ＲＡＧ`` and ``rag`` are the same word."""
    return unicodedata.normalize("NFKC", text).casefold()


@lru_cache(maxsize=4096)
def _cut(run: str, search: bool) -> tuple[str, ...]:
    tok = _jieba()
    if search:
        return tuple(tok.cut_for_search(run, HMM=False))
    return tuple(tok.cut(run, HMM=False))


def tokens(text: str, *, search: bool = False) -> list[str]:
    """Normalised word tokens of ``text`` (punctuation and spaces dropped)."""
    out: list[str] = []
    for match in _RUNS.finditer(normalize(text)):
        latin = match.group("latin")
        if latin is not None:
            out.append(latin)
        else:
            out.extend(_cut(match.group("cjk"), search))
    return out


def search_tokens(text: str) -> list[str]:
    """Tokens for indexing: jieba search mode, so ``人形机器人`` also yields ``机器人``."""
    return tokens(text, search=True)


def cjk_bigrams(text: str) -> list[str]:
    """Character bigrams of each Chinese run (a one-character run is kept as is)."""
    out: list[str] = []
    for match in _RUNS.finditer(normalize(text)):
        run = match.group("cjk")
        if run is None:
            continue
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out
