"""What ferry does to a job's inputs before the job runs, for unit tests that call `run_job`
directly: `{"$ref": name, "path": ...}` becomes the named job's stored output at that path
(following `{"$replacedBy": ...}` markers), `{"$literal": x}` becomes x. The real ferry does this
in src/engine/resolve.ts; the end-to-end tests (test/jobflow*.test.ts) run the real thing.
"""

from __future__ import annotations

import json
import re
from typing import Any

_STEP = re.compile(r'\.?([A-Za-z_$][\w$-]*)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]')


def _path(text: str) -> list:
    out: list = []
    pos = 0
    while pos < len(text):
        m = _STEP.match(text, pos)
        if not m:
            raise ValueError(f"bad path {text!r}")
        out.append(m.group(1) if m.group(1) else int(m.group(2)) if m.group(2) else json.loads(f'"{m.group(3)}"'))
        pos = m.end()
    return out


def stored_output(outputs: dict, name: str, null_missing: bool = False) -> Any:
    value = outputs.get(name)
    if value is None and null_missing:
        return None
    while isinstance(value, dict) and "$replacedBy" in value:
        marker = value
        value = outputs[marker["$replacedBy"]]
        for step in _path(marker.get("path", "")):
            value = value[step]
    return value


def resolve(value: Any, outputs: dict, null_missing: bool = False) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$literal"}:
            return value["$literal"]
        if "$ref" in value:
            got = stored_output(outputs, value["$ref"], null_missing)
            for step in _path(value.get("path", "")):
                got = got[step]
            return got
        return {k: resolve(v, outputs, null_missing) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, outputs, null_missing) for v in value]
    return value


def through_json(value: Any) -> Any:
    """As the py runner sees it: written to inputs.json and read back."""
    return json.loads(json.dumps(value, allow_nan=False))
