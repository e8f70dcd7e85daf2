"""ferry's task supervisor: starts a pull launcher's tasks, so the launcher itself never forks.

Started once per launcher (src/launcher/supervisor.ts) as `python3 -I -S -c <this file> <marker>
<kill grace s>`; the marker carries the launcher's lease owner, so `ferry detect-lost` can tell
this supervisor from any process that later gets its pid. Standard library only.

Why: fork copies the parent's page tables; spawning from the 100+ MB launcher cost 4.9 ms per
task, and the POSIX task shell that replaced it cost two forks and three execs (setsid, sh, the
task's sh). posix_spawn (vfork in glibc) starts the task's own process directly, in its own
process group, with its environment, working directory and files: one process per task.

Protocol. In, on stdin, one JSON object per line: first the launcher's environment, which every
task starts from (not this process's own: a `python3` shim such as pyenv's changes PATH and
adds variables before it runs this),
  {"base": {...}}
then one per task:
  {"id": n, "argv": [...], "env": {...}, "cwd": dir, "out": file, "err": file,
   "handover": {"script": run.sh, "task": i, "started": epoch s, "out": f, "err": f}}
Out, on stdout, one line per event:
  ready <pid>
  started <id> <pid>
  exit <id> <code> <signal caught by this supervisor, or ->
  error <id> <message as JSON>
A task killed by a signal exits 128 + its number, as a shell reports it.

When stdin ends while tasks run, the launcher is gone (it closes stdin only once every task it
started has ended): each task is then handed over to its run.sh when it ends, as
FERRY_RESUME_TASK/RC/STARTED/SIGNAL, and run.sh records that task's end and runs the job's
remaining tasks. This process stays until every handed-over run.sh has ended, so a run it holds
is never without a live process (detect-lost looks at this pid too).

TERM, HUP or XCPU sent to this process (a batch system signals every process of a job) stop
every task's process group with TERM, then KILL after the grace, and are reported with each
task's exit, as run.sh's traps record them. USR1 and USR2 (walltime warnings), INT and QUIT are
ignored, here and in the tasks, as in the tasks run.sh starts.
"""

import json
import os
import select
import shutil
import signal
import sys
import time

if not hasattr(os, "posix_spawn"):  # Python < 3.8: the launcher uses its task shell instead
    sys.exit(3)

# sys.argv[1], the marker, is there to be read in /proc/<pid>/cmdline (detect-lost), not here
GRACE = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
NAMES = {signal.SIGTERM: "TERM", signal.SIGHUP: "HUP", signal.SIGXCPU: "XCPU"}
# Ignored here and so in every task, as in a task run.sh starts: the walltime warnings, and INT
# and QUIT, which sh ignores in a background job (run.sh runs each task as one). Every other
# disposition goes back to the default in a task. (glibc's posix_spawn leaves its two internal
# signals, 32 and 33, ignored in the child; a program that uses them installs its own handlers.)
IGNORED = (signal.SIGUSR1, signal.SIGUSR2, signal.SIGINT, signal.SIGQUIT)
DEFAULTS = [s for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP, *IGNORED)]
BASE = dict(os.environ)  # until the launcher's own arrives
OUT_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
APPEND_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_APPEND

tasks = {}  # pid -> the start message (with "caught": the signal that stopped it)
handovers = set()  # pids of run.sh processes started for a gone launcher
kill_at = None
doomed = []  # the groups signalled, to KILL at kill_at
launcher_gone = False
wake_r, wake_w = os.pipe()
os.set_blocking(wake_r, False)
os.set_blocking(wake_w, False)
signal.set_wakeup_fd(wake_w)


def say(line):
    """One line to the launcher; False when it is gone (its end of the pipe is closed)."""
    global launcher_gone
    if launcher_gone:
        return False
    try:
        os.write(1, (line + "\n").encode())
        return True
    except OSError:  # EPIPE: SIGPIPE is ignored in Python
        launcher_gone = True
        return False


def kill_groups(pids, sig):
    for pid in pids:
        try:
            os.killpg(pid, sig)
        except OSError:
            pass


def on_signal(n, _frame):
    """Stop the tasks running now (tasks started later are not concerned), as run.sh's trap does."""
    global kill_at, doomed
    running = [pid for pid, m in tasks.items() if "caught" not in m]
    for pid in running:
        tasks[pid]["caught"] = NAMES[n]
    kill_groups(running, signal.SIGTERM)
    doomed = doomed + running
    kill_at = time.monotonic() + GRACE


for s in NAMES:
    signal.signal(s, on_signal)
for s in IGNORED:
    signal.signal(s, signal.SIG_IGN)
signal.signal(signal.SIGCHLD, lambda _n, _f: None)

which_cache = {}


def resolve(name, path):
    if "/" in name:
        return name
    key = (name, path)
    if key not in which_cache:
        which_cache[key] = shutil.which(name, path=path)
    return which_cache[key]


def spawn(argv, env, cwd, out, err, out_flags, **attrs):
    exe = resolve(argv[0], env.get("PATH", os.defpath))
    if exe is None:
        raise OSError(f"{argv[0]}: not found")
    os.chdir(cwd)
    return os.posix_spawn(
        exe,
        argv,
        env,
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, out, out_flags, 0o644),
            (os.POSIX_SPAWN_OPEN, 2, err, out_flags, 0o644),
        ],
        setsigdef=DEFAULTS,
        setsigmask=[],
        **attrs,
    )


def start(m):
    env = dict(BASE)
    env.update(m["env"])
    try:
        pid = spawn(m["argv"], env, m["cwd"], m["out"], m["err"], OUT_FLAGS, setpgroup=0)
    except OSError as e:
        say(f"error {m['id']} {json.dumps(str(e))}")
        return
    tasks[pid] = m
    say(f"started {m['id']} {pid}")


def hand_over(m, code):
    """The launcher is gone: run.sh records this task's end and runs the job's remaining tasks."""
    h = m["handover"]
    env = dict(BASE)
    env.update(
        FERRY_RESUME_TASK=str(h["task"]),
        FERRY_RESUME_RC=str(code),
        FERRY_RESUME_STARTED=str(h["started"]),
        FERRY_RESUME_SIGNAL=m.get("caught", ""),
    )
    try:
        handovers.add(spawn(["sh", h["script"]], env, h["cwd"], h["out"], h["err"], APPEND_FLAGS, setsid=True))
    except OSError as e:
        sys.stderr.write(f"ferry supervisor: cannot hand run {h['script']} over: {e}\n")


def reap():
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in handovers:
            handovers.discard(pid)
            continue
        m = tasks.pop(pid, None)
        if m is None:
            continue
        code = 128 + os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        if not say(f"exit {m['id']} {code} {m.get('caught', '-')}"):
            hand_over(m, code)


def main():
    global launcher_gone, kill_at, doomed
    say(f"ready {os.getpid()}")
    buffer = b""
    reading = True
    while reading or tasks or handovers:
        timeout = None
        if kill_at is not None:
            timeout = max(0.0, kill_at - time.monotonic())
        fds = [wake_r] + ([0] if reading else [])
        try:
            ready, _, _ = select.select(fds, [], [], timeout)
        except InterruptedError:
            ready = []
        if kill_at is not None and time.monotonic() >= kill_at:
            kill_groups([pid for pid in doomed if "caught" in tasks.get(pid, {})], signal.SIGKILL)
            kill_at = None
            doomed = []
        if wake_r in ready:
            try:
                while os.read(wake_r, 512):
                    pass
            except BlockingIOError:
                pass
        reap()
        if 0 in ready:
            chunk = os.read(0, 65536)
            if not chunk:
                reading = False
                launcher_gone = True
                continue
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if line.strip():
                    m = json.loads(line)
                    if "base" in m:
                        BASE.clear()
                        BASE.update(m["base"])
                    else:
                        start(m)


main()
