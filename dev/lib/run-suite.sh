# shellcheck shell=bash
# run_suite NAME MOCHA_ARGS...: runs one mocha suite, shows its output, adds its counts to the
# caller's globals passed/failed, sets status=1 on any failure. The caller sets log_dir (a
# directory for the suite logs). Sourced by dev/test-all.sh; test/unit/suite-survival.test.ts
# runs it on a leaking fixture.
#
# A failed test must not hang its suite. The tests clean up at the source (test/contract/leaks.ts),
# and this is the backstop: mocha runs in a session of its own, and once it has printed its
# summary it has DOCKFLEET_SUITE_EXIT_GRACE seconds (default 60) to exit. If it has not, a child
# process, timer or socket some test left open keeps it alive: the session is killed and the
# suite counts as failed, "handles left open after the suite finished", listing its processes.
# Processes of the session still running after mocha exited are killed and counted the same way.
# Not mocha's --exit: it would end mocha alone, say nothing, and leave the leaked children
# running on the sandbox hosts while the next suite starts; the leak would only move.
#
#   DOCKFLEET_TEST_DEADLINE      epoch seconds (.ci/run sets it from CI's time limit): a suite
#                                still running then is interrupted and counted as failed
#   DOCKFLEET_SUITE_EXIT_GRACE   seconds between mocha's summary and its exit before the kill

# shellcheck disable=SC2034 # status: the caller's result (test-all.sh)
status=${status:-0}
passed=${passed:-0}
failed=${failed:-0}
suite_sid=""

# Ends the running suite's session (test-all.sh's INT/TERM trap: the suite is in a session of its
# own and does not get the terminal's signals).
run_suite_abort() {
    [ -n "$suite_sid" ] || return 0
    echo "=== interrupted: ending the running suite's processes" >&2
    suite_session_kill "$suite_sid"
    suite_sid=""
}

# suite_session_kill SID: every process of session SID, TERM then (5 s later) KILL; lists them.
suite_session_kill() {
    local sid=$1 pids tries=10
    mapfile -t pids < <(pgrep -s "$sid")
    [ "${#pids[@]}" -gt 0 ] || return 0
    ps -o pid=,etime=,args= -p "$(IFS=,; echo "${pids[*]}")" | sed 's/^/    /' >&2
    kill -TERM "${pids[@]}" 2>/dev/null
    while pgrep -s "$sid" >/dev/null; do
        [ "$tries" -gt 0 ] || break
        sleep 0.5
        tries=$((tries - 1))
    done
    mapfile -t pids < <(pgrep -s "$sid")
    [ "${#pids[@]}" -eq 0 ] || kill -KILL "${pids[@]}" 2>/dev/null
    return 0
}

# suite_session_live SID: true if session SID has a process that is not a zombie (a zombie holds
# nothing open; its parent, if it leaked, is counted itself).
suite_session_live() {
    pgrep -s "$1" -r D,R,S,T,t,W,P,I >/dev/null
}

run_suite() {
    local name=$1; shift
    : "${log_dir:?run_suite needs log_dir, a directory for the suite logs}"
    local out=$log_dir/$name.log sidfile=$log_dir/$name.sid
    local t0=$SECONDS limit=() grace=${DOCKFLEET_SUITE_EXIT_GRACE:-60}
    echo "=== suite: $name (started $(date -u +%T) UTC)"
    if [ -n "${DOCKFLEET_TEST_DEADLINE:-}" ]; then
        local left=$((DOCKFLEET_TEST_DEADLINE - $(date +%s)))
        [ "$left" -gt 0 ] || left=1
        limit=(timeout -s INT -k 60 "$left")
    fi
    : >"$out"
    rm -f "$sidfile"
    # setsid -w: a session (and process group) of its own, whose id the inner shell records; the
    # inner shell closes the suite lock's descriptor (test-all.sh holds it; children take part
    # through DOCKFLEET_SUITES_LOCK_HELD) so no leaked child keeps the lock.
    # shellcheck disable=SC2016 # the inner shell expands them
    setsid -w bash -c 'echo $$ >"$0"; case $1 in "" | *[!0-9]*) ;; *) eval "exec $1>&-" ;; esac; shift; exec "$@"' \
        "$sidfile" "${suites_lock_fd:-}" "${limit[@]}" npx mocha "$@" >"$out" 2>&1 </dev/null &
    local pid=$!
    tail -n +1 -s 0.5 -f --pid="$pid" "$out" &
    local tail_pid=$! summary_at="" leaked=0 tries=50
    while [ ! -s "$sidfile" ] && [ "$tries" -gt 0 ]; do sleep 0.1; tries=$((tries - 1)); done
    suite_sid=$(cat "$sidfile" 2>/dev/null)
    while kill -0 "$pid" 2>/dev/null; do
        if [ -z "$summary_at" ] && grep -Eq '^  [0-9]+ (passing|failing) \(' "$out"; then summary_at=$SECONDS; fi
        if [ -n "$summary_at" ] && [ $((SECONDS - summary_at)) -ge "$grace" ]; then leaked=1; break; fi
        sleep 1
    done
    if [ "$leaked" = 1 ]; then
        echo "FATAL: suite $name: handles left open after the suite finished: mocha printed its summary ${grace}s ago (DOCKFLEET_SUITE_EXIT_GRACE) and has not exited; a test left a child process, timer or socket open. Killing the suite's processes:" >&2
        [ -z "$suite_sid" ] || suite_session_kill "$suite_sid"
    fi
    wait "$pid"
    local rc=$?
    wait "$tail_pid" 2>/dev/null
    if [ "$leaked" = 0 ] && [ -n "$suite_sid" ] && suite_session_live "$suite_sid"; then
        leaked=1
        echo "FATAL: suite $name: handles left open after the suite finished: processes it started still run after mocha exited. Killing them:" >&2
        suite_session_kill "$suite_sid"
    fi
    suite_sid=""
    echo "=== suite: $name done in $((SECONDS - t0)) s"
    local p f
    p=$(grep -Eo '^ +[0-9]+ passing' "$out" | grep -Eo '[0-9]+' | tail -1)
    f=$(grep -Eo '^ +[0-9]+ failing' "$out" | grep -Eo '[0-9]+' | tail -1)
    if [ "$leaked" = 0 ] && { [ "$rc" = 124 ] || { [ "${#limit[@]}" -gt 0 ] && [ "$rc" = 137 ]; }; }; then
        # interrupted mocha prints no totals: count the result lines it printed as it went
        p=$(grep -Ec '^ +✔ ' "$out")
        f=$(( $(grep -Ec '^ +[0-9]+\) ' "$out") + 1 ))
        echo "FATAL: suite $name was still running at the time budget's end (DOCKFLEET_TEST_DEADLINE) and was interrupted after $p passed and $((f - 1)) failed tests; the rest did not run" >&2
    fi
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    if [ "$leaked" = 1 ]; then
        status=1
        failed=$((failed + 1)) # the leak itself
    elif [ "$rc" != 0 ]; then
        status=1
        [ -n "$f" ] || failed=$((failed + 1)) # crashed before reporting: count it
    fi
}
