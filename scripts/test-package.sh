#!/usr/bin/env bash
# The installed package, tested for real (the test command runs this after the Rust tests, inside their D-Bus
# session, keyring and Xvfb): bundles a .deb from the debug build the tests just made (no second build), checks
# it (desktop-file-validate, lintian), installs it with apt-get, and then, with every XDG directory temporary:
# `mailgrant --version` from PATH; the package's desktop file is the mailgrant:// handler (xdg-mime); the
# installed app starts and paints its window; a sign-in waiting in deep-link mode completes through
# `xdg-open 'mailgrant://auth?…'` (tests/tests/installed_package.rs); removing the package removes the binary and
# the desktop file and leaves the user's config and keychain entries. The package is removed again on any exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
fail() { echo "package test: $*" >&2; exit 1; }
for cmd in xdotool import identify secret-tool xdg-mime desktop-file-validate lintian dpkg-deb; do
  command -v "$cmd" >/dev/null || fail "$cmd is missing: run scripts/install-deps.sh test"
done
[ -n "${DISPLAY:-}" ] && [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || fail "needs Xvfb and a D-Bus session (scripts/test.sh)"
if dpkg-query -W -f='${Status}' mailgrant 2>/dev/null | grep -q "install ok installed"; then
  fail "a mailgrant package is already installed on this machine; the test won't replace it"
fi

echo "==> bundling a .deb from the test build"
bash scripts/package.sh --debug --no-build --bundles deb >/dev/null
target=${CARGO_TARGET_DIR:-$root/target}
[[ $target == /* ]] || target=$root/$target
deb=$(ls "$target"/debug/bundle/deb/*.deb)
echo "$deb ($(du -h "$deb" | cut -f1))"

work=$(mktemp -d "${TMPDIR:-/tmp}/mailgrant-package.XXXXXX")
app_pid=''
cleanup() {
  local status=$?
  [ -z "$app_pid" ] || kill "$app_pid" 2>/dev/null || true
  if dpkg-query -W -f='${Status}' mailgrant 2>/dev/null | grep -q "install ok installed"; then
    "${sudo[@]}" apt-get remove -y -qq mailgrant >/dev/null 2>&1 || "${sudo[@]}" dpkg -r mailgrant >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

echo "==> what is in it"
dpkg-deb -f "$deb" Package Version Depends Recommends
dpkg-deb -x "$deb" "$work/unpacked"
desktop=$(ls "$work"/unpacked/usr/share/applications/*.desktop)
desktop_name=$(basename "$desktop")
desktop-file-validate "$desktop" || fail "$desktop_name does not validate"
grep -qx 'Exec=mailgrant-desktop %u' "$desktop" || fail "$desktop_name: Exec is not 'mailgrant-desktop %u'"
[ -x "$work/unpacked/usr/bin/mailgrant" ] || fail "no /usr/bin/mailgrant (the command line)"
# The command line links none of the desktop's webview stack (that is what makes it quick to start).
! ldd "$work/unpacked/usr/bin/mailgrant" | grep -E 'libgtk|libwebkit|libjavascriptcore' || fail "/usr/bin/mailgrant links the webview stack"
grep -q '^MimeType=.*x-scheme-handler/mailgrant;' "$desktop" || fail "$desktop_name does not handle mailgrant://"
for size in 16x16 24x24 32x32 48x48 64x64 128x128 256x256 512x512; do
  [ -f "$work/unpacked/usr/share/icons/hicolor/$size/apps/mailgrant-desktop.png" ] || fail "no $size icon"
done
[ -f "$work/unpacked/usr/share/icons/hicolor/scalable/apps/mailgrant-desktop.svg" ] || fail "no scalable icon"
echo "==> lintian (errors fail; warnings are listed)"
lintian --fail-on error --suppress-tags-from-file "$root/packaging/lintian-debug-build" "$deb" || fail "lintian found errors"

echo "==> apt-get install $deb"
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "$deb" >/dev/null
[ "$(command -v mailgrant)" = /usr/bin/mailgrant ] || fail "mailgrant on PATH is $(command -v mailgrant)"
[ -x /usr/bin/mailgrant-desktop ] || fail "no /usr/bin/mailgrant-desktop"
version=$(mailgrant --version)
[ "$version" = "mailgrant $(dpkg-deb -f "$deb" Version)" ] || fail "mailgrant --version says: $version"
echo "$version"

# Everything the test touches from here on lives in temporary XDG directories.
export XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data XDG_CACHE_HOME=$work/cache
mkdir -p "$XDG_CONFIG_HOME" "$XDG_DATA_HOME" "$XDG_CACHE_HOME"
handler=$(xdg-mime query default x-scheme-handler/mailgrant)
[ "$handler" = "$desktop_name" ] || fail "xdg-mime names '$handler' for mailgrant://, not $desktop_name"
echo "mailgrant:// opens with $handler"

echo "==> the installed app starts (\`mailgrant\` with no subcommand hands over to mailgrant-desktop) and paints its window"
MAILGRANT_HOME=$work/paint mailgrant >"$work/app.log" 2>&1 &
app_pid=$!
painted=0
for _ in $(seq 1 120); do
  window=$(xdotool search --onlyvisible --name '^Mailgrant$' 2>/dev/null | head -n 1 || true)
  if [ -n "$window" ] && import -window "$window" "$work/window.png" 2>/dev/null; then
    colours=$(identify -format '%k' "$work/window.png")
    # The unpainted frame has ~120 colours; a painted screen hundreds (anti-aliased text).
    if [ "$colours" -gt 300 ]; then painted=1; break; fi
  fi
  kill -0 "$app_pid" 2>/dev/null || fail "the installed app exited: $(cat "$work/app.log")"
  sleep 0.5
done
[ "$painted" = 1 ] || fail "the installed app never painted its window: $(cat "$work/app.log")"
[ -z "${MAILGRANT_ARTIFACTS:-}" ] || cp "$work/window.png" "$MAILGRANT_ARTIFACTS/package-installed-app.png"
kill "$app_pid"
wait "$app_pid" 2>/dev/null || true
app_pid=''
echo "painted ($colours colours)"

echo "==> a deep link through the OS completes the sign-in waiting in the installed app"
export MAILGRANT_PACKAGE_TEST_HOME=$work/home MAILGRANT_INSTALLED=/usr/bin/mailgrant
mkdir -p "$MAILGRANT_PACKAGE_TEST_HOME"
cargo test -q --workspace --features mailgrant-tests/installed-package --test installed_package

echo "==> removing the package leaves the user's config and keychain entries"
service=$(MAILGRANT_HOME=$work/home/mailgrant mailgrant where | sed -n 's/^keychain service *//p')
[ -n "$service" ] || fail "mailgrant where names no keychain service"
[ -n "$(secret-tool search --all service "$service" 2>/dev/null)" ] || fail "no keychain entry for $service after the sign-in"
"${sudo[@]}" apt-get remove -y -qq mailgrant >/dev/null
[ ! -e /usr/bin/mailgrant ] && [ ! -e /usr/bin/mailgrant-desktop ] || fail "/usr/bin/mailgrant(-desktop) is still there"
[ ! -e "/usr/share/applications/$desktop_name" ] || fail "$desktop_name is still there"
[ -f "$work/home/mailgrant/config.json" ] || fail "the user's config went with the package"
[ -n "$(secret-tool search --all service "$service" 2>/dev/null)" ] || fail "the keychain entries went with the package"
echo "package test passed"
