"""Which part of a reference ferry may resolve itself, from the parent's `output_schema`.

jobflow resolves `job.output.a[0]` by decoding the parent's whole output with MontyDecoder and
then applying each step with `data[key] if step is an index or data is a dict else
getattr(data, key)` (`OutputReference.resolve`, jobflow/core/reference.py). ferry can instead
pick the path out of the stored JSON and ship only that value, but only where the result is
provably the same object:

- every step is typed by the schema: a pydantic field (monty stores models as their fields), an
  int index into a `list[...]`/`tuple[...]` field, a str key into a `dict[str, ...]` field;
- the value at the end is plain JSON (numbers, strings, booleans, None, and lists/dicts of
  those): decoding it gives back the same value. A nested model or an MSONable object would
  decode to a plain dict instead of the object jobflow builds, so those are not pushed down.

Everything else is resolved in Python on the compute node, by jobflow's own code, from the
parent's whole output document (run.py).
"""

from __future__ import annotations

import json
import re
import types
import typing
from typing import Any

from pydantic import BaseModel

_PLAIN = (int, float, str, bool, type(None))
_IDENT = re.compile(r"^[A-Za-z_$][\w$-]*$")


def _unwrap(t: Any) -> Any:
    while typing.get_origin(t) is typing.Annotated:
        t = typing.get_args(t)[0]
    return t


def _union_args(t: Any) -> tuple | None:
    origin = typing.get_origin(t)
    if origin is typing.Union or origin is types.UnionType:
        return typing.get_args(t)
    return None


def is_plain(t: Any) -> bool:
    """Is every value of type `t` plain JSON that decodes to itself?"""
    t = _unwrap(t)
    if t in _PLAIN:
        return True
    args = _union_args(t)
    if args is not None:
        return all(is_plain(a) for a in args)
    origin = typing.get_origin(t)
    if origin is typing.Literal:
        return all(isinstance(a, _PLAIN) and not hasattr(a, "value") for a in typing.get_args(t))
    if origin in (list, tuple):
        return all(is_plain(a) for a in typing.get_args(t) if a is not Ellipsis) and bool(typing.get_args(t))
    if origin is dict:
        key, value = typing.get_args(t) or (None, None)
        return key is str and is_plain(value)
    return False


def _step(t: Any, kind: str, key: Any) -> Any:
    """The type after one step, or None when the step is not provably a plain JSON step."""
    t = _unwrap(t)
    if isinstance(t, type) and issubclass(t, BaseModel):
        fields = t.model_fields
        if kind == "a" and isinstance(key, str) and key in fields:
            return fields[key].annotation
        return None
    origin = typing.get_origin(t)
    args = typing.get_args(t)
    if origin in (list, tuple) and kind == "i" and type(key) is int and key >= 0 and args:
        if origin is list:
            return args[0]
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0]
        return args[key] if key < len(args) else None
    if origin is dict and isinstance(key, str) and args and args[0] is str:
        return args[1]
    return None


def pushdown_path(schema: Any, attributes: list | tuple) -> list | None:
    """The JSON path (list of keys and indexes) ferry may follow, or None to resolve in Python."""
    if schema is None or not attributes:
        return None
    t: Any = schema
    path: list = []
    for kind, key in attributes:
        nxt = _step(t, kind, key)
        if nxt is None:
            return None
        path.append(key)
        t = nxt
    return path if is_plain(t) else None


def format_path(path: list) -> str:
    """A ferry path string: `a.b[0]["key with spaces"]`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.match(part):
            out += part if out == "" else f".{part}"
        else:
            out += f"[{json.dumps(part)}]"
    return out
