#!/usr/bin/env bash
# Builds Mailgrant's Linux packages with the project's own Tauri bundler (@tauri-apps/cli): a .deb and an .rpm
# with the desktop app, the `mailgrant` command in /usr/bin, the menu entry, the icon in every hicolor size and the
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
if [ "$build" = bundle ] && [ ! -x "$target/$profile/mailgrant" ]; then
  echo "package.sh: --no-build, but $target/$profile/mailgrant is not built" >&2
  exit 1
fi
# The UI is built into ui/dist before the binary embeds it (tauri build runs beforeBuildCommand itself).
[ "$build" = build ] || npm --prefix ui run --silent build

rm -rf "$target/$profile/bundle/deb" "$target/$profile/bundle/rpm"
"$root/ui/node_modules/.bin/tauri" "$build" "${debug[@]}" --ci --bundles "$bundles"

shopt -s nullglob
packages=("$target/$profile/bundle/deb/"*.deb "$target/$profile/bundle/rpm/"*.rpm)
[ ${#packages[@]} -gt 0 ] || { echo "package.sh: the bundler made no package" >&2; exit 1; }
for p in "${packages[@]}"; do
  printf '%s\t%s\n' "$(du -h "$p" | cut -f1)" "$p"
done
