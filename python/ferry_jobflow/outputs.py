"""Reading jobflow outputs back from a ferry project, like `JobStore.get_output(uuid)`.

Each jobflow job (uuid, index) is the ferry job `<uuid>` or `<uuid>-<index>`, whose stored
output is jobflow's JobStoreDocument. A job replaced by its Response holds ferry's replacement
marker instead; its own document stays in its run's outputs. `which="last"` takes the highest
index, as jobflow does, so a replaced job's output is its replacement's.
"""

from __future__ import annotations

import os
from typing import Any

from .cli import Ferry
from .names import job_name
from .stores import inflate


def _is_marker(outputs: Any) -> bool:
    return isinstance(outputs, dict) and "$replacedBy" in outputs


class FerryStore:
    """Read-only access to jobflow outputs in one ferry project."""

    def __init__(self, project: str | os.PathLike | None = None, ferry: str | list[str] | None = None):
        self.ferry = Ferry(project, ferry)

    def jobs(self, uuid: str) -> list[dict]:
        """The ferry jobs of jobflow uuid `uuid` (every index), lowest index first."""
        found = self.ferry.jobs("--name", job_name(uuid), "--name", f"{uuid}-*")
        mine = [j for j in found if (j.get("metadata") or {}).get("jobflow", {}).get("uuid") == uuid]
        return sorted(mine, key=lambda j: j["metadata"]["jobflow"]["index"])

    def document(self, job: dict) -> dict | None:
        """The JobStoreDocument a COMPLETED ferry job stored (from its run if it was replaced)."""
        if job["state"] != "COMPLETED":
            return None
        if not _is_marker(job.get("outputs")):
            return job.get("outputs")
        runs = [r for r in self.ferry.show(job["id"])["runs"] if r.get("state") == "COMPLETED"]
        return runs[-1].get("outputs") if runs else None

    def get_output(self, uuid: str, which: str | int = "last", load: bool = False) -> Any:
        """The decoded output of job `uuid`: `which` is "last", "first", "all" or an index."""
        from monty.json import MontyDecoder

        docs = []
        for j in self.jobs(uuid):
            doc = self.document(j)
            if doc is not None:
                docs.append((j["metadata"]["jobflow"]["index"], doc, (j.get("inputs") or {}).get("store_dir")))
        if isinstance(which, int):
            docs = [d for d in docs if d[0] == which]
        if not docs:
            where = f" (index: {which})" if isinstance(which, int) else ""
            raise ValueError(f"UUID: {uuid}{where} has no outputs.")

        def decode(entry: tuple) -> Any:
            _, doc, store_dir = entry
            output = doc.get("output")
            return MontyDecoder().process_decoded(inflate(output, store_dir) if load else output)

        if which == "all":
            return [decode(d) for d in docs]
        return decode(docs[0] if which == "first" else docs[-1])


def get_output(uuid: str, which: str | int = "last", load: bool = False, project: Any = None, ferry: Any = None) -> Any:
    """`FerryStore(project).get_output(uuid, which, load)`."""
    return FerryStore(project, ferry).get_output(uuid, which, load)
