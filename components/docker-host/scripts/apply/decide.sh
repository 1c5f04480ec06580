# shellcheck shell=bash disable=SC2034,SC2153,SC2154
#% What converge asks about the host's files: loaded by the running dockerd, verified before, read
#% on use, only daemon.json changed, no drift; and the set digest recorded after a verified apply.
#% A module of apply-docker-config.sh, joined into it by dev/build-apply-script.js (npm run build:apply).
# True unless PATH was written after dockerd last started (then the running dockerd may not have
# loaded it). Unknown start time (no systemd, a --restart-cmd host): trusted.
loaded_since_start() {
    local since m
    [ -e "$ROOT$1" ] || return 0
    [ "$USE_SYSTEMD" = 1 ] || return 0
    since=$(systemctl show -p ActiveEnterTimestamp --value docker.service 2>/dev/null || true)
    [ -n "$since" ] && [ "$since" != n/a ] || return 0
    since=$(date -d "$since" +%s 2>/dev/null) || return 0
    m=$(stat -c %Y "$ROOT$1" 2>/dev/null) || return 0
    [ "$m" -le "$since" ]
}

check_file_if_present() { [ "$2" = absent ] || MODE_OF_NEW=$2 check_file "$1" "$3"; }

snapshot_new_paths() {
    local manifest=$1 k mode path
    while read -r k mode path; do
        grep -q " $path\$" "$STATE/original/manifest" && continue
        printf '%s %s %s\n' "$k" "$mode" "$path" >"$STATE/newpath"
        snapshot "$STATE/newpath" "$STATE/original"
        snapshot "$STATE/newpath" "$STATE/last-good"
    done <"$manifest"
    rm -f "$STATE/newpath"
}

# Digest of a wanted set (paths + contents), recorded after a verified apply.
set_digest() {
    local dir=$1 k mode path
    while read -r k mode path; do
        if [ "$mode" = absent ]; then echo "$path absent"; else echo "$path $mode $(sha "$dir/$k")"; fi
    done <"$dir/manifest" | sort | sha256sum | cut -d' ' -f1
}

# True when the host's PATH is the copy a verified apply recorded (last-good, key K): a canonical
# rewrite without a restart (same settings) leaves it newer than dockerd, yet verified as loaded.
verified_copy() {
    [ ! -f "$STATE/in-progress" ] && [ -f "$STATE/last-good/$1" ] && [ "$(sha "$STATE/last-good/$1")" = "$(sha "$ROOT$2")" ]
}

# Registry trust (certs.d/<host:port>/ca.crt): dockerd reads it on every connection to that
# registry, so writing one needs neither a restart nor a reload.
read_per_use() { case "$1" in /etc/docker/certs.d/*) return 0 ;; *) return 1 ;; esac; }

# True when every wanted file except daemon.json (and files read on use) already matches the host.
only_daemon_json_differs() {
    local dir=$1 k mode path want_sha
    while read -r k mode path; do
        case "$path" in */daemon.json) continue ;; esac
        read_per_use "$path" && continue
        if [ "$mode" = absent ]; then want_sha=absent; else want_sha=$(sha "$dir/$k"); fi
        [ "$(sha "$ROOT$path")" = "$want_sha" ] || return 1
    done <"$dir/manifest"
    return 0
}

# True when the host's managed files are exactly the last verified ones (no hand edits).
no_drift() {
    local k mode path want_sha
    while read -r k mode path; do
        if [ "$mode" = absent ]; then want_sha=absent; else want_sha=$(sha "$STATE/last-good/$k"); fi
        [ "$(sha "$ROOT$path")" = "$want_sha" ] || return 1
    done <"$STATE/last-good/manifest"
}
