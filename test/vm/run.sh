#!/usr/bin/env bash
# The VM tier end to end, group by group (test/vm/groups.sh): boot the group's VMs, run its suite
# against them (DOCKFLEET_SANDBOX_DIR = the VM state dir), power them off (DOCKFLEET_KEEP_VMS=1
# keeps the last group's VMs running). Prints the time of each part. See test/vm/README.md.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.."
# shellcheck source=test/vm/groups.sh
source test/vm/groups.sh
export DOCKFLEET_VM_DIR=${DOCKFLEET_VM_DIR:-/var/lib/dockfleet-vm}
export DOCKFLEET_SANDBOX_DIR=$DOCKFLEET_VM_DIR
[[ -d node_modules ]] || npm ci --no-audit --no-fund

t() { date +%s; }
export DOCKFLEET_VM_GROUPS=${DOCKFLEET_VM_GROUPS:-$VM_GROUPS_DEFAULT}
groups=$(vm_groups)
n=$(wc -l <<<"$groups")
i=0
rc=0
# the list on fd 3: vm.sh, ssh and mocha read stdin and would eat the rest of it
while IFS='|' read -r -u 3 name hosts suite genv; do
  i=$((i + 1))
  T0=$(t)
  grc=0
  export DOCKFLEET_VM_HOSTS=$hosts
  # shellcheck disable=SC2086 # genv: NAME=VALUE words
  env $genv bash test/vm/vm.sh up || grc=$?
  T1=$(t)
  ((grc != 0)) || npx mocha --timeout 1800000 "$suite" || grc=$?
  T2=$(t)
  if [[ ${DOCKFLEET_KEEP_VMS:-0} == 1 && $i == "$n" ]]; then
    echo "[vm-run] DOCKFLEET_KEEP_VMS=1: VMs left running (bash test/vm/vm.sh down stops them)"
  else
    bash test/vm/vm.sh down || grc=$?
  fi
  T3=$(t)
  echo "[vm-run] group $name ($hosts): up $((T1 - T0))s, suite $((T2 - T1))s, down $((T3 - T2))s, total $((T3 - T0))s; exit $grc"
  ((grc == 0)) || rc=$grc
done 3<<<"$groups"
((i == n)) || { echo "[vm-run] FATAL: $i of $n groups ran" >&2; rc=1; }
exit "$rc"
