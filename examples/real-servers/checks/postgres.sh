#!/bin/sh
# Full-functionality check of postgres: create a table (once), insert a unique row, select it
# back, delete it. Connects with PGHOST/PGPORT/PGUSER/PGDATABASE from the service's env.
set -eu
. bin/pg-lib.sh
find_pg_bin
token="check-$$-$(date +%s)"
if ! out=$("$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -v token="$token" 2>&1 <<'SQL'
SET client_min_messages TO warning;
CREATE TABLE IF NOT EXISTS opsdeck_check (token text PRIMARY KEY, written_at timestamptz NOT NULL DEFAULT now());
INSERT INTO opsdeck_check (token) VALUES (:'token');
SELECT token FROM opsdeck_check WHERE token = :'token';
DELETE FROM opsdeck_check WHERE token = :'token';
SQL
); then
  echo "postgres FAILED: $(printf '%s\n' "$out" | tail -n 1)"
  exit 1
fi
if [ "$out" != "$token" ]; then
  echo "postgres FAILED: inserted $token, selected back '$(printf '%s' "$out" | tr '\n' ' ')'"
  exit 1
fi
echo "postgres ok: inserted $token into opsdeck_check, selected it back and deleted it"
