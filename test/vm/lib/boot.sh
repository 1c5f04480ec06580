# shellcheck shell=bash
# Bringing the selected VMs up (healthy, restored or booted) and waiting for them.
# Sourced by test/vm/vm.sh (its globals and config are set there).

vm_healthy() {
  local h=$1
  vm_running "$h" && hssh "$h" 'systemctl is-active --quiet docker.service && docker info >/dev/null 2>&1' 2>/dev/null
}

# wait_vm NAME: ssh, then docker active; prints the times since qemu started.
wait_vm() {
  local h=$1 d t0 i ssh_t=""
  d=$(vdir "$h")
  t0=$(cat "$d/started")
  for ((i = 0; i < BOOT_TIMEOUT; i++)); do
    vm_running "$h" || { tail -20 "$d/console.log" >&2; die "$h: qemu exited (console: $d/console.log)"; }
    if [[ -z $ssh_t ]] && ! pin_vm_key "$h"; then
      sleep 1
      continue
    fi
    if [[ -z $ssh_t ]] && hssh "$h" true 2>/dev/null; then
      ssh_t=$(elapsed "$t0")
      log "   $h: ssh answers after ${ssh_t}s"
      [[ -f $d/restored ]] && after_restore "$h"
    fi
    if [[ -n $ssh_t ]] && hssh "$h" 'systemctl is-active --quiet docker.service && docker info >/dev/null 2>&1' 2>/dev/null; then
      log "   $h: docker active after $(elapsed "$t0")s (qemu RSS $(vm_rss "$h") MiB)"
      return 0
    fi
    sleep 1
  done
  tail -20 "$d/console.log" >&2
  die "$h: not healthy after ${BOOT_TIMEOUT}s"
}

ensure_vms() {
  local h started=()
  BOOTED=()
  for h in "${HOSTS[@]}"; do
    if vm_healthy "$h"; then
      log "   $h: healthy"
      continue
    fi
    if vm_running "$h"; then
      log "   $h: running but docker not answering; waiting"
    elif snap_valid "$h"; then
      log "   $h: restoring the saved state ($(snap_dir "$h"))"
      restore_vm "$h"
    else
      log "   $h: booting qemu ($ACCEL, ${MEM} MiB, disks: vda $(vm_disks "$h"))"
      start_vm "$h"
      BOOTED+=("$h")
    fi
    started+=("$h")
  done
  for h in "${started[@]}"; do wait_vm "$h"; done
}
