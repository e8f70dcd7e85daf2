#!/usr/bin/env bash
# Usage: export PATH="$(bash scripts/ci/node.sh):$PATH"
# Prints the directory of a `node` that is at least 22.18 (the project's engines field). When the
# node on PATH is older (the image ships Node 20), installs node@24 from the npm registry into
# ~/.cache/node24 once and prints its bin dir. Progress goes to stderr; stdout is only the dir.
# It is a separate process rather than a sourced file so that `set -e` holds inside it even when
# the caller runs it under `if`.
set -euo pipefail

want_major=22
want_minor=18
prefix="${HOME}/.cache/node24"
cached="${prefix}/node_modules/.bin/node"

new_enough() {
  local version major minor rest
  version=$("$1" -p 'process.versions.node' 2>/dev/null) || return 1
  IFS=. read -r major minor rest <<<"$version"
  [ "$major" -gt "$want_major" ] || { [ "$major" -eq "$want_major" ] && [ "$minor" -ge "$want_minor" ]; }
}

if current=$(command -v node) && new_enough "$current"; then
  dirname "$current"
  exit 0
fi

if ! new_enough "$cached"; then
  command -v npm >/dev/null || { echo "node.sh: npm is needed to install node@24 and is not on PATH" >&2; exit 1; }
  echo "node.sh: installing node@24 into ${prefix}" >&2
  mkdir -p "$prefix"
  npm install --prefix "$prefix" --no-audit --no-fund node@24 >&2
  new_enough "$cached" || { echo "node.sh: ${cached} is missing or older than ${want_major}.${want_minor} after install" >&2; exit 1; }
fi
dirname "$cached"
