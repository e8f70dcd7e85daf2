"""Additional stores (`@job(data=...)`) as files on a shared filesystem.

jobflow moves the selected parts of an output into an additional store (GridFS or S3 in
production) and leaves a placeholder `{"@class", "@module", "blob_uuid", "store"}` in the output
(`JobStore.update`, `_get_blob_info` in jobflow/core/store.py). Here each blob is one JSON file
`<store_dir>/<store>/<blob_uuid[:2]>/<blob_uuid>.json` holding jobflow's blob document
`{blob_uuid, data, job_uuid, job_index, @class, @module}`; ferry's stored output keeps the
placeholders, and whoever reads the output with load=True (a child on the compute side, or
`get_output(load=True)`) reads the files back.

This needs the store directory on a filesystem that the compute nodes and the login node share
(the usual HPC home or project filesystem). Across SSH without one, blobs would need ferry to move
files for jobs, which it does not do yet.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ._json import dumps


def is_blob(value: Any) -> bool:
    return isinstance(value, dict) and "blob_uuid" in value and "store" in value


def find_blobs(value: Any) -> list[dict]:
    if is_blob(value):
        return [value]
    if isinstance(value, dict):
        return [b for v in value.values() for b in find_blobs(v)]
    if isinstance(value, list):
        return [b for v in value for b in find_blobs(v)]
    return []


def blob_path(store_dir: str | os.PathLike, store: str, blob_uuid: str) -> Path:
    if "/" in store or store in ("", ".", ".."):
        raise ValueError(f"additional store name {store!r} cannot be a folder name")
    return Path(store_dir) / store / blob_uuid[:2] / f"{blob_uuid}.json"


def write_blob(store_dir: str | os.PathLike, store: str, blob: dict) -> Path:
    """Write one blob document atomically (temporary name, then rename)."""
    path = blob_path(store_dir, store, blob["blob_uuid"])
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".blob-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(dumps(blob))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_blob(store_dir: str | os.PathLike | None, placeholder: dict) -> dict:
    if not store_dir:
        raise FileNotFoundError(
            f"the output holds a blob of additional store {placeholder['store']!r} but no store_dir is known"
        )
    path = blob_path(store_dir, placeholder["store"], placeholder["blob_uuid"])
    try:
        return json.loads(path.read_text())
    except FileNotFoundError as e:
        raise FileNotFoundError(
            f"blob {placeholder['blob_uuid']} of additional store {placeholder['store']!r} is missing: "
            f"{path} (is the store directory on a filesystem this machine shares?)"
        ) from e


def inflate(value: Any, store_dir: str | os.PathLike | None) -> Any:
    """`value` with every blob placeholder replaced by the blob's data (jobflow's load=True)."""
    if is_blob(value):
        return read_blob(store_dir, value)["data"]
    if isinstance(value, dict):
        return {k: inflate(v, store_dir) for k, v in value.items()}
    if isinstance(value, list):
        return [inflate(v, store_dir) for v in value]
    return value
