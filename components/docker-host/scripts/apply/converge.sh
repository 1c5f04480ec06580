# shellcheck shell=bash disable=SC2034,SC2153,SC2154
#% converge: one apply from the wanted set to a verified host (or a rollback), and save_self, the
#% copy of this script the guard and `recover` run.
#% A module of apply-docker-config.sh, joined into it by dev/build-apply-script.js (npm run build:apply).
# Saves this script where the guard (and `recover`) can run it.
save_self() {
    if [ -n "${BASH_EXECUTION_STRING:-}" ]; then
        printf '%s\n' "$BASH_EXECUTION_STRING" >"$STATE/apply-docker-config.sh.new"
    else
        cp "${BASH_SOURCE[0]}" "$STATE/apply-docker-config.sh.new"
    fi
    mv -f "$STATE/apply-docker-config.sh.new" "$STATE/apply-docker-config.sh"
}

# converge DIR: makes the host's managed files equal to DIR's set, verifying and rolling back.
converge() {
    local want=$1 k mode path changed=0 effect=0 restart=0 start swarm_before cur_sha rewritten="" peruse=""
    while read -r k mode path; do
        if [ "$mode" = absent ]; then cur_sha=absent; else cur_sha=$(sha "$want/$k"); fi
        if [ "$(sha "$ROOT$path")" != "$cur_sha" ]; then
            changed=1
            if read_per_use "$path"; then
                peruse="$peruse $path"
            elif same_settings "$want/$k" "$mode" "$path" && loaded_since_start "$path"; then
                rewritten="$rewritten $path"
            else
                effect=1; say "will change $path"
            fi
        elif [ "$mode" != absent ] && ! read_per_use "$path" && ! loaded_since_start "$path" && ! verified_copy "$k" "$path"; then
            effect=1 # as wanted, but written after dockerd started: maybe not what it runs
        fi
        check_file_if_present "$want/$k" "$mode" "$path"
    done <"$want/manifest"

    # The shipped facts kept before anything is written (the rollback and the guard read the live
    # file's), also for a file already as wanted (a host applied by a dockfleet without facts).
    store_facts "$want"

    # Past the checks that refuse before anything is written; every managed host gets it, also one
    # whose files are already as wanted (after an upgrade of dockfleet).
    install_boot_guard

    # First run on this host: what dockerd runs now is the pre-dockfleet original and the last good.
    if [ ! -f "$STATE/original/manifest" ]; then
        snapshot "$want/manifest" "$STATE/original"
        snapshot "$want/manifest" "$STATE/last-good"
    else
        # a path managed for the first time: record its pre-dockfleet state as well
        snapshot_new_paths "$want/manifest"
    fi

    # Files equal to what we want but never verified (interrupted run, or hand edits reverted)
    # still need a verified restart.
    local applied
    applied=$(cat "$STATE/applied" 2>/dev/null || true)
    if [ "$changed" = 0 ] && [ "$applied" = "$(set_digest "$want")" ] && [ ! -f "$STATE/in-progress" ]; then
        say "unchanged; nothing to do"
        return 0
    fi

    # Same settings as the running dockerd loaded (an adopted host: the operator's key order and
    # whitespace; a drop-in formatted differently): write the canonical bytes, restart nothing.
    if [ "$effect" = 0 ] && [ ! -f "$STATE/in-progress" ] && docker_up; then
        stage_set "$want" || die "$INSTALL_ERR; nothing changed, dockerd untouched"
        commit_set "$want" || die "$INSTALL_ERR (same settings; dockerd untouched)"
        case "$rewritten" in *.service.d/*) systemctl daemon-reload >/dev/null 2>&1 || true ;; esac
        for path in $rewritten; do say "$(basename "$path") rewritten in canonical form; same settings: no restart"; done
        for path in $peruse; do say "$path written; dockerd reads it on use: no restart, no reload"; done
        [ -n "$rewritten$peruse" ] || say "files already as wanted and loaded by the running dockerd; recorded as verified, no restart"
        snapshot "$want/manifest" "$STATE/last-good"
        prune_facts
        set_digest "$want" >"$STATE/applied"
        [ -n "$RELOAD_DIGEST" ] && printf '%s\n' "$RELOAD_DIGEST" >"$STATE/reload-digest"
        return 0
    fi

    # Restart unless only hot-reloadable daemon.json keys changed since a verified apply.
    restart=1
    if [ -n "$RELOAD_DIGEST" ] && [ -f "$STATE/reload-digest" ] && [ ! -f "$STATE/in-progress" ] &&
        [ "$(cat "$STATE/reload-digest")" = "$RELOAD_DIGEST" ] && only_daemon_json_differs "$want" && no_drift; then
        restart=0
    fi

    # A smoke image that must already be here (no pull): refuse before touching anything.
    if [ -n "$SMOKE_IMAGE" ] && [ "$SMOKE_PULL" = never ] && docker_up && ! docker image inspect "$SMOKE_IMAGE" >/dev/null 2>&1; then
        die "smoke image $SMOKE_IMAGE is not on this host and the smoke pull policy is never (rollout.smokePull); load it (docker load / docker pull) or set rollout.smokeImage to \"\"; nothing changed"
    fi

    swarm_before=$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo unknown)
    TASKS_BEFORE=0 SERVICES_BEFORE="" SMOKE_SKIP=""
    # A reload stops no container: no task count to wait for afterwards (only a restart uses it).
    if [ "$swarm_before" = active ] && [ "$restart" = 1 ]; then
        if [ "$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = true ]; then
            TASKS_BEFORE=$(ready_tasks before "$(wanted_tasks)")
            SERVICES_BEFORE=$(services_here_before)
        else
            TASKS_BEFORE=$(ready_tasks before)
        fi
    fi
    [ "$restart" = 0 ] || check_unlock_key "$swarm_before"
    [ "$restart" = 0 ] || check_quorum "$swarm_before"
    # Read from the live file's facts before it is replaced.
    if [ "$restart" = 0 ] && reload_keeps_starts "$want"; then
        SMOKE_SKIP="no reloaded key changes how containers start"
    fi
    start=$(date +%s)
    # Temp files first: a read-only or full /etc/docker fails here, with nothing changed.
    stage_set "$want" || die "$INSTALL_ERR; nothing changed, dockerd untouched"
    save_self
    # The swarm state before is kept for `recover` (the guard), which cannot ask a dead dockerd.
    printf '%s\n' "$swarm_before" >"$STATE/in-progress"
    note_new_graph_state "$want"
    arm_guard
    FAIL_STEP="" FAIL_LINE=""
    local ok=1
    if ! commit_set "$want"; then
        FAIL_STEP="write the new files"; FAIL_LINE=$INSTALL_ERR; ok=0
    elif [ "$restart" = 1 ]; then
        say "restarting dockerd (swarm: $swarm_before)"
        note_dependents
        RESTART_AT=$(date +%s)
        restart_dockerd && log "dockerd restarted" && wait_up "$swarm_before" && log "API up${swarm_before:+, swarm $swarm_before}" && serve_checks 1 || ok=0
    else
        say "reloading dockerd (only hot-reloadable keys changed)"
        rm -f "$STATE/dependents" # a reload stops nothing
        reload_dockerd && wait_up "$swarm_before" && serve_checks 0 || ok=0
    fi
    if [ "$ok" = 1 ]; then
        snapshot "$want/manifest" "$STATE/last-good"
        prune_facts
        set_digest "$want" >"$STATE/applied"
        [ -n "$RELOAD_DIGEST" ] && printf '%s\n' "$RELOAD_DIGEST" >"$STATE/reload-digest"
        rm -f "$STATE/in-progress" "$STATE/dependents" "$STATE/new-graph-state"
        disarm_guard
        say "applied ($([ "$restart" = 1 ] && echo restart || echo reload)) in $(($(date +%s) - start))s"
        [ "$restart" = 1 ] && echo "dockfleet-apply: restarted"
        return 0
    fi
    local why=${FAIL_LINE:-}
    local dline=""
    case "${FAIL_STEP:-}" in
        "smoke container" | "write the new files") ;; # the step's own error says it all
        *) dline=$(dockerd_error_line "$start") ;;
    esac
    [ -n "$dline" ] && why="$dline${why:+ ($why)}"
    local step=${FAIL_STEP:-apply}
    # A refused reload left dockerd running, on the old config: putting the known-good files back
    # is the whole rollback (a restart would stop containers for nothing). A dockerd whose API no
    # longer answers did not just refuse: the full rollback (a restart) follows.
    if [ "${RELOAD_REFUSED:-0}" = 1 ] && timeout 10 docker version --format '{{.Server.Version}}' >/dev/null 2>&1 &&
        install_set "$STATE/last-good"; then
        rm -f "$STATE/in-progress" "$STATE/dependents" "$STATE/new-graph-state"
        disarm_guard
        say "FAILED on host $HOST at step '$step': ${why}; previous files restored, dockerd still running on its previous config (not restarted)"
        exit 1
    fi
    if rollback "$swarm_before"; then
        disarm_guard
        rm -f "$STATE/reload-digest"
        say "FAILED on host $HOST at step '$step': ${why:-no error line from dockerd}; previous config restored, dockerd running"
        exit 1
    fi
    # The guard stays armed: its `recover` tries the rollback once more later.
    say "CRITICAL on host $HOST: step '$step' failed (${why:-no error line}) and the rollback did not bring dockerd back (${FAIL_STEP:-rollback}: ${FAIL_LINE:-no error line}); $([ "${FAIL_STEP:-}" = "restore the known-good files" ] || echo "last-good files are in place; ")the rollback guard retries"
    exit 3
}
