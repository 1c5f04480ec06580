# shellcheck shell=bash
# The commands: up, down, status.
# Sourced by test/vm/vm.sh (its globals and config are set there).

cmd_up() {
  need_cmds
  mkdir -p "$STATE" "$LOGS" "$CACHE_ROOT/vm"
  exec 9>"$STATE/.lock"
  flock -w 600 9 || die "lock $STATE/.lock busy (another vm.sh up/down running?)"
  step "ssh key + ssh_config" write_ssh_config
  step "image (debootstrap $SUITE + Debian kernel)" ensure_image
  step "bridge $BR + FORWARD rule" ensure_bridge
  step "VMs (${HOSTS[*]})" ensure_vms
  step "image $IMG_BUSYBOX (docker import)" ensure_images
  step "roles (NFS exports)" ensure_roles
  ((${#BOOTED[@]} == 0)) || step "save booted VMs (${BOOTED[*]}) for the next up" save_booted
  step "swarm" ensure_swarm
  step "sandbox.json" write_json
  log "up: ready in $(elapsed "$T0")s -> $STATE/sandbox.json"
}

cmd_down() {
  [[ $(id -u) -eq 0 ]] || die "must run as root"
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  flock -w 15 9 || log "WARNING: lock $STATE/.lock busy (another vm.sh running?); continuing"
  step "VMs" vms_down
  step "bridge $BR + taps + FORWARD rule" bridge_down
  local h
  for h in "${!FLEET[@]}"; do ssh -F "$SSH_CFG" -O exit "$h" >/dev/null 2>&1 || true; done
  any_vm_running && die "a VM is still running; not deleting $STATE"
  rm -rf "$STATE"
  log "down: done in $(elapsed "$T0")s (image cache kept in $CACHE_ROOT/vm)"
}

cmd_status() {
  local h rc=0 d dk
  echo "state: $STATE   cache: $CACHE_ROOT/vm   image: $(cat "$STATE/image.key" 2>/dev/null || echo none)"
  ip -br addr show "$BR" 2>/dev/null || { echo "bridge $BR: absent"; rc=1; }
  for h in "${HOSTS[@]}"; do
    d=$(vdir "$h")
    if vm_running "$h"; then
      # shellcheck disable=SC2016 # expanded on the VM
      dk=$(hssh "$h" 'echo "$(systemctl is-system-running) docker=$(docker info --format "{{.ServerVersion}}/{{.Driver}}" 2>/dev/null || systemctl is-active docker)"' 2>/dev/null) || dk=not-answering
      printf '%s %s qemu=%s rss=%sMiB system=%s\n' "$h" "$(vm_addr "$h")" "$(cat "$d/qemu.pid")" "$(vm_rss "$h")" "$dk"
    else
      echo "$h: not running"
      rc=1
    fi
  done
  return $rc
}
