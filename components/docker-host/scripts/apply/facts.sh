# shellcheck shell=bash disable=SC2034,SC2153,SC2154
#% A daemon.json's facts (issue 29): its canonical form (json_canon, the restart decision), the
#% settings that depend on the host (host_needs) and its storage settings (dm_settings). The
#% controller computes them (daemon-facts.ts) and ships them beside the file; the script keeps them
#% by the file's sha256; only a file dockfleet did not write is read, with jq when the host has it.
#% A module of apply-docker-config.sh, joined into it by dev/build-apply-script.js (npm run build:apply).
# What the checks' notes say when a daemon.json has no facts.
NO_FACTS="no facts for this daemon.json (dockfleet did not write it) and no jq on this host"
# Keys at dockerd's own value when absent: the ones dockfleet always writes (hot-reloadable) and
# the ones it hardens (icc, no-new-privileges, userland-proxy). The same as absent, so an adopted
# file without them has the same settings (a unit test holds this to daemon-keys.ts SAME_AS_ABSENT).
ALWAYS_DEFAULTS='{"debug":false,"icc":true,"insecure-registries":[],"labels":[],"live-restore":false,"no-new-privileges":false,"registry-mirrors":[],"userland-proxy":true}'

# The facts of daemon.json FILE, one per line: `sha HEX`, then `canon JSON`, `dm DRIVER|ROOT|LVM`
# and `need ...` lines, or `invalid WHY` when it is not a JSON object. Where from: shipped beside
# it (FILE.facts, from the bundle's `=== @facts PATH` entry), else kept by its sha256 in
# $STATE/facts (a file an apply wrote: the live file, last-good, also in the rollback and the
# guard, after a lost session), else jq. Facts are used only for the bytes they describe (their
# sha line). Return 1 (no facts) for a file dockfleet did not write on a host without jq.
file_facts() {
    local f=$1 s out
    [ -f "$f" ] || return 1
    s=$(sha "$f")
    if [ -f "$f.facts" ] && [ "$(head -1 "$f.facts")" = "sha $s" ]; then cat "$f.facts"; return 0; fi
    if [ -f "$STATE/facts/$s" ] && [ "$(head -1 "$STATE/facts/$s")" = "sha $s" ]; then cat "$STATE/facts/$s"; return 0; fi
    command -v jq >/dev/null 2>&1 || return 1
    # the same rules as daemon-facts.ts: keys sorted (deeply), compact, labels sorted, ALWAYS_DEFAULTS dropped
    if out=$(jq -r --argjson defs "$ALWAYS_DEFAULTS" '
        def sorted: if type == "object" then . as $o | reduce keys[] as $k ({}; . + {($k): ($o[$k] | sorted)})
            elif type == "array" then map(sorted) else . end;
        if type != "object" then "invalid not an object" else
        ("canon " + (if (.labels | type) == "array" then .labels |= sort else . end
            | reduce ($defs | to_entries[]) as $e (.; if .[$e.key] == $e.value then del(.[$e.key]) else . end) | sorted | tojson)),
        ("dm " + (((.["storage-opts"] // []) | map(strings | capture("^\\s*(?<k>[^=]+?)\\s*=\\s*(?<v>.*?)\\s*$")?
                | {key: (.k | ascii_downcase), value: .v}) | from_entries) as $o
            | [(.["storage-driver"] // "" | tostring), (.["data-root"] // .graph // "/var/lib/docker" | tostring),
               (if $o["dm.directlvm_device"] then "device=\($o["dm.directlvm_device"]) thinp_percent=\($o["dm.thinp_percent"] // "95") thinp_metapercent=\($o["dm.thinp_metapercent"] // "1") thinp_autoextend_threshold=\($o["dm.thinp_autoextend_threshold"] // "80") thinp_autoextend_percent=\($o["dm.thinp_autoextend_percent"] // "20")" else "" end)]
            | join("|"))),
        ((if (.["userns-remap"] | type) == "string" then "userns \(.["userns-remap"])" else empty end),
            ((.runtimes // {}) | to_entries[] | if (.value.path | type) == "string" then "runtime \(.key) \(.value.path)"
                elif (.value.runtimeType | type) == "string" then "shim \(.key) \(.value.runtimeType)" else empty end),
            ((.["exec-opts"] // []) | .[] | strings | select(test("^native.cgroupdriver=")) | "cgroupdriver \(sub("^native.cgroupdriver="; ""))"),
            (("tlscacert", "tlscert", "tlskey") as $k | if (.[$k] | type) == "string" then "tlsfile \($k) \(.[$k])" else empty end)
        | "need " + .) end' "$f" 2>/dev/null); then
        printf 'sha %s\n%s\n' "$s" "$out"
        return 0
    fi
    # an object whose settings jq cannot read (a key of an unexpected shape): no facts
    ! jq -e 'type == "object"' "$f" >/dev/null 2>&1 || return 1
    printf 'sha %s\ninvalid %s\n' "$s" "$(jq . "$f" 2>&1 >/dev/null | tail -1)"
}

# One fact of FILE (the first line tagged TAG, without the tag); return 1 when there is none.
fact() {
    local facts
    facts=$(file_facts "$1") || return 1
    sed -n "/^$2 /{s///p;q}" <<<"$facts" | grep .
}

# Canonical daemon.json for the restart decision; return 1 without facts (settings unknown: restart).
json_canon() { fact "$1" canon; }
# A daemon.json's storage settings `DRIVER|DATA-ROOT|DIRECT-LVM`; return 1 without facts.
dm_settings() { fact "$1" dm; }
# The daemon.json settings whose validity depends on the host, one per line: `userns USER[:GROUP]`,
# `runtime NAME PATH`, `shim NAME TYPE`, `cgroupdriver DRIVER`, `tlsfile KEY PATH`; return 1
# without facts or for a file that is not a JSON object.
host_needs() {
    local facts
    facts=$(file_facts "$1") || return 1
    ! grep -q '^invalid ' <<<"$facts" || return 1
    sed -n 's/^need //p' <<<"$facts"
}

# True when a reload from the live daemon.json to DIR's keeps every setting that changes how new
# containers start (both files' `starts` facts known and equal): the smoke container then proves
# nothing the reload changed. Unknown (a file dockfleet did not write, facts from an older
# dockfleet): false, and the smoke container runs.
reload_keeps_starts() {
    local dir=$1 k mode path new live
    while read -r k mode path; do
        case "$path" in */daemon.json) ;; *) continue ;; esac
        [ "$mode" != absent ] || return 1
        new=$(fact "$dir/$k" starts) || return 1
        live=$(fact "$ROOT$path" starts) || return 1
        [ "$new" = "$live" ]
        return
    done <"$dir/manifest"
    return 1
}

# Keeps the shipped facts of DIR's daemon.json files by their sha256, before they are written: a
# later apply, the rollback and the guard find them for the live file.
store_facts() {
    local dir=$1 k mode path s
    while read -r k mode path; do
        if [ "$mode" = absent ] || [ ! -f "$dir/$k.facts" ]; then continue; fi
        s=$(sha "$dir/$k")
        [ "$(head -1 "$dir/$k.facts")" = "sha $s" ] || continue
        mkdir -p "$STATE/facts"
        cp "$dir/$k.facts" "$STATE/facts/$s"
    done <"$dir/manifest"
}

# Drops the kept facts of files that are neither the last good nor the original ones any more.
prune_facts() {
    local f keep="" d k mode path
    [ -d "$STATE/facts" ] || return 0
    for d in "$STATE/last-good" "$STATE/original"; do
        [ -f "$d/manifest" ] || continue
        while read -r k mode path; do [ ! -f "$d/$k" ] || keep+=" $(sha "$d/$k")"; done <"$d/manifest"
    done
    for f in "$STATE/facts"/*; do
        case "$keep " in *" $(basename "$f") "*) ;; *) rm -f "$f" ;; esac
    done
}
