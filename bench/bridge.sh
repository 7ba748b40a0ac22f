#!/usr/bin/env bash
# The mail bridge's benchmark (bench/bridge.rs): 1,000 messages through the bridge vs straight from Dovecot, 50
# IMAP sessions at once, the bridge's idle RSS. It needs the real keychain, so it runs in a D-Bus session with a
# throwaway keyring of its own, and a data home under target/.
#   bash bench/bridge.sh            (MAILGRANT_BENCH_RUNS=N for more fetch rounds)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export MAILGRANT_HOME=${MAILGRANT_HOME:-"${CARGO_TARGET_DIR:-$root/target}/bench-home"}
mkdir -p "$MAILGRANT_HOME"
exec dbus-run-session -- bash scripts/with-keyring.sh cargo bench -p mailgrant-tests --bench bridge
