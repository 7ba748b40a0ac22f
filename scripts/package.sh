#!/usr/bin/env bash
# Builds Mailgrant's Linux packages with the project's own Tauri bundler (@tauri-apps/cli): a .deb and an .rpm
# with the desktop app (/usr/bin/mailgrant-desktop), the `mailgrant` command in /usr/bin (mailgrant-cli's
# binary, without the webview stack), the menu entry, the icon in every hicolor size and the
# mailgrant:// link handler. Installs what is missing first.
#
# Usage: scripts/package.sh [--debug] [--no-build] [--bundles deb,rpm]
#   --debug      package the debug profile instead of release
#   --no-build   package the binary that is already built (`tauri bundle`), e.g. the one the test command built
#   --bundles    which packages (default: deb,rpm; appimage needs network to fetch its tools)
# Prints the paths and sizes of the packages. They land in $CARGO_TARGET_DIR (default target/)/<profile>/bundle/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
debug=() build=build bundles=deb,rpm
while [ $# -gt 0 ]; do
  case $1 in
    --debug) debug=(--debug); shift ;;
    --no-build) build=bundle; shift ;;
    --bundles) bundles=${2:?}; shift 2 ;;
    -h | --help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "package.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
bash scripts/install-deps.sh build

# The bundler resolves a relative CARGO_TARGET_DIR against src-tauri/: make it absolute.
target=${CARGO_TARGET_DIR:-$root/target}
[[ $target == /* ]] || target=$root/$target
export CARGO_TARGET_DIR=$target
profile=release
[ ${#debug[@]} -eq 0 ] || profile=debug
bins=(mailgrant)
if [ "$build" = build ]; then
  release=()
  [ "$profile" = debug ] || release=(--release)
  cargo build --quiet "${release[@]}" -p mailgrant-cli --bin mailgrant
else
  bins+=(mailgrant-desktop)
fi
for bin in "${bins[@]}"; do
  [ -x "$target/$profile/$bin" ] || { echo "package.sh: $target/$profile/$bin is not built" >&2; exit 1; }
done
# The UI is built into ui/dist before the binary embeds it (tauri build runs beforeBuildCommand itself).
[ "$build" = build ] || npm --prefix ui run --silent build

rm -rf "$target/$profile/bundle/deb" "$target/$profile/bundle/rpm"
# The bundler packages the app's own binary; the command line joins it in /usr/bin (its path depends on the
# target directory, so it is given here rather than in tauri.conf.json).
cli_file=$(printf '{"/usr/bin/mailgrant":"%s"}' "$target/$profile/mailgrant")
extra=$(printf '{"bundle":{"linux":{"deb":{"files":%s},"rpm":{"files":%s}}}}' "$cli_file" "$cli_file")
"$root/ui/node_modules/.bin/tauri" "$build" "${debug[@]}" --ci --bundles "$bundles" --config "$extra"

shopt -s nullglob
packages=("$target/$profile/bundle/deb/"*.deb "$target/$profile/bundle/rpm/"*.rpm)
[ ${#packages[@]} -gt 0 ] || { echo "package.sh: the bundler made no package" >&2; exit 1; }
for p in "${packages[@]}"; do
  printf '%s\t%s\n' "$(du -h "$p" | cut -f1)" "$p"
done
