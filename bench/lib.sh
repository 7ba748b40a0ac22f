# Shared by the benchmark scripts that drive the real `mailgrant` command (bench/credential-helper.sh,
# bench/soak-kill.sh): source it after `set -euo pipefail`, with the script's own arguments.
#
#   bench_keyring "$@"          re-runs the script under its own D-Bus session and throwaway keyring
#   bench_build                 release `mailgrant`, the emulator and the scripted browser in debug
#   bench_emulator [ARGS…]      the emulator over HTTPS in $work; sets $base, MAILGRANT_HOME, MAILGRANT_CA_FILE
#   bench_add NAME [ARGS…]      `mailgrant add` of the demo tenant's adele, public client unless ARGS say otherwise
#   bench_sign_in NAME          signs NAME in through the loopback with the scripted browser

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

bench_keyring() {
  if [ -z "${MAILGRANT_BENCH_KEYRING:-}" ]; then
    export MAILGRANT_BENCH_KEYRING=1
    exec dbus-run-session -- bash "$bench_root/scripts/with-keyring.sh" bash "$0" "$@"
  fi
}

bench_build() {
  cd "$bench_root"
  target=${CARGO_TARGET_DIR:-$bench_root/target}
  cargo build --quiet --release -p mailgrant-cli --bin mailgrant
  cargo build --quiet -p mailgrant-tests --bin msid-emulator --bin fake-browser
  mailgrant=$target/release/mailgrant
}

bench_emulator() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/mailgrant-bench.XXXXXX")
  emulator_pid=''
  trap 'bench_cleanup' EXIT
  export MAILGRANT_HOME=$work/home MAILGRANT_CA_FILE=$work/ca.pem
  "$target/debug/msid-emulator" --tls-ca-out "$MAILGRANT_CA_FILE" "$@" >"$work/emulator.out" 2>"$work/emulator.log" &
  emulator_pid=$!
  base=''
  for _ in $(seq 1 100); do
    base=$(head -n 1 "$work/emulator.out" 2>/dev/null || true)
    [ -n "$base" ] && break
    sleep 0.1
  done
  [ -n "$base" ] || { echo "the emulator did not start: $(cat "$work/emulator.log")" >&2; exit 1; }
}

bench_cleanup() {
  [ -z "${emulator_pid:-}" ] || kill "$emulator_pid" 2>/dev/null || true
  rm -rf "${work:?}"
}

bench_add() {
  local name=$1
  shift
  local client=8c1b5a2e-9d3f-4b6a-8e7c-2f1d0a9b3c4e
  "$mailgrant" add --name "$name" --email adele@contoso.example --client-id "${BENCH_CLIENT_ID:-$client}" \
    --tenant contoso.example --cloud custom --authority "$base" --graph-url "$base" \
    --graph-resource https://graph.microsoft.com --services imap,smtp "$@" >/dev/null
}

bench_sign_in() {
  BROWSER=$target/debug/fake-browser "$mailgrant" sign-in "$1" >/dev/null 2>>"$work/sign-in.log" ||
    { echo "sign-in of $1 failed: $(cat "$work/sign-in.log")" >&2; exit 1; }
}
