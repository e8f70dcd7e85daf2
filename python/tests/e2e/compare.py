"""Run one flow twice, through jobflow's own run_locally and through ferry, and compare the
outputs job by job. Used by test/jobflow*.test.ts, which also drives ferry afterwards (rerun).

    python compare.py demo|elastic --project DIR --out RESULT.json [--ferry "node .../main.ts"]

The ferry run uses the project in DIR (its ferry.yaml names the worker's python): submit_flow,
then `ferry launch --flow`. Each job is keyed by "<jobflow name>#<index>" (every job of these
flows has a unique name, also the generated ones, whose uuids differ between the two runs).
RESULT.json: {"flowId", "keys", "jobflow": {key: output}, "ferry": {key: output},
"differ": [keys], "seconds": {"jobflow", "ferry"}}.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import sys
import tempfile
import time

from jobflow import JobStore, run_locally
from maggma.stores import MemoryStore
from monty.json import jsanitize

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.dirname(TESTS), TESTS]  # this checkout's ferry_jobflow, and demo_flows

from ferry_jobflow import Ferry, FerryStore, submit_flow  # noqa: E402


def elastic_flow():
    from atomate2.ase.jobs import EmtRelaxMaker
    from atomate2.forcefields.flows.elastic import ElasticMaker
    from pymatgen.core import Lattice, Structure

    copper = Structure(Lattice.cubic(3.6), ["Cu"] * 4, [[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    maker = ElasticMaker(bulk_relax_maker=EmtRelaxMaker(relax_cell=True), elastic_relax_maker=EmtRelaxMaker(relax_cell=False))
    return maker.make(copper)


def demo_flow():
    from demo_flows import demo_flow as make

    return make()


def _finite(value):
    """NaN and infinities as text, so the result is strict JSON for the test to read."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def comparable(name: str, output):
    """What is compared: the whole output, except for what differs between any two runs."""
    value = _finite(json.loads(json.dumps(jsanitize(output, strict=True, enum_values=True), default=str)))
    if name == "fit_elastic_tensor" and isinstance(value, dict):
        # uuids and run folders of the deformation jobs differ from run to run
        return {k: value[k] for k in ("elastic_tensor", "derived_properties", "eq_stress", "order")}
    return _without_run_specifics(value)


# what differs between any two runs of the same job: timings, folders, generated uuids
RUN_SPECIFIC = {"elapsed_time", "dir_name", "job_dir", "job_dirs", "uuid", "uuids", "last_updated", "completed_at"}


def _without_run_specifics(value):
    if isinstance(value, dict):
        return {k: _without_run_specifics(v) for k, v in value.items() if k not in RUN_SPECIFIC}
    if isinstance(value, list):
        return [_without_run_specifics(v) for v in value]
    return value


def through_jobflow(flow) -> dict:
    store = JobStore(MemoryStore(), additional_stores={"data": MemoryStore()})
    with tempfile.TemporaryDirectory() as root:
        cwd = os.getcwd()
        try:
            run_locally(flow, store=store, root_dir=root, create_folders=True, log=False)
        finally:
            os.chdir(cwd)
    out = {}
    for doc in store.query({}, properties=["uuid", "index", "name"]):
        out[f"{doc['name']}#{doc['index']}"] = comparable(
            doc["name"], store.get_output(doc["uuid"], which=doc["index"], load=True)
        )
    return out


def through_ferry(flow, project: str, ferry: str | None) -> tuple[int, dict]:
    submitted = submit_flow(flow, project=project, ferry=ferry)
    cli = Ferry(project, ferry)
    launched = cli.run("launch", "--flow", str(submitted.flow_id), "--quiet", check=False)
    if launched.returncode not in (0, 6):
        raise RuntimeError(launched.stderr)
    store = FerryStore(project, ferry)
    out = {}
    for j in cli.jobs("--flow", str(submitted.flow_id)):
        info = j["metadata"]["jobflow"]
        if store.document(j) is not None:
            out[f"{info['name']}#{info['index']}"] = comparable(
                info["name"], store.get_output(info["uuid"], which=info["index"], load=True)
            )
    return submitted.flow_id, out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("flow", choices=["demo", "elastic"])
    p.add_argument("--project", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--ferry")
    a = p.parse_args()
    flow = demo_flow() if a.flow == "demo" else elastic_flow()
    twin = copy.deepcopy(flow)
    t0 = time.monotonic()
    expected = through_jobflow(flow)
    t1 = time.monotonic()
    flow_id, got = through_ferry(twin, a.project, a.ferry)
    t2 = time.monotonic()
    keys = sorted(set(expected) | set(got))
    text = lambda v: json.dumps(v, sort_keys=True)  # noqa: E731 (NaN == NaN as text)
    differ = [k for k in keys if text(expected.get(k)) != text(got.get(k)) or (k in expected) != (k in got)]
    result = {
        "flowId": flow_id,
        "keys": keys,
        "jobflow": expected,
        "ferry": got,
        "differ": differ,
        "seconds": {"jobflow": round(t1 - t0, 2), "ferry": round(t2 - t1, 2)},
    }
    with open(a.out, "w") as f:
        f.write(json.dumps(result, sort_keys=True, default=str, allow_nan=False))


if __name__ == "__main__":
    main()
