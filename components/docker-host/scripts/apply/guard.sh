# shellcheck shell=bash disable=SC2034,SC2153,SC2154
#% The rollback guard (a systemd timer, or a detached sleeper) that runs `recover` if the apply dies.
#% A module of apply-docker-config.sh, joined into it by dev/build-apply-script.js (npm run build:apply).
# Arms a guard that rolls back if this process dies between writing files and verifying them.
arm_guard() {
    local delay=$((RESTART_TIMEOUT * 3 + 30))
    GUARD_UNIT=""
    if [ "$USE_SYSTEMD" = 1 ] && command -v systemd-run >/dev/null 2>&1; then
        GUARD_UNIT="dockfleet-rollback-guard-$$"
        systemd-run --quiet --unit="$GUARD_UNIT" --on-active="${delay}s" --timer-property=AccuracySec=1s \
            /bin/bash "$STATE/apply-docker-config.sh" recover --host "$HOST" --restart-timeout "$RESTART_TIMEOUT" >/dev/null 2>&1 || GUARD_UNIT=""
    fi
    if [ -z "$GUARD_UNIT" ]; then
        setsid bash -c "sleep $delay; exec /bin/bash '$STATE/apply-docker-config.sh' recover --host '$HOST' --restart-timeout $RESTART_TIMEOUT" \
            </dev/null >/dev/null 2>&1 &
        GUARD_PID=$!
    fi
}

disarm_guard() {
    if [ -n "${GUARD_UNIT:-}" ]; then
        systemctl stop "$GUARD_UNIT.timer" >/dev/null 2>&1 || true
    elif [ -n "${GUARD_PID:-}" ]; then
        kill "$GUARD_PID" 2>/dev/null || true
    fi
}
