"""The compute side (`run_job`) with inputs resolved as ferry resolves them."""

import json
import os

import pytest
from jobflow import Flow
from jobflow.core.reference import OnMissing

from demo_flows import big, boom, check, halt, is_none, spawn, square, square_all, stopper, total_of
from ferry_jobflow.convert import Context
from ferry_jobflow.names import derived_uuid, job_name
from ferry_jobflow.run import run_job
from ferry_jobflow.submit import flow_to_ferry
from resolve_like_ferry import resolve, through_json


@pytest.fixture(autouse=True)
def in_tmp(tmp_path):
    old = os.getcwd()
    os.chdir(tmp_path)
    yield tmp_path
    os.chdir(old)


def run(entry: dict, outputs: dict) -> tuple:
    """Run one converted job as a ferry node would; record its output under its name."""
    inputs = through_json(resolve(entry["inputs"], outputs, entry.get("onMissingReference") == "null"))
    result = through_json(run_job(**inputs))
    action = result.pop("$action", None) if isinstance(result, dict) and "$action" in result else None
    output = result["output"] if action is not None else result
    outputs[entry["name"]] = output
    return output, action


def convert(*jobs, store_dir=None) -> list:
    return flow_to_ferry(Flow(list(jobs)), Context(store_dir=store_dir))["jobs"]


def test_the_output_is_jobflows_job_store_document():
    a = square(3.0)
    [entry] = convert(a)
    output, action = run(entry, {})
    assert action is None
    assert output["uuid"] == a.uuid and output["index"] == 1 and output["output"] == 9.0
    assert output["name"] == "square" and set(output) >= {"completed_at", "metadata", "hosts"}


def test_a_replace_becomes_a_replace_action_whose_output_job_keeps_the_uuid():
    s = square_all([1.0, 2.0])
    [entry] = convert(s)
    _, action = run(entry, {})
    jobs = action["replace"]["jobs"]
    assert action["replace"]["output"] == {"$ref": f"{s.uuid}-2"}
    labels = [j["label"] for j in jobs]
    assert sorted(labels) == ["add_squares", "square_0", "square_1", "store_inputs"]
    # generated uuids come from (this uuid, index, position): the same on every run
    names = {j["name"] for j in jobs}
    assert {derived_uuid(s.uuid, 1, k) for k in range(1, 4)} <= names
    _, again = run(entry, {})
    assert json.dumps(again, sort_keys=True) == json.dumps(action, sort_keys=True)


def test_the_replacement_output_job_stores_resolved_values_not_references():
    s = square_all([1.0, 2.0])
    [entry] = convert(s)
    outputs: dict = {}
    _, action = run(entry, outputs)
    for generated in action["replace"]["jobs"]:  # listed in dependency order
        run(generated, outputs)
    assert outputs[f"{s.uuid}-2"]["output"] == 5.0 and outputs[f"{s.uuid}-2"]["index"] == 2


def test_detour_addition_stop_children_and_stored_data():
    c, sp, st = check(2.0), spawn(3.0), stopper(1.0)
    entries = convert(c, sp, st)
    _, detour = run(entries[0], {})
    assert [j["label"] for j in detour["detour"]["jobs"]] == ["detour_note"]
    _, addition = run(entries[1], {})
    assert addition["storedData"] == {"spawned": 1, "2": "an int key"}
    [added] = addition["addJobs"]
    assert added["label"] == "addition_square" and added["parents"] == [sp.uuid]
    _, stop = run(entries[2], {})
    assert stop == {"stopChildren": True}


def test_stop_jobflow_maps_to_stop_flow():
    [entry] = convert(halt())
    assert run(entry, {})[1] == {"stopFlow": True}


def test_additional_stores_are_files_that_children_read_back(in_tmp):
    b = big(3)
    t = total_of(b.output["blob"])
    entries = convert(b, t, store_dir=str(in_tmp / "stores"))
    outputs: dict = {}
    out, _ = run(entries[0], outputs)
    placeholder = out["output"]["blob"]
    assert set(placeholder) >= {"blob_uuid", "store"} and placeholder["store"] == "data"
    files = list((in_tmp / "stores" / "data").rglob("*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text())["data"] == [0.0, 1.0, 2.0]
    assert run(entries[1], outputs)[0]["output"] == 3.0


def test_a_missing_parent_is_none_with_on_missing_none():
    a = square(2.0)
    c = is_none(a.output)
    c.config.on_missing_references = OnMissing.NONE
    entries = convert(a, c)
    # a FAILED: ferry resolves its reference to null
    assert run(entries[1], {job_name(a.uuid): None})[0]["output"] is True


def test_an_exception_in_the_job_propagates():
    [entry] = convert(boom())
    with pytest.raises(ZeroDivisionError):
        run(entry, {})
