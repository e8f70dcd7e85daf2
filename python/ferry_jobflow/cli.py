"""Talking to ferry: through its CLI and the flow file format only (never its database).

The `ferry` command is found from an argument, then `FERRY_BIN` (a command line, split like a
shell would: `node /path/to/ferry/src/cli/main.ts` in a checkout), then `ferry` on PATH.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any


class FerryError(RuntimeError):
    """A ferry command failed; `exit_code` is ferry's documented exit code."""

    def __init__(self, message: str, exit_code: int, stderr: str = ""):
        super().__init__(message)
        self.exit_code = exit_code
        self.stderr = stderr


def ferry_command(ferry: str | list[str] | None = None) -> list[str]:
    if isinstance(ferry, list):
        return list(ferry)
    if isinstance(ferry, str):
        return shlex.split(ferry)
    env = os.environ.get("FERRY_BIN")
    if env:
        return shlex.split(env)
    found = shutil.which("ferry")
    if found:
        return [found]
    raise FerryError("cannot find ferry: pass ferry=..., set FERRY_BIN, or put `ferry` on PATH", 4)


class Ferry:
    """One project's ferry CLI."""

    def __init__(self, project: str | os.PathLike | None = None, ferry: str | list[str] | None = None):
        self.argv = ferry_command(ferry)
        self.project = None if project is None else str(project)

    def run(self, *args: str, check: bool = True, capture: bool = True) -> subprocess.CompletedProcess:
        argv = [*self.argv, *(["--project", self.project] if self.project else []), *args]
        proc = subprocess.run(argv, capture_output=capture, text=True, stdin=subprocess.DEVNULL)
        if check and proc.returncode != 0:
            err = (proc.stderr or "").strip()
            raise FerryError(f"`ferry {' '.join(args)}` failed (exit {proc.returncode}): {err}", proc.returncode, err)
        return proc

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "--json").stdout)

    def add(self, flow: dict) -> dict:
        """`ferry add --json` of one flow; returns {flowId, name, jobIds}."""
        with tempfile.TemporaryDirectory(prefix="ferry-jobflow-") as tmp:
            path = Path(tmp) / "flow.json"
            path.write_text(json.dumps(flow, allow_nan=False))
            return self.json("add", str(path))[0]

    def jobs(self, *selectors: str) -> list[dict]:
        return self.json("jobs", "list", *selectors)

    def show(self, job_id: int) -> dict:
        return self.json("jobs", "show", str(job_id))
