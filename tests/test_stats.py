"""`gtcbrief stats`: numbers checked against hand counts of the seed brief."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gtcbrief.cli import app
from gtcbrief.loader import load_path
from gtcbrief.stats import STOP_WORDS, keys_of, summarize

ROOT = Path(__file__).resolve().parents[1]
BRIEF = "samples/gtc-daily-brief.md"

runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def stats(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, ["stats", *args])


def _seed(by: str = "track"):  # type: ignore[no-untyped-def]
    return summarize([load_path(BRIEF)], by=by)


def test_seed_totals_match_hand_counts() -> None:
    summary = _seed("kind")
    assert (summary.documents, summary.entries) == (1, 19)
    assert {g.key: g.entries for g in summary.groups} == {
        "Talks & Panels": 13,
        "Full-Day Workshop": 6,
    }
    # entries 12–19 have no description; seven entries have no author line
    assert summary.no_description == 8
    assert summary.no_authors == 7
    assert summary.unfinished == 8
    assert summary.descriptions.count == 11


def test_nvidia_is_the_most_frequent_organisation() -> None:
    groups = _seed("org").groups
    assert groups[0].key == "NVIDIA"
    assert groups[0].entries == 11  # entries with at least one NVIDIA speaker
    assert groups[0].entries > groups[1].entries


def test_tracks_split_from_subtopics() -> None:
    tracks = {g.key: g.entries for g in _seed("track").groups}
    # `grep -A1 '^### 主题' samples/gtc-daily-brief.md`: 2 + 2 + 1 Generative AI, 2 + 1 + 1 Robotics
    assert (tracks["Generative AI"], tracks["Robotics"], tracks["Data Science"]) == (5, 4, 3)
    assert sum(tracks.values()) == 19
    subtopics = {g.key for g in _seed("subtopic").groups}
    assert "Natural Language Processing (NLP)" in subtopics


def test_authors_are_people_by_id_not_by_name() -> None:
    authors = {g.key: g.entries for g in _seed("author").groups}
    zhang_feng = [k for k in authors if k.startswith("张峰 ")]
    assert len(zhang_feng) == 3  # one name, three employee ids
    assert authors["(none)"] == 7


def test_keys_are_distinct_per_entry() -> None:
    entry = load_path(BRIEF).entries[1]  # four speakers, NVIDIA among them
    assert keys_of(entry, "org").count("NVIDIA") == 1
    assert keys_of(entry, "file") == [BRIEF]


def test_description_lengths_are_character_counts() -> None:
    doc = load_path(BRIEF)
    lengths = sorted(len(e.description.strip()) for e in doc.entries if e.description)
    summary = _seed()
    assert (summary.descriptions.min, summary.descriptions.max) == (lengths[0], lengths[-1])
    assert sum(n for _, n in summary.descriptions.buckets) == 11


def test_top_terms_leave_out_stop_words() -> None:
    terms = _seed().top_terms
    assert terms and all(len(v) <= 10 for v in terms.values())
    words = [t for v in terms.values() for t, _ in v]
    assert not set(words) & STOP_WORDS
    assert all(len(w) > 1 for w in words)


def test_json_output() -> None:
    result = stats(BRIEF, "--by", "org", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["entries"] == 19 and data["by"] == "org"
    assert data["coverage"] == {
        "no_description": 8,
        "no_authors": 7,
        "unfinished": 8,
        "complete": 11,
    }
    assert data["groups"][0]["key"] == "NVIDIA"


def test_csv_output_has_one_row_per_group() -> None:
    result = stats(BRIEF, "--by", "kind", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["key"], r["entries"]) for r in rows] == [
        ("Talks & Panels", "13"),
        ("Full-Day Workshop", "6"),
    ]


def test_table_draws_bars_and_coverage() -> None:
    result = stats(BRIEF, "--format", "table")
    assert result.exit_code == 0
    assert "19 entries in 1 document" in result.stdout
    assert "unfinished: 8 of 19" in result.stdout
    assert "█" in result.stdout


@pytest.mark.parametrize("columns", ["40", "60", "80", "100", "120"])
def test_every_group_s_name_and_count_are_shown_at_any_width(
    monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    """The bar takes what the names and counts leave (a fixed one had squeezed the
    names to nothing on a narrow terminal); with no room for a table, a line a group."""
    from rich.cells import cell_len

    monkeypatch.setenv("COLUMNS", columns)
    out = stats(BRIEF, "--format", "table").stdout
    groups = json.loads(stats(BRIEF, "--format", "json").stdout)["groups"]
    for group in groups:  # (a name may fold, a word a line of its cell)
        assert all(word in out for word in group["key"].split())
    assert max(cell_len(line) for line in out.splitlines()) <= int(columns)
    track_table = out.split("description length")[0]
    assert ("█" in track_table) is (int(columns) >= 100)  # at 80 the names take the room
    assert all(f" {label} " in out for label in ("0–99", "400–799"))  # the histogram's ranges


def test_a_table_of_no_entries_is_drawn_not_a_crash(tmp_path: Path) -> None:
    """An empty file, or one in GBK read without --encoding, has no entries: the table
    crashed (exit 3) measuring columns that had no rows."""
    (tmp_path / "e.md").write_text("", "utf-8")
    result = stats(str(tmp_path / "e.md"), "--format", "table")
    assert result.exit_code == 0 and "0 entries in 1 document" in result.stdout


def test_bad_group_key_and_missing_file_exit_2() -> None:
    assert stats(BRIEF, "--by", "colour").exit_code == 2
    assert stats("no/such.md", "--format", "json").exit_code == 2


def test_documents_without_entries_still_count(shared: Path) -> None:
    result = stats(str(shared / "corpus" / "meeting-minutes"), "--format", "json")
    data = json.loads(result.stdout)
    assert data["documents"] >= 60 and data["entries"] == 0 and data["groups"] == []


@pytest.mark.parametrize(
    ("lengths", "median"),
    [
        pytest.param([100, 300, 500], 300, id="odd"),
        pytest.param([100, 400, 400, 900], 400, id="even-middles-equal"),
        pytest.param([100, 300, 400, 900], 350, id="even-whole"),
        pytest.param([100, 300, 401, 900], 350.5, id="even-half"),
    ],
)
def test_a_median_is_a_whole_number_where_it_is_one(lengths: list[int], median: float) -> None:
    """423, not 423.0 (the mean of two equal middles): one number, written one way."""
    from gtcbrief.stats import description_lengths

    found = description_lengths(lengths).median
    assert found == median and type(found) is type(median)


def test_a_placeholder_description_counts_as_none(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(
        "# 每日参会快报\n\n## 【Keynote】A\n\n### 实事描述\n待补充\n", encoding="utf-8"
    )
    result = CliRunner().invoke(app, ["stats", str(tmp_path), "--format", "json"])
    data = json.loads(result.stdout)
    assert data["coverage"]["no_description"] == 1 and data["descriptions"]["count"] == 0


@pytest.mark.parametrize("columns", ["60", "80", "120"])
def test_a_top_term_and_its_count_stay_on_one_line(
    monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    """'数据 ⏎ 2': a line break parted a word from its count, which then read as the next's."""
    monkeypatch.setenv("COLUMNS", columns)
    out = stats("samples/", "--format", "table").stdout
    terms = json.loads(stats("samples/", "--format", "json").stdout)["top_terms"]
    shown = out.split("top terms")[1]
    for words in terms.values():
        for item in words:
            assert f"{item['term']}({item['count']})" in shown
