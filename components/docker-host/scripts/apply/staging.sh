# shellcheck shell=bash disable=SC2034,SC2153,SC2154
#% Writing a set of files: temp file beside each target, then the renames (stage_set/commit_set),
#% and snapshots of the host's current files into the state dir.
#% A module of apply-docker-config.sh, joined into it by dev/build-apply-script.js (npm run build:apply).
# Temp file beside a target (same directory, so the rename is atomic).
tmp_of() { printf '%s/.%s.dockfleet-tmp' "$(dirname "$1")" "$(basename "$1")"; }

# " (the file system at MOUNT is full: N KiB free)" when ERR is ENOSPC for PATH's directory: the
# operator is told which file system to clear, not only which file failed.
full_fs_note() {
    local err=$1 dir=$2 fs
    case "$err" in *"No space left on device"*) ;; *) return 0 ;; esac
    while [ ! -d "$dir" ] && [ "$dir" != / ]; do dir=$(dirname "$dir"); done
    fs=$(df -Pk "$dir" 2>/dev/null | awk 'NR == 2 {print $6 " is full: " $4 " KiB free"}') || fs=""
    [ -z "$fs" ] || printf ' (the file system at %s)' "$fs"
}

# Phase 1 of installing DIR's set: every new file written as a temp file beside its target (and a
# probe in the directory of a file to remove). A read-only or full directory fails here, before
# any target changed. On failure: the temp files are removed, INSTALL_ERR names the path, return 1.
stage_set() {
    local dir=$1 k mode path dst tmp err
    INSTALL_ERR=""
    while read -r k mode path; do
        dst=$ROOT$path
        tmp=$(tmp_of "$dst")
        if [ "$mode" = absent ]; then
            [ -e "$dst" ] || continue
            err=$({ : >"$tmp" && rm -f "$tmp"; } 2>&1) && continue
            INSTALL_ERR="cannot remove $path: ${err##*: }"
        else
            # a target directory created here gets the usual 0755 (dockfleet's umask is for its own files)
            if err=$({ (umask 022 && mkdir -p "$(dirname "$dst")") && cp "$dir/$k" "$tmp" && chmod "$mode" "$tmp"; } 2>&1); then
                sync "$tmp" 2>/dev/null || true
                continue
            fi
            INSTALL_ERR="cannot write $path: ${err##*: }$(full_fs_note "$err" "$(dirname "$dst")")"
        fi
        rm -f "$tmp" 2>/dev/null || true
        unstage_set "$dir"
        return 1
    done <"$dir/manifest"
}

unstage_set() {
    local k mode path
    while read -r k mode path; do rm -f "$(tmp_of "$ROOT$path")" 2>/dev/null || true; done <"$1/manifest"
}

# Phase 2: the renames (and removals). Returns 1 with INSTALL_ERR naming the path on failure.
commit_set() {
    local dir=$1 k mode path dst err
    while read -r k mode path; do
        dst=$ROOT$path
        if [ "$mode" = absent ]; then
            err=$(rm -f "$dst" 2>&1) || { INSTALL_ERR="cannot remove $path: ${err##*: }"; return 1; }
        else
            err=$(mv -f "$(tmp_of "$dst")" "$dst" 2>&1) || { INSTALL_ERR="cannot replace $path: ${err##*: }"; return 1; }
        fi
    done <"$dir/manifest"
}

install_set() { stage_set "$1" && commit_set "$1"; }

# Copies the current on-host version of every path in MANIFEST into DIR (absent => no file).
snapshot() {
    local manifest=$1 dir=$2 k mode path
    mkdir -p "$dir"
    : >"$dir/manifest.new"
    while read -r k mode path; do
        if [ -e "$ROOT$path" ]; then
            cp -p "$ROOT$path" "$dir/$k"
            printf '%s %s %s\n' "$k" "$(stat -c %a "$ROOT$path")" "$path" >>"$dir/manifest.new"
        else
            rm -f "$dir/$k"
            printf '%s absent %s\n' "$k" "$path" >>"$dir/manifest.new"
        fi
    done <"$manifest"
    # keep entries for paths already in DIR that this manifest does not mention
    if [ -f "$dir/manifest" ]; then
        while read -r k mode path; do
            grep -q " $path\$" "$dir/manifest.new" || printf '%s %s %s\n' "$k" "$mode" "$path" >>"$dir/manifest.new"
        done <"$dir/manifest"
    fi
    mv -f "$dir/manifest.new" "$dir/manifest"
}
