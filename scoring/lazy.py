"""`cached_view`: a result attribute computed on first read and then kept on the instance.

`functools.cached_property` does the same but, up to Python 3.11, takes a lock shared by every
instance on each first read; the bot reads five views per button press, and the views are pure
functions of an immutable result, so computing one twice in a race is harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

__all__ = ["cached_view"]

_Owner = TypeVar("_Owner")
_Value = TypeVar("_Value")


# Lower case, like the `cached_property` decorator it stands in for.
class cached_view(Generic[_Owner, _Value]):
    """Decorates a method of no arguments; its value is stored in the instance's `__dict__`.

    The descriptor defines no `__set__`, so once the value is stored, attribute lookup finds it
    in the instance dictionary and this code never runs again for that instance.
    """

    def __init__(self, compute: Callable[[_Owner], _Value]) -> None:
        self._compute = compute
        self._name = compute.__name__
        self.__doc__ = compute.__doc__

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = name

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> cached_view[_Owner, _Value]: ...

    @overload
    def __get__(self, instance: _Owner, owner: type[Any]) -> _Value: ...

    def __get__(
        self, instance: _Owner | None, owner: type[Any]
    ) -> cached_view[_Owner, _Value] | _Value:
        if instance is None:
            return self
        value = self._compute(instance)
        instance.__dict__[self._name] = value
        return value
