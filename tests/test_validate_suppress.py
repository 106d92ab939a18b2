"""Inline suppressions: next line, own line, ranges, whole file, and unused ones reported."""

from __future__ import annotations

import pytest

from gtcbrief.config import DEFAULT
from gtcbrief.loader import load_text
from gtcbrief.rules.engine import make_selection, run


def found(text: str, *select: str) -> list[tuple[str, int]]:
    doc = load_text(text, "t.md")
    selection = make_selection(DEFAULT, select=list(select) or ["GB501", "GB002"])
    return [(d.code, d.line) for d in run([doc], DEFAULT, selection)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "# 笔记\n\n第一行 \n第二行 \n",
            [("GB501", 3), ("GB501", 4)],
            id="no-suppression",
        ),
        pytest.param(
            "# 笔记\n\n<!-- gtcbrief-disable-next-line GB501 -->\n第一行 \n第二行 \n",
            [("GB501", 5)],
            id="next-line",
        ),
        pytest.param(
            "# 笔记\n\n<!-- gtcbrief-disable-next-line trailing-whitespace -->\n第一行 \n",
            [],
            id="next-line-by-name",
        ),
        pytest.param(
            "# 笔记\n\n第一行 <!-- gtcbrief-disable-line GB501 --> \n第二行 \n",
            [("GB501", 4)],
            id="own-line",
        ),
        pytest.param(
            "# 笔记\n\n<!-- gtcbrief-disable GB501 -->\n第一行 \n第二行 \n"
            "<!-- gtcbrief-enable GB501 -->\n第三行 \n",
            [("GB501", 7)],
            id="range",
        ),
        pytest.param(
            "# 笔记\n\n<!-- gtcbrief-disable -->\n第一行 \n<!-- gtcbrief-enable -->\n第二行 \n",
            [("GB501", 6)],
            id="range-of-all-rules",
        ),
        pytest.param(
            "# 笔记\n\n第一行 \n第二行 \n<!-- gtcbrief-disable-file GB501 -- pasted logs -->\n",
            [],
            id="file-level-anywhere-with-a-reason",
        ),
        pytest.param(
            "# 笔记\n\n```\n<!-- gtcbrief-disable-file GB501 -->\n```\n第一行 \n",
            [("GB501", 6)],
            id="a-directive-in-code-is-text",
        ),
    ],
)
def test_suppression_scopes(text: str, expected: list[tuple[str, int]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "# 笔记\n\n<!-- gtcbrief-disable-next-line GB501 -->\n第一行\n",
            [("GB002", 3)],
            id="silences-nothing",
        ),
        pytest.param(
            "# 笔记\n\n<!-- gtcbrief-disable-next-line GB501 GB999 -->\n第一行 \n",
            [("GB002", 3)],
            id="unknown-rule",
        ),
        pytest.param(
            "# 笔记\n\n<!-- gtcbrief-disable-next-line GB501, GB503 -->\n第一行 \n",
            [("GB002", 3)],
            id="one-of-two-codes-unused",
        ),
        pytest.param(
            "# 笔记\n\n<!-- gtcbrief-disable-next-line GB501 -->\n第一行 \n",
            [],
            id="used",
        ),
        pytest.param(
            "# 笔记\n\n<!-- gtcbrief-disable-next-line GB104 -->\n第一行\n",
            [],
            id="rule-not-selected-is-not-judged",
        ),
        pytest.param(
            "# 笔记\n\n<!-- gtcbrief-disable GB501 -->\n第一行 \n<!-- gtcbrief-enable GB999 -->\n",
            [("GB002", 5)],
            id="unknown-rule-in-an-enable",
        ),
        pytest.param(
            "<!-- gtcbrief-disable-file GB002 -->\n# 笔记\n\n"
            "<!-- gtcbrief-disable-next-line GB501 -->\n第一行\n",
            [],
            id="unused-report-can-itself-be-silenced",
        ),
    ],
)
def test_unused_suppressions_are_reported(text: str, expected: list[tuple[str, int]]) -> None:
    assert found(text, "GB501", "GB503", "GB002") == expected


def test_enable_of_one_code_keeps_the_others_disabled() -> None:
    text = (
        "# 笔记\n\n<!-- gtcbrief-disable GB501 GB503 -->\n第一行,句子 \n"
        "<!-- gtcbrief-enable GB501 -->\n第二行,句子 \n"
    )
    assert found(text, "GB501", "GB503", "GB002") == [("GB501", 6)]


def test_enable_of_one_code_after_disabling_every_rule_enables_that_one() -> None:
    """It enabled nothing: the range of every rule went on, silently."""
    text = (
        "# 笔记\n\n<!-- gtcbrief-disable -->\n第一行,句子 \n"
        "<!-- gtcbrief-enable GB501 -->\n第二行,句子 \n<!-- gtcbrief-enable -->\n第三行,句子 \n"
    )
    assert sorted(found(text, "GB501", "GB503", "GB002")) == [
        ("GB501", 6), ("GB501", 8), ("GB503", 8),
    ]  # fmt: skip


def test_corpus_findings_are_suppressed_in_their_own_file() -> None:
    entry = (
        "## 【Talks & Panels】机器人仿真\n\n### 主题\nRobotics - Robotics Simulation\n\n"
        "### 演讲人或相关公司\nWei Liu（Architect, NVIDIA）\n\n"
    )
    a = load_text("# 每日参会快报\n\n" + entry, "a.md")
    b = load_text(
        "# 每日参会快报\n\n<!-- gtcbrief-disable-next-line duplicate-title -->\n" + entry, "b.md"
    )
    selection = make_selection(DEFAULT, select=["GB110", "GB002"])
    assert run([a, b], DEFAULT, selection) == []
    b_plain = load_text("# 每日参会快报\n\n" + entry, "b.md")
    assert [(d.path, d.line) for d in run([a, b_plain], DEFAULT, selection)] == [("b.md", 3)]
