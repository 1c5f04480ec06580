// Reading docker.service drop-ins an operator wrote (adoption): the Environment= assignments and
// ExecStart= lines, with systemd's word rules. The apply script's unit_canon reads them the same way.

/** Splits a systemd value into words: "double" and 'single' quotes, backslash escapes, `%%` → `%`. */
export function systemdWords(value: string): string[] {
    const words: string[] = [];
    let w = "";
    let q = "";
    let have = false;
    for (let i = 0; i < value.length; i++) {
        let c = value[i];
        if (q) {
            if (c === "\\" && i + 1 < value.length) w += value[++i];
            else if (c === q) q = "";
            else w += c;
            continue;
        }
        if (c === '"' || c === "'") { q = c; have = true; continue; }
        if (c === " " || c === "\t") { if (have) { words.push(w); w = ""; have = false; } continue; }
        if (c === "\\" && i + 1 < value.length) c = value[++i];
        w += c;
        have = true;
    }
    if (have) words.push(w);
    return words.map((x) => x.replace(/%%/g, "%"));
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
    for (const raw of text.replace(/\\\n/g, " ").split("\n")) {
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
