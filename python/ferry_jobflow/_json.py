"""JSON as ferry stores it, from the Python values jobflow produces.

ferry keeps JSON (and keeps `1.0` as `1.0`), so three things need care on the way in:

- NaN and infinities are not JSON (Python's json writes the invalid token `NaN`, which Node's
  parser rejects): they become a tag that MontyDecoder turns back into the float.
- datetimes, numpy arrays, enums, MSONable and pydantic objects go through monty's encoder, so
  that MontyDecoder gives the same objects back, as it does for jobflow's own stores.
- ferry reads strings holding `${{` and objects with a `$ref` key as references: user data that
  looks like one is wrapped in `{"$literal": ...}`, which ferry unwraps when it resolves inputs.
"""

from __future__ import annotations

import json
import math
from typing import Any

from monty.json import MontyEncoder

LITERAL = "$literal"


class NonFinite:
    """The decoder side of the NaN/inf tag: `MontyDecoder` calls `from_dict`."""

    @classmethod
    def from_dict(cls, d: dict) -> float:
        return float(d["value"])


def _tag(value: float) -> dict:
    text = "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return {"@module": __name__, "@class": "NonFinite", "value": text}


_ENCODER = MontyEncoder()


def to_json(value: Any) -> Any:
    """A JSON-safe copy of `value` (dict keys become strings)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else _tag(value)
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    try:
        encoded = _ENCODER.default(value)
    except TypeError as e:
        raise TypeError(
            f"cannot store a {type(value).__name__} as JSON: make it MSONable or a pydantic model ({e})"
        ) from e
    if encoded is value:
        raise TypeError(f"cannot store a {type(value).__name__} as JSON")
    return to_json(encoded)


def dumps(value: Any) -> str:
    return json.dumps(to_json(value), allow_nan=False)


def needs_literal(value: Any) -> bool:
    """Would ferry read this value (not its parts) as a reference or an escape?"""
    if isinstance(value, str):
        return "${{" in value
    return isinstance(value, dict) and ("$ref" in value or LITERAL in value)


def escape_literals(value: Any, keep: type | tuple[type, ...] = ()) -> Any:
    """Wrap every part of `value` that ferry would read as a reference in `{"$literal": ...}`.

    Objects of the `keep` types are passed through untouched (the caller's own markers).
    """
    if isinstance(value, keep):
        return value
    if needs_literal(value):
        return {LITERAL: value}
    if isinstance(value, dict):
        return {k: escape_literals(v, keep) for k, v in value.items()}
    if isinstance(value, list):
        return [escape_literals(v, keep) for v in value]
    return value
