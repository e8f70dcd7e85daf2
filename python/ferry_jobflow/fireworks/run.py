"""The compute side for Fireworks: run one Firework's Firetasks through FireWorks itself.

What FireWorks' Rocket does (fireworks/core/rocket.py), without a LaunchPad: each Firetask's
`run_task(spec)` in order, where an `FWAction.json`/`.yaml` in the launch directory replaces the
returned action (that is how scripts return actions), `update_spec` and `mod_spec` change the spec
later tasks see, stored_data/update_spec/mod_spec accumulate, and an action that skips the
remaining tasks (exit, additions, detours, defusing) stops the loop. The final action is the last
task's, with the accumulated parts; it becomes a ferry action (action.py).

Needs `fireworks` installed in the worker's python (`pip install ./python fireworks`).
"""

from __future__ import annotations

import os
from typing import Any

from .action import fwaction_to_action


def _file_action() -> Any:
    from fireworks.core.firework import FWAction

    for name in ("FWAction.json", "FWAction.yaml"):
        if os.path.exists(name):
            return FWAction.from_file(name)
    return None


def run_firework(_tasks: list, **spec: Any) -> Any:
    """Run the Firetasks `_tasks` on `spec` (the job's inputs); return the ferry action."""
    from fireworks.core.firework import FWAction
    from fireworks.utilities.dict_mods import apply_mod
    from fireworks.utilities.fw_serializers import load_object

    failed = spec.pop("_failedParents", None)
    if failed is not None:
        # ferry's errors of the failed parents, where FireWorks gives their whole documents
        spec["_fizzled_parents"] = failed
    my_spec = {**spec, "_tasks": _tasks}
    stored: dict = {}
    update: dict = {}
    mods: list = []
    last = FWAction()
    for task_dict in _tasks:
        task = load_object(task_dict)
        action = task.run_task(my_spec)
        action = _file_action() or action
        if isinstance(action, dict):
            action = FWAction.from_dict(action)
        action = action or FWAction()
        stored.update(action.stored_data)
        update.update(action.update_spec)
        mods.extend(action.mod_spec)
        my_spec.update(action.update_spec)
        for mod in action.mod_spec:
            apply_mod(mod, my_spec)
        last = action
        if action.skip_remaining_tasks:
            break
    final = FWAction(
        stored_data=stored,
        update_spec=update,
        mod_spec=mods,
        additions=last.additions,
        detours=last.detours,
        defuse_children=last.defuse_children,
        defuse_workflow=last.defuse_workflow,
        exit=last.exit,
        propagate=last.propagate,
    )
    current = os.environ.get("FERRY_JOB_NAME") or "fw"
    action = fwaction_to_action(final, current)
    return {"$action": action} if action else None
