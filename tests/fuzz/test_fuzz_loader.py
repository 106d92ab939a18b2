"""`make fuzz`: the loader property tests at high example counts (HYPOTHESIS_PROFILE=fuzz)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.test_properties import MARKDOWNISH, _consistent


@given(st.one_of(st.text(), MARKDOWNISH))
def test_loader_fuzz(text: str) -> None:
    _consistent(text)
