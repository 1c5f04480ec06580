# shellcheck shell=bash
# The commands: up, swarm, down, status, selftest, recreate.
# Sourced by test/sandbox/sandbox.sh (its globals and config are set there).

cmd_up() {
  need_cmds
  mkdir -p "$STATE" "$LOGS" "$CACHE"
  exec 9>"$STATE/.lock"
  flock -w 300 9 || die "lock $STATE/.lock busy (another sandbox.sh up/down running?)"
  step "ssh key + ssh_config" write_ssh_config
  step "base rootfs" ensure_base
  step "bridge $BR + FORWARD rule" ensure_bridge
  # Swift (rings + 5 python servers, ~9 s cold) comes up in parallel with the hosts.
  local swift_job
  log "-> swift + memcached on $BR_ADDR:$SWIFT_PORT (background, log: $LOGS/swift-up.log)"
  step "swift + memcached" ensure_swift >"$LOGS/swift-up.log" 2>&1 &
  swift_job=$!
  drop_extra_hosts
  if ! step "hosts (systemd-nspawn)" ensure_hosts; then
    # First try: wipe and recreate only the unhealthy hosts (they rejoin the swarm).
    local h bad=()
    for h in "${HOSTS[@]}"; do [[ -f $(hdir "$h")/healthy ]] || bad+=("$h"); done
    log "   unhealthy: ${bad[*]}: recreating them"
    for h in "${bad[@]}"; do keep_failed_boot "$h"; stop_host "$h" wipe; done
    if ! step "hosts (systemd-nspawn, repair)" ensure_hosts; then
      log "   still unhealthy: recreating all hosts"
      hosts_down
      step "hosts (systemd-nspawn, recreate)" ensure_hosts || die "hosts failed to boot (logs: $LOGS)"
    fi
  fi
  # No swarm here: forming it is the product's job (`npm start`: components/swarm). Suites that
  # need one before the product has run call `sandbox.sh swarm`.
  step "images ($IMG_BUSYBOX, $IMG_REGISTRY)" ensure_images
  step "swarm membership of recreated hosts" rejoin_replaced_hosts || die "a recreated host did not rejoin its swarm"
  if ! wait "$swift_job"; then
    cat "$LOGS/swift-up.log" >&2
    die "swift failed"
  fi
  log "   swift: $(grep 'done in' "$LOGS/swift-up.log" | sed 's/.*done in/ready after/')"
  step "sandbox.json" write_json
  log "up: ready in $(elapsed "$T0")s -> $STATE/sandbox.json"
}

# A 3-manager swarm for the contract suites (a fixture, not the product: `npm start` and the e2e
# swarm suite form it with components/swarm). A no-op when the swarm is healthy.
cmd_swarm() {
  need_cmds
  exec 9>"$STATE/.lock"
  flock -w 300 9 || die "lock $STATE/.lock busy (another sandbox.sh running?)"
  drop_extra_hosts
  if ! step "swarm ($NMANAGERS managers, $((NHOSTS - NMANAGERS)) workers)" ensure_swarm; then
    log "   swarm unhealthy: recreating hosts"
    hosts_down
    step "hosts (systemd-nspawn, recreate)" ensure_hosts || die "hosts failed to boot (logs: $LOGS)"
    step "images ($IMG_BUSYBOX, $IMG_REGISTRY)" ensure_images
    step "swarm ($NMANAGERS managers, $((NHOSTS - NMANAGERS)) workers)" ensure_swarm || die "swarm failed"
  fi
  step "sandbox.json" write_json # the roles
  log "swarm: ready in $(elapsed "$T0")s"
}

cmd_down() {
  [[ $(id -u) -eq 0 ]] || die "must run as root"
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  flock -w 15 9 || log "WARNING: lock $STATE/.lock busy (another sandbox.sh running?); continuing"
  step "hosts" hosts_down
  step "swift + memcached" swift_down
  step "bridge + FORWARD rule" bridge_down
  if grep -q " $STATE/" /proc/mounts; then
    grep " $STATE/" /proc/mounts >&2
    die "mounts remain under $STATE; not deleting it"
  fi
  rm -rf "$STATE"
  log "down: done in $(elapsed "$T0")s (cache kept in $CACHE)"
}

cmd_status() {
  local h d mem rc=0 cg
  echo "state: $STATE   cache: $CACHE"
  ip -br addr show "$BR" 2>/dev/null || { echo "bridge $BR: absent"; rc=1; }
  for h in "${HOSTS[@]}"; do
    d=$(hdir "$h")
    if host_running "$h"; then
      mem=-
      if [[ -f $d/cgroups ]]; then
        cg=$(grep '/memory/' "$d/cgroups" || true)
        [[ -n $cg ]] && mem=$(($(cat "$cg/memory.usage_in_bytes") / 1048576))MiB
      fi
      local sys dk
      sys=$(hssh "$h" 'systemctl is-system-running' 2>/dev/null) || true
      dk=$(hssh "$h" 'docker info --format "{{.ServerVersion}}/{{.Swarm.LocalNodeState}}"' 2>/dev/null) || dk="not-answering($(hssh "$h" 'systemctl is-active docker' 2>/dev/null || true))"
      printf '%s %s nspawn=%s mem=%s system=%s docker=%s\n' "$h" "${ADDR[$h]}" "$(cat "$d/nspawn.pid")" "$mem" "$sys" "$dk"
    else
      echo "$h: not running"
      rc=1
    fi
  done
  for h in "${HOSTS[@]}"; do
    if hssh "$h" 'docker node ls' 2>/dev/null; then break; fi
  done
  if [[ -s $SWIFT_DIR/key ]] && swift_healthy "$(cat "$SWIFT_DIR/key")"; then
    echo "swift: healthy (http://$BR_ADDR:$SWIFT_PORT)"
  else
    echo "swift: not healthy"
    rc=1
  fi
  return $rc
}

cmd_selftest() {
  local h=${1:-host1}
  echo "busybox on $h:"
  hssh "$h" "docker run --rm $IMG_BUSYBOX sh -c 'echo hello from busybox; ls /www'"
  echo "registry on $h (filesystem storage, /v2/):"
  hssh "$h" "set -e; docker rm -f sandbox-selftest >/dev/null 2>&1 || true
    docker run -d --name sandbox-selftest -e REGISTRY_STORAGE=filesystem -p 127.0.0.1:5999:5000 $IMG_REGISTRY >/dev/null
    for i in \$(seq 50); do curl -fsS http://127.0.0.1:5999/v2/ && break; sleep 0.2; done; echo
    docker rm -f sandbox-selftest >/dev/null"
}

# Wipes one host and boots it again from the base, as `up` does to a host that does not boot
# healthy: a new instance (machine-id), no docker state; the swarm still lists its old node.
# `recreate all` wipes every host (the SSH key, Swift and the host keys stay).
cmd_recreate() {
  local h hs=("$@")
  [[ ${#hs[@]} -gt 0 ]] || die "usage: sandbox.sh recreate HOST...|all"
  if [[ ${hs[*]} == all ]]; then hs=("${HOSTS[@]}"); fi
  for h in "${hs[@]}"; do
    [[ -n ${ADDR[$h]:-} ]] || die "no host $h in this sandbox (${HOSTS[*]})"
  done
  exec 9>"$STATE/.lock"
  flock -w 300 9 || die "lock $STATE/.lock busy (another sandbox.sh running?)"
  for h in "${hs[@]}"; do step "wipe $h" stop_host "$h" wipe; done
  step "hosts (systemd-nspawn)" ensure_hosts || die "hosts failed to boot (logs: $LOGS)"
  step "images ($IMG_BUSYBOX, $IMG_REGISTRY)" ensure_images
  step "sandbox.json" write_json
  log "recreate: ${hs[*]} ready in $(elapsed "$T0")s"
}
