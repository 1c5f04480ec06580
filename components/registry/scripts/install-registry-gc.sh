#!/usr/bin/env bash
# dockfleet: install (or remove) the registry GC job on the registry host.
#   install-registry-gc.sh install SCHEDULE SCRIPT_B64 SERVICE_B64 TIMER_B64 SETTINGS_B64
#       <CURL_CONFIG 3<REFERENCED   root-only files under /etc/dockfleet/registry-gc, the units,
#                                   the timer enabled; refuses a schedule systemd cannot read
#   install-registry-gc.sh remove   timer and service stopped (the registry read-write), all gone
set -euo pipefail
umask 077
ROOT=${DOCKFLEET_ROOT:-}
DIR=$ROOT/etc/dockfleet/registry-gc
UNITS=$ROOT/etc/systemd/system
UNIT=dockfleet-registry-gc

gc_say() { echo "dockfleet[$(hostname)]: $*" >&2; }

# put FILE MODE: stdin to FILE atomically
put() { cat >"$1.tmp" && chmod "$2" "$1.tmp" && mv -f "$1.tmp" "$1"; }

install_job() {
    local schedule=$1 c out
    for c in curl jq; do
        command -v "$c" >/dev/null 2>&1 || { gc_say "registry GC needs $c on this host: apt-get install curl jq"; exit 1; }
    done
    if ! out=$(systemd-analyze calendar "$schedule" 2>&1); then
        gc_say "registry GC schedule '$schedule' is not a systemd calendar expression: $out"
        exit 1
    fi
    mkdir -p "$DIR" "$UNITS"
    chmod 0700 "$DIR"
    base64 -d <<<"$2" | put "$DIR/registry-gc.sh" 0700
    base64 -d <<<"$5" | put "$DIR/settings" 0600
    put "$DIR/curl.conf" 0600
    put "$DIR/referenced" 0600 <&3
    base64 -d <<<"$3" | put "$UNITS/$UNIT.service" 0644
    base64 -d <<<"$4" | put "$UNITS/$UNIT.timer" 0644
    systemctl daemon-reload
    systemctl enable --quiet "$UNIT.timer"
    systemctl restart "$UNIT.timer"
    gc_say "registry GC timer installed: $(grep -c . "$DIR/referenced" || true) referenced image(s); $(echo "$out" | sed -n 's/^ *Next elapse: *//p' | head -1 | sed 's/^/next run /')"
}

remove_job() {
    systemctl disable --now --quiet "$UNIT.timer" >/dev/null 2>&1 || true
    # a running job stops here; its ExecStopPost puts the registry back to read-write
    systemctl stop "$UNIT.service" >/dev/null 2>&1 || true
    rm -f "$UNITS/$UNIT.service" "$UNITS/$UNIT.timer"
    rm -rf "$DIR"
    systemctl daemon-reload
    gc_say "registry GC timer removed"
}

case "${1:-}" in
    install) shift; [ $# -eq 5 ] || { echo "usage: $0 install SCHEDULE SCRIPT SERVICE TIMER SETTINGS" >&2; exit 2; }; install_job "$@" ;;
    remove) remove_job ;;
    *) echo "usage: $0 install ...|remove" >&2; exit 2 ;;
esac
