#!/usr/bin/env bash
# Daemon-config rollout: dockfleet (`pulumi up`) against an Ansible playbook (copy daemon.json,
# restart docker, `serial: 1`), the same change on the same 3 sandbox swarm hosts, while a
# replicated swarm service with a healthcheck is sampled every 0.5 s.
#
#   bash bench/rollout-vs-ansible.sh [N]        # N repeats (default 3), order alternates
#
# Takes the sandbox lock (/run/dockfleet-sandbox.lock) for the whole run and leaves the hosts as
# found: it drives the local stack with reverted config changes when that stack manages the hosts,
# else a scratch stack that is destroyed at the end (onDelete: restore); the probe service is removed. Needs the sandbox up, the engine
# (scripts/engine.sh) and ansible-core (apt-get install ansible-core). See bench/README.md.
set -euo pipefail
BENCH_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export BENCH_ROOT
# shellcheck source=bench/lib.sh
source "$BENCH_ROOT/bench/lib.sh"

REPEATS=${1:-3}
case "$REPEATS" in '' | *[!0-9]* | 0) echo "usage: $0 [REPEATS>0]" >&2; exit 2 ;; esac
command -v ansible-playbook >/dev/null || { echo "ansible-playbook not found: apt-get install ansible-core" >&2; exit 2; }

hold_sandbox_lock "$@"
check_hosts_free

SAMPLER_PID=""
cleanup() {
    local rc=$?
    [ -n "$SAMPLER_PID" ] && stop_sampler
    remove_probe_service
    teardown_bench_stack || rc=1
    note "hosts restored"
    exit "$rc"
}
trap cleanup EXIT
setup_bench_stack
trap 'exit 130' INT TERM
RESULTS=$WORK/results.txt
: >"$RESULTS"

# ------------------------------------------------------------------------- baseline state ---
use_config base
if [ "$BENCH_MODE" = scratch ]; then
    note "baseline: pulumi up of the unchanged daemon config (not measured)"
    bench_pulumi up --yes --skip-preview >"$WORK/baseline-up.log" 2>&1 || { tail -30 "$WORK/baseline-up.log" >&2; exit 1; }
fi

# The Ansible side copies exactly the bytes dockfleet wrote (base), and base + the same change.
mkdir -p "$WORK/ansible/base" "$WORK/ansible/changed"
for h in "${BENCH_HOSTS[@]}"; do
    hs "$h" cat /etc/docker/daemon.json >"$WORK/ansible/base/$h.json"
    node -e '
        const fs = require("fs");
        const d = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
        d["registry-mirrors"] = [...(d["registry-mirrors"] || []), "http://10.232.0.12:5000"];
        d["log-opts"] = { ...(d["log-opts"] || {}), compress: "true" };
        fs.writeFileSync(process.argv[2], JSON.stringify(d, null, 2) + "\n");
    ' "$WORK/ansible/base/$h.json" "$WORK/ansible/changed/$h.json"
done
cat >"$WORK/ansible/inventory.ini" <<EOF
[docker_hosts]
host1
host2
host3

[docker_hosts:vars]
ansible_user=root
ansible_ssh_common_args=-F $SSH_CONFIG
EOF
# What operators do today: put the file in place and restart docker, one host at a time. The
# sandbox hosts have no Python, so Ansible's modules (copy, systemd) cannot run there: the playbook
# uses `raw` (plain ssh commands) - write to a temp file + rename, then `systemctl restart docker`.
# The file is copied byte for byte (rstrip=False keeps the trailing newline dockfleet writes).
cat >"$WORK/ansible/daemon-json.yml" <<'EOF'
- name: docker daemon.json
  hosts: docker_hosts
  serial: 1
  gather_facts: false
  tasks:
    - name: daemon.json
      ansible.builtin.raw: >-
        printf '%s' {{ lookup('ansible.builtin.file', src_dir ~ '/' ~ inventory_hostname ~ '.json', rstrip=False) | quote }}
        > /etc/docker/daemon.json.ansible-tmp && chmod 0644 /etc/docker/daemon.json.ansible-tmp
        && mv /etc/docker/daemon.json.ansible-tmp /etc/docker/daemon.json
    - name: restart docker
      ansible.builtin.raw: systemctl restart docker.service
EOF
export ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_PIPELINING=True ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=False ANSIBLE_STDOUT_CALLBACK=default
ansible_run() { ansible-playbook -i "$WORK/ansible/inventory.ini" "$WORK/ansible/daemon-json.yml" -e "src_dir=$WORK/ansible/$1"; }
ansible -i "$WORK/ansible/inventory.ini" docker_hosts -m ansible.builtin.raw -a true >"$WORK/ansible-ping.log" 2>&1 || { cat "$WORK/ansible-ping.log" >&2; exit 1; }

note "probe service $PROBE_SERVICE: $PROBE_REPLICAS replicas, 1 per node, healthcheck every 1 s"
create_probe_service
wait_all_healthy 180 >/dev/null || { note "probe service never got $PROBE_REPLICAS healthy tasks"; exit 1; }

# Every host must run the changed config after a measured rollout (file and live dockerd).
verify_changed() {
    local h
    for h in "${BENCH_HOSTS[@]}"; do
        hs "$h" 'grep -q "10.232.0.12:5000" /etc/docker/daemon.json && docker info --format "{{.RegistryConfig.Mirrors}}" | grep -q "10.232.0.12:5000"' ||
            { note "$h: change NOT live after the rollout"; return 1; }
    done
}
reset_start_limits() { local h; for h in "${BENCH_HOSTS[@]}"; do hs "$h" systemctl reset-failed docker.service docker.socket 2>/dev/null || true; done; }

# measure METHOD REPEAT : one measured rollout of the change, then an unmeasured revert.
measure() {
    local m=$1 r=$2 log="$WORK/$1-$2" t0 t1 t2 rc=0 during total
    reset_start_limits
    wait_all_healthy 180 >/dev/null || { note "probe not fully healthy before $m #$r"; return 1; }
    start_sampler "$log.samples"
    sleep 1
    t0=$(now)
    case "$m" in
        dockfleet) use_config changed; bench_pulumi up --yes --skip-preview "${BENCH_UP_ARGS[@]}" >"$log.log" 2>&1 || rc=$? ;;
        ansible) ansible_run changed >"$log.log" 2>&1 || rc=$? ;;
    esac
    t1=$(now)
    wait_all_healthy 180 >/dev/null || note "$m #$r: probe not fully healthy 180 s after the rollout"
    t2=$(now)
    sleep 0.6
    stop_sampler; SAMPLER_PID=""
    [ "$rc" = 0 ] || { note "$m #$r FAILED (rc $rc), see $log.log"; tail -20 "$log.log" >&2; return 1; }
    verify_changed
    read -r dmin dbelow dn <<<"$(summarize_samples "$log.samples" "$t0" "$t1")"
    read -r tmin tbelow _ <<<"$(summarize_samples "$log.samples" "$t0" "$t2")"
    during=$(awk -v a="$t1" -v b="$t0" 'BEGIN{printf "%.1f", a-b}')
    total=$(awk -v a="$t2" -v b="$t1" 'BEGIN{printf "%.1f", a-b}')
    printf '%s %s wall=%s min_healthy=%s below_s=%s recovery_s=%s min_healthy_incl_recovery=%s below_s_incl_recovery=%s samples=%s\n' \
        "$m" "$r" "$during" "$dmin" "$dbelow" "$total" "$tmin" "$tbelow" "$dn" | tee -a "$RESULTS" >&2
    # Revert (not measured) with the same tool, back to the exact baseline bytes.
    reset_start_limits
    case "$m" in
        dockfleet) use_config base; bench_pulumi up --yes --skip-preview "${BENCH_UP_ARGS[@]}" >"$log.revert.log" 2>&1 ;;
        ansible) ansible_run base >"$log.revert.log" 2>&1 ;;
    esac || { note "$m #$r: revert FAILED, see $log.revert.log"; return 1; }
}

for r in $(seq 1 "$REPEATS"); do
    if [ $((r % 2)) = 1 ]; then order="dockfleet ansible"; else order="ansible dockfleet"; fi
    for m in $order; do
        note "repeat $r/$REPEATS: $m"
        measure "$m" "$r"
    done
done

field() { grep "^$1 " "$RESULTS" | tr ' ' '\n' | sed -n "s/^$2=//p" | median; }
echo
echo "rollout-vs-ansible: $(date -u +%FT%TZ), $(nproc) cores, $REPEATS repeats (alternating order), 3 hosts, stack '$BENCH_STACK' ($BENCH_MODE mode), probe $PROBE_REPLICAS replicas"
cat "$RESULTS"
echo "medians:            wall s  min healthy  s below $((PROBE_REPLICAS - 1))  recovery s  min healthy (incl. recovery)  s below (incl. recovery)"
for m in dockfleet ansible; do
    printf '  %-10s %11s %12s %10s %11s %29s %25s\n' "$m" "$(field "$m" wall)" "$(field "$m" min_healthy)" "$(field "$m" below_s)" \
        "$(field "$m" recovery_s)" "$(field "$m" min_healthy_incl_recovery)" "$(field "$m" below_s_incl_recovery)"
done
dw=$(field dockfleet wall); aw=$(field ansible wall)
echo "ratio dockfleet/ansible (median wall): $(awk -v a="$dw" -v b="$aw" 'BEGIN{printf "%.2f", a/b}')"
# Per-repeat ratios, measured side by side in the same repeat.
for r in $(seq 1 "$REPEATS"); do
    d=$(grep "^dockfleet $r " "$RESULTS" | sed -n 's/.*wall=\([0-9.]*\).*/\1/p'); a=$(grep "^ansible $r " "$RESULTS" | sed -n 's/.*wall=\([0-9.]*\).*/\1/p')
    echo "$d $a"
done | awk '{print $1/$2}' | median | sed 's/^/median of per-repeat ratios: /'
