"""Properties over any text: validate never crashes, points inside the file, fixes converge."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gtcbrief.config import DEFAULT
from gtcbrief.fix import document_content, fix_documents
from gtcbrief.loader import load_text, split_lines
from gtcbrief.rules.engine import make_selection, run

# Markdown-ish text: the pieces briefs and notes are made of, plus anything at all.
PIECES = st.sampled_from(
    [
        "# 每日参会快报",
        "## 【Talks & Panels】标题",
        "## [Keynote] x",
        "### 主题",
        "### 实施描述",
        "Robotics - Simulation",
        "Wei Liu（CTO, NVIDIA）",
        "撰稿人：赵伟 59843547、张峰 5622151",
        "撰稿人:赵伟 59843547,张峰",
        "---",
        "",
        " ",
        "\t",
        "  ",
        "- 要点,细节",
        "  - 子项",
        "![](x.png)",
        "![image](y)",
        "[链接](#)",
        '<a name=""></a>',
        "<!-- gtcbrief-disable GB501 -->",
        "<!-- gtcbrief-disable-next-line GB104 -->",
        "```",
        "> 引用",
        "中文,句子;问题?",
        "\r",
    ]
)
TEXT = st.one_of(
    st.lists(PIECES, max_size=40).map("\n".join),
    st.lists(st.one_of(PIECES, st.text(max_size=20)), max_size=30).map("\n".join),
    st.text(max_size=200),
)
SELECTION = make_selection(DEFAULT, ignore=["GB301", "GB302"])


@given(TEXT)
def test_findings_point_inside_the_file(text: str) -> None:
    doc = load_text(text, "t.md")
    lines = max(1, len(split_lines(text)))
    for d in run([doc], DEFAULT, SELECTION):
        assert 1 <= d.line <= lines + 1, d
        assert d.column >= 1 and d.message


@settings(max_examples=150)
@given(TEXT)
def test_fix_converges_and_keeps_entries(text: str) -> None:
    doc = load_text(text, "t.md")
    (first,) = fix_documents([doc], DEFAULT, SELECTION)
    if first.refused:
        assert first.text == text
        return
    fixed = load_text(first.text, "t.md")
    assert document_content(fixed) == document_content(doc)
    (second,) = fix_documents([fixed], DEFAULT, SELECTION)
    assert not second.changed, (first.text, second.text)
