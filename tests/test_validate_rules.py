"""Every validate rule: a fixture that triggers it exactly where expected, and one that does not.

Fixtures live in ``tests/data/validate/``: ``<CODE>.bad.md`` / ``<CODE>.good.md``,
or a directory of files for the rules that compare files (``GB110``, ``GB205``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gtcbrief.config import DEFAULT
from gtcbrief.loader import iter_documents, load_text
from gtcbrief.rules import all_rules, resolve
from gtcbrief.rules.engine import make_selection, mismatch_available, run

DATA = Path(__file__).parent / "data" / "validate"
ROOT = Path(__file__).resolve().parents[1]

#: bad fixture -> the (file, line, column) of each finding of its rule.
EXPECTED: dict[str, list[tuple[str, int, int]]] = {
    "GB001.bad.md": [("GB001.bad.md", 1, 1)],
    "GB002.bad.md": [("GB002.bad.md", 3, 1), ("GB002.bad.md", 19, 1)],
    "GB101.bad.md": [("GB101.bad.md", 1, 1)],
    "GB102.bad.md": [("GB102.bad.md", 3, 1)],
    "GB103.bad.md": [("GB103.bad.md", 3, 1)],
    "GB104.bad.md": [("GB104.bad.md", 3, 1), ("GB104.bad.md", 11, 1)],
    "GB105.bad.md": [("GB105.bad.md", 11, 1)],
    "GB106.bad.md": [("GB106.bad.md", 14, 1)],
    "GB107.bad.md": [("GB107.bad.md", 17, 1)],
    "GB108.bad.md": [("GB108.bad.md", 18, 1), ("GB108.bad.md", 35, 1)],
    "GB109.bad.md": [("GB109.bad.md", 19, 1)],
    "GB110.bad.md": [("GB110.bad.md", 21, 1)],
    "GB110.bad-across": [("b.md", 21, 1)],
    "GB201.bad.md": [("GB201.bad.md", 6, 1)],
    "GB202.bad.md": [("GB202.bad.md", 9, 1), ("GB202.bad.md", 9, 9)],
    "GB203.bad.md": [("GB203.bad.md", 17, 4)],
    "GB204.bad.md": [("GB204.bad.md", 17, 8), ("GB204.bad.md", 17, 16)],
    "GB205.bad": [("b.md", 17, 8)],
    "GB206.bad.md": [("GB206.bad.md", 3, 1)],
    "GB302.bad.md": [("GB302.bad.md", 21, 1)],
    "GB401.bad.md": [("GB401.bad.md", 4, 3), ("GB401.bad.md", 5, 3)],
    "GB402.bad.md": [("GB402.bad.md", 14, 13)],
    "GB403.bad.md": [("GB403.bad.md", 4, 1), ("GB403.bad.md", 6, 2)],
    "GB404.bad.md": [("GB404.bad.md", 3, 1), ("GB404.bad.md", 4, 1)],
    "GB405.bad.md": [("GB405.bad.md", 3, 1)],
    "GB406.bad.md": [("GB406.bad.md", 14, 13)],
    "GB501.bad.md": [("GB501.bad.md", 1, 5), ("GB501.bad.md", 3, 4)],
    "GB502.bad.md": [("GB502.bad.md", 4, 1)],
    "GB503.bad.md": [("GB503.bad.md", 3, 5), ("GB503.bad.md", 4, 3)],
    "GB504.bad.md": [("GB504.bad.md", 3, 4)],
}

#: Rules whose fixtures are the samples (their check lives in gtcbrief.mismatch).
SAMPLE_CASES = {"GB301": ("samples/gtc-daily-brief.md", "samples/clean-brief.md")}
MISMATCH = {"GB301", "GB302"}


def findings(path: Path, code: str) -> list[tuple[str, int, int]]:
    docs = list(iter_documents([str(path)]))
    assert docs, f"no Markdown under {path}"
    # unused-suppression judges only the rules that ran: run the ones its fixture names
    selection = make_selection(DEFAULT, select=[code] if code != "GB002" else ["GB0", "GB1"])
    found = run(docs, DEFAULT, selection)
    return [(Path(d.path).name, d.line, d.column) for d in found if d.code == code]


def _needs_mismatch(code: str) -> None:
    if code in MISMATCH and not mismatch_available():
        pytest.skip("gtcbrief.mismatch is not installed yet")


def test_the_fixture_glob_finds_files() -> None:
    assert len(list(DATA.glob("GB*.bad*"))) >= 25
    assert len(list(DATA.glob("GB*.good*"))) >= 25


@pytest.mark.parametrize("fixture", sorted(EXPECTED), ids=sorted(EXPECTED))
def test_rule_triggers_where_expected(fixture: str) -> None:
    code = fixture[:5]
    _needs_mismatch(code)
    assert findings(DATA / fixture, code) == EXPECTED[fixture]


GOOD = sorted(p.name for p in DATA.glob("GB*.good*"))


@pytest.mark.parametrize("fixture", GOOD, ids=GOOD)
def test_rule_is_quiet_on_good_text(fixture: str) -> None:
    code = fixture[:5]
    _needs_mismatch(code)
    assert findings(DATA / fixture, code) == []


@pytest.mark.parametrize("code", sorted(SAMPLE_CASES), ids=sorted(SAMPLE_CASES))
def test_sample_based_rules(code: str) -> None:
    _needs_mismatch(code)
    bad, good = SAMPLE_CASES[code]
    flagged = findings(ROOT / bad, code)
    assert flagged and all(name == Path(bad).name for name, _, _ in flagged)
    assert (Path(bad).name, 3, 1) in flagged  # the first entry: robotics title, LLM description
    assert findings(ROOT / good, code) == []


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: f"{r.code}-{r.name}")
def test_every_rule_has_a_bad_and_a_good_case(rule: object) -> None:
    code = rule.code  # type: ignore[attr-defined]
    bad = any(k.startswith(code + ".bad") for k in EXPECTED) or code in SAMPLE_CASES
    good = any(name.startswith(code + ".good") for name in GOOD) or code in SAMPLE_CASES
    assert bad and good, f"{code} needs a triggering and a quiet fixture"


def test_registry_codes_and_names_are_stable_shapes() -> None:
    rules = all_rules()
    codes = [r.code for r in rules]
    names = [r.name for r in rules]
    assert len(set(codes)) == len(codes) and len(set(names)) == len(names)
    assert codes == sorted(codes)
    for r in rules:
        assert re.fullmatch(r"GB\d{3}", r.code)
        assert re.fullmatch(r"[a-z]+(?:-[a-z]+)*", r.name)
        assert r.severity in ("error", "warning", "info")
        assert r.kind in ("document", "corpus")
        assert r.doc and "\n" not in r.doc
    # reserved for the mismatch/dedupe issue (SPEC contract names)
    by_code = {r.code: r for r in rules}
    assert by_code["GB301"].name == "description-mismatch"
    assert by_code["GB302"].name == "copied-description"
    assert by_code["GB104"].name == "missing-section"


def test_readme_documents_every_rule() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## validate\n", 1)[1].split("\n## ", 1)[0]
    for r in all_rules():
        assert f"| `{r.code}` | `{r.name}` | {r.severity} |" in section, r.code


@pytest.mark.parametrize(
    ("selectors", "expected"),
    [
        pytest.param(["GB104"], {"GB104"}, id="code"),
        pytest.param(["missing-section"], {"GB104"}, id="name"),
        pytest.param(["gb50"], {"GB501", "GB502", "GB503", "GB504"}, id="prefix"),
        pytest.param(["GB101,GB102"], set(), id="comma-is-split-by-the-cli-not-here"),
    ],
)
def test_resolve_selectors(selectors: list[str], expected: set[str]) -> None:
    if not expected:
        with pytest.raises(Exception, match="unknown rule"):
            resolve(selectors)
        return
    assert resolve(selectors) == expected


def test_near_miss_heading_is_one_finding_not_two() -> None:
    selection = make_selection(DEFAULT, select=["GB104", "GB107"])
    docs = list(iter_documents([str(DATA / "GB104.bad.md")]))
    found = run(docs, DEFAULT, selection)
    assert [(d.code, d.line) for d in found] == [("GB104", 3), ("GB104", 11)]
    assert found[1].suggestion == "实事描述"
    assert "实施描述" in found[1].message


def test_a_file_that_fails_to_parse_does_not_change_how_the_next_one_reads() -> None:
    # mistletoe's Quote switches setext parsing off while it works; a RecursionError used to
    # leave it off, so every later file lost its setext headings (and GB108 its precision)
    text = "# 每日参会快报\n\n【Talks & Panels】标题\n---\n"
    before = list(iter_documents([str(DATA / "GB001.bad.md")]))
    assert before[0].problems
    doc = load_text(text, "b.md")
    assert [h.setext for h in doc.headings] == [False, True]
    assert doc.thematic_breaks == ()


def test_yaml_front_matter_is_not_a_swallowed_separator() -> None:
    text = "---\ntitle: 快报\n---\n\n# 每日参会快报\n\n正文\n---\n"
    doc = load_text(text, "b.md")
    found = run([doc], DEFAULT, make_selection(DEFAULT, select=["GB108"]))
    assert [(d.line, d.fixable) for d in found] == [(8, True)]


def test_trailing_whitespace_of_each_kind_is_found_and_only_at_the_end() -> None:
    from gtcbrief.rules import DocContext
    from gtcbrief.rules.hygiene import trailing_whitespace

    lines = ["a ", "b\t", "c\u3000", "d \t\u3000", "e f", "", " ", "g\u00a0", "h \n"]
    doc = load_text("\n".join(lines[:-1]) + "\n", "t.md")
    hits = list(trailing_whitespace(DocContext(doc, lines, DEFAULT)))
    assert [(h.line, h.column) for h in hits] == [(1, 2), (2, 2), (3, 2), (4, 2), (7, 1), (9, 2)]


def test_an_indented_setext_separator_is_reported_where_its_dashes_start() -> None:
    text = "# 每日参会快报\n\n## 【Keynote】K\n\n撰稿人：王五 11112222\n  ---\n"
    doc = load_text(text, "t.md")
    found = [(d.line, d.column) for d in run([doc], DEFAULT, make_selection(DEFAULT, ["GB108"]))]
    assert found == [(6, 3)]


def _found(text: str, *codes: str) -> list[tuple[str, int, int, bool]]:
    doc = load_text(text, "t.md")
    found = run([doc], DEFAULT, make_selection(DEFAULT, list(codes)))
    return [(d.code, d.line, d.column, d.fixable) for d in found]


def test_a_heading_without_its_space_is_reported_where_the_space_belongs() -> None:
    text = "# 每日参会快报\n\n##【Keynote】K\n\n###主题\nAI - GPU\n\n### 实事描述\n##话题\n"
    assert _found(text, "GB102", "GB104") == [
        ("GB104", 3, 1, False),  # no 演讲人或相关公司
        ("GB104", 3, 1, False),  # no 对华为的启示
        ("GB102", 3, 3, True),
        ("GB104", 5, 4, True),
    ]


@pytest.mark.parametrize("blank", ["\u3000", "\xa0"], ids=["ideographic-space", "no-break-space"])
def test_another_blank_after_the_marks_is_read_and_reported_with_a_fix(blank: str) -> None:
    """mistletoe takes ``##\u3000【…】`` for a heading, CommonMark (GitHub) for text; the
    title kept its marks (``##　【Keynote】K``, no kind) and ``###\u3000主题`` its field."""
    text = f"# 每日参会快报\n\n##{blank}【Keynote】K\n\n###{blank}主题\nAI - GPU\n"
    (entry,) = load_text(text, "t.md").entries
    assert (entry.kind, entry.title, entry.track) == ("Keynote", "K", "AI")
    found = _found(text, "GB102", "GB104")
    assert [f for f in found if f[3]] == [("GB102", 3, 3, True), ("GB104", 5, 4, True)]


def test_speakers_joined_by_a_comma_or_slash_are_reported_at_the_joiner() -> None:
    text = (
        "## 【Keynote】K\n\n### 演讲人或相关公司\n"
        "A Li（CEO, X）， B Wu（CTO, Y (Z), W） / C Ma（VP, Y）、D Xu（VP, Q）\n"
    )
    assert _found(text, "GB202") == [("GB202", 4, 13, False), ("GB202", 4, 35, False)]


def test_the_footer_after_the_last_separator_is_a_parse_problem() -> None:
    text = "## 【Keynote】K\n\n撰稿人：王五 11112222\n\n---\n\n以上为今日快报。\n"
    assert _found(text, "GB001") == [("GB001", 7, 1, False)]


def test_a_section_heading_as_writers_vary_it_is_one_did_you_mean() -> None:
    text = "## 【Keynote】K\n\n### 主題\nAI - GPU\n\n### 实事描述：\n内容。\n"
    found = _found(text, "GB104", "GB107")
    assert [(c, line) for c, line, _, _ in found] == [
        ("GB104", 1),  # no 演讲人或相关公司
        ("GB104", 1),  # no 对华为的启示
        ("GB104", 3),  # 主題 for 主题
        ("GB104", 6),  # 实事描述： for 实事描述
    ]


def test_a_title_one_level_down_is_one_finding_on_its_line() -> None:
    text = "## 每日参会快报\n\n## 【Keynote】K\n\n撰稿人：王五 11112222\n"
    assert _found(text, "GB101", "GB102", "GB109") == [("GB101", 1, 1, False)]


def test_links_to_a_repeated_heading_use_githubs_numbered_names() -> None:
    text = "# 笔记\n\n- [一](#小结)\n- [二](#小结-1)\n- [三](#小结-2)\n\n## 小结\n\n## 小结\n"
    assert _found(text, "GB401") == [("GB401", 5, 3, False)]  # there is no third 小结


@pytest.mark.parametrize(
    "placeholder",
    ["待补充", "TBD", "（待定）", "略", "...", "TODO.", "见附件", "内容较多，详见附件中的PPT。"],
)
def test_a_placeholder_description_is_unfinished_not_mismatched(placeholder: str) -> None:
    text = f"## 【Keynote】Robot Learning\n\n### 实事描述\n{placeholder}\n"
    found = _found(text, "GB105", "GB206", "GB301")
    assert [(c, line) for c, line, _, _ in found] == [("GB105", 3)]


@pytest.mark.parametrize(
    "text",
    [
        "无人机",
        "演示中可以看见视频流被实时分析并生成字幕。",
        "可参考视频编解码方案，优化昇腾推理链路。",
    ],
)
def test_a_short_real_description_is_not_a_placeholder(text: str) -> None:
    """(见 or 参考 before 视频 inside a sentence is content, not 'see the video')"""
    assert _found(f"## 【Keynote】A\n\n### 实事描述\n{text}\n", "GB105") == []


def test_an_odd_colon_and_separators_are_replaced_not_kept() -> None:
    """``--fix`` wrote ``撰稿人：﹕张三`` (a second colon) and left ``﹑`` between authors."""
    text = "## 【Keynote】K\n\n### 实事描述\n内容。\n\n撰稿人﹕张三 12345678﹑李四 12345679\n"
    doc = load_text(text, "t.md")
    (found,) = run([doc], DEFAULT, make_selection(DEFAULT, ["GB203"]))
    assert [line for edit in found.fix for line in edit.lines] == [
        "撰稿人：张三 12345678、李四 12345679"
    ]


def test_every_kind_of_wrong_separator_is_named_once_as_the_fix_replaces_them_all() -> None:
    authors = "撰稿人：张三 12345678,李四 12345679；王五 12345670,赵六 12345671"
    text = f"## 【Keynote】K\n\n### 实事描述\n内容。\n\n{authors}\n"
    (found,) = run([load_text(text, "t.md")], DEFAULT, make_selection(DEFAULT, ["GB203"]))
    assert found.message == "author line: authors are separated by ',' and '；': use '、'"
    assert found.column == 16


def test_two_spaces_before_a_line_of_text_are_a_hard_break_not_trailing_whitespace() -> None:
    """Markdown's ``<br>`` (markdownlint's br_spaces): --fix stripped it, and a question and
    its answer ran together in the description."""
    text = "# 笔记\n\n提问：怎么做？  \n回答：这样做。  \n\n三个空格   \n下一行\n## 标题  \n文字\n"
    assert _found(text, "GB501") == [
        ("GB501", 4, 8, True), ("GB501", 6, 5, True), ("GB501", 8, 6, True),
    ]  # fmt: skip
    # before a heading, a list item or a table, in a table row or code: no break
    others = "# 笔记\n\n文字  \n## 标题\n\n段  \n- 项\n\n| a |  \n| - |\n\n```\ncode  \nmore\n```\n"
    assert [line for _c, line, _col, _f in _found(others, "GB501")] == [3, 6, 9, 13]
    # a line of the quote, a list not from 1, '#' without a space go on; an underline not
    goes_on = (
        "# 笔记\n\n> 第一行  \n> 第二行\n\n第三行  \n2. 第四行\n\n第五行  \n#5号展台\n\n"
        "撰稿  \n---\n"
    )
    assert [line for _c, line, _col, _f in _found(goes_on, "GB501")] == [12]
    # in a list, the next item (any number, any depth) starts its own; an HTML tag ends it
    items = "# 纪要\n\n1. 一\n2. 二  \n3. 三\n\n- 甲  \n    1. 乙\n\n文字  \n<div>\n"
    assert [line for _c, line, _col, _f in _found(items, "GB501")] == [4, 7, 10]
    # four spaces break the line too: the fix keeps two
    doc = load_text("# 笔记\n\n提问：怎么做？    \n回答。\n", "t.md")
    (found,) = run([doc], DEFAULT, make_selection(DEFAULT, ["GB501"]))
    assert [line for edit in found.fix for line in edit.lines] == ["提问：怎么做？  "]


def test_the_template_s_comma_in_a_speaker_s_parentheses_is_not_half_width_punctuation() -> None:
    text = (
        "# 每日参会快报\n\n## 【Keynote】机器人\n\n### 演讲人或相关公司\n"
        "王鹤（助理教授, 北京大学）、李雷（研究员, 清华大学）\n\n### 实事描述\n机器人,很好。\n"
    )
    assert _found(text, "GB503") == [("GB503", 9, 4, False)]  # the description's, only


def test_and_between_authors_and_full_width_digits_in_an_id_are_reported() -> None:
    """Both passed in silence: 和 made one name of 和赵磊, and re's \\d takes ５."""
    authors = "撰稿人：王芳 53456789和赵磊 54567890、李四 ５３４５６７８９"
    text = f"## 【Keynote】K\n\n### 实事描述\n内容。\n\n{authors}\n"
    assert _found(text, "GB203", "GB204") == [("GB203", 6, 16, True), ("GB204", 6, 32, False)]


def test_an_entry_or_a_section_a_level_off_is_read_as_meant_and_its_level_reported() -> None:
    """``### 【Keynote】乙`` joined the entry above (GB107, a second 实事描述, a second author
    line: seven findings, none about the level); ``## 实事描述`` made an entry of its own."""
    text = (
        "# 每日参会快报\n\n## 【Keynote】甲\n\n## 实事描述\n甲内容。\n\n撰稿人：张三 12345678\n\n"
        "---\n\n### 【Keynote】乙\n\n### 实事描述\n乙内容。\n#### 【案例】某公司\n\n"
        "撰稿人：李四 12345679\n"
    )
    doc = load_text(text, "t.md")
    assert [(e.line, e.title, e.description) for e in doc.entries] == [
        (3, "甲", "甲内容。"),
        (12, "乙", "乙内容。\n#### 【案例】某公司"),  # (a sub-heading stays the section's)
    ]
    found = _found(text, "GB102", "GB104", "GB107", "GB203")
    assert [f for f in found if f[3]] == [("GB104", 5, 1, True), ("GB102", 12, 1, True)]
    assert not [f for f in found if f[0] in ("GB107", "GB203")]


def test_a_section_name_at_level_2_after_the_last_separator_is_not_the_entry_s() -> None:
    """A summary ``## 对华为的启示`` after the last ``---`` joined the entry above, silently."""
    text = (
        "# 每日参会快报\n\n## 【Keynote】甲\n\n### 实事描述\n甲内容。\n\n撰稿人：张三 12345678\n\n"
        "---\n\n## 对华为的启示\n总结。\n"
    )
    doc = load_text(text, "t.md")
    assert [(e.line, e.end_line, e.implications) for e in doc.entries] == [
        (3, 8, None), (12, 13, None),
    ]  # fmt: skip


def test_a_bold_author_line_is_reported_with_a_fix() -> None:
    text = "## 【Keynote】K\n\n### 实事描述\n内容。\n\n**撰稿人**：张三 12345678\n"
    assert _found(text, "GB203", "GB206") == [("GB203", 6, 1, True)]


def test_a_second_section_of_one_name_is_reported_where_it_is() -> None:
    text = "## 【Keynote】K\n\n### 实事描述\n一。\n\n### 实事描述\n二。\n"
    assert _found(text, "GB107") == [("GB107", 6, 1, False)]


def test_a_kind_spelled_with_and_suggests_the_one_with_an_ampersand() -> None:
    doc = load_text("## 【Talks and Panels】A\n", "t.md")
    (found,) = run([doc], DEFAULT, make_selection(DEFAULT, ["GB103"]))
    assert found.suggestion == "Talks & Panels"


def test_a_second_author_line_is_reported_where_it_is() -> None:
    text = (
        "## 【Keynote】K\n\n### 实事描述\n内容。\n\n撰稿人：张三 12345678\n\n"
        "撰稿人：李四 87654321\n"
    )
    assert _found(text, "GB203", "GB204") == [("GB203", 8, 1, False)]


def test_a_findings_context_is_its_line_cut_to_a_thousand_characters() -> None:
    """40,000 speakers on one line, each a finding: each carried the whole line (and
    the text output made each safe before cutting it: minutes, not a second)."""
    from gtcbrief.diagnostics import write_text
    from gtcbrief.rules.engine import CONTEXT_LIMIT

    names = "、".join(f"张{i}" for i in range(3000))
    doc = load_text(f"## 【Keynote】A\n\n### 演讲人或相关公司\n{names}\n", "t.md")
    found = run([doc], DEFAULT, make_selection(DEFAULT, ["GB202"]))
    assert len(found) == 3000 and [d.column for d in found[:3]] == [1, 4, 7]
    assert {len(d.extras["context"]) for d in found} == {CONTEXT_LIMIT}
    import io

    out = io.StringIO()
    write_text(found[:1], out)
    shown = out.getvalue().split("\n")[1]
    assert shown.startswith("    | 张0、张1、") and shown.endswith("…") and len(shown) < 100


def test_authors_without_ids_are_found_in_order_even_with_one_name() -> None:
    text = "## 【Keynote】K\n\n撰稿人：张三、李四 12345678、张三\n"
    assert [(c, col) for c, _, col, _ in _found(text, "GB204")] == [("GB204", 5), ("GB204", 20)]


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        pytest.param("中国AI创投", "中国ai创投", id="cjk-and-latin"),
        pytest.param("⑴背景", "背景", id="circled-number-is-a-symbol"),
        pytest.param("Ⅻ 章", "ⅻ-章", id="roman-numeral-is-a-letter-number"),
        pytest.param("[链接](https://example.com) 标题", "链接-标题", id="link-shows-its-text"),
        pytest.param('<a name="x"></a>锚点标题', "锚点标题", id="html-tag-shows-nothing"),
        pytest.param("Q &amp; A", "q--a", id="entity-is-its-character"),
        pytest.param("`CUDA Graph` 优化", "cuda-graph-优化", id="code-span"),
        pytest.param("英伟达（NVIDIA）", "英伟达nvidia", id="full-width-punctuation"),
        pytest.param("snake_case", "snake_case", id="underscore-kept"),
        pytest.param("_强调_ 文本", "强调-文本", id="underscore-emphasis-shows-its-text"),
        pytest.param("`__init__` 方法", "__init__-方法", id="underscores-in-code-stay"),
    ],
)
def test_heading_anchors_are_githubs(heading: str, anchor: str) -> None:
    from gtcbrief.rules.notes import slug

    assert slug(heading) == anchor


def test_a_taken_anchor_name_gets_the_next_free_number_as_on_github() -> None:
    text = (
        "# 笔记\n\n- [a](#小结-2)\n- [b](#小结-1)\n- [c](#小结-3)\n\n## 小结-1\n## 小结\n## 小结\n"
    )
    # '小结-1', '小结', '小结' are 小结-1, 小结 and 小结-2: there is no 小结-3
    assert _found(text, "GB401") == [("GB401", 5, 3, False)]


@pytest.mark.parametrize(
    "link",
    [
        pytest.param("[返回顶部](#top)", id="top"),
        pytest.param("[回到顶部](#)", id="hash-to-the-top"),
        pytest.param("[⬆️ Back](#)", id="arrow"),
        pytest.param("[回到Top](#)", id="top-after-chinese"),
    ],
)
def test_a_link_to_the_top_of_the_page_is_not_broken(link: str) -> None:
    assert _found(f"# 笔记\n\n- 谈话\n\n{link}\n", "GB401") == []


def test_a_bare_hash_link_in_a_toc_or_not_to_the_top_is_broken() -> None:
    text = (
        "# 笔记\n\n<!-- toc -->\n- [回到顶部](#)\n- [笔记](#笔记)\n<!-- tocstop -->\n\n"
        "[待补](#)\n[Laptop 评测](#)\n[回到第三节](#)\n"
    )
    assert _found(text, "GB401") == [
        ("GB401", 4, 3, False),
        ("GB401", 8, 1, False),
        ("GB401", 9, 1, False),  # 'top' inside a word is not the top
        ("GB401", 10, 1, False),
    ]


def test_front_matter_is_not_checked_for_half_width_punctuation() -> None:
    text = "---\ntags: [gtc, ai]\ntitle: 笔记, 第一天\n---\n\n# 笔记\n\n中文, 逗号\n"
    assert _found(text, "GB503") == [("GB503", 8, 3, False)]
