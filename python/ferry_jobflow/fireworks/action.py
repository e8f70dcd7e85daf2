"""An FWAction → a ferry action (src/model/action.ts).

| FireWorks                    | ferry                                                    |
|------------------------------|----------------------------------------------------------|
| stored_data                  | storedData                                               |
| update_spec (+ propagate)    | updateChildren {inputs, propagate}                       |
| mod_spec _set/_unset/_push/  | modifyChildren {set, unset, push, pushAll, inc}, with    |
| _push_all/_inc, `a->b` paths | dotted paths                                             |
| additions                    | addJobs (roots depend on this job)                       |
| detours                      | detour                                                   |
| defuse_children              | stopChildren                                             |
| defuse_workflow              | stopFlow                                                 |
| exit                         | exit                                                     |

FireWorks applies mod_spec instructions one by one; ferry applies one modifyChildren in the
fixed order set, unset, push, pushAll, inc. Instructions that touch the same key with different
operators in another order, keys holding a `.`, and the other DictMod operators (_rename,
_add_to_set, _pull, _pull_all, _pop) cannot be expressed: the job fails with a message saying
which. `append_wfs` is refused the same way.

New Fireworks get names derived from this job's name and their position, so a rerun of this job
adds nothing twice (ferry skips jobs its earlier run added; FireWorks appends them again, §5.1).
"""

from __future__ import annotations

import uuid
from typing import Any

from .._json import escape_literals, to_json
from ..names import NAMESPACE
from .spec import firework_job, slug

ORDER = ["_set", "_unset", "_push", "_push_all", "_inc"]
KEY = {"_set": "set", "_unset": "unset", "_push": "push", "_push_all": "pushAll", "_inc": "inc"}


class ActionError(ValueError):
    pass


def _path(key: str) -> str:
    parts = key.split("->")
    if any("." in p or p == "" for p in parts):
        raise ActionError(f"mod_spec key {key!r}: ferry paths cannot hold '.' or empty parts")
    return ".".join(parts)


def mod_spec_to_modify(mods: list[dict]) -> dict:
    ops: dict[str, dict] = {op: {} for op in ORDER}
    last_op: dict[str, int] = {}
    for mod in mods:
        for op, changes in mod.items():
            if op not in ORDER:
                raise ActionError(f"mod_spec operator {op!r} has no ferry equivalent (ferry has {', '.join(ORDER)})")
            items = changes.items() if isinstance(changes, dict) else ((k, None) for k in changes)
            for key, value in items:
                path = _path(key)
                rank = ORDER.index(op)
                if last_op.get(path, rank) > rank:
                    raise ActionError(
                        f"mod_spec touches {key!r} with {op} after a later-ordered operator: ferry applies set, "
                        "unset, push, push_all, inc in that order"
                    )
                last_op[path] = rank
                bucket = ops[op]
                if op == "_set":
                    bucket[path] = value
                elif op == "_unset":
                    bucket[path] = True
                elif op == "_push":
                    bucket.setdefault(path, []).append(value)
                elif op == "_push_all":
                    bucket.setdefault(path, []).extend(value)
                else:
                    bucket[path] = bucket.get(path, 0) + value
    out: dict = {}
    if ops["_set"]:
        out["set"] = escape_literals(to_json(ops["_set"]))
    if ops["_unset"]:
        out["unset"] = list(ops["_unset"])
    pushes = {p: v for p, v in ops["_push"].items()}
    single = {p: v[0] for p, v in pushes.items() if len(v) == 1 and p not in ops["_push_all"]}
    multi = {p: v for p, v in pushes.items() if p not in single}
    push_all = {p: [*multi.pop(p, []), *v] for p, v in ops["_push_all"].items()}
    push_all.update(multi)
    if single:
        out["push"] = escape_literals(to_json(single))
    if push_all:
        out["pushAll"] = escape_literals(to_json(push_all))
    if ops["_inc"]:
        out["inc"] = ops["_inc"]
    return out


def _workflow_jobs(wf: Any, current: str, start: int) -> list[dict]:
    """A Workflow (or Firework) of an FWAction → ferry jobs; roots depend on `current`."""
    d = wf.to_dict() if hasattr(wf, "to_dict") else wf
    fws = d["fws"] if "fws" in d else [d]
    names: dict[Any, str] = {}
    for k, fw in enumerate(fws):
        tag = uuid.uuid5(NAMESPACE, f"{current}/fireworks/{start + k}").hex[:10]
        names[fw.get("fw_id")] = f"{slug(fw.get('name'))}-{tag}"
    parents: dict[Any, list[str]] = {fw.get("fw_id"): [] for fw in fws}
    for parent, children in (d.get("links") or {}).items():
        for child in children if isinstance(children, list) else [children]:
            parents[int(child)].append(names[int(parent)])
    return [firework_job(fw, names[fw.get("fw_id")], parents[fw.get("fw_id")] or [current]) for fw in fws]


def fwaction_to_action(action: Any, current: str) -> dict:
    """The ferry action for FWAction `action` of the job named `current`."""
    out: dict = {}
    if getattr(action, "append_wfs", None):
        raise ActionError("FWAction append_wfs has no ferry equivalent: use additions or detours")
    if action.stored_data:
        out["storedData"] = {str(k): to_json(v) for k, v in action.stored_data.items()}
    propagate = {"propagate": True} if getattr(action, "propagate", False) else {}
    if action.update_spec:
        out["updateChildren"] = {"inputs": escape_literals(to_json(action.update_spec)), **propagate}
    if action.mod_spec:
        out["modifyChildren"] = {**mod_spec_to_modify(action.mod_spec), **propagate}
    if action.defuse_children:
        out["stopChildren"] = True
    if action.defuse_workflow:
        out["stopFlow"] = True
    if action.exit:
        out["exit"] = True
    made = 0
    detour: list[dict] = []
    for wf in action.detours or []:
        jobs = _workflow_jobs(wf, current, made)
        made += len(jobs)
        detour.extend(jobs)
    added: list[dict] = []
    for wf in action.additions or []:
        jobs = _workflow_jobs(wf, current, made)
        made += len(jobs)
        added.extend(jobs)
    if detour:
        out["detour"] = {"jobs": detour}
    if added:
        out["addJobs"] = added
    return out
