# shellcheck shell=bash
# Shared helpers for the sandbox benchmarks (bench/rollout-vs-ansible.sh, bench/noop-cost.sh).
# Sourced, not run. Expects: set -euo pipefail, BENCH_ROOT = the repository root.

SANDBOX_LOCK=${SANDBOX_LOCK:-/run/dockfleet-sandbox.lock}
SANDBOX_DIR=${DOCKFLEET_SANDBOX_DIR:-/var/lib/dockfleet-sandbox}
SSH_CONFIG=${SSH_CONFIG:-$SANDBOX_DIR/ssh_config}
# Every sandbox host (3, or DOCKFLEET_SANDBOX_HOSTS of a larger sandbox).
BENCH_HOSTS=(host1 host2 host3)
if [ -f "$SANDBOX_DIR/sandbox.json" ]; then mapfile -t BENCH_HOSTS < <(jq -r '.hosts[].name' "$SANDBOX_DIR/sandbox.json"); fi
BENCH_STACK=${BENCH_STACK:-bench}
BENCH_UP_ARGS=()   # --target=URN... in local-targeted mode

now() { date +%s.%N; }
note() { printf '[%s] %s\n' "$(date -u +%T)" "$*" >&2; }
hs() { ssh -F "$SSH_CONFIG" -o BatchMode=yes "$@"; }

# Re-executes the calling script under the sandbox lock (held for this one benchmark run only).
hold_sandbox_lock() {
    if [ -z "${BENCH_LOCKED:-}" ]; then
        note "waiting for the sandbox lock $SANDBOX_LOCK ..."
        BENCH_LOCKED=1 exec flock "$SANDBOX_LOCK" bash "$0" "$@"
    fi
    note "holding the sandbox lock"
}

# Refuses hosts whose dockerd is not active or where a dockfleet apply is in progress, and runs
# while another pulumi operation is going on (someone using the sandbox without the lock).
check_hosts_free() {
    local h out
    if pgrep -af 'pulumi (up|preview|destroy|refresh|import)' >/dev/null; then
        note "another pulumi operation is running: $(pgrep -af 'pulumi (up|preview|destroy|refresh|import)' | head -3 | tr '\n' ';')"
        return 1
    fi
    for h in "${BENCH_HOSTS[@]}"; do
        out=$(hs "$h" 'systemctl is-active docker.service; ls /var/lib/dockfleet/daemon-config 2>/dev/null | tr "\n" " "') || { note "cannot reach $h"; return 1; }
        case "$out" in
            active*) ;;
            *) note "$h: docker.service is not active ($out)"; return 1 ;;
        esac
        case "$out" in
            *in-progress*) note "$h: a dockfleet apply is in progress (or was interrupted): $out"; return 1 ;;
        esac
    done
}

# True when some host carries dockfleet state (some stack manages its docker files).
hosts_managed() {
    local h
    for h in "${BENCH_HOSTS[@]}"; do
        hs "$h" 'ls /var/lib/dockfleet/daemon-config/last-good /var/lib/dockfleet/daemon-config/original' >/dev/null 2>&1 && return 0
    done
    return 1
}

# write_config_variants KEEP [DEPLOYED_JSON] : from stacks/Pulumi.$BENCH_STACK.yaml in the scratch
# copy, writes .base.yaml (KEEP=daemon: only the daemon part of the config; DEPLOYED_JSON: the
# daemon section rebuilt from the stack's `daemonJson` output) and .changed.yaml (base + a registry
# mirror + a log-opt: dockerd restarts); .rbase.yaml (base without the proxy) and .reload.yaml
# (rbase + another mirror + debug: a reload-only change).
write_config_variants() {
    # shellcheck disable=SC2016 # JavaScript, not shell
    (cd "$WORK" && node -e '
        const fs = require("fs"), YAML = require("yaml");
        const [f, keepMode, deployedFile] = process.argv.slice(1);
        const d = YAML.parse(fs.readFileSync(f, "utf8"));
        if (keepMode === "daemon") {
            const keep = ["hosts", "ssh", "engineVersion", "daemon", "proxy", "rollout", "sshPrivateKey", "httpProxy", "httpsProxy"];
            for (const k of Object.keys(d.config)) if (!keep.includes(k.replace(/^dockfleet:/, ""))) delete d.config[k];
            d.config["dockfleet:parts"] = ["daemon"];
            // Every sandbox host, with its role in the live swarm (BENCH_ROLES: "host role" lines).
            const roles = Object.fromEntries((process.env.BENCH_ROLES || "").split("\n").filter(Boolean).map((l) => l.split(" ")));
            const sb = JSON.parse(fs.readFileSync(process.env.SANDBOX_JSON, "utf8"));
            d.config["dockfleet:hosts"] = sb.hosts.map((h) => ({ name: h.name, address: h.address, role: roles[h.name] || "none" }));
            // The restart plan from the live swarm decides how many hosts restart at once.
            if (d.config["dockfleet:rollout"]) delete d.config["dockfleet:rollout"].batchSize;
        }
        if (deployedFile) {
            const per = Object.values(JSON.parse(fs.readFileSync(deployedFile, "utf8")));
            if (per.length === 0 || per.some((x) => JSON.stringify(x) !== JSON.stringify(per[0]))) throw new Error("hosts run different daemon.json files");
            const inv = { "registry-mirrors": "registryMirrors", "insecure-registries": "insecureRegistries", "metrics-addr": "metricsAddr",
                "log-driver": "logDriver", "log-opts": "logOpts", debug: "debug", "live-restore": "liveRestore", experimental: "experimental",
                bip: "bip", "data-root": "dataRoot", labels: "labels" };
            const daemon = {};
            for (const [k, v] of Object.entries(per[0])) {
                if (!(k in inv)) throw new Error(`cannot map daemon.json key ${k} back to the config`);
                daemon[inv[k]] = k === "labels" ? Object.fromEntries(v.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)])) : v;
            }
            d.config["dockfleet:daemon"] = daemon;
        }
        fs.writeFileSync(f, YAML.stringify(d));
        fs.copyFileSync(f, f.replace(/\.yaml$/, ".base.yaml"));
        const daemon = d.config["dockfleet:daemon"];
        const plain = JSON.parse(JSON.stringify(d));
        daemon.registryMirrors = [...(daemon.registryMirrors || []), "http://10.232.0.12:5000"];
        daemon.logOpts = { ...(daemon.logOpts || {}), compress: "true" };
        fs.writeFileSync(f.replace(/\.yaml$/, ".changed.yaml"), YAML.stringify(d));
        // The reload-only change runs on the config without its proxy: the proxy environment file
        // is root-only, the probe cannot compare it, so a proxied host always restarts.
        for (const k of ["proxy", "httpProxy", "httpsProxy"]) delete plain.config[`dockfleet:${k}`];
        fs.writeFileSync(f.replace(/\.yaml$/, ".rbase.yaml"), YAML.stringify(plain));
        const pd = plain.config["dockfleet:daemon"];
        pd.registryMirrors = [...(pd.registryMirrors || []), "http://10.232.0.13:5000"];
        pd.debug = true;
        fs.writeFileSync(f.replace(/\.yaml$/, ".reload.yaml"), YAML.stringify(plain));
    ' "stacks/Pulumi.$BENCH_STACK.yaml" "$@")
}

# "host role" per sandbox host, from the live swarm (role none: not in it).
live_roles() {
    local h st
    for h in "${BENCH_HOSTS[@]}"; do
        st=$(hs "$h" "docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}'" 2>/dev/null || echo unreachable)
        case "$st" in
            "active true") echo "$h manager" ;;
            "active false") echo "$h worker" ;;
            *) echo "$h none" ;;
        esac
    done
}

# Engine, a scratch copy of the project (so no config file the benchmark writes lands in the
# repository's stacks/), and the stack to drive. Sets WORK, BENCH_STACK and BENCH_MODE:
#  - "local":   the local stack already manages the hosts (it has resources). It is driven from the
#               scratch copy with config changes that are reverted; it must preview with no changes
#               first, and is brought back to its committed config at the end.
#  - "scratch": no stack manages the hosts. A scratch stack `bench` gets the local stack's daemon
#               config (copied, secrets re-encrypted: `--copy-config-from local`, works offline) and
#               is destroyed at the end (onDelete: restore puts the pre-dockfleet files back).
setup_bench_stack() {
    bash "$BENCH_ROOT/dev/engine.sh" >/dev/null
    # shellcheck source=dev/env.sh
    source "$BENCH_ROOT/dev/env.sh"
    WORK=$(mktemp -d /tmp/dockfleet-bench.XXXXXX)
    cp -r "$BENCH_ROOT/Pulumi.yaml" "$BENCH_ROOT/index.ts" "$BENCH_ROOT/program.js" "$BENCH_ROOT/package.json" "$BENCH_ROOT/package-lock.json" \
        "$BENCH_ROOT/tsconfig.json" "$BENCH_ROOT/tsconfig.pulumi.json" "$BENCH_ROOT/tsconfig.program.json" \
        "$BENCH_ROOT/program" "$BENCH_ROOT/components" "$WORK/"
    mkdir -p "$WORK/stacks"
    cp "$BENCH_ROOT/stacks/Pulumi.local.yaml" "$WORK/stacks/"
    [ ! -d "$BENCH_ROOT/stacks/compose" ] || cp -r "$BENCH_ROOT/stacks/compose" "$WORK/stacks/"
    ln -s "$BENCH_ROOT/node_modules" "$WORK/node_modules"
    node "$WORK/program/build-program.js" --if-stale # not measured: the program runs compiled
    pulumi login --non-interactive "$PULUMI_BACKEND_URL" >/dev/null
    local stacks local_count keep
    stacks=$(cd "$WORK" && pulumi stack ls --json)
    local_count=$(node -e 'const s = JSON.parse(process.argv[1]).find((x) => x.name === "local"); console.log(s ? (s.resourceCount || 0) : 0)' "$stacks")
    BENCH_ROLES=$(live_roles)
    export BENCH_ROLES SANDBOX_JSON=$SANDBOX_DIR/sandbox.json
    if [ "$local_count" -gt 0 ] && [ "${#BENCH_HOSTS[@]}" -gt 3 ]; then
        note "the local stack manages host1-3 ($local_count resources) but the sandbox has ${#BENCH_HOSTS[@]} hosts: a larger fleet runs in scratch mode; park the local stack first (bash dev/main-job.sh park)"
        return 1
    fi
    if [ "$local_count" -gt 0 ]; then
        BENCH_MODE=local BENCH_STACK=local
        keep=all
        note "the local stack manages the hosts ($local_count resources): driving it with reverted config changes"
    else
        if hosts_managed; then note "hosts carry dockfleet state but the local stack has no resources; refusing to take them over"; return 1; fi
        BENCH_MODE=scratch
        if node -e 'process.exit(JSON.parse(process.argv[1]).some((x) => x.name === process.argv[2]) ? 0 : 1)' "$stacks" "$BENCH_STACK"; then
            note "stack '$BENCH_STACK' already exists (an earlier run died?); refusing: inspect it, then 'pulumi destroy' + 'pulumi stack rm' it"
            return 1
        fi
        (cd "$WORK" && pulumi stack init "$BENCH_STACK" --non-interactive --secrets-provider passphrase --copy-config-from local >/dev/null)
        SCRATCH_CREATED=1
        keep=daemon
        note "no stack manages the hosts: scratch stack '$BENCH_STACK' with the local stack's daemon config"
    fi
    write_config_variants "$keep"
    if [ "$BENCH_MODE" = local ]; then
        if ! bench_pulumi preview --expect-no-changes >"$WORK/preview-before.log" 2>&1; then
            # The stack may have been left on a daemon config other than the committed one (tests
            # do that). Rebuild the daemon part from what was last deployed, if that alone explains it.
            note "the local stack differs from its committed config; trying its last deployed daemon config as the baseline"
            cp "$BENCH_ROOT/stacks/Pulumi.local.yaml" "$WORK/stacks/"
            if ! { bench_pulumi stack output daemonJson --json >"$WORK/deployed-daemon.json" 2>/dev/null &&
                write_config_variants "$keep" "$WORK/deployed-daemon.json"; }; then
                note "cannot rebuild the deployed daemon config; refusing"; BENCH_MODE=local-untouched; return 1
            fi
            if ! bench_pulumi preview --expect-no-changes >"$WORK/preview-before.log" 2>&1; then
                # Other parts of the stack are pending (work in progress): leave them alone and
                # drive only the DockerHost apply commands (`--target`), if those are converged.
                # shellcheck disable=SC2016 # JavaScript, not shell
                mapfile -t BENCH_UP_ARGS < <(bench_pulumi stack export | node -e '
                    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
                        for (const r of JSON.parse(s).deployment.resources || [])
                            if (r.type === "command:remote:Command" && /dockerhost:DockerHost\$command:remote:Command::/.test(r.urn)) console.log(`--target=${r.urn}`);
                    });')
                if [ "${#BENCH_UP_ARGS[@]}" -gt 0 ] && [ "${BENCH_CONVERGE_DAEMON:-}" = 1 ] &&
                    ! bench_pulumi preview --expect-no-changes "${BENCH_UP_ARGS[@]}" >"$WORK/preview-before.log" 2>&1; then
                    # Opt-in: the apply commands differ only because the working tree's code changed
                    # since the last up (same daemon config): bring them up to date first.
                    note "BENCH_CONVERGE_DAEMON=1: converging the DockerHost apply commands to the working tree's code (same daemon config; not measured)"
                    bench_pulumi up --yes --skip-preview "${BENCH_UP_ARGS[@]}" >"$WORK/converge-daemon.log" 2>&1 || { note "converging FAILED, see $WORK/converge-daemon.log"; tail -25 "$WORK/converge-daemon.log" >&2; return 1; }
                fi
                if [ "${#BENCH_UP_ARGS[@]}" = 0 ] || ! bench_pulumi preview --expect-no-changes "${BENCH_UP_ARGS[@]}" >"$WORK/preview-before.log" 2>&1; then
                    note "the local stack's daemon part is not converged either (see below); refusing"
                    tail -25 "$WORK/preview-before.log" >&2
                    BENCH_MODE=local-untouched
                    return 1
                fi
                BENCH_MODE=local-targeted
                note "other parts of the local stack have pending changes; every up/preview targets the ${#BENCH_UP_ARGS[@]} DockerHost apply commands only"
            fi
            note "baseline = the local stack's last deployed daemon config (hosts are left on it)"
        fi
    fi
    BENCH_VERIFIED=1
    note "scratch project $WORK, stack '$BENCH_STACK' ($BENCH_MODE mode)"
}

# use_config base|changed|rbase|reload : puts that variant of the stack's config in place (in the scratch copy).
use_config() { cp "$WORK/stacks/Pulumi.$BENCH_STACK.$1.yaml" "$WORK/stacks/Pulumi.$BENCH_STACK.yaml"; }

bench_pulumi() { (cd "$WORK" && pulumi --non-interactive --stack "$BENCH_STACK" "$@"); }

# Scratch mode: destroy (onDelete restore puts back the pre-dockfleet files) and remove the stack.
# Local mode: bring the local stack back to its committed config (a no-op when every revert worked).
teardown_bench_stack() {
    [ -n "${WORK:-}" ] && [ -d "$WORK" ] || return 0
    case "${BENCH_MODE:-}" in
        scratch)
            if [ -n "${SCRATCH_CREATED:-}" ]; then
                note "destroying stack '$BENCH_STACK' (restores the hosts' pre-dockfleet docker files)"
                use_config base
                bench_pulumi destroy --yes --skip-preview >"$WORK/destroy.log" 2>&1 || { note "destroy FAILED, see $WORK/destroy.log (stack and $WORK kept)"; return 1; }
                # not bench_pulumi: `stack rm` refuses a --stack flag next to its argument
                (cd "$WORK" && pulumi --non-interactive stack rm "$BENCH_STACK" --yes >/dev/null 2>&1) ||
                    note "warning: 'pulumi stack rm $BENCH_STACK' failed; remove it by hand before the next run"
            fi
            ;;
        local | local-targeted)
            [ -n "${BENCH_VERIFIED:-}" ] || { rm -rf "$WORK"; return 0; }
            note "bringing the local stack back to its baseline daemon config"
            use_config base
            bench_pulumi up --yes --skip-preview "${BENCH_UP_ARGS[@]}" >"$WORK/restore-up.log" 2>&1 || { note "restoring up FAILED, see $WORK/restore-up.log ($WORK kept)"; return 1; }
            bench_pulumi preview --expect-no-changes "${BENCH_UP_ARGS[@]}" >"$WORK/preview-after.log" 2>&1 || { note "local stack NOT converged after the run, see $WORK/preview-after.log"; return 1; }
            ;;
    esac
    rm -rf "$WORK"
}

# restart_timeline_of T0 T1 < "HOST EPOCH journal-line" lines (journalctl -o short-unix, every host,
# sorted by time): per host, in the order they restarted, the restart (units that need docker
# stopping first, dockerd's stop, its start until systemd calls it started) and the seconds from
# there to the next host's restart (the tool's checks and waits, and the swarm's return).
# "forced": dockerd hit its shutdown timeout; "session timeout": the restarted node's swarm agent
# waited 5 s for a session (swarmkit's "session initiation timed out") before dockerd had started.
restart_timeline_of() {
    sort -s -k2,2n | awk -v t0="$1" -v t1="$2" '
        function sec(x) { return sprintf("%.1f", x) }
        {
            h = $1; t = $2 + 0
            if (t < t0 || t > t1 + 1) next
            if ($0 ~ /systemd\[1\]: Stopping docker\.service/) { if (!(h in stop)) { stop[h] = t; order[++n] = h }; next }
            if ($0 ~ /systemd\[1\]: Stopping /) { if (!(h in stop) && !(h in dep)) dep[h] = t; next }
            if ($0 ~ /Force shutdown daemon/ && (h in stop)) { forced[h] = 1; next }
            if ($0 ~ /Starting up/ && (h in stop) && !(h in up)) { up[h] = t; next }
            if ($0 ~ /session initiation timed out/ && (h in up) && !(h in started)) { sess[h] = 1; next }
            if ($0 ~ /systemd\[1\]: Started docker\.service/ && (h in up) && !(h in started)) { started[h] = t; next }
        }
        END {
            if (n == 0) { print "no dockerd restart in the journals"; exit }
            for (i = 1; i <= n; i++) { h = order[i]; b[h] = (h in dep && dep[h] >= stop[h] - 30) ? dep[h] : stop[h] }
            out = "first restart after " sec(b[order[1]] - t0) " s"
            for (i = 1; i <= n; i++) {
                h = order[i]
                if (!(h in started)) { out = out "; " h ": not started again in the run"; continue }
                part = (b[h] < stop[h] ? "dependents " sec(stop[h] - b[h]) " + " : "") "dockerd stop " sec(up[h] - stop[h]) (h in forced ? " (forced)" : "") \
                    " + start " sec(started[h] - up[h]) (h in sess ? " (session timeout)" : "")
                nxt = (i < n) ? b[order[i + 1]] : t1
                out = out "; " h " restart " sec(started[h] - b[h]) " s (" part "), then " sec(nxt - started[h]) " s" (i < n ? " to the next" : " to the end")
                rs += started[h] - b[h]; ws += nxt - started[h]
            }
            print out "; restarts " sec(rs) " s, after them " sec(ws) " s"
        }'
}

# The swarm services the rollout benchmark watches: a mix, as on a real fleet. NAME REPLICAS (0 =
# global) HEALTHCHECK(1/0). Replicated services have a floor of replicas - 1 (maxUnavailable 1); a
# global service has one task per node, so it loses the restarting node's task by design: its
# minimum is reported, not held to a floor.
BENCH_SERVICES=("bench-spread 3 1" "bench-pair 2 1" "bench-glob 0 1" "bench-plain 2 0")
svc_name() { echo "${BENCH_SERVICES[$1]%% *}"; }
svc_replicas() { local r=${BENCH_SERVICES[$1]#* }; r=${r%% *}; [ "$r" = 0 ] && r=${#BENCH_HOSTS[@]}; echo "$r"; }
svc_floor() { local r=${BENCH_SERVICES[$1]#* }; r=${r%% *}; [ "$r" = 0 ] && echo 0 || echo $((r - 1)); }
svc_count() { echo "${#BENCH_SERVICES[@]}"; }
# "r1 r2 ..." expected running tasks of each service
svc_expected() { local i out=""; for ((i = 0; i < ${#BENCH_SERVICES[@]}; i++)); do out+="$(svc_replicas "$i") "; done; echo "${out% }"; }

# Per host, the running tasks of each bench service ("n1 n2 ..."): healthy for services with a
# healthcheck, up for the one without. "0 0 ..." when the host does not answer within 2 s.
# shellcheck disable=SC2016 # expanded on the host
HEALTHY_CMD='docker ps --filter label=com.docker.swarm.service.name --format "{{.Label \"com.docker.swarm.service.name\"}}|{{.Status}}" | awk -F"|" -v names="$1" '"'"'
    BEGIN { n = split(names, svc, " ") }
    { for (i = 1; i <= n; i++) if ($1 == svc[i] && $2 ~ /^Up/ && ($2 ~ /\(healthy\)/ || $2 !~ /health/)) c[i]++ }
    END { out = ""; for (i = 1; i <= n; i++) out = out (i > 1 ? " " : "") (c[i] + 0); print out }'"'"
healthy_on() {
    local names zeros
    names=$(for s in "${BENCH_SERVICES[@]}"; do printf '%s ' "${s%% *}"; done)
    zeros=$(for s in "${BENCH_SERVICES[@]}"; do printf '0 '; done)
    timeout 2 ssh -F "$SSH_CONFIG" -o BatchMode=yes "$1" "set -- '${names% }'; $HEALTHY_CMD" 2>/dev/null || echo "${zeros% }"
}

# "n1 n2 ..." summed over the hosts
healthy_total() {
    local h
    for h in "${BENCH_HOSTS[@]}"; do healthy_on "$h"; done | awk '{ for (i = 1; i <= NF; i++) t[i] += $i; n = NF } END { out = ""; for (i = 1; i <= n; i++) out = out (i > 1 ? " " : "") (t[i] + 0); print out }'
}

create_probe_service() {
    local i name r hc
    remove_probe_service
    for ((i = 0; i < ${#BENCH_SERVICES[@]}; i++)); do
        read -r name r hc <<<"${BENCH_SERVICES[$i]}"
        local mode="--replicas $r --replicas-max-per-node 1"
        [ "$r" = 0 ] && mode="--mode global"
        local health="--no-healthcheck"
        [ "$hc" = 1 ] && health="--health-cmd 'wget -q -O- http://127.0.0.1:8080/ || exit 1' --health-interval 1s"
        hs host1 "docker service create -d --name $name $mode --no-resolve-image --endpoint-mode dnsrr $health \
            local/busybox:1 sh -c 'mkdir -p /www && echo ok >/www/index.html && exec httpd -f -p 8080 -h /www'" >/dev/null
    done
}

remove_probe_service() {
    local s
    for s in "${BENCH_SERVICES[@]}"; do hs host1 "docker service rm ${s%% *}" >/dev/null 2>&1 || true; done
}

# wait_all_healthy TIMEOUT : until every service runs all its tasks; prints the seconds it took.
wait_all_healthy() {
    local t0 limit=$1 want
    t0=$(now)
    want=$(svc_expected)
    while [ "$(healthy_total)" != "$want" ]; do
        if awk -v a="$(now)" -v b="$t0" -v l="$limit" 'BEGIN{exit !(a-b>l)}'; then return 1; fi
        sleep 0.5
    done
    awk -v a="$(now)" -v b="$t0" 'BEGIN{printf "%.1f\n", a-b}'
}

# start_sampler FILE : every 0.5 s appends "epoch n1 n2 ..." (running tasks per service, all hosts).
start_sampler() {
    local out=$1
    (
        while :; do
            t=$(now)
            for h in "${BENCH_HOSTS[@]}"; do healthy_on "$h" >"$out.$h" & done
            wait
            printf '%s %s\n' "$t" "$(for h in "${BENCH_HOSTS[@]}"; do cat "$out.$h"; done | awk '{ for (i = 1; i <= NF; i++) t[i] += $i; n = NF } END { out = ""; for (i = 1; i <= n; i++) out = out (i > 1 ? " " : "") (t[i] + 0); print out }')" >>"$out"
            sleep "$(awk -v t="$t" -v n="$(now)" 'BEGIN{d=t+0.5-n; if (d<0) d=0; printf "%.3f", d}')"
        done
    ) &
    SAMPLER_PID=$!
}

stop_sampler() { kill "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; }

# summarize_samples FILE START END : "min1,min2,... seconds_below samples" over [START, END]
# (minimum running tasks per service; seconds below = sample intervals in which any replicated
# service had fewer than its floor).
summarize_samples() {
    local floors="" i
    for ((i = 0; i < ${#BENCH_SERVICES[@]}; i++)); do floors+="$(svc_floor "$i") "; done
    awk -v s="$2" -v e="$3" -v floors="$floors" '
        BEGIN { n = 0; k = split(floors, fl, " ") } # an unset n would file the first sample under index ""
        $1 >= s && $1 <= e { t[n] = $1; for (j = 1; j <= k; j++) v[n, j] = $(j + 1); n++ }
        END {
            if (n == 0) { print "NA NA 0"; exit }
            for (j = 1; j <= k; j++) min[j] = v[0, j]
            below = 0
            for (i = 0; i < n; i++) {
                low = 0
                for (j = 1; j <= k; j++) { if (v[i, j] < min[j]) min[j] = v[i, j]; if (v[i, j] < fl[j]) low = 1 }
                nxt = (i + 1 < n) ? t[i + 1] : e
                if (low) below += nxt - t[i]
            }
            m = ""; for (j = 1; j <= k; j++) m = m (j > 1 ? "," : "") min[j]
            printf "%s %.1f %d\n", m, below, n
        }' "$1"
}

median() { sort -g | awk '{a[NR]=$1} END{if (NR==0) {print "NA"; exit} if (NR%2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2}'; }
