"""description-mismatch: does a description belong to the session title above it?"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from typer.testing import CliRunner

from gtcbrief import mismatch
from gtcbrief.cli import app
from gtcbrief.config import Config
from gtcbrief.errors import GtcbriefError
from gtcbrief.loader import load_path, load_text
from gtcbrief.mismatch import Item, Scorer, check_mismatch, parse_glossary, score_items
from gtcbrief.model import Document

RAG = Item(
    "Deploying RAG Pipelines for Production at Scale",
    "介绍如何在生产环境中部署检索增强生成（RAG）流水线，包括向量数据库、检索和大模型推理服务的扩展。",
)
ROBOT = Item(
    "使用 NVIDIA 机器人解决方案加速端到端无序抓取的开发",
    "演讲介绍了基于 Isaac 仿真的机器人抓取方案：端到端训练抓取策略，"
    "在无序堆叠场景中提高抓取成功率。",
)
YOCO = Item(
    "YOCO: You Only Cache Once",
    "提出了解码器-解码器架构 YOCO，只缓存一次 KV，大幅降低 GPU 内存需求。",
)


def brief(*entries: tuple[str, str | None]) -> str:
    out = ["# 每日参会快报", ""]
    for title, desc in entries:
        out += [f"## 【Talks & Panels】{title}", "", "### 主题", "Research - Papers", ""]
        out += ["### 演讲人或相关公司", "Ann Lee（Engineer, Lab）", ""]
        if desc is not None:
            out += ["### 实事描述", desc, "", "### 对华为的启示", "值得跟进。", ""]
        out += ["撰稿人：张三 12345678", "", "---", ""]
    return "\n".join(out)


# ----------------------------------------------------------------- glossary


def test_glossary_links_english_and_chinese_terms_into_one_concept() -> None:
    g = parse_glossary([("robotics", "机器人"), ("robot", "机器人"), ("LLM", "大语言模型")])
    english = g.concepts("humanoid robots and robotics")
    chinese = g.concepts("人形机器人")
    assert set(english) == set(chinese)
    assert set(g.concepts("大语言模型的推理")) == set(g.concepts("serving llms"))


def test_glossary_english_terms_match_whole_words_only() -> None:
    g = parse_glossary([("rag", "检索增强生成")])
    assert g.concepts("rag pipelines")
    assert not g.concepts("storage and drag")


def test_glossary_english_terms_are_found_at_the_words_they_can_start_with() -> None:
    pairs = [("robot", "机器人"), ("box", "盒子"), ("gpu cluster", "显卡集群"), ("c++", "西加加")]
    g = parse_glossary(pairs)
    robot, box, cluster, cpp = (g.english[en] for en, _ in pairs)
    assert list(g.concepts("robots, boxes, two gpu clusters, c++")) == [robot, box, cluster, cpp]
    assert g.concept_ids("robotics, boxing, gpu, c") == set()
    # The same answers as the glossary's terms as one pattern.
    text = "robots boxes gpu clusters c++ c+++ robotses gpu-cluster xs"
    expected = [m.group(1) for m in mismatch.english_pattern(g.english).finditer(text)]
    assert list(g._english(text)) == expected and len(expected) == 5
    assert g.english_re is None  # every term starts a word: no pattern compiled


_TERMS = ["ai", "gpu", "gpu cluster", "gpus", "box", "c++", "data", "data center", "es", "s"]


@given(
    st.lists(
        st.sampled_from([*_TERMS, "s", "es", "e", " ", "-", "x", "+", "中", "center", "ess"]),
        max_size=12,
    ),
    st.lists(st.sampled_from(_TERMS), min_size=1, max_size=6),
)
@example(["gpu", " ", "cluster", "es", " ", "gpu", "s"], ["gpu", "gpu cluster"])
@example(["gpu", " ", "cluster", "ess", "gpu", "e"], ["gpu", "gpu cluster"])
@example(["box", "es", "-", "box", "e"], ["box"])
def test_english_terms_are_found_as_the_pattern_finds_them(
    pieces: list[str], terms: list[str]
) -> None:
    g = parse_glossary([(term, f"术语{i}") for i, term in enumerate(terms)])
    text = "".join(pieces)
    expected = [m.group(1) for m in mismatch.english_pattern(g.english).finditer(text)]
    assert list(g._english(text)) == expected


_ZH_TERMS = ["模型", "型训", "训练", "模型训练", "数据", "据集", "训练数据集"]


@given(
    st.text(alphabet="模型训练数据集 a", max_size=40),
    st.lists(st.sampled_from(_ZH_TERMS), min_size=1, max_size=7, unique=True),
)
@example("模型训练数据集", _ZH_TERMS)
def test_every_chinese_term_in_a_text_is_found_overlapping_ones_too(
    text: str, terms: list[str]
) -> None:
    g = parse_glossary([(f"term{i}", term) for i, term in enumerate(terms)])
    assert g.concept_ids(text) == {g.chinese[t] for t in terms if t in text}


def test_a_term_that_does_not_start_a_word_is_found_by_the_pattern() -> None:
    g = parse_glossary([(".net", "点网"), ("gpu", "显卡")])
    assert not g.word_starts and g.english_re is not None
    assert list(g._english("the .net runtime on gpus, not asp.net")) == [".net", "gpu"]


def test_shipped_glossary_has_hundreds_of_pairs_and_the_core_terms() -> None:
    rows = mismatch.read_glossary_tsv(mismatch.builtin_glossary_path())
    assert len(rows) >= 300
    g = mismatch.load_glossary()
    for en, zh in [
        ("deep learning", "深度学习"),
        ("robotics", "机器人"),
        ("inference", "推理"),
        ("retrieval-augmented generation", "检索增强生成"),
    ]:
        assert set(g.concepts(en)) & set(g.concepts(zh)), (en, zh)


def test_the_shipped_glossary_is_built_once_and_kept_in_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GTCBRIEF_CACHE_DIR", str(tmp_path))
    built = parse_glossary(mismatch.read_glossary_tsv(mismatch.builtin_glossary_path()))
    old = tmp_path / "glossary-0-old.marshal"  # an earlier format's, unused for long
    old.write_bytes(b"")
    os.utime(old, (0, 0))
    mismatch._glossary_cached.cache_clear()
    assert mismatch.load_glossary() == built  # built, and kept
    (kept,) = tmp_path.glob("glossary-*.marshal")

    def unbuildable(rows: object) -> mismatch.Glossary:
        raise AssertionError("built again")

    monkeypatch.setattr(mismatch, "parse_glossary", unbuildable)
    mismatch._glossary_cached.cache_clear()
    os.utime(kept, (0, 0))
    read = mismatch.load_glossary()
    assert kept.stat().st_mtime > time.time() - 60  # marked as used
    assert read == built and read.head_pairs is not None
    assert read.concept_ids("基于深度学习的推理") == built.concept_ids("基于深度学习的推理")
    monkeypatch.undo()

    monkeypatch.setenv("GTCBRIEF_CACHE_DIR", str(tmp_path))
    kept.write_bytes(b"damaged")
    mismatch._glossary_cached.cache_clear()
    assert mismatch.load_glossary() == built  # a damaged file is built again
    mismatch._glossary_cached.cache_clear()
    assert mismatch.load_glossary(Config(raw={"glossary": {"extension": "扩展插件"}})) != built
    assert [p.name for p in tmp_path.iterdir()] == [kept.name]  # a config's own is not kept
    mismatch._glossary_cached.cache_clear()


def test_config_extends_the_glossary(tmp_path: Path) -> None:
    item = Item("Omniverse Kit Extensions", "介绍扩展插件的开发方法和最佳实践。")
    plain = Scorer([item], mismatch.load_glossary(Config())).score_all()[0]
    table = Config(raw={"glossary": {"extension": "扩展插件"}})
    extended = Scorer([item], mismatch.load_glossary(table)).score_all()[0]
    assert plain is not None and extended is not None
    assert extended.score > plain.score
    tsv = tmp_path / "extra.tsv"
    tsv.write_text("extension\t扩展插件\n", encoding="utf-8")
    from_file = mismatch.load_glossary(
        Config(path=str(tmp_path / "x.toml"), raw={"glossary": "extra.tsv"})
    )
    assert set(from_file.concepts("extensions")) & set(from_file.concepts("扩展插件"))


def test_a_bad_glossary_setting_is_a_usage_error() -> None:
    with pytest.raises(GtcbriefError):
        mismatch.load_glossary(Config(raw={"glossary": 3}))


# ----------------------------------------------------------------- scoring


def test_traditional_and_simplified_chinese_are_the_same_text() -> None:
    g = mismatch.load_glossary()
    simplified = mismatch.features("机器人学习", g)
    traditional = mismatch.features("機器人學習", g)
    assert simplified.weights == traditional.weights


@pytest.mark.parametrize(
    "item",
    [
        pytest.param(RAG, id="english-title-chinese-description"),
        pytest.param(ROBOT, id="chinese-title"),
        pytest.param(YOCO, id="shared-acronym"),
        pytest.param(
            Item(
                "Keynote by Jensen Huang",
                "黄仁勋在开幕演讲中介绍了英伟达过去一年的进展，包括新一代 GPU 与软件平台。",
            ),
            id="a-company-and-a-person-by-their-chinese-names",
        ),
        pytest.param(
            Item(
                "How Microsoft Builds Azure AI Infrastructure",
                "微软介绍了其云平台上人工智能超算的建设经验。",
            ),
            id="a-company-and-its-cloud",
        ),
        pytest.param(
            Item("The Future of Sovereign AI", "本场讨论主权人工智能的未来。"),
            id="everyday-title-words",
        ),
    ],
)
def test_a_fitting_description_scores_well_even_alone(item: Item) -> None:
    (m,) = score_items([item])
    assert m is not None
    assert m.score >= mismatch.DEFAULT_THRESHOLD
    assert m.matched


def test_an_unrelated_description_scores_below_the_default_threshold_even_alone() -> None:
    (m,) = score_items([Item(RAG.title, ROBOT.description)])
    assert m is not None
    assert m.score < mismatch.DEFAULT_THRESHOLD


def test_swapped_descriptions_are_flagged_with_each_others_title_as_suggestion() -> None:
    items = [Item(RAG.title, ROBOT.description), Item(ROBOT.title, RAG.description), YOCO]
    results = score_items(items)
    first, second, third = results
    assert first is not None and second is not None and third is not None
    assert first.score < mismatch.DEFAULT_THRESHOLD <= third.score
    assert second.score < mismatch.DEFAULT_THRESHOLD
    assert (first.suggestion, second.suggestion) == (1, 0)
    assert (first.swapped_with, second.swapped_with) == (1, 0)
    assert third.suggestion is None


def test_entries_without_a_description_are_not_scored() -> None:
    results = score_items([Item(RAG.title, None), YOCO])
    assert results[0] is None
    assert results[1] is not None


def test_the_dictionary_bridges_english_title_words_to_chinese_text() -> None:
    item = Item("All-Pairs Shortest Paths", "研究图上所有点对之间的最短路径问题，给出更快的算法。")
    g = mismatch.load_glossary()
    without = Scorer([item], g, {}).score_all()[0]
    lex = {"shortest": ("最短",), "path": ("路径", "小路")}
    with_lex = Scorer([item], g, lex).score_all()[0]
    assert without is not None and with_lex is not None
    assert with_lex.score > without.score
    assert any("路径" in s for s in with_lex.matched) or "path" in with_lex.matched


@pytest.mark.parametrize(
    ("title", "description", "word"),
    [
        pytest.param(
            "Accelerating Drug Discovery", "加速药物发现。", "accelerating", id="ing-form"
        ),
        pytest.param("Generative AI", "生成式模型。", "generative", id="inside-a-longer-term"),
        pytest.param("Deploying Models", "部署模型。", "model", id="too-common-for-cc-cedict"),
    ],
)
def test_a_title_word_matches_its_glossary_term_in_any_dictionary_form(
    title: str, description: str, word: str
) -> None:
    """The glossary's own matching takes only plurals, and a longer term (generative
    ai) hides a shorter one; the title word still finds its concept."""
    (m,) = Scorer([Item(title, description)], mismatch.load_glossary(), {}).score_all()
    assert m is not None and word in m.matched and m.score > 0.35


def test_cedict_lines_are_inverted_into_english_to_chinese() -> None:
    lines = [
        "# comment",
        "機器人 机器人 [ji1 qi4 ren2] /robot/",
        "路徑 路径 [lu4 jing4] /path/route/",
        "最短 最短 [zui4 duan3] /(of length) shortest/",
        "人 人 [ren2] /person/",
    ]
    lex = mismatch.parse_cedict(lines)
    assert lex["robot"] == ("机器人",)
    assert lex["path"] == ("路径",) and lex["route"] == ("路径",)
    assert lex["shortest"] == ("最短",)
    assert "person" not in lex  # one-character headwords are too ambiguous


def test_explanation_names_matched_and_missing_terms() -> None:
    items = [Item(RAG.title, "本文讨论RAG系统的评估方法。")]
    (m,) = score_items(items)
    assert m is not None
    message = mismatch.message_of(m, items)
    assert "rag" in message and "missing:" in message
    evidence = mismatch.evidence_of(m, items)
    assert "own coverage" in evidence and "score =" in evidence


# ----------------------------------------------------------------- the validate rule


def test_threshold_comes_from_the_argument_then_config_then_default() -> None:
    assert mismatch.resolve_threshold(Config(), None) == mismatch.DEFAULT_THRESHOLD
    assert mismatch.resolve_threshold(Config(raw={"mismatch_threshold": 0.2}), None) == 0.2
    assert mismatch.resolve_threshold(Config(raw={"mismatch_threshold": 0.2}), 0.9) == 0.9
    with pytest.raises(GtcbriefError):
        mismatch.resolve_threshold(Config(raw={"mismatch_threshold": "high"}), None)


def test_check_mismatch_sits_on_the_heading_line_with_score_and_suggestion() -> None:
    text = brief(
        (RAG.title, ROBOT.description),
        (ROBOT.title, RAG.description),
        (YOCO.title, YOCO.description),
        ("Untitled talk", None),
    )
    doc = load_text(text, "b.md")
    found = list(check_mismatch([doc], Config()))
    headings = {e.title: e.line for e in doc.entries}
    assert [(d.line, d.code, d.name) for d in found] == [
        (headings[RAG.title], "GB301", "description-mismatch"),
        (headings[ROBOT.title], "GB301", "description-mismatch"),
    ]
    assert found[0].suggestion == ROBOT.title
    assert found[0].score is not None and 0.0 <= found[0].score < 1.0
    assert found[0].extras["swapped_with"]["line"] == headings[ROBOT.title]


def test_a_suggestion_in_another_file_is_named_by_its_path() -> None:
    """'(line 3)' alone reads as this file's line 3: the entry's own heading."""
    one = load_text(brief((RAG.title, ROBOT.description), (YOCO.title, YOCO.description)), "a.md")
    two = load_text(brief((ROBOT.title, RAG.description)), "b.md")
    found = {d.path: d.message for d in check_mismatch([one, two], Config())}
    assert f"(b.md:{two.entries[0].line})" in found["a.md"]
    assert f"(a.md:{one.entries[0].line})" in found["b.md"]
    same = list(check_mismatch([load_text(brief((RAG.title, ROBOT.description),
                                                  (ROBOT.title, RAG.description)), "c.md")],
                               Config()))  # fmt: skip
    assert all(re.search(r"\(line \d+\)", d.message) for d in same)


def test_a_threshold_above_one_reports_every_described_entry() -> None:
    text = brief((RAG.title, RAG.description), (YOCO.title, YOCO.description), ("Later", None))
    found = list(check_mismatch([load_text(text, "b.md")], Config(), threshold=1.01))
    assert len(found) == 2
    assert all(d.score is not None and d.score >= mismatch.DEFAULT_THRESHOLD for d in found)


def test_seed_brief_flags_the_mismatched_entries_and_skips_empty_ones(shared: Path) -> None:
    doc = load_path(str(shared / "seeds" / "000_5ef59784ab73fb50.txt"))
    described = {e.line for e in doc.entries if e.description}
    empty = {e.line for e in doc.entries if not e.description}
    flagged = {d.line for d in check_mismatch([doc], Config())}
    assert len(described) == 11 and len(empty) == 8
    assert not flagged & empty
    assert len(flagged) >= 9  # the seed's descriptions almost all belong to other sessions
    assert 3 in flagged  # the robotics-simulation talk described by an LLM data-selection paper
    every = list(check_mismatch([doc], Config(), threshold=1.01))
    assert {d.line for d in every} == described


def test_validate_json_reports_the_score_of_every_entry_at_threshold_above_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "b.md"
    path.write_text(
        brief(
            (RAG.title, ROBOT.description),
            (ROBOT.title, RAG.description),
            (YOCO.title, YOCO.description),
            ("Later", None),
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["validate", str(path), "--format", "json", "--mismatch-threshold", "1.01"]
    )
    records = [d for d in json.loads(result.stdout) if d["name"] == "description-mismatch"]
    assert len(records) == 3
    assert all(0.0 <= d["score"] <= 1.0 and d["code"] == "GB301" for d in records)
    assert records[0]["suggestion"] == ROBOT.title


def test_notes_are_not_scored_only_briefs(shared: Path) -> None:
    notes = load_path(str(shared / "seeds" / "002_c05e3898db6920d2.txt"))
    assert notes.format == "notes" and notes.entries
    assert list(check_mismatch([notes], Config(), threshold=1.01)) == []


def test_without_cc_cedict_the_rule_still_scores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mismatch, "_cedict_path", lambda: None)
    monkeypatch.setattr(mismatch, "_lexicon", None)
    assert mismatch.lexicon() == {}
    (m,) = score_items([RAG])
    assert m is not None and m.score >= mismatch.DEFAULT_THRESHOLD


def test_the_inverted_dictionary_is_cached_and_reloaded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = tmp_path / "cedict.txt"
    source.write_text("機器人 机器人 [ji1 qi4 ren2] /robot/\n", encoding="utf-8")
    monkeypatch.setattr(mismatch, "_cedict_path", lambda: source)
    monkeypatch.setattr(mismatch, "_lexicon", None)
    assert mismatch.lexicon() == {"robot": ("机器人",)}
    assert len(list((tmp_path / "cache").glob("lexicon-*.marshal"))) == 1
    monkeypatch.setattr(mismatch, "_lexicon", None)
    assert mismatch.lexicon() == {"robot": ("机器人",)}  # from the cache
    monkeypatch.setattr(mismatch, "_lexicon", None)
    source.write_text("", encoding="utf-8")  # a different size: the cache key changes
    assert mismatch.lexicon() == {}


def test_two_installs_sharing_the_cache_each_keep_their_dictionary(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """pre-commit's environment and an analyst's: neither parses CC-CEDICT again
    because the other ran in between."""
    ours, theirs = tmp_path / "ours.txt", tmp_path / "theirs.txt"
    ours.write_text("機器人 机器人 [ji1 qi4 ren2] /robot/\n", encoding="utf-8")
    theirs.write_text("機器人 机器人 [ji1 qi4 ren2] /robot/\n\n", encoding="utf-8")
    for source in (ours, theirs):
        monkeypatch.setattr(mismatch, "_cedict_path", lambda source=source: source)
        monkeypatch.setattr(mismatch, "_lexicon", None)
        assert mismatch.lexicon() == {"robot": ("机器人",)}  # parsed, and kept
    assert len(list((tmp_path / "cache").glob("lexicon-*.marshal"))) == 2

    def unparsable(lines: object) -> dict[str, tuple[str, ...]]:
        raise AssertionError("parsed again")

    monkeypatch.setattr(mismatch, "parse_cedict", unparsable)
    kept = list((tmp_path / "cache").glob("lexicon-*.marshal"))
    for path in kept:
        os.utime(path, (0, 0))
    for source in (ours, theirs, ours):
        monkeypatch.setattr(mismatch, "_cedict_path", lambda source=source: source)
        monkeypatch.setattr(mismatch, "_lexicon", None)
        assert mismatch.lexicon() == {"robot": ("机器人",)}
    assert all(path.stat().st_mtime > time.time() - 60 for path in kept)  # marked as used


def test_a_kept_file_in_use_is_marked_so_that_it_stays(tmp_path: Path) -> None:
    from gtcbrief.text import KEPT_DAYS, keep_file, kept_file_used

    used, unused = tmp_path / "x-used.bin", tmp_path / "x-unused.bin"
    for path in (used, unused):
        path.write_bytes(b"")
        os.utime(path, (0, 0))
    kept_file_used(str(used))  # read today
    assert used.stat().st_mtime > time.time() - 60
    assert keep_file(str(tmp_path / "x-new.bin"), b"new", replacing="x-")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x-new.bin", "x-used.bin"]
    assert KEPT_DAYS >= 7


def test_the_cached_dictionary_splits_a_word_s_translations_when_asked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    source = tmp_path / "cedict.txt"
    source.write_text(
        "機器人 机器人 [ji1 qi4 ren2] /robot/\n機械人 机械人 [ji1 xie4 ren2] /robot/\n"
        "部署 部署 [bu4 shu3] /to deploy/\n",
        encoding="utf-8",
    )
    stale = tmp_path / "cache" / "lexicon-2-1-1.marshal"  # an earlier format's cache
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    os.utime(stale, (0, 0))  # unused for long
    monkeypatch.setattr(mismatch, "_cedict_path", lambda: source)
    monkeypatch.setattr(mismatch, "_lexicon", None)
    parsed = dict(mismatch.lexicon())
    assert parsed == {"robot": ("机器人", "机械人"), "deploy": ("部署",)}
    assert not stale.exists()  # writing the new cache removed it
    monkeypatch.setattr(mismatch, "_lexicon", None)
    cached = mismatch.lexicon()
    assert isinstance(cached, mismatch.Lexicon) and cached == parsed
    assert cached.get("robot") == ("机器人", "机械人") and cached["deploy"] == ("部署",)
    assert cached.get("robots") is None and "robots" not in cached
    assert mismatch.translations("deploying", cached) == ("部署",)


def test_an_item_whose_features_are_made_keeps_all_that_scoring_reads() -> None:
    from dataclasses import replace

    from gtcbrief.loader import load_path

    for entry in load_path("samples/gtc-daily-brief.md").entries:
        full = mismatch.item_of(entry)
        assert mismatch.placed_item_of(entry) == replace(full, track=None, speakers=None)


F, M = True, False  # found, missing
B = F, M


@pytest.mark.parametrize(
    ("bigrams", "found", "missing"),
    [
        pytest.param([("模型", F), ("型训", M), ("训练", M), ("练数", M), ("数据", F)],
                     ["模型", "数据"], ["训练"], id="runs-merge"),
        pytest.param([("强化", F), ("化学", M), ("学习", F)], ["强化", "学习"], [],
                     id="where-two-found-words-meet-is-no-missing-word"),
        pytest.param([("学习", F), ("习运", M), ("运动", M), ("动控", M), ("控制", F)],
                     ["学习", "控制"], ["运动"], id="a-missing-word-between-found-ones"),
        pytest.param([("强化", F), ("控制", F)], ["强化", "控制"], [],
                     id="apart-in-the-title-two-words"),
        pytest.param([("注意", M), ("意力", M)], [], ["注意力"], id="all-missing"),
    ],
)  # fmt: skip
def test_bigram_runs_read_as_the_title_words_found_and_missing(
    bigrams: list[tuple[str, bool]], found: list[str], missing: list[str]
) -> None:
    assert mismatch._merged_runs(bigrams) == (found, missing)


@given(st.lists(st.tuples(st.text(alphabet="模型训练数据", min_size=2, max_size=2), st.booleans())))
def test_every_run_is_made_of_its_own_sides_bigrams(bigrams: list[tuple[str, bool]]) -> None:
    found, missing = mismatch._merged_runs(bigrams)
    pairs = {side: {b for b, hit in bigrams if hit is side} for side in B}
    for words, side in ((found, True), (missing, False)):
        for word in words:
            assert len(word) >= 2
            assert all(word[k : k + 2] in pairs[side] for k in range(len(word) - 1))


def test_a_feature_reads_as_its_key_unless_it_is_a_concept() -> None:
    glossary = mismatch.parse_glossary([("retrieval augmented generation", "检索增强生成")])
    found = mismatch.features("RAG: Retrieval Augmented Generation 检索增强", glossary)
    concepts = [key for key in found.weights if key.startswith("c:")]
    assert concepts and set(found.surface) == set(concepts)  # only concepts keep a surface
    assert found.shown(concepts[0]) == "retrieval augmented generation"
    assert {"l:rag", "b:检索"} <= set(found.weights)
    assert found.shown("l:rag") == "rag" and found.shown("b:检索") == "检索"


def test_explain_prints_the_evidence_under_each_mismatch() -> None:
    result = CliRunner().invoke(
        app, ["validate", "samples/gtc-daily-brief.md", "--select", "GB301", "--explain"]
    )
    lines = result.stdout.splitlines()
    first = lines.index(next(x for x in lines if x.startswith("samples/gtc-daily-brief.md:3:1:")))
    assert lines[first + 1].startswith("    = own coverage 0.000")
    assert any(x.startswith("    = score = own / (own + max(competitors))") for x in lines)
    plain = CliRunner().invoke(app, ["validate", "samples/gtc-daily-brief.md", "--select", "GB301"])
    assert "    = " not in plain.stdout


def test_mismatch_warns_by_default_and_can_be_made_to_block(tmp_path: Path) -> None:
    brief = "samples/gtc-daily-brief.md"
    default = CliRunner().invoke(app, ["validate", brief, "--select", "GB301"])
    assert default.exit_code == 0 and "GB301" in default.stdout
    config = tmp_path / "strict.toml"
    config.write_text(
        '[tool.gtcbrief.severity]\ndescription-mismatch = "error"\n', encoding="utf-8"
    )
    strict = CliRunner().invoke(
        app, ["validate", brief, "--select", "GB301", "--config", str(config)]
    )
    assert strict.exit_code == 1


# ----------------------------------------------------------------- corpus scale


def _arxiv_items() -> list[Item]:
    """Real titles and Chinese summaries (../shared/corpus/daily-arxiv), every third
    description moved to the next entry's title: a corpus with misplaced ones."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "eval_datasets", Path(__file__).resolve().parent.parent / "eval" / "datasets.py"
    )
    assert spec is not None and spec.loader is not None
    datasets = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = datasets  # dataclasses look their module up
    spec.loader.exec_module(datasets)
    papers = [p for p in datasets.arxiv_papers() if p.abstract][:240]
    assert len(papers) == 240
    items = []
    for i, p in enumerate(papers):
        owner = papers[i + 1] if i % 3 == 0 and i + 1 < len(papers) else p
        title = p.en_title if i % 5 else p.zh_title
        items.append(Item(title, owner.abstract, track=p.category, path="a.md", line=i + 1))
    return items


@pytest.mark.parametrize(
    ("dense_cells", "dense_per_triple", "block_triples"),
    [
        pytest.param(None, None, None, id="as-configured"),
        pytest.param(1 << 20, 1 << 20, None, id="dense-cells-in-one-block"),
        pytest.param(1000, 1 << 20, None, id="dense-cells-in-blocks-of-4-rows"),
        pytest.param(None, 0, None, id="sorted-pairs"),
        pytest.param(None, 0, 5000, id="sorted-pairs-in-small-blocks"),
    ],
)
@pytest.mark.usefixtures("shared")  # (the corpus _arxiv_items reads)
def test_numpy_paths_give_the_pure_loops_results(
    monkeypatch: pytest.MonkeyPatch,
    dense_cells: int | None,
    dense_per_triple: int | None,
    block_triples: int | None,
) -> None:
    for name, value in [
        ("_DENSE_CELLS", dense_cells),
        ("_DENSE_PER_TRIPLE", dense_per_triple),
        ("_BLOCK_TRIPLES", block_triples),
    ]:
        if value is not None:
            monkeypatch.setattr(mismatch, name, value)
    items = _arxiv_items()
    glossary, lex = mismatch.load_glossary(), mismatch.lexicon()
    monkeypatch.setenv("GTCBRIEF_NUMPY", "0")
    plain = Scorer(items, glossary, lex)
    pure = plain.score_all()
    monkeypatch.setenv("GTCBRIEF_NUMPY", "1")
    fast = Scorer(items, glossary, lex)
    assert fast.descs == plain.descs  # description keys, matched in numpy
    assert fast.idf == plain.idf
    vectorised = fast.score_all()
    assert vectorised == pure
    assert sum(1 for m in pure if m and m.suggestion is not None) >= 20  # the test has teeth


def test_character_pairs_are_found_by_grid_and_by_search_alike(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import numpy as np

    keys = ["机器", "器人", "推理", "理模", "ab", "a\U0001f600", "\U0001f600b"]
    texts = ["机器人推理模型", "ab a\U0001f600b 器人", "", "推", "理推理"]
    _, pairs = mismatch._pair_codes(np, texts)
    joined = [t[i : i + 2] for t in texts for i in range(len(t) - 1)]
    expected = [(n, keys.index(p)) for n, p in enumerate(joined) if p in keys]
    assert len(expected) == 9
    grid = mismatch._pair_finder(np, keys)(pairs)
    assert list(zip(*(a.tolist() for a in grid), strict=True)) == expected
    monkeypatch.setattr(mismatch, "_GRID_MAX", 0)  # a grid too large: binary search
    searched = mismatch._pair_finder(np, keys)(pairs)
    assert all(np.array_equal(a, b) for a, b in zip(grid, searched, strict=True))


def _pure_and_numpy(monkeypatch: pytest.MonkeyPatch, items: list[Item]) -> tuple[Scorer, Scorer]:
    """Scorers of ``items`` set up by the pure-Python path and by the numpy one."""
    glossary, lex = mismatch.load_glossary(), mismatch.lexicon()
    monkeypatch.setenv("GTCBRIEF_NUMPY", "0")
    plain = Scorer(items, glossary, lex)
    monkeypatch.setenv("GTCBRIEF_NUMPY", "1")
    return plain, Scorer(items, glossary, lex)


def test_numpy_paths_agree_where_normalising_twice_changes_the_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 薴 normalises to 苧, which normalises again to 苎: bigrams come from the second form.
    items = [
        Item("苎麻纤维的纺织应用", "介绍薴麻纤维在纺织中的应用与苎麻育种。"),
        Item("Robot grasping", "机器人抓取策略，在无序场景中提高成功率。"),
        Item("苎麻 fibre shortest paths", "最短路径算法用于苎麻纤维物流。"),
    ]
    plain, fast = _pure_and_numpy(monkeypatch, items)
    assert fast.descs == plain.descs
    vectorised = fast.score_all()
    monkeypatch.setenv("GTCBRIEF_NUMPY", "0")  # each scores as it was set up
    assert vectorised == plain.score_all()
    assert "b:苎麻" in plain.keyset(0)  # the test has teeth


def test_numpy_paths_agree_on_titles_without_features_and_entries_without_descriptions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # empty title sides between others (each title's keys are laid end to end) and
    # items with no description, whose coverage is never worked out
    items = [
        Item("", "机器人抓取策略，在无序场景中提高成功率。"),
        Item("Robot grasping policies", "机器人抓取策略，在无序场景中提高成功率。"),
        Item("的", None),
        Item("", "最短路径算法用于苎麻纤维物流。"),
        Item("Shortest paths for fibre logistics", "最短路径算法用于纤维物流。"),
        Item("Robot grasping", None),
        Item("GPU inference serving", "推理服务在GPU上的部署与调度。"),
    ]
    plain, fast = _pure_and_numpy(monkeypatch, items)
    vectorised = fast.score_all()
    monkeypatch.setenv("GTCBRIEF_NUMPY", "0")
    assert vectorised == plain.score_all()
    assert not fast.titles[0].weights and not fast.titles[3].weights  # the test has teeth
    assert sum(1 for m in vectorised if m and m.own > 0) >= 3


@pytest.mark.parametrize("block_chars", [1 << 18, 1], ids=["one-block", "a-block-each"])
def test_numpy_paths_find_longer_translations_only_whole_and_within_one_text(
    monkeypatch: pytest.MonkeyPatch, block_chars: int
) -> None:
    # robot → 机器人: its head 机器 and the pair 器人 must follow in the same text.
    monkeypatch.setattr(mismatch, "_BLOCK_CHARS", block_chars)
    items = [
        Item("Robot inference", "本文讨论服务的部署与机器"),  # head at the very end
        Item("Robot inference", "器人调度的延迟，机器\x00人不算"),  # the rest in the next text
        Item("Robot inference", "机器学习与机器人在仓库里推理，机器人再次出现"),
        Item("Robot inference", "机器机器人"),  # the head twice, the second one whole
        Item("Storage", "无关的描述文字，机"),
    ]
    plain, fast = _pure_and_numpy(monkeypatch, items)
    assert fast.descs == plain.descs
    has_robot = ["l:robot" in plain.keyset(i) for i in range(len(items))]
    assert has_robot == [False, False, True, True, False]  # the test has teeth


# ----------------------------------------------------------------- feature cache


def _scored(docs: list[Document], config: Config) -> list[tuple[int, float | None, str]]:
    return [(d.line, d.score, d.message) for d in check_mismatch(docs, config, threshold=1.01)]


def test_unchanged_briefs_are_not_featurised_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = [
        brief((RAG.title, ROBOT.description), (ROBOT.title, RAG.description)),
        brief((YOCO.title, YOCO.description)),
    ]
    docs = [load_text(t, f"b{i}.md") for i, t in enumerate(texts)]
    first = _scored(docs, Config())
    calls: list[int] = []
    real = mismatch.prepare
    monkeypatch.setattr(
        mismatch, "prepare", lambda items, *a: calls.append(len(items)) or real(items, *a)
    )
    assert _scored(docs, Config()) == first
    assert calls == []  # both documents came from the cache
    docs[1] = load_text(texts[1] + "\n<!-- edited -->\n", "b1.md")
    assert _scored(docs, Config()) == first
    assert calls == [1]  # only the edited one


def test_a_glossary_change_is_not_served_stale_features(tmp_path: Path) -> None:
    item = ("Omniverse Kit Extensions", "介绍扩展插件的开发方法和最佳实践。")
    docs = [load_text(brief(item, (RAG.title, RAG.description)), "b.md")]
    (plain,) = [s for line, s, _ in _scored(docs, Config()) if line == 3]
    extended_config = Config(raw={"glossary": {"extension": "扩展插件"}})
    (extended,) = [s for line, s, _ in _scored(docs, extended_config) if line == 3]
    assert plain is not None and extended is not None and extended > plain


def test_damaged_cached_features_are_recomputed(tmp_path: Path) -> None:
    docs = [
        load_text(brief((RAG.title, ROBOT.description), (YOCO.title, YOCO.description)), "b.md")
    ]
    first = _scored(docs, Config())
    folders = list((tmp_path / "cache").glob("features-*"))
    assert folders
    for entry in folders[0].rglob("*"):
        if entry.is_file():
            entry.write_bytes(b"\x00broken")
    assert _scored(docs, Config()) == first


def test_featurising_in_worker_processes_gives_the_same_findings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GTCBRIEF_NO_CACHE", "1")
    texts = [
        brief((RAG.title, ROBOT.description), (ROBOT.title, RAG.description)),
        brief((YOCO.title, YOCO.description), ("Omniverse Kit Extensions", "介绍扩展插件。")),
        brief((RAG.title, None)),
    ]
    docs = [load_text(t, f"b{i}.md") for i, t in enumerate(texts)]
    serial = _scored(docs, Config())
    monkeypatch.setattr(mismatch, "PREPARE_IN_WORKERS_FROM", 1)
    decoded: list[int] = []
    real = mismatch._decode_prepared

    def decoding(blob: bytes, count: int) -> list[mismatch.Prepared] | None:
        decoded.append(count)  # only worker results are decoded when nothing is cached
        return real(blob, count)

    monkeypatch.setattr(mismatch, "_decode_prepared", decoding)
    assert _scored(docs, Config()) == serial
    assert sorted(decoded) == [1, 2, 2]


def test_briefs_featurised_by_the_loaders_workers_give_the_same_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gtcbrief.loader import iter_documents

    monkeypatch.setenv("GTCBRIEF_NO_CACHE", "1")
    texts = [
        brief((RAG.title, ROBOT.description), (ROBOT.title, RAG.description)),
        brief((YOCO.title, YOCO.description), ("Omniverse Kit Extensions", "介绍扩展插件。")),
        brief((RAG.title, None)),
        "# Notes\n\n- a talk\n  - a note\n",
    ]
    for i, text in enumerate(texts):
        (tmp_path / f"b{i}.md").write_text(text, encoding="utf-8")
    serial = _scored(list(iter_documents([str(tmp_path)], jobs=1)), Config())
    mismatch.featurise_while_loading(Config())
    try:
        docs = list(iter_documents([str(tmp_path)], jobs=2))
        decoded: list[int] = []
        real = mismatch._decode_prepared

        def decoding(blob: bytes, count: int) -> list[mismatch.Prepared] | None:
            decoded.append(count)  # nothing is cached: only worker results are decoded
            return real(blob, count)

        def featurising(todo: list[list[Item]], _: object) -> list[list[mismatch.Prepared]]:
            assert not todo, "featurised again"
            return []

        monkeypatch.setattr(mismatch, "_decode_prepared", decoding)
        monkeypatch.setattr(mismatch, "_prepare_many", featurising)
        assert _scored(docs, Config()) == serial
        assert sorted(decoded) == [1, 2, 2]
    finally:
        mismatch.featurise_while_loading(None)


def test_the_loaders_workers_store_the_features_they_make(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gtcbrief.cache import BlobStore
    from gtcbrief.loader import iter_documents

    texts = [
        brief((RAG.title, ROBOT.description), (ROBOT.title, RAG.description)),
        brief((YOCO.title, YOCO.description)),
        "# Notes\n\n- a talk\n  - a note\n",
    ]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i, text in enumerate(texts):
        (corpus / f"b{i}.md").write_text(text, encoding="utf-8")
    stale = tmp_path / "cache" / f"features-{mismatch.FEATURES_FORMAT}" / "zz" / "stale"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    os.utime(stale, (0, 0))
    mismatch.featurise_while_loading(Config())
    try:
        docs = list(iter_documents([str(corpus)], jobs=2, cache=False))
        puts: list[str] = []
        real_put = BlobStore.put

        def put(self: BlobStore, key: str, blob: bytes) -> None:
            puts.append(key)
            real_put(self, key, blob)

        monkeypatch.setattr(BlobStore, "put", put)
        first = _scored(docs, Config())
    finally:
        mismatch.featurise_while_loading(None)
    assert puts == []  # the workers stored them: not again here
    assert not stale.exists()  # and what they wrote counts for pruning
    (folder,) = (tmp_path / "cache").glob("features-*")
    assert len([f for f in folder.rglob("*") if f.is_file()]) == 2

    def featurising(items: object, *_: object) -> object:
        raise AssertionError("featurised again")

    monkeypatch.setattr(mismatch, "prepare", featurising)
    assert _scored(docs, Config()) == first  # all from the cache the workers wrote


def test_worker_features_of_another_text_are_not_used() -> None:
    from gtcbrief import loader

    doc = load_text(brief((RAG.title, RAG.description)), "a.md")
    loader._also_done["a.md"] = (doc.source + " ", b"stale")
    assert loader.worker_result(doc) is None
    loader._also_done["a.md"] = (doc.source, b"fresh")
    assert loader.worker_result(doc) == b"fresh"
    assert loader.worker_result(doc) is None  # handed out once


ROBOT_LEARNING = (
    "Robot learning in simulation for robotics: robots learn to grasp in simulation, "
    "then in the real world."
)


def test_missing_terms_list_the_speakers_names_last() -> None:
    """A speaker's rare name outweighs a title word, but no description is expected to
    name its speaker: the title's and the track's terms come first."""
    track = "Robotics - Robotics Simulation"
    others = [
        Item(f"Session {k} on robot learning in simulation", ROBOT_LEARNING, track=track)
        for k in range(12)
    ]  # so the title's words are common, and the speakers' names rare
    item = Item(
        "Robot Learning in Simulation",
        "本文提出一种检索增强生成方法，提高问答准确率。",
        track=track,
        speakers="Zhenyuan Zhang Tencent Technology",
    )
    glossary = mismatch.load_glossary()
    features = mismatch.title_features(item, glossary)
    assert {"l:zhenyuan", "l:tencent"} <= features.speakers_only
    assert not features.speakers_only & {"l:robot", "l:simulation"}
    scorer = Scorer([*others, item], glossary, mismatch.lexicon())
    match = scorer.score_all()[-1]
    assert match is not None
    weight = {k: w * scorer.idf.get(k, scorer.default_idf) for k, w in features.weights.items()}
    assert weight["l:zhenyuan"] > weight["l:robot"]  # the test has teeth
    names = {"zhenyuan", "zhang", "tencent", "technology"}
    firsts = [term for term in match.missing if term not in names]
    assert firsts and "simulation" in firsts
    assert list(match.missing[: len(firsts)]) == firsts  # every name after them
    # The feature cache keeps which keys were the speakers' alone.
    blob = mismatch._encode_prepared([(features, None)])
    assert mismatch._decode_prepared(blob, 1) == [(features, None)]


@pytest.mark.usefixtures("shared")
def test_explained_terms_are_the_same_worked_out_alone_or_from_the_scores() -> None:
    items = _arxiv_items()[:60]
    scorer = Scorer(items, mismatch.load_glossary(), mismatch.lexicon())
    scored = scorer.score_all()
    explained = [m for m in scored if m is not None and (m.matched or m.missing)]
    assert len(explained) == sum(1 for it in items if it.description)  # the test has teeth
    for m in explained:
        assert scorer.explain_terms(m.index, m.index) == (m.matched, m.missing)


def test_a_speakers_name_or_organisation_is_never_reported_missing() -> None:
    quiet = Item(
        "Robotics Simulation With Isaac Sim",
        "介绍大语言模型训练数据的选择方法，与机器人无关。",
        speakers="Mingyu Zhao Manycore Tech",
    )
    named = Item(
        "Robotics Simulation With Isaac Sim",
        "Mingyu Zhao 介绍了 Isaac Sim 中的机器人仿真。",
        speakers="Mingyu Zhao Manycore Tech",
    )
    glossary = mismatch.load_glossary()
    scorer = Scorer([quiet, named], glossary)
    quiet_missing = scorer.explain_terms(0, 0)[1]
    named_matched = scorer.explain_terms(1, 1)[0]
    assert "simulation" in quiet_missing  # the title's terms are
    assert not {"mingyu", "zhao", "manycore", "tech"} & set(quiet_missing)
    assert {"mingyu", "zhao"} <= set(named_matched)  # found, a speaker's name still counts
