# Shared by start.sh and stop.sh (sourced, not run): Mailgrant's test mail servers, Dovecot and Postfix, each
# instance in its own directory.
#
# Layout of an instance directory DIR:
#   peers.env              what start.sh printed: ports, CA, pids (KEY=VALUE lines)
#   tls/                   ca.pem (trust this), server.pem, server.key
#   dovecot/               dovecot.conf, oauth2-*.conf.ext, delegated-auth.sh, dovecot.log, run/ (sockets), state/
#   mail/<address>/Maildir the mailboxes (owned by nobody)
#   postfix/               etc/ (main.cf, master.cf), spool/, data/, maillog

peers_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export LC_ALL=C

peers_die() {
  echo "mail peers: $*" >&2
  exit 1
}

# peers_free_ports N: N distinct TCP ports nobody listens on, on one line.
peers_free_ports() {
  local n=$1 listening picked=() port hex
  # The local ports (hex) of listening sockets (state 0A); awk, as there may be thousands of lines.
  listening=" $(awk '$4 == "0A" { split($2, local, ":"); printf "%s ", local[2] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null) "
  while [ ${#picked[@]} -lt "$n" ]; do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    printf -v hex '%04X' "$port"
    [[ $listening == *" $hex "* || " ${picked[*]} " == *" $port "* ]] && continue
    picked+=("$port")
  done
  echo "${picked[*]}"
}

# peers_said FILE...: what the files say (their last 20 lines, empty ones left out), or "(nothing logged)".
peers_said() {
  local said
  said=$(cat "$@" 2>/dev/null | grep -v '^[[:space:]]*$' | tail -n 20)
  echo "${said:-(nothing logged)}"
}

# peers_listening PORT: whether some socket listens on TCP PORT.
peers_listening() {
  local hex
  printf -v hex '%04X' "$1"
  awk -v hex="$hex" '$4 == "0A" { split($2, local, ":"); if (local[2] == hex) found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# peers_render TEMPLATE OUT NAME=VALUE...: copies TEMPLATE to OUT with every @NAME@ replaced by VALUE. Fails when a
# placeholder is left over.
peers_render() {
  local template=$1 out=$2 text pair
  shift 2
  text=$(<"$template")
  for pair in "$@"; do
    text=${text//"@${pair%%=*}@"/"${pair#*=}"}
  done
  if [[ $text =~ @[A-Z_]+@ ]]; then
    peers_die "$template: no value for ${BASH_REMATCH[0]}"
  fi
  printf '%s\n' "$text" >"$out"
}

# peers_make_certs DIR: a throwaway CA and a server certificate it signs (localhost, 127.0.0.1), under DIR/tls.
peers_make_certs() {
  local tls=$1/tls conf=$peers_here/openssl.cnf
  mkdir -p "$tls"
  {
    openssl req -config "$conf" -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 \
      -subj "/CN=Mailgrant test CA $(date +%s)" -extensions ca_ext -keyout "$tls/ca.key" -out "$tls/ca.pem" &&
      openssl req -config "$conf" -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
        -keyout "$tls/server.key" -out "$tls/server.csr" &&
      openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -set_serial "0x$(openssl rand -hex 16)" \
        -days 7 -extfile "$conf" -extensions server_ext -out "$tls/server.pem"
  } >/dev/null 2>"$tls/openssl.log" || peers_die "cannot make the certificates: $(cat "$tls/openssl.log")"
  chmod 600 "$tls/ca.key" "$tls/server.key"
  chmod 644 "$tls/ca.pem" "$tls/server.pem"
}

# peers_session_members SID: the live (not zombie) processes of session SID, one pid a line. Dovecot's and
# Postfix's masters each lead a session of their own, which all their children stay in.
peers_session_members() {
  local sid=$1 f line rest
  for f in /proc/[0-9]*/stat; do
    { read -r line <"$f"; } 2>/dev/null || continue
    rest=${line##*) }
    # shellcheck disable=SC2086  # splitting the fields is the point
    set -- $rest
    [ "$1" != Z ] && [ "$4" = "$sid" ] && { f=${f#/proc/}; echo "${f%/stat}"; }
  done
  return 0
}

# peers_pid_of FILE MARKER: the pid in FILE if that process is alive and its command line contains MARKER (so a
# stale pid file never makes us signal somebody else's process).
peers_pid_of() {
  local file=$1 marker=$2 pid
  [ -r "$file" ] || return 1
  read -r pid <"$file" || return 1
  pid=${pid//[[:space:]]/}
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -qF -- "$marker" || return 1
  echo "$pid"
}

# peers_stop_session SID: SIGTERM to the process group SID leads, then waits (5 s at most) until no process of
# session SID is left; SIGKILL for stragglers. Fails if some survived even that.
peers_stop_session() {
  local sid=$1 i members
  kill -TERM -- "-$sid" 2>/dev/null
  for ((i = 0; i < 500; i++)); do
    members=$(peers_session_members "$sid")
    [ -z "$members" ] && return 0
    sleep 0.01
  done
  # shellcheck disable=SC2086
  kill -KILL $members 2>/dev/null
  sleep 0.1
  members=$(peers_session_members "$sid")
  [ -z "$members" ] || { echo "mail peers: processes left over: $members" >&2; return 1; }
}

# peers_stop DIR: stops the instance in DIR (Postfix first: it uses Dovecot's sockets). Idempotent.
peers_stop() {
  local dir=$1 status=0 pid
  if pid=$(peers_pid_of "$dir/postfix/spool/pid/master.pid" "$dir/postfix/etc"); then
    peers_stop_session "$pid" || status=1
  fi
  if pid=$(peers_pid_of "$dir/dovecot/run/master.pid" "$dir/dovecot/dovecot.conf"); then
    peers_stop_session "$pid" || status=1
  fi
  # A master that was killed leaves its pid file behind, and children may outlive it: look up the sessions that
  # start.sh recorded too.
  if [ -r "$dir/peers.env" ]; then
    for pid in $(sed -n 's/^MAILGRANT_PEERS_\(DOVECOT\|POSTFIX\)_PID=//p' "$dir/peers.env"); do
      [ -n "$(peers_session_members "$pid")" ] && { peers_stop_session "$pid" || status=1; }
    done
  fi
  return $status
}
