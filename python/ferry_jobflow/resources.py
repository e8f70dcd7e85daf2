"""jobflow-remote's `resources` (qtoolkit template keys or a QResources) → ferry's neutral resources.

ferry's neutral keys (src/model/resources.ts) mean the same on every scheduler; what has no
neutral key becomes a raw directive for the scheduler that the template key belongs to
(`custom: {slurm: [...]}`). A key that fits neither is an error naming it, never a dropped line
(qtoolkit does the same: "The following keys are not present in the template").

Template keys are qtoolkit's (jobflow-remote passes them to qtoolkit's header templates, for
example `{partition: debug, ntasks: 512, nodes: 4, time: "24:00:00"}`); ferry's own neutral keys
are accepted as they are.
"""

from __future__ import annotations

import datetime
import difflib
from typing import Any

NEUTRAL = {
    "nodes", "processes", "processesPerNode", "cpusPerProcess", "gpus", "memory", "walltime",
    "queue", "partition", "account", "qos", "reservation", "constraint", "exclusive", "mail",
    "jobName", "custom",
}  # fmt: skip

# qtoolkit template key → ferry neutral key (the same meaning on every scheduler that has it)
TEMPLATE_TO_NEUTRAL = {
    "partition": "queue",
    "queue": "queue",
    "job_name": "jobName",
    "nodes": "nodes",
    "ntasks": "processes",
    "ntasks_per_node": "processesPerNode",
    "cpus_per_task": "cpusPerProcess",
    "gpus_per_node": "gpus",
    "mem": "memory",
    "time": "walltime",
    "walltime": "walltime",
    "account": "account",
    "qos": "qos",
    "constraint": "constraint",
    "reservation": "reservation",
}

# qtoolkit template key → (scheduler, directive argument format) for keys with no neutral meaning
TEMPLATE_TO_RAW = {
    "mem_per_cpu": [("slurm", "--mem-per-cpu={}")],
    "hint": [("slurm", "--hint={}")],
    "exclude_nodes": [("slurm", "--exclude={}")],
    "gres": [("slurm", "--gres={}")],
    "gpus": [("slurm", "--gpus={}")],
    "nodelist": [("slurm", "--nodelist={}")],
    "propagate": [("slurm", "--propagate={}")],
    "licenses": [("slurm", "--licenses={}")],
    "mail_type": [("slurm", "--mail-type={}")],
    "select": [("pbs", "-l select={}")],
    "place": [("pbs", "-l place={}")],
    "group_list": [("pbs", "-W group_list={}")],
    "priority": [("slurm", "--priority={}"), ("pbs", "-p {}"), ("sge", "-p {}")],
    "device": [("sge", "-P {}")],
    "soft_walltime": [("sge", "-l s_rt={}")],
}

REFUSED = {
    "qout_path": "ferry writes the job's output in its launch directory",
    "qerr_path": "ferry writes the job's errors in its launch directory",
    "output_filepath": "ferry writes the job's output in its launch directory",
    "error_filepath": "ferry writes the job's errors in its launch directory",
    "array": "array jobs are not supported: submit one job per element",
    "njobs": "array jobs are not supported: submit one job per element",
    "qverbatim": "pass raw directives as custom: {slurm: [...]} (one option per entry)",
    "cwd": "jobs always run in their launch directory",
}


class ResourcesError(ValueError):
    pass


def _suggest(key: str) -> str:
    known = sorted(NEUTRAL | set(TEMPLATE_TO_NEUTRAL) | set(TEMPLATE_TO_RAW))
    close = difflib.get_close_matches(key, known, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _seconds(value: Any) -> Any:
    if isinstance(value, datetime.timedelta):
        return int(value.total_seconds())
    return value


def _qresources_fields(r: Any) -> dict:
    """A QResources (object or its dict) as a plain dict of its set fields."""
    if not isinstance(r, dict):
        r = r.as_dict() if hasattr(r, "as_dict") else vars(r)
    out = {k: v for k, v in r.items() if not k.startswith("@") and v not in (None, {}, [])}
    placement = out.pop("process_placement", None)
    if isinstance(placement, dict):
        placement = placement.get("value")
    if placement is not None and hasattr(placement, "value"):
        placement = placement.value
    if placement not in (None, "no_constraints", "evenly_distributed", "NO_CONSTRAINTS", "EVENLY_DISTRIBUTED"):
        out["_placement"] = str(placement).lower()
    return out


def is_qresources(r: Any) -> bool:
    if isinstance(r, dict):
        return r.get("@class") == "QResources"
    return type(r).__name__ == "QResources"


def from_qresources(r: Any) -> dict:
    """QResources fields → neutral resources (qtoolkit's own per-scheduler mapping, made neutral)."""
    q = _qresources_fields(r)
    out: dict = {}
    custom: dict[str, list[str]] = {}
    simple = {
        "queue_name": "queue",
        "job_name": "jobName",
        "nodes": "nodes",
        "processes": "processes",
        "processes_per_node": "processesPerNode",
        "threads_per_process": "cpusPerProcess",
        "account": "account",
        "qos": "qos",
    }
    for key, neutral in simple.items():
        if key in q:
            out[neutral] = q.pop(key)
    placement = q.pop("_placement", None)
    if placement == "same_node":
        out["nodes"] = 1
    elif placement == "scattered":
        out["processesPerNode"] = 1
        if "processes" in out:
            out["nodes"] = out["processes"]
    if "time_limit" in q:
        out["walltime"] = _seconds(q.pop("time_limit"))
    if "memory_per_thread" in q:
        mpt = q.pop("memory_per_thread")
        ppn = out.get("processesPerNode") or (out.get("processes") if out.get("nodes", 1) == 1 else None)
        if ppn is None:
            raise ResourcesError(
                "QResources.memory_per_thread needs processes_per_node (or one node) to give memory per node"
            )
        out["memory"] = int(mpt) * int(out.get("cpusPerProcess", 1)) * int(ppn)
    if "gpus_per_job" in q:
        gpus, nodes = int(q.pop("gpus_per_job")), int(out.get("nodes", 1))
        if gpus % nodes != 0:
            raise ResourcesError(f"QResources.gpus_per_job={gpus} does not divide over {nodes} nodes")
        out["gpus"] = gpus // nodes
    if "email_address" in q:
        out["mail"] = {"user": q.pop("email_address"), "events": ["begin", "end", "fail"]}
    if "priority" in q:
        p = q.pop("priority")
        for scheduler, fmt in TEMPLATE_TO_RAW["priority"]:
            custom.setdefault(scheduler, []).append(fmt.format(p))
    if "rerunnable" in q:
        yes = bool(q.pop("rerunnable"))
        custom.setdefault("slurm", []).append("--requeue" if yes else "--no-requeue")
        custom.setdefault("pbs", []).append(f"-r {'y' if yes else 'n'}")
        custom.setdefault("sge", []).append(f"-r {'y' if yes else 'n'}")
    if "project" in q:
        custom.setdefault("pbs", []).append(f"-W group_list={q.pop('project')}")
    extra = q.pop("scheduler_kwargs", None) or {}
    for key in list(q):
        if key in REFUSED:
            raise ResourcesError(f"QResources.{key}: {REFUSED[key]}")
        raise ResourcesError(f"QResources.{key} has no ferry equivalent")
    merged = from_template({**extra}) if extra else {}
    return _merge(out, custom, merged)


def _merge(out: dict, custom: dict, more: dict) -> dict:
    for k, v in more.items():
        if k == "custom":
            for scheduler, args in v.items():
                custom.setdefault(scheduler, []).extend(args)
        else:
            out[k] = v
    if custom:
        out["custom"] = custom
    return out


def from_template(r: dict) -> dict:
    """A dict of qtoolkit template keys (or ferry neutral keys) → neutral resources."""
    out: dict = {}
    custom: dict[str, list[str]] = {}
    for key, value in r.items():
        if value is None:
            continue
        if key in NEUTRAL and key not in TEMPLATE_TO_NEUTRAL:
            if key == "custom":
                if isinstance(value, list):
                    raise ResourcesError("custom: give raw directives per scheduler, e.g. {slurm: [...]}")
                for scheduler, args in value.items():
                    custom.setdefault(scheduler, []).extend(args)
            else:
                out[key] = value
        elif key in TEMPLATE_TO_NEUTRAL:
            out[TEMPLATE_TO_NEUTRAL[key]] = _seconds(value)
        elif key == "exclusive":
            out["exclusive"] = value is not False
        elif key == "mail_user":
            out["mail"] = {"user": value, "events": ["fail"]}
        elif key == "requeue":
            custom.setdefault("slurm", []).append("--requeue")
        elif key == "rerunnable":
            for scheduler in ("pbs", "sge"):
                custom.setdefault(scheduler, []).append(f"-r {value if isinstance(value, str) else 'y' if value else 'n'}")
        elif key in TEMPLATE_TO_RAW:
            for scheduler, fmt in TEMPLATE_TO_RAW[key]:
                custom.setdefault(scheduler, []).append(fmt.format(value))
        elif key in REFUSED:
            raise ResourcesError(f"resources.{key}: {REFUSED[key]}")
        else:
            raise ResourcesError(f"resources.{key} is not a resource ferry knows{_suggest(key)}")
    if "mail" in out and "mail_type" in r:
        kinds = {"BEGIN": "begin", "END": "end", "FAIL": "fail"}
        wanted = str(r["mail_type"]).upper().split(",")
        events = ["begin", "end", "fail"] if "ALL" in wanted else [kinds[w] for w in wanted if w in kinds]
        if events:
            out["mail"]["events"] = events
            custom["slurm"] = [a for a in custom.get("slurm", []) if not a.startswith("--mail-type=")]
            if not custom["slurm"]:
                del custom["slurm"]
    return _merge(out, custom, {})


def to_neutral(resources: Any) -> dict:
    """jobflow-remote resources of any accepted form → ferry's neutral resources."""
    if resources is None:
        return {}
    if is_qresources(resources):
        return from_qresources(resources)
    if not isinstance(resources, dict):
        raise ResourcesError(f"resources must be a dict or a QResources, not {type(resources).__name__}")
    return from_template(resources)
