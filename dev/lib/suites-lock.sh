# shellcheck shell=bash
# The sandbox's suite lock: one suite at a time against one set of test hosts. Two suites that
# park the main job, repair the swarm and push configs to the same hosts at once corrupt each
# other's results (and the hosts), so the second one waits for the first (bounded) or refuses,
# naming who holds the lock. Sourced by dev/test-all.sh; test/contract/suites-lock.ts calls
# suites_lock for mocha runs started directly (npm run test:contract, npx mocha test/e2e/...).
#
# The lock is flock(1) on a file next to the sandbox dir, not inside it: `sandbox.sh down` deletes
# the dir, and a lock file deleted while held would let the next suite lock a new file at once.
# It is held through an open file descriptor, so it ends with its holder, however that ends
# (a killed suite leaves no stale lock). The file's text names the current holder.
#
#   DOCKFLEET_SANDBOX_DIR        the sandbox (default /var/lib/dockfleet-sandbox); lock = DIR.suites.lock
#   DOCKFLEET_SUITES_LOCK_WAIT   seconds a second suite waits for the lock (default 1800; 0 = refuse at once)
#   DOCKFLEET_SUITES_LOCK_HELD   "PID FILE", set by a holder for its children: a process whose
#                                ancestor PID holds FILE runs under that hold instead of waiting
#                                for its own parent (which would never end).

# suites_lock_file [DIR]: the lock file of sandbox DIR.
suites_lock_file() {
    local dir=${1:-${DOCKFLEET_SANDBOX_DIR:-/var/lib/dockfleet-sandbox}}
    dir=${dir%/}
    printf '%s.suites.lock\n' "$dir"
}

# suites_lock_holders FILE: the PIDs the kernel shows holding a flock on FILE (/proc/locks: the
# process that took it; waiting ones, marked "->", are left out).
suites_lock_holders() {
    local dev ino
    dev=$(stat -c %D "$1" 2>/dev/null) && ino=$(stat -c %i "$1") || return 0
    awk -v want="$(printf '%02x:%02x:%s' $((0x$dev >> 8)) $((0x$dev & 0xff)) "$ino")" \
        '$2 == "FLOCK" && $6 == want { print $5 }' /proc/locks 2>/dev/null
}

# suites_lock_is_ancestor HOLDER PID: true if HOLDER is PID or one of its ancestors.
suites_lock_is_ancestor() {
    local holder=$1 p=$2
    while [ -n "$p" ] && [ "$p" -gt 1 ]; do
        [ "$p" = "$holder" ] && return 0
        p=$(ps -o ppid= -p "$p" 2>/dev/null | tr -d ' ')
    done
    return 1
}

# suites_lock_inherited FILE PID: true if FILE is held by PID or one of its ancestors: as
# DOCKFLEET_SUITES_LOCK_HELD says (the env var alone is not trusted: a stale export must not skip
# the lock), or as the kernel shows it (`flock FILE npx mocha ...`: no variable, and without this
# the suite would wait for its own parent until its wait ran out).
suites_lock_inherited() {
    local file=$1 p=$2 held=${DOCKFLEET_SUITES_LOCK_HELD:-} holder
    if [ -n "$held" ] && [ "${held#* }" = "$file" ] && suites_lock_is_ancestor "${held%% *}" "$p"; then
        return 0
    fi
    for holder in $(suites_lock_holders "$file"); do
        suites_lock_is_ancestor "$holder" "$p" && return 0
    done
    return 1
}

# suites_lock_holder_line PID: "pid N, user U, started T: COMMAND" for the lock file.
suites_lock_holder_line() {
    local pid=$1
    printf 'pid %s, user %s, started %s, holding since %s: %s\n' "$pid" \
        "$(ps -o user= -p "$pid" | tr -d ' ')" "$(LC_ALL=C ps -o lstart= -p "$pid")" \
        "$(date -u +%FT%TZ)" "$(ps -ww -o args= -p "$pid")"
}

# suites_lock FD FILE OWNER_PID: takes the lock on FD (open for writing on FILE) for OWNER_PID,
# waiting up to DOCKFLEET_SUITES_LOCK_WAIT seconds; then writes the holder line into FILE.
# Returns 1 (with a message naming the holder) if the lock stays held.
suites_lock() {
    local fd=$1 file=$2 owner=$3 wait=${DOCKFLEET_SUITES_LOCK_WAIT:-1800} t0=$SECONDS
    if ! flock -n "$fd"; then
        local holder
        holder=$(cat "$file" 2>/dev/null)
        if [ "$wait" -le 0 ]; then
            echo "REFUSED: another suite holds the sandbox's suite lock $file: ${holder:-(holder unknown)}. Wait for it to end, or set DOCKFLEET_SUITES_LOCK_WAIT=SECONDS to wait." >&2
            return 1
        fi
        echo "=== waiting up to ${wait}s for the sandbox's suite lock $file, held by: ${holder:-(holder unknown)}" >&2
        if ! flock -w "$wait" "$fd"; then
            holder=$(cat "$file" 2>/dev/null)
            echo "REFUSED: the sandbox's suite lock $file is still held after ${wait}s (DOCKFLEET_SUITES_LOCK_WAIT) by: ${holder:-(holder unknown)}" >&2
            return 1
        fi
        echo "=== sandbox suite lock taken after $((SECONDS - t0))s" >&2
    fi
    suites_lock_holder_line "$owner" >"$file"
}
