#!/bin/sh
# Full-functionality check of redis: SET a unique key (expiring in 60 s), GET it back, DEL it.
set -eu
token="check-$$-$(date +%s)"
key="opsdeck:check:$token"
cli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@" 2>&1; }
set_reply=$(cli SET "$key" "$token" EX 60) || true
if [ "$set_reply" != OK ]; then echo "redis FAILED: SET $key answered '$set_reply'"; exit 1; fi
got=$(cli GET "$key") || true
if [ "$got" != "$token" ]; then echo "redis FAILED: SET $key to $token, GET answered '$got'"; exit 1; fi
cli DEL "$key" >/dev/null || true
echo "redis ok: SET $key, read it back with GET and deleted it"
