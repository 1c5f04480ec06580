# shellcheck shell=bash
# Waiting for a booted host to be healthy, and what a failed boot left.
# Sourced by test/sandbox/sandbox.sh (its globals and config are set there).

# Wait until systemd finished booting and report its state.
wait_host() {
  local h=$1
  rm -f "$(hdir "$h")/healthy"
  wait_host_inner "$h" && touch "$(hdir "$h")/healthy"
}

# shellcheck disable=SC2034 # i: an unused local, moved here as it was (the split changed no function)
wait_host_inner() {
  local h=$1 i st="" deadline=$((SECONDS + 90))
  while ((SECONDS < deadline)); do
    if st=$(ssh -F "$SSH_CFG" -o ControlMaster=no -o BatchMode=yes -o ConnectTimeout=2 "$h" 'timeout 60 systemctl is-system-running --wait' 2>/dev/null); then
      break
    fi
    [[ -n $st && $st != starting && $st != initializing ]] && break
    sleep 0.3
  done
  # "degraded" only means some unit failed (tests create units of their own): warn, do not
  # recreate a host that may be in use. Health = booted + ssh + docker answering.
  case $st in
    running) ;;
    degraded)
      log "   $h: is-system-running=degraded (failed units: $(hssh "$h" 'systemctl --failed --no-legend --plain --no-pager' 2>/dev/null | awk '{printf "%s ", $1}'))"
      ;;
    *)
      log "   $h: is-system-running=${st:-unreachable}"
      return 1
      ;;
  esac
  fix_cgroups "$h" || return 1
  ssh_master "$h"
  # Wait up to 30 s for the API; give up at once when docker.service is "failed".
  # shellcheck disable=SC2016 # expanded remotely
  if hssh "$h" 'for i in $(seq 60); do docker info >/dev/null 2>&1 && exit 0
      systemctl is-failed -q docker.service && exit 2; sleep 0.5; done; exit 1'; then
    return 0
  fi
  log "   $h: docker not answering ($(hssh "$h" 'systemctl is-active docker.service' 2>/dev/null || true))"
  return 1
}

# What a host that did not boot healthy looked like, kept before the repair wipes it (its journal
# is volatile and the repair boot overwrites its nspawn log): why a restored sandbox's first boot
# fails now and then is not known yet. Every probe is bounded: the host may be hung.
keep_failed_boot() {
  local h=$1 leader out
  out="$LOGS/$h-failed-boot-$(date -u +%Y%m%dT%H%M%SZ).log"
  {
    echo "== nspawn log"
    cat "$LOGS/$h-nspawn.log" 2>/dev/null || true
    leader=$(host_leader "$h" || true)
    if [[ -n $leader && -d /proc/$leader ]]; then
      echo "== failed units"
      timeout 10 nsenter -t "$leader" -a systemctl --failed --no-legend --plain --no-pager 2>&1 || true
      echo "== jobs"
      timeout 10 nsenter -t "$leader" -a systemctl list-jobs --no-legend --no-pager 2>&1 | head -40 || true
      echo "== addresses"
      timeout 10 nsenter -t "$leader" -n ip -br addr 2>&1 || true
      echo "== journal"
      timeout 20 journalctl --directory="/proc/$leader/root/run/log/journal" -b --no-pager -o short-monotonic 2>&1 | tail -400 || true
    else
      echo "== no running container (leader pid '${leader:-}')"
    fi
    echo "== ssh"
    timeout 10 ssh -v -F "$SSH_CFG" -o ControlPath=none -o BatchMode=yes -o ConnectTimeout=3 "$h" true 2>&1 | tail -25 || true
  } >"$out" 2>&1
  log "   $h: what the failed boot left: $out"
  # shellcheck disable=SC2012 # our own file names: no odd characters
  ls -t "$LOGS"/*-failed-boot-*.log 2>/dev/null | tail -n +6 | xargs -r rm -f || true
}
