# shellcheck shell=bash disable=SC2034,SC2153,SC2154
#% Ownership claims (see the header) and the one-time move of state from versions without them.
#% A module of apply-docker-config.sh, joined into it by dev/build-apply-script.js (npm run build:apply).
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
