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


# ``record`` writes equality, the hash and the repr once for every record instead of
# having dataclass generate them per class: they must behave as the generated ones.


def _twins(body: dict[str, object], annotations: dict[str, str]) -> tuple[type, type]:
    """The same class made by ``record`` and by ``dataclass(unsafe_hash=True)``."""

    def make(decorate: object) -> type:
        cls = type("Twin", (), {**body, "__annotations__": dict(annotations)})
        cls.__qualname__ = "Twin"
        return decorate(cls)  # type: ignore[operator,no-any-return]

    return make(model.record), make(dataclasses.dataclass(slots=True, unsafe_hash=True))


TWINS = [
    pytest.param({}, {}, [()], id="no-fields"),
    pytest.param({}, {"a": "float"}, [(1.0,), (float("nan"),), (2.0,)], id="one-field"),
    pytest.param(
        {"c": dataclasses.field(default=(), compare=False, hash=False)},
        {"a": "str", "b": "int", "c": "tuple[int, ...]"},
        [("x", 1, (1,)), ("x", 1, (2,)), ("y", 1, ())],
        id="a-field-that-neither-compares-nor-hashes",
    ),
    pytest.param(
        {"b": dataclasses.field(default="", repr=False, compare=False)},
        {"a": "str", "b": "str"},
        [("x", "one"), ("x", "two"), ("z", "")],
        id="a-field-not-shown",
    ),
    pytest.param(
        {"b": dataclasses.field(default=0, compare=False, hash=True)},
        {"a": "str", "b": "int"},
        [("x", 1), ("x", 2)],
        id="a-field-that-hashes-only",
    ),
]


@pytest.mark.parametrize(("body", "annotations", "values"), TWINS)
def test_a_record_compares_hashes_and_reads_as_dataclass_would_make_it(
    body: dict[str, object], annotations: dict[str, str], values: list[tuple[object, ...]]
) -> None:
    ours, theirs = _twins(body, annotations)
    mine = [ours(*v) for v in values]
    reference = [theirs(*v) for v in values]
    for a, ra in zip(mine, reference, strict=True):
        assert repr(a) == repr(ra)
        assert hash(a) == hash(ra)
        assert (a == a) is (ra == ra)  # a NaN field: equal, by the tuple's identity check
        assert a.__eq__(object()) is NotImplemented
        for b, rb in zip(mine, reference, strict=True):
            assert (a == b) is (ra == rb)
            assert (a != b) is (ra != rb)
    assert ours.__eq__.__qualname__ == "Twin.__eq__"

    def described(cls: type) -> list[tuple[object, ...]]:
        return [(f.name, f.compare, f.hash, f.repr) for f in dataclasses.fields(cls)]

    assert described(ours) == described(theirs)


def test_a_record_equals_no_other_class_with_the_same_fields() -> None:
    one, _ = _twins({}, {"a": "int"})
    other, _ = _twins({}, {"a": "int"})
    assert one(1) != other(1)
    assert one(1) == one(1)
