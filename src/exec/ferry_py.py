"""ferry's runner for `py` tasks, copied into every job bundle that has one (_ferry/ferry_py.py).

The job wrapper (run.sh) runs it as

    "$FERRY_PYTHON" "$F/ferry_py.py" task <i> --module pkg.mod --function name
    "$FERRY_PYTHON" "$F/ferry_py.py" task <i> --file py/<i>/tasks.py --function name

It needs the Python standard library only (3.6 or newer; older ones, Python 2 included, get a
message saying so) and never touches a database. It
reads the resolved inputs from $FERRY_INPUTS, calls the function with them as keyword
arguments, and writes the task's files exactly as ferry's js runtime does (exec/js-task.ts):

    $FERRY_OUTPUTS        the return value as JSON (nothing when the function returns None)
    $FERRY_ACTION         the action, when it returns {"$action": {...}, "output": <value>}
    $FERRY_STOP           created after an action that changes the graph or stops the flow
    tasks/<i>/error.json  {name, message, stack} of an exception; the runner then exits 1

Python's json module writes 1.0 as 1.0, and ferry keeps that spelling (model/json.ts), so a
float stays a float from one py task to the next.
"""

import importlib
import json
import os
import sys
import tempfile
import traceback

ACTION_KEY = "$action"
# FireWorks' rule, shared with the js runtime: these actions skip the job's remaining tasks
GRAPH_ACTIONS = ("exit", "addJobs", "addFlow", "detour", "replace", "stopChildren", "stopFlow")
HERE = os.path.dirname(os.path.abspath(__file__))


class TaskError(Exception):
    """A problem the runner itself reports (bad return value, missing function)."""


def write_atomic(path, text):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix="." + os.path.basename(path) + ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def to_json(value, what):
    try:
        return json.dumps(value, allow_nan=False, ensure_ascii=False) + "\n"
    except (TypeError, ValueError) as e:
        problem = "%s is not JSON: %s" % (what, e)
    raise TaskError(problem)


def load_callable(module_name, file_name, function):
    if file_name is not None:
        from importlib import util  # here, not at the top: Python 2 has none (see too_old)

        path = os.path.join(HERE, file_name)
        name = os.path.splitext(os.path.basename(path))[0]
        spec = util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise TaskError("cannot load %s" % path)
        module = util.module_from_spec(spec)
        # registered before it runs, as `import` does: dataclasses and pickle look it up there
        sys.modules[name] = module
        spec.loader.exec_module(module)
        where = path
    else:
        module = importlib.import_module(module_name)
        where = "module " + module_name
    target = module
    for part in function.split("."):
        if not hasattr(target, part):
            raise TaskError("%s has no attribute %r (looking up %r)" % (where, part, function))
        target = getattr(target, part)
    if not callable(target):
        raise TaskError("%s in %s is not callable" % (function, where))
    return target


def split_return(value):
    if isinstance(value, dict) and ACTION_KEY in value:
        action = value[ACTION_KEY]
        if not isinstance(action, dict):
            raise TaskError('"$action" must be a JSON object, got %s' % type(action).__name__)
        extra = [k for k in value if k not in (ACTION_KEY, "output")]
        if extra:
            raise TaskError('a return value with "$action" may hold only "output" besides it, not %s' % extra)
        return value.get("output"), action
    return value, None


def user_traceback(exc):
    """The traceback without the runner's own frames (they say nothing about the user's code)."""
    tb = exc.__traceback__
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) == os.path.abspath(__file__):
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb if tb is not None else exc.__traceback__))


def parse_args(argv):
    if len(argv) < 2 or argv[0] != "task":
        raise SystemExit("usage: ferry_py.py task <index> (--module M | --file F) --function NAME")
    opts = {"--module": None, "--file": None, "--function": None}
    rest = argv[2:]
    for i in range(0, len(rest) - 1, 2):
        if rest[i] not in opts:
            raise SystemExit("ferry_py.py: unknown option %s" % rest[i])
        opts[rest[i]] = rest[i + 1]
    if opts["--function"] is None or (opts["--module"] is None) == (opts["--file"] is None):
        raise SystemExit("ferry_py.py: give --function and one of --module, --file")
    return argv[1], opts["--module"], opts["--file"], opts["--function"]


def too_old(index):
    """This file parses on Python 2 so that an old interpreter gets this message, not a SyntaxError."""
    message = "ferry's py tasks need Python 3.6 or newer; %s is %s (set the worker's python: option)" % (
        sys.executable,
        sys.version.split()[0],
    )
    launch_dir = os.environ.get("FERRY_LAUNCH_DIR", os.getcwd())
    outputs = os.environ.get("FERRY_OUTPUTS") or os.path.join(launch_dir, "_ferry", "tasks", index, "output.json")
    with open(os.path.join(os.path.dirname(outputs), "error.json"), "w") as f:
        f.write(json.dumps({"name": "RuntimeError", "message": message, "stack": message}) + "\n")
    sys.stderr.write(message + "\n")
    return 1


def main(argv):
    if sys.version_info < (3, 6):
        return too_old(argv[1] if len(argv) > 1 else "0")
    index, module_name, file_name, function = parse_args(argv)
    launch_dir = os.environ.get("FERRY_LAUNCH_DIR", os.getcwd())
    outputs = os.environ.get("FERRY_OUTPUTS") or os.path.join(launch_dir, "_ferry", "tasks", index, "output.json")
    task_dir = os.path.dirname(outputs)
    action_file = os.environ.get("FERRY_ACTION") or os.path.join(task_dir, "action.json")
    stop_file = os.environ.get("FERRY_STOP") or os.path.join(task_dir, "stop")
    inputs_file = os.environ.get("FERRY_INPUTS") or os.path.join(launch_dir, "_ferry", "inputs.json")
    # run.sh starts us as a script, which puts _ferry/ first on sys.path: take it off, so the
    # user's own modules are found as `python -c` would find them
    if sys.path and os.path.abspath(sys.path[0] or ".") == HERE:
        sys.path.pop(0)
    for stream in (sys.stdout, sys.stderr):
        # line by line, so `ferry logs` shows progress and a killed task loses no finished line
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(line_buffering=True)
    try:
        with open(inputs_file, encoding="utf-8") as f:
            inputs = json.load(f)
        if not isinstance(inputs, dict):
            raise TaskError("the inputs in %s are not a JSON object" % inputs_file)
        fn = load_callable(module_name, file_name, function)
        output, action = split_return(fn(**inputs))
        if output is not None:
            write_atomic(outputs, to_json(output, "the return value of %s" % function))
        if action is not None:
            write_atomic(action_file, to_json(action, "the action returned by %s" % function))
            if any(action.get(k) not in (None, False) for k in GRAPH_ACTIONS):
                open(stop_file, "w").close()
        return 0
    except Exception as e:
        stack = user_traceback(e)
        message = str(e) or type(e).__name__
        if isinstance(e, ModuleNotFoundError):
            message += " (imported by the python at %s; set the worker's python: option or PYTHONPATH)" % (
                sys.executable
            )
        error = {"name": type(e).__name__, "message": message, "stack": stack}
        write_atomic(os.path.join(task_dir, "error.json"), json.dumps(error) + "\n")
        sys.stderr.write(stack)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
