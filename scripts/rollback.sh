#!/bin/sh
# rollback.sh: go back to the previous (or a named) release of the stack deployed in a folder
# (opsdeck rollback); prints the time it took.
#
#   sh rollback.sh --dir /srv/notes [--to 1] [--data down|restore|keep] [--dry-run] [--json]
#
# --data down (the default) runs the down-steps after a safety snapshot; restore brings back the
# snapshot taken before the update; keep leaves the data (docs/releases.md).
# $OPSDECK names the opsdeck command (default: opsdeck on PATH).
# Exit status: 0 rolled back, 1 refused or failed, 2 for a bad argument.
set -eu
usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; }
dir=
[ "${1:-}" = --dir ] && { dir=${2:?--dir needs a folder}; shift 2; }
case ${1:-} in -h|--help) usage; exit 0 ;; esac
[ -n "$dir" ] || { usage >&2; echo "rollback.sh: --dir is required (first)" >&2; exit 2; }
# shellcheck disable=SC2086
exec ${OPSDECK:-opsdeck} --stack "$dir" rollback "$@"
