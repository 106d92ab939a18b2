"""Document text reaches a terminal with its control characters made visible, never obeyed."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gtcbrief.render import CONTROL, safe


def _by_regex_alone(text: str) -> str:
    return re.sub(
        CONTROL,
        lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}",
        text,
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param("注意力机制", "注意力机制", id="chinese-as-is"),
        pytest.param("a\x1b[31mred", "a\\x1b[31mred", id="escape-sequence"),
        pytest.param("x\u202ey", "x\\u202ey", id="bidi-override"),
        pytest.param("\x85next", "\\x85next", id="c1-control"),
        pytest.param("tab\there", "tab\there", id="tab-kept"),
        pytest.param("全角\u3000空格", "全角\u3000空格", id="ideographic-space-kept"),
        pytest.param("", "", id="empty"),
    ],
)
def test_control_characters_are_shown_not_obeyed(text: str, shown: str) -> None:
    assert safe(text) == shown


@given(st.text(alphabet=st.characters(max_codepoint=0x3000)))
def test_the_printable_shortcut_changes_nothing(text: str) -> None:
    assert safe(text) == _by_regex_alone(text)
