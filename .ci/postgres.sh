#!/usr/bin/env bash
# A local PostgreSQL for the storage tests: installs Debian's server when missing, starts a cluster
# on loopback, creates a role and database, and writes the SQLAlchemy URL to .ci/postgres.url
# (the tests read it, or ENMUSUBI_TEST_POSTGRES_URL). Idempotent: a rerun reuses what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

URL_FILE=.ci/postgres.url
ROLE=enmusubi
PASSWORD=enmusubi
DATABASE=enmusubi_test

say() { echo "postgres.sh: $*"; }
die() { echo "postgres.sh: error: $*" >&2; exit 1; }

plain_url() { echo "${1/+psycopg/}"; }  # psql does not know SQLAlchemy's driver suffix

if [ -n "${ENMUSUBI_TEST_POSTGRES_URL:-}" ]; then
    if psql "$(plain_url "$ENMUSUBI_TEST_POSTGRES_URL")" -tAc 'SELECT 1' >/dev/null 2>&1; then
        say "using ENMUSUBI_TEST_POSTGRES_URL, which answers"
        echo "$ENMUSUBI_TEST_POSTGRES_URL" >"$URL_FILE"
        exit 0
    fi
    say "ENMUSUBI_TEST_POSTGRES_URL is set but does not answer; starting a local server instead"
fi

# 1. The server, from Debian's packages.
if ! compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || ! command -v pg_lsclusters >/dev/null; then
    [ "$(id -u)" -eq 0 ] || die "PostgreSQL is not installed and only root can install it (apt-get install postgresql)"
    say "installing PostgreSQL: apt-get update && apt-get install -y postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq || die "apt-get update failed"
    apt-get install -y -qq postgresql >/dev/null || die "apt-get install postgresql failed"
fi
VERSION=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
[ -x "/usr/lib/postgresql/$VERSION/bin/postgres" ] || die "no server binary under /usr/lib/postgresql/$VERSION"
say "PostgreSQL $VERSION is installed"

# 2. A cluster, running.
cluster_field() { pg_lsclusters --no-header | awk -v v="$VERSION" -v f="$1" '$1 == v && $2 == "main" { print $f }'; }
if [ -z "$(cluster_field 3)" ]; then
    say "creating cluster $VERSION/main"
    pg_createcluster "$VERSION" main >/dev/null || die "pg_createcluster $VERSION main failed"
fi
PORT=$(cluster_field 3)
if [ "$(cluster_field 4)" != "online" ]; then
    say "starting cluster $VERSION/main on port $PORT"
    pg_ctlcluster "$VERSION" main start || die "pg_ctlcluster $VERSION main start failed (see /var/log/postgresql/)"
else
    say "cluster $VERSION/main is already running on port $PORT"
fi
for _ in $(seq 1 60); do
    pg_isready -q -h 127.0.0.1 -p "$PORT" && break
    sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p "$PORT" || die "the server on 127.0.0.1:$PORT does not accept connections"

# 3. The test role and database.
as_postgres() { runuser -u postgres -- "$@"; }
sql() { as_postgres psql -p "$PORT" -v ON_ERROR_STOP=1 -tAc "$1"; }
if [ "$(sql "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != "1" ]; then
    say "creating role $ROLE"
    sql "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'" >/dev/null || die "cannot create role $ROLE"
fi
if [ "$(sql "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != "1" ]; then
    say "creating database $DATABASE"
    sql "CREATE DATABASE $DATABASE OWNER $ROLE" >/dev/null || die "cannot create database $DATABASE"
fi

# 4. Check the URL the tests will use, over TCP with the password.
URL="postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DATABASE"
psql "$(plain_url "$URL")" -tAc 'SELECT 1' >/dev/null || die "cannot log in as $ROLE on 127.0.0.1:$PORT/$DATABASE"
echo "$URL" >"$URL_FILE"
say "ready: $URL (written to $URL_FILE)"
