#!/usr/bin/env bash
# dockfleet: garbage collection of the fleet's registry, on the registry host (run by
# dockfleet-registry-gc.service from its timer, in the operator's maintenance window).
#   registry-gc.sh plan   print, per repository, which digests are kept and which would go
#   registry-gc.sh run    DELETE those manifests through the API, then `registry garbage-collect`
#                         with the registry read-only, then read-write again (always, by a trap)
#   registry-gc.sh read-write   back to read-write if a run left the registry read-only
# Kept in every repository: each digest a stack references (the list `pulumi up` writes to
# $DIR/referenced: `repo@sha256:...` or `repo:tag` lines) and the KEEP most recently created
# others (the image config's `created`; ties by digest). A digest whose date cannot be read (a
# manifest list, a schema1 manifest) is kept. Only tagged digests are seen: the 2.8 API lists no
# untagged manifest, and they are kept (no --delete-untagged, see below).
# Files (root-only, written by `pulumi up`): $DIR/settings (REGISTRY_URL, CONTAINER, KEEP,
# CACERT), $DIR/curl.conf (the credentials as a curl config: never on a command line).
set -euo pipefail
shopt -s inherit_errexit # a failed API call inside $(...) ends the run before anything is deleted
umask 077
DIR=${DOCKFLEET_GC_DIR:-/etc/dockfleet/registry-gc}
# On /run: a reboot in the middle of a run clears it, and the registry starts read-write.
FLAG_DIR=${DOCKFLEET_GC_FLAG_DIR:-/run/dockfleet-registry-gc}
UP_TIMEOUT=${DOCKFLEET_GC_UP_TIMEOUT:-120}
ACCEPT=(-H 'Accept: application/vnd.docker.distribution.manifest.v2+json'
    -H 'Accept: application/vnd.oci.image.manifest.v1+json'
    -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json'
    -H 'Accept: application/vnd.oci.image.index.v1+json')

gc_say() { echo "dockfleet-registry-gc: $*" >&2; }

for c in curl jq docker date; do
    command -v "$c" >/dev/null 2>&1 || { gc_say "needs $c on this host (apt-get install curl jq)"; exit 1; }
done
REGISTRY_URL='' CONTAINER='' KEEP='' CACERT=''
# shellcheck source=/dev/null
. "$DIR/settings"
case "$KEEP" in '' | *[!0-9]*) gc_say "KEEP must be a whole number, got '$KEEP'"; exit 1 ;; esac

api() {
    local ca=()
    [ -z "$CACERT" ] || ca=(--cacert "$CACERT")
    curl -sS --fail --max-time 60 -K "$DIR/curl.conf" "${ca[@]}" "$@"
}

# The lines jq's FILTER makes of every page of PATH (the registry pages with a Link header).
paged() {
    local next=$1 filter=$2 hdr body
    hdr=$(mktemp)
    while [ -n "$next" ]; do
        body=$(api -D "$hdr" "$REGISTRY_URL$next")
        jq -r "$filter" <<<"$body"
        next=$(tr -d '\r' <"$hdr" | sed -n 's/^[Ll]ink: *<\([^>]*\)>.*rel="next".*/\1/p')
    done
    rm -f "$hdr"
}

# "created-ns digest tag" for one tag: the digest the registry names, the date of its config.
tag_line() {
    local repo=$1 tag=$2 hdr body digest cfg created ns=0
    hdr=$(mktemp)
    body=$(api -D "$hdr" "${ACCEPT[@]}" "$REGISTRY_URL/v2/$repo/manifests/$tag")
    digest=$(tr -d '\r' <"$hdr" | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: *//p')
    rm -f "$hdr"
    [ -n "$digest" ] || digest=sha256:$(printf '%s' "$body" | sha256sum | cut -d' ' -f1)
    cfg=$(jq -r '.config.digest // empty' <<<"$body")
    if [ -n "$cfg" ]; then
        created=$(api -L "$REGISTRY_URL/v2/$repo/blobs/$cfg" | jq -r '.created // empty')
        [ -z "$created" ] || ns=$(date -u -d "$created" +%s%N 2>/dev/null || echo 0)
    fi
    echo "$ns $digest $tag"
}

# The rest of each line of the referenced list that starts with PREFIX (exactly, no pattern).
referenced() {
    [ -f "$DIR/referenced" ] || return 0
    awk -v p="$1" 'index($0, p) == 1 { print substr($0, length(p) + 1) }' "$DIR/referenced"
}

# For one repository: "keep|delete digest why" lines, the kept ones first.
plan_repo() {
    local repo=$1 lines ref_digests ref_tags d ns why kept=0
    lines=$(paged "/v2/$repo/tags/list?n=1000" '.tags // [] | .[]' | while read -r tag; do tag_line "$repo" "$tag"; done)
    [ -n "$lines" ] || return 0
    ref_digests=$(referenced "$repo@")
    ref_tags=$(referenced "$repo:")
    # one line per digest: its newest date, the tags naming it
    sort -k2,2 -k1,1nr <<<"$lines" | awk '{ if ($2 != d) { if (d != "") print n, d, t; n = $1; d = $2; t = $3 } else t = t "," $3 } END { print n, d, t }' |
        sort -k1,1nr -k2,2 | while read -r ns d tags; do
        why=''
        if grep -qxF "$d" <<<"$ref_digests"; then why=referenced; fi
        if [ -z "$why" ] && [ -n "$ref_tags" ] && tr ',' '\n' <<<"$tags" | grep -qxFf <(printf '%s\n' "$ref_tags"); then why="referenced by tag"; fi
        if [ -z "$why" ] && [ "$ns" = 0 ]; then why="no date"; fi
        if [ -z "$why" ] && [ "$kept" -lt "$KEEP" ]; then kept=$((kept + 1)); why="newest $kept of $KEEP"; fi
        if [ -n "$why" ]; then echo "keep $d $why ($tags)"; else echo "delete $d ($tags)"; fi
    done
}

plan_all() {
    local repo
    paged "/v2/_catalog?n=1000" '.repositories // [] | .[]' | while read -r repo; do
        plan_repo "$repo" | sed "s|^|$repo |"
    done
}

wait_up() {
    local i=0 code
    while :; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -K "$DIR/curl.conf" ${CACERT:+--cacert "$CACERT"} "$REGISTRY_URL/v2/" || true)
        [ "$code" = 200 ] && return 0
        i=$((i + 1))
        [ "$i" -lt "$UP_TIMEOUT" ] || { gc_say "the registry did not answer /v2/ within ${UP_TIMEOUT}s (last: $code)"; return 1; }
        sleep 1
    done
}

# The registry container's entrypoint exports storage.maintenance.readonly while the flag exists;
# a restart applies it. Pushes then get 405 (clean, retried by the operator), pulls go on.
read_only() {
    mkdir -p "$FLAG_DIR"
    : >"$FLAG_DIR/readonly"
    docker restart "$CONTAINER" >/dev/null
    wait_up
    gc_say "registry read-only"
}

read_write() {
    [ -e "$FLAG_DIR/readonly" ] || return 0
    rm -f "$FLAG_DIR/readonly"
    docker restart "$CONTAINER" >/dev/null && wait_up && gc_say "registry read-write again"
}

run() {
    local plan repo action d rest deleted=0 kept=0
    plan=$(plan_all)
    while read -r repo action d rest; do
        [ -n "$repo" ] || continue
        if [ "$action" = delete ]; then
            api -X DELETE -o /dev/null "$REGISTRY_URL/v2/$repo/manifests/$d"
            gc_say "$repo: deleted $d $rest"
            deleted=$((deleted + 1))
        else
            kept=$((kept + 1))
        fi
    done <<<"$plan"
    gc_say "$kept digest(s) kept, $deleted deleted; garbage-collect with the registry read-only"
    # back to read-write whatever happens (a signal too: the EXIT trap runs on `exit`); the
    # unit's ExecStopPost runs `read-write` as well, for a SIGKILL
    trap 'read_write' EXIT
    trap 'exit 1' INT TERM HUP
    read_only
    # No --delete-untagged: it would also delete a referenced digest whose tag moved on and, in
    # 2.8, the platform manifests of every manifest list. The manifests to go were deleted above.
    local log
    log=$(mktemp)
    if ! docker exec "$CONTAINER" /bin/registry garbage-collect /etc/docker/registry/config.yml >"$log" 2>&1; then
        gc_say "garbage-collect failed: $(tail -5 "$log")"
        rm -f "$log"
        exit 1
    fi
    grep -c 'blob eligible for deletion' "$log" | sed 's/^/dockfleet-registry-gc: blobs deleted: /' >&2 || true
    rm -f "$log"
    read_write
    trap - EXIT
    gc_say "done"
}

case "${1:-}" in
    plan) plan_all ;;
    run) run ;;
    read-write) read_write ;;
    *) echo "usage: $0 plan|run|read-write" >&2; exit 2 ;;
esac
