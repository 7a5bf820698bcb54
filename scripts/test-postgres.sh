#!/usr/bin/env bash
# A PostgreSQL server for the test suite: installs Debian's package if missing, starts the cluster,
# makes sure a `courtyard` role that may create databases exists, and prints the URL the tests take
# in COURTYARD_TEST_POSTGRES (each test creates and uses its own database there).
# Needs root (or sudo) the first time, to install and start the server.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "installing PostgreSQL from Debian packages..." >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi

version="$(ls /usr/lib/postgresql | sort -V | tail -1)"
if ! pg_lsclusters -h | grep -q "^$version main"; then
    as_root pg_createcluster "$version" main >&2
fi
if ! pg_lsclusters -h | grep -q "^$version main .* online"; then
    as_root pg_ctlcluster "$version" main start >&2
fi

as_root runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 >&2 <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'courtyard') THEN
    CREATE ROLE courtyard LOGIN CREATEDB PASSWORD 'courtyard';
  END IF;
END $$;
SQL

port="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')"
echo "postgresql+psycopg://courtyard:courtyard@127.0.0.1:${port}/postgres"
