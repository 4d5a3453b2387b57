#!/bin/sh
# migrate.sh <file.sql>: one schema step, in one transaction (all or nothing), with the psql of
# the stack's PostgreSQL; connection from PGHOST/PGPORT/PGUSER/PGDATABASE (the app's env).
set -eu
. bin/pg-lib.sh
find_pg_bin
exec "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 --single-transaction -f "$1"
