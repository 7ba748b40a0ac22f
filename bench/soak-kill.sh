#!/usr/bin/env bash
# kill -9 soak, not a timed test: prints what it found.
#
#   1. refresh: `mailgrant token` (release) is killed with SIGKILL at a random moment of a refresh, ITERATIONS
#      times, against the identity-platform emulator over HTTPS with STRICT rotation (a redeemed refresh token is
#      refused after a 5-second grace, as reuse detection does: a client that keeps or goes back to an old
#      refresh token fails). After each kill: the keychain still holds a refresh token (secret-tool, not Mailgrant,
#      reads it), config.json parses, and the next `mailgrant token` succeeds.
#   2. config writes: `mailgrant add` of a new account is killed at a random moment, ITERATIONS times. After each
#      kill: config.json is whole JSON (or, if not, the next command moves it aside as a backup and says so), and
#      every account added before is still there.
#
#   bash bench/soak-kill.sh [ITERATIONS]          default 200 each
#
# Builds `mailgrant` in release and the emulator and scripted browser in debug. Runs under its own D-Bus session
# and throwaway keyring (scripts/with-keyring.sh): never your keychain or your Mailgrant data.
set -euo pipefail
iterations=${1:-200}
source "$(dirname "$0")/lib.sh"
bench_keyring "$@"
bench_build
bench_emulator --strict-rotation 5
bench_add soak
bench_sign_in soak
service=$("$mailgrant" where | sed -n 's/^keychain service *//p')

python3 - "$iterations" "$mailgrant" "$service" "$MAILGRANT_HOME" "$base" <<'PY'
import json, os, random, signal, subprocess, sys, time

iterations, mailgrant, service, home, base = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
config = os.path.join(home, "config.json")

def run(*args):
    return subprocess.run([mailgrant, *args], capture_output=True, text=True)

def secret(user):
    done = subprocess.run(["secret-tool", "lookup", "service", service, "username", user], capture_output=True, text=True)
    return done.stdout if done.returncode == 0 and done.stdout else None

def forget_access_token():
    subprocess.run(["secret-tool", "clear", "service", service, "username", "account/soak/access-token/outlook"])

def config_is_json():
    try:
        with open(config) as f:
            json.load(f)
        return True
    except (OSError, ValueError):
        return False

def timed(argv):
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True)
    return time.perf_counter() - start

# How long a refreshing `mailgrant token` takes here, so the kills land across the whole run of one.
def one_refresh():
    forget_access_token()
    return timed([mailgrant, "token", "soak"])

span = sorted(one_refresh() for _ in range(5))[2]

lost = corrupt = failed_next = killed_mid_run = 0
rotations = set()
for i in range(iterations):
    forget_access_token()
    child = subprocess.Popen([mailgrant, "token", "soak"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.uniform(0, span * 1.2))
    if child.poll() is None:
        killed_mid_run += 1
    child.send_signal(signal.SIGKILL)
    child.wait()
    refresh = secret("account/soak/refresh-token")
    if refresh is None:
        lost += 1
    else:
        rotations.add(refresh)
    if not config_is_json():
        corrupt += 1
    nxt = run("token", "soak")
    if nxt.returncode != 0:
        failed_next += 1
        print(f"  refresh iteration {i}: the next token failed: {nxt.stderr.strip()[:300]}", file=sys.stderr)
print(f"refresh, kill -9 x{iterations} ({killed_mid_run} while running; one refresh takes {span * 1000:.0f} ms): "
      f"{lost} refresh tokens lost, {corrupt} corrupt config files, {failed_next} failed next tokens, "
      f"{len(rotations)} distinct stored refresh tokens")

# Config writes: `mailgrant add` killed at a random moment; accounts confirmed before must all survive.
start = time.perf_counter()
added = run("add", "--name", "probe", "--email", "adele@contoso.example", "--client-id",
            "8c1b5a2e-9d3f-4b6a-8e7c-2f1d0a9b3c4e", "--tenant", "contoso.example", "--cloud", "custom",
            "--authority", base, "--graph-url", base, "--graph-resource", "https://graph.microsoft.com")
add_span = time.perf_counter() - start
confirmed = {"soak", "probe"} if added.returncode == 0 else {"soak"}
lost_accounts = corrupt_configs = reported_backups = 0
for i in range(iterations):
    name = f"w{i}"
    child = subprocess.Popen([mailgrant, "add", "--name", name, "--email", "adele@contoso.example", "--client-id",
                              "8c1b5a2e-9d3f-4b6a-8e7c-2f1d0a9b3c4e", "--tenant", "contoso.example", "--cloud",
                              "custom", "--authority", base, "--graph-url", base, "--graph-resource",
                              "https://graph.microsoft.com"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.uniform(0, add_span * 1.2))
    child.send_signal(signal.SIGKILL)
    child.wait()
    if not config_is_json():
        corrupt_configs += 1
    listed = run("accounts", "--json")
    if "backup" in listed.stderr.lower():
        reported_backups += 1
    try:
        names = {a["name"] for a in json.loads(listed.stdout)}
    except ValueError:
        names = set()
        print(f"  config iteration {i}: accounts --json failed: {listed.stderr.strip()[:300]}", file=sys.stderr)
    missing = confirmed - names
    if missing:
        lost_accounts += 1
        print(f"  config iteration {i}: accounts lost: {sorted(missing)}", file=sys.stderr)
    confirmed |= names
print(f"config writes, kill -9 x{iterations} (one add takes {add_span * 1000:.0f} ms): {lost_accounts} times an "
      f"account was lost, {corrupt_configs} corrupt config files ({reported_backups} backed up and reported), "
      f"{len(confirmed)} accounts at the end")
PY
