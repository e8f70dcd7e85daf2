"""`submit_flow`: a jobflow Flow (or Job, or list of them) into a ferry project, with the
arguments of `jobflow_remote.submit_flow` (src/jobflow_remote/jobs/submit.py).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._json import to_json
from .cli import Ferry, FerryError
from .convert import Context, convert_jobs, flow_entries, flow_names
from .manager import Defaults
from .names import job_name


@dataclass
class SubmittedFlow:
    flow_id: int
    name: str
    # ferry job name → ferry job id (names are `<uuid>`, see names.py)
    job_ids: dict[str, int]


def _project_folder(project: str | None) -> Path:
    """The folder of the ferry project ferry itself would use (argument, FERRY_PROJECT, or the
    nearest ferry.yaml upwards from here)."""
    given = project or os.environ.get("FERRY_PROJECT")
    if given:
        p = Path(given).expanduser().resolve()
        return p.parent if p.suffix in (".yaml", ".yml") or p.is_file() else p
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "ferry.yaml").is_file():
            return folder
    return here


def default_store_dir(project: str | None) -> str:
    """Where file-backed additional stores go: `jobflow-stores/` beside the project file, which
    HPC sites keep on a filesystem the compute nodes see (FERRY_JOBFLOW_STORE_DIR overrides)."""
    env = os.environ.get("FERRY_JOBFLOW_STORE_DIR")
    if env:
        return str(Path(env).resolve())
    return str(_project_folder(project) / "jobflow-stores")


def _refuse_resubmission(ferry: Ferry, uuids: list[str]) -> None:
    """jobflow-remote refuses a flow whose job uuids exist already ("check that you are not trying
    to submit the same flow multiple times"): outputs are found by uuid, which must stay unique."""
    sample = uuids[:100]
    query = json.dumps({"metadata.jobflow.uuid": {"$in": sample}})
    try:
        found = ferry.jobs("--query", query, "--limit", "1")
    except FerryError as e:
        if e.exit_code == 5 and "created by the first `ferry add`" in e.stderr:
            return  # a new project: nothing in it yet
        raise
    if found:
        uuid = found[0]["metadata"]["jobflow"]["uuid"]
        raise ValueError(
            f"job {uuid} is already in this ferry project (flow {found[0]['flowId']}): check that you are "
            "not submitting the same flow twice (build it again for a second copy)"
        )


def _external_flows(ferry: Ferry, uuids: set[str]) -> dict[str, int]:
    """uuid → flow id of already-submitted jobs (jobflow's `allow_external_references`)."""
    found: dict[str, int] = {}
    for uuid in sorted(uuids):
        jobs = ferry.jobs("--name", job_name(uuid))
        if not jobs:
            raise ValueError(f"external reference to job {uuid}: no such job in this ferry project")
        found[uuid] = jobs[0]["flowId"]
    return found


def flow_to_ferry(flow: Any, ctx: Context, entries: list | None = None) -> dict:
    """A jobflow Flow → a ferry flow (dict in the flow-file format)."""
    entries = flow_entries(flow) if entries is None else entries
    ctx.flow_names = flow_names(flow)
    return {
        "name": str(flow.name),
        "metadata": {**to_json(getattr(flow, "metadata", None) or {}), "jobflow": {"uuid": flow.uuid}},
        "jobs": convert_jobs(entries, ctx),
    }


def submit_flow(
    flow: Any,
    worker: str | None = None,
    project: str | os.PathLike | None = None,
    exec_config: Any = None,
    resources: Any = None,
    priority: int | float = 0,
    allow_external_references: bool = False,
    *,
    exec_configs: dict | None = None,
    store_dir: str | os.PathLike | None = None,
    ferry: str | list[str] | None = None,
    check_duplicates: bool = True,
) -> SubmittedFlow:
    """Add `flow` to the ferry project (`ferry add`); `ferry launch` or a worker then runs it.

    worker, exec_config, resources, priority: defaults for every job, overridden per job by its
    `config.manager_config` (jobflow-remote's `set_run_config`). resources: qtoolkit template keys
    (`{"nodes": 2, "time": "1:00:00", "partition": "debug"}`), a QResources, or ferry's neutral keys.
    exec_config: a dict/ExecutionConfig (`modules`, `export`, `pre_run`, `post_run`), or a name
    from `exec_configs`. project: ferry.yaml or its folder (default: ferry's own search).
    store_dir: where `@job(data=...)` additional stores are written (a shared filesystem).
    A flow whose jobs are in the project already is refused, as jobflow-remote does.
    """
    from jobflow import Flow
    from jobflow.core.flow import get_flow

    project_s = None if project is None else str(project)
    cli = Ferry(project_s, ferry)
    flow = get_flow(flow, allow_external_references=allow_external_references)
    if not isinstance(flow, Flow):
        raise TypeError(f"expected a Flow, Job or list of them, got {type(flow).__name__}")
    entries = list(flow.iterflow())
    own = {j.uuid for j, _ in entries}
    if check_duplicates:
        _refuse_resubmission(cli, [j.uuid for j, _ in entries])
    outside = {r.uuid for j, _ in entries for r in j.input_references} - own
    ctx = Context(
        defaults=Defaults(worker, resources, priority, exec_config, exec_configs or {}),
        store_dir=str(Path(store_dir).resolve()) if store_dir else default_store_dir(project_s),
        external=_external_flows(cli, outside) if outside else {},
    )
    added = cli.add(flow_to_ferry(flow, ctx, [(j, list(p)) for j, p in entries]))
    return SubmittedFlow(added["flowId"], added["name"], added["jobIds"])
