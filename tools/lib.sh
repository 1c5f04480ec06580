# shellcheck shell=bash
# Shared by tools/*/build.sh: logging, the mode argument, the keyed cache directory and its lock.
# The caller sets TOOL_NAME (the log prefix) before sourcing; stdout stays reserved for the bin dir.

log() { printf '[%s] %s\n' "$TOOL_NAME" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# parse_mode HELP_LINES EXTRA_MODES [ARG]: sets MODE to build (no argument), print
# (--print-bin-dir), force (--force) or one of EXTRA_MODES (space-separated, given as --NAME);
# --help prints lines HELP_LINES (sed range, e.g. 2,15) of the calling script.
parse_mode() {
  local help=$1 extra=$2 arg=${3:-}
  MODE=build
  case "$arg" in
    "") ;;
    --print-bin-dir) MODE=print ;;
    --force) MODE=force ;;
    -h | --help) sed -n "${help}p" "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --*) [[ " $extra " == *" ${arg#--} "* ]] || { log "unknown argument: $arg"; exit 2; }
      MODE=${arg#--} ;;
    *) log "unknown argument: $arg"; exit 2 ;;
  esac
}

# cache_dirs SUBDIR KEY: sets KEY_DIR and BIN_DIR under ${DOCKFLEET_CACHE:-/var/cache/dockfleet}.
cache_dirs() {
  KEY_DIR="${DOCKFLEET_CACHE:-/var/cache/dockfleet}/$1/$2"
  BIN_DIR="$KEY_DIR/bin"
}

# exit_if_ready READY_CMD...: in print mode prints BIN_DIR and exits; in build mode, when READY_CMD
# succeeds (the binaries are there), says so, prints BIN_DIR and exits. Otherwise returns.
exit_if_ready() {
  if [[ "$MODE" == print ]] || { [[ "$MODE" == build ]] && "$@"; }; then
    [[ "$MODE" == print ]] || log "cached: $BIN_DIR"
    printf '%s\n' "$BIN_DIR"
    exit 0
  fi
}

# lock_key: one build per key at a time (fd 9 held until the script exits).
lock_key() {
  mkdir -p "$KEY_DIR"
  exec 9>"$KEY_DIR/.lock"
  if ! flock -n 9; then
    log "another build of $(basename "$KEY_DIR") is running; waiting for it"
    flock 9
  fi
}
