#!/usr/bin/env bash
# Issue 16 ("Speed") in one run: the credential helper beside secret-tool (bench/credential-helper.sh), then the app's
# window beside a bare Tauri window (bench/window.sh), then the .deb and .rpm made from the release binaries just
# measured (scripts/package.sh --no-build), then one summary of the ratios, the goals and the sizes.
#
#   bash bench/speed.sh [ROUNDS] [APP_BINARY]      ROUNDS of bench/window.sh (default 7)
#
# bench/credential-helper.sh builds what it measures (`mailgrant` in release, the emulator and the scripted browser in
# debug); bench/window.sh builds the bare window if needed and never the app (it says how). Each runs in a D-Bus
# session and a throwaway keyring of its own. About 6 minutes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
started=$(date +%s)

echo "== 1/3 the credential helper (bench/credential-helper.sh) =="
bash "$root/bench/credential-helper.sh" | tee "$out/helper"
echo
echo "== 2/3 the window (bench/window.sh) =="
bash "$root/bench/window.sh" "$@" | tee "$out/window"
echo
echo "== 3/3 the packages (scripts/package.sh --no-build: the release binaries measured above) =="
bash "$root/scripts/package.sh" --no-build | tee "$out/packages"

field() { # field FILE SED-EXPRESSION: the first line the expression rewrites, or "?"
  local v
  v=$(sed -n "$2" "$1" | head -1)
  echo "${v:-?}"
}
echo
echo "== Issue 16, speed: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(($(date +%s) - started)) s =="
echo "Credential helper (ratios of medians):"
sed -n '/^ratios (issue 16/,/^$/{/^  /p}' "$out/helper"
echo "Window (ratios of medians to the bare Tauri window):"
echo "  first paint, no account:  $(field "$out/window" 's/^  app, no account  *[0-9]* ms   \([0-9.]*×\) the bare window   (goal.*$/\1/p')"
echo "  first screen complete:    $(field "$out/window" '/^Start to first screen complete/,/^[A-Z]/s/^  app, no account  *[0-9]* ms   \([0-9.]*×\).*$/\1/p')"
echo "  RSS, no account:          $(field "$out/window" 's/^  app, no account  *[0-9]* MiB   \([0-9.]*×\) the bare window.*$/\1/p')"
echo "  RSS, 100 accounts:        $(field "$out/window" 's/^  app, 100 accounts  *[0-9]* MiB   \([0-9.]*×\) the bare window.*$/\1/p')"
echo "  like with like, the bare window drawn as the app draws: first paint $(field "$out/window" 's/^  bare window, drawn as the app draws  *[0-9]* ms   (the app: \([0-9.]*×\))$/\1/p'), RSS with 100 accounts $(field "$out/window" 's/^  bare window, drawn as the app draws  *[0-9]* MiB .*(the app with 100 accounts: \([0-9.]*×\))$/\1/p')"
sed -n 's/^  the app.s renderer here: \(.*\)$/  renderer: \1/p' "$out/window"
sed -n 's/^Goals (issue 16): \(.*\)$/  goals: \1/p' "$out/window"
echo "Sizes:"
sed -n 's/^Binaries (release, stripped): \(.*\)$/  binaries (release, stripped): \1/p' "$out/window"
stat -c '%s %n' $(grep -o '/[^[:space:]]*\.\(deb\|rpm\)$' "$out/packages") |
  awk '{ n = split($2, path, "/"); printf "  package %s: %.1f MB\n", path[n], $1 / 1e6 }'
