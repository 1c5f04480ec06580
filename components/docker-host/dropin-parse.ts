// Reading docker.service drop-ins an operator wrote (adoption): the Environment= assignments and
// ExecStart= lines, with systemd's word rules. The apply script's unit_canon reads them the same way.

// systemd's WHITESPACE: what separates words.
const WS = " \t\n\r";
const SIMPLE_ESCAPES: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, "\\": 92, '"': 34, "'": 39, s: 32 };

/** systemd's unichar_is_valid: a Unicode scalar value, not a noncharacter. */
function unicharValid(c: number): boolean {
    return c < 0x110000 && (c & 0xfffff800) !== 0xd800 && !(c >= 0xfdd0 && c <= 0xfdef) && (c & 0xfffe) !== 0xfffe;
}

/** systemd's cunescape_one (no NUL): the bytes of the escape at cs[i] (after the backslash) and its length; undefined: invalid. */
function unescapeOne(cs: string[], i: number): { bytes: number[]; len: number } | undefined {
    const c = cs[i];
    if (c in SIMPLE_ESCAPES) return { bytes: [SIMPLE_ESCAPES[c]], len: 1 };
    const digits = (k: number, re: RegExp) => { const s = cs.slice(i + 1, i + 1 + k).join(""); return s.length === k && re.test(s) ? s : undefined; };
    if (c === "x") {
        const h = digits(2, /^[0-9a-fA-F]+$/);
        const n = h === undefined ? 0 : parseInt(h, 16);
        return n > 0 ? { bytes: [n], len: 3 } : undefined;
    }
    if (c === "u" || c === "U") {
        const k = c === "u" ? 4 : 8;
        const h = digits(k, /^[0-9a-fA-F]+$/);
        const n = h === undefined ? 0 : parseInt(h, 16);
        return n > 0 && unicharValid(n) ? { bytes: [...Buffer.from(String.fromCodePoint(n), "utf8")], len: 1 + k } : undefined;
    }
    if (c >= "0" && c <= "7") {
        const o = cs.slice(i, i + 3).join("");
        const n = /^[0-7]{3}$/.test(o) ? parseInt(o, 8) : 0;
        return n > 0 && n <= 255 ? { bytes: [n], len: 3 } : undefined;
    }
    return undefined;
}

/**
 * The words of an Environment= value as systemd takes them (extract_first_word with
 * EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE, then the `%%` specifier): "double" and 'single' quotes
 * anywhere in a word, C escapes in and out of quotes. At invalid syntax (an unknown escape such as
 * `\ `, a trailing backslash, an unbalanced quote) systemd ignores the rest of the line: the words
 * before it stay. The vectors in systemd-words.json hold this to the apply script's awk copy.
 */
export function systemdWords(value: string): string[] {
    const cs = Array.from(value);
    const words: string[] = [];
    let i = 0;
    for (;;) {
        while (i < cs.length && WS.includes(cs[i])) i++;
        if (i >= cs.length) return words;
        const bytes: number[] = [];
        let quote = "";
        while (i < cs.length && (quote || !WS.includes(cs[i]))) {
            const c = cs[i];
            if (c === "\\") {
                const e = i + 1 < cs.length ? unescapeOne(cs, i + 1) : undefined;
                if (!e) return words;
                bytes.push(...e.bytes);
                i += 1 + e.len;
                continue;
            }
            i++;
            if (quote && c === quote) quote = "";
            else if (!quote && (c === '"' || c === "'")) quote = c;
            else bytes.push(...Buffer.from(c, "utf8"));
        }
        if (quote) return words;
        words.push(Buffer.from(bytes).toString("utf8").replace(/%%/g, "%"));
    }
}

/**
 * A unit file's logical lines as systemd's config_parse reads them: a line whose first non-blank
 * character is `#` or `;` is dropped, even inside a continuation; a line ending in an unescaped
 * backslash continues on the next, the backslash becoming a space.
 */
export function unitLines(text: string): string[] {
    const out: string[] = [];
    let cont: string | undefined;
    for (const raw of text.split("\n")) {
        if (/^[ \t\n\r]*[#;]/.test(raw)) continue;
        const p = (cont ?? "") + raw;
        if ((/\\+$/.exec(p)?.[0].length ?? 0) % 2 === 1) { cont = p.slice(0, -1) + " "; continue; }
        out.push(p);
        cont = undefined;
    }
    if (cont !== undefined) out.push(cont);
    return out;
}

export interface DropIn {
    /** `KEY → value` from every Environment= line of [Service], the last assignment winning; an empty Environment= resets. */
    environment: Record<string, string>;
    /** ExecStart= values in order (`""` is the reset line). */
    execStart: string[];
    /** EnvironmentFile= paths of [Service] in order, `-` (optional file) kept; an empty EnvironmentFile= resets. */
    environmentFiles: string[];
    /** Directives other than Environment=, EnvironmentFile= and ExecStart=, as `Section.Key` (to report what a file does). */
    other: string[];
}

/** Parses a unit drop-in's text (comments, blank lines and line continuations aside). */
export function parseDropIn(text: string): DropIn {
    const out: DropIn = { environment: {}, execStart: [], environmentFiles: [], other: [] };
    let section = "";
    for (const raw of unitLines(text)) {
        const line = raw.trim();
        if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
        const sec = /^\[(.+)\]$/.exec(line);
        if (sec) { section = sec[1]; continue; }
        const eq = line.indexOf("=");
        if (eq < 0) continue;
        const key = line.slice(0, eq).trim();
        const value = line.slice(eq + 1).trim();
        if (section === "Service" && key === "Environment") {
            if (value === "") { out.environment = {}; continue; }
            for (const w of systemdWords(value)) {
                const i = w.indexOf("=");
                if (i > 0) out.environment[w.slice(0, i)] = w.slice(i + 1);
            }
        } else if (section === "Service" && key === "EnvironmentFile") {
            if (value === "") out.environmentFiles = [];
            else out.environmentFiles.push(value);
        } else if (section === "Service" && key === "ExecStart") {
            out.execStart.push(value);
        } else {
            out.other.push(`${section}.${key}`);
        }
    }
    return out;
}

/**
 * Parses an environment file as systemd reads one (EnvironmentFile=, env-file.c): `KEY=value` per
 * line, `#`/`;` lines and lines without `=` ignored; in a value, "double quotes" (backslash escapes
 * `"`, `\`, `` ` ``, `$`; before another character the backslash stays), 'single quotes' (literal),
 * unquoted backslash escapes, trailing blanks of unquoted text trimmed, a backslash at the end of
 * a line continues it. The last assignment of a key wins. No specifiers, no `$VAR` expansion.
 */
export function parseEnvFile(text: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const raw of text.replace(/\\\n/g, "").split("\n")) {
        const line = raw.replace(/^[ \t]+/, "");
        if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
        const eq = line.indexOf("=");
        if (eq <= 0) continue;
        const key = line.slice(0, eq).trim();
        let v = "";
        let pendingBlank = "";
        let q = "";
        const rest = line.slice(eq + 1).replace(/^[ \t]+/, "");
        for (let i = 0; i < rest.length; i++) {
            const c = rest[i];
            if (q === "'") { if (c === "'") q = ""; else v += c; continue; }
            if (q === '"') {
                if (c === '"') q = "";
                else if (c === "\\" && i + 1 < rest.length) { const n = rest[++i]; v += '"\\`$'.includes(n) ? n : `\\${n}`; }
                else v += c;
                continue;
            }
            if (c === "'" || c === '"') { v += pendingBlank; pendingBlank = ""; q = c; continue; }
            if (c === " " || c === "\t") { pendingBlank += c; continue; }
            v += pendingBlank; pendingBlank = "";
            if (c === "\\" && i + 1 < rest.length) v += rest[++i];
            else v += c;
        }
        out[key] = v;
    }
    return out;
}
