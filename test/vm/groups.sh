# shellcheck shell=bash
# The VM tier's suites and the VMs each needs, run one group after another (booting a group's TCG
# VMs saturates this machine's 2 cores; fewer VMs at once also keeps each suite's timing sane).
# Sourced by test/vm/run.sh and scripts/test-all.sh. DOCKFLEET_VM_GROUPS picks groups by name.
#   name|VMs|suite|environment for vm.sh up (optional, space-separated NAME=VALUE)
# The groups `npm test` (and so CI) runs:
VM_GROUPS_ALL=(
  "swarm|mgr1 wrk1 wrk2 nfs1|test/vm/swarm.test.ts"
)
# Run by name only (DOCKFLEET_VM_GROUPS=dm,fleet npm run test:vm), each too slow for CI's 90
# minutes next to the other suites: dm (devicemapper direct-lvm: 9 applies that restart dockerd
# under TCG, 15-16 min in CI on 2026-12-07), fleet (`pulumi up` of the whole fleet from nothing
# plus a rollout, ~17 min). `npm test` names them in its output.
VM_GROUPS_BY_NAME=(
  "dm|dm1|test/vm/devicemapper.test.ts"
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
