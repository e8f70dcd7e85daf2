"""Per-job run settings, as jobflow-remote reads them: `submit_flow` arguments and each job's
`config.manager_config` (written by jobflow-remote's `set_run_config`, passed on to generated jobs
by jobflow's `pass_manager_config`).

Precedence follows jobflow-remote's `get_initial_job_doc_dict` (jobs/submit.py): a
manager_config `resources` wins when it is not None (an empty dict counts as set); `worker`,
`exec_config` and `priority` win when truthy (so a `priority: 0` there falls back to the
submit argument).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from .resources import to_neutral


@dataclass
class Defaults:
    """The `submit_flow` arguments every job starts from."""

    worker: str | None = None
    resources: Any = None
    priority: int | float = 0
    exec_config: Any = None
    # named exec configs (jobflow-remote keeps them in its project file; ferry has none)
    exec_configs: dict = field(default_factory=dict)


def _exec_config_dict(ec: Any, named: dict) -> dict:
    if ec is None:
        return {}
    if isinstance(ec, str):
        if ec not in named:
            raise ValueError(
                f"exec_config {ec!r} is a name, and ferry has no list of named exec configs: pass the "
                f"dict itself, or exec_configs={{{ec!r}: {{...}}}} to submit_flow"
            )
        ec = named[ec]
    if not isinstance(ec, dict):
        ec = ec.model_dump() if hasattr(ec, "model_dump") else ec.as_dict()
    unknown = set(ec) - {"modules", "export", "pre_run", "post_run", "@module", "@class", "@version"}
    if unknown:
        raise ValueError(f"exec_config: unknown keys {sorted(unknown)} (known: modules, export, pre_run, post_run)")
    return ec


def exec_config_fields(ec: Any, named: dict | None = None) -> dict:
    """exec_config → ferry job fields: `preRun` (module loads, then pre_run), `env`, `postRun`.

    jobflow-remote's submit.sh runs: cd, pre_run, export, modules, command, post_run.
    """
    d = _exec_config_dict(ec, named or {})
    out: dict = {}
    lines = []
    if d.get("pre_run"):
        lines.append(str(d["pre_run"]).rstrip("\n"))
    for module in d.get("modules") or []:
        lines.append(f"module load {shlex.quote(str(module))}")
    if lines:
        out["preRun"] = "\n".join(lines)
    if d.get("export"):
        out["env"] = {str(k): str(v) for k, v in d["export"].items()}
    if d.get("post_run"):
        out["postRun"] = str(d["post_run"])
    return out


def run_settings(manager_config: dict | None, defaults: Defaults) -> dict:
    """The ferry job fields (worker, priority, resources, preRun, env, postRun) of one job."""
    mc = manager_config or {}
    resources = mc.get("resources") if mc.get("resources") is not None else defaults.resources
    worker = mc.get("worker") or defaults.worker
    priority = mc.get("priority") or defaults.priority
    ec = mc.get("exec_config") or defaults.exec_config
    out: dict = {}
    if worker:
        out["worker"] = worker
    if priority:
        out["priority"] = priority
    neutral = to_neutral(resources)
    if neutral:
        out["resources"] = neutral
    out.update(exec_config_fields(ec, defaults.exec_configs))
    return out
