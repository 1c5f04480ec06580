#!/usr/bin/env bash
# dockfleet: install (or remove) a systemd unit that wraps a container, on one host.
#   install-unit.sh install NAME [--owner O --op create|update] <UNIT_TEXT   verify, write atomically,
#                                              daemon-reload, enable, (re)start
#   install-unit.sh remove NAME [--owner O]    stop, disable, remove, daemon-reload
# Prints systemd-analyze's complaints and refuses the unit if it has any.
# Claims (as in apply-docker-config.sh): each Pulumi resource installing NAME holds a count under
# /var/lib/dockfleet/units/NAME/claims/O; install --op create adds one, --op update keeps one, and
# remove takes the unit away only when it drops the last one. A replaced or renamed resource's
# delete (which runs after its successor's create) therefore leaves the unit running.
set -euo pipefail
umask 077 # dockfleet's state under /var/lib/dockfleet is root-only; the unit file gets 0644 explicitly
ROOT=${DOCKFLEET_ROOT:-}
action=${1:?action}
name=${2:?unit name}
shift 2
owner=default op=update
while [ $# -gt 0 ]; do
    case "$1" in
        --owner) owner=$2; shift 2 ;;
        --op) op=$2; shift 2 ;;
        *) echo "usage: $0 install|remove NAME [--owner O] [--op create|update]" >&2; exit 2 ;;
    esac
done
case "$owner" in '' | *[!A-Za-z0-9._-]* | .*) echo "--owner must be letters, digits, '.', '_' or '-'" >&2; exit 2 ;; esac
case "$op" in create | update) ;; *) echo "--op must be create or update" >&2; exit 2 ;; esac
unit=$ROOT/etc/systemd/system/$name.service
claims=$ROOT/var/lib/dockfleet/units/$name/claims
count() { local n; n=$(cat "$claims/$1" 2>/dev/null || echo 0); case "$n" in '' | *[!0-9]*) echo 0 ;; *) echo "$n" ;; esac; }
set_count() { mkdir -p "$claims"; chmod 0700 "$ROOT/var/lib/dockfleet" "$ROOT/var/lib/dockfleet/units"; if [ "$2" -gt 0 ]; then echo "$2" >"$claims/$1"; else rm -f "$claims/$1"; fi; }
case "$action" in
    install)
        tmp=$(dirname "$unit")/.$name.service.dockfleet-tmp
        mkdir -p "$(dirname "$unit")"
        cat >"$tmp"
        if command -v systemd-analyze >/dev/null 2>&1; then
            check=$(mktemp -d)
            cp "$tmp" "$check/$name.service"
            if ! out=$(systemd-analyze verify --man=no "$check/$name.service" 2>&1) || [ -n "$out" ]; then
                rm -rf "$check" "$tmp"
                echo "dockfleet[$(hostname)]: unit $name.service rejected by systemd-analyze verify: $out" >&2
                exit 1
            fi
            rm -rf "$check"
        fi
        chmod 0644 "$tmp"
        mv -f "$tmp" "$unit"
        systemctl daemon-reload
        systemctl enable "$name.service" >/dev/null 2>&1
        systemctl reset-failed "$name.service" >/dev/null 2>&1 || true
        systemctl restart "$name.service"
        n=$(count "$owner")
        if [ "$op" = create ]; then n=$((n + 1)); elif [ "$n" -lt 1 ]; then n=1; fi
        set_count "$owner" "$n"
        echo "dockfleet[$(hostname)]: $name.service installed and started" >&2
        ;;
    remove)
        n=$(count "$owner")
        [ "$n" -gt 0 ] && set_count "$owner" $((n - 1))
        left=""
        for f in "$claims"/*; do
            [ -f "$f" ] || continue
            left="$left${left:+, }$(basename "$f") ($(count "$(basename "$f")"))"
        done
        if [ -n "$left" ]; then
            echo "dockfleet[$(hostname)]: $name.service kept: still claimed by $left" >&2
            exit 0
        fi
        rm -rf "$ROOT/var/lib/dockfleet/units/$name"
        systemctl disable --now "$name.service" >/dev/null 2>&1 || true
        rm -f "$unit"
        systemctl daemon-reload
        echo "dockfleet[$(hostname)]: $name.service removed" >&2
        ;;
    *) echo "usage: $0 install|remove NAME" >&2; exit 2 ;;
esac
