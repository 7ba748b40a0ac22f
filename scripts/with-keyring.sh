#!/usr/bin/env bash
# Runs CMD with a throwaway, unlocked gnome-keyring as the Secret Service of the current D-Bus session, so tests can
# use the real keychain without touching the user's: the keyrings live in a temporary directory (not under
# $HOME or $XDG_DATA_HOME), and the daemon is stopped and the directory removed afterwards. Exits with CMD's status.
#
# Usage: dbus-run-session -- scripts/with-keyring.sh CMD [ARG]...
#   e.g. dbus-run-session -- scripts/with-keyring.sh cargo test --workspace
set -euo pipefail

die() {
  echo "with-keyring: $*" >&2
  exit 1
}
[ $# -gt 0 ] || { sed -n '6,7s/^# \{0,1\}//p' "$0" >&2; exit 2; }
[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] ||
  die "no D-Bus session bus: run this under dbus-run-session -- $0 $*"
for cmd in gnome-keyring-daemon dbus-send; do
  command -v "$cmd" >/dev/null || die "$cmd is missing: run scripts/install-deps.sh test"
done

secrets_owned() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}
# Another Secret Service on this bus could be the user's real keyring: never write into it.
if secrets_owned; then
  die "a Secret Service already runs on this D-Bus session (the real keyring?): start a fresh one with dbus-run-session"
fi

home=$(mktemp -d "${TMPDIR:-/tmp}/mailgrant-keyring.XXXXXX")
mkdir -m 700 "$home/data" "$home/runtime"
daemon=''
cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
  if [ -n "$daemon" ]; then
    kill "$daemon" 2>/dev/null || true
    wait "$daemon" 2>/dev/null || true
  fi
  rm -rf "$home"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# The login keyring is created (or unlocked) with this password, read from stdin; it is the default collection.
# In the foreground, so $! is the daemon itself. Its keyrings go to $XDG_DATA_HOME/keyrings, its control socket to
# $XDG_RUNTIME_DIR/keyring; HOME points into the throwaway directory as well, for anything else it might write.
printf '%s' "mailgrant-test-keyring" |
  HOME=$home XDG_DATA_HOME=$home/data XDG_RUNTIME_DIR=$home/runtime XDG_CONFIG_HOME=$home/config \
    XDG_CACHE_HOME=$home/cache gnome-keyring-daemon --foreground --unlock --components=secrets \
    >"$home/daemon.log" 2>&1 &
daemon=$!

for ((i = 0; ; i++)); do
  secrets_owned && break
  kill -0 "$daemon" 2>/dev/null || die "gnome-keyring-daemon ended: $(cat "$home/daemon.log")"
  [ "$i" -lt 500 ] || die "gnome-keyring-daemon did not take the Secret Service name in 10 s: $(cat "$home/daemon.log")"
  sleep 0.02
done
# Clients find the keyring through D-Bus; this is for tools that look for the control socket.
export GNOME_KEYRING_CONTROL=$home/runtime/keyring

status=0
"$@" || status=$?
# A failure while the keyring daemon itself had crashed says nothing about the code under test (D-Bus then
# activates the user's locked keyring, and every later keychain call fails): report it as such, with exit code 75
# (EX_TEMPFAIL), so a caller may run the suite again in a fresh session.
if [ "$status" -ne 0 ] && ! kill -0 "$daemon" 2>/dev/null; then
  echo "with-keyring: gnome-keyring-daemon died during the run; its log:" >&2
  cat "$home/daemon.log" >&2 || true
  exit 75
fi
exit "$status"
