"""`run_locally`: jobflow's `run_locally` (jobflow/managers/local.py), run through ferry.

A throwaway ferry project (SQLite, one local pull worker whose python is this interpreter) gets
the flow; `ferry launch --flow` runs it here; the result has jobflow's shape,
`{uuid: {index: Response}}`, with each Response's `output` and `stored_data` as stored.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from .cli import Ferry
from .outputs import FerryStore
from .stores import inflate
from .submit import submit_flow


def _project(folder: Path, concurrency: int) -> None:
    # the compute side imports the user's job functions: give it this process's import path
    pythonpath = os.pathsep.join([os.getcwd(), *[p for p in sys.path if p]])
    config = {
        "database": {"sqlite": ".ferry/ferry.db"},
        "workers": {
            "local": {
                "mode": "pull",
                "workDir": "runs",
                "concurrency": concurrency,
                "python": sys.executable,
                "env": {"PYTHONPATH": pythonpath},
            }
        },
        "defaults": {"worker": "local"},
    }
    # JSON is YAML: no YAML writer needed
    (folder / "ferry.yaml").write_text(json.dumps(config, indent=2) + "\n")


def run_locally(
    flow: Any,
    *,
    root_dir: str | os.PathLike | None = None,
    ensure_success: bool = False,
    allow_external_references: bool = False,
    concurrency: int = 2,
    keep: bool = False,
    ferry: str | list[str] | None = None,
) -> dict[str, dict[int, Any]]:
    """Run `flow` to the end in a throwaway ferry project; return `{uuid: {index: Response}}`.

    root_dir: use this folder for the project (it is kept); otherwise a temporary folder is made
    and removed afterwards unless keep=True. ensure_success: raise RuntimeError if a job failed.
    """
    from jobflow import Response
    from monty.json import MontyDecoder

    folder = Path(root_dir) if root_dir else Path(tempfile.mkdtemp(prefix="ferry-run-locally-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        _project(folder, concurrency)
        submitted = submit_flow(
            flow,
            project=folder,
            allow_external_references=allow_external_references,
            ferry=ferry,
            check_duplicates=bool(root_dir),
        )
        cli = Ferry(folder, ferry)
        launched = cli.run("launch", "--flow", str(submitted.flow_id), "--quiet", check=False)
        if launched.returncode not in (0, 6):
            raise RuntimeError(f"ferry launch failed (exit {launched.returncode}): {launched.stderr.strip()}")
        if ensure_success and launched.returncode != 0:
            raise RuntimeError("Flow did not finish running successfully")
        store = FerryStore(folder, ferry)
        responses: dict[str, dict[int, Any]] = {}
        for j in cli.jobs("--flow", str(submitted.flow_id)):
            info = (j.get("metadata") or {}).get("jobflow")
            doc = store.document(j) if info else None
            if doc is None:
                continue
            output = MontyDecoder().process_decoded(inflate(doc.get("output"), (j.get("inputs") or {}).get("store_dir")))
            stored = j.get("storedData") or None
            responses.setdefault(info["uuid"], {})[info["index"]] = Response(output=output, stored_data=stored)
        if keep and not root_dir:
            print(f"ferry project kept in {folder}", file=sys.stderr)
        return responses
    finally:
        if not root_dir and not keep:
            shutil.rmtree(folder, ignore_errors=True)
