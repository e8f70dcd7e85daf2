import datetime

import pytest

from ferry_jobflow.manager import Defaults, exec_config_fields, run_settings
from ferry_jobflow.resources import ResourcesError, to_neutral


def test_qtoolkit_template_keys_become_neutral_keys_and_raw_directives():
    r = {"partition": "debug", "ntasks": 512, "nodes": 4, "time": "24:00:00", "gres": "gpu:2", "mem_per_cpu": "2G"}
    assert to_neutral(r) == {
        "queue": "debug",
        "processes": 512,
        "nodes": 4,
        "walltime": "24:00:00",
        "custom": {"slurm": ["--gres=gpu:2", "--mem-per-cpu=2G"]},
    }


def test_pbs_template_keys_and_ferry_neutral_keys():
    assert to_neutral({"queue": "q", "walltime": "1:00:00", "select": "2:ncpus=8", "memory": "4G"}) == {
        "queue": "q",
        "walltime": "1:00:00",
        "memory": "4G",
        "custom": {"pbs": ["-l select=2:ncpus=8"]},
    }


def test_mail_keys_map_to_neutral_mail():
    assert to_neutral({"mail_user": "me@x", "mail_type": "END,FAIL"}) == {"mail": {"user": "me@x", "events": ["end", "fail"]}}


def test_unknown_and_refused_keys_are_errors_that_name_the_key():
    with pytest.raises(ResourcesError, match=r"resources.ntask is not a resource ferry knows \(did you mean 'ntasks'\?\)"):
        to_neutral({"ntask": 4})
    with pytest.raises(ResourcesError, match="resources.qout_path: ferry writes"):
        to_neutral({"qout_path": "x"})


def test_qresources_as_a_dict():
    q = {
        "@module": "qtoolkit.core.data_objects",
        "@class": "QResources",
        "queue_name": "batch",
        "nodes": 2,
        "processes_per_node": 16,
        "threads_per_process": 2,
        "memory_per_thread": 1000,
        "time_limit": 3600,
        "gpus_per_job": 4,
        "email_address": "me@x",
        "scheduler_kwargs": {"qos": "high"},
        "process_placement": "evenly_distributed",
    }
    assert to_neutral(q) == {
        "queue": "batch",
        "nodes": 2,
        "processesPerNode": 16,
        "cpusPerProcess": 2,
        "walltime": 3600,
        "memory": 32000,
        "gpus": 2,
        "mail": {"user": "me@x", "events": ["begin", "end", "fail"]},
        "qos": "high",
    }


def test_qresources_that_ferry_cannot_express_are_refused():
    with pytest.raises(ResourcesError, match="gpus_per_job=3 does not divide over 2 nodes"):
        to_neutral({"@class": "QResources", "nodes": 2, "gpus_per_job": 3})
    with pytest.raises(ResourcesError, match="array jobs"):
        to_neutral({"@class": "QResources", "njobs": 4})


def test_timedelta_walltimes_are_seconds():
    assert to_neutral({"time": datetime.timedelta(hours=2)}) == {"walltime": 7200}


def test_exec_config_becomes_pre_run_env_and_post_run():
    ec = {"modules": ["vasp/6", "intel mpi"], "export": {"OMP_NUM_THREADS": 1}, "pre_run": "source env.sh", "post_run": "rm -f WAVECAR"}
    assert exec_config_fields(ec) == {
        "preRun": "source env.sh\nmodule load vasp/6\nmodule load 'intel mpi'",
        "env": {"OMP_NUM_THREADS": "1"},
        "postRun": "rm -f WAVECAR",
    }
    with pytest.raises(ValueError, match="exec_config 'gpu' is a name"):
        exec_config_fields("gpu")
    assert exec_config_fields("gpu", {"gpu": {"export": {"A": "b"}}}) == {"env": {"A": "b"}}


def test_manager_config_wins_as_jobflow_remote_decides():
    d = Defaults(worker="w", resources={"nodes": 1}, priority=5)
    assert run_settings({}, d) == {"worker": "w", "priority": 5, "resources": {"nodes": 1}}
    mc = {"worker": "big", "priority": 0, "resources": {}, "exec_config": {"export": {"X": "1"}}}
    # an empty resources dict is set (wins); priority 0 is not (falls back)
    assert run_settings(mc, d) == {"worker": "big", "priority": 5, "env": {"X": "1"}}
