# shellcheck shell=bash disable=SC2034,SC2153,SC2154
#% The rollback to the last known-good files, and the devicemapper state a failed start leaves
#% behind set aside.
#% A module of apply-docker-config.sh, joined into it by dev/build-apply-script.js (npm run build:apply).
# Rolls the host back to the last known-good files and brings dockerd back on them: stop (slow stop
# waited out, then SIGKILL), reset-failed, containerd, start, API and swarm up; a second attempt
# before giving up. Returns 1 (FAIL_STEP/FAIL_LINE say why) only when dockerd does not run on the
# known-good files, or when they could not be written back (FAIL_LINE names the file).
# Graph-driver state a failed start leaves behind (issue 11, seen on a VM): dockerd creates
# <data-root>/devicemapper before it gives up on a bad direct-lvm device, and next to that directory
# it refuses to start on a config that names no storage driver ("contains several valid
# graphdrivers"): the rollback to such a config would fail (exit 3). note_new_graph_state records,
# before the new files are written, a devicemapper state directory that does not exist yet;
# set_aside_new_graph_state (in the rollback, also the guard's) moves it into $STATE when the
# known-good config does not use devicemapper. Both read dm_settings (facts.sh): the shipped facts
# of the new file, the kept ones of the known-good file (after a lost session too).
note_new_graph_state() {
    local want=$1 k mode p st drv root
    rm -f "$STATE/new-graph-state"
    while read -r k mode p; do
        case "$p" in */daemon.json) ;; *) continue ;; esac
        [ "$mode" != absent ] || continue
        st=$(dm_settings "$want/$k") || continue
        IFS='|' read -r drv root _ <<<"$st"
        if [ "$drv" = devicemapper ] && [ ! -e "$ROOT$root/devicemapper" ]; then
            printf '%s\n' "$root/devicemapper" >"$STATE/new-graph-state"
        fi
    done <"$want/manifest"
}

set_aside_new_graph_state() {
    local d st drv rest to
    [ -f "$STATE/new-graph-state" ] || return 0
    d=$(cat "$STATE/new-graph-state")
    rm -f "$STATE/new-graph-state"
    [ -d "$ROOT$d" ] || return 0
    if [ -f "$ROOT/etc/docker/daemon.json" ] && st=$(dm_settings "$ROOT/etc/docker/daemon.json"); then
        IFS='|' read -r drv rest <<<"$st"
        [ "$drv" != devicemapper ] || return 0
    fi
    to=$STATE/failed-graph-state-$(date +%s)
    mkdir -p "$to"
    if mv "$ROOT$d" "$to/"; then
        say "moved $d (left by the failed devicemapper start) aside to $to: dockerd would not start next to it on the known-good config; an LVM volume group the attempt created on the device stays (vgremove docker, pvremove the device)"
    else
        say "could not move $d aside; dockerd may refuse to start next to it (contains several valid graphdrivers)"
    fi
}

rollback() {
    local swarm_before=$1 attempt
    say "rolling back to the last known-good files"
    if ! install_set "$STATE/last-good"; then
        FAIL_STEP="restore the known-good files"; FAIL_LINE=$INSTALL_ERR
        say "could not restore the known-good files: $INSTALL_ERR"
        return 1
    fi
    set_aside_new_graph_state
    TASKS_BEFORE=0 # a rollback only needs dockerd and the node back; tasks follow
    for attempt in 1 2; do
        FAIL_STEP="" FAIL_LINE=""
        if [ "$USE_SYSTEMD" = 1 ]; then
            systemctl daemon-reload >/dev/null 2>&1 || true
            stop_dockerd || { FAIL_STEP="stop dockerd"; say "rollback attempt $attempt: $FAIL_LINE"; continue; }
            systemctl reset-failed docker.service docker.socket >/dev/null 2>&1 || true
            ensure_containerd
        fi
        if restart_dockerd && wait_up "$swarm_before"; then
            start_dependents
            rm -f "$STATE/in-progress" "$STATE/dependents"
            return 0
        fi
        say "rollback attempt $attempt: ${FAIL_STEP:-restart}: ${FAIL_LINE:-no error line}"
    done
    return 1
}
