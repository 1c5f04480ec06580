#!/usr/bin/env bash
# dockfleet: apply Docker daemon files (daemon.json, docker.service drop-ins) on ONE host, safely.
#
# Usage (run as root on the host; dockfleet sends it over SSH as `bash -c "<this file>" ...`):
#   apply-docker-config.sh apply   --host NAME [options] 3<PUBLIC_BUNDLE <SECRET_BUNDLE
#   apply-docker-config.sh restore --host NAME [options]   # put back the pre-dockfleet files
#   apply-docker-config.sh forget  --host NAME             # keep current files, drop dockfleet state
#   apply-docker-config.sh status  --host NAME             # digests of managed files (drift checks)
#       with DOCKFLEET_STATUS_KEY=stdin and a one-time key (64 hex digits) on stdin: root-only files
#       as HMAC-SHA256 under that key ("hmac:HEX"), never as their plain digest
#   apply-docker-config.sh recover --host NAME             # finish/roll back an interrupted apply
#
# Ownership (why a replaced resource's delete never undoes its successor): every Pulumi resource
# that applies to this host holds a claim, a count under $STATE/claims/<owner>. `apply --op create`
# adds one after a verified apply, `--op update` makes sure there is one, `restore`/`forget` drop
# one, and only the delete that drops the last claim puts back (or forgets) the pre-dockfleet
# files. A replacement (new resource created, then the old one deleted), a rename, or two resources
# with the same owner therefore leave the newest config in place. State written by dockfleet
# versions without claims (/var/lib/dockfleet/docker-host) is moved here on first contact, so a
# delete command stored by such a version finds nothing to restore.
#
# A bundle is text: a header line `=== <absolute path> <octal mode>` followed by the file's lines,
# or `=== <absolute path> absent` for a file that must not exist. A daemon.json is followed by its
# facts, `=== @facts <absolute path>` and lines the controller computed (canonical form, host needs,
# storage settings; facts.sh), so this script parses no JSON for the files it is sent. The public
# bundle (fd 3) is visible in `pulumi preview`; the secret bundle (stdin) carries files with credentials.
#
# Options:
#   --restart-timeout SEC   wait this long for restart + API + swarm (default 60; busy nodes need it)
#   --smoke-image IMAGE     run `docker run --rm IMAGE true` after a restart ("" disables; default "")
#   --smoke-pull POLICY     missing: pull the smoke image when it is not on the host; never: it must
#                           be there, checked before anything is written (default missing)
#   --restart-cmd CMD       how to restart dockerd (default: systemctl restart docker.service)
#   --reload-cmd CMD        how to reload dockerd (default: systemctl reload docker.service)
#   --log-cmd CMD           prints dockerd's recent log (default: journalctl -u docker.service ...)
#   --reload-digest HEX     digest of the daemon.json keys that need a restart; if only other keys
#                           changed since the last apply, dockerd is reloaded (SIGHUP), not restarted
#   --owner NAME            the claim's name (letters, digits, . _ -; default "default")
#   --op create|update      apply: which Pulumi operation runs it (claims, see above; default update)
#   --repair MARKER         apply: the drift-repair marker to record after a verified apply; `status`
#                           prints it back, so a repaired host's next preview is unchanged
#   --task-wait WHO         node: after a restart this node waits for its own swarm tasks (default);
#                           manager: on a worker, a manager does (DockerFleet's serve-wait, which
#                           can see a task the swarm moved to another node), so the worker does not
#
# On stdout, after a verified apply that restarted dockerd: the line `dockfleet-apply: restarted`
# (the manager's serve-wait then trusts no task report from before the restart).
#
# Guarantees: nothing is written before every new file passed its checks; every file is first
# written as a temp file beside its target (a read-only or full directory fails there, before
# anything changed), then renamed into place; the last known-good files are kept and restored on
# any failure; the rollback waits out a slow stop (then SIGKILL), reset-failed, starts containerd
# if it is down, starts dockerd on the known-good files and tries twice before saying CRITICAL; a
# rollback guard (a systemd timer, or a detached sleeper without systemd) armed before the first
# write runs `recover` if this script is killed mid-way, rollback included.
# Files whose settings equal the wanted ones (daemon.json as parsed JSON, drop-ins as parsed
# directives and Environment= assignments) and that the running dockerd has loaded are rewritten
# in canonical form without a restart (adopting a fleet restarts nothing).
# Exit codes: 0 applied or unchanged, 1 rejected or rolled back, 3 rollback failed (dockerd down).
set -euo pipefail
shopt -s nullglob
# Files this script creates (state, backups, the bundle's copies) are root-only: the proxy's
# environment file carries credentials; each target file gets its bundle mode explicitly.
umask 077

ROOT=${DOCKFLEET_ROOT:-}                  # prefix for every path; only tests set it
STATE=$ROOT/var/lib/dockfleet/daemon-config
LEGACY_STATE=$ROOT/var/lib/dockfleet/docker-host # dockfleet before ownership claims
LOCK_FILE=$STATE/lock
OWNER=default
OP=update
REPAIR=""
TASK_WAIT=node
HOST=$(hostname 2>/dev/null || echo unknown)
RESTART_TIMEOUT=60
SMOKE_IMAGE=""
SMOKE_PULL=missing
RESTART_CMD="systemctl restart docker.service"
RELOAD_CMD="systemctl reload docker.service"
LOG_CMD=""
RELOAD_DIGEST=""
RELOAD_REFUSED=0
UNLOCK_KEY="" # swarm autolock: from the secret stdin bundle, never from an argument
USE_SYSTEMD=1
ACTION=${1:-}
[ $# -gt 0 ] && shift

say() { printf 'dockfleet[%s]: %s\n' "$HOST" "$*" >&2 2>/dev/null || true; log "$*"; }
log() { if [ -d "$STATE" ]; then printf '%s %s\n' "$(date -u +%FT%T.%3NZ)" "$*" >>"$STATE/apply.log" 2>/dev/null || true; fi; }
die() { say "ERROR: $*"; exit 1; }
# Who holds the host's apply lock ($LOCK_FILE is truncated by every opener, so the holder is
# recorded beside it): "OWNER ACTION (pid N) since TIME".
lock_holder() { head -1 "$STATE/lock-holder" 2>/dev/null || echo "holder unknown"; }
lock_held_by() {
    printf '%s %s (pid %s) since %s\n' "$OWNER" "$ACTION" "$$" "$(date -u +%FT%TZ)" >"$STATE/lock-holder"
    log "lock taken: $OWNER $ACTION (pid $$)"
}

while [ $# -gt 0 ]; do
    case "$1" in
        --host) HOST=$2; shift 2 ;;
        --restart-timeout) RESTART_TIMEOUT=$2; shift 2 ;;
        --smoke-image) SMOKE_IMAGE=$2; shift 2 ;;
        --smoke-pull) SMOKE_PULL=$2; shift 2 ;;
        --restart-cmd) RESTART_CMD=$2; USE_SYSTEMD=0; shift 2 ;;
        --reload-cmd) RELOAD_CMD=$2; shift 2 ;;
        --log-cmd) LOG_CMD=$2; shift 2 ;;
        --reload-digest) RELOAD_DIGEST=$2; shift 2 ;;
        --owner) OWNER=$2; shift 2 ;;
        --op) OP=$2; shift 2 ;;
        --repair) REPAIR=$2; shift 2 ;;
        --task-wait) TASK_WAIT=$2; shift 2 ;;
        *) die "unknown option: $1" ;;
    esac
done
case "$OWNER" in '' | *[!A-Za-z0-9._-]* | .*) die "--owner must be letters, digits, '.', '_' or '-' (not starting with '.'), got '$OWNER'" ;; esac
case "$OP" in create | update) ;; *) die "--op must be create or update, got '$OP'" ;; esac
case "$REPAIR" in *$'\n'*) die "--repair must be one line" ;; esac
case "$RESTART_TIMEOUT" in '' | *[!0-9]*) die "--restart-timeout must be whole seconds, got '$RESTART_TIMEOUT'" ;; esac
case "$SMOKE_PULL" in missing | never) ;; *) die "--smoke-pull must be missing or never, got '$SMOKE_PULL'" ;; esac
case "$TASK_WAIT" in node | manager) ;; *) die "--task-wait must be node or manager, got '$TASK_WAIT'" ;; esac

# A disconnected SSH session must not kill us half-way: ignore HUP/PIPE, keep going, log to a file.
trap '' HUP PIPE

sha() { if [ -e "$1" ]; then sha256sum <"$1" | cut -d' ' -f1; else echo absent; fi; }
# hmac_sha FILE: HMAC-SHA256 (RFC 2104) of FILE under STATUS_KEY (64 hex digits: the probe's
# one-time key, read from `status`'s stdin), as hex. From sha256sum alone: coreutils is on every
# host, openssl is not a dependency of the script. The key stays in this shell (printf is a
# builtin; the pipes' left sides are forks of it): it is on no command line and in no file.
hmac_sha() {
    local i b x ipad="" opad="" inner esc=""
    for ((i = 0; i < 64; i++)); do
        b=0
        [ "$i" -ge 32 ] || b=$((16#${STATUS_KEY:i*2:2})) # the 32-byte key, zero-padded to the 64-byte block
        printf -v x '\\x%02x' $((b ^ 0x36))
        ipad+=$x
        printf -v x '\\x%02x' $((b ^ 0x5c))
        opad+=$x
    done
    inner=$({ printf '%b' "$ipad"; cat "$1"; } | sha256sum | cut -d' ' -f1)
    for ((i = 0; i < 64; i += 2)); do esc+="\\x${inner:i:2}"; done
    { printf '%b' "$opad"; printf '%b' "$esc"; } | sha256sum | cut -d' ' -f1
}
# Key under which a managed path's copies are stored in the state dir.
key() { printf '%s' "$1" | sha256sum | cut -c1-16; }

# parse_bundle FD DIR: splits a bundle into DIR/<key> files + DIR/manifest ("key mode path"), and
# facts entries into DIR/<key>.facts.
parse_bundle() {
    local fd=$1 dir=$2 line cur="" path mode
    while IFS= read -r line <&"$fd" || [ -n "$line" ]; do
        if [[ "$line" == "=== "* ]]; then
            read -r path mode <<<"${line#=== }"
            if [ "$path" = @swarm-unlock-key ]; then # kept in memory only (unlock_manager)
                [ "$fd" = 0 ] || die "bundle: the swarm unlock key may only come on stdin (the secret bundle)"
                cur=@key; continue
            fi
            if [ "$path" = @facts ]; then # `=== @facts PATH`: the facts of PATH's daemon.json (facts.sh), not a file
                case "$mode" in /*) ;; *) die "bundle: facts for a path that is not absolute: '$mode'" ;; esac
                cur=$(key "$mode").facts
                : >"$dir/$cur"
                continue
            fi
            case "$path" in /*) ;; *) die "bundle: path must be absolute: '$path'" ;; esac
            case "$mode" in absent | [0-7][0-7][0-7] | [0-7][0-7][0-7][0-7]) ;; *) die "bundle: bad mode '$mode' for $path" ;; esac
            cur=$(key "$path")
            printf '%s %s %s\n' "$cur" "$mode" "$path" >>"$dir/manifest"
            : >"$dir/$cur"
        elif [ "$cur" = @key ]; then
            [ -z "$line" ] || UNLOCK_KEY=$line
        elif [ -n "$cur" ]; then
            printf '%s\n' "$line" >>"$dir/$cur"
        elif [ -n "$line" ]; then
            die "bundle: content before the first '=== path mode' header"
        fi
    done
}

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

# Checks a new file before anything is written: JSON syntax, engine guards, drop-in sanity.
check_file() {
    local new=$1 path=$2 major
    case "$path" in
        */daemon.json)
            grep -q '[^[:space:]]' "$new" || die "$path would be empty; dockerd refuses an empty config file"
            local facts
            if facts=$(file_facts "$new"); then
                ! grep -q '^invalid ' <<<"$facts" || die "$path is not a JSON object: $(sed -n 's/^invalid //p' <<<"$facts")"
            else
                say "note: $NO_FACTS; JSON syntax is checked by dockerd itself"
            fi
            check_host_needs "$new" "$path"
            check_devicemapper "$new" "$path"
            major=$(engine_major)
            if [ "$major" -ge 23 ]; then
                local out
                if ! out=$(dockerd --validate --config-file "$new" 2>&1); then
                    die "dockerd --validate rejected $path: $(printf '%s' "$out" | tail -1)"
                fi
            fi
            # live-restore is hot-reloadable, so a reload would accept it on a swarm node, and the
            # next restart (reboot, upgrade) would then fail: refuse it up front.
            if grep -Eq '"live-restore"[[:space:]]*:[[:space:]]*true' "$new" &&
                [ "$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)" = active ]; then
                die "live-restore is incompatible with swarm mode (dockerd would refuse to start at its next restart); this host is a swarm node"
            fi
            if grep -Eq '"storage-driver"[[:space:]]*:[[:space:]]*"devicemapper"' "$new" && [ "$major" -ge 25 ]; then
                die "storage-driver devicemapper was removed in Docker Engine 25 (this host runs $(engine_version)); use overlay2"
            fi
            ;;
        *.env)
            # systemd's environment-file syntax (KEY=value lines); the values are never printed
            case "${MODE_OF_NEW:-}" in *[1-7][0-7] | *[0-7][1-7]) die "$path holds credentials: its mode must give group and others nothing, got $MODE_OF_NEW" ;; esac
            local bad
            bad=$(awk '/^[ \t]*([#;]|$)/ { next } !/^[ \t]*[A-Za-z_][A-Za-z0-9_]*=/ { print NR; exit }' "$new")
            [ -z "$bad" ] || die "$path: line $bad is not KEY=value (content not shown: it may hold credentials)"
            ;;
        /etc/docker/certs.d/*)
            grep -q '^-----BEGIN CERTIFICATE-----' "$new" || die "$path is not a PEM certificate"
            ;;
        *.service.d/*.conf | *.service)
            local exe
            while read -r exe; do
                [ -x "$ROOT$exe" ] || die "$path: ExecStart binary $exe does not exist on this host"
            done < <(sed -n 's/^ExecStart=[-@+!]*\([^ ]\+\).*/\1/p' "$new")
            verify_dropin "$new" "$path"
            ;;
    esac
}

# An entry of a colon-separated database (passwd, group, subuid, subgid) whose first field is $2
# or, with $3, whose third field is $3. Under a test ROOT the files are read directly; on a real
# host getent also finds directory users (LDAP, sssd).
db_has() {
    local db=$1 name=$2 id=${3:-}
    if [ -z "$ROOT" ] && command -v getent >/dev/null 2>&1 && { [ "$db" = passwd ] || [ "$db" = group ]; }; then
        getent "$db" "$name" >/dev/null 2>&1 && return 0
        [ -n "$id" ] && getent "$db" "$id" >/dev/null 2>&1 && return 0
        return 1
    fi
    [ -f "$ROOT/etc/$db" ] || return 1
    awk -F: -v n="$name" -v i="$id" '$1 == n || (i != "" && $3 == i) { f = 1 } END { exit !f }' "$ROOT/etc/$db"
}

# A command name on the PATH dockerd runs with (or an absolute path), executable on this host.
host_exec() {
    local p=$1 d
    case "$p" in /*) [ -x "$ROOT$p" ] && [ ! -d "$ROOT$p" ]; return ;; esac
    if [ -z "$ROOT" ]; then command -v "$p" >/dev/null 2>&1; return; fi
    for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do [ -x "$ROOT$d/$p" ] && return 0; done
    return 1
}

# Checks that need the host (issue 12), before anything is written: dockerd would accept the file
# and then fail to start (or fail every container) on this host.
check_host_needs() {
    local new=$1 path=$2 needs kind a b user group uid db
    if ! needs=$(host_needs "$new"); then
        say "note: $NO_FACTS; the userns-remap, runtimes, cgroup-driver and TLS file host checks are skipped"
        return 0
    fi
    while read -r kind a b; do
        case "$kind" in
            userns)
                user=${a%%:*}; group=""; [ "$a" = "$user" ] || group=${a#*:}
                if [ "$user" = default ]; then
                    # dockerd creates the dockremap user (and its subordinate ranges) itself
                    db_has passwd dockremap || host_exec useradd || host_exec adduser ||
                        die "$path: userns-remap default needs the dockremap user, or useradd/adduser for dockerd to create it; neither is on this host"
                    continue
                fi
                db_has passwd "$user" "$user" || die "$path: userns-remap user '$user' does not exist on this host (dockerd would refuse to start)"
                [ -z "$group" ] || db_has group "$group" "$group" || die "$path: userns-remap group '$group' does not exist on this host (dockerd would refuse to start)"
                uid=$(awk -F: -v n="$user" '$1 == n { print $3; exit }' "$ROOT/etc/passwd" 2>/dev/null || true)
                [ -n "$uid" ] || uid=$(getent passwd "$user" 2>/dev/null | cut -d: -f3 || true)
                for db in subuid subgid; do
                    db_has "$db" "$user" || { [ -n "$uid" ] && db_has "$db" "$uid"; } ||
                        die "$path: userns-remap user '$user' has no range in /etc/$db (dockerd would refuse to start: no subordinate ids to map)"
                done
                ;;
            runtime)
                host_exec "$b" || die "$path: runtimes.$a: binary '$b' is not an executable on this host$(case "$b" in /*) ;; *) echo "'s PATH" ;; esac) (containers using it would fail)"
                ;;
            shim)
                # containerd runs io.containerd.NAME.vN as the binary containerd-shim-NAME-vN
                local shim=$b
                case "$b" in
                    /*) ;;
                    io.containerd.*.v[0-9]*) shim=${b#io.containerd.}; shim="containerd-shim-${shim%.*}-${shim##*.}" ;;
                    *) continue ;;
                esac
                host_exec "$shim" || die "$path: runtimes.$a: runtimeType $b needs the shim '$shim', which is not an executable on this host (containers using it would fail)"
                ;;
            tlsfile)
                # dockerd refuses to start without them; the TCP API's TLS is checked before it is written
                [ -f "$ROOT$b" ] || die "$path: $a $b does not exist on this host (dockerd would refuse to start); put the CA, certificate and key there first"
                if [ "$a" = tlskey ] && [ $((8#$(stat -c %a "$ROOT$b") & 8#077)) != 0 ]; then
                    die "$path: tlskey $b can be read by users other than its owner (mode $(stat -c %a "$ROOT$b")); chmod 0400 it (CIS Docker 3.14)"
                fi
                ;;
            cgroupdriver)
                case "$a" in
                    systemd) [ -d "$ROOT/run/systemd/system" ] || die "$path: exec-opts native.cgroupdriver=systemd, but systemd is not this host's init (no /run/systemd/system); dockerd would refuse to start" ;;
                    cgroupfs)
                        if [ -f "$ROOT/sys/fs/cgroup/cgroup.controllers" ] && [ -d "$ROOT/run/systemd/system" ]; then
                            say "note: $path sets native.cgroupdriver=cgroupfs on a cgroup v2 host run by systemd; Docker recommends the systemd driver there"
                        fi ;;
                esac
                ;;
        esac
    done <<<"$needs"
    # dockerd keeps a remapped daemon's state in <data-root>/UID.GID: switching userns-remap on or
    # off moves a swarm node to another state directory, and it leaves the swarm (seen on the sandbox).
    if [ "$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)" = active ]; then
        local want_remap=0 have_remap=0
        # here-strings, not `printf | grep -q`: under pipefail a grep that matches early and exits
        # fails the writer with SIGPIPE, and the pipeline with it (seen in CI, swarm-serve-wait.sh)
        if grep -q '^userns ' <<<"$needs"; then want_remap=1; fi
        if grep -q 'name=userns' <<<"$(docker info --format '{{json .SecurityOptions}}' 2>/dev/null || true)"; then have_remap=1; fi
        if [ "$want_remap" != "$have_remap" ]; then
            die "$path: $([ "$want_remap" = 1 ] && echo enabling || echo disabling) userns-remap on a swarm node: dockerd would keep its state in another directory ($([ "$want_remap" = 1 ] && echo '<data-root>/UID.GID' || echo '<data-root>')) and this node would leave the swarm, its images and volumes out of sight; take the node out of the swarm first"
        fi
    fi
}

# devicemapper direct-lvm (issue 11): dockerd ties the pool's settings to <data-root>/devicemapper.
# Once a pool exists it refuses to start with other direct-lvm values ("changing direct-lvm config
# is not supported"), and a config that no longer names a storage driver makes it pick the
# devicemapper state up again (without the pool settings) or refuse ("contains several valid
# graphdrivers"). Both are refused here, before anything is written.
check_devicemapper() {
    local new=$1 path=$2 cur=$ROOT$2 c n cdrv croot clvm ndrv nroot nlvm
    [ -f "$cur" ] || return 0
    c=$(dm_settings "$cur") || return 0 # unreadable current file: dockerd runs without it anyway
    IFS='|' read -r cdrv croot clvm <<<"$c"
    [ "$cdrv" = devicemapper ] && [ -d "$ROOT$croot/devicemapper" ] || return 0
    if ! n=$(dm_settings "$new"); then
        say "note: $NO_FACTS; the devicemapper direct-lvm check is skipped"
        return 0
    fi
    IFS='|' read -r ndrv nroot nlvm <<<"$n"
    [ "$nroot" = "$croot" ] || return 0 # another data-root: dockerd starts from that directory's state
    if [ "$ndrv" = devicemapper ] && [ -n "$clvm" ] && [ "$nlvm" != "$clvm" ]; then
        die "$path: changes the direct-lvm settings of this host's devicemapper thin pool ($clvm -> ${nlvm:-no direct-lvm}); dockerd cannot change direct-lvm settings of an existing pool (it would refuse to start: changing direct-lvm config is not supported). A migration takes either moving the host off devicemapper (storage-driver overlay2, then remove the pool: vgremove docker, pvremove the device, rm -r $croot/devicemapper) or a new empty device with the old pool and $croot/devicemapper removed first; images and containers in the pool are lost either way"
    fi
    if [ -z "$ndrv" ]; then
        die "$path: no longer sets storage-driver devicemapper but names no other storage driver, while $croot/devicemapper exists: dockerd would start devicemapper again without the direct-lvm settings, or refuse (contains several valid graphdrivers); set the storage driver explicitly (storageDriver overlay2 to move off devicemapper)"
    fi
}

# systemd-analyze verify of the unit with its drop-ins as they would be (catches e.g. a second
# ExecStart= without the reset line, which systemd refuses at restart).
verify_dropin() {
    local new=$1 path=$2 unit dir tmp out rc
    [ -z "$ROOT" ] && command -v systemd-analyze >/dev/null 2>&1 || return 0
    unit=$(basename "$(dirname "$path")" .d)
    local frag
    frag=$(systemctl show -p FragmentPath --value "$unit" 2>/dev/null || true)
    [ -n "$frag" ] && [ -f "$frag" ] || return 0
    tmp=$(mktemp -d)
    dir=$tmp/$unit.d
    mkdir -p "$dir"
    cp "$frag" "$tmp/$unit"
    for f in "$(dirname "$path")"/*.conf; do cp "$f" "$dir/"; done
    cp "$new" "$dir/$(basename "$path")"
    rc=0
    out=$(cd "$tmp" && systemd-analyze verify --man=no "$tmp/$unit" 2>&1) || rc=$?
    rm -rf "$tmp"
    if [ "$rc" != 0 ] || grep -q 'more than one ExecStart' <<<"$out"; then
        local why
        why=$(grep -m1 -E 'ExecStart|bad-setting|Invalid|Unknown' <<<"$out" || true)
        [ -n "$why" ] || why=$(awk 'NF { l = $0 } END { print l }' <<<"$out")
        die "$path: systemd-analyze verify rejects $unit with this drop-in: $why"
    fi
}

engine_version() { dockerd --version 2>/dev/null | sed -n 's/^Docker version \([0-9][0-9.]*\).*/\1/p'; }
engine_major() { local v; v=$(engine_version); echo "${v%%.*}" | grep -E '^[0-9]+$' || echo 0; }

# Temp file beside a target (same directory, so the rename is atomic).
tmp_of() { printf '%s/.%s.dockfleet-tmp' "$(dirname "$1")" "$(basename "$1")"; }

# " (the file system at MOUNT is full: N KiB free)" when ERR is ENOSPC for PATH's directory: the
# operator is told which file system to clear, not only which file failed.
full_fs_note() {
    local err=$1 dir=$2 fs
    case "$err" in *"No space left on device"*) ;; *) return 0 ;; esac
    while [ ! -d "$dir" ] && [ "$dir" != / ]; do dir=$(dirname "$dir"); done
    fs=$(df -Pk "$dir" 2>/dev/null | awk 'NR == 2 {print $6 " is full: " $4 " KiB free"}') || fs=""
    [ -z "$fs" ] || printf ' (the file system at %s)' "$fs"
}

# Phase 1 of installing DIR's set: every new file written as a temp file beside its target (and a
# probe in the directory of a file to remove). A read-only or full directory fails here, before
# any target changed. On failure: the temp files are removed, INSTALL_ERR names the path, return 1.
stage_set() {
    local dir=$1 k mode path dst tmp err
    INSTALL_ERR=""
    while read -r k mode path; do
        dst=$ROOT$path
        tmp=$(tmp_of "$dst")
        if [ "$mode" = absent ]; then
            [ -e "$dst" ] || continue
            err=$({ : >"$tmp" && rm -f "$tmp"; } 2>&1) && continue
            INSTALL_ERR="cannot remove $path: ${err##*: }"
        else
            # a target directory created here gets the usual 0755 (dockfleet's umask is for its own files)
            if err=$({ (umask 022 && mkdir -p "$(dirname "$dst")") && cp "$dir/$k" "$tmp" && chmod "$mode" "$tmp"; } 2>&1); then
                sync "$tmp" 2>/dev/null || true
                continue
            fi
            INSTALL_ERR="cannot write $path: ${err##*: }$(full_fs_note "$err" "$(dirname "$dst")")"
        fi
        rm -f "$tmp" 2>/dev/null || true
        unstage_set "$dir"
        return 1
    done <"$dir/manifest"
}

unstage_set() {
    local k mode path
    while read -r k mode path; do rm -f "$(tmp_of "$ROOT$path")" 2>/dev/null || true; done <"$1/manifest"
}

# Phase 2: the renames (and removals). Returns 1 with INSTALL_ERR naming the path on failure.
commit_set() {
    local dir=$1 k mode path dst err
    while read -r k mode path; do
        dst=$ROOT$path
        if [ "$mode" = absent ]; then
            err=$(rm -f "$dst" 2>&1) || { INSTALL_ERR="cannot remove $path: ${err##*: }"; return 1; }
        else
            err=$(mv -f "$(tmp_of "$dst")" "$dst" 2>&1) || { INSTALL_ERR="cannot replace $path: ${err##*: }"; return 1; }
        fi
    done <"$dir/manifest"
}

install_set() { stage_set "$1" && commit_set "$1"; }

# Copies the current on-host version of every path in MANIFEST into DIR (absent => no file).
snapshot() {
    local manifest=$1 dir=$2 k mode path
    mkdir -p "$dir"
    : >"$dir/manifest.new"
    while read -r k mode path; do
        if [ -e "$ROOT$path" ]; then
            cp -p "$ROOT$path" "$dir/$k"
            printf '%s %s %s\n' "$k" "$(stat -c %a "$ROOT$path")" "$path" >>"$dir/manifest.new"
        else
            rm -f "$dir/$k"
            printf '%s absent %s\n' "$k" "$path" >>"$dir/manifest.new"
        fi
    done <"$manifest"
    # keep entries for paths already in DIR that this manifest does not mention
    if [ -f "$dir/manifest" ]; then
        while read -r k mode path; do
            grep -q " $path\$" "$dir/manifest.new" || printf '%s %s %s\n' "$k" "$mode" "$path" >>"$dir/manifest.new"
        done <"$dir/manifest"
    fi
    mv -f "$dir/manifest.new" "$dir/manifest"
}

docker_up() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# Waits until the API answers and, if the node was in a swarm, until it is active (and Ready
# when this node is a manager and can see itself). Sets HEALTH_DEADLINE (restart timeout from
# now), which wait_tasks shares: the whole health check stays within the restart timeout.
wait_up() {
    local swarm_before=$1 state ready
    HEALTH_DEADLINE=$(($(date +%s) + RESTART_TIMEOUT))
    until docker_up; do
        [ "$(date +%s)" -lt "$HEALTH_DEADLINE" ] || {
            FAIL_STEP="wait for the Docker API"
            FAIL_LINE="docker.service is $(systemctl is-active docker.service 2>/dev/null || echo unknown); $(docker version --format '{{.Server.Version}}' 2>&1 | tail -1)"
            return 1
        }
        sleep 0.5
    done
    if [ "$swarm_before" = active ]; then
        while :; do
            state=$(docker info --format '{{.Swarm.LocalNodeState}}/{{.Swarm.ControlAvailable}}' 2>/dev/null || true)
            if [ "${state%/*}" = locked ]; then unlock_manager || return 1; continue; fi
            if [ "${state%/*}" = active ]; then
                [ "${state#*/}" = true ] || break # a worker cannot inspect itself; active means it has a manager session
                ready=$(docker node inspect self --format '{{.Status.State}}' 2>/dev/null || true)
                [ "$ready" = ready ] && break
            fi
            [ "$(date +%s)" -lt "$HEALTH_DEADLINE" ] || { FAIL_STEP="wait for the swarm node to be Ready (state: ${state:-unknown})"; return 1; }
            sleep 0.5
        done
    fi
    return 0
}

# Swarm autolock (issue 28): a restarted manager comes back locked. `docker swarm unlock` reads
# the key from stdin (printf is a builtin: the key is in no process's argument list).
unlock_manager() {
    local out
    FAIL_STEP="unlock the swarm manager"
    [ -n "$UNLOCK_KEY" ] || { FAIL_LINE="this manager is locked (swarm autolock) and no unlock key was given (dockfleet:swarmUnlockKey)"; return 1; }
    out=$(printf '%s\n' "$UNLOCK_KEY" | timeout "$RESTART_TIMEOUT" docker swarm unlock 2>&1) || { FAIL_LINE="docker swarm unlock: $(printf '%s' "$out" | tail -1)"; return 1; }
    FAIL_STEP=""
    log "swarm manager unlocked"
}

# Before a manager of an autolocked swarm restarts: the key given must be the swarm's, or the
# manager would stay locked. Nothing has been written yet.
check_unlock_key() {
    [ "$1" = active ] && [ "$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = true ] || return 0
    [ "$(docker info --format '{{.Swarm.Cluster.Spec.EncryptionConfig.AutoLockManagers}}' 2>/dev/null)" = true ] || return 0
    [ -n "$UNLOCK_KEY" ] || die "the swarm is autolocked and no unlock key was given: this manager would stay locked after the restart; set dockfleet:swarm.autolock: true and the secret dockfleet:swarmUnlockKey; nothing changed"
    local have
    have=$(docker swarm unlock-key -q 2>/dev/null) || die "could not read the swarm's unlock key to check the one given; nothing changed"
    [ "$have" = "$UNLOCK_KEY" ] || die "the unlock key given (dockfleet:swarmUnlockKey) is not this swarm's (rotated with docker swarm unlock-key --rotate?); store the current one: docker swarm unlock-key -q | pulumi config set --secret dockfleet:swarmUnlockKey; nothing changed"
}

# Before a manager restarts (issue 30): the other managers must keep raft quorum while it is down.
# A manager already lost (dockerd stopped, cut off) makes this restart the one that stops the
# swarm's control plane (no scheduling, no leader, every manager's API refusing node and service
# calls): refuse, naming the lost ones; nothing has been written yet. A swarm of 1 or 2 managers
# cannot keep quorum through any manager's restart: only a manager already lost counts. No answer
# (no leader now) is left to the restart: it cannot lose what is already lost.
check_quorum() {
    [ "$1" = active ] && [ "$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = true ] || return 0
    local mgrs total up lost need deadline=$(($(date +%s) + (RESTART_TIMEOUT < 30 ? RESTART_TIMEOUT : 30)))
    while :; do
        mgrs=$(timeout 10 docker node ls --filter role=manager --format '{{.Hostname}} {{.ManagerStatus}}' 2>/dev/null) || {
            log "raft quorum not checked: docker node ls did not answer (no leader now)"
            return 0
        }
        total=$(awk 'NF { n++ } END { print n + 0 }' <<<"$mgrs")
        up=$(awk '$2 == "Leader" || $2 == "Reachable" { n++ } END { print n + 0 }' <<<"$mgrs")
        lost=$(awk 'NF && $2 != "Leader" && $2 != "Reachable" { printf "%s%s (%s)", sep, $1, ($2 == "" ? "unknown" : tolower($2)); sep = ", " }' <<<"$mgrs")
        need=$((total / 2 + 1))
        # A manager with no status yet (just promoted, or after an election) is not lost: asked
        # again for a while; an Unreachable one is decided at once.
        if [ -n "$lost" ] && [ $((up - 1)) -lt "$need" ] && ! grep -q 'Unreachable' <<<"$mgrs" && [ "$(date +%s)" -lt "$deadline" ]; then
            sleep 1
            continue
        fi
        break
    done
    if [ -n "$lost" ] && [ $((up - 1)) -lt "$need" ]; then
        die "restarting this manager would lose the swarm's raft quorum: $((up - 1)) of $total managers reachable while it restarts, $need needed; managers lost: $lost; bring them back (or remove them from the swarm) and run pulumi up again; nothing changed"
    fi
}

# Runs alongside the smoke container (serve_checks): a setting that starts dockerd but breaks
# containers fails the smoke run within seconds, and its error ends this wait at once (issue 12).
wait_tasks() {
    # The next batch may only start once this node serves again: as many swarm task containers
    # running and healthy as were running and not unhealthy before it. On a manager, which can ask
    # the swarm, only tasks the swarm wants here count, and the target is capped per check by the
    # tasks it wants here (desired running or ready: a replacement task waits in "ready" while
    # its predecessor shuts down), since services may be removed meanwhile. The cap is never
    # kept: lowering it for good on a replacement's transient state let the next batch start
    # while this node's task was still starting (issue 3). Right after a restart the agent may
    # bring back an old task's container that the manager then replaces, so the count must also
    # hold for STABLE_CHECKS consecutive checks. On a manager a task counts only once the swarm
    # itself reports it Running (a healthchecked task is Running only when healthy) in a report
    # made since the restart began (RESTART_AT; a report from before the restart says nothing about
    # the task now): that confirmation makes 2 checks a second apart enough there. A manager also
    # waits until each service that had a task here runs min(its count before, desired now) tasks
    # anywhere (services_short): the swarm may restart this node's task on another node. A worker,
    # whose count has no such confirmation, keeps 4 checks 2 s apart.
    local want=${TASKS_BEFORE:-0} target wanted n have short="" manager stable=0 poll checks deadline=${HEALTH_DEADLINE:-$(($(date +%s) + RESTART_TIMEOUT))}
    manager=$(docker info --format '{{.Swarm.ControlAvailable}}' 2>/dev/null || echo false)
    # A worker's count cannot tell a task the swarm restarted elsewhere (a replacement may land on
    # any node with room: 60 s lost per such host on 1 manager + 5 workers) from one still coming:
    # when a manager watches this worker (--task-wait manager), the manager's serve-wait decides.
    if [ "$manager" != true ] && [ "$TASK_WAIT" = manager ] && [ "$want" -gt 0 ]; then
        log "swarm tasks: a manager waits for this worker's tasks and services (serve-wait)"
        return 0
    fi
    poll=${TASK_POLL_SECONDS:-$([ "$manager" = true ] && echo 1 || echo 2)}
    checks=${STABLE_CHECKS:-$([ "$manager" = true ] && echo 2 || echo 4)}
    while [ "$want" -gt 0 ]; do
        target=$want
        if [ "$manager" = true ]; then
            wanted=$(wanted_tasks)
            n=$(printf '%s' "$wanted" | grep -c . || true)
            [ "$n" -lt "$target" ] && target=$n
            have=$(ready_tasks after "$(fresh_running "$wanted")")
            # a task the swarm restarted on another node counts there, once its service is whole
            short=$(services_short | tr '\n' ' ')
        else
            have=$(ready_tasks after)
        fi
        if [ "$have" -ge "$target" ] && [ -z "$short" ]; then
            stable=$((stable + 1))
            if [ "$stable" -ge "$checks" ]; then
                say "swarm tasks back: $have running and healthy (before the restart: $want)"
                break
            fi
        else
            stable=0
        fi
        smoke_failed && return 1
        if [ "$(date +%s)" -ge "$deadline" ]; then
            if [ "$manager" = true ]; then
                FAIL_STEP="wait for this node's swarm tasks ($have of $target running and healthy${short:+; below their count before the restart: ${short% }})"
                return 1
            fi
            say "warning: $have of $target swarm tasks running and healthy on this worker after ${RESTART_TIMEOUT}s; continuing"
            break
        fi
        sleep "$poll"
    done
    return 0
}

# "NAME RUNNING DESIRED" per swarm service (manager only). Replicas reads "2/3" or "2/3 (max 1 per node)".
service_counts() {
    docker service ls --format '{{.Name}} {{.Replicas}}' 2>/dev/null | awk '{ split($2, r, "/"); print $1, r[1] + 0, r[2] + 0 }'
}

# "NAME RUNNING" for each service with a task running on this node (manager only, before the
# restart): the services this restart may take a task from. A task is named SERVICE.SLOT or
# SERVICE.NODEID; service names have no dots.
services_here_before() {
    local here
    here=$(docker node ps self --filter desired-state=running --format '{{.Name}} {{.CurrentState}}' 2>/dev/null |
        awk '$2 == "Running" { n = $1; sub(/\.[^.]*$/, "", n); print n }' | sort -u)
    [ -n "$here" ] || return 0
    service_counts | awk -v here="$here" 'BEGIN { n = split(here, a, "\n"); for (i = 1; i <= n; i++) h[a[i]] = 1 } ($1 in h) { print $1, $2 }'
}

# The services of SERVICES_BEFORE running fewer tasks than min(before, desired now), one per line
# ("?" when the swarm does not answer: no leader yet). A replacement the swarm started on another
# node serves there: the next batch may go once it runs, wherever it runs.
services_short() {
    [ -n "${SERVICES_BEFORE:-}" ] || return 0
    local counts
    counts=$(service_counts)
    [ -n "$counts" ] || { echo "?"; return 0; }
    printf '%s\n' "$counts" | awk -v before="$SERVICES_BEFORE" '
        BEGIN { n = split(before, a, "\n"); for (i = 1; i <= n; i++) { split(a[i], f, " "); b[f[1]] = f[2] } }
        ($1 in b) { floor = b[$1] < $3 ? b[$1] : $3; if ($2 < floor) print $1 }'
}

# Tasks the swarm wants on this node (manager only): "<task id> <desired state> <current state>"
# per line, the current state as the swarm reports it ("Running 3 seconds ago", "Starting ...").
wanted_tasks() {
    docker node ps self --no-trunc --filter desired-state=running --filter desired-state=ready \
        --format '{{.ID}} {{.DesiredState}} {{.CurrentState}}' 2>/dev/null || true
}

# The lines of wanted_tasks output ($1) whose task the swarm reports Running in a report made at
# or after RESTART_AT (epoch seconds; unset or 0: every Running task, as after a reload, which
# restarts no task). The report's time is the task's status timestamp (`docker inspect --type task`).
fresh_running() {
    local running ids
    running=$(printf '%s\n' "$1" | awk '$3 == "Running"')
    [ -n "$running" ] || return 0
    if [ "${RESTART_AT:-0}" = 0 ]; then printf '%s\n' "$running"; return 0; fi
    # shellcheck disable=SC2046 # one argument per task id
    ids=$(docker inspect --type task --format '{{.ID}} {{.Status.Timestamp.Unix}}' $(printf '%s\n' "$running" | awk '{ print $1 }') 2>/dev/null |
        awk -v since="$RESTART_AT" '$2 >= since { print $1 }')
    printf '%s\n' "$running" | awk -v ids="$ids" 'BEGIN { n = split(ids, a, "\n"); for (i = 1; i <= n; i++) ok[a[i]] = 1 } ok[$1]'
}

# Running swarm task containers whose healthcheck (if any) passes. $1 = before: tasks whose
# healthcheck is still starting count too (they were coming up before the restart and must be back,
# healthy, after it). With $2 (a manager's wanted_tasks output, possibly empty) only the tasks the
# swarm wants running on this node count; without it (a worker cannot ask) every task container.
ready_tasks() {
    local when=$1 filter=0 wanted="" id status n=0
    if [ "$#" -ge 2 ]; then
        filter=1
        wanted=$(printf '%s\n' "$2" | awk '$2 == "Running" { print $1 }')
    fi
    while read -r id status; do
        [ -n "$id" ] || continue
        case "$status" in
            *"(unhealthy)"*) continue ;;
            *"(health: starting)"*) [ "$when" = before ] || continue ;;
        esac
        if [ "$filter" = 1 ] && ! grep -qx "$id" <<<"$wanted"; then continue; fi
        n=$((n + 1))
    done < <(docker ps --filter label=com.docker.swarm.task.id --format '{{.Label "com.docker.swarm.task.id"}} {{.Status}}' 2>/dev/null)
    echo "$n"
}

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

# The timer guard (guard.sh) is transient: a reboot or a power cut between writing the files and
# verifying them drops it, and the host boots on files nothing verified. No apply survives a
# reboot, so an `in-progress` record at boot means one was cut off: the files go back to the last
# known-good set before dockerd first reads them. Otherwise the unit's condition skips it.
BOOT_GUARD_UNIT=dockfleet-boot-guard.service

render_boot_guard_unit() {
    cat <<UNIT
# Written by dockfleet's apply (apply-docker-config.sh): restores the last known-good Docker files
# when the host boots with an apply a reboot cut off. Does nothing otherwise.
[Unit]
Description=dockfleet: restore the known-good Docker files after an apply a reboot cut off
DefaultDependencies=no
Requires=local-fs.target
After=local-fs.target
Before=containerd.service docker.socket docker.service sysinit.target shutdown.target
Conflicts=shutdown.target
ConditionPathExists=/var/lib/dockfleet/daemon-config/in-progress

[Service]
Type=oneshot
ExecStart=/bin/bash /var/lib/dockfleet/daemon-config/apply-docker-config.sh boot-recover --host $HOST

[Install]
WantedBy=sysinit.target
UNIT
}

# Written and enabled by every apply, before it writes anything; a no-op when already in place.
install_boot_guard() {
    local unit=$ROOT/etc/systemd/system/$BOOT_GUARD_UNIT want
    [ "$USE_SYSTEMD" = 1 ] || return 0
    want=$(render_boot_guard_unit)
    mkdir -p "$(dirname "$unit")" 2>/dev/null || true
    if [ "$(cat "$unit" 2>/dev/null)" != "$want" ]; then
        if ! { printf '%s\n' "$want" >"$unit.tmp" && chmod 0644 "$unit.tmp" && mv -f "$unit.tmp" "$unit"; } 2>/dev/null; then
            rm -f "$unit.tmp"
            say "warning: could not write $unit: an apply a reboot cuts off is not rolled back at boot"
            return 0
        fi
        systemctl daemon-reload >/dev/null 2>&1 || true
    fi
    [ -e "$ROOT/etc/systemd/system/sysinit.target.wants/$BOOT_GUARD_UNIT" ] ||
        systemctl enable --quiet "$BOOT_GUARD_UNIT" >/dev/null 2>&1 ||
        say "warning: could not enable $BOOT_GUARD_UNIT: an apply a reboot cuts off is not rolled back at boot"
}

# When dockfleet no longer manages the host's files (restore, forget).
remove_boot_guard() {
    [ "$USE_SYSTEMD" = 1 ] || return 0
    [ -e "$ROOT/etc/systemd/system/$BOOT_GUARD_UNIT" ] || return 0
    systemctl disable --quiet "$BOOT_GUARD_UNIT" >/dev/null 2>&1 || true
    rm -f "$ROOT/etc/systemd/system/$BOOT_GUARD_UNIT"
    systemctl daemon-reload >/dev/null 2>&1 || true
}

# At boot, before containerd and dockerd: files only (nothing to stop; starting dockerd here would
# wait for this very unit). systemd read the units before this ran: a drop-in put back needs its
# daemon-reload before docker.service starts.
boot_recover() {
    [ -f "$STATE/in-progress" ] || return 0
    say "boot: an apply was cut off by a reboot or power loss (its in-progress record is here): restoring the last known-good files before dockerd starts"
    if ! install_set "$STATE/last-good"; then
        say "CRITICAL on host $HOST: boot: could not restore the known-good files ($INSTALL_ERR); dockerd starts on the files the cut-off apply left"
        return 1
    fi
    set_aside_new_graph_state
    systemctl daemon-reload >/dev/null 2>&1 || true
    rm -f "$STATE/in-progress" "$STATE/dependents" "$STATE/reload-digest"
    say "boot: recovered: last known-good files restored; the next pulumi up applies the change again"
}

unit_state() { systemctl is-active "$1" 2>/dev/null || true; }

# Units that need docker.service (a ContainerUnit has Requires=docker.service): stopping
# docker.service stops them too, and starting it again does not bring them back. The active ones
# are noted before the first stop (in $STATE/dependents, so `recover` knows them too) and started
# again once dockerd is up, after the new config and after a rollback alike.
note_dependents() {
    [ "$USE_SYSTEMD" = 1 ] || return 0
    local u out=""
    for u in $(systemctl show -p RequiredBy -p BoundBy --value docker.service 2>/dev/null | tr ' ' '\n' | sort -u); do
        case "$(unit_state "$u")" in active | activating | reloading) out+="$u"$'\n' ;; esac
    done
    printf '%s' "$out" >"$STATE/dependents"
}

start_dependents() {
    [ "$USE_SYSTEMD" = 1 ] && [ -s "$STATE/dependents" ] || return 0
    local u started=() failed=()
    while read -r u; do
        [ -n "$u" ] || continue
        case "$(unit_state "$u")" in active | activating | reloading) continue ;; esac
        systemctl reset-failed "$u" >/dev/null 2>&1 || true
        if timeout "$RESTART_TIMEOUT" systemctl start "$u" >/dev/null 2>&1 </dev/null; then started+=("$u"); else failed+=("$u"); fi
    done <"$STATE/dependents"
    [ "${#started[@]}" = 0 ] || say "started again what needs docker.service: ${started[*]}"
    [ "${#failed[@]}" = 0 ] || say "warning: did not start again: ${failed[*]} (it needs docker.service; see systemctl status ${failed[0]})"
    return 0
}

# Stops docker.service before the rollback starts it, however dockerd ended up: a bad config can
# leave it `deactivating` for minutes (issue 12: a rollback that gave up after 129 s while systemd
# was still stopping it). Waits up to the restart timeout, then SIGKILLs the unit's processes and
# waits (30 s) for inactive/failed. Returns 1 with FAIL_LINE when even that does not stop it.
stop_dockerd() {
    local deadline state
    deadline=$(($(date +%s) + RESTART_TIMEOUT))
    systemctl stop --no-block docker.service >/dev/null 2>&1 </dev/null || true
    while :; do
        state=$(unit_state docker.service)
        case "$state" in inactive | failed | unknown | "") return 0 ;; esac
        [ "$(date +%s)" -lt "$deadline" ] || break
        sleep 0.5
    done
    say "docker.service still $state after ${RESTART_TIMEOUT}s; sending SIGKILL"
    systemctl kill --signal=SIGKILL docker.service >/dev/null 2>&1 </dev/null || true
    deadline=$(($(date +%s) + 30))
    while :; do
        state=$(unit_state docker.service)
        case "$state" in inactive | failed | unknown | "") return 0 ;; esac
        [ "$(date +%s)" -lt "$deadline" ] || { FAIL_LINE="docker.service still $state 30s after SIGKILL"; return 1; }
        sleep 0.5
    done
}

# dockerd needs containerd (the unit passes --containerd): start it when it went down meanwhile.
ensure_containerd() {
    local state
    systemctl cat containerd.service >/dev/null 2>&1 || return 0
    state=$(unit_state containerd.service)
    [ "$state" = active ] && return 0
    say "containerd.service is ${state:-unknown}; starting it first"
    systemctl reset-failed containerd.service >/dev/null 2>&1 || true
    timeout "$RESTART_TIMEOUT" systemctl start containerd.service >/dev/null 2>&1 </dev/null ||
        say "warning: containerd.service did not start ($(unit_state containerd.service))"
}

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

# systemd's word rule for Environment= (extract_first_word with EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE,
# then %% -> %): words(v) fills W[1..n] and returns n; at invalid syntax (an unknown escape, a
# trailing backslash, an unbalanced quote) systemd ignores the rest of the line, so the words
# before it are all. Run with LC_ALL=C: escapes are bytes. The same rule as systemdWords in
# dropin-parse.ts; both are held to the vectors in systemd-words.json.
# shellcheck disable=SC2016 # awk source, not shell
SYSTEMD_WORDS_AWK='
    function hexval(s,   i, n, d) {
        n = 0
        for (i = 1; i <= length(s); i++) { d = index("0123456789abcdef", tolower(substr(s, i, 1))); if (d == 0) return -1; n = n * 16 + d - 1 }
        return n
    }
    function utf8(n) {
        if (n < 128) return sprintf("%c", n)
        if (n < 2048) return sprintf("%c%c", 192 + int(n / 64), 128 + n % 64)
        if (n < 65536) return sprintf("%c%c%c", 224 + int(n / 4096), 128 + int(n / 64) % 64, 128 + n % 64)
        return sprintf("%c%c%c%c", 240 + int(n / 262144), 128 + int(n / 4096) % 64, 128 + int(n / 64) % 64, 128 + n % 64)
    }
    function unichar_ok(n) {
        return n < 1114112 && !(n >= 55296 && n < 57344) && !(n >= 64976 && n <= 65007) && n % 65536 < 65534
    }
    # the escape at v[i] (after the backslash): its bytes in UB, its length returned; 0: invalid
    function unescape1(v, i,   c, k, n, p) {
        c = substr(v, i, 1)
        p = index("abfnrtv\\\"\047s", c)
        if (p > 0) { UB = substr("\007\010\014\n\r\t\013\\\"\047 ", p, 1); return 1 }
        if (c == "x" || c == "u" || c == "U") {
            k = c == "x" ? 2 : c == "u" ? 4 : 8
            if (length(substr(v, i + 1, k)) < k) return 0
            n = hexval(substr(v, i + 1, k))
            if (n <= 0) return 0
            if (c == "x") { UB = sprintf("%c", n); return 3 }
            if (!unichar_ok(n)) return 0
            UB = utf8(n); return 1 + k
        }
        if (substr(v, i, 3) ~ /^[0-7][0-7][0-7]$/) {
            n = substr(v, i, 1) * 64 + substr(v, i + 1, 1) * 8 + substr(v, i + 2, 1)
            if (n == 0 || n > 255) return 0
            UB = sprintf("%c", n); return 3
        }
        return 0
    }
    function words(v,   i, c, w, q, n, k, ws) {
        n = 0; i = 1; ws = " \t\n\r"
        for (;;) {
            while (i <= length(v) && index(ws, substr(v, i, 1))) i++
            if (i > length(v)) return n
            w = ""; q = ""
            while (i <= length(v) && (q != "" || !index(ws, substr(v, i, 1)))) {
                c = substr(v, i, 1)
                if (c == "\\") {
                    k = i < length(v) ? unescape1(v, i + 1) : 0
                    if (k == 0) return n
                    w = w UB; i += 1 + k; continue
                }
                i++
                if (q != "" && c == q) q = ""
                else if (q == "" && (c == "\"" || c == "\047")) q = c
                else w = w c
            }
            if (q != "") return n
            gsub(/%%/, "%", w); W[++n] = w
        }
    }
'

# Canonical unit drop-in: comments and blank lines dropped, `key=value` trimmed in order, and
# Environment= unquoted (systemd word rules, %% → %) into one sorted `KEY=value` per variable (the
# last assignment wins; an empty Environment= resets), NO_PROXY entries sorted. An EnvironmentFile=
# is replaced by the variables of the file (systemd's env-file syntax; they override Environment=,
# as in systemd), read from $2 (the wanted set's directory) when the set has that path, else from
# the host: a drop-in with the variables inline and one naming a file with the same variables have
# the same settings (a host applied before the root-only env file, or adopted, restarts nothing).
unit_canon() {
    local out envmap="" f k mode p path_
    while read -r f; do
        [ -n "$f" ] || continue
        p=$ROOT$f
        if [ -n "${2:-}" ]; then
            while read -r k mode path_; do
                [ "$path_" = "$f" ] || continue
                if [ "$mode" = absent ]; then p=/nonexistent; else p=$2/$k; fi
            done <"$2/manifest"
        fi
        envmap+="$f"$'\t'"$p"$'\n'
    done < <(sed -n 's/^[[:space:]]*EnvironmentFile[[:space:]]*=[[:space:]]*-\{0,1\}\([^[:space:]]*\).*/\1/p' "$1")
    out=$(LC_ALL=C awk -v envmap="$envmap" "$SYSTEMD_WORDS_AWK"'
        function flush_env(sec,   k) { for (k in env) if (index(k, sec SUBSEP) == 1) delete env[k] }
        function sortcsv(v,   n, a, i, j, t, o) {
            n = split(v, a, ","); for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j > 0 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
            o = ""; for (i = 1; i <= n; i++) if (a[i] != "") o = o (o == "" ? "" : ",") a[i]; return o
        }
        # one value of an environment file (systemd env-file.c): quotes, backslash escapes
        function envval(v,   i, c, o, q, blank) {
            o = ""; q = ""; blank = ""
            for (i = 1; i <= length(v); i++) {
                c = substr(v, i, 1)
                if (q == "\047") { if (c == q) q = ""; else o = o c; continue }
                if (q == "\"") {
                    if (c == q) q = ""
                    else if (c == "\\" && i < length(v)) { i++; c = substr(v, i, 1); o = o (index("\"\\`$", c) ? "" : "\\") c }
                    else o = o c
                    continue
                }
                if (c == "\047" || c == "\"") { o = o blank; blank = ""; q = c; continue }
                if (c == " " || c == "\t") { blank = blank c; continue }
                o = o blank; blank = ""
                if (c == "\\" && i < length(v)) { i++; c = substr(v, i, 1) }
                o = o c
            }
            return o
        }
        function envfile(sec, name, optional,   f, line, e, k, v, n, m, i, parts, r) {
            f = ""; n = split(envmap, m, "\n")
            for (i = 1; i <= n; i++) { split(m[i], parts, "\t"); if (parts[1] == name) f = parts[2] }
            # systemd: a missing file fails the start, unless the path starts with "-"
            r = f == "" ? -1 : (getline line < f)
            if (r < 0) { if (!optional) print "L\t" sec "\tEnvironmentFile-unreadable=" name; return }
            if (r == 0) { close(f); return }
            do {
                sub(/^[ \t]+/, "", line)
                if (line == "" || line ~ /^[#;]/) continue
                e = index(line, "="); if (e <= 1) continue
                k = substr(line, 1, e - 1); sub(/[ \t]+$/, "", k); v = substr(line, e + 1); sub(/^[ \t]+/, "", v)
                v = envval(v)
                if (k == "NO_PROXY" || k == "no_proxy") v = sortcsv(v)
                fenv[sec SUBSEP k] = v
            } while ((getline line < f) > 0)
            close(f)
        }
        # one logical line (systemd config_parse): comment lines dropped, also inside a
        # continuation; a line ending in an unescaped backslash goes on, the backslash a space
        /^[ \t\r]*[#;]/ { next }
        {
            cont = cont $0
            if (match(cont, /\\+$/) && RLENGTH % 2 == 1) { cont = substr(cont, 1, length(cont) - 1) " "; next }
            directive(cont); cont = ""
        }
        function directive(line,   eq, key, val, opt, n, i, w, e, name, v) {
            sub(/^[ \t]+/, "", line); sub(/[ \t]+$/, "", line)
            if (line == "" || line ~ /^[#;]/) return
            if (line ~ /^\[.*\]$/) { sec = line; return }
            eq = index(line, "="); if (eq == 0) { print "L\t" sec "\t" line; return }
            key = substr(line, 1, eq - 1); val = substr(line, eq + 1); sub(/[ \t]+$/, "", key); sub(/^[ \t]+/, "", val)
            if (key == "EnvironmentFile" && val != "") { opt = sub(/^-/, "", val); envfile(sec, val, opt); return }
            if (key != "Environment") { print "L\t" sec "\t" key "=" val; return }
            if (val == "") { flush_env(sec); return }
            n = words(val)
            for (i = 1; i <= n; i++) {
                w = W[i]; e = index(w, "="); if (e == 0) continue
                name = substr(w, 1, e - 1); v = substr(w, e + 1)
                if (name == "NO_PROXY" || name == "no_proxy") v = sortcsv(v)
                env[sec SUBSEP name] = v
            }
        }
        END {
            if (cont != "") directive(cont)
            for (k in fenv) env[k] = fenv[k]
            for (k in env) { split(k, p, SUBSEP); print "E\t" p[1] "\t" p[2] "=" env[k] }
        }
    ' "$1") || return 1
    printf '%s\n' "$out" | grep '^L' || true
    printf '%s\n' "$out" | grep '^E' | LC_ALL=C sort || true
}

# True when the host's PATH has the same settings as NEW (MODE absent: both absent).
same_settings() {
    local new=$1 mode=$2 path=$3 a b
    if [ "$mode" = absent ]; then [ ! -e "$ROOT$path" ]; return; fi
    # an env file may be new on the host (the variables were inline in a drop-in before)
    case "$path" in *.env) ;; *) [ -f "$ROOT$path" ] || return 1 ;; esac
    case "$path" in
        */daemon.json) a=$(json_canon "$new") && b=$(json_canon "$ROOT$path") && [ -n "$a" ] && [ "$a" = "$b" ] ;;
        *.service.d/*.conf) a=$(unit_canon "$new" "$(dirname "$new")") && b=$(unit_canon "$ROOT$path") && [ "$a" = "$b" ] ;;
        *.env)
            # an env file's settings are those of the drop-ins that name it: the same when every
            # wanted drop-in naming it keeps its settings (and at least one names it)
            local k2 m2 p2 named=0
            while read -r k2 m2 p2; do
                case "$p2" in *.service.d/*.conf) ;; *) continue ;; esac
                [ "$m2" != absent ] || continue
                grep -Eq "^[[:space:]]*EnvironmentFile[[:space:]]*=[[:space:]]*-?${path}[[:space:]]*\$" "$(dirname "$new")/$k2" || continue
                named=1
                same_settings "$(dirname "$new")/$k2" "$m2" "$p2" || return 1
            done <"$(dirname "$new")/manifest"
            [ "$named" = 1 ] ;;
        *) return 1 ;;
    esac
}

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

# --- ownership claims (see the header) ---
claim_count() { local n; n=$(cat "$STATE/claims/$1" 2>/dev/null || echo 0); case "$n" in '' | *[!0-9]*) echo 0 ;; *) echo "$n" ;; esac; }
claim_set() {
    mkdir -p "$STATE/claims"
    if [ "$2" -gt 0 ]; then
        printf '%s\n' "$2" >"$STATE/claims/.$1.tmp" && mv -f "$STATE/claims/.$1.tmp" "$STATE/claims/$1"
    else
        rm -f "$STATE/claims/$1"
    fi
}
# Other owners' claims, as "name (n)" words.
other_claims() {
    local f out=""
    for f in "$STATE"/claims/*; do
        [ "$(basename "$f")" = "$OWNER" ] && continue
        [ "$(claim_count "$(basename "$f")")" -gt 0 ] && out="$out${out:+, }$(basename "$f") ($(claim_count "$(basename "$f")"))"
    done
    printf '%s' "$out"
}
# Records this apply's claim (after it was verified).
claim_after_apply() {
    local n
    n=$(claim_count "$OWNER")
    if [ "$OP" = create ]; then n=$((n + 1)); elif [ "$n" -lt 1 ]; then n=1; fi
    claim_set "$OWNER" "$n"
    local others
    others=$(other_claims)
    [ -z "$others" ] || say "note: this host is also claimed by: $others (the last apply wins; delete restores only after the last claim is dropped)"
}
# Drops one of this owner's claims. True when no claim is left on the host (the caller may restore).
drop_claim() {
    local n others
    n=$(claim_count "$OWNER")
    [ "$n" -gt 0 ] && claim_set "$OWNER" $((n - 1))
    others=$(other_claims)
    n=$(claim_count "$OWNER")
    [ "$n" -gt 0 ] && others="$OWNER ($n)${others:+, $others}"
    [ -z "$others" ] && return 0
    say "kept the current files: still claimed by $others (the last claim's delete restores)"
    return 1
}

# State of dockfleet versions without claims moves here once; their stored delete commands then
# find no pre-dockfleet copy and do nothing, instead of undoing what this version applied.
migrate_legacy() {
    [ -f "$LEGACY_STATE/original/manifest" ] && [ ! -f "$STATE/original/manifest" ] || return 0
    local f
    for f in original last-good applied reload-digest in-progress; do
        [ -e "$LEGACY_STATE/$f" ] && mv -f "$LEGACY_STATE/$f" "$STATE/$f"
    done
    printf 'moved to %s by a newer dockfleet on %s\n' "${STATE#"$ROOT"}" "$(date -u +%FT%TZ)" >"$LEGACY_STATE/MOVED" 2>/dev/null || true
    say "moved dockfleet state from ${LEGACY_STATE#"$ROOT"} (a version without ownership claims)"
}

[ "$(id -u)" = 0 ] || [ -n "$ROOT" ] || die "must run as root"
mkdir -p "$STATE"
# State and backups hold copies of the proxy's env file: root only, also where an older dockfleet
# created the directories 0755.
chmod 0700 "$ROOT/var/lib/dockfleet" "$STATE"
[ ! -d "$LEGACY_STATE" ] || chmod 0700 "$LEGACY_STATE"
exec 9>"$LOCK_FILE"
if [ "$ACTION" = recover ] || [ "$ACTION" = boot-recover ]; then
    flock 9 # the guard's recover waits for a live apply (it may be in its own rollback) to end
elif ! flock -n 9; then
    # Two operators (two stacks naming this host, CI and a person): one apply at a time, and the
    # second says whose apply it waits for, then fails naming it if that apply does not end.
    lock_wait=$((RESTART_TIMEOUT * 4))
    [ "$ACTION" = status ] || say "waiting up to ${lock_wait}s for another dockfleet apply on this host to end: $(lock_holder)"
    flock -w "$lock_wait" 9 || die "another dockfleet apply is still running on this host after ${lock_wait}s: $(lock_holder); nothing changed; run pulumi up again once it has ended"
fi
case "$ACTION" in status | recover | boot-recover) ;; *) lock_held_by ;; esac
case "$ACTION" in status | boot-recover) ;; *) migrate_legacy ;; esac

case "$ACTION" in
    apply)
        WORK=$(mktemp -d "$STATE/incoming.XXXXXX")
        trap 'rm -rf "$WORK"' EXIT
        : >"$WORK/manifest"
        if { true <&3; } 2>/dev/null; then parse_bundle 3 "$WORK"; fi
        parse_bundle 0 "$WORK"
        [ -s "$WORK/manifest" ] || die "no files given (expected a bundle on fd 3 and/or stdin)"
        dup=$(cut -d' ' -f3- "$WORK/manifest" | sort | uniq -d)
        [ -z "$dup" ] || die "bundle names a path twice: $dup"
        converge "$WORK"
        claim_after_apply
        if [ -n "$REPAIR" ]; then printf '%s\n' "$REPAIR" >"$STATE/repair"; fi
        ;;
    restore)
        drop_claim || exit 0
        [ -f "$STATE/original/manifest" ] || { say "no dockfleet state on this host; nothing to restore"; exit 0; }
        WORK=$(mktemp -d "$STATE/incoming.XXXXXX")
        trap 'rm -rf "$WORK"' EXIT
        cp -p "$STATE/original/"* "$WORK/"
        # only the swarm unlock key is taken from a secret bundle on stdin (the restart may lock a manager)
        mkdir "$WORK/stdin" && : >"$WORK/stdin/manifest" && parse_bundle 0 "$WORK/stdin" && rm -rf "$WORK/stdin"
        RELOAD_DIGEST=""
        converge "$WORK"
        rm -rf "$STATE/original" "$STATE/last-good" "$STATE/applied" "$STATE/reload-digest" "$STATE/repair" "$STATE/claims" "$STATE/facts"
        remove_boot_guard
        say "restored the pre-dockfleet files"
        ;;
    forget)
        drop_claim || exit 0
        rm -rf "$STATE/original" "$STATE/last-good" "$STATE/applied" "$STATE/reload-digest" "$STATE/in-progress" "$STATE/repair" "$STATE/claims" "$STATE/facts"
        remove_boot_guard
        say "kept the current files; dockfleet state removed"
        ;;
    status)
        # "unmanaged", "in-sync", or "drift <path> <sha of the file now>" per managed file that
        # differs from what dockfleet last verified (a hand edit, or an interrupted apply).
        [ -f "$STATE/last-good/manifest" ] || { echo "unmanaged"; exit 0; }
        drift=0
        while read -r k mode path; do
            if [ "$mode" = absent ]; then want=absent; else want=$(sha "$STATE/last-good/$k"); fi
            now=$(sha "$ROOT$path")
            # a root-only file's digest would be a guessing oracle for its secret: not printed
            case "$mode" in *[1-7][0-7] | *[0-7][1-7] | absent) shown=$now ;; *) shown=- ;; esac
            [ "$now" = "$want" ] || { printf 'drift %s %s\n' "$path" "$shown"; drift=1; }
        done <"$STATE/last-good/manifest"
        [ -f "$STATE/in-progress" ] && { echo "drift in-progress -"; drift=1; }
        [ "$drift" = 1 ] || echo "in-sync"
        [ ! -s "$STATE/repair" ] || printf 'repair %s\n' "$(head -1 "$STATE/repair")"
        # What the last verified apply wrote, for the program to tell nothing / reload / restart:
        # "reload-digest HEX" (--reload-digest) and "applied MODE SHA PATH" per file ("absent" for a
        # file that must not exist). A root-only file's SHA is "hmac:HEX", HMAC-SHA256 under the
        # one-time key the probe sends on stdin (DOCKFLEET_STATUS_KEY=stdin: one line, 64 hex
        # digits): only that probe, which has the key and the wanted content, can compare it, and
        # a new key next time makes it useless to anyone else. Without a key: "-", as above.
        STATUS_KEY=""
        if [ "${DOCKFLEET_STATUS_KEY:-}" = stdin ]; then
            IFS= read -r -t 10 STATUS_KEY || true
            [[ "$STATUS_KEY" =~ ^[0-9a-f]{64}$ ]] || STATUS_KEY=""
        fi
        [ ! -s "$STATE/reload-digest" ] || printf 'reload-digest %s\n' "$(head -1 "$STATE/reload-digest")"
        while read -r k mode path; do
            case "$mode" in
                absent) shown=absent ;;
                *[1-7][0-7] | *[0-7][1-7]) shown=$(sha "$STATE/last-good/$k") ;;
                *) if [ -n "$STATUS_KEY" ]; then shown=hmac:$(hmac_sha "$STATE/last-good/$k"); else shown=-; fi ;;
            esac
            printf 'applied %s %s %s\n' "$mode" "$shown" "$path"
        done <"$STATE/last-good/manifest"
        ;;
    recover)
        if [ -f "$STATE/in-progress" ]; then
            say "recovering from an interrupted apply"
            # the apply recorded the swarm state before it wrote anything; older versions did not
            before=$(head -1 "$STATE/in-progress" 2>/dev/null || true)
            [ -n "$before" ] || before=$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo unknown)
            rollback "$before" || { say "CRITICAL on host $HOST: recovery could not bring dockerd back (${FAIL_STEP:-}: ${FAIL_LINE:-})"; exit 3; }
            say "recovered: last known-good files restored, dockerd running"
        fi
        ;;
    boot-recover)
        boot_recover || exit 3
        ;;
    *)
        die "usage: $0 apply|restore|forget|status|recover|boot-recover --host NAME [options]"
        ;;
esac
