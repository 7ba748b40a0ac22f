#!/usr/bin/env bash
# The desktop app's three figures in one run:
#   cold start to first paint, RSS at idle with 100 accounts, and the board's filter time with 10,000 rows.
#
#   bash bench/desktop.sh [BINARY]
#
# BINARY defaults to target/release/mailgrant-desktop if built, else target/debug/mailgrant-desktop. This script never builds the
# Rust binary; it builds the UI bundles the board benchmark needs (ui/dist, ui/e2e/.mocks) only if they are missing.
# Without DISPLAY / DBUS_SESSION_BUS_ADDRESS it re-runs itself under dbus-run-session and xvfb-run. (With an
# existing D-Bus session, a Mailgrant already running there would take the benchmark's windows: close it first.)
# Needs xvfb-run, dbus-run-session, xdotool, ImageMagick, pstree, node with ui/node_modules, and /usr/bin/chromium
# (or CHROMIUM=...). Takes about 2 minutes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
self="$root/bench/$(basename "$0")"

if [ -z "${DISPLAY:-}" ] || [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  if [ -n "${MAILGRANT_BENCH_WRAPPED:-}" ]; then
    echo "still no DISPLAY or D-Bus session after re-running under xvfb-run / dbus-run-session" >&2
    exit 2
  fi
  export MAILGRANT_BENCH_WRAPPED=1
  wrap=()
  [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || wrap+=(dbus-run-session --)
  [ -n "${DISPLAY:-}" ] || wrap+=(xvfb-run -a -s "-screen 0 1280x800x24")
  exec "${wrap[@]}" bash "$self" "$@"
fi

bin=${1:-}
if [ -z "$bin" ]; then
  bin="$root/target/release/mailgrant-desktop"
  [ -x "$bin" ] || bin="$root/target/debug/mailgrant-desktop"
  if [ "$bin" = "$root/target/release/mailgrant-desktop" ] && [ "$root/target/debug/mailgrant-desktop" -nt "$bin" ]; then
    echo "note: target/debug/mailgrant-desktop is newer than target/release/mailgrant-desktop; pass it as an argument to measure it"
  fi
fi
if [ ! -x "$bin" ]; then
  cat >&2 <<EOF
no binary at ${1:-target/release/mailgrant-desktop or target/debug/mailgrant-desktop}. Build it first (this script does not):
  cd ui && npm run build && cd .. && cargo build -p mailgrant --release    # or without --release
EOF
  exit 2
fi
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

started=$(date +%s)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== 1/3 cold start to first paint: 3 runs, no accounts =="
bash "$root/bench/startup.sh" "$bin" 3 | tee "$out/cold"

echo
echo "== 2/3 RSS at idle with 100 accounts =="
ACCOUNTS=100 bash "$root/bench/startup.sh" "$bin" 1 | tee "$out/accounts"

echo
echo "== 3/3 client-secret board with 10,000 rows (built UI, IPC mocked, headless Chromium) =="
ui="$root/ui"
if [ ! -d "$ui/node_modules" ]; then
  echo "no ui/node_modules: run  cd ui && npm ci  first" >&2
  exit 2
fi
if [ ! -f "$ui/dist/index.html" ]; then
  echo "building ui/dist (npm run build)"
  (cd "$ui" && npm run build >"$out/ui-build.log" 2>&1) || { cat "$out/ui-build.log" >&2; exit 1; }
elif [ -n "$(find "$ui/src" "$ui/index.html" -newer "$ui/dist/index.html" -type f -print -quit)" ]; then
  echo "note: ui/src has changed since ui/dist was built; run  cd ui && npm run build  to measure the current UI"
fi
if [ ! -f "$ui/e2e/.mocks/mocks.js" ]; then
  echo "building ui/e2e/.mocks/mocks.js (npm run build:mocks)"
  (cd "$ui" && npm run build:mocks >"$out/mocks-build.log" 2>&1) || { cat "$out/mocks-build.log" >&2; exit 1; }
fi
(cd "$ui" && node e2e/board-bench.mjs 10000) | tee "$out/board"

# --- summary, parsed from the output above ---
field() { # field FILE SED-EXPRESSION: the first line the expression rewrites, or fail
  local v
  v=$(sed -n "$2" "$1" | head -1)
  [ -n "$v" ] || { echo "could not parse $(basename "$1") output with: $2" >&2; exit 1; }
  echo "$v"
}
cold_median=$(field "$out/cold" 's/^start to first paint over .* median \([0-9]*\)$/\1/p')
cold_runs=$(field "$out/cold" 's/^start to first paint over .*(ms): \(.*\) median.*$/\1/p')
first_launch=$(field "$out/cold" 's/^first launch with an empty GL shader cache: \([0-9]*\) ms.*$/\1/p')
rss_total=$(field "$out/accounts" 's/^RSS at idle.*processes \([0-9]*\) MiB$/\1/p')
rss_split=$(sed -n '/^RSS at idle/,/^[^ ]/s/^  *\([^ ].*[^ ]\)  *\([0-9][0-9]*\) MiB$/\1 \2/p' "$out/accounts" | paste -sd, - | sed 's/,/, /g')
render=$(field "$out/board" 's/^  first render.*: \([0-9]*\) ms$/\1/p')
board=$(field "$out/board" 's/^  all \([0-9]*\) changes: DOM updated median \([0-9.]*\) ms, p95 \([0-9.]*\) ms; next frame median \([0-9.]*\) ms, p95 \([0-9.]*\) ms$/\1 \2 \3 \4 \5/p')
read -r n_changes dom_median dom_p95 frame_median frame_p95 <<<"$board"

echo
echo "== Summary: $(basename "$(dirname "$bin")") build, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(($(date +%s) - started)) s =="
echo "Cold start to first paint:      median ${cold_median} ms of 3 runs (${cold_runs} ms); fresh process and data home each run; OS file and GL shader caches warm (${first_launch} ms with an empty shader cache)"
echo "RSS at idle with 100 accounts:  ${rss_total} MiB total, 5 s after first paint (${rss_split:-no split}; MiB)"
echo "Board filter, 10,000 rows:      median ${frame_median} ms, p95 ${frame_p95} ms to the next frame (DOM updated ${dom_median} / ${dom_p95} ms; ${n_changes} filter and search changes); first render ${render} ms"
