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
