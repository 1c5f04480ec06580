/**
 * Helpers for writing systemd unit files. systemd expands `%` specifiers in most settings and
 * treats `\` and `"` specially inside quoted words, so values from users are escaped here once.
 */

/** Escapes a value for use inside a double-quoted systemd word (Environment=, Exec*=). */
export function quoteSystemdWord(value: string): string {
    if (/[\n\r]/.test(value)) throw new Error(`systemd values cannot contain newlines: ${JSON.stringify(value)}`);
    return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/%/g, "%%")}"`;
}

/** The `Environment="KEY=value"` entry, escaped, as a [key, value] pair for renderUnit. */
export function environmentEntry(key: string, value: string): [string, string] {
    return ["Environment", quoteSystemdWord(`${key}=${value}`)];
}

export interface UnitSection {
    name: string;
    /** Ordered entries; a key may repeat (e.g. `ExecStart=` reset then a value). */
    entries: [string, string][];
}

/** Renders sections in the order given, entries in order, trailing newline. */
export function renderUnit(sections: UnitSection[], headerComment?: string): string {
    const parts: string[] = [];
    if (headerComment) parts.push(headerComment.split("\n").map((l) => `# ${l}`).join("\n"));
    for (const s of sections) {
        if (s.entries.length === 0) continue;
        parts.push([`[${s.name}]`, ...s.entries.map(([k, v]) => `${k}=${v}`)].join("\n"));
    }
    return parts.join("\n\n") + "\n";
}
