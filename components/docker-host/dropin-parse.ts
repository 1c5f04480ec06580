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
    /** Directives other than Environment= and ExecStart=, as `Section.Key` (to report what a file does). */
    other: string[];
}

/** Parses a unit drop-in's text (comments, blank lines and line continuations aside). */
export function parseDropIn(text: string): DropIn {
    const out: DropIn = { environment: {}, execStart: [], other: [] };
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
        } else if (section === "Service" && key === "ExecStart") {
            out.execStart.push(value);
        } else {
            out.other.push(`${section}.${key}`);
        }
    }
    return out;
}
