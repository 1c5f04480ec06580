# shellcheck shell=bash
# The VM tier's suites and the VMs each needs, run one group after another (booting a group's TCG
# VMs saturates this machine's 2 cores; fewer VMs at once also keeps each suite's timing sane).
# Sourced by test/vm/run.sh and dev/test-all.sh. DOCKFLEET_VM_GROUPS picks groups by name.
#   name|VMs|suite|environment for vm.sh up (optional, space-separated NAME=VALUE)
# The groups `npm test` (and so CI) runs: none since 2026-12-07. CI's 90 minutes (75 planned) no
# longer hold them next to the unit, contract and e2e suites (the run of 2026-12-07 took 85 min
# with them). `npm test` names them in its output; `npm run test:vm` runs swarm and dm.
VM_GROUPS_ALL=()
# Run by name (DOCKFLEET_VM_GROUPS=swarm,dm,fleet npm run test:vm):
#   swarm  NFS volumes, the routing mesh and the VIP on 1 manager + 2 workers + an NFS server
#          (~3 min to boot from saved states, ~5 min of suite under TCG)
#   dm     devicemapper direct-lvm: 9 applies that restart dockerd under TCG (15-16 min in CI)
#   fleet  `pulumi up` of the whole fleet from nothing plus a rollout (~17 min)
VM_GROUPS_BY_NAME=(
  "swarm|mgr1 wrk1 wrk2 nfs1|test/vm/swarm.test.ts"
  "dm|dm1|test/vm/devicemapper.test.ts"
  "fleet|mgr1 wrk1 wrk2 wrk3 nfs1|test/vm/fleet.test.ts|DOCKFLEET_VM_SWARM=0"
)
# What `npm run test:vm` runs when DOCKFLEET_VM_GROUPS is unset.
# shellcheck disable=SC2034 # read by test/vm/run.sh
VM_GROUPS_DEFAULT=swarm,dm

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
