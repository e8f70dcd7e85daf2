"""How long the bridge takes to turn a big jobflow Flow into a ferry flow, and `ferry add` of it.

    $FERRY_TEST_PYTHON bench/jobflow_convert.py [N_JOBS]      (default 5000, chains of 10)

Baselines measured in the same run: jobflow's own serialisation of the same Flow
(`Flow.as_dict()` + json.dumps), and `ferry --version` (the CLI's start-up).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "python" / "tests"))

from jobflow import Flow  # noqa: E402

from demo_flows import square  # noqa: E402
from ferry_jobflow.convert import Context  # noqa: E402
from ferry_jobflow.submit import flow_to_ferry  # noqa: E402


def build(n: int) -> Flow:
    jobs = []
    for c in range(n // 10):
        prev = square(float(c))
        jobs.append(prev)
        for _ in range(9):
            prev = square(prev.output)
            jobs.append(prev)
    return Flow(jobs, name=f"bench-{n}")


def timed(fn):
    t = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    flow = build(n)
    _, base = timed(lambda: json.dumps(flow.as_dict()))
    converted, took = timed(lambda: flow_to_ferry(flow, Context()))
    text = json.dumps(converted)
    ferry = os.environ.get("FERRY_BIN", f"{sys.executable} -c pass").split()
    with tempfile.TemporaryDirectory(prefix="bench-jobflow-") as tmp:
        Path(tmp, "ferry.yaml").write_text('{"workers": {"local": {"mode": "pull", "workDir": "runs"}}}\n')
        Path(tmp, "flow.json").write_text(text)
        _, version = timed(lambda: subprocess.run([*ferry, "--version"], capture_output=True, check=True))
        _, added = timed(lambda: subprocess.run([*ferry, "--project", tmp, "add", "flow.json"], cwd=tmp, capture_output=True, check=True))
    rows = [
        ("convert (flow_to_ferry)", f"{took:.2f} s", f"{1e3 * took / n:.3f} ms/job", f"jobflow's Flow.as_dict + json.dumps: {base:.2f} s"),
        ("ferry flow JSON", f"{len(text) / 1e6:.1f} MB", "", ""),
        ("ferry add", f"{added:.2f} s", f"{1e3 * added / n:.3f} ms/job", f"ferry --version: {version:.2f} s"),
    ]
    print(f"{'figure':<26}{'value':>10}{'per job':>16}   baseline (same run), {n} jobs in chains of 10")
    for name, value, per, baseline in rows:
        print(f"{name:<26}{value:>10}{per:>16}   {baseline}")


if __name__ == "__main__":
    main()
