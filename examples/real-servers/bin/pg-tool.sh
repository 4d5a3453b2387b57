#!/bin/sh
# pg-tool.sh <program> [args…]: run one of PostgreSQL's client programs (pg_isready, psql…)
# from the same installation as the server, e.g. `sh bin/pg-tool.sh psql -c 'select 1'`.
# Connection settings come from the environment (PGHOST, PGPORT, PGUSER, PGDATABASE in the
# postgres service's env in opsdeck.yaml).
set -eu
. bin/pg-lib.sh
[ $# -ge 1 ] || die "usage: sh bin/pg-tool.sh <program> [arguments]"
find_pg_bin
tool=$1
shift
[ -x "$PG_BIN/$tool" ] || die "$PG_BIN has no program named $tool"
exec "$PG_BIN/$tool" "$@"
