// Raw stack config values, without the SDK (program/early-probe.ts reads them before it loads).

/** Parses a raw config value: structured values arrive as JSON text, everything else stays a string. */
export function parseConfigValue(v: string): unknown {
    const t = v.trim();
    if (t.startsWith("{") || t.startsWith("[")) {
        try {
            return JSON.parse(t);
        } catch {
            return v;
        }
    }
    return v;
}
