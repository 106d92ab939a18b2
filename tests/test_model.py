"""The records of gtcbrief.model: values that compare and hash by their fields."""

from __future__ import annotations

import dataclasses

import pytest

from gtcbrief import model
from gtcbrief.loader import load_text

BRIEF = """# 每日参会快报

## 【Talks & Panels】机器人仿真

### 主题
Robotics - Robotics Simulation

### 演讲人或相关公司
Jerry Wang（Director, Manycore Tech）

### 实事描述
机器人仿真的描述。

### 对华为的启示
启示。

撰稿人：赵伟 59843547
"""

RECORDS = [
    model.Speaker,
    model.Author,
    model.Section,
    model.Heading,
    model.Link,
    model.Anchor,
    model.Comment,
    model.Problem,
    model.Entry,
    model.Document,
]


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: c.__name__)
def test_every_record_is_a_dataclass_with_slots(cls: type) -> None:
    assert dataclasses.is_dataclass(cls)
    assert "__slots__" in vars(cls)
    assert cls.__hash__ is not None


def test_equal_documents_are_equal_records_with_equal_hashes() -> None:
    one = load_text(BRIEF, "a.md")
    two = load_text(BRIEF, "a.md")
    assert one is not two and one == two
    assert hash(one) == hash(two)
    assert len({one.entries[0], two.entries[0]}) == 1
    assert {s: s.text for s in one.entries[0].sections}[two.entries[0].sections[0]]


def test_records_differing_in_one_field_differ() -> None:
    entry = load_text(BRIEF, "a.md").entries[0]
    moved = dataclasses.replace(entry, line=entry.line + 1)
    assert moved != entry
    assert moved.title == entry.title
