#!/usr/bin/env bash
# Stops the test mail servers that `scripts/peers/start.sh` started in DIR, and waits until none of their processes
# is left. Removes DIR if start.sh made it, unless --keep is given (for the logs: dovecot/dovecot.log,
# postfix/maillog). Exits non-zero if a process survived.
#
# Usage: stop.sh [--keep] DIR
set -euo pipefail
# shellcheck source=scripts/peers/lib.sh
source "$(dirname "$0")/lib.sh"

keep=0 dir=''
while [ $# -gt 0 ]; do
  case $1 in
    --keep) keep=1; shift ;;
    -*) sed -n '6s/^# //p' "$0" >&2; exit 2 ;;
    *) dir=$1; shift ;;
  esac
done
[ -n "$dir" ] && [ -d "$dir" ] || { sed -n '6s/^# //p' "$0" >&2; exit 2; }
[ -e "$dir/dovecot" ] || [ -e "$dir/postfix" ] || peers_die "$dir is not a mail peers directory"

status=0
peers_stop "$dir" || status=1
if [ "$keep" = 0 ] && [ -e "$dir/.made-by-start" ]; then
  rm -rf "$dir"
fi
exit $status
