#!/usr/bin/env bash
# dockfleet: install (or remove) a systemd unit that wraps a container, on one host.
#   install-unit.sh install NAME [--owner O --op create|update] <UNIT_TEXT   verify, write atomically,
#                                              daemon-reload, enable, (re)start, check it runs
#   install-unit.sh remove NAME [--owner O]    stop, disable, remove, daemon-reload
#   install-unit.sh boot-recover               (the boot guard) put back every unit an install a
#                                              reboot cut off
# Prints systemd-analyze's complaints and refuses the unit if it has any. A unit that does not
# start (or does not stay up for UNIT_SETTLE seconds) is rolled back: the previous unit text back
# and restarted, or, on a first install, the unit removed; the error names systemd's state and the
# unit's last log line.
# Claims (as in apply-docker-config.sh): each Pulumi resource installing NAME holds a count under
# /var/lib/dockfleet/units/NAME/claims/O; install --op create adds one, --op update keeps one, and
# remove takes the unit away only when it drops the last one. A replaced or renamed resource's
# delete (which runs after its successor's create) therefore leaves the unit running.
set -euo pipefail
umask 077 # dockfleet's state under /var/lib/dockfleet is root-only; the unit file gets 0644 explicitly
ROOT=${DOCKFLEET_ROOT:-}
UNITS_STATE=$ROOT/var/lib/dockfleet/units
SETTLE=${UNIT_SETTLE:-2}
GUARD_UNIT=dockfleet-unit-guard.service

unit_say() { echo "dockfleet[$(hostname)]: $*" >&2; }

unit_count() { local n; n=$(cat "$claims/$1" 2>/dev/null || echo 0); case "$n" in '' | *[!0-9]*) echo 0 ;; *) echo "$n" ;; esac; }
unit_set_count() { mkdir -p "$claims"; chmod 0700 "$ROOT/var/lib/dockfleet" "$UNITS_STATE"; if [ "$2" -gt 0 ]; then echo "$2" >"$claims/$1"; else rm -f "$claims/$1"; fi; }

# The guard that survives a reboot (as dockfleet-boot-guard.service does for the Docker files): an
# install records `in-progress` (and the previous unit text) before it writes the unit; a reboot
# before the check ends leaves the record, and at boot, before docker.service (so before any
# container unit), the previous unit goes back. The script copies itself beside the state.
unit_render_guard() {
    cat <<UNIT
# Written by dockfleet's ContainerUnit install (install-unit.sh): puts back the previous unit of an
# install a reboot cut off. Does nothing otherwise.
[Unit]
Description=dockfleet: put back container units whose install a reboot cut off
DefaultDependencies=no
Requires=local-fs.target
After=local-fs.target
Before=docker.service sysinit.target shutdown.target
Conflicts=shutdown.target
ConditionPathExistsGlob=/var/lib/dockfleet/units/*/in-progress

[Service]
Type=oneshot
ExecStart=/bin/bash /var/lib/dockfleet/units/install-unit.sh boot-recover

[Install]
WantedBy=sysinit.target
UNIT
}

unit_install_guard() {
    local g=$ROOT/etc/systemd/system/$GUARD_UNIT want self
    want=$(unit_render_guard)
    mkdir -p "$UNITS_STATE"
    # this very script (bash -c "<text>" has it as BASH_EXECUTION_STRING, a file run as $0)
    self=${BASH_EXECUTION_STRING:-}
    [ -n "$self" ] || self=$(cat "$0")
    if [ "$(cat "$UNITS_STATE/install-unit.sh" 2>/dev/null)" != "$self" ]; then
        printf '%s\n' "$self" >"$UNITS_STATE/install-unit.sh.tmp" && mv -f "$UNITS_STATE/install-unit.sh.tmp" "$UNITS_STATE/install-unit.sh"
    fi
    if [ "$(cat "$g" 2>/dev/null)" != "$want" ]; then
        printf '%s\n' "$want" >"$g.tmp" && chmod 0644 "$g.tmp" && mv -f "$g.tmp" "$g"
        systemctl daemon-reload
    fi
    [ -e "$ROOT/etc/systemd/system/sysinit.target.wants/$GUARD_UNIT" ] || systemctl enable --quiet "$GUARD_UNIT" >/dev/null 2>&1 ||
        unit_say "warning: could not enable $GUARD_UNIT: an install a reboot cuts off is not rolled back at boot"
}

# The unit as it was before this install: its previous text back, or (a first install) no unit.
unit_put_back() {
    local name=$1 st=$UNITS_STATE/$1 unit=$ROOT/etc/systemd/system/$1.service
    if [ -f "$st/previous.service" ]; then
        mv -f "$st/previous.service" "$unit"
    else
        systemctl disable --now "$name.service" >/dev/null 2>&1 || true
        rm -f "$unit"
    fi
    rm -f "$st/in-progress"
}

# Started, and still running SETTLE seconds later (a container that exits at once, or an image
# that is not there, turns the unit failed or auto-restarting within that time).
unit_runs() {
    local state
    state=$(systemctl is-active "$1.service" 2>/dev/null || true)
    [ "$state" = active ] || return 1
    sleep "$SETTLE"
    state=$(systemctl is-active "$1.service" 2>/dev/null || true)
    [ "$state" = active ]
}

unit_install() {
    local name=$1 unit=$ROOT/etc/systemd/system/$1.service st=$UNITS_STATE/$1 tmp check out n why
    tmp=$(dirname "$unit")/.$name.service.dockfleet-tmp
    mkdir -p "$(dirname "$unit")"
    cat >"$tmp"
    if command -v systemd-analyze >/dev/null 2>&1; then
        check=$(mktemp -d)
        cp "$tmp" "$check/$name.service"
        if ! out=$(systemd-analyze verify --man=no "$check/$name.service" 2>&1) || [ -n "$out" ]; then
            rm -rf "$check" "$tmp"
            unit_say "unit $name.service rejected by systemd-analyze verify: $out"
            exit 1
        fi
        rm -rf "$check"
    fi
    chmod 0644 "$tmp"
    unit_install_guard
    mkdir -p "$st"
    rm -f "$st/previous.service"
    [ ! -f "$unit" ] || cp -p "$unit" "$st/previous.service"
    : >"$st/in-progress"
    mv -f "$tmp" "$unit"
    systemctl daemon-reload
    systemctl enable "$name.service" >/dev/null 2>&1
    systemctl reset-failed "$name.service" >/dev/null 2>&1 || true
    if ! out=$(systemctl restart "$name.service" 2>&1) || ! unit_runs "$name"; then
        why="$(systemctl is-active "$name.service" 2>/dev/null || true); $(journalctl -u "$name.service" -n 1 -o cat --no-pager 2>/dev/null | tail -1)${out:+ ($out)}"
        local had=first
        [ -f "$st/previous.service" ] && had=previous
        unit_put_back "$name"
        systemctl daemon-reload
        if [ "$had" = previous ]; then
            systemctl reset-failed "$name.service" >/dev/null 2>&1 || true
            systemctl restart "$name.service" >/dev/null 2>&1 || true
            unit_say "FAILED: $name.service did not stay running ($why); the previous unit is back and restarted"
        else
            unit_say "FAILED: $name.service did not stay running ($why); the new unit is removed"
        fi
        exit 1
    fi
    rm -f "$st/previous.service" "$st/in-progress"
    n=$(unit_count "$owner")
    if [ "$op" = create ]; then n=$((n + 1)); elif [ "$n" -lt 1 ]; then n=1; fi
    unit_set_count "$owner" "$n"
    unit_say "$name.service installed and started"
}

unit_remove() {
    local name=$1 unit=$ROOT/etc/systemd/system/$1.service n left="" f
    n=$(unit_count "$owner")
    [ "$n" -gt 0 ] && unit_set_count "$owner" $((n - 1))
    for f in "$claims"/*; do
        [ -f "$f" ] || continue
        left="$left${left:+, }$(basename "$f") ($(unit_count "$(basename "$f")"))"
    done
    if [ -n "$left" ]; then
        unit_say "$name.service kept: still claimed by $left"
        exit 0
    fi
    rm -rf "${UNITS_STATE:?}/$name"
    systemctl disable --now "$name.service" >/dev/null 2>&1 || true
    rm -f "$unit"
    systemctl daemon-reload
    unit_say "$name.service removed"
}

unit_boot_recover() {
    local d name any=0
    for d in "$UNITS_STATE"/*/; do
        [ -f "$d/in-progress" ] || continue
        name=$(basename "$d")
        unit_put_back "$name"
        echo "dockfleet: $name.service: an install a reboot cut off; the previous unit is back" >&2
        any=1
    done
    [ "$any" = 0 ] || systemctl daemon-reload
}

main() {
    local action=${1:?action}
    [ "$action" != boot-recover ] || { unit_boot_recover; return; }
    local name=${2:?unit name}
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
    case "$name" in '' | */* | .*) echo "unit name must not be empty, hold '/' or start with '.'" >&2; exit 2 ;; esac
    claims=$UNITS_STATE/$name/claims
    case "$action" in
        install) unit_install "$name" ;;
        remove) unit_remove "$name" ;;
        *) echo "usage: $0 install|remove NAME | boot-recover" >&2; exit 2 ;;
    esac
}

main "$@"
