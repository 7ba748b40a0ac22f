# Shared by bench/startup.sh and bench/window.sh: start a desktop binary on the current X display, time its start
# to first paint, measure its memory, stop it. Source it after `set -euo pipefail`, then call win_init once.
#
#   win_init DIR
#       builds the paint probe (bench/paint-probe.c, Xlib) into DIR
#   win_run BIN TITLE DATA_DIR CACHE_DIR [RSS_AFTER_S]
#       starts BIN with MAILGRANT_HOME=DATA_DIR/mg and XDG_{DATA,CONFIG}_HOME under DATA_DIR, XDG_CACHE_HOME=CACHE_DIR;
#       watches its window (title matching the extended regex TITLE) and sets, in ms since the start:
#         win_shown_ms     the window mapped (shown, painted or not)
#         win_ms           the first painted frame: more than 64 colours (text or icons drawn, not a blank or
#                          one-colour window)
#         win_complete_ms  the first frame from which the window looks as it does at the end (RSS_AFTER_S after the
#                          first paint, 3 s without it): the first screen complete
#       and, with RSS_AFTER_S, after that many seconds from the first paint:
#         win_rss   RSS of the process and all its descendants (the WebKit web and network processes), MiB
#         win_split one line per process: "  <executable name> <MiB> MiB"
#       then stops the process and waits until all of its processes are gone. Returns 1 if it never painted.
#       With WIN_SHOTS=DIR, keeps the first painted frame and the end of each run as DIR/<n>-paint.ppm and
#       DIR/<n>-end.ppm: what the detector counted as painted.
#   win_median N…  the median (the lower middle one of an even count)
# Needs cc and the X11 headers (libx11-dev), and pstree.

win_init() {
  win_probe=$1/paint-probe
  cc -O2 -o "$win_probe" "$(dirname "${BASH_SOURCE[0]}")/paint-probe.c" -lX11
}

win_tree_pids() { # a process and all its descendants (no threads)
  pstree -p -T "$1" 2>/dev/null | grep -o '([0-9]*)' | tr -d '()' || true
}

win_rss_kib() { # RSS of one process in KiB, 0 if it is gone
  local kib
  kib=$(awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || true)
  echo "${kib:-0}"
}

win_stop() { # stops win_pid and waits for its processes only (not other instances of the same binary): the next
  # run must not find this one still holding the single-instance name or its window
  local mine alive p
  mine=$(win_tree_pids "$win_pid")
  kill "$win_pid" 2>/dev/null || true
  wait "$win_pid" 2>/dev/null || true
  for _ in $(seq 100); do
    alive=""
    for p in $mine; do if kill -0 "$p" 2>/dev/null; then alive=1; fi; done
    [ -n "$alive" ] || break
    sleep 0.1
  done
  sleep 0.3
}

win_run() {
  local bin=$1 title=$2 data=$3 cache=$4 rss_after=${5:-} shots=() out total p name n
  win_ms='' win_shown_ms='' win_complete_ms='' win_rss='' win_split='' win_renderer=''
  if [ -n "${WIN_SHOTS:-}" ]; then
    mkdir -p "$WIN_SHOTS"
    n=$(($(find "$WIN_SHOTS" -name '*-paint.ppm' | wc -l) + 1))
    mkdir -p "$WIN_SHOTS/$n" && shots=("$WIN_SHOTS/$n")
  fi
  win_started=$(date +%s%N)
  MAILGRANT_HOME="$data/mg" XDG_DATA_HOME="$data/data" XDG_CONFIG_HOME="$data/config" XDG_CACHE_HOME="$cache" \
    "$bin" >/dev/null 2>&1 &
  win_pid=$!
  if ! out=$("$win_probe" "$title" "$win_started" "$(( ${rss_after:-3} * 1000 ))" "${shots[@]}"); then
    win_stop
    return 1
  fi
  if [ ${#shots[@]} -gt 0 ]; then
    mv "${shots[0]}/paint.ppm" "$WIN_SHOTS/$n-paint.ppm" && mv "${shots[0]}/end.ppm" "$WIN_SHOTS/$n-end.ppm"
    rmdir "${shots[0]}"
  fi
  win_shown_ms=$(sed -n 's/^shown //p' <<<"$out")
  win_ms=$(sed -n 's/^paint //p' <<<"$out")
  win_complete_ms=$(sed -n 's/^complete //p' <<<"$out")
  if [ -n "$rss_after" ]; then
    total=0
    for p in $(win_tree_pids "$win_pid"); do
      total=$((total + $(win_rss_kib "$p")))
      name=$(tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | head -1 || true)
      [ -n "$name" ] || continue
      # The renderer the web process was started with: what the app chose, not a guess at it.
      if [ "$(basename "$name")" = WebKitWebProcess ]; then
        if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx 'WEBKIT_DISABLE_DMABUF_RENDERER=1'; then
          win_renderer=cpu
        else
          win_renderer=default
        fi
      fi
      win_split+=$(printf "  %-24s %6s MiB" "$(basename "$name")" "$(( ($(win_rss_kib "$p") + 512) / 1024 ))")$'\n'
    done
    win_rss=$(( (total + 512) / 1024 ))
  fi
  win_stop
}

win_median() {
  printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"
}
