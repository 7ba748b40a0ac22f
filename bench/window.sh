#!/usr/bin/env bash
# The desktop app beside a bare Tauri 2 window (bench/bare-window: one window, one static page, the same tauri,
# release profile and window size), side by side in one run under Xvfb:
#   - start to first paint (a frame with more than 64 colours) and to the first screen complete (the first frame
#     from which the window looks as it does 5 s later; bench/paint-probe.c), runs alternated (app, bare, app with
#     100 accounts, bare, and the bare window drawing as the app chooses to, …): medians and ratios;
#   - idle RSS 5 s after first paint (the process and its WebKit web and network processes), with 0 and with 100
#     accounts, vs the bare window: medians and ratios;
#   - binary sizes, and the JS and CSS the UI ships: all of it, and what its first screen loads (ui/e2e/shipped-bytes.mjs).
# Issue 16's goals: first paint ≤ 1.1× the bare window; RSS with 100 accounts ≤ 1.15× the bare window.
#
#   bash bench/window.sh [ROUNDS] [APP_BINARY]     default 7 rounds; target/release/mailgrant-desktop
#
# It builds the bare window if it is missing or out of date (cargo, into $CARGO_TARGET_DIR/bench-bare, default
# target/bench-bare; a few minutes the first time), and never the app (it says how). It re-runs itself in a D-Bus
# session of its own with a throwaway keyring (scripts/with-keyring.sh) on a virtual display (xvfb-run), so it never
# meets your Mailgrant or your keychain. Needs xvfb-run, dbus-run-session, gnome-keyring, xdotool, ImageMagick,
# pstree, cc and libx11-dev; node with ui/node_modules and /usr/bin/chromium for the UI sizes. Takes about 5 minutes with 7 rounds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
self="$root/bench/$(basename "$0")"
rounds=${1:-7}
target=${CARGO_TARGET_DIR:-$root/target}

if [ -z "${MAILGRANT_WINDOW_BENCH_WRAPPED:-}" ]; then
  export MAILGRANT_WINDOW_BENCH_WRAPPED=1
  app=${2:-$target/release/mailgrant-desktop}
  if [ ! -x "$app" ]; then
    cat >&2 <<EOF
no app at $app. Build it first (this script does not build the app):
  cd ui && npm run build && cd .. && cargo build --release -p mailgrant && cargo build --release -p mailgrant-cli
EOF
    exit 2
  fi
  bare_target=$target/bench-bare
  echo "building the bare window if needed (CARGO_TARGET_DIR=$bare_target)"
  CARGO_TARGET_DIR=$bare_target cargo build --quiet --release --manifest-path "$root/bench/bare-window/Cargo.toml"
  export MAILGRANT_BENCH_APP=$(cd "$(dirname "$app")" && pwd)/$(basename "$app")
  export MAILGRANT_BENCH_BARE=$bare_target/release/bare-window
  exec dbus-run-session -- bash "$root/scripts/with-keyring.sh" \
    xvfb-run -a -s "-screen 0 1280x800x24" bash "$self" "$rounds"
fi

source "$root/bench/window-lib.sh"
# The app chooses WebKit's renderer itself (without a GPU render node it turns the DMA-BUF renderer off); the bare
# window gets WebKit's default, and once more the app's choice (bare-cpu).
unset WEBKIT_DISABLE_DMABUF_RENDERER
app=$MAILGRANT_BENCH_APP
bare=$MAILGRANT_BENCH_BARE
cli=$(dirname "$app")/mailgrant
[ -x "$cli" ] || cli=$app # the desktop binary runs subcommands too
started=$(date +%s)

# Like with like: the same tauri stack and the same release profile as the workspace.
for crate in tauri wry tao webkit2gtk; do
  ours=$(grep -A1 "^name = \"$crate\"$" "$root/Cargo.lock" | sed -n 's/^version = //p')
  theirs=$(grep -A1 "^name = \"$crate\"$" "$root/bench/bare-window/Cargo.lock" | sed -n 's/^version = //p')
  [ "$ours" = "$theirs" ] || echo "WARNING: $crate is $ours in Cargo.lock but $theirs in bench/bare-window/Cargo.lock"
done
profile() { sed -n '/^\[profile\.release\]$/,/^\[/{/^[a-z-]* = /p}' "$1"; }
[ "$(profile "$root/Cargo.toml")" = "$(profile "$root/bench/bare-window/Cargo.toml")" ] ||
  echo "WARNING: bench/bare-window's [profile.release] differs from the workspace's"
ui_dist=$root/ui/dist/index.html
if [ -f "$ui_dist" ] && [ "$ui_dist" -nt "$app" ]; then
  echo "note: ui/dist is newer than the app binary, which embeds the UI it was built with: rebuild the app to measure it"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/none" "$work/hundred" "$work/cache"
win_init "$work"
for n in $(seq 100); do
  MAILGRANT_HOME="$work/hundred/mg" "$cli" add --name "user$n" --email "user$n@contoso.example" \
    --client-id 8c1b5a2e-9d3f-4b6a-8e7c-2f1d0a9b3c4e --tenant contoso.example >/dev/null
done

# One run: KIND (app, app100, bare) → appends "paint-ms rss-MiB complete-ms shown-ms" to $work/KIND, prints a line.
run() {
  local kind=$1 bin=$app title='^Mailgrant$' seed=$work/none
  case $kind in
    app100) seed=$work/hundred ;;
    bare) bin=$bare title='^Bare window$' ;;
    # The bare window drawing as the app does without a GPU (src-tauri/core/src/desktop.rs): like with like.
    bare-cpu) bin=$bare title='^Bare window$' && export WEBKIT_DISABLE_DMABUF_RENDERER=1 ;;
  esac
  rm -rf "$work/home" && cp -a "$seed" "$work/home"
  win_run "$bin" "$title" "$work/home" "$work/cache" 5 || { echo "$kind: never painted" >&2; exit 1; }
  unset WEBKIT_DISABLE_DMABUF_RENDERER
  echo "$win_ms $win_rss $win_complete_ms $win_shown_ms" >>"$work/$kind"
  [ "$kind" != app ] || echo "$win_renderer" >"$work/renderer"
  printf '%s\n' "$win_split" | sed -n 's/^ *\([^ ].*[^ ]\)  *\([0-9]*\) MiB$/\1 \2/p' | sed "s/^$(basename "$bin") /main /" >>"$work/$kind.split"
  printf '  %-7s shown %5s ms, paint %5s ms, complete %5s ms, %4s MiB\n' "$kind" "$win_shown_ms" "$win_ms" "$win_complete_ms" "$win_rss"
}

# Mesa's shader cache (under XDG_CACHE_HOME) is shared by all runs, as a user's is: one uncounted run of each
# fills it and the OS file cache first.
echo "warming up (not counted): one run of each"
run app >/dev/null && run bare >/dev/null && run app100 >/dev/null && run bare-cpu >/dev/null
rm -f "$work/app" "$work/bare" "$work/app100" "$work/bare-cpu" "$work"/*.split
echo "$rounds rounds of: app (no account), bare window, app (100 accounts), bare window, bare window drawing as the app"
for r in $(seq "$rounds"); do
  echo "round $r"
  run app
  run bare
  run app100
  run bare
  run bare-cpu
done

median_of() { win_median $(cut -d' ' -f"$2" "$work/$1"); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
split_of() { # the median MiB of each process kind
  for p in main WebKitWebProcess WebKitNetworkProcess; do
    printf '%s %s, ' "$p" "$(win_median $(awk -v p="$p" '$1 == p {print $2}' "$work/$1.split"))"
  done | sed 's/, $//'
}
mb() { stat -c %s "$1" | awk '{printf "%.1f MB", $1 / 1e6}'; }
verdict() { awk -v r="$1" -v g="$2" 'BEGIN { printf "%s× (goal ≤ %s×): %s", r, g, (r <= g ? "met" : "not met") }'; }

paint_app=$(median_of app 1) paint_app100=$(median_of app100 1) paint_bare=$(median_of bare 1)
rss_app=$(median_of app 2) rss_app100=$(median_of app100 2) rss_bare=$(median_of bare 2)
done_app=$(median_of app 3) done_app100=$(median_of app100 3) done_bare=$(median_of bare 3)
shown_app=$(median_of app 4) shown_app100=$(median_of app100 4) shown_bare=$(median_of bare 4)
paint_cpu=$(median_of bare-cpu 1) rss_cpu=$(median_of bare-cpu 2)
case $(cat "$work/renderer" 2>/dev/null) in
  cpu) renderer="the app turned WebKit's DMA-BUF renderer off (no GPU render node, or software OpenGL asked for)" ;;
  default) renderer="WebKit's default (its DMA-BUF renderer)" ;;
  *) renderer="not seen (the web process had gone before it was read)" ;;
esac

ui_sizes=''
if [ -f "$ui_dist" ] && [ -d "$root/ui/node_modules" ] && [ -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  if [ ! -f "$root/ui/e2e/.mocks/mocks.js" ]; then
    (cd "$root/ui" && npm run --silent build:mocks -- --logLevel warn)
  fi
  ui_sizes=$(cd "$root/ui" && node e2e/shipped-bytes.mjs 2>&1) || ui_sizes="could not measure: $ui_sizes"
else
  ui_sizes="not measured: needs ui/dist (npm run build), ui/node_modules and Chromium"
fi

cat <<EOF

== Window: the app vs a bare Tauri window, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $rounds rounds, $(($(date +%s) - started)) s ==
Start to first paint, > 64 colours (median; Xvfb, software GL, shader cache warm):
  app, no account           $paint_app ms   $(ratio "$paint_app" "$paint_bare")× the bare window   (goal ≤ 1.1×)
  app, 100 accounts         $paint_app100 ms   $(ratio "$paint_app100" "$paint_bare")× the bare window
  bare window               $paint_bare ms
  bare window, drawn as the app draws   $paint_cpu ms   (the app: $(ratio "$paint_app" "$paint_cpu")×)
  runs (ms): app $(cut -d' ' -f1 "$work/app" | paste -sd' ' -); bare $(cut -d' ' -f1 "$work/bare" | paste -sd' ' -); app100 $(cut -d' ' -f1 "$work/app100" | paste -sd' ' -); bare drawn as the app $(cut -d' ' -f1 "$work/bare-cpu" | paste -sd' ' -)
  the app's renderer here: $renderer
Of which start to the window shown (mapped, painted or not; median):
  app, no account           $shown_app ms   $(ratio "$shown_app" "$shown_bare")× the bare window
  app, 100 accounts         $shown_app100 ms   $(ratio "$shown_app100" "$shown_bare")× the bare window
  bare window               $shown_bare ms
Start to first screen complete, as it looks 5 s later (median):
  app, no account           $done_app ms   $(ratio "$done_app" "$done_bare")× the bare window
  app, 100 accounts         $done_app100 ms   $(ratio "$done_app100" "$done_bare")× the bare window
  bare window               $done_bare ms
RSS at idle, 5 s after first paint (median; process + WebKit web and network processes):
  app, no account           $rss_app MiB   $(ratio "$rss_app" "$rss_bare")× the bare window   ($(split_of app))
  app, 100 accounts         $rss_app100 MiB   $(ratio "$rss_app100" "$rss_bare")× the bare window   ($(split_of app100))   (goal ≤ 1.15×)
  bare window               $rss_bare MiB   ($(split_of bare))
  bare window, drawn as the app draws   $rss_cpu MiB   ($(split_of bare-cpu))   (the app with 100 accounts: $(ratio "$rss_app100" "$rss_cpu")×)
Binaries (release, stripped): mailgrant-desktop $(mb "$app"), mailgrant $( [ "$cli" != "$app" ] && mb "$cli" || echo "not built"), bare-window $(mb "$bare")
UI shipped:
$(printf '%s\n' "$ui_sizes" | sed 's/^/  /')
Goals (issue 16): first paint $(verdict "$(ratio "$paint_app" "$paint_bare")" 1.1); RSS with 100 accounts $(verdict "$(ratio "$rss_app100" "$rss_bare")" 1.15)
EOF
