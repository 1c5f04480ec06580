# shellcheck shell=bash
# Log lines with the time since start, fatal errors, timed steps.
# Sourced by test/vm/vm.sh (its globals and config are set there).

now() { date +%s.%N; }

elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

log() { printf '[vm %6ss] %s\n' "$(elapsed "$T0")" "$*"; }

die() { printf '[vm] ERROR: %s\n' "$*" >&2; exit 1; }

step() {
  local name=$1 t rc=0
  shift
  t=$(now)
  log "-> $name"
  "$@" || rc=$?
  if ((rc == 0)); then
    log "   $name done in $(elapsed "$t")s"
  else
    log "   $name FAILED (rc=$rc) after $(elapsed "$t")s"
  fi
  return $rc
}
