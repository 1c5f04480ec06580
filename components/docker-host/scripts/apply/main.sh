# shellcheck shell=bash disable=SC2034,SC2153,SC2154
#% Runs last: root check, state dir, the lock, then the action (apply, restore, forget, status,
#% recover).
#% A module of apply-docker-config.sh, joined into it by dev/build-apply-script.js (npm run build:apply).
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
