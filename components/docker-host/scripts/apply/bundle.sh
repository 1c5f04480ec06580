# shellcheck shell=bash disable=SC2034,SC2153,SC2154
#% Digests (sha, key, hmac_sha) and parse_bundle: the `=== path mode` bundle text split into DIR/<key>
#% files and DIR/manifest, a daemon.json's facts (`=== @facts path`) into DIR/<key>.facts; the swarm
#% unlock key kept in memory (UNLOCK_KEY).
#% A module of apply-docker-config.sh, joined into it by dev/build-apply-script.js (npm run build:apply).
sha() { if [ -e "$1" ]; then sha256sum <"$1" | cut -d' ' -f1; else echo absent; fi; }
# hmac_sha FILE: HMAC-SHA256 (RFC 2104) of FILE under STATUS_KEY (64 hex digits: the probe's
# one-time key, read from `status`'s stdin), as hex. From sha256sum alone: coreutils is on every
# host, openssl is not a dependency of the script. The key stays in this shell (printf is a
# builtin; the pipes' left sides are forks of it): it is on no command line and in no file.
hmac_sha() {
    local i b x ipad="" opad="" inner esc=""
    for ((i = 0; i < 64; i++)); do
        b=0
        [ "$i" -ge 32 ] || b=$((16#${STATUS_KEY:i*2:2})) # the 32-byte key, zero-padded to the 64-byte block
        printf -v x '\\x%02x' $((b ^ 0x36))
        ipad+=$x
        printf -v x '\\x%02x' $((b ^ 0x5c))
        opad+=$x
    done
    inner=$({ printf '%b' "$ipad"; cat "$1"; } | sha256sum | cut -d' ' -f1)
    for ((i = 0; i < 64; i += 2)); do esc+="\\x${inner:i:2}"; done
    { printf '%b' "$opad"; printf '%b' "$esc"; } | sha256sum | cut -d' ' -f1
}
# Key under which a managed path's copies are stored in the state dir.
key() { printf '%s' "$1" | sha256sum | cut -c1-16; }

# parse_bundle FD DIR: splits a bundle into DIR/<key> files + DIR/manifest ("key mode path"), and
# facts entries into DIR/<key>.facts.
parse_bundle() {
    local fd=$1 dir=$2 line cur="" path mode
    while IFS= read -r line <&"$fd" || [ -n "$line" ]; do
        if [[ "$line" == "=== "* ]]; then
            read -r path mode <<<"${line#=== }"
            if [ "$path" = @swarm-unlock-key ]; then # kept in memory only (unlock_manager)
                [ "$fd" = 0 ] || die "bundle: the swarm unlock key may only come on stdin (the secret bundle)"
                cur=@key; continue
            fi
            if [ "$path" = @facts ]; then # `=== @facts PATH`: the facts of PATH's daemon.json (facts.sh), not a file
                case "$mode" in /*) ;; *) die "bundle: facts for a path that is not absolute: '$mode'" ;; esac
                cur=$(key "$mode").facts
                : >"$dir/$cur"
                continue
            fi
            case "$path" in /*) ;; *) die "bundle: path must be absolute: '$path'" ;; esac
            case "$mode" in absent | [0-7][0-7][0-7] | [0-7][0-7][0-7][0-7]) ;; *) die "bundle: bad mode '$mode' for $path" ;; esac
            cur=$(key "$path")
            printf '%s %s %s\n' "$cur" "$mode" "$path" >>"$dir/manifest"
            : >"$dir/$cur"
        elif [ "$cur" = @key ]; then
            [ -z "$line" ] || UNLOCK_KEY=$line
        elif [ -n "$cur" ]; then
            printf '%s\n' "$line" >>"$dir/$cur"
        elif [ -n "$line" ]; then
            die "bundle: content before the first '=== path mode' header"
        fi
    done
}
