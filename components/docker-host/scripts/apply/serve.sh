# shellcheck shell=bash disable=SC2034,SC2153,SC2154
#% The smoke container and serve_checks (dependents, smoke and task wait side by side).
#% A module of apply-docker-config.sh, joined into it by dev/build-apply-script.js (npm run build:apply).
smoke() {
    [ -n "$SMOKE_IMAGE" ] || return 0
    local out
    if ! docker image inspect "$SMOKE_IMAGE" >/dev/null 2>&1; then
        if [ "$SMOKE_PULL" = never ]; then
            FAIL_STEP="smoke test"; FAIL_LINE="smoke image $SMOKE_IMAGE is not on the host (smoke pull policy: never)"; return 1
        fi
        out=$(timeout "$RESTART_TIMEOUT" docker pull "$SMOKE_IMAGE" 2>&1) || {
            FAIL_STEP="smoke test"; FAIL_LINE="smoke image $SMOKE_IMAGE is not on the host and could not be pulled: $(printf '%s' "$out" | tail -1)"; return 1; }
    fi
    if ! out=$(timeout "$RESTART_TIMEOUT" docker run --rm --network none "$SMOKE_IMAGE" true 2>&1 </dev/null); then
        FAIL_STEP="smoke container"
        FAIL_LINE=$(printf '%s\n' "$out" | grep -E 'Error response from daemon|^docker: ' | tail -1)
        [ -n "$FAIL_LINE" ] || FAIL_LINE=$(printf '%s\n' "$out" | grep -v '^$' | tail -1)
        return 1
    fi
}

# Once dockerd is back: the units that need docker.service (after a restart, $1 = 1), the smoke
# container and the swarm task wait run side by side - each waits on dockerd, not on the others,
# and one after the other they cost a rollout seconds per host. The smoke container's result is
# read back from a file (it runs in a subshell); its failure ends the task wait at once, and is
# the error reported even when the wait failed too (it names the cause).
# After a reload ($1 = 0) no container stopped: no dependents to start and no tasks to wait for;
# the smoke container runs unless SMOKE_SKIP says why it proves nothing here.
serve_checks() {
    local restarted=$1 dep="" rc=0
    SMOKE_RESULT="$STATE/smoke.result"
    rm -f "$SMOKE_RESULT" "$SMOKE_RESULT.tmp"
    if [ "$restarted" = 1 ]; then start_dependents & dep=$!; fi
    (
        if [ -n "${SMOKE_SKIP:-}" ]; then
            log "no smoke container: ${SMOKE_SKIP}"
            echo ok
        elif smoke; then echo ok; else printf 'failed\n%s\n%s\n' "$FAIL_STEP" "$FAIL_LINE"; fi >"$SMOKE_RESULT.tmp"
        mv -f "$SMOKE_RESULT.tmp" "$SMOKE_RESULT"
    ) &
    local smoke_pid=$!
    [ "$restarted" = 0 ] || wait_tasks || rc=1
    wait "$smoke_pid" || true
    [ -z "$dep" ] || wait "$dep" || true
    if smoke_failed; then rc=1; elif [ ! -f "$SMOKE_RESULT" ]; then FAIL_STEP="smoke container"; FAIL_LINE="the smoke run ended without a result"; rc=1; fi
    rm -f "$SMOKE_RESULT"
    [ "$rc" = 1 ] || log "serving: dependents, smoke container and swarm tasks done"
    return "$rc"
}

# True (and FAIL_STEP/FAIL_LINE set from it) when serve_checks' smoke container has failed.
smoke_failed() {
    [ -n "${SMOKE_RESULT:-}" ] && [ -f "$SMOKE_RESULT" ] && [ "$(head -1 "$SMOKE_RESULT")" = failed ] || return 1
    FAIL_STEP=$(sed -n 2p "$SMOKE_RESULT")
    FAIL_LINE=$(sed -n 3p "$SMOKE_RESULT")
    return 0
}
