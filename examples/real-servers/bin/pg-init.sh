#!/bin/sh
# pg-init: one-shot job that creates the PostgreSQL cluster in data/pg, only when there is none
# yet, then exits 0 (Opsdeck shows it completed; postgres waits for that: `depends_on:
# { pg-init: completed }`). Run again with an existing cluster, it does nothing.
set -eu
. bin/pg-lib.sh

if [ -f "$PGDATA_DIR/PG_VERSION" ]; then
  say "pg-init: data/pg already holds a PostgreSQL $(cat "$PGDATA_DIR/PG_VERSION") cluster; nothing to do"
  exit 0
fi
if [ -d "$PGDATA_DIR" ] && [ -n "$(ls -A "$PGDATA_DIR")" ]; then
  die "data/pg is not empty but holds no cluster (no PG_VERSION): move it away and start again"
fi

find_pg_bin
mkdir -p "$PGDATA_DIR"
chmod 700 "$PGDATA_DIR"
if [ -n "$PG_RUN_AS" ]; then chown "$PG_RUN_AS": "$PGDATA_DIR"; fi
check_reachable "$PGDATA_DIR"

say "pg-init: creating the cluster in data/pg with $PG_BIN/initdb${PG_RUN_AS:+ (as user $PG_RUN_AS)}"
# Superuser `postgres`; `trust` authentication, which is only safe because the server listens
# on 127.0.0.1 alone (postgres.sh) and this is a developer's machine.
pg_as_owner "$PG_BIN/initdb" --pgdata="$PGDATA_DIR" --username=postgres --auth=trust --locale=C --encoding=UTF8
