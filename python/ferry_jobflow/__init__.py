"""Run jobflow and atomate2 flows on ferry: no MongoDB, no daemon to keep alive.

    from ferry_jobflow import submit_flow, run_locally, get_output

`submit_flow` mirrors `jobflow_remote.submit_flow`, `run_locally` mirrors jobflow's, and
`get_output` / `FerryStore.get_output` read outputs like `JobStore.get_output`. The compute side
is `ferry_jobflow.run:run_job`, a ferry `py` task; FireWorks FireTasks run through
`ferry_jobflow.fireworks.run:run_firework`.
"""

from .cli import Ferry, FerryError
from .local import run_locally
from .outputs import FerryStore, get_output
from .submit import SubmittedFlow, flow_to_ferry, submit_flow

__all__ = [
    "Ferry",
    "FerryError",
    "FerryStore",
    "SubmittedFlow",
    "flow_to_ferry",
    "get_output",
    "run_locally",
    "submit_flow",
]
__version__ = "0.1.0"
