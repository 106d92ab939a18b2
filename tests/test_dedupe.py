"""dedupe: copied descriptions and sessions reported twice, as clusters."""

from __future__ import annotations

import json
import os
import random
import zlib
from pathlib import Path

import pytest
from conftest import SAMPLES, damage_kept_texts
from typer.testing import CliRunner

from gtcbrief import dedupe
from gtcbrief.cli import app
from gtcbrief.config import Config
from gtcbrief.dedupe import Record, find_duplicates
from gtcbrief.loader import load_text
from gtcbrief.mismatch import check_copied
from gtcbrief.model import Document

SOURCE = (
    "提出了一个解码器-解码器架构YOCO，用于大型语言模型学习。YOCO架构只缓存一次KV，由两个组件组成，"
    "即堆叠在自解码器之上的交叉解码器。自解码器有效地编码全局键值缓存，通过交叉注意力被交叉解码器重用。"
    "该设计大幅降低了GPU内存需求，且具有全局注意力的能力。在512K长序列下实现了9.4倍的内存节省，"
    "预填充时延从180秒降低到6秒。"
)
OTHER = (
    "研究者通过对30位机器学习数据集策展人的访谈，提出了在数据集策展生命周期中面临的挑战和权衡的"
    "全面分类法。研究发现，公平性应贯穿于策展过程的各个阶段，包括需求、设计、实施、评估和维护。"
)
THIRD = (
    "演讲介绍了基于仿真的机器人抓取方案：先在虚拟环境中生成大量无序堆叠场景，再端到端训练抓取策略，"
    "最后迁移到真实产线，抓取成功率提升到百分之九十以上，节拍时间缩短三成。"
)

# Another author's account of SOURCE's talk: same facts, own words.
REWRITE = (
    "YOCO是一种解码器-解码器架构：自解码器生成全局键值缓存，交叉解码器通过交叉注意力复用它，"
    "所以KV只缓存一次。这样GPU内存需求大幅降低，512K长序列下内存节省9.4倍，预填充时延从180秒降到6秒。"
)


def typos(text: str, every: int = 25) -> str:
    return "".join("错" if i % every == 7 else ch for i, ch in enumerate(text))


def reorder(text: str) -> str:
    parts = [p + "。" for p in text.split("。") if p]
    return "".join(parts[2:] + parts[:2])


@pytest.mark.parametrize(
    "copy",
    [
        pytest.param(SOURCE, id="exact"),
        pytest.param(SOURCE[: int(len(SOURCE) * 0.55)], id="truncated"),
        pytest.param(reorder(SOURCE), id="reordered"),
        pytest.param(typos(SOURCE), id="typos"),
        pytest.param(typos(reorder(SOURCE[:150])), id="truncated-reordered-typos"),
    ],
)
def test_a_copied_description_under_another_title_is_one_cluster(copy: str) -> None:
    records = [
        Record("a.md", 3, "Fundamentals of Deep Learning", SOURCE),
        Record("a.md", 20, "Data Curation for Fairness", OTHER),
        Record("b.md", 3, "NVIDIA 革新智能座舱技术发展", copy),
        Record("b.md", 20, "使用 NVIDIA 机器人解决方案加速端到端无序抓取的开发", THIRD),
    ]
    (cluster,) = find_duplicates(records)
    assert cluster.members == (0, 2)
    assert cluster.kind == "copied-description"
    assert dedupe.DEFAULT_THRESHOLD <= cluster.score <= 1.0


def test_the_same_session_reported_twice_by_two_authors_is_same_session() -> None:
    records = [
        Record("zhang.md", 3, "Deploying RAG Pipelines for Production at Scale", SOURCE),
        Record("li.md", 9, "Deploying RAG Pipelines for Production at Scale ", REWRITE),
        Record("li.md", 30, "Fundamentals of Accelerated Data Science", THIRD),
    ]
    (cluster,) = find_duplicates(records)
    assert cluster.members == (0, 1)
    assert cluster.kind == "same-session"


def test_one_title_over_unrelated_descriptions_is_not_one_session() -> None:
    records = [
        Record("zhang.md", 3, "Deploying RAG Pipelines for Production at Scale", SOURCE),
        Record("li.md", 9, "Deploying RAG Pipelines for Production at Scale", OTHER),
    ]
    assert find_duplicates(records) == []


# Two English accounts of one keynote, and an English account of another talk.
KEYNOTE = (
    "Jensen Huang introduced the Blackwell Ultra platform and described how the new "
    "NVLink switch connects seventy-two GPUs into one rack-scale system for training "
    "trillion-parameter models."
)
KEYNOTE_REWRITE = (
    "Blackwell Ultra was the headline: seventy-two GPUs joined by NVLink switches act as "
    "one rack-scale machine, which Huang said is what training trillion-parameter models needs."
)
RETAIL = (
    "The speaker from a large retailer explained their demand forecasting pipeline, which "
    "moved from spreadsheets to a cloud data warehouse and cut inventory waste by a third."
)


def test_one_generic_title_over_unrelated_english_descriptions_is_not_one_session() -> None:
    # Character bigrams of any two English texts overlap (0.49 here): words decide.
    records = [
        Record("zhang.md", 3, "Keynote", KEYNOTE),
        Record("li.md", 9, "Keynote", RETAIL),
        Record("wang.md", 3, "Keynote", RETAIL.replace("a third", "half")),
    ]
    (cluster,) = find_duplicates(records, threshold=1.0)  # the one below: one text, same title
    assert cluster.members == (1, 2)
    assert cluster.kind == "same-session"
    assert cluster.score == 1.0


def test_two_english_accounts_of_one_talk_are_one_session() -> None:
    records = [
        Record("zhang.md", 3, "Keynote", KEYNOTE),
        Record("li.md", 9, "Keynote", KEYNOTE_REWRITE),
    ]
    (cluster,) = find_duplicates(records)
    assert cluster.kind == "same-session"


def test_a_dropped_subtitle_still_names_the_same_session() -> None:
    records = [
        Record("a.md", 3, "Mobile-Agent: 探索基于多模态智能体的汽车座舱助手新技术", None),
        Record("b.md", 3, "Mobile-Agent：探索基于多模态智能体的汽车座舱助手新技术", None),
    ]
    (cluster,) = find_duplicates(records)
    assert cluster.kind == "same-session"


def test_unrelated_entries_and_placeholder_descriptions_are_not_duplicates() -> None:
    records = [
        Record("a.md", 3, "Fundamentals of Deep Learning", SOURCE),
        Record("a.md", 20, "Data Curation for Fairness", OTHER),
        Record("b.md", 3, "Robot Grasping", THIRD),
        Record("b.md", 20, "Keynote", "待补充"),
        Record("c.md", 20, "Panel", "待补充"),
    ]
    assert find_duplicates(records) == []


def test_three_copies_are_one_cluster_scored_by_its_weakest_pair() -> None:
    records = [
        Record("a.md", 3, "Alpha session", SOURCE),
        Record("b.md", 3, "Beta session", typos(SOURCE, 30)),
        Record("c.md", 3, "Gamma session", SOURCE[:120]),
    ]
    (cluster,) = find_duplicates(records)
    assert cluster.members == (0, 1, 2)
    assert cluster.score == min(p.score for p in cluster.pairs)


def test_a_cluster_chained_through_an_entry_that_merges_two_says_it_is_not_complete() -> None:
    """Single linkage: C holds A's text and then B's, so A, B and C are one cluster at 1.0
    though A and B are unrelated; ``complete`` says not every two members are a pair."""
    records = [
        Record("a.md", 3, "Alpha session", SOURCE),
        Record("b.md", 3, "Beta session", THIRD),
        Record("c.md", 3, "Gamma session", SOURCE + THIRD),
        Record("d.md", 3, "Delta session", SOURCE),
    ]
    (chain,) = find_duplicates(records)
    assert chain.members == (0, 1, 2, 3) and not chain.complete
    assert chain.to_dict(records)["complete"] is False
    (whole,) = find_duplicates([records[0], records[3]])
    assert whole.complete and whole.to_dict([records[0], records[3]])["complete"] is True


def test_candidates_do_not_grow_with_all_pairs() -> None:
    rng = random.Random(3)
    alphabet = (
        "的一是在不了有和人这中大为上个国我以要他时来用们生到作地"
        "于出就分对成会可主发年动同工也能下过子说产种面而"
    )
    texts = ["".join(rng.choice(alphabet) for _ in range(200)) for _ in range(400)]
    keys = [dedupe._sketch(t, 3, dedupe.SKETCH) for t in texts]
    pairs = dedupe._candidates(keys, dedupe.CAP)
    assert len(pairs) < 400 * 399 // 2 // 20  # blocking keeps well under 5% of all pairs


def test_check_copied_reports_the_later_copy_on_its_heading() -> None:
    text_a = "# 每日参会快报\n\n## 【Talks & Panels】Alpha\n\n### 实事描述\n" + SOURCE + "\n"
    text_b = "# 每日参会快报\n\n## 【Talks & Panels】Beta\n\n### 实事描述\n" + typos(SOURCE) + "\n"
    docs = [load_text(text_a, "a.md"), load_text(text_b, "b.md")]
    (found,) = list(check_copied(docs, Config()))
    assert (found.path, found.line, found.code, found.name) == (
        "b.md",
        3,
        "GB302",
        "copied-description",
    )
    assert "Alpha" in found.message and found.extras["source"]["path"] == "a.md"


def test_check_copied_names_the_description_that_was_copied_not_the_clusters_first() -> None:
    """b copies a; c is another write-up of b's session (same title, own words); d
    copies c. All four are one cluster, but c copied nothing and d copied c."""

    def brief(name: str, title: str, description: str) -> Document:
        text = f"# 每日参会快报\n\n## 【Talks & Panels】{title}\n\n### 实事描述\n{description}\n"
        return load_text(text, name)

    docs = [
        brief("a.md", "Alpha talk", SOURCE),
        brief("b.md", "Beta talk", typos(SOURCE)),
        brief("c.md", "Beta talk", REWRITE),
        brief("d.md", "Gamma talk", typos(REWRITE, 9)),
    ]
    records = [dedupe.record_of(e) for doc in docs for e in doc.entries]
    assert len(find_duplicates(records)) == 1  # one cluster: b and c are one session
    found = {f.path: f.extras["source"]["path"] for f in check_copied(docs, Config())}
    assert found == {"b.md": "a.md", "d.md": "c.md"}


def test_a_copy_is_reported_against_a_description_it_resembles() -> None:
    """a and c each copy a part of b, barely overlapping: c copied b, not a."""
    cut = int(len(SOURCE) * 0.6)
    docs = [
        load_text(f"# 每日参会快报\n\n## 【Talks & Panels】{t}\n\n### 实事描述\n{d}\n", name)
        for name, t, d in [
            ("a.md", "Alpha talk", SOURCE[:cut]),
            ("b.md", "Beta talk", SOURCE),
            ("c.md", "Gamma talk", SOURCE[len(SOURCE) - cut :]),
        ]
    ]
    found = [(f.path, f.extras["source"]["path"]) for f in check_copied(docs, Config())]
    assert found == [("b.md", "a.md"), ("c.md", "b.md")]


@pytest.mark.parametrize("order", [["a.md", "b.md"], ["b.md", "a.md"]])
def test_the_copy_is_the_later_in_the_order_given_as_for_a_duplicate_title(
    order: list[str],
) -> None:
    """GB302 and GB110 agree on which of two files holds the copy: the one given later."""
    from gtcbrief.rules import CorpusContext
    from gtcbrief.rules.structure import duplicate_title

    text = "# 每日参会快报\n\n## 【Talks & Panels】Alpha\n\n### 实事描述\n" + SOURCE + "\n"
    docs = [load_text(text, name) for name in order]
    (copied,) = check_copied(docs, Config())
    (duplicate,) = duplicate_title(docs, CorpusContext(Config()))
    assert copied.path == duplicate.path == order[1]
    assert copied.extras["source"]["path"] == order[0]


def test_threshold_must_be_a_share() -> None:
    from gtcbrief.errors import GtcbriefError

    assert dedupe.resolve_threshold(Config(raw={"dedupe_threshold": 0.9}), None) == 0.9
    with pytest.raises(GtcbriefError):
        dedupe.resolve_threshold(Config(), 1.5)


# ----------------------------------------------------------------- CLI


def write_pair(tmp_path: Path) -> tuple[Path, Path]:
    a = tmp_path / "a.md"
    b = tmp_path / "b.md"
    a.write_text(
        "# 每日参会快报\n\n## 【Talks & Panels】Alpha\n\n### 实事描述\n"
        + SOURCE
        + "\n\n---\n\n## 【Talks & Panels】Gamma\n\n### 实事描述\n"
        + THIRD
        + "\n",
        encoding="utf-8",
    )
    b.write_text(
        "# 每日参会快报\n\n## 【Talks & Panels】Beta\n\n### 实事描述\n"
        + typos(SOURCE[:130])
        + "\n",
        encoding="utf-8",
    )
    return a, b


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        pytest.param("all", [("mixed", ["a.md", "c.md", "e.md"])], id="all"),
        pytest.param("copied-description", [("copied-description", ["a.md", "c.md"])], id="copied"),
        pytest.param("same-session", [("same-session", ["a.md", "e.md"])], id="same-session"),
        pytest.param("mixed", [("mixed", ["a.md", "c.md", "e.md"])], id="mixed"),
    ],
)
def test_kind_keeps_the_pairs_of_that_kind_even_inside_a_mixed_cluster(
    tmp_path: Path, kind: str, expected: list[tuple[str, list[str]]]
) -> None:
    """c copies a's description under another title; e reports a's session again in its
    own words: one mixed cluster, which holds a copy and a session reported twice."""
    for name, title, description in [
        ("a.md", "Alpha talk", SOURCE),
        ("c.md", "Gamma talk", typos(SOURCE)),
        ("e.md", "Alpha talk", REWRITE),
    ]:
        (tmp_path / name).write_text(
            f"# 每日参会快报\n\n## 【Talks & Panels】{title}\n\n### 实事描述\n{description}\n",
            encoding="utf-8",
        )
    args = ["dedupe", str(tmp_path), "--kind", kind, "--format", "json"]
    result = CliRunner().invoke(app, args)
    found = [
        (c["kind"], [Path(m["path"]).name for m in c["members"]]) for c in json.loads(result.stdout)
    ]
    assert found == expected and result.exit_code == 1  # duplicates found


def test_cli_json_is_an_array_of_clusters_with_members_and_score(tmp_path: Path) -> None:
    a, b = write_pair(tmp_path)
    result = CliRunner().invoke(app, ["dedupe", str(a), str(b), "--format", "json"])
    assert result.exit_code == 1, result.output  # duplicates found
    (cluster,) = json.loads(result.stdout)
    assert cluster["members"] == [
        {"path": str(a), "line": 3, "title": "Alpha"},
        {"path": str(b), "line": 3, "title": "Beta"},
    ]
    assert 0.85 <= cluster["score"] <= 1.0
    assert cluster["kind"] == "copied-description"


def test_cli_jsonl_and_table_and_a_clean_corpus(tmp_path: Path) -> None:
    a, b = write_pair(tmp_path)
    runner = CliRunner()
    lines = runner.invoke(app, ["dedupe", str(tmp_path), "--format", "jsonl"]).stdout
    assert [json.loads(x)["size"] for x in lines.splitlines()] == [2]
    table = runner.invoke(app, ["dedupe", str(tmp_path), "--format", "table"])
    assert "Alpha" in table.stdout and "copied-description" in table.stdout
    clean = runner.invoke(app, ["dedupe", str(a), "--format", "json"])
    assert clean.exit_code == 0 and json.loads(clean.stdout) == []
    strict = runner.invoke(app, ["dedupe", str(tmp_path), "--format", "json", "--threshold", "1.0"])
    assert strict.exit_code == 0 and json.loads(strict.stdout) == []


def test_cli_rejects_a_bad_threshold_or_kind_with_exit_2(tmp_path: Path) -> None:
    a, _ = write_pair(tmp_path)
    runner = CliRunner()
    bad = runner.invoke(app, ["dedupe", str(a), "--threshold", "7"])
    assert bad.exit_code == 2 and "--threshold must be in (0, 1], not 7" in bad.stderr
    assert runner.invoke(app, ["dedupe", str(a), "--kind", "other"]).exit_code == 2


def test_a_title_that_lost_its_head_is_the_same_session_when_the_texts_agree() -> None:
    records = [
        Record("a.md", 3, "YOCO: Decoder-Decoder Architectures for Language Models", SOURCE),
        Record("b.md", 3, "Decoder-Decoder Architectures for Language Models", REWRITE),
        Record("c.md", 3, "Decoder-Decoder Architectures for Language Models", None),
    ]
    (cluster,) = find_duplicates(records)
    # the unfinished entry shares the title exactly; the head-less one has a related text
    assert cluster.members == (0, 1, 2)
    assert cluster.kind == "same-session"


def test_a_copy_is_found_among_entries_recombined_from_the_same_sentences() -> None:
    # Every sentence recurs in dozens of entries (too common to index); only the
    # order of sentences makes an entry unique, and the copy keeps that order.
    rng = random.Random(5)
    alphabet = "机器人仿真推理训练数据模型加速平台部署优化视觉语言生成检索增强知识图谱芯片网络"
    pool = ["".join(rng.choice(alphabet) for _ in range(20)) + "。" for _ in range(30)]
    texts = ["".join(rng.sample(pool, 12)) for _ in range(200)]
    records = [Record(f"{i}.md", 3, f"Session {i:03d}", t) for i, t in enumerate(texts)]
    records.append(Record("copy.md", 3, "Another session", typos(texts[7], 40)))
    clusters = find_duplicates(records)
    assert [c.members for c in clusters] == [(7, 200)]


# ----------------------------------------------------------------- vectorised path


def corpus(rng: random.Random, rows: int) -> list[Record]:
    """Entries recombined from shared sentences, with copies, cut copies and shared titles."""
    alphabet = "机器人仿真推理训练数据模型加速平台部署优化视觉语言生成检索增强知识图谱芯片网络ab12"
    pool = ["".join(rng.choice(alphabet) for _ in range(18)) + "。" for _ in range(40)]
    titles = [f"Session {i:03d}: 主题{i}" for i in range(rows // 3)]
    out: list[Record] = []
    for i in range(rows):
        if out and rng.random() < 0.15:
            src = rng.choice(out).description or SOURCE
            text = typos(src, rng.randrange(15, 60)) if rng.random() < 0.5 else src[: len(src) // 2]
        elif rng.random() < 0.1:
            text = rng.choice(["待补充", "", "x", "ab"])
        else:
            text = "".join(rng.sample(pool, rng.randrange(1, 10)))
        out.append(Record(f"{i % 7}.md", i, rng.choice(titles), text or None))
    return out


def test_crc_tables_give_zlib_crc32() -> None:
    import zlib

    rng = random.Random(1)
    for n in (2, 3):
        tables = dedupe._crc_tables(n)
        for _ in range(200):
            gram = "".join(chr(rng.randrange(0x20, 0x10000)) for _ in range(n))
            if any(0xD800 <= ord(c) < 0xE000 for c in gram):
                continue
            expected = zlib.crc32(gram.encode("utf-32-le"))
            got = 0
            for j, ch in enumerate(gram):
                got ^= int(tables[j][ord(ch)])
            assert got == expected


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize(
    "lens",
    [
        pytest.param([5, 0, 3, 1, 2, 7], id="mixed"),
        pytest.param([1, 1, 1], id="single-characters"),
        pytest.param([0, 0, 4], id="empty-first"),
        pytest.param([2], id="one-short-text"),
    ],
)
def test_gram_starts_are_the_positions_an_n_gram_of_one_text_starts_at(
    lens: list[int], n: int
) -> None:
    import numpy as np

    owner = [i for i, size in enumerate(lens) for _ in range(size)]
    expected = [
        owner[p : p + n] == [owner[p]] * n and p + n <= len(owner) for p in range(len(owner))
    ]
    size = max(len(owner) - n + 1, 0)  # the positions the callers keep
    got = dedupe._gram_starts(np.array(lens, dtype=np.int64), n, size)
    assert got.tolist() == expected[:size]


def test_vectorised_sketches_equal_the_per_text_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dedupe, "_CHUNK", 50)  # several chunks, the wide texts in the last
    rng = random.Random(2)
    texts = [r.description or "" for r in corpus(rng, 300)]
    texts += [
        "重复重复重复重复重复重复重复",
        "含𠀀扩展区字符的描述文字足够长了",
        "短",
    ]  # repeats; beyond BMP
    for n, size, min_len in ((3, 64, 12), (2, 24, 4), (3, 5, 3)):
        rows, values = dedupe._np_sketches(texts, n, size, min_len)
        flat = [
            (i, h)
            for i, t in enumerate(texts)
            if len(t) >= min_len
            for h in dedupe._sketch(t, n, size)
        ]
        assert list(zip(rows.tolist(), values.tolist(), strict=True)) == flat


def test_rare_sketch_values_are_counted_alike_a_group_of_chunks_at_a_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a small count table: hash slots collide (overcounting, alike in both), and the
    # vectorised count takes the chunks in groups of at most that many values
    monkeypatch.setattr(dedupe, "_CHUNK", 64)
    monkeypatch.setattr(dedupe, "_COUNT_SLOTS", 1 << 10)
    rng = random.Random(5)
    texts = [dedupe.compact(r.description or "") for r in corpus(rng, 400)]
    sketches = [dedupe._sketch(t, 3, 64) if len(t) >= 12 else [] for t in texts]
    chunks = dedupe._np_sketch_chunks(texts, 3, 64, 12)
    assert sum(len(v) for _, v in chunks) > 3 * dedupe._COUNT_SLOTS
    for keep, cap in ((24, 24), (8, 300)):
        expected = dedupe._rare_sketches(sketches, keep, cap)
        rows, values = dedupe._np_rare(chunks, keep, cap)
        got: list[list[int]] = [[] for _ in texts]
        for row, value in zip(rows.tolist(), values.tolist(), strict=True):
            got[row].append(value)
        assert got == expected


def test_vectorised_candidates_and_containment_equal_the_per_text_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import numpy as np

    monkeypatch.setattr(dedupe, "_CHUNK", 64)
    monkeypatch.setattr(dedupe, "_GATHER", 5000)  # containment in several batches
    rng = random.Random(3)
    texts = [dedupe.compact(r.description or "") for r in corpus(rng, 400)]
    sketches = [dedupe._sketch(t, 3, 64) if len(t) >= 12 else [] for t in texts]
    for keep, cap, shared in ((24, 24, 3), (8, 5, 1), (24, 300, 2)):
        expected = dedupe._candidates(dedupe._rare_sketches(sketches, keep, cap), cap, shared)
        chunks = dedupe._np_sketch_chunks(texts, 3, 64, 12)
        keys = dedupe._np_candidates(*dedupe._np_rare(chunks, keep, cap), len(texts), cap, shared)
        assert [divmod(k, len(texts)) for k in keys.tolist()] == sorted(expected)
    pairs = sorted((a, b) for a in range(0, 400, 7) for b in range(400) if texts[a] and texts[b])
    a = np.array([p[0] for p in pairs], dtype=np.int64)
    b = np.array([p[1] for p in pairs], dtype=np.int64)
    got = dedupe._np_containments(texts, a, b).tolist()
    assert got == [dedupe.bigram_containment(texts[x], texts[y]) for x, y in pairs]


@pytest.mark.parametrize("pool_rows", [10_000, 100], ids=["one-sketch", "deep-sketch"])
def test_the_vectorised_path_finds_the_same_pairs(
    monkeypatch: pytest.MonkeyPatch, pool_rows: int
) -> None:
    records = corpus(random.Random(4), 600)
    monkeypatch.setattr(dedupe, "POOL_ROWS", pool_rows)
    monkeypatch.setattr(dedupe, "_CHUNK", 128)
    monkeypatch.setattr(dedupe, "VECTOR_MIN", 10**9)
    plain = dedupe.find_pairs(records)
    monkeypatch.setattr(dedupe, "VECTOR_MIN", 0)
    vectorised = dedupe.find_pairs(records)
    assert len(plain) > 20
    assert vectorised == plain


@pytest.mark.parametrize("vector_min", [10**9, 0], ids=["plain", "vectorised"])
def test_a_description_pasted_into_more_entries_than_the_cap_is_one_cluster(
    monkeypatch: pytest.MonkeyPatch, vector_min: int
) -> None:
    """Its sketch values are shared by more than CAP rows, boilerplate to the sketches:
    identical texts are proposed by themselves (each copy with the first)."""
    monkeypatch.setattr(dedupe, "VECTOR_MIN", vector_min)
    copies = dedupe.CAP + 6
    titles = [f"{zlib.crc32(bytes([i])):08x} session" for i in range(copies)]  # unalike
    text = "".join(
        f"## 【Talks & Panels】{title}\n\n### 实事描述\n{SOURCE}\n\n---\n\n" for title in titles
    )
    records = [dedupe.record_of(e) for e in load_text(text, "a.md").entries]
    (found,) = find_duplicates(records)
    assert found.members == tuple(range(copies)) and found.kind == "copied-description"
    assert len(found.pairs) == copies - 1 and found.score == 1.0


def test_a_deeper_sketch_only_adds_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    records = corpus(random.Random(5), 600)
    one = {(p.a, p.b) for p in dedupe.find_pairs(records)}
    monkeypatch.setattr(dedupe, "POOL_ROWS", 100)
    assert one <= {(p.a, p.b) for p in dedupe.find_pairs(records)}


def _best_of_the_scorers(a: str, b: str, sa: str, sb: str) -> float:
    """description_similarity as its docstring defines it: every scorer, no cutoffs."""
    from rapidfuzz import fuzz

    if len(a) < dedupe.MIN_DESCRIPTION or len(b) < dedupe.MIN_DESCRIPTION:
        return 1.0 if a == b and a else 0.0
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    scores = [fuzz.ratio(a, b) / 100]
    if len(short) >= dedupe.MIN_PARTIAL and len(short) >= 0.2 * len(long_):
        scores += [dedupe.bigram_containment(a, b), fuzz.partial_ratio(short, long_) / 100]
        if sa and sb:
            scores.append(fuzz.token_sort_ratio(sa, sb) / 100)
    return max(scores)


def test_description_similarity_is_exact_from_its_floor_on() -> None:
    rng = random.Random(6)
    texts = [r.description for r in corpus(rng, 300) if r.description]
    texts += [SOURCE, OTHER, THIRD, REWRITE, reorder(SOURCE), SOURCE[:90], typos(SOURCE, 9)]
    forms = {t: (dedupe.compact(t), dedupe._sentences(t)) for t in texts}
    below = exact = 0
    for _ in range(1500):
        (a, sa), (b, sb) = forms[rng.choice(texts)], forms[rng.choice(texts)]
        expected = _best_of_the_scorers(a, b, sa, sb)
        for floor in (0.0, 0.5, 0.85, 0.95):
            got = dedupe.description_similarity(a, b, sa, sb, floor=floor)
            if expected >= floor:
                assert got == expected
                exact += 1
            else:
                assert got < floor
                below += 1
    assert below > 500 and exact > 500


@pytest.mark.parametrize("threshold", [0.3, 0.6, 0.85, 0.95])
def test_pairs_are_the_same_when_every_similarity_is_exact(
    monkeypatch: pytest.MonkeyPatch, threshold: float
) -> None:
    records = corpus(random.Random(7), 600)
    records += [
        Record("x.md", 1, "Fundamentals of Deep Learning", SOURCE),
        Record("x.md", 9, "Fundamentals of Deep Learning", REWRITE),
        Record("x.md", 20, "Deploying RAG Pipelines for Production at Scale", SOURCE[:100]),
        Record("x.md", 30, "Deploying RAG Pipelines for Production", typos(SOURCE, 12)),
        Record("x.md", 40, "Deploying RAG Pipelnes for Production at Scale", reorder(SOURCE)),
    ]
    pairs = dedupe.find_pairs(records, threshold)
    monkeypatch.setattr(dedupe, "_kept_from", lambda *_: 0.0)
    assert pairs == dedupe.find_pairs(records, threshold)
    assert len({p.kind for p in pairs}) == 2


# ----------------------------------------------------------------- compact forms, cached


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The texts of each document whose compact forms were made, not read back; kept
    from two records on."""
    calls: list[list[str]] = []
    real = dedupe._compact_all

    def counted(texts: list[str]) -> list[str]:
        calls.append(list(texts))
        return real(texts)

    monkeypatch.setattr(dedupe, "_compact_all", counted)
    monkeypatch.setattr(dedupe, "COMPACT_CACHE_FROM", 2)
    return calls


def in_documents(rows: int = 300) -> list[Record]:
    """Records of seven documents, each document's together (as they are loaded)."""
    return sorted(corpus(random.Random(6), rows), key=lambda r: (r.path, r.line))


def compact_cache() -> Path:
    return Path(os.environ["GTCBRIEF_CACHE_DIR"]) / f"compact-{dedupe.COMPACT_FORMAT}"


def made_here(records: list[Record]) -> tuple[list[str], list[str]]:
    titles = [dedupe.compact(r.title) for r in records]
    return titles, [dedupe.compact(r.description) if r.description else "" for r in records]


def test_compact_forms_are_kept_per_document_and_read_back(made: list[list[str]]) -> None:
    records = in_documents()
    assert dedupe.compact_forms(records) == made_here(records)
    assert len(made) == 7 and len(list(compact_cache().iterdir())) == 7
    made.clear()
    assert dedupe.compact_forms(records) == made_here(records)
    assert made == []


def test_only_a_changed_documents_compact_forms_are_made_again(made: list[list[str]]) -> None:
    records = in_documents()
    dedupe.compact_forms(records)
    made.clear()
    at = next(i for i, r in enumerate(records) if r.path == "3.md")
    records[at] = Record(records[at].path, records[at].line, "改过的标题 Renamed", "改过的描述。")
    assert dedupe.compact_forms(records) == made_here(records)
    assert len(made) == 1 and "改过的描述。" in made[0]


def test_a_damaged_or_foreign_kept_entry_is_made_again(made: list[list[str]]) -> None:
    records = in_documents()
    dedupe.compact_forms(records)
    damaged = damage_kept_texts(compact_cache())
    made.clear()
    assert dedupe.compact_forms(records) == made_here(records)
    assert len(made) == damaged


def test_no_compact_forms_are_kept_for_a_few_records_or_with_the_cache_off(
    made: list[list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    records = in_documents(30)
    monkeypatch.setattr(dedupe, "COMPACT_CACHE_FROM", 31)
    assert dedupe.compact_forms(records) == made_here(records)
    monkeypatch.setattr(dedupe, "COMPACT_CACHE_FROM", 30)
    monkeypatch.setenv("GTCBRIEF_NO_CACHE", "1")
    assert dedupe.compact_forms(records) == made_here(records)
    assert not compact_cache().exists()


def test_dedupe_run_again_reads_its_compact_forms_back_and_finds_the_same(
    made: list[list[str]],
) -> None:
    first = CliRunner().invoke(app, ["dedupe", "--format", "json", str(SAMPLES)])
    assert first.exit_code == 0, first.output
    assert made
    made.clear()
    again = CliRunner().invoke(app, ["dedupe", "--format", "json", str(SAMPLES)])
    assert again.exit_code == 0 and again.stdout == first.stdout
    assert made == []


@pytest.mark.parametrize(
    "placeholder", ["待补充", "见附件", "内容较多，详见附件中的PPT及会议录音整理稿。"]
)
def test_unfinished_entries_placeholders_are_not_copies_of_each_other(
    tmp_path: Path, placeholder: str
) -> None:
    """A line that only points elsewhere is unfinished too: four talks sharing one were
    a cluster of 'copied descriptions' at 1.0."""
    for i in (1, 2, 3):
        (tmp_path / f"{i}.md").write_text(
            f"# 每日参会快报\n\n## 【Keynote】Talk {i} on topic {i * 7}\n\n### 实事描述\n"
            f"{placeholder}\n",
            encoding="utf-8",
        )
    result = CliRunner().invoke(app, ["dedupe", str(tmp_path), "--format", "json"])
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])
