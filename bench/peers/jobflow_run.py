"""jobflow 0.4.0 `run_locally` over no-op jobs that each spawn `sh -c true`.

    python jobflow_run.py independent|chain N   → prints {"seconds": …}

jobflow keeps the flow in memory and has no separate add step, so the time is that of
`run_locally` alone (building the flow and importing jobflow are left out, in its favour).
A chain passes each job's output to the next, which is how jobflow orders jobs.
"""

import json
import subprocess
import sys
import time
import warnings

warnings.simplefilter("ignore")
from jobflow import Flow, job, run_locally  # noqa: E402


@job
def noop(previous=None):
    subprocess.run(["sh", "-c", "true"], check=True)
    return 1


kind, n = sys.argv[1], int(sys.argv[2])
jobs = []
for _ in range(n):
    jobs.append(noop(jobs[-1].output if kind == "chain" and jobs else None))
flow = Flow(jobs)
t0 = time.perf_counter()
responses = run_locally(flow, log=False, ensure_success=True)
seconds = time.perf_counter() - t0
if len(responses) != n:
    sys.exit(f"jobflow ran {len(responses)} of {n} jobs")
print(json.dumps({"seconds": seconds}))
