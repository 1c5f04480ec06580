# shellcheck shell=bash
# Log lines with the time since start, fatal errors, timed steps.
# Sourced by test/sandbox/sandbox.sh (its globals and config are set there).

now() { date +%s.%N; }

elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

log() { printf '[sandbox %6ss] %s\n' "$(elapsed "$T0")" "$*"; }

die() { printf '[sandbox] ERROR: %s\n' "$*" >&2; exit 1; }

# step NAME FUNC [ARGS...]: run FUNC and print its duration.
step() {
  local name=$1 t rc=0
  shift
  t=$(now)
  log "-> $name"
  # Called from `if` too, where errexit is off: propagate the status explicitly.
  "$@" || rc=$?
  if ((rc == 0)); then
    log "   $name done in $(elapsed "$t")s"
  else
    log "   $name FAILED (rc=$rc) after $(elapsed "$t")s"
  fi
  return $rc
}
