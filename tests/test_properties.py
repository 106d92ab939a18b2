"""The loader never raises on any text, and what it returns is consistent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import gtcbrief.loader as loader
from gtcbrief.loader import _ATX, atx_text, load_text, split_lines

# Pieces that make Markdown (and briefs) interesting, mixed with arbitrary text.
PIECES = st.sampled_from(
    [
        "# ",
        "## ",
        "### ",
        "## 【Talks & Panels】",
        "【",
        "】",
        "---",
        "===",
        "- ",
        "  - ",
        "> ",
        "```",
        "    ",
        "\n",
        "\r\n",
        "\r",
        "\t",
        "撰稿人：",
        "撰稿人:",
        "张三 12345678",
        "、",
        "，",
        "（",
        "）",
        "(",
        ")",
        "[x](#a)",
        "![](",
        '<a name="',
        '">',
        "<!-- ",
        " -->",
        "|",
        "*",
        "### 实事描述\n",
        "### 主题\n",
        "Robotics - Sim",
        "\x1b[2J",
        "\u2028",
        "\x00",
        "\ufeff",
    ]
)
MARKDOWNISH = st.lists(st.one_of(PIECES, st.text(max_size=8)), max_size=60).map("".join)


def _consistent(text: str) -> None:
    doc = load_text(text, "p.md")
    count = len(split_lines(text))
    assert doc.line_count == count
    for entry in doc.entries:
        assert 1 <= entry.line <= entry.end_line <= max(count, 1)
        for section in entry.sections:
            assert entry.line <= section.line <= section.end_line <= entry.end_line
    for link in doc.links:
        assert 1 <= link.line <= count
    doc.to_dict()  # serialisable


@given(st.text())
def test_never_raises_on_arbitrary_text(text: str) -> None:
    _consistent(text)


@given(MARKDOWNISH)
def test_never_raises_on_markdown_like_text(text: str) -> None:
    _consistent(text)


def test_pathological_lines_load() -> None:
    """Inputs that are quadratic in Markdown inline parsing (a line of 20,000 links
    took 80 s before the loader stopped parsing spans) load, with every link found.
    A regression shows as minutes added to the suite, not as a flaky timer."""
    doc = load_text("[x](#a) " * 20_000 + "\n")
    assert len(doc.links) == 20_000
    for text in ("[a](" * 20_000, "<!--" * 20_000, "字" * 500_000):
        assert load_text(text + "\n").line_count == 1


def _lines_reference(text: str) -> list[str]:
    """Lines as an editor numbers them, read a character at a time: ``\\r\\n``, ``\\r``
    and ``\\n`` each end one; nothing else does; a final end adds no empty line."""
    lines: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in "\r\n":
            lines.append("".join(current))
            current = []
            i += 2 if text.startswith("\r\n", i) else 1
            continue
        current.append(char)
        i += 1
    if current:
        lines.append("".join(current))
    return lines


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        pytest.param("", [], id="empty"),
        pytest.param("a\nb\n", ["a", "b"], id="lf"),
        pytest.param("a\r\nb", ["a", "b"], id="crlf, no final end"),
        pytest.param("a\rb\r\n\nc", ["a", "b", "", "c"], id="cr, crlf and lf mixed"),
        pytest.param("a\n\n", ["a", ""], id="a blank last line"),
        pytest.param("\r", [""], id="one empty line"),
        pytest.param("a\u2028b\x0cc\x85d\n", ["a\u2028b\x0cc\x85d"], id="no other line ends"),
    ],
)
def test_split_lines_ends_lines_where_editors_do(text: str, lines: list[str]) -> None:
    assert split_lines(text) == lines == _lines_reference(text)


@given(st.one_of(st.text(), MARKDOWNISH))
def test_split_lines_agrees_with_reading_char_by_char(text: str) -> None:
    assert split_lines(text) == _lines_reference(text)


def _atx_reference(line: str) -> str | None:
    match = _ATX.match(line)
    return None if match is None else (match.group(2) or "")


#: Lines made of what an ATX heading's reading turns on: blanks, marks, text, a CR.
ATX_LINES = st.text(alphabet=st.sampled_from([" ", "\t", "#", "a", "题", "\u3000", "\r", "\\"]))


@pytest.mark.parametrize(
    ("line", "text"),
    [
        pytest.param("## 标题", "标题", id="plain"),
        pytest.param("#", "", id="empty"),
        pytest.param("   ### 标题 ##  ", "标题", id="indent and closing run"),
        pytest.param("# 标题#", "标题#", id="no blank before the closing run"),
        pytest.param("# #", "#", id="only a run"),
        pytest.param("# a ## b ##", "a ## b", id="a run inside"),
        pytest.param("#标题", None, id="no blank after the opening"),
        pytest.param("####### 标题", None, id="seven"),
        pytest.param("    # 标题", None, id="four spaces"),
    ],
)
def test_atx_text_reads_headings_as_the_pattern_does(line: str, text: str | None) -> None:
    assert atx_text(line) == text == _atx_reference(line)


@given(st.one_of(ATX_LINES, st.text().map(lambda s: s.replace("\n", ""))))
def test_atx_text_agrees_with_the_pattern(line: str) -> None:
    assert atx_text(line) == _atx_reference(line)


def _heading_start(cls: type, line: str) -> tuple[object, ...]:
    """What ``Heading.start`` says of ``line``, and what it leaves for ``read``."""
    if not cls.start(line):  # type: ignore[attr-defined]
        return (False,)
    return (True, cls.level, cls.content, cls.closing_sequence)  # type: ignore[attr-defined]


def _headings() -> tuple[type, type]:
    """The loader's ``Heading`` and mistletoe's own."""
    from mistletoe import block_token

    loader._mistletoe_document(["# made on first use\n"])
    assert loader._HEADING is not None and loader._HEADING is not block_token.Heading
    return loader._HEADING, block_token.Heading


@pytest.mark.parametrize(
    "line",
    [
        "## 【Talks & Panels】标题\n",
        "#\n",
        "   ### 演讲者  \n",
        "# 标题 ##\n",
        "# 标题#\n",
        "#标题\n",
        "####### 标题\n",
        "    # 标题\n",
        "#\u3000标题\n",
        "# 标题",
        "",
        "段落\n",
    ],
)
def test_the_loaders_heading_starts_as_mistletoes_does(line: str) -> None:
    fast, base = _headings()
    assert _heading_start(fast, line) == _heading_start(base, line)


#: Lines made of what mistletoe's heading pattern turns on.
HEADING_LINES = st.text(
    alphabet=st.sampled_from([" ", "\t", "#", "a", "题", "\u3000", "\r", "\n"]), max_size=16
)


@given(st.one_of(HEADING_LINES, HEADING_LINES.map(lambda s: s + "\n"), st.text()))
def test_the_loaders_heading_agrees_with_mistletoes_pattern(line: str) -> None:
    fast, base = _headings()
    assert _heading_start(fast, line) == _heading_start(base, line)
