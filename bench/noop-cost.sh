#!/usr/bin/env bash
# No-op cost: `pulumi up` on a converged dockfleet stack (the local stack when it manages the 3
# sandbox hosts, else a scratch stack with its daemon config): remote apply commands run, dockerd
# restarts, and wall time relative to `pulumi preview` of an empty TypeScript program.
#
#   bash bench/noop-cost.sh [N]      # N repeats (default 5), order rotates; medians printed
#
# Takes the sandbox lock for the run; leaves the hosts as found (scratch stack destroyed with
# onDelete: restore). See bench/README.md.
set -euo pipefail
BENCH_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export BENCH_ROOT
# shellcheck source=bench/lib.sh
source "$BENCH_ROOT/bench/lib.sh"

REPEATS=${1:-5}
case "$REPEATS" in '' | *[!0-9]* | 0) echo "usage: $0 [REPEATS>0]" >&2; exit 2 ;; esac

hold_sandbox_lock "$@"
check_hosts_free

EMPTY=""
cleanup() {
    local rc=$?
    if [ -n "$EMPTY" ] && [ -d "$EMPTY" ]; then
        (cd "$EMPTY" && pulumi stack rm bench-empty --yes --force --non-interactive >/dev/null 2>&1) || true
        rm -rf "$EMPTY"
    fi
    teardown_bench_stack || rc=1
    note "hosts restored"
    exit "$rc"
}
trap cleanup EXIT
setup_bench_stack
trap 'exit 130' INT TERM

# The reference: an empty TypeScript program, same engine, same backend, same node_modules.
EMPTY=$(mktemp -d /tmp/dockfleet-bench-empty.XXXXXX)
cat >"$EMPTY/Pulumi.yaml" <<'EOF'
name: bench-empty
runtime:
  name: nodejs
  options:
    typescript: true
EOF
echo 'export {};' >"$EMPTY/index.ts"
echo '{"name": "bench-empty", "private": true, "main": "index.ts"}' >"$EMPTY/package.json"
cp "$BENCH_ROOT/tsconfig.json" "$BENCH_ROOT/tsconfig.pulumi.json" "$EMPTY/" # the same compile settings as dockfleet (transpile-only)
ln -s "$BENCH_ROOT/node_modules" "$EMPTY/node_modules"
(cd "$EMPTY" && pulumi stack init bench-empty --non-interactive --secrets-provider passphrase >/dev/null)

use_config base
if [ "$BENCH_MODE" = scratch ]; then
    note "converging the scratch stack (not measured)"
    bench_pulumi up --yes --skip-preview >"$WORK/converge.log" 2>&1 || { tail -30 "$WORK/converge.log" >&2; exit 1; }
fi

# The raw reference: the same stack's resources registered by a program with nothing else in it
# (bench/raw-program), run against the same stack and state, so its no-op is the floor for exactly
# these resources and plugins. The state export holds the sandbox's secrets in plain text: it stays
# in the scratch directory (mode 600) and is deleted with it.
RAW=$WORK/raw
mkdir -p "$RAW"
project=$(sed -n 's/^name: *//p' "$WORK/Pulumi.yaml" | head -1)
printf 'name: %s\nruntime: nodejs\nmain: index.js\nstackConfigDir: stacks\n' "$project" >"$RAW/Pulumi.yaml"
echo '{"name": "dockfleet-bench-raw", "private": true}' >"$RAW/package.json"
cp "$BENCH_ROOT/bench/raw-program/index.js" "$RAW/"
ln -s "$WORK/stacks" "$RAW/stacks"
ln -s "$BENCH_ROOT/node_modules" "$RAW/node_modules"
(umask 077 && bench_pulumi stack export --show-secrets >"$WORK/state.json")
(umask 077 && node "$BENCH_ROOT/bench/raw-program/capture.js" "$WORK/state.json" >"$RAW/resources.json")
rm -f "$WORK/state.json"
export RAW_RESOURCES=$RAW/resources.json
# shellcheck disable=SC2016 # JavaScript, not shell
note "raw reference: $(node -e 'const r = require(process.argv[1]).resources; console.log(`${r.length} resources (${r.filter((x) => x.custom).length} custom)`)' "$RAW_RESOURCES")"
raw_pulumi() { (cd "$RAW" && pulumi --non-interactive --stack "$BENCH_STACK" "$@"); }

# Per host: "apply.log lines" and "dockerd main PID + start time" (a restart changes the latter).
host_marks() {
    local h
    for h in "${BENCH_HOSTS[@]}"; do
        # shellcheck disable=SC2016 # expanded on the host
        hs "$h" 'printf "%s %s|%s\n" "$(cat /var/lib/dockfleet/daemon-config/apply.log 2>/dev/null | wc -l)" "$(systemctl show -P ExecMainPID docker.service)" "$(systemctl show -P ExecMainStartTimestampMonotonic docker.service)"'
    done
}

# timed NAME CMD... : runs CMD, appends "NAME seconds" to the results.
timed() {
    local name=$1 t0 t1; shift
    t0=$(now)
    "$@" >"$WORK/$name.last.log" 2>&1 || { note "$name FAILED"; tail -30 "$WORK/$name.last.log" >&2; return 1; }
    t1=$(now)
    awk -v n="$name" -v a="$t1" -v b="$t0" 'BEGIN{printf "%s %.2f\n", n, a-b}' >>"$WORK/times.txt"
}
empty_preview() { (cd "$EMPTY" && pulumi preview --non-interactive --stack bench-empty); }
noop_up() { bench_pulumi up --yes "${BENCH_UP_ARGS[@]}"; }
noop_up_skip() { bench_pulumi up --yes --skip-preview "${BENCH_UP_ARGS[@]}"; }
df_preview() { bench_pulumi preview "${BENCH_UP_ARGS[@]}"; }
# The probe keeps its SSH connection to each host open for the next run (rollout.probeReuseSeconds,
# default 60 s): df_preview rides the one an earlier run left. df_preview_cold closes them first
# (not timed): a first preview, or one on a fresh CI runner.
df_preview_cold() { bench_pulumi preview "${BENCH_UP_ARGS[@]}"; }
close_probe_connections() { pkill -f '^ssh: .*/dockfleet-ssh-[0-9]+/.*\[mux\]' 2>/dev/null || true; sleep 0.2; }
# --expect-no-changes: a raw run that would change anything is no reference; it fails loudly
raw_up() { raw_pulumi up --yes --expect-no-changes "${BENCH_UP_ARGS[@]}"; }
raw_up_skip() { raw_pulumi up --yes --skip-preview "${BENCH_UP_ARGS[@]}"; }
raw_preview() { raw_pulumi preview --expect-no-changes "${BENCH_UP_ARGS[@]}"; }

: >"$WORK/times.txt"
: >"$WORK/effects.txt"
# Warm-up (not counted): first runs pay for ts-node compile caches and plugin start.
empty_preview >/dev/null 2>&1 || true
df_preview >/dev/null 2>&1 || true
raw_preview >"$WORK/raw-warmup.log" 2>&1 || { note "the raw program's preview is not a no-op (or failed): no reference"; tail -30 "$WORK/raw-warmup.log" >&2; exit 1; }

ops=(empty_preview noop_up noop_up_skip df_preview df_preview_cold raw_up raw_up_skip raw_preview)
for r in $(seq 1 "$REPEATS"); do
    before=$(host_marks)
    for ((i = 0; i < ${#ops[@]}; i++)); do
        op=${ops[$(((i + r) % ${#ops[@]}))]}
        [ "$op" != df_preview_cold ] || close_probe_connections
        timed "$op" "$op"
        if [ "$op" = noop_up ] || [ "$op" = noop_up_skip ] || [ "$op" = raw_up ] || [ "$op" = raw_up_skip ]; then
            grep -Eo '[0-9]+ (to update|updated|to create|created|to replace|replaced|to delete|deleted)' "$WORK/$op.last.log" | sed "s/^/$op $r /" >>"$WORK/effects.txt" || true
        fi
    done
    after=$(host_marks)
    paste -d' ' <(echo "$before") <(echo "$after") | awk -v r="$r" '{ printf "repeat %s: apply.log lines +%d, dockerd restarted: %s\n", r, $3 - $1, ($2 == $4 ? "no" : "YES") }' >>"$WORK/effects.txt"
    note "repeat $r/$REPEATS done"
done

med() { awk -v n="$1" '$1 == n {print $2}' "$WORK/times.txt" | median; }
e=$(med empty_preview); u=$(med noop_up); s=$(med noop_up_skip); p=$(med df_preview); pc=$(med df_preview_cold)
ru=$(med raw_up); rs=$(med raw_up_skip); rp=$(med raw_preview)
lines=$(awk '/^repeat/ { gsub(/[+,]/, "", $5); t += $5 } END { print t + 0 }' "$WORK/effects.txt")
restarts=$(grep -c 'restarted: YES' "$WORK/effects.txt" || true)
changes=$(grep -Ec '^(noop_up|raw_up)' "$WORK/effects.txt" || true)
echo
echo "noop-cost: $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $REPEATS repeats, ${#BENCH_HOSTS[@]} hosts, stack '$BENCH_STACK' ($BENCH_MODE mode)"
echo "per-run wall times (s):"; sort "$WORK/times.txt" | awk '{a[$1] = a[$1] " " $2} END {for (k in a) printf "  %-14s%s\n", k, a[k]}'
echo "effects on the hosts over all no-op runs ($((REPEATS * 4)) ups, $((REPEATS * 3)) previews, dockfleet and raw):"
sed 's/^/  /' "$WORK/effects.txt"
echo "medians:"
printf '  empty-program preview          %6.2f s\n' "$e"
printf '  dockfleet no-op up (preview+up) %5.2f s   = %.2fx the empty preview\n' "$u" "$(awk -v a="$u" -v b="$e" 'BEGIN{print a/b}')"
printf '  dockfleet no-op up --skip-preview %4.2f s = %.2fx\n' "$s" "$(awk -v a="$s" -v b="$e" 'BEGIN{print a/b}')"
printf '  dockfleet preview               %6.2f s   = %.2fx\n' "$p" "$(awk -v a="$p" -v b="$e" 'BEGIN{print a/b}')"
echo "against the raw program (same resources, same plugins, same stack; medians):"
printf '  raw no-op up (preview+up)      %6.2f s   dockfleet/raw = %.2fx\n' "$ru" "$(awk -v a="$u" -v b="$ru" 'BEGIN{print a/b}')"
printf '  raw no-op up --skip-preview    %6.2f s   dockfleet/raw = %.2fx\n' "$rs" "$(awk -v a="$s" -v b="$rs" 'BEGIN{print a/b}')"
printf '  raw preview                    %6.2f s   dockfleet/raw = %.2fx\n' "$rp" "$(awk -v a="$p" -v b="$rp" 'BEGIN{print a/b}')"
printf '  (dockfleet preview, no probe connection kept open: %.2f s = %.2fx raw)\n' "$pc" "$(awk -v a="$pc" -v b="$rp" 'BEGIN{print a/b}')"
echo "  apply.log lines added (remote apply/restore commands that ran): $lines"
echo "  dockerd restarts: $restarts    resource changes reported by the ups: $changes"
