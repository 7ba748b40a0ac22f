#!/usr/bin/env bash
# Prints the desktop app's start-to-first-paint time and its memory (RSS) at idle under Xvfb.
#   bench/startup.sh [BINARY] [RUNS]    default: target/release/mailgrant-desktop if built, else target/debug/mailgrant-desktop; 5 runs
#   ACCOUNTS=100 bench/startup.sh        first adds that many accounts (with `mailgrant add`): the dashboard at scale
# First paint = the first moment the X window shows the rendered welcome screen (not just a blank window).
# Run it inside a display and a D-Bus session, e.g.:
#   dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" bench/startup.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-}
if [ -z "$bin" ]; then
  bin="$root/target/release/mailgrant-desktop"
  [ -x "$bin" ] || bin="$root/target/debug/mailgrant-desktop"
fi
runs=${2:-5}
[ -x "$bin" ] || { echo "no binary at $bin: build it first" >&2; exit 2; }
[ -n "${DISPLAY:-}" ] || { echo "no DISPLAY: run under xvfb-run" >&2; exit 2; }

tree_pids() { # a process and all its descendants (no threads)
  pstree -p -T "$1" 2>/dev/null | grep -o '([0-9]*)' | tr -d '()' || true
}
rss_kib() { # RSS of one process in KiB, 0 if it is gone
  local kib
  kib=$(awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || true)
  echo "${kib:-0}"
}
tree_rss_kib() { # RSS of a process and all its descendants, in KiB
  local total=0 pid
  for pid in $(tree_pids "$1"); do
    total=$((total + $(rss_kib "$pid")))
  done
  echo "$total"
}

echo "binary: $bin ($(du -h "$bin" | cut -f1)), accounts: ${ACCOUNTS:-0}"
# Mesa's GL shader cache lives under XDG_CACHE_HOME. A fresh cache per run would time shader compilation (llvmpipe
# under Xvfb: ~2 s) on every run, which a real user pays once per machine and driver: the runs share one cache, and
# a first, uncounted run fills it (its time is printed as the very first launch).
shader_cache=$(mktemp -d)
trap 'rm -rf "$shader_cache"' EXIT
times=()
for i in $(seq 0 "$runs"); do
  home=$(mktemp -d)
  for n in $(seq "${ACCOUNTS:-0}"); do
    MAILGRANT_HOME="$home/mg" "$bin" add --name "user$n" --email "user$n@contoso.example" \
      --client-id 8c1b5a2e-9d3f-4b6a-8e7c-2f1d0a9b3c4e --tenant contoso.example >/dev/null
  done
  start=$(date +%s%N)
  MAILGRANT_HOME="$home/mg" XDG_DATA_HOME="$home/data" XDG_CACHE_HOME="$shader_cache" XDG_CONFIG_HOME="$home/config" \
    "$bin" >/dev/null 2>&1 &
  pid=$!
  painted=""
  for _ in $(seq 600); do
    win=$(xdotool search --onlyvisible --name '^Mailgrant$' 2>/dev/null | head -1 || true)
    if [ -n "$win" ] && [ "$(import -window "$win" png:- 2>/dev/null | identify -format '%k' - 2>/dev/null || echo 0)" -gt 64 ]; then
      painted=$(date +%s%N)
      break
    fi
    sleep 0.02
  done
  [ -n "$painted" ] || { echo "run $i: never painted" >&2; kill "$pid"; exit 1; }
  ms=$(((painted - start) / 1000000))
  if [ "$i" = 0 ]; then
    echo "first launch with an empty GL shader cache: $ms ms (not counted)"
  else
    times+=("$ms")
  fi
  if [ "$i" = "$runs" ]; then
    sleep 5
    # Per process: "  <executable name> <MiB> MiB" (bench/desktop.sh parses these lines).
    echo "RSS at idle, 5 s after first paint: app + WebKit processes $(( ($(tree_rss_kib "$pid") + 512) / 1024 )) MiB"
    for p in $(tree_pids "$pid"); do
      name=$(tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | head -1 || true)
      [ -n "$name" ] || continue
      printf "  %-24s %6s MiB\n" "$(basename "$name")" "$(( ($(rss_kib "$p") + 512) / 1024 ))"
    done
  fi
  # Wait for this run's own processes only (not for other instances of the same binary someone else may be
  # running): the next run must not find this one still holding the single-instance name.
  mine=$(tree_pids "$pid")
  kill "$pid"; wait "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    alive=""
    for p in $mine; do if kill -0 "$p" 2>/dev/null; then alive=1; fi; done
    [ -n "$alive" ] || break
    sleep 0.1
  done
  sleep 0.3; rm -rf "$home" 2>/dev/null || true
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
echo "start to first paint over $runs runs (ms): $(echo "$sorted" | paste -sd' ' -) median $(echo "$sorted" | sed -n "$(( (runs + 1) / 2 ))p")"
