#!/usr/bin/env bash
# The Python test environment: a virtual environment with the pinned versions of
# python/requirements-test.txt (jobflow, atomate2 + ase, FireWorks, pytest and what they pull in),
# plus ./python (ferry_jobflow) itself. Prints the venv's python on stdout for FERRY_TEST_PYTHON.
#
# The venv lives under ~/.cache/ferry-venv/<hash of the requirements file and the Python version>,
# so an unchanged file reuses it (measured here: a fresh build downloads ~790 MB and takes about
# 2 minutes; a reuse takes a few seconds, only to reinstall ./python). A half-built venv is never
# reused: `.complete` is written into it last.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

python=${FERRY_PYTHON_FOR_VENV:-python3}
requirements=python/requirements-test.txt
version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
key=$( { cat "$requirements"; echo "$version"; } | sha256sum | cut -c1-16)
root=${FERRY_VENV_ROOT:-$HOME/.cache/ferry-venv}
venv="$root/$key"

if [ ! -f "$venv/.complete" ]; then
  # a venv's scripts name their interpreter by absolute path, so it is built where it lives
  rm -rf "$venv"
  mkdir -p "$root"
  "$python" -m venv "$venv" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2
  touch "$venv/.complete"
fi

# ./python changes with every commit: reinstall it each time (seconds, no network beyond the
# setuptools build backend, which pip caches)
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall ./python >&2
rm -rf python/build python/*.egg-info
echo "$venv/bin/python"
