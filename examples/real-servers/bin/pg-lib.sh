# Sourced by the PostgreSQL scripts of this stack (not run on its own). Run from the stack
# folder (Opsdeck's working directory for every service). Provides:
#
#   PGDATA_DIR   absolute path of the cluster: data/pg in the stack folder
#   PG_BIN       the folder of the PostgreSQL server programs, found at run time
#   PG_RUN_AS    empty, or the user the server runs as when we are root
#   pg_as_owner  run a command as the cluster's owner (exec's it: the pid stays the same)
#
# PostgreSQL refuses to run as root. As root, the server (and initdb) run as PG_RUN_AS: the
# environment's OPSDECK_PG_USER, else `postgres`, the system user Debian's postgresql package
# creates. The privilege drop uses setpriv (util-linux), which exec's the program directly: no
# extra process, no PAM session, so the postmaster is the process Opsdeck started and a
# signal to it reaches PostgreSQL itself. As any other user, PostgreSQL runs as that user.

PGDATA_DIR="$PWD/data/pg"

say() { printf '%s\n' "$*"; }
die() { printf '%s: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# The server programs: $PG_BINDIR if set; else Debian's /usr/lib/postgresql/<major>/bin, the
# major of an existing cluster first (a cluster only runs with its own major version), else
# the newest installed; else pg_config --bindir; else wherever `postgres` is on PATH.
find_pg_bin() {
  if [ -n "${PG_BINDIR:-}" ]; then
    [ -x "$PG_BINDIR/postgres" ] || die "PG_BINDIR=$PG_BINDIR has no postgres program"
    PG_BIN=$PG_BINDIR
    return
  fi
  if [ -f "$PGDATA_DIR/PG_VERSION" ]; then
    major=$(cat "$PGDATA_DIR/PG_VERSION")
    if [ -x "/usr/lib/postgresql/$major/bin/postgres" ]; then
      PG_BIN=/usr/lib/postgresql/$major/bin
      return
    fi
  fi
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5n | tail -n 1)
  if [ -n "$PG_BIN" ] && [ -x "$PG_BIN/postgres" ]; then return; fi
  if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/postgres" ]; then
    PG_BIN=$(pg_config --bindir)
    return
  fi
  if command -v postgres >/dev/null 2>&1; then
    PG_BIN=$(dirname "$(command -v postgres)")
    return
  fi
  die "PostgreSQL's server programs were not found (Debian: apt-get install postgresql; or set PG_BINDIR)"
}

PG_RUN_AS=
if [ "$(id -u)" = 0 ]; then
  PG_RUN_AS=${OPSDECK_PG_USER:-postgres}
  id "$PG_RUN_AS" >/dev/null 2>&1 ||
    die "running as root, and PostgreSQL refuses to: it runs as user '$PG_RUN_AS', which does not exist (install Debian's postgresql package, which creates it, or set OPSDECK_PG_USER)"
  command -v setpriv >/dev/null 2>&1 || die "running as root needs setpriv (util-linux) to start PostgreSQL as '$PG_RUN_AS'"
fi

pg_as_owner() {
  if [ -n "$PG_RUN_AS" ]; then
    exec setpriv --reuid="$PG_RUN_AS" --regid="$PG_RUN_AS" --init-groups -- "$@"
  fi
  exec "$@"
}

# As root, the server's user must be able to reach the folder $1 (data/pg, or the stack folder
# before data/pg exists): every folder above it needs search (x) permission for that user.
# Names the topmost folder that blocks it.
check_reachable() {
  [ -n "$PG_RUN_AS" ] || return 0
  setpriv --reuid="$PG_RUN_AS" --regid="$PG_RUN_AS" --init-groups -- test -x "$1" && return 0
  blocker=$1
  dir=$1
  while [ "$dir" != / ]; do
    dir=$(dirname "$dir")
    setpriv --reuid="$PG_RUN_AS" --regid="$PG_RUN_AS" --init-groups -- test -x "$dir" || blocker=$dir
  done
  die "user '$PG_RUN_AS' (PostgreSQL does not run as root) cannot reach $1: give it search permission on $blocker, e.g. chmod o+x '$blocker'"
}
