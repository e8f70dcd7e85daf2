"""run_locally through the real ferry CLI (FERRY_BIN; `npm test` sets it to this checkout's)."""

import os
import shutil

import pytest
from jobflow import Flow, Response

from demo_flows import square, square_all, stopper, echo
from ferry_jobflow import FerryStore, run_locally

pytestmark = pytest.mark.skipif(
    not os.environ.get("FERRY_BIN") and not shutil.which("ferry"),
    reason="needs ferry: set FERRY_BIN (npm test does) or put ferry on PATH",
)


def test_run_locally_returns_jobflows_shape_and_follows_replacements(tmp_path):
    a = square(3.0)
    s = square_all([a.output, 2.0])
    stopped = stopper(a.output)
    never = echo(x=stopped.output)
    flow = Flow([a, s, stopped, never])
    responses = run_locally(flow, root_dir=tmp_path / "project")
    assert isinstance(responses[a.uuid][1], Response)
    assert responses[a.uuid][1].output == 9.0
    # the replaced job's own output (None) at index 1, its replacement's at index 2
    assert responses[s.uuid][1].output is None and responses[s.uuid][2].output == 85.0
    assert never.uuid not in responses
    store = FerryStore(tmp_path / "project")
    assert store.get_output(s.uuid) == 85.0 and store.get_output(s.uuid, which="first") is None
    assert store.get_output(s.uuid, which="all") == [None, 85.0]
    with pytest.raises(ValueError, match="has no outputs"):
        store.get_output(never.uuid)


def test_ensure_success_raises_when_a_job_failed():
    from demo_flows import boom

    with pytest.raises(RuntimeError, match="did not finish running successfully"):
        run_locally(Flow([boom()]), ensure_success=True)


def test_references_to_a_submitted_flow_and_exec_config_env(tmp_path):
    from demo_flows import read_env

    from ferry_jobflow import Ferry, submit_flow
    from ferry_jobflow.local import _project

    _project(tmp_path, 1)
    first = square(4.0)
    submit_flow(Flow([first]), project=tmp_path)
    later = square(first.output)
    env = read_env("FROM_EXEC_CONFIG")
    second = submit_flow(
        Flow([later, env]),
        project=tmp_path,
        allow_external_references=True,
        exec_config={"export": {"FROM_EXEC_CONFIG": "yes"}},
    )
    # launching only the second flow runs nothing: its job waits for the first flow's job
    cli = Ferry(tmp_path)
    cli.run("launch", "--flow", str(second.flow_id), "--quiet", "--timeout", "5")
    store = FerryStore(tmp_path)
    with pytest.raises(ValueError, match="has no outputs"):
        store.get_output(later.uuid)
    cli.run("launch", "--quiet")
    assert store.get_output(later.uuid) == 256.0
    assert store.get_output(env.uuid) == "yes"


def test_submitting_the_same_flow_twice_is_refused(tmp_path):
    from ferry_jobflow import submit_flow
    from ferry_jobflow.local import _project

    _project(tmp_path, 1)
    flow = Flow([square(2.0)])
    submit_flow(flow, project=tmp_path)
    with pytest.raises(ValueError, match="already in this ferry project"):
        submit_flow(flow, project=tmp_path)
