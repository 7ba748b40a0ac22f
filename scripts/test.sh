#!/usr/bin/env bash
# Installs whatever is missing, then runs the whole suite: formatting, lints, the UI checks and build, the
# core/shell split, unit and integration tests (real keychain, real Dovecot/Postfix, the identity-platform
# emulator), the real app under Xvfb through WebDriver, the UI in Chromium, the bindings drift check, and a check
# that no test touched the user's real config dir or keychain; and the .deb built from the test build, installed
# with apt-get and used through the OS (scripts/test-package.sh; it removes the package again). Artifacts (screenshots) go to ./artifacts.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
export MAILGRANT_ARTIFACTS="$root/artifacts"
# A CI run starts from a clean clone: Cargo's incremental cache (about 2 GB here) would only cost time and disk.
[ -z "${CI:-}" ] || export CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
started=$(date +%s)
step() { printf '\n==> [%ss] %s\n' "$(($(date +%s) - started))" "$*"; }

step "install what is missing"
bash scripts/install-deps.sh test

# What a test must never touch: the user's real Mailgrant config and webview data, and their keyrings.
real_dirs=("${XDG_CONFIG_HOME:-$HOME/.config}/mailgrant" "${XDG_DATA_HOME:-$HOME/.local/share}/app.mailgrant.desktop"
  "${XDG_DATA_HOME:-$HOME/.local/share}/keyrings" "${XDG_DATA_HOME:-$HOME/.local/share}/applications/mailgrant-handler.desktop")
snapshot() { for d in "${real_dirs[@]}"; do find "$d" -printf '%p %s %T@\n' 2>/dev/null || echo "absent $d"; done | sort; }
before=$(snapshot)

step "cargo fmt --check"
cargo fmt --all -- --check

step "UI: svelte-check, unit tests, build"
(cd ui && npm run --silent check && npm run --silent test:unit && npm run --silent build && npm run --silent build:mocks -- --logLevel warn)

step "cargo clippy"
# With the installed-package test, which builds only with its feature (scripts/test-package.sh runs it).
cargo clippy --workspace --features mailgrant-tests/installed-package --all-targets --quiet -- -D warnings

step "mailgrant-core and mailgrant-cli have no tauri dependency"
for crate in mailgrant-core mailgrant-cli; do
  if cargo tree -p "$crate" -e normal --prefix none | grep -E '^(tauri|webkit2gtk|gtk) '; then
    echo "$crate depends on the desktop shell's stack (above): the domain and the command line stay free of it" >&2
    exit 1
  fi
done

advisory_date=$(sed -n 's/^Snapshot date: \([0-9-]*\).*/\1/p' .ci/advisory-db/README.md)
step "dependencies: cargo audit against the committed advisory snapshot (.ci/advisory-db, $advisory_date)"
# Offline: the RustSec database is the committed snapshot (scripts/update-advisory-db.sh); the policy is
# .cargo/audit.toml (every ignored advisory says why). Vulnerabilities fail; unmaintained, unsound and yanked
# crates are listed as warnings.
cargo audit --no-fetch --db .ci/advisory-db

step "Rust tests (unit, integration, real keychain, real mail servers, WebDriver on the real app under Xvfb)"
rm -rf "$MAILGRANT_ARTIFACTS" && mkdir -p "$MAILGRANT_ARTIFACTS"
export MAILGRANT_HOME="$root/target/test-home"
rm -rf "$MAILGRANT_HOME"
# The kill -9 test kills token workers at random points, sometimes while one's OpenSession is on its way to the
# Secret Service; gnome-keyring-daemon then aborts on the vanished client (a known upstream crash, see
# src-tauri/core/src/vault/keychain.rs). So that test runs in a D-Bus session and keyring of its own, apart from
# the rest, and a run during which the test bed's daemon died (exit 75: not the code under test) is run again in a
# fresh session, up to three times. Every cargo call here selects the whole workspace, so dependencies keep the
# feature set of the first build and nothing is compiled twice (a `-p` build would rebuild them all: minutes, and
# gigabytes of target/).
kill_test=killing_a_process_mid_refresh_never_loses_the_refresh_token
rust_tests() {
  dbus-run-session -- bash scripts/with-keyring.sh \
    xvfb-run -a -s "-screen 0 1280x800x24" cargo test --workspace -- --include-ignored --skip "$kill_test"
}
kill_tests() {
  dbus-run-session -- bash scripts/with-keyring.sh \
    cargo test --workspace --test token_lifecycle -- --exact "$kill_test"
}
in_a_fresh_keyring() {
  local attempt status
  for attempt in 1 2 3; do
    rm -rf "$MAILGRANT_HOME"
    status=0
    "$@" || status=$?
    [ "$status" -eq 75 ] || return "$status"
    echo "the test keyring crashed (attempt $attempt); running $1 again in a fresh D-Bus session and keyring" >&2
  done
  return 75
}
in_a_fresh_keyring rust_tests
in_a_fresh_keyring kill_tests
unset MAILGRANT_HOME

step "the installed package: .deb from this build, apt-get install, PATH, xdg-mime, paint, deep link through xdg-open, removal"
dbus-run-session -- bash scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x800x24" bash scripts/test-package.sh

step "generated TypeScript bindings are committed and current"
if ! git diff --exit-code -- ui/src/lib/ipc/bindings || [ -n "$(git status --porcelain -- ui/src/lib/ipc/bindings)" ]; then
  echo "ui/src/lib/ipc/bindings differs from what the Rust types generate: commit the regenerated files" >&2
  exit 1
fi

step "the UI in Chromium (playwright-core, mockIPC)"
(cd ui && npm run --silent test:e2e)

step "no test touched the real config dir or keychain"
after=$(snapshot)
if [ "$before" != "$after" ]; then
  diff <(echo "$before") <(echo "$after") >&2 || true
  echo "a test wrote to the user's real config dir or keyring (above): tests must use MAILGRANT_HOME" >&2
  exit 1
fi

step "all passed; screenshots in $MAILGRANT_ARTIFACTS"
ls "$MAILGRANT_ARTIFACTS"
