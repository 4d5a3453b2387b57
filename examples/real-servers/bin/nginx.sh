#!/bin/sh
# nginx: serves nginx/html and /health on 127.0.0.1:$NGINX_PORT (from opsdeck.yaml). Its
# prefix is the stack's nginx/ folder, so its configuration, pid file, logs and temporary
# files all stay in the stack folder; `daemon off` keeps the master in the foreground, as the
# process Opsdeck supervises.
set -eu
: "${NGINX_PORT:?NGINX_PORT is not set: opsdeck.yaml gives the port in the env of the nginx service}"
NGINX=$(command -v nginx || true)
# Debian installs it in /usr/sbin, which a non-root user's PATH may not include.
for dir in /usr/sbin /usr/local/sbin /sbin; do
  if [ -z "$NGINX" ] && [ -x "$dir/nginx" ]; then NGINX=$dir/nginx; fi
done
[ -n "$NGINX" ] || { echo "nginx.sh: nginx not found (Debian: apt-get install nginx)" >&2; exit 1; }

mkdir -p nginx/logs nginx/run nginx/temp
# The listening address is the one thing nginx.conf cannot take from the environment.
printf 'listen 127.0.0.1:%s;\n' "$NGINX_PORT" > nginx/run/listen.conf
# -e stderr: errors before the configuration is read go to Opsdeck's log, not to /var/log.
exec "$NGINX" -p "$PWD/nginx/" -c nginx.conf -e stderr -g 'daemon off;'
