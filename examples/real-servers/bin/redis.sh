#!/bin/sh
# redis: redis-server with this stack's conf/redis.conf (loopback only, data in data/redis, in
# the foreground), on port $REDIS_PORT from opsdeck.yaml.
set -eu
: "${REDIS_PORT:?REDIS_PORT is not set: opsdeck.yaml gives the port in the env of the redis service}"
command -v redis-server >/dev/null 2>&1 || { echo "redis.sh: redis-server not found (Debian: apt-get install redis-server)" >&2; exit 1; }
mkdir -p data/redis
exec redis-server conf/redis.conf --port "$REDIS_PORT"
