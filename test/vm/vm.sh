#!/usr/bin/env bash
# dockfleet VM tier: test hosts that are real qemu VMs with Debian's own kernel (device-mapper,
# NFS, IPVS, AppArmor: what the nspawn sandbox's shared host kernel lacks). On this machine /dev/kvm
# is PVM (kvm_pvm), which runs no stock kernel, so the default accelerator is TCG (software
# emulation, ~65 s boot per VM). See test/vm/README.md and /work/shared/notes/vm-hosts.md.
#
#   vm.sh up       build the image (cached by its inputs), boot the selected VMs, import the
#                  busybox image, write sandbox.json + ssh_config (a fast no-op when healthy)
#   vm.sh down     power the VMs off (then kill own qemu PIDs), remove bridge/taps/rule and state;
#                  the image cache is kept
#   vm.sh status   print the state of every selected VM
#
# With an nfs VM selected, `up` exports /export/shared (rw) and /export/ro (ro) from its data disk;
# with a manager selected, `up` then makes the selected manager and workers one swarm (after the
# saved states are taken: they stay swarm-free, so a restore never brings back an old swarm).
#
# Environment:
#   DOCKFLEET_VM_HOSTS   space/comma separated VM names to boot (default: dm1). Known: see FLEET.
#   DOCKFLEET_VM_DIR     state (default /var/lib/dockfleet-vm); DOCKFLEET_SANDBOX_DIR=<this dir>
#                        makes test/contract/lib.ts talk to the VMs
#   DOCKFLEET_CACHE      image cache root (default /var/cache/dockfleet; the image is in vm/<key>/)
#   DOCKFLEET_VM_ACCEL   tcg (default) or kvm (only with real nested virtualization: svm/vmx)
#   DOCKFLEET_VM_MEM     MiB per VM (default 1280)
#   DOCKFLEET_DEBIAN_MIRROR  overrides the mirror taken from this machine's apt sources
#   DOCKFLEET_VM_SWARM   1 (default): make the swarm; 0: leave the nodes out of any swarm (the
#                        fleet suite's `pulumi up` makes it, as the product does on fresh hosts)
#
# This file holds the configuration and the dispatch (main); the code is in lib/, one concern per
# file.
set -euo pipefail

SCRIPT_VERSION=1
STATE=${DOCKFLEET_VM_DIR:-/var/lib/dockfleet-vm}
CACHE_ROOT=${DOCKFLEET_CACHE:-/var/cache/dockfleet}
ACCEL=${DOCKFLEET_VM_ACCEL:-tcg}
MEM=${DOCKFLEET_VM_MEM:-1280}
SUITE=bookworm
BR=dfvm0
BR_ADDR=10.241.0.1
PREFIX=24
FW_COMMENT=dockfleet-vm
IMG_BUSYBOX=local/busybox:1
BOOT_TIMEOUT=${DOCKFLEET_VM_BOOT_TIMEOUT:-400}

# The seed's fleet. name -> "address role extra-disks". Extra disks: spare = a 64 MiB disk with an
# ext4 filesystem (vdb), data20g = an empty 20 GiB sparse qcow2. Order = drive order after vda.
# dm1 runs the devicemapper suite; mgr1, wrk1, wrk2 and nfs1 the swarm suite (test/vm/groups.sh).
declare -A FLEET=(
  [mgr1]="10.241.0.11 manager"
  [wrk1]="10.241.0.21 worker"
  [wrk2]="10.241.0.22 worker"
  [wrk3]="10.241.0.23 worker"
  [nfs1]="10.241.0.31 nfs data20g"
  [reg1]="10.241.0.41 registry"
  [dm1]="10.241.0.51 devicemapper spare data20g"
)
read -r -a HOSTS <<<"$(echo "${DOCKFLEET_VM_HOSTS:-dm1}" | tr ',' ' ')"
((${#HOSTS[@]})) || { echo "DOCKFLEET_VM_HOSTS is empty" >&2; exit 2; }
for h in "${HOSTS[@]}"; do
  [[ -n ${FLEET[$h]:-} ]] || { echo "unknown VM '$h' (known: ${!FLEET[*]})" >&2; exit 2; }
done
((${#HOSTS[@]} <= 2)) || echo "[vm] WARNING: ${#HOSTS[@]} TCG VMs on this machine saturate its cores for minutes" >&2
unset h

# Packages of the image (Debian's, nothing else). apparmor: the Debian kernel enables AppArmor
# and dockerd needs apparmor_parser for docker-default; busybox-static: the test image.
IMAGE_PKGS="systemd systemd-sysv udev dbus kmod openssh-server docker.io linux-image-amd64 \
lvm2 thin-provisioning-tools xfsprogs e2fsprogs util-linux nfs-common nfs-kernel-server ipvsadm \
iproute2 iptables curl ca-certificates busybox-static apparmor procps jq less iputils-ping"
IMAGE_SIZE=6G

SSH_KEY=$STATE/ssh/id_ed25519
BOOTED=()
SSH_CFG=$STATE/ssh_config
# Each VM's pinned ed25519 host key (ssh_config and stacks/Pulumi.vm.yaml verify against it).
KNOWN_HOSTS=$STATE/ssh/known_hosts
LOGS=$STATE/logs

# A booted, healthy VM (docker active, test image imported) is saved once per image + VM
# definition in the image cache: the migration stream (zstd) + copies of its disks + the ssh key
# it trusts. A later `up` restores it instead of booting (DOCKFLEET_VM_SNAPSHOT=0: always boot).
SNAP=${DOCKFLEET_VM_SNAPSHOT:-1}

T0=$(date +%s.%N)

# One concern per file, in the order of the sections the single script had.
LIB_DIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/lib
# shellcheck source=test/vm/lib/fleet.sh
source "$LIB_DIR/fleet.sh"
# shellcheck source=test/vm/lib/log.sh
source "$LIB_DIR/log.sh"
# shellcheck source=test/vm/lib/ssh.sh
source "$LIB_DIR/ssh.sh"
# shellcheck source=test/vm/lib/deps.sh
source "$LIB_DIR/deps.sh"
# shellcheck source=test/vm/lib/image.sh
source "$LIB_DIR/image.sh"
# shellcheck source=test/vm/lib/net.sh
source "$LIB_DIR/net.sh"
# shellcheck source=test/vm/lib/qemu.sh
source "$LIB_DIR/qemu.sh"
# shellcheck source=test/vm/lib/snapshots.sh
source "$LIB_DIR/snapshots.sh"
# shellcheck source=test/vm/lib/boot.sh
source "$LIB_DIR/boot.sh"
# shellcheck source=test/vm/lib/images.sh
source "$LIB_DIR/images.sh"
# shellcheck source=test/vm/lib/roles.sh
source "$LIB_DIR/roles.sh"
# shellcheck source=test/vm/lib/swarm.sh
source "$LIB_DIR/swarm.sh"
# shellcheck source=test/vm/lib/outputs.sh
source "$LIB_DIR/outputs.sh"
# shellcheck source=test/vm/lib/commands.sh
source "$LIB_DIR/commands.sh"

main() {
  case ${1:-} in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    *) echo "usage: $0 up|down|status   (DOCKFLEET_VM_HOSTS=\"dm1 ...\")" >&2; exit 2 ;;
  esac
}

main "$@"
