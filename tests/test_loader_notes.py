"""Free-form notes: TOC, anchors, nested bullets as entries; other Markdown as sections."""

from __future__ import annotations

from pathlib import Path

import pytest

from gtcbrief.loader import load_path, load_text

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "samples" / "gtc-notes.md"


@pytest.fixture(scope="module")
def notes():  # type: ignore[no-untyped-def]
    return load_path(str(NOTES))


def test_notes_are_detected(notes) -> None:  # type: ignore[no-untyped-def]
    assert notes.format == "notes"
    assert notes.toc == (3, 10)


def test_toc_links_and_anchors_are_recorded_with_positions(notes) -> None:  # type: ignore[no-untyped-def]
    toc_links = [(k.line, k.target) for k in notes.links if 3 <= k.line <= 10]
    assert toc_links == [
        (4, "#ai"),
        (5, "#gtc"),
        (6, "#taco-llm"),
        (7, "#"),
        (8, "#acknowledgements"),
    ]
    assert [(a.line, a.name) for a in notes.anchors] == [
        (12, "ai"),
        (34, "gtc"),
        (78, "taco-llm"),
        (94, ""),
        (118, "acknowledgements"),
    ]
    assert notes.anchors[0].column == 13


def test_images_are_recorded(notes) -> None:  # type: ignore[no-untyped-def]
    images = [k for k in notes.links if k.image]
    assert [k.line for k in images] == [64, 85, 87, 88, 91, 92, 107, 114, 116]
    assert {k.text for k in images} == {"image"}


def test_top_level_bullets_are_entries_with_their_children(notes) -> None:  # type: ignore[no-untyped-def]
    first = notes.entries[0]
    assert (first.line, first.end_line, first.parent) == (14, 15, "中国AI创投")
    assert first.title == "七维科技CEO殷元江，用AI驱动3D内容生成工具。"
    assert first.description is not None and first.description.startswith("- 分镜故事板生成")
    # the TOC list is navigation, not talks
    assert all(e.line > 10 for e in notes.entries)


def test_an_image_that_breaks_indentation_stays_in_its_talk(notes) -> None:  # type: ignore[no-untyped-def]
    ant = next(e for e in notes.entries if e.line == 62)
    assert ant.end_line == 67
    assert "![image]" in (ant.description or "")


def test_trailing_blank_lines_are_counted(notes) -> None:  # type: ignore[no-untyped-def]
    assert notes.line_count == 137


def test_other_markdown_is_a_document_of_sections() -> None:
    doc = load_path(str(ROOT / "tests" / "data" / "loader" / "minutes.md"))
    assert doc.format == "markdown"
    assert doc.entries == ()
    assert [(s.heading, s.level, s.line) for s in doc.sections] == [
        ("第 12 次例会会议纪要", 1, 1),
        ("会议概况", 2, 3),
        ("会议主题", 2, 8),
        ("细节", 3, 13),
        ("会议纪要", 2, 17),
    ]


def test_every_shared_corpus_file_loads(shared: Path) -> None:
    files = sorted(p for p in (shared / "corpus").rglob("*") if p.is_file())
    assert len(files) >= 60
    for path in files:
        doc = load_path(str(path))
        assert doc.line_count > 0, path
        assert not doc.problems, (path, doc.problems)


def test_meeting_minutes_find_their_sections(shared: Path) -> None:
    for path in sorted((shared / "corpus" / "meeting-minutes").glob("*.md")):
        doc = load_path(str(path))
        assert doc.sections, path


def test_deep_nesting_degrades_to_a_problem_not_a_crash() -> None:
    doc = load_text("> " * 5000 + "text\n\n## 【Keynote】K\n")
    assert doc.line_count == 3
    assert [e.title for e in doc.entries] == ["K"] or doc.problems


def test_a_list_nested_past_any_real_notes_is_read_line_by_line() -> None:
    """2,000 levels took mistletoe 2 GB for a 4 MB file; past 100 it is not parsed."""
    from gtcbrief.loader import load_text

    lines = ["# GTC摘要", ""] + ["  " * d + "- 内容" for d in range(150)]
    doc = load_text("\n".join(lines) + "\n", "deep.md")
    assert [(p.line, "nested over 100 levels" in p.message) for p in doc.problems] == [(103, True)]
    shallow = load_text("\n".join(lines[:60]) + "\n", "ok.md")
    assert not shallow.problems


def test_tabs_and_block_quotes_nested_past_any_real_notes_are_read_line_by_line() -> None:
    from gtcbrief.loader import load_text

    tabs = ["# GTC摘要", ""] + ["\t" * d + "- 内容" for d in range(120)]
    quotes = ["# GTC摘要", ""] + ["> " * d + "内容" for d in range(1, 150)]
    for lines in (tabs, quotes):
        doc = load_text("\n".join(lines) + "\n", "deep.md")
        assert len(doc.problems) == 1 and "nested over 100 levels" in doc.problems[0].message


TALKS = (
    "## 中国AI创投\n\n- 七维科技CEO殷元江，用AI驱动3D内容生成。\n  - 分镜生成。\n"
    "- 必优科技CEO周泽安。\n"
)
TOC_LINKS = "- [中国AI创投](#中国ai创投)\n- [GTC摘要](#gtc摘要)\n"


@pytest.mark.parametrize(
    ("start", "end"),
    [
        pytest.param(
            "<!-- TOC start (generated with bitdowntoc) -->", "<!-- TOC end -->", id="bitdowntoc"
        ),
        pytest.param("<!-- toc -->", "<!-- tocstop -->", id="markdown-toc"),
        pytest.param(
            "<!-- START doctoc generated TOC please keep comment here -->",
            "<!-- END doctoc generated TOC please keep comment here -->",
            id="doctoc",
        ),
        pytest.param("<!-- TOC -->", "<!-- /TOC -->", id="markdown-all-in-one"),
        pytest.param('<a name="top"></a>', "", id="no-markers-in-notes-with-anchors"),
    ],
)
def test_a_toc_of_any_generator_makes_notes_and_its_links_are_not_talks(
    start: str, end: str
) -> None:
    text = f"# 参会笔记\n\n{start}\n{TOC_LINKS}{end}\n\n{TALKS}"
    doc = load_text(text, "n.md")
    assert doc.format == "notes"
    assert doc.toc is not None and doc.toc[0] <= 4 and doc.toc[1] >= 5
    assert [e.title for e in doc.entries] == [
        "七维科技CEO殷元江，用AI驱动3D内容生成。",
        "必优科技CEO周泽安。",
    ]


def test_a_list_of_links_under_a_heading_is_a_toc_not_talks(shared: Path) -> None:
    """daily-arxiv's ``### 目录``: 46 category links were its 'talks'."""
    (path,) = sorted((shared / "corpus" / "daily-arxiv").glob("*.md"))[:1]
    doc = load_path(str(path))
    assert doc.toc == (6, 51)
    assert not [e for e in doc.entries if e.title.startswith("[")]


def test_front_matter_is_metadata_not_talks_or_a_heading() -> None:
    text = (
        "---\ntitle: GTC 2024 笔记\ntags:\n  - gtc\n  - ai\n---\n\n"
        '<a name="a"></a>\n# 第一天\n\n- 黄仁勋主题演讲\n  - Blackwell\n'
    )
    doc = load_text(text, "n.md")
    assert doc.front_matter == (1, 6)
    assert [(h.line, h.text) for h in doc.headings] == [(9, "第一天")]
    assert [(e.line, e.title) for e in doc.entries] == [(11, "黄仁勋主题演讲")]


@pytest.mark.parametrize(
    ("text", "last"),
    [
        pytest.param("---\ntitle: 快报\n# 作者信息\nauthor: 张三\n---\n", 5, id="yaml-comment"),
        pytest.param("---\n作者: 张三\n日期: 2025-03-18\n---\n", 4, id="chinese-keys"),
        pytest.param(
            '+++\ntags = [\n  "a",\n]\n[[authors]]\nname = "张三"\n"a key" = 1\n+++\n',
            8,
            id="toml-array-and-tables",
        ),
    ],
)
def test_front_matter_as_yaml_and_toml_write_it(text: str, last: int) -> None:
    assert load_text(text + "# 每日参会快报\n", "b.md").front_matter == (1, last)


def test_a_brief_with_front_matter_is_still_a_brief() -> None:
    text = (
        "---\ndate: 2024-03-18\n---\n# 每日参会快报\n\n"
        "## 【Keynote】黄仁勋主题演讲\n\n### 主题\nAI - GPU\n"
    )
    doc = load_text(text, "b.md")
    assert (doc.format, doc.front_matter, doc.title_line) == ("brief", (1, 3), 4)
    assert [e.line for e in doc.entries] == [6]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("---\n\n---\n# A\n", id="empty"),
        pytest.param("---\n这不是键\n---\n# A\n", id="not-a-key-first"),
        pytest.param("---\ntitle: x\n# A\n", id="never-closed"),
        pytest.param(
            "---\nDate: 2025-03-18\n\n# 每日参会快报\n\n## 【Keynote】K\n\n"
            "### 主题\nAI - 推理\n\n---\n",
            id="a-separator-then-a-brief",
        ),
    ],
)
def test_what_is_not_front_matter_stays_markdown(text: str) -> None:
    assert load_text(text, "n.md").front_matter is None


def test_definitions_after_a_list_are_not_its_last_talks_text() -> None:
    text = '<a name="a"></a>\n# A\n\n- 谈话一\n  - 子项\n\n[^1]: 脚注\n[ref]: https://example.com\n'
    (talk,) = load_text(text, "n.md").entries
    assert (talk.end_line, talk.description) == (5, "- 子项")


def test_bracketed_day_headings_over_bullets_are_notes_not_a_brief() -> None:
    text = (
        "# GTC 参会笔记\n\n## 【Day 1】3月18日\n\n"
        "- 黄仁勋主题演讲。\n  - GB200 NVL72。\n- 李飞飞演讲。\n"
    )
    doc = load_text(text, "n.md")
    assert doc.format == "notes"
    assert [(e.title, e.parent) for e in doc.entries] == [
        ("黄仁勋主题演讲。", "【Day 1】3月18日"),
        ("李飞飞演讲。", "【Day 1】3月18日"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "# 每日參會快報\n\n##【Keynote】K\n\n###主题\nAI - GPU\n", id="traditional-title"
        ),
        pytest.param("##【Keynote】K\n\n###主题\nAI - GPU\n", id="unspaced-only"),
        pytest.param(
            "## 每日参会快报\n\n### 【Keynote】K\n\n### 主題：\nAI - GPU\n", id="a-level-off"
        ),
        pytest.param("## 【Keynote】K\n\n讲者介绍了 GPU。\n", id="entry-headings-alone"),
    ],
)
def test_a_brief_written_loosely_is_still_a_brief(text: str) -> None:
    doc = load_text(text, "b.md")
    assert doc.format == "brief"
    assert [e.title for e in doc.entries] == ["K"]


def test_a_talks_first_paragraph_wrapped_by_the_editor_is_its_whole_title() -> None:
    text = (
        '<a name="a"></a>\n# A\n\n- 黄仁勋主题演讲，\n  发布Blackwell。\n  - GB200。\n'
        "- Keynote on agents\n  that reason at scale\n- 单行\n![img](x.png)\n"
    )
    talks = [(e.line, e.title, e.description) for e in load_text(text, "n.md").entries]
    assert talks == [
        (4, "黄仁勋主题演讲，发布Blackwell。", "- GB200。"),
        (7, "Keynote on agents that reason at scale", None),
        (9, "单行", "![img](x.png)"),  # an image opens a block of its own
    ]


def test_a_list_of_links_alone_does_not_make_notes_nor_are_linked_talks_a_toc() -> None:
    readme = "# 工具\n\n- [安装](#安装)\n- [用法](#用法)\n\n## 安装\n\n- 运行 make\n"
    assert load_text(readme, "README.md").format == "markdown"
    notes = (
        '<a name="keynote"></a>\n# 笔记\n\n## 第一天\n\n'
        "- [黄仁勋主题演讲](#keynote)：发布 Blackwell Ultra。\n- [CUDA 新特性](#cuda)：CUDA 13。\n"
    )
    doc = load_text(notes, "n.md")
    assert doc.toc is None
    assert [e.line for e in doc.entries] == [6, 7]


def test_a_brief_in_a_code_block_does_not_make_a_guide_a_brief() -> None:
    guide = "# 如何写快报\n\n```markdown\n#每日参会快报\n##【Keynote】标题\n###主题\n```\n"
    assert load_text(guide, "guide.md").format == "markdown"


def test_bullets_after_a_paragraph_under_a_bracketed_heading_are_notes() -> None:
    text = "# 笔记\n\n## 【Day 1】3月18日\n\n上午听了两场。\n\n- 黄仁勋主题演讲。\n- 李飞飞演讲。\n"
    doc = load_text(text, "n.md")
    assert doc.format == "notes" and [e.line for e in doc.entries] == [7, 8]
