"""Every command has help and a README section."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.main import get_command

from gtcbrief.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]


def test_readme_opens_with_the_two_commands() -> None:
    head = README.split("\n## ", 1)[0]
    assert "make run" in head and "make test" in head
    assert head.index("make run") < head.index("make test")


def test_the_spec_commands_exist() -> None:
    assert "parse" in COMMANDS


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_documented(name: str) -> None:
    section = README.split(f"\n## {name}\n", 1)
    assert len(section) == 2, f"README has no '## {name}' section"
    body = section[1].split("\n## ", 1)[0]
    assert f"gtcbrief {name}" in body, f"README section for {name} has no example"


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help(name: str) -> None:
    command = get_command(app).commands[name]  # type: ignore[attr-defined]
    assert command.help and command.epilog and "Examples" in command.epilog


def test_the_rules_table_is_the_registry() -> None:
    """README's rules table says what ``--list-rules`` says: code, name, severity,
    whether ``--fix`` can fix it, and the one-line doc."""
    from gtcbrief.rules import all_rules

    for rule in all_rules():
        fix = "yes" if rule.fixable else ""
        row = f"| `{rule.code}` | `{rule.name}` | {rule.severity} | {fix} | {rule.doc} |"
        assert row in README, f"README's rules table lacks or misstates {rule.code}"
