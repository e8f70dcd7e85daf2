#!/usr/bin/env bash
# Single-node SLURM 22.05 test cluster for ferry's integration tests (Debian 12, root, no systemd).
#
# Starts munge, MariaDB (or reuses one already running), slurmdbd, slurmctld and slurmd so that
# sbatch/squeue/scancel AND sacct work (slurmdbd accounting, always on),
# with cgroup v1 memory limits (OUT_OF_MEMORY is a real state here) and FAKE_CPUS advertised CPUs
# (several one-CPU jobs run at once on two real cores). Also unpacks the slurm-wlm-torque PBS
# wrappers (qsub/qstat/qdel over SLURM) into $PBS_WRAPPERS_DIR: the Debian package conflicts with
# gridengine-client (scripts/ci/sge.sh), so it is unpacked beside it rather than installed; put
# that directory first on PATH to use them (the PBS integration tests do; FERRY_PBS_WRAPPERS_DIR
# tells them where it is if not the default).
#
# Idempotent: safe to re-run while everything is up (it then only checks). Quiet on success;
# on failure it prints what failed and the tail of the relevant log, and exits non-zero.
#
#   FAKE_CPUS=8            CPUs advertised for the node
#   PBS_WRAPPERS_DIR=...   where the PBS wrappers go (default /opt/slurm-torque/bin)
#   MARIADB_CLIENT_ARGS    extra arguments for the `mariadb` admin client, e.g. "-uroot -psecret"
#                          when an already-running MariaDB has a root password
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
FAKE_CPUS=${FAKE_CPUS:-8}
PBS_WRAPPERS_DIR=${PBS_WRAPPERS_DIR:-/opt/slurm-torque/bin}
read -r -a MARIADB_ARGS <<<"${MARIADB_CLIENT_ARGS:-}"
LOG=/var/log/ferry-ci-slurm.log
: >"$LOG"

fail() {
  echo "scripts/ci/slurm.sh: $*" >&2
  for f in "$LOG" /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log /var/log/slurm/slurmdbd.log; do
    [ -s "$f" ] && { echo "--- last lines of $f" >&2; tail -n 15 "$f" >&2; }
  done
  exit 1
}
trap 'fail "command failed (line $LINENO): $BASH_COMMAND"' ERR
[[ $FAKE_CPUS =~ ^[1-9][0-9]*$ ]] || fail "FAKE_CPUS must be a positive number, got '$FAKE_CPUS'"

# Wait up to $1 tenths of a second for the command in "$@" to succeed.
wait_for() {
  local tries=$1; shift
  for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A zombie waiting for PID 1 to reap it counts as gone (infra.md §0).
alive() { [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
stop_pidfile() {
  local f=$1 p
  [ -s "$f" ] || return 0
  p=$(cat "$f")
  kill "$p" 2>/dev/null || true
  for _ in $(seq 150); do alive "$p" || break; sleep 0.2; done
  rm -f "$f"
}

# ---- packages (apt-get update only when something is missing) ----
missing=()
for p in slurm-wlm munge slurmdbd mariadb-server mariadb-client libslurm-perl libslurmdb-perl libswitch-perl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update >>"$LOG" 2>&1
  apt-get install -y --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1
fi

# ---- PBS-syntax wrappers, unpacked (the package conflicts with gridengine-client) ----
version=$(dpkg-query -W -f='${Version}' slurm-wlm)
if [ "$(cat "$PBS_WRAPPERS_DIR/.version" 2>/dev/null)" != "$version" ]; then
  tmp=$(mktemp -d)
  (cd "$tmp" && apt-get download "slurm-wlm-torque=$version") >>"$LOG" 2>&1 ||
    { apt-get update >>"$LOG" 2>&1 && (cd "$tmp" && apt-get download "slurm-wlm-torque=$version") >>"$LOG" 2>&1; }
  dpkg-deb -x "$tmp"/slurm-wlm-torque_*.deb "$tmp/root"
  install -d "$PBS_WRAPPERS_DIR"
  for b in qsub qstat qdel qhold qrls qalter pbsnodes; do install -m 0755 "$tmp/root/usr/bin/$b" "$PBS_WRAPPERS_DIR/$b"; done
  # qsub runs "$FindBin::Bin/sbatch" (its own directory), as installed beside /usr/bin/sbatch
  for b in sbatch salloc srun; do ln -sf "/usr/bin/$b" "$PBS_WRAPPERS_DIR/$b"; done
  echo "$version" >"$PBS_WRAPPERS_DIR/.version"
  rm -rf "$tmp"
fi

# ---- munge ----
[ -s /etc/munge/munge.key ] || {
  mungekey --create --force
  chown munge:munge /etc/munge/munge.key
  chmod 0400 /etc/munge/munge.key
}
install -d -o munge -g munge -m 0755 /run/munge
munge_ok() { munge -n | unmunge; }
if ! munge_ok >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged >>"$LOG" 2>&1
  wait_for 50 munge_ok || fail "munged did not start"
fi

# ---- MariaDB: reuse a running server (this machine kind may already run one on 3306, root
# without password), else start a socket-only one ----
install -d -o mysql -g mysql /run/mysqld
if ! mariadb-admin "${MARIADB_ARGS[@]}" ping >/dev/null 2>&1; then
  nohup /usr/sbin/mariadbd --user=mysql --skip-networking \
    --socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/mysqld.pid >>/var/log/mariadb-slurm.log 2>&1 &
  wait_for 100 mariadb-admin "${MARIADB_ARGS[@]}" ping || fail "MariaDB did not start (see /var/log/mariadb-slurm.log)"
fi
mariadb "${MARIADB_ARGS[@]}" -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
  CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurmpw';
  GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';" >>"$LOG" 2>&1 ||
  fail "cannot create the slurm database; if MariaDB has a root password, set MARIADB_CLIENT_ARGS='-uroot -p...'"

# ---- configuration (written only when it changes; a change restarts the daemons) ----
changed=0
write_if_changed() { # $1 = path, $2 = mode, content on stdin
  local tmp
  tmp=$(mktemp)
  cat >"$tmp"
  if cmp -s "$tmp" "$1"; then rm -f "$tmp"; else install -m "$2" "$tmp" "$1" && rm -f "$tmp" && changed=1; fi
}
mkdir -p /etc/slurm /var/lib/slurm/slurmctld /var/lib/slurm/slurmd /var/log/slurm /run/slurm
write_if_changed /etc/slurm/slurmdbd.conf 600 <<'CONF'
AuthType=auth/munge
DbdHost=localhost
DbdPort=6819
SlurmUser=root
LogFile=/var/log/slurm/slurmdbd.log
PidFile=/run/slurm/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=slurmpw
StorageLoc=slurm_acct_db
CONF
# cgroup v1 (this machine kind): memory limits make an over-allocating job OUT_OF_MEMORY (infra.md §1.3)
if [ ! -d /sys/fs/cgroup/memory ] || [ ! -d /sys/fs/cgroup/cpuset ]; then fail "cgroup v1 memory/cpuset controllers not found"; fi
write_if_changed /etc/slurm/cgroup.conf 644 <<'CONF'
CgroupPlugin=cgroup/v1
ConstrainCores=yes
ConstrainRAMSpace=yes
ConstrainSwapSpace=no
CONF
MEM=$(($(awk '/MemTotal/{print int($2/1024)}' /proc/meminfo) - 512))
write_if_changed /etc/slurm/slurm.conf 644 <<CONF
ClusterName=testcluster
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=/var/lib/slurm/slurmctld
SlurmdSpoolDir=/var/lib/slurm/slurmd
SlurmctldPidFile=/run/slurm/slurmctld.pid
SlurmdPidFile=/run/slurm/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/cgroup
TaskPlugin=task/cgroup,task/affinity
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=5
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=6819
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
DefMemPerCPU=1000
SlurmdParameters=config_overrides
DependencyParameters=kill_invalid_depend
ReturnToService=2
MinJobAge=3600
MaxJobCount=20000
KillWait=5
InactiveLimit=0
MpiDefault=none
NodeName=localhost NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=$FAKE_CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

# ---- daemons ----
if [ "$changed" = 1 ]; then # new configuration: restart whatever runs with the old one
  stop_pidfile /run/slurm/slurmd.pid
  stop_pidfile /run/slurm/slurmctld.pid
  stop_pidfile /run/slurm/slurmdbd.pid
fi
if ! port_open 6819; then
  /usr/sbin/slurmdbd >>"$LOG" 2>&1
  wait_for 100 port_open 6819 || fail "slurmdbd did not open port 6819"
fi
if ! scontrol ping >/dev/null 2>&1; then
  /usr/sbin/slurmctld >>"$LOG" 2>&1
  wait_for 100 scontrol ping || fail "slurmctld did not answer scontrol ping"
fi
if ! { [ -s /run/slurm/slurmd.pid ] && alive "$(cat /run/slurm/slurmd.pid)"; }; then
  /usr/sbin/slurmd -N localhost >>"$LOG" 2>&1
fi
node_state() { sinfo -h -N -n localhost -o %T 2>/dev/null; }
for _ in $(seq 100); do
  case "$(node_state)" in
  idle | mixed | allocated | completing) break ;;
  drained* | draining* | down*) scontrol update nodename=localhost state=resume >>"$LOG" 2>&1 || true ;;
  esac
  sleep 0.2
done
case "$(node_state)" in
idle | mixed | allocated | completing) ;;
*) fail "node localhost is '$(node_state)', not usable" ;;
esac
# sacct must answer (slurmctld registers the cluster with slurmdbd when it starts)
wait_for 100 sacct -n -X -j 1 || fail "sacct does not answer: accounting is not working"
