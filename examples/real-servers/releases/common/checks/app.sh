#!/bin/sh
# The app's full-functionality check: the columns this release reads ($APP_COLUMNS) exist in
# notes, and the app answers its version.
set -eu
. bin/pg-lib.sh
find_pg_bin
if ! out=$("$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 -c "SELECT $APP_COLUMNS FROM notes LIMIT 1" 2>&1); then
  echo "app FAILED: notes does not have the columns this release reads ($APP_COLUMNS): $(printf '%s\n' "$out" | head -n 1)"
  exit 1
fi
node -e 'fetch(`http://127.0.0.1:${process.env.APP_PORT}/health`).then(async (r) => { const t = await r.text(); if (t !== `ok ${process.env.APP_VERSION}`) { console.log(`answered ${t}`); process.exit(1); } })'
echo "app ok: notes has $APP_COLUMNS; version $APP_VERSION answers"
