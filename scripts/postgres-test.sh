#!/usr/bin/env bash
# Prepares a local PostgreSQL for the relay's PostgreSQL tests (Debian/Ubuntu, also as root in a
# container without systemd). Idempotent: installs the server if missing, starts the cluster,
# creates a role `hush` that may CREATE DATABASE (each test makes its own database), and prints
#
#   export HUSH_TEST_POSTGRES_URL=postgres://hush:hush@127.0.0.1:5432/postgres
#
# on stdout (progress goes to stderr), so callers can `eval "$(scripts/postgres-test.sh)"`.
set -euo pipefail

log() { echo "postgres-test: $*" >&2; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi

if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
    log "installing postgresql"
    $SUDO apt-get -o DPkg::Lock::Timeout=900 update >&2
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y postgresql >&2
fi

# The newest installed major version, and its first cluster (create one if there is none).
VERSION="$(ls /usr/lib/postgresql | sort -V | tail -n 1)"
CLUSTER="$(pg_lsclusters --no-header 2>/dev/null | awk -v v="$VERSION" '$1 == v { print $2; exit }')"
if [ -z "$CLUSTER" ]; then
    CLUSTER=main
    log "creating cluster $VERSION/$CLUSTER"
    $SUDO pg_createcluster "$VERSION" "$CLUSTER" >&2
fi
PORT="$(pg_lsclusters --no-header | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $3 }')"
STATUS="$(pg_lsclusters --no-header | awk -v v="$VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $4 }')"
if [ "$STATUS" != "online" ]; then
    log "starting cluster $VERSION/$CLUSTER on port $PORT"
    $SUDO pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi

as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        sudo -u postgres -- "$@"
    fi
}

# Wait until the server accepts connections.
for _ in $(seq 1 60); do
    if as_postgres psql -p "$PORT" -qtAc "SELECT 1" >/dev/null 2>&1; then
        break
    fi
    sleep 0.5
done

if [ "$(as_postgres psql -p "$PORT" -qtAc "SELECT 1 FROM pg_roles WHERE rolname = 'hush'")" != "1" ]; then
    log "creating role hush"
    as_postgres psql -p "$PORT" -qc "CREATE ROLE hush LOGIN PASSWORD 'hush' CREATEDB" >&2
else
    as_postgres psql -p "$PORT" -qc "ALTER ROLE hush LOGIN PASSWORD 'hush' CREATEDB" >&2
fi

echo "export HUSH_TEST_POSTGRES_URL=postgres://hush:hush@127.0.0.1:${PORT}/postgres"
