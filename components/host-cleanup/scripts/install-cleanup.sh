#!/usr/bin/env bash
# dockfleet: install (or remove) a host's cleanup timer, dockfleet-cleanup.{service,timer}.
#   install-cleanup.sh install [--owner O --op create|update] <UNITS   the service text, a line
#        "# --- dockfleet-cleanup.timer ---", the timer text: verified, written, daemon-reload,
#        the timer enabled and (re)started (a new schedule counts from now). No prune runs now.
#   install-cleanup.sh remove [--owner O]     timer stopped and disabled, both units and the
#        timer's stamp removed, daemon-reload
# It never touches dockerd's config and never starts, stops or restarts docker.service.
# Claims (as install-unit.sh): each Pulumi resource installing the timer holds a count under
# /var/lib/dockfleet/cleanup/claims/O; remove takes the units away only with the last claim, so a
# renamed or replaced resource's delete (run after its successor's create) leaves them.
# No boot guard: each file is replaced atomically and any mix of old and new units is valid.
set -euo pipefail
umask 077
ROOT=${DOCKFLEET_ROOT:-}
STATE=$ROOT/var/lib/dockfleet/cleanup
UNIT_DIR=$ROOT/etc/systemd/system
NAME=dockfleet-cleanup
SPLIT="# --- $NAME.timer ---"

say() { echo "dockfleet[$(hostname)]: $*" >&2; }

count() { local n; n=$(cat "$STATE/claims/$1" 2>/dev/null || echo 0); case "$n" in '' | *[!0-9]*) echo 0 ;; *) echo "$n" ;; esac; }
set_count() { mkdir -p "$STATE/claims"; chmod 0700 "$ROOT/var/lib/dockfleet" "$STATE"; if [ "$2" -gt 0 ]; then echo "$2" >"$STATE/claims/$1"; else rm -f "$STATE/claims/$1"; fi; }

# Writes $2 as unit file $1 when it differs (0644, atomic); prints "changed" when it wrote.
put_unit() {
    local f=$UNIT_DIR/$1
    if [ "$(cat "$f" 2>/dev/null)" != "$2" ]; then
        printf '%s\n' "$2" >"$f.dockfleet-tmp" && chmod 0644 "$f.dockfleet-tmp" && mv -f "$f.dockfleet-tmp" "$f"
        echo changed
    fi
}

install_units() {
    local input service timer check out prev_service prev_timer n why
    input=$(cat)
    case "$input" in *$'\n'"$SPLIT"$'\n'*) ;; *) say "no '$SPLIT' line on stdin"; exit 2 ;; esac
    service=${input%%$'\n'"$SPLIT"$'\n'*}
    timer=${input#*$'\n'"$SPLIT"$'\n'}
    if command -v systemd-analyze >/dev/null 2>&1; then
        check=$(mktemp -d)
        printf '%s\n' "$service" >"$check/$NAME.service"
        printf '%s\n' "$timer" >"$check/$NAME.timer"
        if ! out=$(systemd-analyze verify --man=no "$check/$NAME.service" "$check/$NAME.timer" 2>&1) || [ -n "$out" ]; then
            rm -rf "$check"
            say "$NAME units rejected by systemd-analyze verify: $out"
            exit 1
        fi
        rm -rf "$check"
    fi
    mkdir -p "$UNIT_DIR"
    prev_service=$(cat "$UNIT_DIR/$NAME.service" 2>/dev/null || true)
    prev_timer=$(cat "$UNIT_DIR/$NAME.timer" 2>/dev/null || true)
    if [ -n "$(put_unit "$NAME.service" "$service")$(put_unit "$NAME.timer" "$timer")" ]; then
        systemctl daemon-reload
    fi
    systemctl enable "$NAME.timer" >/dev/null 2>&1
    if ! out=$(systemctl restart "$NAME.timer" 2>&1) || [ "$(systemctl is-active "$NAME.timer" 2>/dev/null || true)" != active ]; then
        why="$(systemctl is-active "$NAME.timer" 2>/dev/null || true)${out:+; $out}"
        # the units as they were: the previous texts, or none
        if [ -n "$prev_timer" ]; then
            put_unit "$NAME.service" "$prev_service" >/dev/null
            put_unit "$NAME.timer" "$prev_timer" >/dev/null
            systemctl daemon-reload
            systemctl restart "$NAME.timer" >/dev/null 2>&1 || true
            say "FAILED: $NAME.timer did not start ($why); the previous units are back"
        else
            systemctl disable "$NAME.timer" >/dev/null 2>&1 || true
            rm -f "$UNIT_DIR/$NAME.service" "$UNIT_DIR/$NAME.timer"
            systemctl daemon-reload
            say "FAILED: $NAME.timer did not start ($why); the new units are removed"
        fi
        exit 1
    fi
    n=$(count "$owner")
    if [ "$op" = create ]; then n=$((n + 1)); elif [ "$n" -lt 1 ]; then n=1; fi
    set_count "$owner" "$n"
    say "$NAME.timer installed: $(systemctl show "$NAME.timer" -p NextElapseUSecRealtime --value 2>/dev/null || true)"
}

remove_units() {
    local n left="" f
    n=$(count "$owner")
    [ "$n" -gt 0 ] && set_count "$owner" $((n - 1))
    for f in "$STATE"/claims/*; do
        [ -f "$f" ] || continue
        left="$left${left:+, }$(basename "$f") ($(count "$(basename "$f")"))"
    done
    if [ -n "$left" ]; then
        say "$NAME.timer kept: still claimed by $left"
        exit 0
    fi
    systemctl disable --now "$NAME.timer" >/dev/null 2>&1 || true
    # a prune running now is stopped (dockerd ends the API call it is in)
    systemctl stop "$NAME.service" >/dev/null 2>&1 || true
    rm -f "$UNIT_DIR/$NAME.service" "$UNIT_DIR/$NAME.timer" "$ROOT/var/lib/systemd/timers/stamp-$NAME.timer"
    rm -rf "$STATE"
    systemctl daemon-reload
    systemctl reset-failed "$NAME.service" "$NAME.timer" >/dev/null 2>&1 || true
    say "$NAME.timer removed"
}

main() {
    local action=${1:?action}
    shift
    owner=default op=update
    while [ $# -gt 0 ]; do
        case "$1" in
            --owner) owner=$2; shift 2 ;;
            --op) op=$2; shift 2 ;;
            *) echo "usage: $0 install|remove [--owner O] [--op create|update]" >&2; exit 2 ;;
        esac
    done
    case "$owner" in '' | *[!A-Za-z0-9._-]* | .*) echo "--owner must be letters, digits, '.', '_' or '-'" >&2; exit 2 ;; esac
    case "$op" in create | update) ;; *) echo "--op must be create or update" >&2; exit 2 ;; esac
    case "$action" in
        install) install_units ;;
        remove) remove_units ;;
        *) echo "usage: $0 install|remove [--owner O] [--op create|update]" >&2; exit 2 ;;
    esac
}

main "$@"
