"""FireWorks spec keys and queue-adapter variables → ferry job fields, for the Fireworks an
FWAction adds at run time (additions, detours). The same table as the importer's
(src/import/fireworks/spec-keys.ts and queueadapter.ts): keep them in step.
"""

from __future__ import annotations

import re
from typing import Any

from .._json import escape_literals, to_json

MAPPED = {"_tasks", "_category", "_fworker", "_priority", "_queueadapter", "_allow_fizzled_parents"}
UNSUPPORTED = {
    "_files_in", "_files_out", "_files_prev", "_pass_job_info", "_job_info", "_preserve_fworker",
    "_dupefinder", "_launch_dir", "_trackers", "_background_tasks", "_add_launchpad_and_fw_id",
    "_add_fworker", "_recovery", "_exception_details", "_fizzled_parents", "_fw_env",
}  # fmt: skip

QA_NEUTRAL = {
    "nodes": "nodes", "nnodes": "nodes", "ntasks": "processes", "mppwidth": "processes",
    "ntasks_per_node": "processesPerNode", "ppnode": "processesPerNode", "ppn": "processesPerNode",
    "cpus_per_task": "cpusPerProcess", "gpus_per_node": "gpus", "walltime": "walltime", "queue": "queue",
    "account": "account", "job_name": "jobName", "mem": "memory", "qos": "qos", "constraint": "constraint",
}  # fmt: skip
QA_RAW = {
    "mem_per_cpu": ("slurm", "--mem-per-cpu={}"), "gres": ("slurm", "--gres={}"), "gpus": ("slurm", "--gpus={}"),
    "gpus_per_task": ("slurm", "--gpus-per-task={}"), "exclude_nodes": ("slurm", "--exclude={}"),
    "ntasks_per_core": ("slurm", "--ntasks-per-core={}"), "core_spec": ("slurm", "--core-spec={}"),
    "time_min": ("slurm", "--time-min={}"), "license": ("slurm", "--licenses={}"), "signal": ("slurm", "--signal={}"),
    "mail_type": ("slurm", "--mail-type={}"), "pmem": ("pbs", "-l pmem={}"), "group_name": ("pbs", "-W group_list={}"),
}  # fmt: skip

RUN_FIREWORK = "ferry_jobflow.fireworks.run:run_firework"


def slug(name: str | None) -> str:
    s = re.sub(r"[^A-Za-z0-9_-]+", "_", name or "fw")
    s = re.sub(r"^[-_]+|_+$", "", s)[:60]
    return s or "fw"


def queueadapter_resources(qa: dict, warn: Any) -> dict:
    out: dict = {}
    custom: dict[str, list[str]] = {}
    for key, value in qa.items():
        if value is None:
            continue
        if key in QA_NEUTRAL:
            out[QA_NEUTRAL[key]] = value
        elif key == "mail_user":
            out["mail"] = {"user": str(value), "events": ["fail"]}
        elif key in QA_RAW:
            scheduler, fmt = QA_RAW[key]
            custom.setdefault(scheduler, []).append(fmt.format(value))
        else:
            warn(f"_queueadapter.{key}")
    if custom:
        out["custom"] = custom
    return out


def job_fields(spec: dict, warn: Any) -> dict:
    """category, worker, priority, allowFailedParents, resources from the reserved keys."""
    out: dict = {}
    if isinstance(spec.get("_category"), str) and spec["_category"] != "__none__":
        out["category"] = spec["_category"]
    elif "_category" in spec:
        warn("_category")
    if isinstance(spec.get("_fworker"), str):
        out["worker"] = spec["_fworker"]
    elif "_fworker" in spec:
        warn("_fworker")
    if isinstance(spec.get("_priority"), (int, float)) and not isinstance(spec["_priority"], bool):
        out["priority"] = spec["_priority"]
    elif "_priority" in spec:
        warn("_priority")
    if spec.get("_allow_fizzled_parents"):
        out["allowFailedParents"] = True
    if isinstance(spec.get("_queueadapter"), dict):
        resources = queueadapter_resources(spec["_queueadapter"], warn)
        if resources:
            out["resources"] = resources
    elif "_queueadapter" in spec:
        warn("_queueadapter")
    return out


def firework_job(fw: dict, name: str, parents: list[str]) -> dict:
    """One Firework dict (`Firework.to_dict()`) → a ferry job that runs it through FireWorks."""
    spec = dict(fw.get("spec") or {})
    unsupported: list[str] = []
    warn = unsupported.append
    inputs = {}
    for key, value in spec.items():
        if key in MAPPED and key != "_tasks":
            continue
        if key in UNSUPPORTED:
            warn(key)
            continue
        inputs[key] = value
    job: dict = {"name": name, "label": fw.get("name") or name, "py": RUN_FIREWORK}
    if parents:
        job["parents"] = parents
    job["inputs"] = escape_literals(to_json(inputs))
    job.update(job_fields(spec, warn))
    job["metadata"] = {"fireworks": {"fw_id": fw.get("fw_id"), **({"unsupported": unsupported} if unsupported else {})}}
    return job
