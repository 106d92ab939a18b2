"""``typing.NamedTuple``'s class syntax without importing ``typing``.

A warm ``grep`` is over in about 0.1 s, and importing ``typing`` costs it
13 M instructions (≈4 ms) for nothing but the few named tuples on its path
(:class:`gtcbrief.walk.File`, :class:`gtcbrief.config.Config`, …). Those
modules import :class:`NamedTuple` from here at run time and from ``typing``
under ``TYPE_CHECKING``, so type checkers still see the real thing.

The class made is what ``typing.NamedTuple`` makes (CPython's ``NamedTupleMeta``,
less its error checks and generic support): ``collections.namedtuple`` with the
annotated fields, in order, the assigned values as defaults, and the class's
other attributes (docstring, methods, properties) copied on.
``tests/test_tuples.py`` holds the two to the same behaviour.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable

#: ``collections.namedtuple``, called through a plain name: type checkers treat a
#: direct call as a class definition, which this is not.
_make: Callable[..., type] = namedtuple
#: Names a class body defines that are not fields or attributes to copy over.
_SPECIAL = frozenset({"__module__", "__name__", "__annotations__", "__qualname__"})


class _NamedTupleMeta(type):
    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, object]) -> type:
        annotations = namespace.get("__annotations__", {})
        assert isinstance(annotations, dict)
        fields = list(annotations)
        defaults = [namespace[field] for field in fields if field in namespace]
        made = _make(name, fields, defaults=defaults, module=namespace["__module__"])
        made.__annotations__ = dict(annotations)
        made.__qualname__ = str(namespace.get("__qualname__", name))
        for key, value in namespace.items():
            if key not in _SPECIAL and key not in fields:
                setattr(made, key, value)
        return made


#: Subclass this as you would ``typing.NamedTuple``.
NamedTuple = type.__new__(_NamedTupleMeta, "NamedTuple", (), {})
