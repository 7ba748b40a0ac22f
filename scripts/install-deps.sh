#!/usr/bin/env bash
# Installs whatever is missing to build, run and test Mailgrant on Debian 12 / Ubuntu 22.04+.
# Idempotent: each step checks first and does nothing when the thing is already there.
#   install-deps.sh build   system packages to build and run the app, npm packages
#   install-deps.sh test    the above, plus what the test suite needs (Xvfb, WebKitWebDriver,
#                           Chromium, gnome-keyring, Dovecot, Postfix, tauri-driver, cargo-audit)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
what=${1:-build}

build_pkgs=(libwebkit2gtk-4.1-dev build-essential curl wget file libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev pkg-config)
test_pkgs=(xvfb xauth imagemagick webkit2gtk-driver chromium dbus dbus-x11 gnome-keyring
  libsecret-tools x11-utils xdotool desktop-file-utils xdg-utils fonts-dejavu-core
  dovecot-imapd dovecot-pop3d dovecot-lmtpd postfix openssl procps lintian
  swaks curl python3)

pkgs=("${build_pkgs[@]}")
[ "$what" = test ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing system packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  # Postfix asks a question at install time; answer it up front.
  echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The Debian packages start system-wide daemons; the tests run their own private instances.
  for svc in postfix dovecot; do
    $sudo systemctl disable --now "$svc" >/dev/null 2>&1 || $sudo service "$svc" stop >/dev/null 2>&1 || true
  done
fi

command -v cargo >/dev/null || { echo "cargo not found: install Rust from https://rustup.rs" >&2; exit 1; }
command -v npm >/dev/null || { echo "npm not found: install Node.js 20 or newer" >&2; exit 1; }

# npm ci can't be used: the registry answers 404 for other platforms' optional packages of the Tauri CLI,
# so the lockfile can't list them. npm install respects the lockfile for everything it does list.
if [ ! -d "$here/ui/node_modules" ] || [ "$here/ui/package-lock.json" -nt "$here/ui/node_modules/.package-lock.json" ]; then
  echo "==> installing npm packages"
  (cd "$here/ui" && npm install --no-audit --no-fund --loglevel=error)
fi

if [ "$what" = test ] && ! command -v tauri-driver >/dev/null; then
  echo "==> installing tauri-driver"
  cargo install tauri-driver --locked --version '^2' --quiet
fi

# For the audit step of scripts/test.sh (the advisory database comes with the repository: .ci/advisory-db).
# Without the default binary-scanning feature (`cargo audit bin`, unused here): 292 crates to build instead of 301
# (no wasmparser, object 0.39, auditable-*). About 6 minutes on 2 cores.
if [ "$what" = test ] && ! command -v cargo-audit >/dev/null; then
  echo "==> installing cargo-audit"
  cargo install cargo-audit --locked --version 0.22.2 --no-default-features --quiet
fi
