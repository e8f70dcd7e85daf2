import pytest
from jobflow import Flow, JobOrder, job
from jobflow.core.reference import OnMissing

from demo_flows import demo_flow, square
from ferry_jobflow.convert import RUN_JOB, Context, find_references
from ferry_jobflow.manager import Defaults
from ferry_jobflow.submit import flow_to_ferry


def by_label(ferry_flow: dict) -> dict:
    return {j["label"]: j for j in ferry_flow["jobs"]}


def test_every_job_becomes_one_py_job_named_by_uuid_with_its_jobflow_name_as_label():
    flow = demo_flow()
    out = flow_to_ferry(flow, Context(store_dir="/shared/stores"))
    jobs = by_label(out)
    assert len(out["jobs"]) == 13 and out["name"] == "demo" and out["metadata"]["jobflow"]["uuid"] == flow.uuid
    numbers = jobs["numbers"]
    assert numbers["name"] == numbers["metadata"]["jobflow"]["uuid"] and numbers["py"] == RUN_JOB
    assert numbers["inputs"]["store_dir"] == "/shared/stores"
    # nesting is kept in metadata: numbers sits in "inner" inside "demo"
    assert numbers["metadata"]["jobflow"]["flows"] == ["inner", "demo"]


def test_parents_are_the_referenced_jobs_and_each_reference_is_pushed_down_or_resolved_on_the_node():
    jobs = by_label(flow_to_ferry(demo_flow(), Context()))
    numbers, summary, combine = jobs["numbers"]["name"], jobs["summary"]["name"], jobs["combine"]
    assert sorted(combine["parents"]) == sorted([numbers, summary])
    kw = combine["inputs"]["job"]["function_kwargs"]
    # a float field and a list item of summarize's output_schema: ferry picks the value itself
    assert kw["a"] == {"$ref": summary, "path": "output.value"}
    assert kw["item"] == {"$ref": summary, "path": "output.items[2]"}
    # no schema, a property, a reference inside an MSONable: jobflow resolves them on the node
    assert kw["b"]["@class"] == "OutputReference" and kw["double"]["@class"] == "OutputReference"
    assert kw["point"]["@class"] == "Point" and kw["point"]["x"]["@class"] == "OutputReference"
    assert combine["inputs"]["docs"] == {numbers: {"$ref": numbers}, summary: {"$ref": summary}}


def test_user_values_that_look_like_references_are_escaped():
    kw = by_label(flow_to_ferry(demo_flow(), Context()))["echo"]["inputs"]["job"]["function_kwargs"]
    assert kw["literal"] == {"$literal": "a ${{ literal }} string"}
    assert kw["literal_ref"] == {"$literal": {"$ref": "not-a-job"}}


def test_linear_order_gives_parents_without_references():
    a, b = square(1.0), square(2.0)
    out = flow_to_ferry(Flow([a, b], order=JobOrder.LINEAR), Context())
    assert out["jobs"][1]["parents"] == [a.uuid] and out["jobs"][1]["inputs"]["docs"] == {}


def test_on_missing_none_maps_to_null_references_and_is_never_pushed_down():
    a = square(1.0)
    b = square(a.output)
    b.config.on_missing_references = OnMissing.NONE
    jobs = flow_to_ferry(Flow([a, b]), Context())["jobs"]
    assert jobs[1]["onMissingReference"] == "null" and jobs[1]["inputs"]["docs"] == {a.uuid: {"$ref": a.uuid}}
    assert "onMissingReference" not in jobs[0]


def test_manager_config_sets_worker_resources_and_exec_config_per_job():
    a, b = square(1.0), square(2.0)
    b.config.manager_config = {"worker": "gpu", "resources": {"nodes": 2, "time": "1:00:00"}, "exec_config": {"post_run": "echo done"}}
    jobs = flow_to_ferry(Flow([a, b]), Context(defaults=Defaults(worker="cpu", priority=3)))["jobs"]
    assert jobs[0]["worker"] == "cpu" and jobs[0]["priority"] == 3 and "resources" not in jobs[0]
    assert jobs[1]["worker"] == "gpu" and jobs[1]["resources"] == {"nodes": 2, "walltime": "1:00:00"}
    assert jobs[1]["tasks"] == [{"py": RUN_JOB}, {"sh": "echo done", "name": "post_run"}]
    # generated jobs inherit the resources (jobflow-remote's _append_flow does)
    assert jobs[1]["inputs"]["inherit"]["resources"] == {"nodes": 2, "walltime": "1:00:00"}


def test_references_to_jobs_of_submitted_flows_name_their_flow():
    a = square(1.0)
    b = square(a.output)
    out = flow_to_ferry(Flow([b]), Context(external={a.uuid: 7}))
    assert out["jobs"][0]["inputs"]["docs"] == {a.uuid: {"$ref": a.uuid, "flow": 7}}
    assert "parents" not in out["jobs"][0]


def test_a_job_whose_function_a_node_cannot_import_is_refused():
    def f(x):
        return x

    with pytest.raises(ValueError, match="defined inside another function"):
        flow_to_ferry(Flow([job(f)(1)]), Context())
    f.__qualname__ = "f"
    f.__module__ = "__main__"
    with pytest.raises(ValueError, match="defined in __main__"):
        flow_to_ferry(Flow([job(f)(1)]), Context())


def test_find_references_sees_nested_references():
    a = square(1.0)
    d = {"x": [{"y": a.output["k"].as_dict()}]}
    assert [r["uuid"] for r in find_references(d)] == [a.uuid]
