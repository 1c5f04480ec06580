# shellcheck shell=bash
# A host's power: cut it (every process killed at once), boot it as it is.
# Sourced by test/sandbox/sandbox.sh (its globals and config are set there).

# A power cut, as near as a container comes to one: every process of the host SIGKILLed at once
# (nothing inside runs a stop job or flushes), then its mounts released. Its files stay (the
# kernel's page cache survives, unlike a real power loss). `boot HOST` starts it again.
cmd_powercut() {
  local h=${1:?usage: sandbox.sh powercut HOST} d pid
  [[ -n ${ADDR[$h]:-} ]] || die "no host $h in this sandbox (${HOSTS[*]})"
  d=$(hdir "$h")
  host_running "$h" || die "$h is not running"
  kill_host_procs "$d"
  pid=$(cat "$d/nspawn.pid" 2>/dev/null || true)
  if [[ -n $pid ]]; then kill -KILL "$pid" 2>/dev/null || true; fi
  stop_host "$h" # waits for its veth to go (release_veth)
  log "powercut: $h"
}

# Boots a stopped host with its files as they are, and waits for systemd to finish booting; unlike
# `up`, never wipes it (a failed docker.service is what a test may want to see).
cmd_boot() {
  local h=${1:?usage: sandbox.sh boot HOST} i st=""
  [[ -n ${ADDR[$h]:-} ]] || die "no host $h in this sandbox (${HOSTS[*]})"
  host_running "$h" && die "$h is running"
  stop_host "$h"
  start_host "$h"
  for ((i = 0; i < 300; i++)); do
    st=$(ssh -F "$SSH_CFG" -o ControlMaster=no -o BatchMode=yes -o ConnectTimeout=2 "$h" 'timeout 60 systemctl is-system-running --wait' 2>/dev/null) && break
    [[ -n $st && $st != starting && $st != initializing ]] && break
    sleep 0.3
  done
  [[ $st == running || $st == degraded ]] || die "$h did not boot (is-system-running=${st:-unreachable})"
  fix_cgroups "$h" || die "$h: cgroup mounts"
  log "boot: $h up ($st) in $(elapsed "$T0")s"
}
