#!/bin/sh
# deploy.sh: deploy an Opsdeck stack on a machine that has only a shell (Debian or macOS).
#
#   sh deploy.sh --dir /srv/notes --from /src/notes.git [--to 2] [--opsdeck ./opsdeck-0.1.0.tgz] [--dry-run] [--json]
#
# 1. Node.js 20.19 or later: installed when missing (Debian: apt-get install nodejs npm, as root;
#    macOS: brew install node). An older Node is reported with how to get a newer one.
# 2. Opsdeck: `opsdeck` on PATH, else installed with npm from --opsdeck (a tarball made by
#    `npm pack`) or from the registry (npm install -g opsdeck). $OPSDECK names another command
#    (e.g. OPSDECK="node /opt/opsdeck/dist/cli.js"): nothing is installed then.
# 3. `opsdeck --stack DIR deploy --from SOURCE [--to VERSION]`: checks, fetch, install,
#    migrations, start in dependency order, health gate (docs/releases.md).
# Its own lines go to stderr (stdout is opsdeck's: --json prints one JSON document).
# Exit status: opsdeck's (0 deployed, 1 failed with what was done); 2 for a bad argument.
set -eu

say() { printf 'deploy.sh: %s\n' "$*" >&2; }
die() { printf 'deploy.sh: %s\n' "$*" >&2; exit "${2:-1}"; }
usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }

dir= from= to= pkg= dry= json=
while [ $# -gt 0 ]; do
  case $1 in
    --dir) dir=${2:?--dir needs a folder}; shift 2 ;;
    --from) from=${2:?--from needs a source}; shift 2 ;;
    --to) to=${2:?--to needs a version}; shift 2 ;;
    --opsdeck) pkg=${2:?--opsdeck needs a tarball or version}; shift 2 ;;
    --dry-run) dry=--dry-run; shift ;;
    --json) json=--json; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" 2 ;;
  esac
done
[ -n "$dir" ] || die "--dir is required (the folder to deploy into)" 2

NODE_MIN_MAJOR=20
NODE_MIN_MINOR=19
node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  v=$(node -p 'process.versions.node' 2>/dev/null) || return 1
  major=${v%%.*}; rest=${v#*.}; minor=${rest%%.*}
  [ "$major" -gt "$NODE_MIN_MAJOR" ] || { [ "$major" -eq "$NODE_MIN_MAJOR" ] && [ "$minor" -ge "$NODE_MIN_MINOR" ]; }
}

if ! node_ok; then
  if command -v apt-get >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || die "Node.js $NODE_MIN_MAJOR.$NODE_MIN_MINOR+ is missing: run this as root (it installs it with apt-get), or install Node yourself"
    say "installing Node.js with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm >/dev/null
  elif command -v brew >/dev/null 2>&1; then
    say "installing Node.js with Homebrew"
    brew install node
  else
    die "Node.js $NODE_MIN_MAJOR.$NODE_MIN_MINOR+ is missing and neither apt-get nor Homebrew is here: install it from https://nodejs.org"
  fi
  node_ok || die "this system's Node.js ($(node -v 2>/dev/null || echo none)) is older than $NODE_MIN_MAJOR.$NODE_MIN_MINOR: install a newer one (Debian 12: NodeSource's nodejs package, or nvm)"
fi
say "node $(node -v)"

if [ -z "${OPSDECK:-}" ]; then
  if ! command -v opsdeck >/dev/null 2>&1; then
    say "installing Opsdeck with npm (${pkg:-opsdeck from the registry})"
    npm install -g --no-fund --no-audit "${pkg:-opsdeck}" >/dev/null
  fi
  OPSDECK=opsdeck
fi

set -- --stack "$dir" deploy
[ -n "$from" ] && set -- "$@" --from "$from"
[ -n "$to" ] && set -- "$@" --to "$to"
[ -n "$dry" ] && set -- "$@" "$dry"
[ -n "$json" ] && set -- "$@" "$json"
# $OPSDECK may be a command with arguments ("node …/cli.js"): split on purpose.
# shellcheck disable=SC2086
exec $OPSDECK "$@"
