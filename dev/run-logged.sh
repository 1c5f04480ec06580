# shellcheck shell=bash
# Sourced by dev/main-job.sh and dev/local-stack.sh; the caller defines say().
# run_logged CMD...: quiet on success; on failure the engine's last lines say why.
run_logged() {
    local log
    log=$(mktemp)
    if ! "$@" >"$log" 2>&1; then
        say "FAILED: $* (last lines of its output follow)"
        grep -v '^ *$' "$log" | cut -c1-400 | tail -40 >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}
