"""Functions FireWorks PyTasks call in the tests."""

from fireworks import Firework, FWAction, PyTask, ScriptTask


def remember(x):
    return 2 * x


def add_from_spec(a, b):
    return a + b


def grow(value):
    """Returns an FWAction with update_spec and an addition (a Firework that writes a file)."""
    extra = Firework(
        [ScriptTask.from_str(f"echo added {value} > added.txt"), PyTask(func="fw_tasks.remember", args=[value])],
        name="added by grow",
    )
    return FWAction(update_spec={"grown": value + 1}, additions=[extra], stored_data={"grew": True})
