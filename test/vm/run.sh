#!/usr/bin/env bash
# The VM tier end to end: boot the VMs the suite needs, run test/vm/devicemapper.test.ts against
# them (DOCKFLEET_SANDBOX_DIR = the VM state dir), then power them off (DOCKFLEET_KEEP_VMS=1 keeps
# them running for the next run). Prints the time of each part. See test/vm/README.md.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.."
export DOCKFLEET_VM_HOSTS=${DOCKFLEET_VM_HOSTS:-dm1}
export DOCKFLEET_VM_DIR=${DOCKFLEET_VM_DIR:-/var/lib/dockfleet-vm}
export DOCKFLEET_SANDBOX_DIR=$DOCKFLEET_VM_DIR

t() { date +%s; }
T0=$(t)
rc=0
bash test/vm/vm.sh up || rc=$?
T1=$(t)
if ((rc == 0)); then
  [[ -d node_modules ]] || npm ci --no-audit --no-fund
  npx mocha --timeout 1800000 test/vm/devicemapper.test.ts || rc=$?
fi
T2=$(t)
if [[ ${DOCKFLEET_KEEP_VMS:-0} == 1 ]]; then
  echo "[vm-run] DOCKFLEET_KEEP_VMS=1: VMs left running (bash test/vm/vm.sh down stops them)"
else
  bash test/vm/vm.sh down || rc=$?
fi
T3=$(t)
echo "[vm-run] up $((T1 - T0))s, suite $((T2 - T1))s, down $((T3 - T2))s, total $((T3 - T0))s; exit $rc"
exit "$rc"
