#!/usr/bin/env bash
# CI services for tests/scale: Ray in the venv, and a PostgreSQL server on 127.0.0.1.
# Called by .ci/run before `make test`. Writes the test database URL to .ci/pg_url
# (read by tests/scale when DEEPMOMENTUM_TEST_PG_URL is not set). Safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."

# 1. the venv with the ray and postgres extras (make setup only creates it when missing)
make setup
.venv/bin/pip install --quiet "ray>=2.9" "psycopg2-binary>=2.9"

# 2. PostgreSQL: install if missing, run a private cluster in .ci/pg (port 54329)
PORT=${DEEPMOMENTUM_PG_PORT:-54329}
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q postgresql
fi
BIN=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
DATA=/tmp/deepmomentum-ci-pg
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ ! -f "$DATA/PG_VERSION" ]; then
    mkdir -p "$DATA"
    [ "$(id -u)" = 0 ] && chown postgres "$DATA"
    as_pg "$BIN/initdb" -D "$DATA" -A trust -U postgres >/dev/null
fi
if ! as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k /tmp -c max_connections=200" start
fi
PSQL=("$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -v ON_ERROR_STOP=1 -qtA)
if [ "$("${PSQL[@]}" -c "SELECT 1 FROM pg_roles WHERE rolname='deepmomentum'")" != 1 ]; then
    "${PSQL[@]}" -c "CREATE USER deepmomentum PASSWORD 'deepmomentum'"
fi
if [ "$("${PSQL[@]}" -c "SELECT 1 FROM pg_database WHERE datname='deepmomentum_test'")" != 1 ]; then
    "${PSQL[@]}" -c "CREATE DATABASE deepmomentum_test OWNER deepmomentum"
fi
echo "postgresql://deepmomentum:deepmomentum@127.0.0.1:$PORT/deepmomentum_test" > .ci/pg_url
echo "PostgreSQL ready: $(cat .ci/pg_url)"
