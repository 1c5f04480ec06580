# shellcheck shell=bash
# Shared by tools/*/build.sh: logging, the mode argument, the keyed cache directory and its lock.
# The caller sets TOOL_NAME (the log prefix) before sourcing; stdout stays reserved for the bin dir.

log() { printf '[%s] %s\n' "$TOOL_NAME" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# parse_mode HELP_LINES EXTRA_MODES [ARG]: sets MODE to build (no argument), print
# (--print-bin-dir), check (--check: print the bin dir if the binaries are there, else exit 1),
# version (--print-version: the pinned version, for dev/engine.sh), force (--force) or one of
# EXTRA_MODES (space-separated, given as --NAME); --help prints lines HELP_LINES (sed range, e.g.
# 2,15) of the calling script.
parse_mode() {
  local help=$1 extra=$2 arg=${3:-}
  MODE=build
  case "$arg" in
    "") ;;
    --print-bin-dir) MODE=print ;;
    --check) MODE=check ;;
    --print-version) MODE=version ;;
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

# print_version_if_asked VERSION: in version mode prints VERSION and exits.
print_version_if_asked() {
  if [[ "$MODE" == version ]]; then printf '%s\n' "$1"; exit 0; fi
}

# exit_if_ready READY_CMD...: in print mode prints BIN_DIR and exits; in check mode prints it and
# exits 0 when READY_CMD succeeds, else exits 1; in build mode, when READY_CMD succeeds (the
# binaries are there), says so, prints BIN_DIR and exits. Otherwise returns.
exit_if_ready() {
  if [[ "$MODE" == check ]]; then
    "$@" || exit 1
    printf '%s\n' "$BIN_DIR"
    exit 0
  fi
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

# key_hash WORDS...: 12 hex digits of the sha256 over the arguments (one a line); for cache keys.
key_hash() { printf '%s\n' "$@" | sha256sum | cut -c1-12; }

# upstream_dir: prints where the upstream source tarballs are:
# ${DOCKFLEET_UPSTREAM_DIR:-<repo root>/../shared/upstream} (in CI a copy of shared/ sits beside the clone).
upstream_dir() {
  if [[ -n "${DOCKFLEET_UPSTREAM_DIR:-}" ]]; then
    printf '%s\n' "$DOCKFLEET_UPSTREAM_DIR"
  else
    local root
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
    if [[ -d "$root/../shared/upstream" ]]; then (cd "$root/../shared/upstream" && pwd); else printf '%s\n' "$root/../shared/upstream"; fi
  fi
}

# verify_tarball NAME SHA256: dies unless $(upstream_dir)/NAME exists and has that sha256 (the pins in
# the build scripts are the table of shared/upstream/README.md).
verify_tarball() {
  local file got
  file="$(upstream_dir)/$1"
  [[ -f "$file" ]] || die "$file: no such file (set DOCKFLEET_UPSTREAM_DIR to the directory holding the upstream source tarballs)"
  got="$(sha256sum "$file" | cut -d' ' -f1)"
  [[ "$got" == "$2" ]] || die "$file: sha256 is $got, expected $2 (pinned in $0, from shared/upstream/README.md); refusing to build from it"
  log "verified $1 (sha256 ${2:0:12}…)"
}

# extract_tarball NAME DEST: unpacks the (verified) tarball NAME into DEST.
extract_tarball() {
  mkdir -p "$2"
  tar -xJf "$(upstream_dir)/$1" -C "$2" --no-same-owner || die "could not extract $1 into $2"
}

# check_plugin_serves BINARY: a Pulumi plugin started without arguments prints the port of its gRPC
# server as its first line on stdout. Waits up to 30 s for it, then stops the plugin again.
check_plugin_serves() {
  local bin=$1 out port="" pid i
  out="$(mktemp)"
  "$bin" </dev/null >"$out" 2>"$out.err" &
  pid=$!
  for ((i = 0; i < 300; i++)); do
    if [[ "$(wc -l <"$out")" -ge 1 ]]; then port="$(head -n1 "$out")"; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [[ "$port" =~ ^[0-9]+$ ]]; then
    log "$(basename "$bin") starts: serves on port $port"
    rm -f "$out" "$out.err"
    return 0
  fi
  log "$(basename "$bin") printed no port; its stderr:"
  head -n 20 "$out.err" >&2
  rm -f "$out" "$out.err"
  return 1
}
