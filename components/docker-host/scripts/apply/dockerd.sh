# shellcheck shell=bash disable=SC2034,SC2153,SC2154
#% dockerd itself: restart, reload, and the error line its log gives for a failed start.
#% A module of apply-docker-config.sh, joined into it by dev/build-apply-script.js (npm run build:apply).
dockerd_error_line() {
    local since=$1 out line try
    # journald receives dockerd's stderr asynchronously: the last lines can lag the failed start.
    for try in 1 2 3 4 5 6; do
        if [ -n "$LOG_CMD" ]; then
            out=$(bash -c "$LOG_CMD" 2>/dev/null || true)
        elif [ "$USE_SYSTEMD" = 1 ]; then
            out=$(journalctl -u docker.service -t dockerd --no-pager -o cat --since "@$since" 2>/dev/null || true)
        else
            out=""
        fi
        # only what the new dockerd said: the old one's shutdown logs errors of its own (swarm
        # watch streams closing) that are not why the new one failed
        out=$(printf '%s\n' "$out" | awk '/Daemon shutdown complete/ { n = 0; delete l; next } { l[++n] = $0 } END { for (i = 1; i <= n; i++) print l[i] }')
        # dockerd prints a fatal start-up error raw (no logrus prefix) as its last word: when the
        # last line is raw, it is the reason, whatever it says ("conflict labels for a=2 and a=1").
        # A flag error ends with the CLI's help hint ("See 'dockerd --help'., Code: 125"): skipped.
        line=$(printf '%s\n' "$out" | grep -v '^$' | grep -v "^See '" | tail -1 | grep -v '^time=' | cut -c1-400 || true)
        [ -n "$line" ] || line=$(printf '%s\n' "$out" | grep -Ei 'level=(fatal|error)|failed to start daemon|unable to|error initializing|error starting|failed to (start|initialize|load|listen)|invalid|not supported|incompatible|already in use|no such file|not a directory|unknown (flag|shorthand)|cannot|could not' | grep -Ev 'level=(info|warning|debug)' | tail -1 | cut -c1-400 || true)
        # dockerd prints fatal start-up errors raw (no logrus prefix): take the last such line
        [ -n "$line" ] || line=$(printf '%s\n' "$out" | grep -v '^time=' | grep -v '^$' | tail -1 | cut -c1-400 || true)
        [ -n "$line" ] && break
        [ "$try" -lt 6 ] && sleep 0.5
    done
    printf '%s\n' "$line"
}

restart_dockerd() {
    local out
    if [ "$USE_SYSTEMD" = 1 ]; then
        systemctl daemon-reload >/dev/null 2>&1 || true
        # A failed restart loop trips StartLimitBurst; without reset-failed the next start is refused.
        systemctl reset-failed docker.service docker.socket >/dev/null 2>&1 || true
    fi
    local cmd=$RESTART_CMD
    if [ "$USE_SYSTEMD" = 1 ] && systemctl cat docker.socket >/dev/null 2>&1; then
        # When daemon.json "hosts" made dockerd bind /var/run/docker.sock itself, dockerd removed
        # docker.socket's socket file on exit; restarting the socket unit recreates it.
        cmd="systemctl stop docker.service && systemctl restart docker.socket && systemctl start docker.service"
    fi
    if ! out=$(timeout "$RESTART_TIMEOUT" bash -c "$cmd" 2>&1 </dev/null); then
        FAIL_STEP="restart dockerd"; FAIL_LINE=$(printf '%s' "$out" | tail -1); return 1
    fi
}

reload_dockerd() {
    local out since
    since=$(date +%s.%N)
    if ! out=$(timeout "$RESTART_TIMEOUT" bash -c "$RELOAD_CMD" 2>&1 </dev/null); then
        FAIL_STEP="reload dockerd"; FAIL_LINE=$(printf '%s' "$out" | tail -1); return 1
    fi
    reload_took "$since"
}

# `systemctl reload` only sends SIGHUP and succeeds whatever dockerd does with it. dockerd emits a
# daemon `reload` event once it runs on the new config; when it refuses the file (conflicting
# labels, a value that fails its checks) it logs the error and keeps the old config, so the file on
# disk and the running daemon differ until the next restart fails on it. No event within the
# restart timeout (at most 20 s): refused (RELOAD_REFUSED=1; dockerd never stopped).
# The events are streamed, so the wait ends the moment dockerd emits the event (a poll every 0.5 s
# cost each reload about half a second); a stream that ends early (the API gone) is asked again.
reload_took() {
    local since=$1 end ev fd pid left
    end=$(($(date +%s) + (RESTART_TIMEOUT < 20 ? RESTART_TIMEOUT : 20)))
    while :; do
        left=$((end - $(date +%s)))
        [ "$left" -gt 0 ] || break
        exec {fd}< <(exec timeout "$left" docker events --since "$since" \
            --filter type=daemon --filter event=reload --format '{{.Action}}' 2>/dev/null)
        pid=$!
        ev=""
        read -r -t "$left" -u "$fd" ev || true
        kill "$pid" 2>/dev/null || true
        exec {fd}<&-
        [ -n "$ev" ] && return 0
        sleep 0.5
    done
    RELOAD_REFUSED=1
    FAIL_STEP="reload dockerd"
    FAIL_LINE="dockerd did not take the new config (no reload event) and keeps running the old one"
    return 1
}
