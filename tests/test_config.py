"""Config discovery: the nearest .gtcbrief.toml, or pyproject.toml with [tool.gtcbrief], upward."""

from __future__ import annotations

from pathlib import Path

import pytest

from gtcbrief.config import DEFAULT, discover, load_config


def _pathlib_discover(start: Path) -> Path | None:
    """Discovery as it was written with pathlib (the behaviour to keep)."""
    here = start if start.is_dir() else start.parent
    here = here.resolve()
    for folder in (here, *here.parents):
        if (folder / ".gtcbrief.toml").is_file():
            return folder / ".gtcbrief.toml"
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            import tomllib

            tool = tomllib.loads(pyproject.read_text("utf-8")).get("tool")
            if isinstance(tool, dict) and "gtcbrief" in tool:
                return pyproject
    return None


@pytest.fixture
def project(tmp_path: Path) -> Path:
    top = tmp_path / "repo"
    (top / "reports" / "2024" / "day1").mkdir(parents=True)
    (top / "notes").mkdir()
    (top / "pyproject.toml").write_text('[tool.gtcbrief]\nformat = "notes"\n', "utf-8")
    (top / "reports" / "pyproject.toml").write_text("[project]\nname = 'x'\n", "utf-8")
    (top / "reports" / "2024" / ".gtcbrief.toml").write_text('format = "brief"\n', "utf-8")
    (top / "reports" / "2024" / "day1" / "a.md").write_text("# 每日参会快报\n", "utf-8")
    (top / "notes" / "n.md").write_text("# notes\n", "utf-8")
    (top / "linked").symlink_to(top / "reports" / "2024" / "day1")
    return top


CASES = [
    pytest.param("reports/2024/day1/a.md", "reports/2024/.gtcbrief.toml", id="file-nearest-toml"),
    pytest.param("reports/2024/day1", "reports/2024/.gtcbrief.toml", id="directory"),
    pytest.param("reports/2024/day1/", "reports/2024/.gtcbrief.toml", id="trailing-slash"),
    pytest.param("./reports//2024/./day1", "reports/2024/.gtcbrief.toml", id="odd-spelling"),
    pytest.param("reports/missing.md", "pyproject.toml", id="missing-file-and-plain-pyproject"),
    pytest.param("notes/n.md", "pyproject.toml", id="pyproject-with-tool-table"),
    pytest.param("linked/a.md", "reports/2024/.gtcbrief.toml", id="symlink-resolved"),
    pytest.param("", "pyproject.toml", id="empty-is-here"),
    pytest.param(".", "pyproject.toml", id="dot"),
]


@pytest.mark.parametrize(("start", "expected"), CASES)
def test_discovery_finds_the_nearest_config(
    project: Path, monkeypatch: pytest.MonkeyPatch, start: str, expected: str
) -> None:
    monkeypatch.chdir(project)
    found = discover(start)
    assert found == (project / expected).resolve()
    assert found == _pathlib_discover(Path(start))


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        pytest.param('[tool.gtcbrief]\nformat = "notes"\n', True, id="table"),
        pytest.param('[tool]\ngtcbrief = { format = "notes" }\n', True, id="inline-table"),
        pytest.param('[tool."gtcbrief"]\nformat = "notes"\n', True, id="quoted-key"),
        pytest.param("# TODO: add [tool.gtcbrief]\n[project]\nname = 'x'\n", False, id="comment"),
        pytest.param("[tool.gtcbriefx]\nformat = 'notes'\n", False, id="another-tool"),
    ],
)
def test_a_pyproject_configures_gtcbrief_as_toml_reads_it(
    tmp_path: Path, text: str, counts: bool
) -> None:
    """Discovery looked for the text ``[tool.gtcbrief``: it passed over the other TOML
    spellings of the table, and stopped at a comment naming it (the parent's config
    then dropped without a word)."""
    (tmp_path / ".gtcbrief.toml").write_text('format = "brief"\n', "utf-8")
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "pyproject.toml").write_text(text, "utf-8")
    expected = tmp_path / ("p/pyproject.toml" if counts else ".gtcbrief.toml")
    assert discover(tmp_path / "p" / "a.md") == expected.resolve()
    assert load_config(None, [str(tmp_path / "p" / "a.md")]).doc_format == (
        "notes" if counts else "brief"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("tool = 1\n", "tool must be a table", id="tool-not-a-table"),
        pytest.param("dedupe_threshold = 5\n", "dedupe_threshold must be in (0, 1]", id="range"),
        pytest.param('dedupe_threshold = "x"\n', "dedupe_threshold must be a number", id="type"),
    ],
)
def test_a_bad_setting_is_the_config_s_error_not_an_internal_one(
    tmp_path: Path, text: str, message: str
) -> None:
    """``tool = 1`` crashed the loader; a bad dedupe_threshold crashed GB302 in validate
    (exit 3 both, 'please report it')."""
    from typer.testing import CliRunner

    from gtcbrief.cli import app

    config = tmp_path / ".gtcbrief.toml"
    config.write_text(text, "utf-8")
    brief = Path(__file__).resolve().parents[1] / "samples" / "clean-brief.md"
    (tmp_path / "a.md").write_bytes(brief.read_bytes())
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "a.md")])
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith(f"gtcbrief: {config}: {message}")


def test_a_path_with_another_nearest_config_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One config applies to a run: a hook passing files of two projects passed or failed
    by which files were staged, without a word."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    own = tmp_path / "b" / ".gtcbrief.toml"
    own.write_text('ignore = ["GB1"]\n', "utf-8")
    a, b = str(tmp_path / "a" / "x.md"), str(tmp_path / "b" / "y.md")
    load_config(None, [a, b, str(tmp_path / "a")])
    err = capsys.readouterr().err
    if discover(tmp_path / "a") is None:  # (no config above the temporary directory)
        assert err == (
            f"gtcbrief: {b}: checked with the defaults (the first path's config), not its own "
            f"{own.resolve()}: one config applies to a run; check it apart or pass --config\n"
        )
    load_config(None, [b, str(own)])
    load_config(None, [a])
    assert capsys.readouterr().err == ""


def test_a_rule_the_command_line_names_runs_whatever_the_config_says(tmp_path: Path) -> None:
    """``--select GB204`` under a config ignoring GB204 (or setting it off) ran nothing and
    called the file clean; a prefix or ALL still leaves the config's choices alone."""
    from gtcbrief.rules.engine import make_selection

    config = tmp_path / ".gtcbrief.toml"
    config.write_text('ignore = ["GB204"]\n[severity]\nGB501 = "off"\n', "utf-8")
    cfg = load_config(str(config), [])
    assert make_selection(cfg, ["GB204,trailing-whitespace"]).enabled == {"GB204", "GB501"}
    assert not {"GB204", "GB501"} & make_selection(cfg, ["GB2,GB5"]).enabled
    assert "GB204" not in make_selection(cfg, ["GB204"], ["GB204"]).enabled  # --ignore still wins


def test_an_unknown_rule_in_the_config_names_the_config(tmp_path: Path) -> None:
    from gtcbrief.errors import GtcbriefError
    from gtcbrief.rules.engine import make_selection

    config = tmp_path / ".gtcbrief.toml"
    config.write_text('ignore = ["GB999"]\n', "utf-8")
    with pytest.raises(GtcbriefError) as info:
        make_selection(load_config(str(config), []), ["GB101"])
    assert str(info.value) == f"{config}: ignore: unknown rule 'GB999' (see --list-rules)"


def test_a_pipe_first_leaves_the_config_to_the_first_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``validate <(cat a.md) a.md`` looked for a config from /dev/fd: it found none, used
    the defaults, and warned that a.md's own was not used."""
    (tmp_path / ".gtcbrief.toml").write_text('format = "notes"\n', "utf-8")
    a = str(tmp_path / "a.md")
    assert load_config(None, ["/dev/null", a]).doc_format == "notes"
    assert capsys.readouterr().err == ""


def test_a_config_saved_with_a_bom_is_read(tmp_path: Path) -> None:
    config = tmp_path / ".gtcbrief.toml"
    config.write_bytes(b'\xef\xbb\xbfformat = "notes"\n')
    assert load_config(str(config), []).doc_format == "notes"


def test_discovery_remembering_folders_finds_what_each_lookup_finds(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One run looks up each path's folder (a hook's thousands of files): the answers of
    folders already walked are reused, and are the same."""
    from gtcbrief.config import _discover

    monkeypatch.chdir(project)
    known: dict[str, str | None] = {}
    for start, _expected in [(c.values[0], c.values[1]) for c in CASES] * 2:
        assert _discover(str(start), known) == _discover(str(start))
    assert known


def test_discovery_outside_a_project_goes_up_to_the_root(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# x\n", "utf-8")
    assert discover(tmp_path / "a.md") == _pathlib_discover(tmp_path / "a.md")


def test_load_config_reads_what_discovery_finds(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    assert load_config(None, ["-", "reports/2024/day1/a.md"]).doc_format == "brief"
    assert load_config(None, ["notes"]).doc_format == "notes"
    assert load_config(None, []).doc_format == "notes"  # no paths: from the current directory
    assert load_config("reports/2024/.gtcbrief.toml", ["notes"]).doc_format == "brief"


def test_without_a_config_file_the_default_applies(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# x\n", "utf-8")
    if _pathlib_discover(tmp_path) is None:  # no config above the temporary directory
        assert load_config(None, [str(tmp_path / "a.md")]) is DEFAULT


@pytest.mark.parametrize(
    ("text", "said"),
    [
        pytest.param('fail-on = "warning"\n', "fail-on ignored (did you mean fail_on?)",
                     id="a-dash-for-an-underscore"),
        pytest.param('[severty]\nGB501 = "off"\n', "severty ignored (did you mean severity?)",
                     id="a-misspelt-table"),
        pytest.param('[template]\nkind = ["X"]\n',
                     "template.kind ignored (did you mean template.kinds?)",
                     id="a-template-setting"),
    ],
)  # fmt: skip
def test_an_unknown_setting_is_named_not_ignored_without_a_word(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, said: str
) -> None:
    config = tmp_path / ".gtcbrief.toml"
    config.write_text(text, encoding="utf-8")
    load_config(str(config), [])
    assert capsys.readouterr().err == f"gtcbrief: {config}: unknown setting {said}\n"


def test_the_readme_s_example_config_holds_only_known_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import re

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    (example,) = re.findall(r"```toml\n(\[tool\.gtcbrief\].*?)```", readme, re.S)
    config = tmp_path / "pyproject.toml"
    config.write_text(example, encoding="utf-8")
    loaded = load_config(str(config), [])
    assert loaded.raw["fail_on"] == "error" and capsys.readouterr().err == ""
