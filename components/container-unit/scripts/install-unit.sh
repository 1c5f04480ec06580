#!/usr/bin/env bash
# dockfleet: install (or remove) a systemd unit that wraps a container, on one host.
#   install-unit.sh install NAME <UNIT_TEXT   verify, write atomically, daemon-reload, enable, (re)start
#   install-unit.sh remove NAME               stop, disable, remove, daemon-reload
# Prints systemd-analyze's complaints and refuses the unit if it has any.
set -euo pipefail
ROOT=${DOCKFLEET_ROOT:-}
action=${1:?action}
name=${2:?unit name}
unit=$ROOT/etc/systemd/system/$name.service
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
        echo "dockfleet[$(hostname)]: $name.service installed and started" >&2
        ;;
    remove)
        systemctl disable --now "$name.service" >/dev/null 2>&1 || true
        rm -f "$unit"
        systemctl daemon-reload
        echo "dockfleet[$(hostname)]: $name.service removed" >&2
        ;;
    *) echo "usage: $0 install|remove NAME" >&2; exit 2 ;;
esac
