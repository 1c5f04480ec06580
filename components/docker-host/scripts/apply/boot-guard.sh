# shellcheck shell=bash disable=SC2034,SC2153,SC2154
#% The guard that survives a reboot: an enabled unit, ordered before docker.service, that restores
#% the known-good files when the host boots with an apply in progress.
#% A module of apply-docker-config.sh, joined into it by dev/build-apply-script.js (npm run build:apply).
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
