# shellcheck shell=bash disable=SC2034,SC2153,SC2154
#% systemd units around dockerd: the units that need docker.service (noted, started again), a stop
#% that waits out a slow one (then SIGKILL), containerd started when it is down.
#% A module of apply-docker-config.sh, joined into it by dev/build-apply-script.js (npm run build:apply).
unit_state() { systemctl is-active "$1" 2>/dev/null || true; }

# Units that need docker.service (a ContainerUnit has Requires=docker.service): stopping
# docker.service stops them too, and starting it again does not bring them back. The active ones
# are noted before the first stop (in $STATE/dependents, so `recover` knows them too) and started
# again once dockerd is up, after the new config and after a rollback alike.
note_dependents() {
    [ "$USE_SYSTEMD" = 1 ] || return 0
    local u out=""
    for u in $(systemctl show -p RequiredBy -p BoundBy --value docker.service 2>/dev/null | tr ' ' '\n' | sort -u); do
        case "$(unit_state "$u")" in active | activating | reloading) out+="$u"$'\n' ;; esac
    done
    printf '%s' "$out" >"$STATE/dependents"
}

start_dependents() {
    [ "$USE_SYSTEMD" = 1 ] && [ -s "$STATE/dependents" ] || return 0
    local u started=() failed=()
    while read -r u; do
        [ -n "$u" ] || continue
        case "$(unit_state "$u")" in active | activating | reloading) continue ;; esac
        systemctl reset-failed "$u" >/dev/null 2>&1 || true
        if timeout "$RESTART_TIMEOUT" systemctl start "$u" >/dev/null 2>&1 </dev/null; then started+=("$u"); else failed+=("$u"); fi
    done <"$STATE/dependents"
    [ "${#started[@]}" = 0 ] || say "started again what needs docker.service: ${started[*]}"
    [ "${#failed[@]}" = 0 ] || say "warning: did not start again: ${failed[*]} (it needs docker.service; see systemctl status ${failed[0]})"
    return 0
}

# Stops docker.service before the rollback starts it, however dockerd ended up: a bad config can
# leave it `deactivating` for minutes (issue 12: a rollback that gave up after 129 s while systemd
# was still stopping it). Waits up to the restart timeout, then SIGKILLs the unit's processes and
# waits (30 s) for inactive/failed. Returns 1 with FAIL_LINE when even that does not stop it.
stop_dockerd() {
    local deadline state
    deadline=$(($(date +%s) + RESTART_TIMEOUT))
    systemctl stop --no-block docker.service >/dev/null 2>&1 </dev/null || true
    while :; do
        state=$(unit_state docker.service)
        case "$state" in inactive | failed | unknown | "") return 0 ;; esac
        [ "$(date +%s)" -lt "$deadline" ] || break
        sleep 0.5
    done
    say "docker.service still $state after ${RESTART_TIMEOUT}s; sending SIGKILL"
    systemctl kill --signal=SIGKILL docker.service >/dev/null 2>&1 </dev/null || true
    deadline=$(($(date +%s) + 30))
    while :; do
        state=$(unit_state docker.service)
        case "$state" in inactive | failed | unknown | "") return 0 ;; esac
        [ "$(date +%s)" -lt "$deadline" ] || { FAIL_LINE="docker.service still $state 30s after SIGKILL"; return 1; }
        sleep 0.5
    done
}

# dockerd needs containerd (the unit passes --containerd): start it when it went down meanwhile.
ensure_containerd() {
    local state
    systemctl cat containerd.service >/dev/null 2>&1 || return 0
    state=$(unit_state containerd.service)
    [ "$state" = active ] && return 0
    say "containerd.service is ${state:-unknown}; starting it first"
    systemctl reset-failed containerd.service >/dev/null 2>&1 || true
    timeout "$RESTART_TIMEOUT" systemctl start containerd.service >/dev/null 2>&1 </dev/null ||
        say "warning: containerd.service did not start ($(unit_state containerd.service))"
}
