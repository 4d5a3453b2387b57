#!/bin/sh
# postgres: the PostgreSQL server of this stack, on 127.0.0.1:$PGPORT (set in opsdeck.yaml),
# data in data/pg. The server program is found at run time (bin/pg-lib.sh), so this stack does
# not name a PostgreSQL version or a machine's paths. `exec` all the way down: the process
# Opsdeck started becomes the postmaster itself, so its signals and its exit are PostgreSQL's.
set -eu
. bin/pg-lib.sh

: "${PGPORT:?PGPORT is not set: opsdeck.yaml gives the port in the env of the postgres service}"
[ -f "$PGDATA_DIR/PG_VERSION" ] || die "data/pg holds no cluster yet: the pg-init service creates it"
find_pg_bin
check_reachable "$PGDATA_DIR"

say "postgres: $PG_BIN/postgres on 127.0.0.1:$PGPORT${PG_RUN_AS:+ (as user $PG_RUN_AS)}"
# -k '': no unix socket (the default folder, /var/run/postgresql, belongs to the system's
# PostgreSQL); TCP on loopback only. Logs go to stderr, which Opsdeck captures.
pg_as_owner "$PG_BIN/postgres" -D "$PGDATA_DIR" -p "$PGPORT" -k '' \
  -c listen_addresses=127.0.0.1 \
  -c logging_collector=off
