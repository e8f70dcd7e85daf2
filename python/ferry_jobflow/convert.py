"""jobflow Jobs → ferry jobs (the flow-file job format), on the submit side and for the jobs a
Response generates on a compute node.

One jobflow Job becomes one ferry job with one `py` task, `ferry_jobflow.run:run_job`, whose
inputs are:

- `job`: `Job.as_dict()`, made JSON-safe, with every OutputReference either left in place (jobflow
  resolves it on the node, from `docs`) or, where the parent's output_schema proves it safe
  (pushdown.py), replaced by a ferry reference to just that value;
- `docs`: `{uuid: {"$ref": <name>}}`, the whole stored output document of every job whose
  references are resolved on the node (ferry follows replacements to the highest index, as
  jobflow does);
- `store_dir`: where file-backed additional stores live (stores.py).

Parents are the jobflow graph's predecessors (references and `JobOrder.LINEAR` edges) plus every
job referenced. Names are computed from uuid and index alone (names.py); the readable jobflow
name is the ferry job's `label`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ._json import LITERAL, escape_literals, to_json
from .manager import Defaults, run_settings
from .names import job_name
from .pushdown import format_path, pushdown_path

RUN_JOB = "ferry_jobflow.run:run_job"


@dataclass
class Context:
    """What a conversion needs beyond the jobs themselves."""

    defaults: Defaults = field(default_factory=Defaults)
    store_dir: str | None = None
    # the job whose Response generated these jobs (uuid, index), on the compute side
    current: tuple[str, int] | None = None
    # uuid → ferry flow id, for references to jobs of flows already submitted
    external: dict[str, int] = field(default_factory=dict)
    # flow uuid → flow name, for the nesting kept in metadata
    flow_names: dict[str, str] = field(default_factory=dict)


def is_reference(value: Any) -> bool:
    return isinstance(value, dict) and value.get("@class") == "OutputReference" and "uuid" in value


def find_references(value: Any) -> list[dict]:
    if is_reference(value):
        return [value]
    if isinstance(value, dict):
        return [r for v in value.values() for r in find_references(v)]
    if isinstance(value, list):
        return [r for v in value for r in find_references(v)]
    return []


class _Pushed:
    """A reference ferry resolves itself (a marker until the inputs are finished)."""

    def __init__(self, uuid: str, path: list, original: dict):
        self.uuid, self.path, self.original = uuid, path, original


def _on_missing(job: Any) -> str:
    value = job.config.on_missing_references
    return getattr(value, "value", value)


def _check_importable(job: Any) -> None:
    function = getattr(job.function, "original", job.function)
    if "<locals>" in getattr(function, "__qualname__", ""):
        raise ValueError(
            f"job {job.name!r}: its function is defined inside another function, which a compute node "
            "cannot import; define it at the top level of a module"
        )
    module = getattr(job.function, "__module__", None)
    if module == "__main__":
        raise ValueError(
            f"job {job.name!r}: its function is defined in __main__, which a compute node cannot import; "
            "move it into a module on the PYTHONPATH"
        )


class _Batch:
    def __init__(self, jobs: list, ctx: Context):
        self.ctx = ctx
        self.index = {j.uuid: j.index for j in jobs}
        self.schemas = {j.uuid: j.output_schema for j in jobs}

    def name_of(self, uuid: str) -> str:
        if uuid in self.index:
            return job_name(uuid, self.index[uuid])
        if self.ctx.current and uuid == self.ctx.current[0]:
            return job_name(*self.ctx.current)
        return job_name(uuid)

    def ref(self, uuid: str, path: str | None) -> dict:
        out: dict = {"$ref": self.name_of(uuid)}
        if path:
            out["path"] = path
        if uuid not in self.index and uuid in self.ctx.external:
            out["flow"] = self.ctx.external[uuid]
        return out

    def is_local(self, uuid: str) -> bool:
        return uuid not in self.ctx.external or uuid in self.index


def _mark_pushdowns(value: Any, batch: _Batch, pushable: bool) -> Any:
    if is_reference(value):
        path = pushdown_path(batch.schemas.get(value["uuid"]), value.get("attributes") or []) if pushable else None
        return _Pushed(value["uuid"], path, value) if path is not None else value
    if isinstance(value, dict):
        return {k: _mark_pushdowns(v, batch, pushable) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark_pushdowns(v, batch, pushable) for v in value]
    return value


def _finish(value: Any, batch: _Batch, docs: set, literal: bool = False) -> Any:
    """Turn markers into ferry references (or back into plain references inside a literal)."""
    if isinstance(value, _Pushed):
        if literal:
            docs.add(value.uuid)
            return value.original
        return batch.ref(value.uuid, format_path(["output", *value.path]))
    if is_reference(value):
        docs.add(value["uuid"])
        return value
    if isinstance(value, dict):
        inner = literal or set(value) == {LITERAL}
        return {k: _finish(v, batch, docs, inner) for k, v in value.items()}
    if isinstance(value, list):
        return [_finish(v, batch, docs, literal) for v in value]
    return value


def _metadata(job: Any, ctx: Context) -> dict:
    info = {"uuid": job.uuid, "index": job.index, "name": job.name, "hosts": list(job.hosts)}
    flows = [ctx.flow_names[h] for h in job.hosts if h in ctx.flow_names]
    if flows:
        info["flows"] = flows
    return {**to_json(job.metadata or {}), "jobflow": info}


def _inherit(settings: dict, post_run: str | None) -> dict:
    """What jobs generated by this job's Response inherit (jobflow-remote's `_append_flow`
    gives them the generating job's resources and exec_config; ferry itself passes on worker,
    category and priority)."""
    out: dict = {}
    if settings.get("resources"):
        out["resources"] = settings["resources"]
    ec = {"pre_run": settings.get("preRun"), "export": settings.get("env"), "post_run": post_run}
    ec = {k: v for k, v in ec.items() if v}
    if ec:
        out["exec_config"] = ec
    return out


def convert_job(job: Any, graph_parents: list[str], batch: _Batch) -> dict:
    _check_importable(job)
    ctx = batch.ctx
    on_missing = _on_missing(job)
    pushable = job.config.resolve_references is True and on_missing == "error"
    d = to_json(job.as_dict())
    marked = _mark_pushdowns(d, batch, pushable)
    docs: set[str] = set()
    finished = _finish(escape_literals(marked, keep=_Pushed), batch, docs)
    referenced = [r["uuid"] for r in find_references(d)]
    inputs: dict = {"job": finished, "docs": {u: batch.ref(u, None) for u in sorted(docs)}}
    if ctx.store_dir:
        inputs["store_dir"] = ctx.store_dir
    parents: list[str] = []
    for uuid in [*graph_parents, *referenced]:
        name = batch.name_of(uuid)
        if batch.is_local(uuid) and name not in parents and name != batch.name_of(job.uuid):
            parents.append(name)
    settings = run_settings(job.config.manager_config, ctx.defaults)
    post_run = settings.pop("postRun", None)
    inherit = _inherit(settings, post_run)
    if inherit:
        inputs["inherit"] = inherit
    entry: dict = {"name": batch.name_of(job.uuid), "label": str(job.name)}
    if post_run:
        entry["tasks"] = [{"py": RUN_JOB}, {"sh": post_run, "name": "post_run"}]
    else:
        entry["py"] = RUN_JOB
    if parents:
        entry["parents"] = parents
    entry["inputs"] = inputs
    entry.update(settings)
    if on_missing in ("none", "pass"):
        entry["onMissingReference"] = "null"
    entry["metadata"] = _metadata(job, ctx)
    return entry


def convert_jobs(entries: list[tuple[Any, list[str]]], ctx: Context) -> list[dict]:
    """[(job, graph parent uuids)] in topological order → ferry job entries."""
    batch = _Batch([j for j, _ in entries], ctx)
    return [convert_job(job, list(parents), batch) for job, parents in entries]


def flow_names(flow: Any) -> dict[str, str]:
    from jobflow import Flow

    names = {flow.uuid: flow.name}
    for part in flow.jobs:
        if isinstance(part, Flow):
            names.update(flow_names(part))
    return names


def flow_entries(flow: Any) -> list[tuple[Any, list[str]]]:
    return [(job, list(parents)) for job, parents in flow.iterflow()]
