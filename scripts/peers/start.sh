#!/usr/bin/env bash
# Starts Mailgrant's test mail servers on free loopback ports: Dovecot (IMAP and POP3, each with STARTTLS and implicit
# TLS; LMTP) and Postfix (submission with STARTTLS, smtps with implicit TLS; SASL through Dovecot; delivery by LMTP
# into Dovecot's Maildirs). Both take XOAUTH2 and OAUTHBEARER, and check every bearer token with the identity-platform
# emulator's introspection endpoint: POST INTROSPECTION_BASE/_emulator/introspect/{imap|pop|smtp}.
# Each instance lives in its own directory, with a throwaway CA; nothing under /etc is read or changed.
#
# Usage: start.sh [--dir DIR] [--shared ADDRESS]... [--hold] INTROSPECTION_BASE   (as root: Postfix needs it)
#   Prints KEY=VALUE lines (ports, CA file, directory) and exits, leaving the servers running; stop them with
#   `scripts/peers/stop.sh DIR`. Without --dir, a new directory under $TMPDIR is made (stop.sh removes it).
#   --shared ADDRESS: a shared mailbox, opened with a delegate's (or an app's) token and `user=ADDRESS`; its logins
#   are introspected with `?user=ADDRESS` (see dovecot.conf.in for why it must be named in advance).
#   --hold: stays in the foreground after printing READY, and stops everything and removes the directory it made
#   when its stdin reaches end of file or it gets SIGTERM/SIGINT/SIGHUP. The Rust fixture (mailgrant_tests::peers)
#   runs it this way, holding stdin open, so the servers go away with the test process even when it crashes.
#   MAILGRANT_PEERS_KEEP=1 keeps the directory (logs) when stopping.
set -euo pipefail
# shellcheck source=scripts/peers/lib.sh
source "$(dirname "$0")/lib.sh"

usage() { sed -n '8,18s/^# \{0,1\}//p' "$0" >&2; exit 2; }
dir='' hold=0 base='' shared=()
while [ $# -gt 0 ]; do
  case $1 in
    --dir) dir=${2:?}; shift 2 ;;
    --shared) shared+=("${2:?}"); shift 2 ;;
    --hold) hold=1; shift ;;
    -h | --help) usage ;;
    -*) usage ;;
    *) [ -z "$base" ] || usage; base=${1%/}; shift ;;
  esac
done
[ -n "$base" ] || usage
[[ $base =~ ^https?://[^[:space:]%]+$ ]] || peers_die "not an http(s) URL without spaces or '%': $base"
for address in "${shared[@]}"; do
  [[ $address =~ ^[A-Za-z0-9._+-]+@[A-Za-z0-9.-]+$ ]] || peers_die "not a plain mail address: $address"
done
[ "$(id -u)" = 0 ] || peers_die "must run as root (Postfix's master can't run without it)"
for cmd in dovecot postconf openssl; do
  command -v "$cmd" >/dev/null || peers_die "$cmd is missing: run scripts/install-deps.sh test"
done
[ -r /usr/share/dovecot/dh.pem ] || peers_die "/usr/share/dovecot/dh.pem is missing: run scripts/install-deps.sh test"

made_dir=0
if [ -z "$dir" ]; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/mailgrant-peers.XXXXXX")
  made_dir=1
  touch "$dir/.made-by-start"
fi
dir=$(cd "$dir" && pwd)
# Postfix and Dovecot open files here as their own users; mktemp makes the directory 0700.
chmod 755 "$dir"

cleanup() {
  local status=$?
  trap - EXIT INT TERM HUP
  peers_stop "$dir" || status=1
  if [ "$made_dir" = 1 ] && [ "${MAILGRANT_PEERS_KEEP:-0}" != 1 ]; then
    rm -rf "$dir"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

postfix_daemons=$(postconf -d -h daemon_directory)
mail_owner="uid=$(id -u nobody) gid=$(id -g nobody)"

# Directories, owned as the servers need them.
mkdir -p "$dir/dovecot/run" "$dir/dovecot/state" "$dir/postfix/etc"
install -d -m 755 -o nobody -g "$(id -g nobody)" "$dir/mail"
spool=$dir/postfix/spool
install -d -m 755 -o root "$spool" "$spool/pid"
for q in active bounce corrupt defer deferred flush hold incoming private saved trace; do
  install -d -m 700 -o postfix "$spool/$q"
done
install -d -m 730 -o postfix -g postdrop "$spool/maildrop"
install -d -m 710 -o postfix -g postdrop "$spool/public"
install -d -m 700 -o postfix "$dir/postfix/data"

peers_make_certs "$dir"
# One oauth2 passdb configuration per protocol, and per protocol and shared mailbox.
declare -A shared_passdbs=([imap]='' [pop]='' [smtp]='')
for protocol in imap pop smtp; do
  peers_render "$peers_here/dovecot-oauth2.conf.ext.in" "$dir/dovecot/oauth2-$protocol.conf.ext" \
    "WHAT=$protocol logins" "INTROSPECTION_URL=$base/_emulator/introspect/$protocol"
  for ((i = 0; i < ${#shared[@]}; i++)); do
    address=${shared[i],,}
    query=${address//+/%2B}
    args=$dir/dovecot/oauth2-$protocol-shared-$i.conf.ext
    peers_render "$peers_here/dovecot-oauth2.conf.ext.in" "$args" "WHAT=$protocol logins to $address" \
      "INTROSPECTION_URL=$base/_emulator/introspect/$protocol?user=${query//@/%40}"
    shared_passdbs[$protocol]+=$(peers_render "$peers_here/dovecot-shared-passdb.conf.in" /dev/stdout \
      "ADDRESS=$address" "ARGS=$args")$'\n'
  done
done

# try_start: renders the configurations with fresh free ports and starts both servers. On any failure it stops
# whatever it started, puts the reason in $why and returns 1; the caller tries again with other ports. (Two
# instances started at once can race for a port; on a loaded machine `master -w` can give up waiting for its
# daemon, which then says nothing.)
try_start() {
  local name i status
  why=''
  declare -gA port=()
  local -a free
  read -r -a free <<<"$(peers_free_ports 6)"
  for name in IMAP_TLS IMAP_STARTTLS POP_TLS POP_STARTTLS SUBMISSION SMTPS; do
    port[$name]=${free[${#port[@]}]}
  done
  peers_render "$peers_here/dovecot.conf.in" "$dir/dovecot/dovecot.conf" "DIR=$dir" "MAIL_OWNER=$mail_owner" \
    "SHARED_PASSDBS_IMAP=${shared_passdbs[imap]%$'\n'}" "SHARED_PASSDBS_POP=${shared_passdbs[pop]%$'\n'}" \
    "SHARED_PASSDBS_SMTP=${shared_passdbs[smtp]%$'\n'}" \
    "IMAP_TLS_PORT=${port[IMAP_TLS]}" "IMAP_STARTTLS_PORT=${port[IMAP_STARTTLS]}" \
    "POP_TLS_PORT=${port[POP_TLS]}" "POP_STARTTLS_PORT=${port[POP_STARTTLS]}"
  peers_render "$peers_here/postfix-main.cf.in" "$dir/postfix/etc/main.cf" "DIR=$dir"
  peers_render "$peers_here/postfix-master.cf.in" "$dir/postfix/etc/master.cf" \
    "SUBMISSION_PORT=${port[SUBMISSION]}" "SMTPS_PORT=${port[SMTPS]}"
  # Postfix won't read a configuration file younger than a second (it might still be being edited): it sleeps in
  # 0.3 s steps until the file is old enough, which made a fresh start take 1.5 s.
  touch -d '-1 minute' "$dir/postfix/etc/main.cf" "$dir/postfix/etc/master.cf"

  : >"$dir/dovecot/dovecot.log"
  # The daemons get neither our stdin nor our stdout: the Rust fixture reads our stdout until it closes.
  status=0
  dovecot -c "$dir/dovecot/dovecot.conf" </dev/null >/dev/null 2>"$dir/dovecot/start.err" || status=$?
  if [ "$status" != 0 ]; then
    why="Dovecot exited with status $status: $(peers_said "$dir/dovecot/start.err" "$dir/dovecot/dovecot.log")"
    return 1
  fi
  # Dovecot listens a few milliseconds after its master forked into the background.
  for name in IMAP_TLS IMAP_STARTTLS POP_TLS POP_STARTTLS; do
    for ((i = 0; ; i++)); do
      (exec 3<>"/dev/tcp/127.0.0.1/${port[$name]}") 2>/dev/null && break
      if grep -q 'in use' "$dir/dovecot/dovecot.log" || [ "$i" -ge 1000 ]; then
        why="Dovecot does not listen on ${port[$name]}: $(peers_said "$dir/dovecot/dovecot.log")"
        return 1
      fi
      sleep 0.01
    done
  done

  # `master -w` returns once Postfix listens (0.2 s); `postfix start` would spend 2 s on `postfix check` first.
  : >"$dir/postfix/maillog"
  status=0
  "$postfix_daemons/master" -c "$dir/postfix/etc" -w </dev/null >/dev/null 2>"$dir/postfix/start.err" || status=$?
  if [ "$status" != 0 ]; then
    # Postfix says nothing without a tty when it can't bind or when its daemon was slow to get ready; the log
    # may say more a moment later.
    sleep 0.2
    why="Postfix's master -w exited with status $status"
    for name in SUBMISSION SMTPS; do
      peers_listening "${port[$name]}" && why+="; port ${port[$name]} ($name) is in use"
    done
    why+=": $(peers_said "$dir/postfix/start.err" "$dir/postfix/maillog")"
    return 1
  fi
  for name in SUBMISSION SMTPS; do
    if ! peers_listening "${port[$name]}"; then
      why="Postfix started but does not listen on ${port[$name]} ($name): $(peers_said "$dir/postfix/maillog")"
      return 1
    fi
  done
  return 0
}

attempts=6
failures=''
for ((attempt = 1; ; attempt++)); do
  try_start && break
  failures+=$'\n'"  attempt $attempt: $why"
  # Stop whatever half started before trying other ports (also a master still getting ready).
  peers_stop "$dir" >/dev/null 2>&1 || true
  [ "$attempt" -lt "$attempts" ] || peers_die "the servers did not start in $attempts attempts:$failures"
  sleep "0.$((attempt * 2))"
done
[ -z "$failures" ] || echo "mail peers: started after earlier failures:$failures" >&2

dovecot_pid=$(peers_pid_of "$dir/dovecot/run/master.pid" "$dir/dovecot/dovecot.conf") ||
  peers_die "Dovecot's master is not running"
postfix_pid=$(peers_pid_of "$spool/pid/master.pid" "$dir/postfix/etc") || peers_die "Postfix's master is not running"

cat >"$dir/peers.env" <<EOF
MAILGRANT_PEERS_DIR=$dir
MAILGRANT_PEERS_CA=$dir/tls/ca.pem
MAILGRANT_PEERS_IMAP_TLS=127.0.0.1:${port[IMAP_TLS]}
MAILGRANT_PEERS_IMAP_STARTTLS=127.0.0.1:${port[IMAP_STARTTLS]}
MAILGRANT_PEERS_POP_TLS=127.0.0.1:${port[POP_TLS]}
MAILGRANT_PEERS_POP_STARTTLS=127.0.0.1:${port[POP_STARTTLS]}
MAILGRANT_PEERS_SUBMISSION=127.0.0.1:${port[SUBMISSION]}
MAILGRANT_PEERS_SMTPS=127.0.0.1:${port[SMTPS]}
MAILGRANT_PEERS_MAIL=$dir/mail
MAILGRANT_PEERS_DOVECOT_PID=$dovecot_pid
MAILGRANT_PEERS_POSTFIX_PID=$postfix_pid
EOF
cat "$dir/peers.env"

if [ "$hold" = 1 ]; then
  echo READY
  # Until whoever started us closes our stdin (or dies); then the EXIT trap stops everything.
  while read -r _; do :; done
  exit 0
fi
trap - EXIT INT TERM HUP
