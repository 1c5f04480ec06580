# shellcheck shell=bash disable=SC2034,SC2153,SC2154
#% The canonical form: daemon.json (json_canon, facts.sh) and drop-ins (unit_canon) compared as settings, not
#% bytes (same_settings), so a reformatted file restarts nothing.
#% A module of apply-docker-config.sh, joined into it by dev/build-apply-script.js (npm run build:apply).
# systemd's word rule for Environment= (extract_first_word with EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE,
# then %% -> %): words(v) fills W[1..n] and returns n; at invalid syntax (an unknown escape, a
# trailing backslash, an unbalanced quote) systemd ignores the rest of the line, so the words
# before it are all. Run with LC_ALL=C: escapes are bytes. The same rule as systemdWords in
# dropin-parse.ts; both are held to the vectors in systemd-words.json.
# shellcheck disable=SC2016 # awk source, not shell
SYSTEMD_WORDS_AWK='
    function hexval(s,   i, n, d) {
        n = 0
        for (i = 1; i <= length(s); i++) { d = index("0123456789abcdef", tolower(substr(s, i, 1))); if (d == 0) return -1; n = n * 16 + d - 1 }
        return n
    }
    function utf8(n) {
        if (n < 128) return sprintf("%c", n)
        if (n < 2048) return sprintf("%c%c", 192 + int(n / 64), 128 + n % 64)
        if (n < 65536) return sprintf("%c%c%c", 224 + int(n / 4096), 128 + int(n / 64) % 64, 128 + n % 64)
        return sprintf("%c%c%c%c", 240 + int(n / 262144), 128 + int(n / 4096) % 64, 128 + int(n / 64) % 64, 128 + n % 64)
    }
    function unichar_ok(n) {
        return n < 1114112 && !(n >= 55296 && n < 57344) && !(n >= 64976 && n <= 65007) && n % 65536 < 65534
    }
    # the escape at v[i] (after the backslash): its bytes in UB, its length returned; 0: invalid
    function unescape1(v, i,   c, k, n, p) {
        c = substr(v, i, 1)
        p = index("abfnrtv\\\"\047s", c)
        if (p > 0) { UB = substr("\007\010\014\n\r\t\013\\\"\047 ", p, 1); return 1 }
        if (c == "x" || c == "u" || c == "U") {
            k = c == "x" ? 2 : c == "u" ? 4 : 8
            if (length(substr(v, i + 1, k)) < k) return 0
            n = hexval(substr(v, i + 1, k))
            if (n <= 0) return 0
            if (c == "x") { UB = sprintf("%c", n); return 3 }
            if (!unichar_ok(n)) return 0
            UB = utf8(n); return 1 + k
        }
        if (substr(v, i, 3) ~ /^[0-7][0-7][0-7]$/) {
            n = substr(v, i, 1) * 64 + substr(v, i + 1, 1) * 8 + substr(v, i + 2, 1)
            if (n == 0 || n > 255) return 0
            UB = sprintf("%c", n); return 3
        }
        return 0
    }
    function words(v,   i, c, w, q, n, k, ws) {
        n = 0; i = 1; ws = " \t\n\r"
        for (;;) {
            while (i <= length(v) && index(ws, substr(v, i, 1))) i++
            if (i > length(v)) return n
            w = ""; q = ""
            while (i <= length(v) && (q != "" || !index(ws, substr(v, i, 1)))) {
                c = substr(v, i, 1)
                if (c == "\\") {
                    k = i < length(v) ? unescape1(v, i + 1) : 0
                    if (k == 0) return n
                    w = w UB; i += 1 + k; continue
                }
                i++
                if (q != "" && c == q) q = ""
                else if (q == "" && (c == "\"" || c == "\047")) q = c
                else w = w c
            }
            if (q != "") return n
            gsub(/%%/, "%", w); W[++n] = w
        }
    }
'

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
    out=$(LC_ALL=C awk -v envmap="$envmap" "$SYSTEMD_WORDS_AWK"'
        function flush_env(sec,   k) { for (k in env) if (index(k, sec SUBSEP) == 1) delete env[k] }
        function sortcsv(v,   n, a, i, j, t, o) {
            n = split(v, a, ","); for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j > 0 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
            o = ""; for (i = 1; i <= n; i++) if (a[i] != "") o = o (o == "" ? "" : ",") a[i]; return o
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
        # one logical line (systemd config_parse): comment lines dropped, also inside a
        # continuation; a line ending in an unescaped backslash goes on, the backslash a space
        /^[ \t\r]*[#;]/ { next }
        {
            cont = cont $0
            if (match(cont, /\\+$/) && RLENGTH % 2 == 1) { cont = substr(cont, 1, length(cont) - 1) " "; next }
            directive(cont); cont = ""
        }
        function directive(line,   eq, key, val, opt, n, i, w, e, name, v) {
            sub(/^[ \t]+/, "", line); sub(/[ \t]+$/, "", line)
            if (line == "" || line ~ /^[#;]/) return
            if (line ~ /^\[.*\]$/) { sec = line; return }
            eq = index(line, "="); if (eq == 0) { print "L\t" sec "\t" line; return }
            key = substr(line, 1, eq - 1); val = substr(line, eq + 1); sub(/[ \t]+$/, "", key); sub(/^[ \t]+/, "", val)
            if (key == "EnvironmentFile" && val != "") { opt = sub(/^-/, "", val); envfile(sec, val, opt); return }
            if (key != "Environment") { print "L\t" sec "\t" key "=" val; return }
            if (val == "") { flush_env(sec); return }
            n = words(val)
            for (i = 1; i <= n; i++) {
                w = W[i]; e = index(w, "="); if (e == 0) continue
                name = substr(w, 1, e - 1); v = substr(w, e + 1)
                if (name == "NO_PROXY" || name == "no_proxy") v = sortcsv(v)
                env[sec SUBSEP name] = v
            }
        }
        END {
            if (cont != "") directive(cont)
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
