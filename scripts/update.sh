#!/bin/sh
# update.sh: update the stack deployed in a folder to a newer release (opsdeck update).
#
#   sh update.sh --dir /srv/notes [--to 2] [--allow-downgrade] [--dry-run] [--json]
#
# Version checks first (nothing changes when one fails), then snapshot, install, migrations,
# switch and the health gate; any failure rolls back automatically (docs/releases.md).
# $OPSDECK names the opsdeck command (default: opsdeck on PATH).
# Exit status: 0 updated, 1 refused or failed (and rolled back), 2 for a bad argument.
set -eu
usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }
dir=
[ "${1:-}" = --dir ] && { dir=${2:?--dir needs a folder}; shift 2; }
case ${1:-} in -h|--help) usage; exit 0 ;; esac
[ -n "$dir" ] || { usage >&2; echo "update.sh: --dir is required (first)" >&2; exit 2; }
# shellcheck disable=SC2086
exec ${OPSDECK:-opsdeck} --stack "$dir" update "$@"
