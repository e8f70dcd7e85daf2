#!/usr/bin/env bash
# Usage: bash scripts/ci/netns.sh && export FERRY_TEST_NETNS=1
# Checks that this machine can run a command in a network namespace of its own, as
# test/helpers/netns.ts does to simulate a firewalled compute node: `unshare -n` (needs root, or
# CAP_SYS_ADMIN), `ip` to bring the namespace's loopback up, and no interface but `lo` inside.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

command -v ip >/dev/null || bash "$here/apt.sh" iproute2

unshare -n -- true
# /proc/net/dev lists the interfaces of the reader's namespace: two header lines, then one per interface.
ifaces=$(unshare -n -- sh -c 'ip link set lo up && tail -n +3 /proc/net/dev' | cut -d: -f1 | tr -d ' ')
if [ "$ifaces" != lo ]; then
  echo "netns.sh: expected only lo inside a new network namespace, got: ${ifaces}" >&2
  exit 1
fi
