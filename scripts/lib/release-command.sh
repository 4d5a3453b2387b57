# Sourced by scripts/update.sh and scripts/rollback.sh: `release_command <opsdeck command> "$@"`
# takes `--dir DIR` (first), answers --help with the calling script's header (its lines 2 to
# $USAGE_LINES), and runs `$OPSDECK --stack DIR <command> …` (default: opsdeck on PATH).
release_command() {
  command=$1
  shift
  name=${0##*/}
  usage() { sed -n "2,${USAGE_LINES}p" "$0" | sed 's/^# \{0,1\}//'; }
  dir=
  [ "${1:-}" = --dir ] && { dir=${2:?--dir needs a folder}; shift 2; }
  case ${1:-} in -h|--help) usage; exit 0 ;; esac
  [ -n "$dir" ] || { usage >&2; echo "$name: --dir is required (first)" >&2; exit 2; }
  # $OPSDECK may be a command with arguments ("node …/cli.js"): split on purpose.
  # shellcheck disable=SC2086
  exec ${OPSDECK:-opsdeck} --stack "$dir" "$command" "$@"
}
