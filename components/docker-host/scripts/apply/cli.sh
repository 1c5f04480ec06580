# shellcheck shell=bash disable=SC2034,SC2153,SC2154
#% Defaults, the say/log/die helpers, option parsing and validation, and the HUP/PIPE trap: the
#% globals every other module reads (ROOT, STATE, HOST, RESTART_TIMEOUT, OWNER, OP, ...).
#% A module of apply-docker-config.sh, joined into it by dev/build-apply-script.js (npm run build:apply).
ROOT=${DOCKFLEET_ROOT:-}                  # prefix for every path; only tests set it
STATE=$ROOT/var/lib/dockfleet/daemon-config
LEGACY_STATE=$ROOT/var/lib/dockfleet/docker-host # dockfleet before ownership claims
LOCK_FILE=$STATE/lock
OWNER=default
OP=update
REPAIR=""
TASK_WAIT=node
HOST=$(hostname 2>/dev/null || echo unknown)
RESTART_TIMEOUT=60
SMOKE_IMAGE=""
SMOKE_PULL=missing
RESTART_CMD="systemctl restart docker.service"
RELOAD_CMD="systemctl reload docker.service"
LOG_CMD=""
RELOAD_DIGEST=""
RELOAD_REFUSED=0
UNLOCK_KEY="" # swarm autolock: from the secret stdin bundle, never from an argument
USE_SYSTEMD=1
ACTION=${1:-}
[ $# -gt 0 ] && shift

say() { printf 'dockfleet[%s]: %s\n' "$HOST" "$*" >&2 2>/dev/null || true; log "$*"; }
log() { if [ -d "$STATE" ]; then printf '%s %s\n' "$(date -u +%FT%T.%3NZ)" "$*" >>"$STATE/apply.log" 2>/dev/null || true; fi; }
die() { say "ERROR: $*"; exit 1; }
# Who holds the host's apply lock ($LOCK_FILE is truncated by every opener, so the holder is
# recorded beside it): "OWNER ACTION (pid N) since TIME".
lock_holder() { head -1 "$STATE/lock-holder" 2>/dev/null || echo "holder unknown"; }
lock_held_by() {
    printf '%s %s (pid %s) since %s\n' "$OWNER" "$ACTION" "$$" "$(date -u +%FT%TZ)" >"$STATE/lock-holder"
    log "lock taken: $OWNER $ACTION (pid $$)"
}

while [ $# -gt 0 ]; do
    case "$1" in
        --host) HOST=$2; shift 2 ;;
        --restart-timeout) RESTART_TIMEOUT=$2; shift 2 ;;
        --smoke-image) SMOKE_IMAGE=$2; shift 2 ;;
        --smoke-pull) SMOKE_PULL=$2; shift 2 ;;
        --restart-cmd) RESTART_CMD=$2; USE_SYSTEMD=0; shift 2 ;;
        --reload-cmd) RELOAD_CMD=$2; shift 2 ;;
        --log-cmd) LOG_CMD=$2; shift 2 ;;
        --reload-digest) RELOAD_DIGEST=$2; shift 2 ;;
        --owner) OWNER=$2; shift 2 ;;
        --op) OP=$2; shift 2 ;;
        --repair) REPAIR=$2; shift 2 ;;
        --task-wait) TASK_WAIT=$2; shift 2 ;;
        *) die "unknown option: $1" ;;
    esac
done
case "$OWNER" in '' | *[!A-Za-z0-9._-]* | .*) die "--owner must be letters, digits, '.', '_' or '-' (not starting with '.'), got '$OWNER'" ;; esac
case "$OP" in create | update) ;; *) die "--op must be create or update, got '$OP'" ;; esac
case "$REPAIR" in *$'\n'*) die "--repair must be one line" ;; esac
case "$RESTART_TIMEOUT" in '' | *[!0-9]*) die "--restart-timeout must be whole seconds, got '$RESTART_TIMEOUT'" ;; esac
case "$SMOKE_PULL" in missing | never) ;; *) die "--smoke-pull must be missing or never, got '$SMOKE_PULL'" ;; esac
case "$TASK_WAIT" in node | manager) ;; *) die "--task-wait must be node or manager, got '$TASK_WAIT'" ;; esac

# A disconnected SSH session must not kill us half-way: ignore HUP/PIPE, keep going, log to a file.
trap '' HUP PIPE
