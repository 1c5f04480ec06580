# shellcheck shell=bash disable=SC2034,SC2153,SC2154
#% The canonical form: daemon.json (json_canon, facts.sh) and drop-ins (unit_canon) compared as settings, not
#% bytes (same_settings), so a reformatted file restarts nothing.
#% A module of apply-docker-config.sh, joined into it by scripts/build-apply-script.js (npm run build:apply).
# Canonical unit drop-in: comments and blank lines dropped, `key=value` trimmed in order, and
# Environment= unquoted (systemd word rules, %% → %) into one sorted `KEY=value` per variable (the
# last assignment wins; an empty Environment= resets), NO_PROXY entries sorted. An EnvironmentFile=
# is replaced by the variables of the file (systemd's env-file syntax; they override Environment=,
# as in systemd), read from $2 (the wanted set's directory) when the set has that path, else from
# the host: a drop-in with the variables inline and one naming a file with the same variables have
# the same settings (a host applied before the root-only env file, or adopted, restarts nothing).
unit_canon() {
    local out envmap="" f k mode p path_
    while read -r f; do
        [ -n "$f" ] || continue
        p=$ROOT$f
        if [ -n "${2:-}" ]; then
            while read -r k mode path_; do
                [ "$path_" = "$f" ] || continue
                if [ "$mode" = absent ]; then p=/nonexistent; else p=$2/$k; fi
            done <"$2/manifest"
        fi
        envmap+="$f"$'\t'"$p"$'\n'
    done < <(sed -n 's/^[[:space:]]*EnvironmentFile[[:space:]]*=[[:space:]]*-\{0,1\}\([^[:space:]]*\).*/\1/p' "$1")
    out=$(awk -v envmap="$envmap" '
        function flush_env(sec,   k) { for (k in env) if (index(k, sec SUBSEP) == 1) delete env[k] }
        function sortcsv(v,   n, a, i, j, t, o) {
            n = split(v, a, ","); for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j > 0 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
            o = ""; for (i = 1; i <= n; i++) if (a[i] != "") o = o (o == "" ? "" : ",") a[i]; return o
        }
        function words(v,   i, c, w, q, have, n) {
            n = 0; w = ""; q = ""; have = 0
            for (i = 1; i <= length(v); i++) {
                c = substr(v, i, 1)
                if (q != "") {
                    if (c == "\\" && i < length(v)) { i++; w = w substr(v, i, 1) } else if (c == q) q = ""; else w = w c
                    continue
                }
                if (c == "\"" || c == "\047") { q = c; have = 1; continue }
                if (c == " " || c == "\t") { if (have) { W[++n] = w; w = ""; have = 0 }; continue }
                if (c == "\\" && i < length(v)) { i++; c = substr(v, i, 1) }
                w = w c; have = 1
            }
            if (have) W[++n] = w
            return n
        }
        # one value of an environment file (systemd env-file.c): quotes, backslash escapes
        function envval(v,   i, c, o, q, blank) {
            o = ""; q = ""; blank = ""
            for (i = 1; i <= length(v); i++) {
                c = substr(v, i, 1)
                if (q == "\047") { if (c == q) q = ""; else o = o c; continue }
                if (q == "\"") {
                    if (c == q) q = ""
                    else if (c == "\\" && i < length(v)) { i++; c = substr(v, i, 1); o = o (index("\"\\`$", c) ? "" : "\\") c }
                    else o = o c
                    continue
                }
                if (c == "\047" || c == "\"") { o = o blank; blank = ""; q = c; continue }
                if (c == " " || c == "\t") { blank = blank c; continue }
                o = o blank; blank = ""
                if (c == "\\" && i < length(v)) { i++; c = substr(v, i, 1) }
                o = o c
            }
            return o
        }
        function envfile(sec, name, optional,   f, line, e, k, v, n, m, i, parts, r) {
            f = ""; n = split(envmap, m, "\n")
            for (i = 1; i <= n; i++) { split(m[i], parts, "\t"); if (parts[1] == name) f = parts[2] }
            # systemd: a missing file fails the start, unless the path starts with "-"
            r = f == "" ? -1 : (getline line < f)
            if (r < 0) { if (!optional) print "L\t" sec "\tEnvironmentFile-unreadable=" name; return }
            if (r == 0) { close(f); return }
            do {
                sub(/^[ \t]+/, "", line)
                if (line == "" || line ~ /^[#;]/) continue
                e = index(line, "="); if (e <= 1) continue
                k = substr(line, 1, e - 1); sub(/[ \t]+$/, "", k); v = substr(line, e + 1); sub(/^[ \t]+/, "", v)
                v = envval(v)
                if (k == "NO_PROXY" || k == "no_proxy") v = sortcsv(v)
                fenv[sec SUBSEP k] = v
            } while ((getline line < f) > 0)
            close(f)
        }
        { sub(/^[ \t]+/, ""); sub(/[ \t]+$/, "") }
        /^$/ || /^[#;]/ { next }
        /^\[.*\]$/ { sec = $0; next }
        {
            eq = index($0, "="); if (eq == 0) { print "L\t" sec "\t" $0; next }
            key = substr($0, 1, eq - 1); val = substr($0, eq + 1); sub(/[ \t]+$/, "", key); sub(/^[ \t]+/, "", val)
            if (key == "EnvironmentFile" && val != "") { opt = sub(/^-/, "", val); envfile(sec, val, opt); next }
            if (key != "Environment") { print "L\t" sec "\t" key "=" val; next }
            if (val == "") { flush_env(sec); next }
            n = words(val)
            for (i = 1; i <= n; i++) {
                w = W[i]; gsub(/%%/, "%", w); e = index(w, "="); if (e == 0) continue
                name = substr(w, 1, e - 1); v = substr(w, e + 1)
                if (name == "NO_PROXY" || name == "no_proxy") v = sortcsv(v)
                env[sec SUBSEP name] = v
            }
        }
        END {
            for (k in fenv) env[k] = fenv[k]
            for (k in env) { split(k, p, SUBSEP); print "E\t" p[1] "\t" p[2] "=" env[k] }
        }
    ' "$1") || return 1
    printf '%s\n' "$out" | grep '^L' || true
    printf '%s\n' "$out" | grep '^E' | LC_ALL=C sort || true
}

# True when the host's PATH has the same settings as NEW (MODE absent: both absent).
same_settings() {
    local new=$1 mode=$2 path=$3 a b
    if [ "$mode" = absent ]; then [ ! -e "$ROOT$path" ]; return; fi
    # an env file may be new on the host (the variables were inline in a drop-in before)
    case "$path" in *.env) ;; *) [ -f "$ROOT$path" ] || return 1 ;; esac
    case "$path" in
        */daemon.json) a=$(json_canon "$new") && b=$(json_canon "$ROOT$path") && [ -n "$a" ] && [ "$a" = "$b" ] ;;
        *.service.d/*.conf) a=$(unit_canon "$new" "$(dirname "$new")") && b=$(unit_canon "$ROOT$path") && [ "$a" = "$b" ] ;;
        *.env)
            # an env file's settings are those of the drop-ins that name it: the same when every
            # wanted drop-in naming it keeps its settings (and at least one names it)
            local k2 m2 p2 named=0
            while read -r k2 m2 p2; do
                case "$p2" in *.service.d/*.conf) ;; *) continue ;; esac
                [ "$m2" != absent ] || continue
                grep -Eq "^[[:space:]]*EnvironmentFile[[:space:]]*=[[:space:]]*-?${path}[[:space:]]*\$" "$(dirname "$new")/$k2" || continue
                named=1
                same_settings "$(dirname "$new")/$k2" "$m2" "$p2" || return 1
            done <"$(dirname "$new")/manifest"
            [ "$named" = 1 ] ;;
        *) return 1 ;;
    esac
}
