#!/usr/bin/env bash
# Daemon-config rollout: dockfleet (`pulumi up`) against two Ansible playbooks, the same change on
# the same sandbox swarm hosts, while a mix of swarm services is sampled every 0.5 s:
#  - ansible:  copy daemon.json, restart docker, `serial: 1` (what operators do today);
#  - careful:  the same, then wait until the node is Ready and every service runs all its tasks
#              again before the next host (what a careful operator writes).
# Then a reload-only change (another mirror + debug; on the config without its proxy), with:
#  - dockfleet_reload:  `pulumi up` (one canary reload, then the other hosts as one wave);
#  - careful_reload:    the careful playbook (copies daemon.json and restarts, serial 1, waits);
#  - ansible_reloaded:  copy daemon.json, then `systemctl reload docker` (the systemd module's
#                       `state: reloaded`), every host at once.
#
#   bash bench/rollout-vs-ansible.sh [N]        # N repeats (default 3), order rotates
#   BENCH_CHANGES=reload bash bench/rollout-vs-ansible.sh 1   # one change only (default: "restart reload")
#
# Hosts: every sandbox host (3; or a larger sandbox: DOCKFLEET_SANDBOX_HOSTS=6
# DOCKFLEET_SANDBOX_MANAGERS=1 bash test/sandbox/sandbox.sh up && ... sandbox.sh swarm = 1 manager
# + 5 workers). Takes the sandbox lock (/run/dockfleet-sandbox.lock) for the whole run and leaves
# the hosts as found: it drives the local stack with reverted config changes when that stack
# manages the hosts, else a scratch stack that is destroyed at the end (onDelete: restore); the
# services are removed. Needs the sandbox up, the engine (dev/engine.sh) and ansible-core
# (apt-get install ansible-core). See bench/README.md.
set -euo pipefail
BENCH_ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export BENCH_ROOT
# shellcheck source=bench/lib.sh
source "$BENCH_ROOT/bench/lib.sh"

REPEATS=${1:-3}
case "$REPEATS" in '' | *[!0-9]* | 0) echo "usage: $0 [REPEATS>0]" >&2; exit 2 ;; esac
BENCH_CHANGES=${BENCH_CHANGES:-restart reload}
case " $BENCH_CHANGES " in *" restart "* | *" reload "*) ;; *) echo "BENCH_CHANGES: restart and/or reload" >&2; exit 2 ;; esac
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
{
    echo "[docker_hosts]"
    printf '%s\n' "${BENCH_HOSTS[@]}"
    echo
    echo "[managers]"
    awk '$2 == "manager" {print $1}' <<<"$BENCH_ROLES"
    echo
    echo "[docker_hosts:vars]"
    echo "ansible_user=root"
    echo "ansible_ssh_common_args=-F $SSH_CONFIG"
} >"$WORK/ansible/inventory.ini"
# What operators do today: put the file in place and restart docker, one host at a time. The
# sandbox hosts have no Python, so Ansible's modules (copy, systemd) cannot run there: the playbook
# uses `raw` (plain ssh commands) - write to a temp file + rename, then `systemctl restart docker`.
# The file is copied byte for byte (rstrip=False keeps the trailing newline dockfleet writes).
cat >"$WORK/ansible/write-and-restart.yml" <<'EOF'
- name: daemon.json
  ansible.builtin.raw: >-
    printf '%s' {{ lookup('ansible.builtin.file', src_dir ~ '/' ~ inventory_hostname ~ '.json', rstrip=False) | quote }}
    > /etc/docker/daemon.json.ansible-tmp && chmod 0644 /etc/docker/daemon.json.ansible-tmp
    && mv /etc/docker/daemon.json.ansible-tmp /etc/docker/daemon.json
- name: restart docker
  ansible.builtin.raw: systemctl restart docker.service
EOF
cat >"$WORK/ansible/daemon-json.yml" <<'EOF'
- name: docker daemon.json
  hosts: docker_hosts
  serial: 1
  gather_facts: false
  tasks:
    - ansible.builtin.import_tasks: write-and-restart.yml
EOF
# What a careful operator writes: the same two steps, then, before the next host: dockerd back in
# the swarm on this node; a manager (another one when there is one) sees the node Ready, every
# task the swarm wants on it Running (swarm reports a task with a healthcheck Running only once it
# is healthy) and every service with all its replicas. Each wait gives up after 120 s.
cat >"$WORK/ansible/careful.yml" <<'EOF'
- name: docker daemon.json, one host at a time, waiting for the swarm
  hosts: docker_hosts
  serial: 1
  gather_facts: false
  vars:
    manager: "{{ (groups['managers'] | difference([inventory_hostname]) + [inventory_hostname]) | first }}"
  tasks:
    - ansible.builtin.import_tasks: write-and-restart.yml
    - name: wait for dockerd and this node's swarm agent
      ansible.builtin.raw: >-
        for i in $(seq 240); do
        [ "$(docker info --format '{% raw %}{{.Swarm.LocalNodeState}}{% endraw %}' 2>/dev/null)" = active ] && exit 0; sleep 0.5;
        done; exit 1
    - name: wait until the node is Ready, its tasks Running and every service complete
      delegate_to: "{{ manager }}"
      ansible.builtin.raw: >-
        for i in $(seq 240); do
        st=$(docker node inspect {{ inventory_hostname }} --format '{% raw %}{{.Status.State}}{% endraw %}' 2>/dev/null);
        pending=$(docker node ps {{ inventory_hostname }} --filter desired-state=running --format '{% raw %}{{.CurrentState}}{% endraw %}' 2>/dev/null | grep -vc '^Running');
        short=$(docker service ls --format '{% raw %}{{.Replicas}}{% endraw %}' 2>/dev/null | awk '{split($1, r, "/"); if (r[1] != r[2]) n++} END {print n + 0}');
        [ "$st" = ready ] && [ "$pending" = 0 ] && [ "$short" = 0 ] && exit 0; sleep 0.5;
        done; exit 1
EOF
# The reload-only change the way the systemd module's `state: reloaded` does it: put the file in
# place and `systemctl reload docker` (dockerd reloads on SIGHUP), every host at once (no serial;
# forks = the host count).
cat >"$WORK/ansible/reloaded.yml" <<'EOF'
- name: docker daemon.json, reloaded
  hosts: docker_hosts
  gather_facts: false
  tasks:
    - name: daemon.json
      ansible.builtin.raw: >-
        printf '%s' {{ lookup('ansible.builtin.file', src_dir ~ '/' ~ inventory_hostname ~ '.json', rstrip=False) | quote }}
        > /etc/docker/daemon.json.ansible-tmp && chmod 0644 /etc/docker/daemon.json.ansible-tmp
        && mv /etc/docker/daemon.json.ansible-tmp /etc/docker/daemon.json
    - name: reload docker
      ansible.builtin.raw: systemctl reload docker.service
EOF
export ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_PIPELINING=True ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=False ANSIBLE_STDOUT_CALLBACK=default
# ansible_run PLAYBOOK base|changed
ansible_run() { ansible-playbook -f "${#BENCH_HOSTS[@]}" -i "$WORK/ansible/inventory.ini" "$WORK/ansible/$1.yml" -e "src_dir=$WORK/ansible/$2"; }
ansible -i "$WORK/ansible/inventory.ini" docker_hosts -m ansible.builtin.raw -a true >"$WORK/ansible-ping.log" 2>&1 || { cat "$WORK/ansible-ping.log" >&2; exit 1; }

note "swarm: $(tr '\n' ',' <<<"$BENCH_ROLES" | sed 's/,$//')"
note "services: ${BENCH_SERVICES[*]} (name, replicas or 0 = global, healthcheck); expected running: $(svc_expected)"
create_probe_service
wait_all_healthy 180 >/dev/null || { note "the services never ran all their tasks ($(healthy_total) of $(svc_expected))"; exit 1; }

# Every host must run the changed config after a measured rollout (file and live dockerd).
verify_changed() {
    local h
    for h in "${BENCH_HOSTS[@]}"; do
        hs "$h" 'grep -q "10.232.0.12:5000" /etc/docker/daemon.json && docker info --format "{{.RegistryConfig.Mirrors}}" | grep -q "10.232.0.12:5000"' ||
            { note "$h: change NOT live after the rollout"; return 1; }
    done
}
verify_reloaded() {
    local h
    for h in "${BENCH_HOSTS[@]}"; do
        hs "$h" 'grep -q "10.232.0.13:5000" /etc/docker/daemon.json && docker info --format "{{.Debug}} {{.RegistryConfig.Mirrors}}" | grep -q "^true .*10.232.0.13:5000"' ||
            { note "$h: reload-only change NOT live after the rollout"; return 1; }
    done
}
# "host=ActiveEnterTimestamp" lines of docker.service: a host whose value changed restarted dockerd.
active_since() { local h; for h in "${BENCH_HOSTS[@]}"; do printf '%s=%s\n' "$h" "$(hs "$h" systemctl show docker.service -p ActiveEnterTimestamp --value | tr ' ' _)"; done; }
reset_start_limits() { local h; for h in "${BENCH_HOSTS[@]}"; do hs "$h" systemctl reset-failed docker.service docker.socket 2>/dev/null || true; done; }

# The raft leader now (a manager's `docker node ls`), and how many times a manager became leader
# in [t0, t1] (dockerd's "became leader" lines): each election is a spell with no leader, which a
# rollout pays when it restarts the leader.
leader_now() {
    local h l
    for h in "${BENCH_HOSTS[@]}"; do
        l=$(hs "$h" "docker node ls --format '{{.Hostname}} {{.ManagerStatus}}' 2>/dev/null" | awk '$2 == "Leader" { print $1; exit }')
        [ -z "$l" ] || { echo "$l"; return; }
    done
    echo none
}
# run_journal T0 T1 : the hosts' journal lines a run's figures come from, one ssh per host:
# "HOST EPOCH line" for the restarts (restart_timeline_of in lib.sh) and the raft elections.
run_journal() {
    local t0=$1 t1=$2 h
    for h in "${BENCH_HOSTS[@]}"; do
        hs "$h" "journalctl --since @${t0%.*} --until @$((${t1%.*} + 1)) -o short-unix --no-pager 2>/dev/null |
            grep -E 'systemd\[1\]: (Stopping|Started) |Force shutdown daemon|msg=\"Starting up\"|session initiation timed out|became leader'" |
            sed "s/^/$h /" || true
    done
}

# measure METHOD REPEAT : one measured rollout of the change, then an unmeasured revert.
measure() {
    local m=$1 r=$2 log="$WORK/$1-$2" t0 t1 t2 rc=0 during total leader since restarts
    reset_start_limits
    since=$(active_since)
    wait_all_healthy 180 >/dev/null || { note "services not complete before $m #$r"; return 1; }
    start_sampler "$log.samples"
    leader=$(leader_now)
    sleep 1
    t0=$(now)
    case "$m" in
        dockfleet) use_config changed; bench_pulumi up --yes --skip-preview "${BENCH_UP_ARGS[@]}" >"$log.log" 2>&1 || rc=$? ;;
        ansible) ansible_run daemon-json changed >"$log.log" 2>&1 || rc=$? ;;
        careful) ansible_run careful changed >"$log.log" 2>&1 || rc=$? ;;
        dockfleet_reload) use_config reload; bench_pulumi up --yes --skip-preview "${BENCH_UP_ARGS[@]}" >"$log.log" 2>&1 || rc=$? ;;
        careful_reload) ansible_run careful reload >"$log.log" 2>&1 || rc=$? ;;
        ansible_reloaded) ansible_run reloaded reload >"$log.log" 2>&1 || rc=$? ;;
    esac
    t1=$(now)
    wait_all_healthy 180 >/dev/null || note "$m #$r: services not complete 180 s after the rollout"
    t2=$(now)
    sleep 0.6
    stop_sampler; SAMPLER_PID=""
    [ "$rc" = 0 ] || { note "$m #$r FAILED (rc $rc), see $log.log"; tail -20 "$log.log" >&2; return 1; }
    case "$m" in *reload*) verify_reloaded ;; *) verify_changed ;; esac
    restarts=$(diff <(echo "$since") <(active_since) | grep -c '^>' || true)
    read -r dmin dbelow dn <<<"$(summarize_samples "$log.samples" "$t0" "$t1")"
    read -r tmin tbelow _ <<<"$(summarize_samples "$log.samples" "$t0" "$t2")"
    during=$(awk -v a="$t1" -v b="$t0" 'BEGIN{printf "%.1f", a-b}')
    total=$(awk -v a="$t2" -v b="$t1" 'BEGIN{printf "%.1f", a-b}')
    run_journal "$t0" "$t1" >"$log.journal"
    printf '%s %s wall=%s restarts=%s min=%s below_s=%s recovery_s=%s min_incl_recovery=%s below_s_incl_recovery=%s samples=%s leader_before=%s elections=%s\n' \
        "$m" "$r" "$during" "$restarts" "$dmin" "$dbelow" "$total" "$tmin" "$tbelow" "$dn" "$leader" "$(grep -c 'became leader' "$log.journal" || true)" | tee -a "$RESULTS" >&2
    case "$m" in dockfleet*) grep -E '^ +batch [0-9]+ = |reload: .*\(canary\)' "$log.log" | sed 's/^ *//' | sort -u | sed "s/^/  $m #$r plan: /" | tee -a "$WORK/plans.txt" >&2 || true ;; esac
    echo "  $m #$r timeline: $(restart_timeline_of "$t0" "$t1" <"$log.journal")" | tee -a "$WORK/timelines.txt" >&2
    # Revert (not measured) with the same tool, back to the exact baseline bytes.
    reset_start_limits
    case "$m" in
        dockfleet) use_config base; bench_pulumi up --yes --skip-preview "${BENCH_UP_ARGS[@]}" >"$log.revert.log" 2>&1 ;;
        ansible) ansible_run daemon-json base >"$log.revert.log" 2>&1 ;;
        careful) ansible_run careful base >"$log.revert.log" 2>&1 ;;
        dockfleet_reload) use_config rbase; bench_pulumi up --yes --skip-preview "${BENCH_UP_ARGS[@]}" >"$log.revert.log" 2>&1 ;;
        careful_reload) ansible_run careful rbase >"$log.revert.log" 2>&1 ;;
        ansible_reloaded) ansible_run reloaded rbase >"$log.revert.log" 2>&1 ;;
    esac || { note "$m #$r: revert FAILED, see $log.revert.log"; return 1; }
}

# run_repeats METHOD1 METHOD2 METHOD3 : REPEATS repeats of the three, rotating which goes first
# (each first once every 3 repeats).
run_repeats() {
    local r k m order
    for r in $(seq 1 "$REPEATS"); do
        order=()
        for ((k = 0; k < 3; k++)); do order+=("${@:$(((r - 1 + k) % 3 + 1)):1}"); done
        for m in "${order[@]}"; do
            note "repeat $r/$REPEATS: $m"
            measure "$m" "$r"
        done
    done
}
METHODS=()
if [[ " $BENCH_CHANGES " == *" restart "* ]]; then
    METHODS+=(dockfleet careful ansible)
    run_repeats dockfleet careful ansible
fi
if [[ " $BENCH_CHANGES " == *" reload "* ]]; then
    METHODS+=(dockfleet_reload careful_reload ansible_reloaded)
    # Not measured: the stack's config without its proxy (a proxied host always restarts, its
    # proxy file being root-only); each host restarts once as its proxy drop-in goes. The Ansible
    # side then copies the bytes dockfleet wrote for it, and those plus the same change.
    note "reload change: pulumi up of the config without its proxy (not measured)"
    use_config rbase
    reset_start_limits
    bench_pulumi up --yes --skip-preview "${BENCH_UP_ARGS[@]}" >"$WORK/rbase-up.log" 2>&1 || { tail -30 "$WORK/rbase-up.log" >&2; exit 1; }
    wait_all_healthy 180 >/dev/null || { note "services not complete after the proxy-less up"; exit 1; }
    mkdir -p "$WORK/ansible/rbase" "$WORK/ansible/reload"
    for h in "${BENCH_HOSTS[@]}"; do
        hs "$h" cat /etc/docker/daemon.json >"$WORK/ansible/rbase/$h.json"
        node -e '
            const fs = require("fs");
            const d = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
            d["registry-mirrors"] = [...(d["registry-mirrors"] || []), "http://10.232.0.13:5000"];
            d.debug = true;
            fs.writeFileSync(process.argv[2], JSON.stringify(d, null, 2) + "\n");
        ' "$WORK/ansible/rbase/$h.json" "$WORK/ansible/reload/$h.json"
    done
    run_repeats dockfleet_reload careful_reload ansible_reloaded
fi

field() { grep "^$1 " "$RESULTS" | tr ' ' '\n' | sed -n "s/^$2=//p" | median; }
# the worst (lowest) minimum per service over the repeats
worst_min() { grep "^$1 " "$RESULTS" | tr ' ' '\n' | sed -n "s/^$2=//p" | awk -F, '{ for (i = 1; i <= NF; i++) if (NR == 1 || $i < m[i]) m[i] = $i; n = NF } END { out = ""; for (i = 1; i <= n; i++) out = out (i > 1 ? "," : "") m[i]; print out }'; }
echo
echo "rollout-vs-ansible: $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $REPEATS repeats (rotating order), ${#BENCH_HOSTS[@]} hosts ($(awk '{print $2}' <<<"$BENCH_ROLES" | sort | uniq -c | awk '{printf "%s%s %s", (NR > 1 ? " + " : ""), $1, $2}')), stack '$BENCH_STACK' ($BENCH_MODE mode)"
echo "services (name, replicas or 0 = global, healthcheck): ${BENCH_SERVICES[*]}; floors (replicas - 1; global: none): $(for ((i = 0; i < ${#BENCH_SERVICES[@]}; i++)); do printf '%s ' "$(svc_floor "$i")"; done)"
cat "$RESULTS"
[ ! -f "$WORK/plans.txt" ] || cat "$WORK/plans.txt"
[ ! -f "$WORK/timelines.txt" ] || cat "$WORK/timelines.txt"
echo "medians:                  wall s   dockerd restarts   s below a floor   recovery s   s below (incl. recovery)   worst min per service (incl. recovery)"
for m in "${METHODS[@]}"; do
    printf '  %-18s %9s %18s %17s %12s %26s   %s\n' "$m" "$(field "$m" wall)" "$(field "$m" restarts)" "$(field "$m" below_s)" \
        "$(field "$m" recovery_s)" "$(field "$m" below_s_incl_recovery)" "$(worst_min "$m" min_incl_recovery)"
done
# ratios D M : dockfleet's arm D against the other method M of the same change
ratios() {
    local d=$1 m=$2 r
    echo "ratio $d/$m (median wall): $(awk -v a="$(field "$d" wall)" -v b="$(field "$m" wall)" 'BEGIN{printf "%.2f", a/b}')"
    # per-repeat ratios, measured side by side in the same repeat
    for r in $(seq 1 "$REPEATS"); do
        echo "$(grep "^$d $r " "$RESULTS" | sed -n 's/.*wall=\([0-9.]*\).*/\1/p') $(grep "^$m $r " "$RESULTS" | sed -n 's/.*wall=\([0-9.]*\).*/\1/p')"
    done | awk '{print $1/$2}' | median | sed "s/^/median of per-repeat ratios $d\/$m: /"
}
if [[ " ${METHODS[*]} " == *" dockfleet "* ]]; then ratios dockfleet careful; ratios dockfleet ansible; fi
if [[ " ${METHODS[*]} " == *" dockfleet_reload "* ]]; then ratios dockfleet_reload careful_reload; ratios dockfleet_reload ansible_reloaded; fi
