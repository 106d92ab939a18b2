"""The plain command-line reader checks numbers as the patterns in its docstrings say,
without ``re`` (grep forks its walk before ``re`` is imported)."""

from __future__ import annotations

import itertools
import re

from hypothesis import given
from hypothesis import strategies as st

from gtcbrief.commands.argv import _decimal, _digits

DIGITS = re.compile(r"[0-9]+")
DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")

# ASCII digits, the point, and look-alikes: a full-width digit, an Arabic-Indic digit,
# a superscript two (str.isdigit says yes to all three), a sign and a letter
ALPHABET = "09.\uff11\u0663\u00b2-e "


def test_every_short_string_is_judged_as_the_patterns_judge_it() -> None:
    for size in range(5):
        for chars in itertools.product(ALPHABET, repeat=size):
            text = "".join(chars)
            assert _digits(text) == bool(DIGITS.fullmatch(text)), text
            assert _decimal(text) == bool(DECIMAL.fullmatch(text)), text


@given(st.text(alphabet=st.sampled_from(ALPHABET) | st.characters(), max_size=12))
def test_any_string_is_judged_as_the_patterns_judge_it(text: str) -> None:
    assert _digits(text) == bool(DIGITS.fullmatch(text))
    assert _decimal(text) == bool(DECIMAL.fullmatch(text))
