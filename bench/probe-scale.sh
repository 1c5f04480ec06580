#!/usr/bin/env bash
# Probe scale: the preview's host probe (program/observe.ts observeHosts, the system ssh client)
# against many real SSH endpoints, per host count and per rollout.probeConcurrency. The endpoints
# are the sandbox hosts' own sshd plus EXTRA more sshd instances on each (ports 2201..), each with
# the host's own host key and authorized key, in front of the host's real dockerd: 3 × (1 + 17) = 54
# endpoints by default. They are started here and stopped on exit (trap), also on error or Ctrl-C.
#
#   bash bench/probe-scale.sh [REPEATS] [EXTRA]      # defaults 3 and 17
#
# Takes the sandbox lock for the whole run. Prints the table and writes it to
# bench/results/probe-scale-<UTC time>.txt. See bench/README.md.
set -euo pipefail
BENCH_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export BENCH_ROOT
# shellcheck source=bench/lib.sh
source "$BENCH_ROOT/bench/lib.sh"

REPEATS=${1:-3}
EXTRA=${2:-17}
# EXTRA ≥ 16: the 50-host count needs 3 × (1 + EXTRA) ≥ 50 endpoints
usage() { echo "usage: $0 [REPEATS>0] [EXTRA sshd per host, 16..99]" >&2; exit 2; }
case "$REPEATS$EXTRA" in '' | *[!0-9]*) usage ;; esac
if [ "$REPEATS" -lt 1 ] || [ "$EXTRA" -lt 16 ] || [ "$EXTRA" -gt 99 ]; then usage; fi
FIRST_PORT=2201
LAST_PORT=$((FIRST_PORT + EXTRA - 1))
KNOWN_HOSTS=$SANDBOX_DIR/ssh/known_hosts
PIDS=/run/dockfleet-bench-sshd # pid file prefix on the hosts

hold_sandbox_lock "$@"
check_hosts_free

# On a host: stop the extra sshd this benchmark started (by the pid files it wrote), with any
# session they still serve, and check that none of their ports is still listened on.
# shellcheck disable=SC2016 # expanded on the host
STOP_CMD='for f in '"$PIDS"'-*.pid; do [ -f "$f" ] || continue; p=$(cat "$f"); for c in $(pgrep -P "$p"); do kill "$c" 2>/dev/null; done; kill "$p" 2>/dev/null; rm -f "$f"; done
for i in 1 2 3 4 5 6 7 8 9 10; do [ -z "$(ss -Hltn "sport >= :'"$FIRST_PORT"' and sport <= :'"$LAST_PORT"'")" ] && exit 0; sleep 0.3; done
echo "still listening: $(ss -Hltnp "sport >= :'"$FIRST_PORT"' and sport <= :'"$LAST_PORT"'" | head -3)" >&2; exit 1'

SCRATCH=""
cleanup() {
    local rc=$? h
    for h in "${BENCH_HOSTS[@]}"; do hs "$h" "$STOP_CMD" || { note "$h: extra sshd not all stopped"; rc=1; }; done
    [ -n "$SCRATCH" ] && rm -rf "$SCRATCH"
    note "extra sshd stopped on ${BENCH_HOSTS[*]}"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SCRATCH=$(mktemp -d /tmp/dockfleet-probe-scale.XXXXXX)
chmod 700 "$SCRATCH"
# the probe writes its pinned known_hosts files here, not into the user's state directory
export DOCKFLEET_KNOWN_HOSTS_DIR=$SCRATCH/known_hosts

# Endpoints in the order a count takes them: port 22 of every host, then 2201 of every host, ...
# so any count spreads over the hosts. Each gets its host's pinned key (the sandbox's known_hosts).
declare -A ADDR KEY
for h in "${BENCH_HOSTS[@]}"; do
    ADDR[$h]=$(jq -r --arg h "$h" '.hosts[] | select(.name == $h) | .address' "$SANDBOX_DIR/sandbox.json")
    KEY[$h]=$(awk -v a="${ADDR[$h]}" '$1 == a && $2 == "ssh-ed25519" { print $2 " " $3; exit }' "$KNOWN_HOSTS")
    [ -n "${KEY[$h]}" ] || { note "$h: no pinned ed25519 key for ${ADDR[$h]} in $KNOWN_HOSTS"; exit 1; }
done
{
    for p in 22 $(seq "$FIRST_PORT" "$LAST_PORT"); do
        for h in "${BENCH_HOSTS[@]}"; do
            jq -nc --arg n "$h-p$p" --arg a "${ADDR[$h]}" --argjson p "$p" --arg k "${KEY[$h]}" '{name: $n, address: $a, port: $p, hostKey: $k}'
        done
    done
} | jq -s . >"$SCRATCH/endpoints.json"

note "starting $EXTRA extra sshd on each of ${BENCH_HOSTS[*]} (ports $FIRST_PORT..$LAST_PORT)"
for h in "${BENCH_HOSTS[@]}"; do
    # the host's own sshd_config (its host keys, root's authorized_keys, MaxStartups), another
    # port on the host's sandbox address only; each daemonizes and writes its pid file
    hs "$h" "$STOP_CMD" >/dev/null
    hs "$h" "for p in \$(seq $FIRST_PORT $LAST_PORT); do /usr/sbin/sshd -o ListenAddress=${ADDR[$h]}:\$p -o PidFile=$PIDS-\$p.pid || exit 1; done"
done
# every endpoint answers with the pinned key before anything is measured
for h in "${BENCH_HOSTS[@]}"; do
    for p in $(seq "$FIRST_PORT" "$LAST_PORT"); do
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            ssh-keyscan -T 2 -t ed25519 -p "$p" "${ADDR[$h]}" 2>/dev/null | grep -qF "${KEY[$h]}" && continue 2
            sleep 0.3
        done
        note "$h:$p does not answer with the pinned key"
        exit 1
    done
done
TOTAL=$(jq length "$SCRATCH/endpoints.json")
note "$TOTAL endpoints up"

mkdir -p "$BENCH_ROOT/bench/results"
OUT="$BENCH_ROOT/bench/results/probe-scale-$(date -u +%Y%m%dT%H%M%SZ).txt"
cd "$BENCH_ROOT"
timeout 1200 npx ts-node --transpile-only bench/probe-scale.ts --endpoints "$SCRATCH/endpoints.json" \
    --counts "3,12,25,$TOTAL" --concurrency unbounded,default,4 --repeats "$REPEATS" --one-sshd 51 --loading "$TOTAL" --out "$OUT"
note "written: ${OUT#"$BENCH_ROOT"/}"
