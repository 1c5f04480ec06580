#!/usr/bin/env bash
# The README's test command (`npm test`): unit tests, then the sandbox of real hosts, contract
# tests against it, the real-engine end-to-end tests, and teardown. Prints one closing line
# "total: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
export TS_NODE_TRANSPILE_ONLY=${TS_NODE_TRANSPILE_ONLY:-false}
passed=0
failed=0
status=0
log_dir=$(mktemp -d)

# run_suite NAME MOCHA_ARGS... : runs mocha, adds its counts, remembers failure.
run_suite() {
    local name=$1; shift
    local out=$log_dir/$name.log
    local t0=$SECONDS limit=()
    echo "=== suite: $name (started $(date -u +%T) UTC)"
    # DOCKFLEET_TEST_DEADLINE (epoch seconds; .ci/run sets it from CI's time limit): a suite still
    # running then is interrupted and counted as failed, so a slow run still ends with its report
    # and brings the main job back, instead of being cut off without either.
    if [ -n "${DOCKFLEET_TEST_DEADLINE:-}" ]; then
        local left=$((DOCKFLEET_TEST_DEADLINE - $(date +%s)))
        [ "$left" -gt 0 ] || left=1
        limit=(timeout -s INT -k 60 "$left")
    fi
    "${limit[@]}" npx mocha "$@" 2>&1 | tee "$out"
    local rc=${PIPESTATUS[0]}
    echo "=== suite: $name done in $((SECONDS - t0)) s"
    local p f
    p=$(grep -Eo '^ +[0-9]+ passing' "$out" | grep -Eo '[0-9]+' | tail -1)
    f=$(grep -Eo '^ +[0-9]+ failing' "$out" | grep -Eo '[0-9]+' | tail -1)
    if [ "$rc" = 124 ] || { [ "${#limit[@]}" -gt 0 ] && [ "$rc" = 137 ]; }; then
        # interrupted mocha prints no totals: count the result lines it printed as it went
        p=$(grep -Ec '^ +✔ ' "$out")
        f=$(( $(grep -Ec '^ +[0-9]+\) ' "$out") + 1 ))
        echo "FATAL: suite $name was still running at the time budget's end (DOCKFLEET_TEST_DEADLINE) and was interrupted after $p passed and $((f - 1)) failed tests; the rest did not run" >&2
    fi
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    if [ "$rc" != 0 ]; then
        status=1
        [ -n "$f" ] || failed=$((failed + 1)) # crashed before reporting: count it
    fi
}

echo "=== typecheck"
if ! npx tsc --noEmit -p .; then status=1; failed=$((failed + 1)); fi

run_suite unit 'components/**/*.test.ts' 'config/**/*.test.ts' 'test/unit/**/*.test.ts'

# The sandbox may already carry the main job (`npm start`): then it stays up afterwards, and the
# main job is parked for the suites and brought back at the end (scripts/main-job.sh).
sandbox_dir=${DOCKFLEET_SANDBOX_DIR:-/var/lib/dockfleet-sandbox}
sandbox_before=0
if [ -f "$sandbox_dir/sandbox.json" ] && ssh -F "$sandbox_dir/ssh_config" -o ConnectTimeout=5 host1 true 2>/dev/null; then sandbox_before=1; fi

sandbox_used=0
finish() {
    [ "$sandbox_used" = 1 ] || return 0
    sandbox_used=0
    if [ "$sandbox_before" = 1 ]; then
        echo "=== main job back (the sandbox was up before the tests: it stays up)"
        bash scripts/main-job.sh unpark || { echo "FATAL: the main job could not be brought back: run npm start" >&2; status=1; failed=$((failed + 1)); }
    elif [ "${DOCKFLEET_KEEP_SANDBOX:-}" != 1 ]; then
        echo "=== sandbox down"
        bash test/sandbox/sandbox.sh down
    fi
}

if compgen -G 'test/contract/*.test.ts' >/dev/null || compgen -G 'test/e2e/*.test.ts' >/dev/null; then
    echo "=== sandbox up"
    if ! bash test/sandbox/sandbox.sh up; then
        echo "FATAL: the sandbox of test hosts did not come up; contract and e2e tests cannot run" >&2
        status=1
        failed=$((failed + 1))
    elif ! bash scripts/main-job.sh park; then
        echo "FATAL: the main job's stack (local) on the sandbox could not be parked; the suites need hosts they control" >&2
        status=1
        failed=$((failed + 1))
    elif ! bash test/sandbox/sandbox.sh swarm; then
        # The contract suites run on a 3-manager swarm. `npm start` (the product) forms it; on hosts
        # it never ran on, the sandbox forms it as a fixture. test/e2e/swarm.test.ts forms one
        # from nothing with the product.
        echo "FATAL: the sandbox swarm did not form; contract and e2e tests cannot run" >&2
        status=1
        failed=$((failed + 1))
    else
        sandbox_used=1
        trap finish EXIT
        if compgen -G 'test/contract/*.test.ts' >/dev/null; then
            run_suite contract --timeout 600000 'test/contract/*.test.ts'
        fi
        if compgen -G 'test/e2e/*.test.ts' >/dev/null; then
            run_suite e2e --timeout 900000 'test/e2e/*.test.ts'
        fi
    fi
fi

finish

# The VM tier (issue 11, test/vm/README.md): qemu VMs with Debian's own kernel, for what the nspawn
# hosts' shared kernel cannot run (device-mapper, NFS, IPVS). Last, after the main job is back:
# booting a VM under TCG saturates a core, which would skew the timing-sensitive swarm suites.
# Group by group (test/vm/groups.sh), each group's VMs down before the next boots.
if compgen -G 'test/vm/*.test.ts' >/dev/null; then
    if [ "${DOCKFLEET_SKIP_VM:-}" = 1 ]; then
        echo "WARNING: VM-tier suites NOT RUN (DOCKFLEET_SKIP_VM=1): devicemapper direct-lvm, NFS volumes and the routing mesh are unproven in this run" >&2
    else
        # shellcheck source=test/vm/groups.sh
        source test/vm/groups.sh
        vm_dir=${DOCKFLEET_VM_DIR:-/var/lib/dockfleet-vm}
        if ! vm_list=$(vm_groups); then
            status=1
            failed=$((failed + 1))
            vm_list=""
        fi
        vm_last=$(tail -1 <<<"$vm_list" | cut -d'|' -f1)
        vm_ran=0
        # the list on fd 3: vm.sh, ssh and mocha read stdin and would eat the rest of it
        while IFS='|' read -r -u 3 vm_name vm_hosts vm_suite vm_env; do
            [ -n "$vm_name" ] || continue
            vm_ran=$((vm_ran + 1))
            echo "=== VM tier up: group $vm_name ($vm_hosts)"
            # shellcheck disable=SC2086 # vm_env: NAME=VALUE words
            if env DOCKFLEET_VM_HOSTS="$vm_hosts" $vm_env bash test/vm/vm.sh up; then
                DOCKFLEET_SANDBOX_DIR=$vm_dir run_suite "vm-$vm_name" --timeout 1800000 "$vm_suite"
            else
                echo "FATAL: the VM tier group $vm_name did not come up; $vm_suite cannot run" >&2
                status=1
                failed=$((failed + 1))
            fi
            # DOCKFLEET_KEEP_VMS=1 keeps the last group's VMs running
            if [ "${DOCKFLEET_KEEP_VMS:-}" != 1 ] || [ "$vm_name" != "$vm_last" ]; then
                echo "=== VM tier down: group $vm_name"
                bash test/vm/vm.sh down || echo "WARNING: test/vm/vm.sh down failed" >&2
            fi
        done 3<<<"$vm_list"
        vm_want=$(grep -c . <<<"$vm_list" || true)
        if [ "$vm_ran" != "$vm_want" ]; then
            echo "FATAL: $vm_ran of $vm_want VM-tier groups ran" >&2
            status=1
            failed=$((failed + 1))
        fi
    fi
fi

echo
echo "total: $passed passed, $failed failed"
rm -rf "$log_dir"
exit "$status"
