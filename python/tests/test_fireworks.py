"""FWAction → ferry action, and running Firetasks through FireWorks as the node does."""

import json
import os
import shlex

import pytest

fireworks = pytest.importorskip("fireworks", reason="pip install fireworks (scripts/ci/python.sh does)")

from fireworks import Firework, FWAction, PyTask, ScriptTask, Workflow  # noqa: E402

from ferry_jobflow.fireworks.action import ActionError, fwaction_to_action, mod_spec_to_modify  # noqa: E402
from ferry_jobflow.fireworks.run import run_firework  # noqa: E402


def test_spec_updates_and_modifications():
    a = FWAction(
        stored_data={"x": 1},
        update_spec={"energy": -1.5, "note": "a ${{ b }}"},
        mod_spec=[{"_push": {"seen->list": 1}}, {"_push": {"seen->list": 2}}, {"_set": {"a->b": 3}}, {"_inc": {"n": 1}}],
        propagate=True,
    )
    assert fwaction_to_action(a, "me") == {
        "storedData": {"x": 1},
        "updateChildren": {"inputs": {"energy": -1.5, "note": {"$literal": "a ${{ b }}"}}, "propagate": True},
        "modifyChildren": {"set": {"a.b": 3}, "pushAll": {"seen.list": [1, 2]}, "inc": {"n": 1}, "propagate": True},
    }


def test_defuse_and_exit():
    assert fwaction_to_action(FWAction(defuse_children=True), "me") == {"stopChildren": True}
    assert fwaction_to_action(FWAction(defuse_workflow=True, exit=True), "me") == {"stopFlow": True, "exit": True}


def test_mod_spec_ferry_cannot_express_is_an_error():
    with pytest.raises(ActionError, match="'_add_to_set' has no ferry equivalent"):
        mod_spec_to_modify([{"_add_to_set": {"a": 1}}])
    with pytest.raises(ActionError, match="after a later-ordered operator"):
        mod_spec_to_modify([{"_push": {"a": 1}}, {"_set": {"a": []}}])
    with pytest.raises(ActionError, match="cannot hold '.'"):
        mod_spec_to_modify([{"_set": {"a.b": 1}}])


def test_additions_and_detours_become_jobs_with_stable_names():
    extra = Firework([ScriptTask.from_str("echo hi")], spec={"_category": "gpu", "_dupefinder": {}, "k": 1}, name="extra one")
    wf = Workflow([extra, Firework([ScriptTask.from_str("echo 2")], name="after", parents=[extra])])
    action = fwaction_to_action(FWAction(additions=[wf]), "parent-1")
    again = fwaction_to_action(FWAction(additions=[wf]), "parent-1")
    jobs = action["addJobs"]
    assert [j["name"] for j in jobs] == [j["name"] for j in again["addJobs"]]
    first, second = jobs
    assert first["name"].startswith("extra_one-") and first["parents"] == ["parent-1"]
    assert second["parents"] == [first["name"]]
    assert first["category"] == "gpu" and first["inputs"]["k"] == 1 and "_category" not in first["inputs"]
    assert first["metadata"]["fireworks"]["unsupported"] == ["_dupefinder"]
    assert first["py"] == "ferry_jobflow.fireworks.run:run_firework" and len(first["inputs"]["_tasks"]) == 1
    detour = fwaction_to_action(FWAction(detours=[Firework([ScriptTask.from_str("true")], name="d")]), "p")
    assert [j["label"] for j in detour["detour"]["jobs"]] == ["d"]


def test_run_firework_runs_tasks_in_order_on_the_spec_like_the_rocket(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FERRY_JOB_NAME", "job-1")
    tasks = [
        PyTask(func="fw_tasks.remember", args=[2], outputs=["twice"]).to_dict(),
        PyTask(func="fw_tasks.add_from_spec", inputs=["twice", "base"], outputs=["total"]).to_dict(),
        ScriptTask.from_str("echo done > done.txt").to_dict(),
    ]
    result = run_firework(tasks, base=10)
    assert (tmp_path / "done.txt").read_text() == "done\n"
    # the second task saw the first one's update_spec; the updates accumulate for the children
    assert result["$action"]["updateChildren"] == {"inputs": {"twice": 4, "total": 14}}
    assert result["$action"]["storedData"] == {"returncode": 0, "all_returncodes": [0]}


def test_an_fwaction_file_replaces_the_returned_action(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    # what a script writes to return an action (FireWorks reads the whole FWAction dict)
    written = json.dumps(FWAction(update_spec={"from_file": True}).to_dict())
    script = f"echo {shlex.quote(written)} > FWAction.json"
    result = run_firework([ScriptTask.from_str(script).to_dict()])
    assert result["$action"]["updateChildren"] == {"inputs": {"from_file": True}}


def test_a_failing_firetask_raises(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RuntimeError, match="ScriptTask fizzled"):
        run_firework([ScriptTask.from_str("exit 3").to_dict()])
    assert os.getcwd() == str(tmp_path)
