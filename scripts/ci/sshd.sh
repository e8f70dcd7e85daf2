#!/usr/bin/env bash
# Usage: bash scripts/ci/sshd.sh && export FERRY_TEST_SSHD=1
# What test/helpers/sshd.ts needs to start throwaway sshd servers on loopback (Debian 12, root,
# no systemd): the OpenSSH server binary, PAM's pam_exec (the keyboard-interactive one-time-code
# variant), the privilege-separation folder, and the test user `hpcuser` (uid >= 1000, so that
# Grid Engine accepts its jobs; SLURM runs them as that user). Starts no daemon: every test file
# starts its own sshd on a free port with its own host key and config.
#
# Idempotent and quiet: safe to re-run; prints only on failure.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEST_USER=${FERRY_TEST_SSH_USER:-hpcuser}
LOG=$(mktemp /tmp/ferry-ci-sshd.XXXXXX)
trap 'rm -f "$LOG"' EXIT

fail() {
  echo "scripts/ci/sshd.sh: $*" >&2
  [ -s "$LOG" ] && tail -n 20 "$LOG" >&2
  exit 1
}

# openssh-server also upgrades openssh-client to the same version; libpam-modules holds pam_exec.
bash "$here/apt.sh" openssh-server libpam-modules >>"$LOG" 2>&1 || fail "cannot install openssh-server"
[ -x /usr/sbin/sshd ] || fail "/usr/sbin/sshd is missing after the install"
pam_exec=$(find /lib /usr/lib -name pam_exec.so -path '*security*' 2>/dev/null | head -n 1)
[ -n "$pam_exec" ] || fail "pam_exec.so not found (libpam-modules)"

# The test helper starts each sshd through setpriv --pdeathsig (util-linux), so that a test
# process that dies takes its servers with it.
command -v setpriv >/dev/null || bash "$here/apt.sh" util-linux >>"$LOG" 2>&1 || fail "setpriv (util-linux) is missing"

# sshd refuses to start without its privilege-separation folder (systemd creates it elsewhere).
install -d -m 0755 /run/sshd

if ! id -u "$TEST_USER" >/dev/null 2>&1; then
  useradd --create-home --shell /bin/bash "$TEST_USER" >>"$LOG" 2>&1 || fail "cannot create user $TEST_USER"
fi
uid=$(id -u "$TEST_USER")
[ "$uid" -ge 1000 ] || fail "user $TEST_USER has uid $uid; Grid Engine refuses jobs of uids below 1000"
# A '!' (locked) password makes sshd refuse the user when UsePAM is off; '*' allows key logins only.
case "$(getent shadow "$TEST_USER" | cut -d: -f2)" in
'!'*) usermod -p '*' "$TEST_USER" >>"$LOG" 2>&1 || fail "cannot unlock $TEST_USER for key logins" ;;
esac
home=$(getent passwd "$TEST_USER" | cut -d: -f6)
[ -d "$home" ] || fail "home folder $home of $TEST_USER is missing"
# sshd's StrictModes refuses a group- or world-writable home.
chmod go-w "$home"

# Old PAM services of test runs that were killed before they cleaned up (their folder is gone).
for f in /etc/pam.d/ferry-sshd-*; do
  [ -e "$f" ] || continue
  script=$(awk '/pam_exec/ {print $NF; exit}' "$f")
  [ -n "$script" ] && [ -e "$script" ] || rm -f "$f"
done

# `sshd -V` prints its version on stderr and exits 1.
/usr/sbin/sshd -V 2>&1 | grep -q OpenSSH || fail "sshd does not run"
