# shellcheck shell=bash
# A VM's definition in FLEET (address, role, disks) and the names derived from it.
# Sourced by test/vm/vm.sh (its globals and config are set there).

vm_addr() { local f; read -r -a f <<<"${FLEET[$1]}"; echo "${f[0]}"; }

vm_role() { local f; read -r -a f <<<"${FLEET[$1]}"; echo "${f[1]}"; }

vm_disks() { local f; read -r -a f <<<"${FLEET[$1]}"; echo "${f[@]:2}"; }

vm_tap() { echo "dfvm-$1"; }

vm_mac() { printf '52:54:00:f1:%02x:%02x' "$(vm_addr "$1" | cut -d. -f3)" "$(vm_addr "$1" | cut -d. -f4)"; }

vdir() { echo "$STATE/vms/$1"; }
