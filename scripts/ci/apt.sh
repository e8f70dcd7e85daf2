#!/usr/bin/env bash
# Usage: bash scripts/ci/apt.sh PKG...
# Installs only the Debian packages that are missing. `apt-get update` runs at most once per CI
# run: .ci/run exports FERRY_CI_APT_STAMP (a file in its temp dir), and the first install that
# needs the package lists creates it. Without the variable (a developer running a script by hand)
# every call that installs something updates first, because apt's lists may be months old on a
# fresh image and an install from stale lists fails with 404s.
set -euo pipefail

missing=()
for pkg in "$@"; do
  # `dpkg -s` succeeds for a removed package whose config files remain ("deinstall ok config-files"),
  # so ask for the exact status instead.
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

stamp=${FERRY_CI_APT_STAMP:-}
if [ -z "$stamp" ] || [ ! -e "$stamp" ]; then
  apt-get update
  [ -z "$stamp" ] || : >"$stamp"
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
