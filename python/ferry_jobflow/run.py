"""The compute side: run one jobflow Job from its ferry inputs (the `py` task of every job the
bridge makes: `ferry_jobflow.run:run_job`).

Mirrors jobflow-remote's `run_remote_job` (src/jobflow_remote/jobs/run.py): the resolved inputs
arrive as JSON; the Job is decoded with MontyDecoder and run against an in-memory JobStore whose
docs store holds the output documents of the jobs it references (`docs`, resolved by ferry) and
whose additional stores are filled from, and written back to, the file stores (stores.py).
jobflow itself then resolves every reference, with its own rules (attributes, indexes,
properties, `on_missing_references`), so a job sees exactly what it would see under jobflow.

The return value is jobflow's JobStoreDocument `{uuid, index, name, output, completed_at,
metadata, hosts}` (so `--query '{"outputs.output.energy": ...}'` reads like a JobStore query),
with the Response's actions as a ferry action.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._json import to_json
from .convert import Context
from .manager import Defaults
from .response import response_to_action
from .stores import find_blobs, read_blob, write_blob


def _node_store(on_missing: Any, store_names: set[str]) -> Any:
    from jobflow import JobStore
    from jobflow.core.reference import find_and_get_references, find_and_resolve_references
    from maggma.stores import MemoryStore

    class NodeStore(JobStore):
        """A JobStore that resolves references a job put in its own output (store_inputs, the
        output job of every replacement with an output, returns unresolved references) from this
        job's inputs, when it is stored: ferry keeps outputs as plain JSON, and a child reads
        them without a JobStore to resolve them later."""

        def update(self, docs: Any, key: Any = None, save: Any = None) -> None:
            items = docs if isinstance(docs, list) else [docs]
            fixed = []
            for doc in items:
                d = doc.model_dump() if hasattr(doc, "model_dump") else dict(doc)
                if find_and_get_references(d.get("output")):
                    try:
                        d["output"] = find_and_resolve_references(d["output"], self, on_missing=on_missing)
                    except ValueError as e:
                        raise RuntimeError(
                            f"the output of job {d.get('name')!r} holds references to jobs that are not "
                            f"among its inputs; ferry resolves them only from a job's inputs ({e})"
                        ) from e
                fixed.append(d)
            super().update(fixed, key=key, save=save)

    store = NodeStore(MemoryStore(), {name: MemoryStore() for name in sorted(store_names)})
    store.connect()
    return store


def _without_id(doc: dict) -> dict:
    return {k: v for k, v in doc.items() if k != "_id"}


def run_job(
    job: dict,
    docs: dict | None = None,
    store_dir: str | None = None,
    inherit: dict | None = None,
    **_ferry: Any,
) -> Any:
    """Run the serialised jobflow Job `job`; return its output document and action."""
    from monty.json import MontyDecoder

    the_job = MontyDecoder().process_decoded(job)
    present = {u: d for u, d in (docs or {}).items() if d is not None}
    blobs = [b for d in present.values() for b in find_blobs(d.get("output"))]
    names = set(the_job._kwargs) | {b["store"] for b in blobs}
    store = _node_store(the_job.config.on_missing_references, names)
    for d in present.values():
        store.docs_store.update([d], key=["uuid", "index"])
    loaded = set()
    for b in blobs:
        store.additional_stores[b["store"]].update([read_blob(store_dir, b)], key="blob_uuid")
        loaded.add(b["blob_uuid"])

    response = the_job.run(store, job_dir=Path.cwd())

    doc = store.docs_store.query_one({"uuid": the_job.uuid, "index": the_job.index})
    for name, extra in store.additional_stores.items():
        for blob in extra.query({}):
            if blob["blob_uuid"] not in loaded:
                if not store_dir:
                    raise RuntimeError(f"job {the_job.name!r} saves to additional store {name!r} but no store_dir is set")
                write_blob(store_dir, name, to_json(_without_id(blob)))
    inherited = inherit or {}
    ctx = Context(
        defaults=Defaults(resources=inherited.get("resources"), exec_config=inherited.get("exec_config")),
        store_dir=store_dir,
    )
    action = response_to_action(response, the_job, ctx)
    output = to_json(_without_id(doc))
    return {"$action": action, "output": output} if action else output
