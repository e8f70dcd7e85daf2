#!/usr/bin/env bash
# Usage: export FERRY_TEST_PG_URL="$(bash scripts/ci/postgres.sh)"
# Makes sure Debian's PostgreSQL cluster is running (nothing starts daemons on this machine kind:
# no systemd, and policy-rc.d stops apt from doing it), recreates an empty throwaway database and
# prints its URL on stdout. Progress goes to stderr. Run as root.
#   FERRY_CI_PG_DB       database name (default ferry_ci); dropped first if it exists
#   FERRY_CI_PG_CLUSTER  "VERSION NAME" of the cluster (default: the first of pg_lsclusters,
#                        else a new "<newest version> main")
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
db=${FERRY_CI_PG_DB:-ferry_ci}
# The name goes into SQL as an identifier: allow only what needs no quoting.
[[ "$db" =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "postgres.sh: bad database name: ${db}" >&2; exit 1; }

{
  # The image has it; a machine without it gets the server and postgresql-common's tools.
  if ! command -v pg_lsclusters >/dev/null || ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
    bash "$here/apt.sh" postgresql
  fi

  if [ -n "${FERRY_CI_PG_CLUSTER:-}" ]; then
    read -r version cluster <<<"$FERRY_CI_PG_CLUSTER"
  else
    read -r version cluster _ < <(pg_lsclusters -h | head -n 1) || true
    if [ -z "${version:-}" ]; then
      version=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n | tail -n 1)
      cluster=main
      pg_createcluster "$version" "$cluster"
    fi
  fi

  # `pg_lsclusters` prints "VER NAME PORT STATUS ..."; a cluster that is up says "online".
  read -r _ _ port status _ < <(pg_lsclusters -h "$version" "$cluster")
  if [ "$status" != online ]; then
    # --skip-systemctl-redirect: without it pg_ctlcluster may try systemctl, which is absent here.
    pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start
  fi
  # Ready means accepting connections, not merely a postmaster process (startup takes ~2 s).
  for _ in $(seq 150); do
    pg_isready -q -h 127.0.0.1 -p "$port" && break
    sleep 0.2
  done
  pg_isready -h 127.0.0.1 -p "$port"

  # Peer authentication over the unix socket works on Debian's default pg_hba.conf and on a
  # trust one alike, so administration always goes that way.
  admin() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres "$@"; }
  # WITH (FORCE) ends sessions a killed earlier run may have left open.
  admin -c "DROP DATABASE IF EXISTS ${db} WITH (FORCE)"

  # This machine kind trusts 127.0.0.1; Debian's default wants a password over TCP. Use the
  # postgres superuser when trusted, else a login role with a password (loopback only, and the
  # database is thrown away at the next run).
  if psql -X -w -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
    owner=postgres
    url="postgresql://postgres@127.0.0.1:${port}/${db}"
  else
    owner=ferry_ci
    admin <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ferry_ci') THEN
    CREATE ROLE ferry_ci LOGIN PASSWORD 'ferry_ci';
  ELSE
    ALTER ROLE ferry_ci LOGIN PASSWORD 'ferry_ci';
  END IF;
END \$\$;
SQL
    url="postgresql://ferry_ci:ferry_ci@127.0.0.1:${port}/${db}"
  fi
  admin -c "CREATE DATABASE ${db} OWNER ${owner}"
  psql -X -w "$url" -Atc 'select 1' >/dev/null
} >&2

printf '%s\n' "$url"
