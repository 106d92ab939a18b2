"""The daily-brief format, as the seed brief and its variations define it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gtcbrief.loader import load_path, load_text, parse_authors, parse_speaker

ROOT = Path(__file__).resolve().parents[1]
BRIEF = ROOT / "samples" / "gtc-daily-brief.md"


@pytest.fixture(scope="module")
def seed():  # type: ignore[no-untyped-def]
    return load_path(str(BRIEF))


def test_the_seed_is_a_brief_with_19_entries(seed) -> None:  # type: ignore[no-untyped-def]
    assert seed.format == "brief"
    assert seed.title == "每日参会快报"
    assert len(seed.entries) == 19
    assert {e.kind for e in seed.entries} == {"Talks & Panels", "Full-Day Workshop"}


def test_entry_lines_are_the_heading_lines(seed) -> None:  # type: ignore[no-untyped-def]
    source = BRIEF.read_text(encoding="utf-8").split("\n")
    for entry in seed.entries:
        assert source[entry.line - 1].startswith("## 【")
        assert entry.title in source[entry.line - 1]


def test_first_entry_fields_match_the_seed_exactly(seed) -> None:  # type: ignore[no-untyped-def]
    first = seed.entries[0]
    assert (first.line, first.end_line, first.separator_line) == (3, 17, 19)
    assert first.kind == "Talks & Panels"
    assert first.title == "3D 物理真实数字资产加速推动机器人开发进程"
    assert (first.track, first.subtopic) == ("Robotics", "Robotics Simulation")
    assert [(s.name, s.role, s.organisation) for s in first.speakers] == [
        ("Jerry Wang", "Sales & Marketing Director of SpatialVerse", "Manycore Tech"),
        ("Neo Zhao", "Senior Solution Specialist", "Manycore Tech"),
    ]
    assert first.description is not None and first.description.startswith("提出GREATS")
    assert first.description.endswith("迟滞和累积效应。")
    assert first.implications is not None and first.implications.startswith("GREATS通过")
    assert [(a.name, a.id) for a in first.authors] == [("赵伟", "59843547"), ("张峰", "56221517")]
    assert first.authors_line == 17


def test_tracks_keep_slashes_and_parentheses(seed) -> None:  # type: ignore[no-untyped-def]
    topics = {e.topic for e in seed.entries}
    assert "Simulation / Modeling / Design - Drug Discovery" in topics
    nlp = next(e for e in seed.entries if e.track == "Conversational AI")
    assert nlp.subtopic == "Natural Language Processing (NLP)"


def test_tencent_organisations_keep_commas_and_parentheses(seed) -> None:  # type: ignore[no-untyped-def]
    optix = next(e for e in seed.entries if e.line == 223)
    assert [(s.name, s.organisation) for s in optix.speakers] == [
        ("Zhenyuan Zhang", "Tencent Technology Shanghai Co., Ltd"),
        ("Chao Li", "Tencent Technology (Shenzhen) Co., Ltd"),
    ]
    assert optix.speakers[1].role == (
        "Technical Director of the Frontier Technology Center, "
        "Tencent Interactive Entertainment Group"
    )


def test_the_four_speakers_of_the_line_233_entry(seed) -> None:  # type: ignore[no-untyped-def]
    entry = next(e for e in seed.entries if e.line == 233)
    assert [(s.name, s.role, s.organisation) for s in entry.speakers] == [
        (
            "Meiran Peng (Developer Programs)",
            "Sr. Solutions Engineer for Developer Programs",
            "NVIDIA",
        ),
        ("Dennis Deng", "Chairman", "AIdong Super AI (Beijing) Co., Ltd."),
        ("Michael Hsu", "Founder, CEO", "PaXini Tech"),
        ("Qixuan Zhang", "CTO", "Deemos Technologies, Inc."),
    ]


def test_unfinished_entries_have_no_description_and_mostly_no_authors(seed) -> None:  # type: ignore[no-untyped-def]
    unfinished = seed.entries[11:]
    assert all(e.description is None and e.implications is None for e in unfinished)
    assert [len(e.authors) for e in unfinished] == [1, 0, 0, 0, 0, 0, 0, 0]
    assert all(e.description for e in seed.entries[:11])


def test_one_name_with_three_ids_stays_three_people(seed) -> None:  # type: ignore[no-untyped-def]
    ids = {a.id for e in seed.entries for a in e.authors if a.name == "张峰"}
    assert ids == {"56221517", "52845277", "55159967"}


@pytest.mark.parametrize(
    ("raw", "name", "role", "org"),
    [
        pytest.param(
            "Mark Moyou（Sr. Data Scientist, NVIDIA）",
            "Mark Moyou",
            "Sr. Data Scientist",
            "NVIDIA",
            id="plain",
        ),
        pytest.param(
            "Michael Hsu（Founder, CEO, PaXini Tech）",
            "Michael Hsu",
            "Founder, CEO",
            "PaXini Tech",
            id="role-with-comma",
        ),
        pytest.param(
            "Qixuan Zhang（CTO, Deemos Technologies, Inc.）",
            "Qixuan Zhang",
            "CTO",
            "Deemos Technologies, Inc.",
            id="inc-suffix",
        ),
        pytest.param(
            "Jensen Huang (CEO, NVIDIA)", "Jensen Huang", "CEO", "NVIDIA", id="half-width-group"
        ),
        pytest.param(
            "Meiran Peng (Developer Programs)",
            "Meiran Peng (Developer Programs)",
            None,
            None,
            id="half-width-name-only",
        ),
        pytest.param(
            "李雷（首席科学家，某某科技（北京）有限公司）",
            "李雷",
            "首席科学家",
            "某某科技（北京）有限公司",
            id="chinese-nested",
        ),
        pytest.param(
            "Jerry Wang（Director, Manycore Tech）等",
            "Jerry Wang",
            "Director",
            "Manycore Tech",
            id="and-others-after-the-last",
        ),
        pytest.param(
            "王芳（研究员, 某大学）等人。", "王芳", "研究员", "某大学", id="and-others-stop"
        ),
        pytest.param("NVIDIA 团队等", "NVIDIA 团队等", None, None, id="and-others-no-group"),
        pytest.param("Solo（NVIDIA）", "Solo", None, "NVIDIA", id="organisation-only"),
        pytest.param("NVIDIA", "NVIDIA", None, None, id="bare"),
        pytest.param("（Unclosed", "（Unclosed", None, None, id="unbalanced"),
    ],
)
def test_speaker_shapes(raw: str, name: str, role: str | None, org: str | None) -> None:
    speaker = parse_speaker(raw)
    assert (speaker.name, speaker.role, speaker.organisation) == (name, role, org)
    assert speaker.raw == raw


@given(st.text(alphabet="(（)）,，、;a李 .", max_size=30))
@example("Ann (Team)（Role, Org）")
def test_a_speakers_fields_come_from_its_text(text: str) -> None:
    speaker = parse_speaker(text)
    assert speaker.raw == text.strip()
    assert speaker.raw.startswith(speaker.name)
    assert bool(speaker.name) == bool(speaker.raw)
    if speaker.organisation is None:
        assert speaker.role is None
    # role and organisation parts are joined with ", " whatever comma the text used
    for field in (speaker.role, speaker.organisation):
        assert all(part in speaker.raw for part in (field or "").split(", "))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "赵伟 59843547、张峰 56221517",
            [("赵伟", "59843547"), ("张峰", "56221517")],
            id="template",
        ),
        pytest.param(
            "韩梅梅 12345678,李雷 87654321",
            [("韩梅梅", "12345678"), ("李雷", "87654321")],
            id="half-width-comma",
        ),
        pytest.param(
            "张三12345678 李四 23456789",
            [("张三", "12345678"), ("李四", "23456789")],
            id="space-separated",
        ),
        pytest.param("王五", [("王五", None)], id="no-id"),
        pytest.param(
            "张三（12345678）、李四(87654321)",
            [("张三", "12345678"), ("李四", "87654321")],
            id="id-in-parentheses",
        ),
        pytest.param("12345678 张三", [("张三", "12345678")], id="id-first"),
        pytest.param(
            "张三 12345678﹑李四 12345679､王五 12345670﹐赵六 12345671",
            [("张三", "12345678"), ("李四", "12345679"), ("王五", "12345670")]
            + [("赵六", "12345671")],
            id="small-and-half-width-separators",
        ),
        pytest.param(
            "王芳 53456789和赵磊 54567890、和珅 51234567",
            [("王芳", "53456789"), ("赵磊", "54567890"), ("和珅", "51234567")],
            id="and-after-an-id-but-a-surname-after-a-separator",
        ),
        pytest.param(
            "孙立 61234501 和静 61234502、王芳 53456789 和 赵磊 54567890",
            [("孙立", "61234501"), ("和静", "61234502"), ("王芳", "53456789")]
            + [("赵磊", "54567890")],
            id="a-space-before-the-surname-和-but-spaces-around-the-word",
        ),
        pytest.param(
            "孙立 61234501 及何静 61234502、李四 12345678 以及 王五 87654321",
            [("孙立", "61234501"), ("何静", "61234502"), ("李四", "12345678")]
            + [("王五", "87654321")],
            id="及-and-以及-are-no-surnames",
        ),
    ],
)
def test_author_lines(text: str, expected: list[tuple[str, str | None]]) -> None:
    assert [(a.name, a.id) for a in parse_authors(text)] == expected


def test_ids_are_what_the_configured_pattern_matches_letters_too() -> None:
    """``template.id_pattern = '[a-z]?\\d{8}'``: ``孙立 w00123456`` was read as the name
    '孙立 w' with the id '00123456', and GB204 fired on both authors."""
    from gtcbrief.config import Config, Template
    from gtcbrief.rules.engine import make_selection, run

    config = Config(template=Template(id_pattern=r"[a-z]?\d{8}"))
    authors = "撰稿人：孙立 w00123456、何静（00654321）、李四"
    text = f"## 【Keynote】K\n\n### 实事描述\n内容。\n\n{authors}\n"
    doc = load_text(text, "t.md", config=config)
    assert [(a.name, a.id) for a in doc.entries[0].authors] == [
        ("孙立", "w00123456"), ("何静", "00654321"), ("李四", None),
    ]  # fmt: skip
    found = run([doc], config, make_selection(config, ["GB204"]))
    assert [d.message for d in found] == ["author '李四' has no employee id"]
    # pairs without a separator, and an id the pattern refuses, read as by default
    line = "撰稿人：孙立 61234501 何静 62345678、罗敏 6123450、甲 w12345678 和 乙 w87654321"
    doc = load_text(text.replace(authors, line), "t.md", config=config)
    assert [(a.name, a.id) for a in doc.entries[0].authors] == [
        ("孙立", "61234501"), ("何静", "62345678"), ("罗敏", "6123450"),
        ("甲", "w12345678"), ("乙", "w87654321"),
    ]  # fmt: skip


def test_setext_trap_is_read_as_author_line_and_separator() -> None:
    doc = load_text(
        "# 每日参会快报\n\n## 【Talks & Panels】T\n\n### 实事描述\n描述\n\n"
        "撰稿人：王五 11112222\n---\n\n## 【Talks & Panels】U\n"
    )
    assert [e.title for e in doc.entries] == ["T", "U"]
    assert doc.entries[0].authors[0].id == "11112222"
    assert doc.entries[0].separator_line == 9
    assert any(h.setext and h.line == 8 for h in doc.headings)
    assert 9 in doc.thematic_breaks


@pytest.mark.parametrize(
    ("tail", "field", "text", "line"),
    [
        pytest.param("### 对华为的启示\n启示。\n撰稿人：赵伟 59843547\n", "implications",
                     "启示。", 7, id="under-the-implications"),
        pytest.param("### 实事描述\n描述，\n两行。\n撰稿人:赵伟 59843547\n---\n", "description",
                     "描述，\n两行。", 8, id="under-the-description-over-a-setext-trap"),
    ],
)  # fmt: skip
def test_an_author_line_with_no_blank_line_above_is_still_the_author_line(
    tail: str, field: str, text: str, line: int
) -> None:
    """Markdown runs it into the paragraph above; the writer meant an author line."""
    doc = load_text("# 每日参会快报\n\n## 【Talks & Panels】T\n\n" + tail)
    (entry,) = doc.entries
    assert getattr(entry, field) == text
    assert [(a.name, a.id) for a in entry.authors] == [("赵伟", "59843547")]
    assert entry.authors_line == line


def test_a_sentence_that_starts_with_the_prefix_stays_text() -> None:
    doc = load_text("## 【Keynote】K\n\n### 实事描述\n第一句。\n撰稿人的观点很新颖。\n")
    (entry,) = doc.entries
    assert entry.description == "第一句。\n撰稿人的观点很新颖。" and entry.authors == ()


def test_a_paragraph_that_starts_with_the_prefix_word_stays_text() -> None:
    """No colon and no ids after 撰稿人: a sentence about the writer, not an author line
    (``--fix`` used to give it a colon)."""
    doc = load_text(
        "## 【Keynote】K\n\n### 实事描述\n撰稿人现场提问了 Blackwell 的功耗。\n\n"
        "撰稿人：王五 11223344\n"
    )
    (entry,) = doc.entries
    assert entry.description == "撰稿人现场提问了 Blackwell 的功耗。"
    assert [(a.name, a.id) for a in entry.authors] == [("王五", "11223344")]
    assert entry.authors_line == 6


def test_an_author_line_without_a_colon_names_people_with_ids() -> None:
    doc = load_text("## 【Keynote】K\n\n撰稿人 王五 11112222、赵六 33334444\n")
    assert [a.name for a in doc.entries[0].authors] == ["王五", "赵六"]


@pytest.mark.parametrize(
    ("body", "authors", "description"),
    [
        pytest.param("撰稿人：李四 87654321\n演讲介绍了 NIM。\n", ["李四"], "演讲介绍了 NIM。",
                     id="text-below"),
        pytest.param("撰稿人：李四 87654321、\n王五 11112222\n", ["李四", "王五"], None,
                     id="names-wrapped-after-a-separator"),
        pytest.param("撰稿人：李四 87654321\n王五 11112222\n演讲介绍了 NIM。\n", ["李四", "王五"],
                     "演讲介绍了 NIM。", id="names-wrapped-then-text"),
    ],
)  # fmt: skip
def test_an_author_line_on_top_of_text_keeps_the_text(
    body: str, authors: list[str], description: str | None
) -> None:
    doc = load_text("## 【Keynote】K\n\n### 实事描述\n" + body)
    (entry,) = doc.entries
    assert [a.name for a in entry.authors] == authors
    assert entry.description == description


def test_speakers_joined_by_commas_slashes_or_a_list_are_each_a_speaker() -> None:
    for line in (
        "A Li（CEO, X）， B Wu（CTO, Tencent Technology (Shenzhen) Co., Ltd） / C Ma（VP, Y）",
        "- A Li（CEO, X）\n- B Wu（CTO, Tencent Technology (Shenzhen) Co., Ltd）\n- C Ma（VP, Y）",
    ):
        doc = load_text(f"## 【Keynote】K\n\n### 演讲人或相关公司\n{line}\n")
        assert [(s.name, s.organisation) for s in doc.entries[0].speakers] == [
            ("A Li", "X"),
            ("B Wu", "Tencent Technology (Shenzhen) Co., Ltd"),
            ("C Ma", "Y"),
        ]


def test_a_heading_without_its_space_is_the_heading_its_writer_meant() -> None:
    """``##【Keynote】B`` is a paragraph line to CommonMark; read as an entry it keeps B
    from vanishing into the entry above (validate reports the space, GB102)."""
    doc = load_text(
        "# 每日参会快报\n\n## 【Keynote】A\n\n### 实事描述\nA 内容。\n\n---\n\n"
        "##【Keynote】B\n###主题\nAI - GPU\n\n### 实事描述\nB 内容。\n"
    )
    assert [(e.line, e.title, e.description) for e in doc.entries] == [
        (3, "A", "A 内容。"),
        (10, "B", "B 内容。"),
    ]
    assert doc.entries[1].track == "AI"
    assert [(h.level, h.line) for h in doc.headings] == [
        (1, 1),
        (2, 3),
        (3, 5),
        (2, 10),
        (3, 11),
        (3, 14),
    ]
    # an ordinary paragraph with '##' inside stays one
    (entry,) = load_text("## 【Keynote】A\n\n### 实事描述\n##话题 不是标题\n").entries
    assert entry.description == "##话题 不是标题"


def test_a_sub_heading_inside_a_section_is_part_of_its_text() -> None:
    doc = load_text(
        "## 【Keynote】A\n\n### 实事描述\n第一段。\n\n#### 细节\n第二段。\n\n"
        "### 对华为的启示\n启示。\n"
    )
    (entry,) = doc.entries
    assert entry.description == "第一段。\n\n#### 细节\n第二段。"
    assert entry.implications == "启示。"


def test_sections_one_level_down_still_fill_their_fields() -> None:
    (entry,) = load_text(
        "## 【Keynote】A\n\n#### 主题\nAI - GPU\n\n#### 实事描述\n内容。\n"
    ).entries
    assert (entry.track, entry.description) == ("AI", "内容。")


def test_a_footer_after_the_last_separator_belongs_to_no_entry() -> None:
    doc = load_text("## 【Keynote】A\n\n### 实事描述\nA 内容。\n\n---\n\n以上为今日快报。\n")
    (entry,) = doc.entries
    assert entry.description == "A 内容。" and entry.end_line == 4
    assert [(p.line, p.column) for p in doc.problems] == [(8, 1)]
    assert "belongs to no entry" in doc.problems[0].message


def test_a_rule_inside_a_description_is_not_a_footer() -> None:
    """``---`` between two paragraphs of one section, more sections after it."""
    doc = load_text(
        "## 【Keynote】A\n\n### 实事描述\n一。\n\n---\n\n二。\n\n### 对华为的启示\n启示。\n"
    )
    (entry,) = doc.entries
    assert entry.description == "一。\n\n\n\n二。" and not doc.problems


@pytest.mark.parametrize("colon", [":", "﹕", "︰", "∶"])
def test_half_width_and_other_colons_in_author_line(colon: str) -> None:
    """``﹕`` (small) and ``︰`` (vertical) colons were part of the first name."""
    doc = load_text(f"## 【Keynote】K\n\n撰稿人{colon}王五 11112222\n")
    assert [(a.name, a.id) for a in doc.entries[0].authors] == [("王五", "11112222")]


def test_heading_inside_code_is_not_an_entry() -> None:
    doc = load_text(
        "# 每日参会快报\n\n## 【Keynote】K\n\n### 实事描述\n```\n## 【Keynote】no\n```\n"
    )
    assert [e.title for e in doc.entries] == ["K"]
    assert doc.entries[0].description == "```\n## 【Keynote】no\n```"


def test_comments_are_not_field_text() -> None:
    doc = load_text("## 【Keynote】K\n\n### 实事描述\n描述\n<!-- gtcbrief-disable GB501 -->\n")
    assert doc.entries[0].description == "描述"
    assert doc.comments[0].text == "gtcbrief-disable GB501"


def test_crlf_and_bom_keep_line_numbers() -> None:
    doc = load_path(str(ROOT / "tests" / "data" / "loader" / "crlf-bom.md"))
    assert doc.title == "每日参会快报"
    entry = doc.entries[0]
    assert (entry.line, entry.authors_line) == (3, 15)
    assert entry.description == "第一行\n第二行"


def test_unknown_sections_are_kept_by_heading() -> None:
    doc = load_text("## 【Keynote】K\n\n### 备注\n随手记\n")
    (section,) = doc.entries[0].sections
    assert (section.heading, section.field, section.text, section.line) == (
        "备注",
        None,
        "随手记",
        3,
    )


def test_format_can_be_forced_by_config() -> None:
    from gtcbrief.config import Config

    text = "# 随笔\n\n## 【Keynote】K\n"
    assert load_text(text).format == "brief"
    assert load_text(text, config=Config(doc_format="markdown")).entries == ()


def _split_top_reference(text: str, seps: str) -> list[str]:
    """The character-by-character reading ``_split_top`` must agree with."""
    parts: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in text:
        if ch in "(（":
            depth += 1
        elif ch in ")）":
            depth = max(0, depth - 1)
        if ch in seps and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


@given(st.text(alphabet="(（)）、;；\n,，a李 ", max_size=40))
def test_split_top_agrees_with_reading_char_by_char(text: str) -> None:
    from gtcbrief.loader import _split_top

    for seps in ("、;；\n", ",，", "、,，;；"):
        assert _split_top(text, seps) == _split_top_reference(text, seps)


@given(st.text(alphabet="<>/!?-pre style[CDATA]aX \t\n", max_size=24))
@example("  <pre>\n")
@example(" <!-- note -->\n")
@example("   <div class='x'>\n")
@example("<x-custom a='1'>\n")
@example("    <p>\n")
@example("text <b>bold</b>\n")
def test_html_block_start_is_mistletoes_only_sooner(line: str) -> None:
    from mistletoe import block_token

    from gtcbrief.loader import _html_block, load_text

    load_text("x")  # mistletoe imported as the loader imports it
    quick = _html_block(block_token)
    real = block_token.HtmlBlock
    try:
        expected: object = real.start(line)
    except IndexError:  # mistletoe's own bug on a bare "<!": the quick one must share it
        with pytest.raises(IndexError):
            quick.start(line)
        return
    assert quick.start(line) == expected
    if expected:
        assert quick._end_cond == real._end_cond


def _tree(token: object) -> tuple[object, ...]:
    """What a mistletoe token says about the block structure, its children's too."""
    children = getattr(token, "children", None) or ()
    footnotes = getattr(token, "footnotes", None)
    return (
        type(token).__name__,
        *(
            getattr(token, name, None)
            for name in ("line_number", "level", "loose", "start", "leader", "language", "content")
        ),
        sorted(footnotes.items()) if isinstance(footnotes, dict) else None,
        tuple(_tree(child) for child in children),
    )


#: Lines where a block type begins, nested in quotes and lists, or only nearly begins.
_BLOCK_EDGES = [
    pytest.param("# 主题\n\n正文\n---\n", id="brief-like: headings, paragraph, setext"),
    pytest.param("- a\n- b\n\n  > q\n  ```\n  x\n  ```\n", id="quote and fence in a list"),
    pytest.param("10. a\n\n    > q\n    <div>\n    [x]: /u\n", id="quote, html, note 4 in"),
    pytest.param("> - a\n>     code\n> <div>\n> [x]: /u\n", id="list, code, html, note in a quote"),
    pytest.param("x\n-\u3000y\n", id="full-width space after a dash: interrupts, starts no list"),
    pytest.param("x\n1. y\n2) z\n", id="ordered markers"),
    pytest.param("a    b\n\tc\n  \td\n", id="four spaces mid-line, a tab, spaces then a tab"),
    pytest.param("\u3000<p>\n\u3000\u3000[a]: /b\n", id="full-width spaces, html, note"),
    pytest.param("\u3000<p class=x\n", id="html after a full-width space, no > anywhere"),
    pytest.param("> [x]: /u\n", id="a footnote in a quote"),
    pytest.param("> \tcode\n", id="a tab after a quote's marker: code"),
    pytest.param("1. a\n\n    ```\n    x\n    ```\n", id="a fence four spaces in, inside an item"),
    pytest.param("\tcode\n\n  \tmore\n", id="code indented by a tab"),
    pytest.param("a | b\n--|--\n1 | 2\n", id="table"),
    pytest.param("text ``` not a fence\n~~~\ncode\n~~~\n", id="fences"),
    pytest.param("para\n    not code\n\n    code\n", id="indented lines after a paragraph"),
    pytest.param("a > b and c < d [e]\n", id="the characters only inside a line"),
]


@pytest.mark.parametrize("text", _BLOCK_EDGES)
def test_trying_only_the_possible_block_types_gives_the_same_tree(text: str) -> None:
    from gtcbrief.loader import _mistletoe_document

    lines = text.splitlines(keepends=True)
    assert _tree(_mistletoe_document(lines)) == _tree(_mistletoe_document(lines, every_type=True))


def test_a_brief_is_parsed_with_headings_breaks_and_paragraphs_only() -> None:
    from mistletoe import block_token

    from gtcbrief.loader import _possible_types

    load_text("x")  # the loader's block types are in place
    text = "\n" + BRIEF.read_text(encoding="utf-8")
    kept = {t.__name__ for t in _possible_types(block_token, block_token._token_types, text)}
    assert kept == {"Heading", "ThematicBreak", "Paragraph"}


@given(
    st.lists(
        st.text(alphabet=" \t\u3000#=-_*+1.)>`~<!/[]:|x中", max_size=12),
        max_size=12,
    )
)
def test_any_text_gets_the_same_tree_from_the_possible_block_types(lines: list[str]) -> None:
    from gtcbrief.loader import _mistletoe_document

    lines = [line + "\n" for line in lines]
    try:
        expected = _tree(_mistletoe_document(lines, every_type=True))
    except (IndexError, RecursionError):  # mistletoe's own failures: the same ones
        with pytest.raises((IndexError, RecursionError)):
            _mistletoe_document(lines)
        return
    assert _tree(_mistletoe_document(lines)) == expected


def test_section_headings_as_writers_vary_them_fill_their_fields() -> None:
    """A colon after the name, Traditional characters, the value on the heading line."""
    doc = load_text(
        "# 每日参会快报\n\n## 【Keynote】A\n\n### 主題\nAI - GPU\n\n### 演講人或相關公司\n"
        "A Li（CEO, X）\n\n### 实事描述：\n内容。\n\n### 對華為的啟示：要关注。\n\n"
        "撰稿人：张三 12345678\n"
    )
    (entry,) = doc.entries
    assert (entry.track, [s.name for s in entry.speakers]) == ("AI", ["A Li"])
    assert (entry.description, entry.implications) == ("内容。", "要关注。")
    assert entry.section("implications").text_line == 14  # type: ignore[union-attr]


def test_a_title_one_level_down_is_the_title_not_an_entry() -> None:
    doc = load_text("## 每日参会快报\n\n## 【Keynote】A\n\n### 主题\nAI - GPU\n")
    assert (doc.title, doc.title_line) == ("每日参会快报", 1)
    assert [e.title for e in doc.entries] == ["A"]


@pytest.mark.parametrize(
    "line",
    ["**撰稿人**：张三 12345678", "**撰稿人：**张三 12345678", "**撰稿人：张三 12345678**"],
)
def test_a_bold_author_line_is_the_author_line(line: str) -> None:
    (entry,) = load_text(f"## 【Keynote】K\n\n### 对华为的启示\n启示。\n\n{line}\n").entries
    assert [(a.name, a.id) for a in entry.authors] == [("张三", "12345678")]
    assert entry.implications == "启示。"


def test_a_second_author_line_adds_people_and_leaves_the_text_alone() -> None:
    (entry,) = load_text(
        "## 【Keynote】K\n\n### 对华为的启示\n关注。\n\n"
        "撰稿人：张三 12345678\n\n撰稿人：李四 87654321\n"
    ).entries
    assert [a.name for a in entry.authors] == ["张三", "李四"]
    assert (entry.implications, entry.authors_line) == ("关注。", 6)


_OLD_NAMES_WITH_IDS = re.compile(
    r"(?:[^\d、,，;；。！？!?]{1,20}?\s*\d{4,}\s*(?:[、,，;；]\s*|$))+"
)
_OLD_SIGNED = re.compile(r"[：:].*\d{4,}")


@given(st.text(alphabet="张三 12345、,;。:：a", max_size=24))
@example("张三 10000000、李四 10000001、")
@example("张三 10000000、、李四 10000001")
def test_the_author_line_tests_read_as_their_patterns_did(text: str) -> None:
    """The same answers as the two patterns they replace, which took exponential
    (names with ids) and quadratic (a colon, then an id) time on some lines."""
    from gtcbrief.loader import _names_with_ids, _signed

    assert _names_with_ids(text) == bool(_OLD_NAMES_WITH_IDS.fullmatch(text))
    assert _signed(text) == bool(_OLD_SIGNED.search(text))


@pytest.mark.parametrize("pattern", [r"\d{8}", r"[a-z]?\d{8}"], ids=["default", "letters"])
def test_an_author_line_with_a_long_run_of_spaces_is_one_unidentified_name(pattern: str) -> None:
    """'马超 61234503', 4,000 spaces and a letter: 274 s to read with a letter id_pattern
    (two optional runs of blanks side by side in the pattern), under a second now."""
    line = "马超 61234503" + " " * 4000 + "x"
    assert [(a.name, a.id) for a in parse_authors(line, pattern)] == [(line, None)]
