"""gtcbrief.tuples.NamedTuple behaves as typing.NamedTuple does, without importing typing."""

from __future__ import annotations

import pickle
import subprocess
import sys
import typing

import pytest

from gtcbrief import tuples


class Ours(tuples.NamedTuple):
    """A record."""

    count: int
    name: str = "x"
    tags: tuple[str, ...] = ()

    def doubled(self) -> int:
        return 2 * self.count

    @property
    def label(self) -> str:
        return f"{self.name}:{self.count}"


class Theirs(typing.NamedTuple):
    """A record."""

    count: int
    name: str = "x"
    tags: tuple[str, ...] = ()

    def doubled(self) -> int:
        return 2 * self.count

    @property
    def label(self) -> str:
        return f"{self.name}:{self.count}"


def _shown(record: tuple[object, ...]) -> str:
    return repr(record).replace(type(record).__name__, "T", 1)


@pytest.mark.parametrize(
    "args",
    [
        pytest.param((1,), id="defaults"),
        pytest.param((2, "y"), id="one-default-given"),
        pytest.param((3, "z", ("a", "b")), id="all-given"),
    ],
)
def test_instances_behave_alike(args: tuple[typing.Any, ...]) -> None:
    ours, theirs = Ours(*args), Theirs(*args)
    assert tuple(ours) == tuple(theirs)
    assert _shown(ours) == _shown(theirs)
    assert ours.doubled() == theirs.doubled()
    assert ours.label == theirs.label
    assert hash(ours) == hash(theirs)
    assert tuple(ours._replace(name="w")) == tuple(theirs._replace(name="w"))
    assert ours._asdict() == theirs._asdict()
    assert pickle.loads(pickle.dumps(ours)) == ours  # worker processes receive configs


def test_classes_behave_alike() -> None:
    assert Ours._fields == Theirs._fields
    assert Ours._field_defaults == Theirs._field_defaults
    assert Ours.__doc__ == Theirs.__doc__
    assert Ours.__module__ == Theirs.__module__
    assert Ours.__qualname__ == "Ours"
    assert Ours.__mro__[1:] == Theirs.__mro__[1:] == (tuple, object)
    assert list(Ours.__annotations__) == list(Theirs.__annotations__)
    with pytest.raises(TypeError):
        Ours()  # type: ignore[call-arg]


def test_importing_it_does_not_import_typing() -> None:
    code = "import sys, gtcbrief.tuples; print('typing' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
