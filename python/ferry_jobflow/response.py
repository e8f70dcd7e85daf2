"""A jobflow Response → a ferry action (src/model/action.ts).

| jobflow             | ferry                                                             |
|---------------------|-------------------------------------------------------------------|
| output              | the task's output (the JobStoreDocument, run.py)                  |
| stored_data         | storedData (keys made strings)                                    |
| stop_children       | stopChildren                                                      |
| stop_jobflow        | stopFlow                                                          |
| addition            | addJobs; the addition's roots get this job as parent              |
| detour              | detour                                                            |
| replace             | replace; its output job is the one with this uuid and index + 1   |
|                     | (`prepare_replace` always makes one when the replacement has an   |
|                     | output), so every reference to this uuid reads the replacement    |
| replace, no output  | addJobs (jobflow-remote's `_append_flow` does the same)           |

Generated jobs get uuids derived from this job (names.py), so running this job again generates
the same ferry job names and ferry does not add them a second time.
"""

from __future__ import annotations

import json
from typing import Any

from ._json import to_json
from .convert import Context, convert_jobs, flow_entries, flow_names
from .names import derived_uuid, job_name


def _walk_uuids(flow: Any, out: list[str]) -> None:
    from jobflow import Flow

    out.append(flow.uuid)
    for part in flow.jobs:
        if isinstance(part, Flow):
            _walk_uuids(part, out)
        else:
            out.append(part.uuid)


def stable_uuids(flows: list[Any], current: tuple[str, int]) -> list[Any]:
    """Copies of `flows` whose new job and flow uuids are derived from the current job.

    Renaming goes through the serialised form, so every mention of an old uuid moves with it:
    references (also inside MSONable objects), hosts, and uuids a job put in its inputs itself.
    """
    from monty.json import MontyDecoder

    seen: list[str] = []
    for flow in flows:
        _walk_uuids(flow, seen)
    mapping: dict[str, str] = {}
    for uuid in seen:
        if uuid != current[0] and uuid not in mapping:
            mapping[uuid] = derived_uuid(current[0], current[1], len(mapping))
    out = []
    for flow in flows:
        text = json.dumps(to_json(flow.as_dict()))
        for old, new in mapping.items():
            text = text.replace(f'"{old}"', f'"{new}"')
        out.append(MontyDecoder().process_decoded(json.loads(text)))
    return out


def _roots_get_parent(entries: list[dict], parent: str) -> list[dict]:
    names = {e["name"] for e in entries}
    for e in entries:
        if not any(p in names for p in e.get("parents", [])):
            e["parents"] = [parent, *[p for p in e.get("parents", []) if p != parent]]
    return entries


def response_to_action(response: Any, job: Any, ctx: Context) -> dict:
    """The ferry action for `response`, returned by job (`job.uuid`, `job.index`)."""
    action: dict = {}
    if response.stored_data:
        action["storedData"] = {str(k): to_json(v) for k, v in response.stored_data.items()}
    if response.stop_children:
        action["stopChildren"] = True
    if response.stop_jobflow:
        action["stopFlow"] = True
    current = (job.uuid, job.index)
    parts = [("replace", response.replace), ("detour", response.detour), ("addition", response.addition)]
    present = [(kind, flow) for kind, flow in parts if flow is not None]
    if not present:
        return action
    renamed = stable_uuids([flow for _, flow in present], current)
    me = job_name(*current)
    add_jobs: list[dict] = []
    for (kind, _), flow in zip(present, renamed):
        sub = Context(ctx.defaults, ctx.store_dir, current, {}, {**ctx.flow_names, **flow_names(flow)})
        entries = convert_jobs(flow_entries(flow), sub)
        if kind == "replace":
            output = job_name(job.uuid, job.index + 1)
            if any(e["name"] == output for e in entries):
                action["replace"] = {"jobs": entries, "output": {"$ref": output}}
            else:
                add_jobs.extend(_roots_get_parent(entries, me))
        elif kind == "detour":
            action["detour"] = {"jobs": entries}
        else:
            add_jobs.extend(_roots_get_parent(entries, me))
    if add_jobs:
        action["addJobs"] = add_jobs
    return action
