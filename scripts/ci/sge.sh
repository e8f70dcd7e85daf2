#!/usr/bin/env bash
# Single-node (Son of) Grid Engine 8.1.9 for ferry's integration tests (Debian 12, root, no
# systemd), with Debian's gridengine packages. Root may submit (min_uid 0 / min_gid 0), the scheduler
# runs every second and accounting is flushed at once, so a job is in qacct ~2 s after it ends.
#
# Idempotent: safe to re-run while Grid Engine is up (it then only checks). Quiet on success;
# on failure it prints what failed and the relevant log tail, and exits non-zero.
#
#   SGE_SLOTS=8   slots of all.q@localhost (more than the real cores: test jobs mostly sleep)
#
# Commands need SGE_ROOT=/var/lib/gridengine in their environment (SGE_CELL defaults to "default").
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
export SGE_ROOT=/var/lib/gridengine SGE_CELL=default
SGE_SLOTS=${SGE_SLOTS:-8}
COMMON=$SGE_ROOT/$SGE_CELL/common
LOG=/var/log/ferry-ci-sge.log
: >"$LOG"

fail() {
  echo "scripts/ci/sge.sh: $*" >&2
  for f in "$LOG" /var/spool/gridengine/qmaster/messages /var/spool/gridengine/execd/localhost/messages; do
    [ -s "$f" ] && { echo "--- last lines of $f" >&2; tail -n 15 "$f" >&2; }
  done
  exit 1
}
trap 'fail "command failed (line $LINENO): $BASH_COMMAND"' ERR
[[ $SGE_SLOTS =~ ^[1-9][0-9]*$ ]] || fail "SGE_SLOTS must be a positive number, got '$SGE_SLOTS'"

alive() { [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
pidfile_alive() { [ -s "$1" ] && alive "$(cat "$1")"; }
wait_for() {
  local tries=$1; shift
  for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# ---- packages (conflicts with slurm-wlm-torque, which scripts/ci/slurm.sh therefore unpacks) ----
missing=()
for p in gridengine-master gridengine-exec gridengine-client; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update >>"$LOG" 2>&1
  apt-get install -y --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1
fi

# The host name (vm) resolves to 127.0.0.1, whose reverse name is localhost: one host for SGE,
# otherwise every command fails with "access denied (client IP resolved to host name ...)".
echo "localhost $(hostname)" >"$COMMON/host_aliases"
echo localhost >"$COMMON/act_qmaster"
install -d -o sgeadmin -g sgeadmin /var/run/gridengine

# ---- qmaster ----
if ! pidfile_alive /var/spool/gridengine/qmaster/qmaster.pid || ! qconf -sh >/dev/null 2>&1; then
  SGE_MASTER_PIDFILE=/var/run/gridengine/qmaster.pid /usr/sbin/sge_qmaster >>"$LOG" 2>&1
  wait_for 150 qconf -sh || fail "sge_qmaster does not answer qconf -sh"
fi
qconf -ss 2>/dev/null | grep -qx localhost || qconf -as localhost >>"$LOG" 2>&1

# ---- global configuration: root may submit; accounting flushed every second ----
mkdir -p /tmp/ferry-sgecfg
qconf -sconf >/tmp/ferry-sgecfg/current
sed -e 's/^min_uid .*/min_uid                      0/' -e 's/^min_gid .*/min_gid                      0/' \
  -e 's/flush_time=[0-9:]*/flush_time=00:00:01/' /tmp/ferry-sgecfg/current >/tmp/ferry-sgecfg/global
cmp -s /tmp/ferry-sgecfg/current /tmp/ferry-sgecfg/global || qconf -Mconf /tmp/ferry-sgecfg/global >>"$LOG" 2>&1
# (the file given to -Mconf must be named "global": infra.md §2.1)

# ---- scheduler: schedule every second (the defaults are 15 s) ----
qconf -ssconf >/tmp/ferry-sgecfg/sconf-current
sed -e 's/^schedule_interval .*/schedule_interval                 0:0:1/' \
  -e 's/^flush_submit_sec .*/flush_submit_sec                  1/' \
  -e 's/^flush_finish_sec .*/flush_finish_sec                  1/' /tmp/ferry-sgecfg/sconf-current >/tmp/ferry-sgecfg/sconf
cmp -s /tmp/ferry-sgecfg/sconf-current /tmp/ferry-sgecfg/sconf || qconf -Msconf /tmp/ferry-sgecfg/sconf >>"$LOG" 2>&1

# ---- execd ----
if ! pidfile_alive /var/spool/gridengine/execd/localhost/execd.pid; then
  /usr/sbin/sge_execd >>"$LOG" 2>&1
fi

# ---- queue all.q on localhost (qconf -aq needs an edited template: the default names a missing PE) ----
cat >/tmp/ferry-sgecfg/q-editor.sh <<EDITOR
#!/bin/sh
sed -i -e 's/^pe_list .*/pe_list NONE/' -e 's/^hostlist .*/hostlist localhost/' -e 's/^slots .*/slots $SGE_SLOTS/' "\$1"
EDITOR
chmod +x /tmp/ferry-sgecfg/q-editor.sh
if ! qconf -sql 2>/dev/null | grep -qx all.q; then
  EDITOR=/tmp/ferry-sgecfg/q-editor.sh qconf -aq all.q >>"$LOG" 2>&1
elif [ "$(qconf -sq all.q | awk '/^slots/{print $2}')" != "$SGE_SLOTS" ]; then
  qconf -mattr queue slots "$SGE_SLOTS" all.q >>"$LOG" 2>&1
fi
# A busy CI machine (load 4 on 2 cores while the tests run) trips the default np_load_avg=1.75
# threshold: the queue goes into alarm (state "a") and SGE stops scheduling. Tests need jobs to run.
[ "$(qconf -sq all.q | awk '/^load_thresholds/{print $2}')" = "NONE" ] || qconf -rattr queue load_thresholds NONE all.q >>"$LOG" 2>&1

# ---- ready: the queue instance has no u(nknown)/a(larm) state once execd reported its load ----
queue_ready() { qstat -f -q all.q@localhost | grep 'all.q@localhost' | grep -qvE ' (au|u|a|E|d)[a-zA-Z]*\s*$'; }
for _ in $(seq 300); do queue_ready && break; sleep 0.2; done
queue_ready || fail "queue all.q@localhost is not ready: $(qstat -f -q all.q@localhost | grep all.q@localhost || true)"
