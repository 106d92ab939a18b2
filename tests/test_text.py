"""The shared tokeniser: normalisation, whole Latin words, jieba with the domain dictionary."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gtcbrief import text
from gtcbrief.errors import GtcbriefError
from gtcbrief.text import (
    cjk_bigrams,
    gram_texts,
    gram_tokens,
    normalize,
    normalize_map,
    search_tokens,
    to_simplified,
    tokens,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_TEXT = "\n".join(p.read_text("utf-8") for p in sorted((ROOT / "samples").glob("*.md")))
CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("ＲＡＧ", "rag", id="full-width-latin"),
        pytest.param("TensorRT-LLM", "tensorrt-llm", id="case-folding"),
        pytest.param("數據", "数据", id="traditional-to-simplified"),
        pytest.param("機器人與資料", "机器人与资料", id="traditional-sentence"),
        pytest.param("（NVIDIA）", "(nvidia)", id="full-width-parentheses"),
        pytest.param("数据", "数据", id="simplified-unchanged"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_can_keep_case() -> None:
    assert normalize("ＲＡＧ 數據", fold=False) == "RAG 数据"


def test_simplified_conversion_keeps_length_and_is_context_free() -> None:
    # 乾 alone becomes 干, and so it does inside 乾隆: a query and a text always agree.
    assert to_simplified("乾") == "干"
    assert to_simplified("乾隆") == "干隆"
    assert len(to_simplified("頭髮與後來")) == 5


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("RAG pipelines", ["rag", "pipelines"], id="latin-words"),
        pytest.param("TensorRT-LLM 推理", ["tensorrt-llm", "推理"], id="hyphenated-word-whole"),
        pytest.param("C++ 和 C#", ["c++", "和", "c#"], id="symbol-suffixes"),
        pytest.param("storage", ["storage"], id="no-rag-inside-storage"),
        pytest.param("检索增强生成", ["检索增强生成"], id="user-dict-rag"),
        pytest.param("具身智能机器人", ["具身智能", "机器人"], id="user-dict-embodied"),
        pytest.param("數據中心", ["数据中心"], id="traditional-tokens"),
    ],
)
def test_tokens(raw: str, expected: list[str]) -> None:
    assert tokens(raw) == expected


def test_search_tokens_add_the_words_inside_long_ones() -> None:
    assert "机器人" in search_tokens("人形机器人")
    assert "人形机器人" in search_tokens("人形机器人")


def test_bigrams_keep_lone_characters() -> None:
    assert cjk_bigrams("机器人 和 AI") == ["机器", "器人", "和"]


def _bigrams_reference(raw: str) -> list[str]:
    """:func:`cjk_bigrams` read off every Chinese run of the normal form, no shortcut."""
    runs = re.findall(f"[{text.CJK_CLASS}]+", normalize(raw))
    return [r if len(r) == 1 else r[i : i + 2] for r in runs for i in range(max(1, len(r) - 1))]


@given(st.one_of(st.text(), st.text(alphabet="AI gpu-加速機器人ＧＰＵ㐀")))
def test_bigrams_are_those_of_the_chinese_runs_of_the_normal_form(raw: str) -> None:
    assert cjk_bigrams(raw) == _bigrams_reference(raw)


def test_gram_tokens_end_each_chinese_run_with_its_last_character() -> None:
    assert gram_tokens(normalize("GPU加速 机器人")) == ["gpu", "加速", "速", "机器", "器人", "人"]
    assert gram_tokens("tensorrt-llm") == ["tensorrt", "llm"]


@given(
    st.lists(
        st.one_of(
            st.text(),
            st.text(alphabet="gpu09Z -加速機器人\n\ud800\U00020000\u3400\u4dbf\uf900\ufaffａ"),
        ),
        max_size=6,
    )
)
def test_grams_made_with_numpy_are_the_grams_made_one_text_at_a_time(norms: list[str]) -> None:
    assert gram_texts(norms, vectorised=True) == [" ".join(gram_tokens(n)) for n in norms]


def test_gram_texts_joins_each_texts_grams() -> None:
    texts = ["gpu加速 机器人", "", "人", "tensorrt-llm"]
    wanted = ["gpu 加速 速 机器 器人 人", "", "人", "tensorrt llm"]
    assert gram_texts(texts) == gram_texts(texts, vectorised=True) == wanted


@given(st.data())
def test_every_chinese_substring_is_a_run_of_adjacent_grams(data: st.DataObject) -> None:
    runs = CJK_RUN.findall(SAMPLE_TEXT)
    run = data.draw(st.sampled_from([r for r in runs if len(r) >= 2]))
    start = data.draw(st.integers(0, len(run) - 2))
    end = data.draw(st.integers(start + 2, min(len(run), start + 4)))
    query = run[start:end]
    grams = gram_tokens(normalize(run))
    wanted = [a + b for a, b in zip(query, query[1:], strict=False)]
    assert any(grams[i : i + len(wanted)] == wanted for i in range(len(grams)))


@given(st.data())
def test_normalising_keeps_substrings(data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(SAMPLE_TEXT) - 1))
    piece = SAMPLE_TEXT[start : start + data.draw(st.integers(1, 6))]
    assert normalize(piece) in normalize(SAMPLE_TEXT)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("AI…机器人（NVIDIA）", id="ellipsis-expands"),
        pytest.param("Straße 數據", id="casefold-expands"),
        pytest.param("plain 数据", id="already-normal"),
    ],
)
def test_normalize_map_points_back_at_the_source(raw: str) -> None:
    norm, where = normalize_map(raw)
    assert norm == normalize(raw)
    assert len(where) == len(norm) + 1 and where[-1] == len(raw)
    for i, char in enumerate(norm):
        assert normalize(raw[where[i]]).startswith(char) or char in normalize(raw[where[i]])


def test_unknown_segmenter_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(text, "_backend", None)
    monkeypatch.setenv("GTCBRIEF_SEGMENTER", "spacy")
    with pytest.raises(GtcbriefError, match="GTCBRIEF_SEGMENTER"):
        text.segmenter()


def test_a_segmenter_asked_for_but_not_installed_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """It was ``internal error: ModuleNotFoundError`` (exit 3) once grep needed it."""
    monkeypatch.setattr(text, "_backend", None)
    monkeypatch.setattr(text, "_installed", lambda name: name != "rjieba")
    monkeypatch.setenv("GTCBRIEF_SEGMENTER", "rjieba")
    with pytest.raises(GtcbriefError, match="rjieba is not installed"):
        text.segmenter()


@lru_cache(maxsize=2)
def _loaded(backend: str) -> Any:
    return text._load_rjieba() if backend == "rjieba" else text._load_jieba()


def _segment_all(backend: str, mode: str, runs: list[str]) -> list[tuple[str, ...]]:
    tok = _loaded(backend)
    if backend == "rjieba":
        return [tuple(getattr(tok, mode)(r, False)) for r in runs]
    return [tuple(getattr(tok, mode)(r, HMM=False)) for r in runs]


@pytest.mark.parametrize("mode", ["cut", "cut_for_search"])
def test_rjieba_segments_exactly_like_jieba(mode: str, shared: Path) -> None:
    pytest.importorskip("rjieba")
    texts = [SAMPLE_TEXT] + [p.read_text("utf-8") for p in sorted(shared.rglob("corpus/**/*.md"))]
    runs = sorted({r for t in texts for r in CJK_RUN.findall(normalize(t))})
    assert len(runs) > 1000
    assert _segment_all("rjieba", mode, runs) == _segment_all("jieba", mode, runs)


def test_rjieba_is_set_up_on_the_segmenter_its_import_made(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Importing rjieba builds a segmenter (its dictionary, about 0.12 s); a second one
    would cost every process that segments (an index refresh, stats) as much again."""
    rjieba = pytest.importorskip("rjieba")

    def second(*_args: object) -> None:
        raise AssertionError("a second rjieba segmenter was made")

    monkeypatch.setattr(rjieba, "Jieba", second)
    tok = text._load_rjieba()
    assert "具身智能" in tok.cut("研究具身智能的进展", False)  # a word of the user dictionary


def test_jieba_is_silent_and_caches_in_the_user_cache_dir(tmp_path: Path) -> None:
    env = {**os.environ, "GTCBRIEF_SEGMENTER": "jieba", "GTCBRIEF_CACHE_DIR": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-c", "from gtcbrief.text import tokens; print(tokens('人形机器人'))"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert proc.stderr == ""
    assert "机器人" in proc.stdout
    assert (tmp_path / "jieba.cache").is_file()


def test_segmenter_choice_is_lazy() -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, gtcbrief.text; print('jieba' in sys.modules, 'rjieba' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout.split() == ["False", "False"]


def test_whole_text_helpers_for_ranking_and_statistics() -> None:
    norm = normalize("用 TensorRT-LLM 做检索增强生成，C++ 实现")
    assert text.latin_words(norm) == ["tensorrt-llm", "c++"]
    assert text.word_tokens(norm, search=False) == ["用", "做", "检索增强生成", "实现"]
    assert "检索" in text.word_tokens(norm)  # search mode adds the words inside


@given(st.one_of(st.text(), st.text(alphabet="ab9._+#/- 加速㐀，\n")))
def test_latin_words_are_the_latin_runs_of_the_tokens(raw: str) -> None:
    """Found on their own, not among the Chinese runs, they are the same words."""
    norm = normalize(raw)
    runs = re.finditer(text._PATTERNS["_RUNS"], norm)
    assert text.latin_words(norm) == [m["latin"] for m in runs if m["latin"] is not None]


def test_rewriting_what_the_pattern_matches_is_translating_with_the_table() -> None:
    table = text._fast_table()
    every = "".join(map(chr, [*range(0xD800), *range(0xE000, max(table) + 300)]))
    every += "\U00020000\U0002f800\U0001f600"  # beyond the BMP: matched, some not in the table
    assert text._changing().sub(text._rewrite(), every) == every.translate(table)


def test_a_text_without_a_rewritten_character_is_its_own_translation() -> None:
    table = text._fast_table()
    changing = text._changing()
    every = [*range(0xD800), *range(0xE000, 0x10000)]
    assert [c for c in every if (c in table) != bool(changing.match(chr(c)))] == []
    assert changing.match("\U00020000")  # beyond the BMP: always translated


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40))
def test_normalize_takes_the_shortcut_only_where_translating_changes_nothing(raw: str) -> None:
    table = text._fast_table()
    spelled = raw.translate(table)
    if not text._changing().search(raw):
        assert spelled == raw
    long = raw * 3 + "数" * 64  # past _SHORT: the table's path
    expected = long.translate(table)
    if not unicodedata.is_normalized("NFKC", expected):
        expected = text.to_simplified(unicodedata.normalize("NFKC", expected))
    assert normalize(long) == expected.casefold()


def test_long_texts_go_without_the_table_until_enough_have_been_normalised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # building the table costs a one-brief validate a seventh of its time
    monkeypatch.setattr(text, "_fast", None)
    monkeypatch.setattr(text, "_untabled", 0)
    monkeypatch.setattr(text, "_UNTABLED", 1000)
    long = "數據與體①㈱ＡＢＣ 中文，Ｔｅｓｔ" * 20
    assert len(long) > text._SHORT and 2 * len(long) <= 1000 < 3 * len(long)
    first, second = normalize(long), normalize(long)
    assert text._fast is None and text._untabled == 2 * len(long)
    third = normalize(long)  # past the budget: the table's path
    assert text._untabled == 2 * len(long)
    assert first == second == third == long.translate(text._fast_table()).casefold()
