# shellcheck shell=bash disable=SC2034,SC2153,SC2154
#% Checks of a new file before anything is written: JSON, dockerd --validate, the host's users,
#% runtimes, cgroup driver and TLS files, devicemapper direct-lvm, drop-ins (systemd-analyze), and the
#% engine version.
#% A module of apply-docker-config.sh, joined into it by dev/build-apply-script.js (npm run build:apply).
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
