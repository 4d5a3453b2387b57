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
USAGE_LINES=9
. "$(dirname "$0")/lib/release-command.sh"
release_command update "$@"
