#!/usr/bin/env bash
# Prints the desktop app's start-to-first-paint time and its memory (RSS) at idle under Xvfb.
#   bench/startup.sh [BINARY] [RUNS]    default: target/release/mailgrant-desktop if built, else target/debug/mailgrant-desktop; 5 runs
#   ACCOUNTS=100 bench/startup.sh        first adds that many accounts (with `mailgrant add`): the dashboard at scale
#   TITLE='^Bare window$' bench/startup.sh …/bare-window   another app's window (default '^Mailgrant$')
# First paint = the first frame of the X window with more than 64 colours (text or icons drawn, not a blank or
# one-colour window); complete = the first frame from which the window looks as it does 3 s later (bench/paint-probe.c).
# bench/window.sh runs this measurement for the app and a bare Tauri window in turn.
# Run it inside a display and a D-Bus session, e.g.:
#   dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" bench/startup.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/bench/window-lib.sh"
bin=${1:-}
if [ -z "$bin" ]; then
  bin="$root/target/release/mailgrant-desktop"
  [ -x "$bin" ] || bin="$root/target/debug/mailgrant-desktop"
fi
runs=${2:-5}
title=${TITLE:-^Mailgrant\$}
[ -x "$bin" ] || { echo "no binary at $bin: build it first" >&2; exit 2; }
[ -n "${DISPLAY:-}" ] || { echo "no DISPLAY: run under xvfb-run" >&2; exit 2; }

echo "binary: $bin ($(du -h "$bin" | cut -f1)), accounts: ${ACCOUNTS:-0}"
# Mesa's GL shader cache lives under XDG_CACHE_HOME. A fresh cache per run would time shader compilation (llvmpipe
# under Xvfb: ~2 s) on every run, which a real user pays once per machine and driver: the runs share one cache, and
# a first, uncounted run fills it (its time is printed as the very first launch).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/seed" "$work/cache"
win_init "$work"
# The accounts are added once, with the command line beside the app if it is there (no GTK or WebKit to load),
# and each run starts from a copy.
add=$bin
[ ! -x "$(dirname "$bin")/mailgrant" ] || add=$(dirname "$bin")/mailgrant
for n in $(seq "${ACCOUNTS:-0}"); do
  MAILGRANT_HOME="$work/seed/mg" "$add" add --name "user$n" --email "user$n@contoso.example" \
    --client-id 8c1b5a2e-9d3f-4b6a-8e7c-2f1d0a9b3c4e --tenant contoso.example >/dev/null
done
times=() completes=()
for i in $(seq 0 "$runs"); do
  rm -rf "$work/home" && cp -a "$work/seed" "$work/home"
  rss_after=''
  [ "$i" != "$runs" ] || rss_after=5
  win_run "$bin" "$title" "$work/home" "$work/cache" $rss_after || { echo "run $i: never painted" >&2; exit 1; }
  if [ "$i" = 0 ]; then
    echo "first launch with an empty GL shader cache: $win_ms ms (not counted)"
  else
    times+=("$win_ms")
    completes+=("$win_complete_ms")
  fi
  if [ -n "$rss_after" ]; then
    # Per process: "  <executable name> <MiB> MiB" (bench/desktop.sh parses these lines).
    echo "RSS at idle, 5 s after first paint: app + WebKit processes $win_rss MiB"
    printf '%s' "$win_split"
  fi
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
echo "start to first paint over $runs runs (ms): $(echo "$sorted" | paste -sd' ' -) median $(win_median "${times[@]}")"
echo "start to first screen complete over $runs runs (ms): $(printf '%s\n' "${completes[@]}" | sort -n | paste -sd' ' -) median $(win_median "${completes[@]}")"
