# shellcheck shell=bash
# The VM tier's suites and the VMs each needs, run one group after another (booting a group's TCG
# VMs saturates this machine's 2 cores; fewer VMs at once also keeps each suite's timing sane).
# Sourced by test/vm/run.sh and scripts/test-all.sh. DOCKFLEET_VM_GROUPS picks groups by name.
#   name|VMs|suite|environment for vm.sh up (optional, space-separated NAME=VALUE)
# The groups `npm test` (and so CI) runs:
VM_GROUPS_ALL=(
  "dm|dm1|test/vm/devicemapper.test.ts"
  "swarm|mgr1 wrk1 wrk2 nfs1|test/vm/swarm.test.ts"
)
# Run by name only (DOCKFLEET_VM_GROUPS=fleet): `pulumi up` of the whole fleet from nothing plus a
# rollout takes ~17 min under TCG, which CI's 90 minutes cannot hold next to the other suites.
VM_GROUPS_BY_NAME=(
  "fleet|mgr1 wrk1 wrk2 wrk3 nfs1|test/vm/fleet.test.ts|DOCKFLEET_VM_SWARM=0"
)

# vm_groups: the selected groups, one "name|VMs|suite" per line; fails on an unknown name.
vm_groups() {
  local want=${DOCKFLEET_VM_GROUPS:-} g n found
  if [[ -z $want ]]; then
    printf '%s\n' "${VM_GROUPS_ALL[@]}"
    return 0
  fi
  for n in ${want//,/ }; do
    found=0
    for g in "${VM_GROUPS_ALL[@]}" "${VM_GROUPS_BY_NAME[@]}"; do
      [[ ${g%%|*} == "$n" ]] && { echo "$g"; found=1; }
    done
    ((found)) || { echo "unknown VM group '$n' (known: $(printf '%s ' "${VM_GROUPS_ALL[@]%%|*}" "${VM_GROUPS_BY_NAME[@]%%|*}"))" >&2; return 2; }
  done
}
