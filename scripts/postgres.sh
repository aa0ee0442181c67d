#!/usr/bin/env bash
# postgres.sh — install (if missing) and start a local PostgreSQL for the
# central service's storage suite, and print its URL. Test use only: the
# role's password is fixed and the server listens on loopback.
#
#   export CERTKIOSK_PG_URL=$(scripts/postgres.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
DEPS_EXTRA="postgresql postgresql-client" scripts/deps.sh >&2
ver=$(ls /usr/lib/postgresql | sort -n | tail -n1)
if ! pg_lsclusters -h | awk '{print $4}' | grep -q online; then
  if ! pg_lsclusters -h | grep -q .; then
    pg_createcluster "$ver" main >&2
  fi
  pg_ctlcluster "$ver" main start >&2
fi
for _ in $(seq 50); do
  pg_isready -q && break
  sleep 0.2
done
as_pg() { su postgres -s /bin/sh -c "$1"; }
if ! as_pg "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname = 'certkiosk'\"" | grep -q 1; then
  as_pg "psql -q -c \"CREATE ROLE certkiosk LOGIN SUPERUSER PASSWORD 'certkiosk'\"" >&2
fi
if ! as_pg "psql -tAc \"SELECT 1 FROM pg_database WHERE datname = 'certkiosk'\"" | grep -q 1; then
  as_pg "createdb -O certkiosk certkiosk" >&2
fi
port=$(pg_lsclusters -h | awk '$4 == "online" {print $3; exit}')
echo "postgres://certkiosk:certkiosk@127.0.0.1:${port:-5432}/certkiosk?sslmode=disable"
