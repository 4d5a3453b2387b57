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
USAGE_LINES=10
. "$(dirname "$0")/lib/release-command.sh"
release_command rollback "$@"
