// daemon.json → DaemonConfig: the inverse of daemonJsonObject (daemon-config.ts), from the same key
// table, for adopting hosts whose daemon.json an operator wrote. `canonicalDaemonJson` is the
// comparison the apply script makes for its restart decision (apply-docker-config.sh json_canon).
import { DaemonKey, KEY_BY_NAME, SAME_AS_ABSENT, unknownKeyHint } from "./daemon-keys";
import { DaemonConfig } from "./daemon-config";

export interface ParsedDaemon {
    config: DaemonConfig;
    /** One message per key that cannot be modelled (unknown key, wrong shape); empty when all is well. */
    errors: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");

/** The model value of one table key from its daemon.json value, or a problem. */
function modelValue(d: DaemonKey, v: unknown): { value: unknown } | { problem: string } {
    switch (d.kind) {
        case "boolean": return typeof v === "boolean" ? { value: v } : { problem: "must be true or false" };
        case "integer": return Number.isInteger(v) ? { value: v } : { problem: "must be a whole number" };
        case "string": return typeof v === "string" ? { value: v } : { problem: "must be a string" };
        case "strings": return isStrings(v) ? { value: [...v] } : { problem: "must be a list of strings" };
        case "labels": {
            if (!isStrings(v) || v.some((l) => !l.includes("="))) return { problem: 'must be a list of "key=value" strings' };
            const m: Record<string, string> = {};
            for (const l of v) {
                const i = l.indexOf("=");
                if (l.slice(0, i) in m) return { problem: `names label "${l.slice(0, i)}" twice` };
                m[l.slice(0, i)] = l.slice(i + 1);
            }
            return { value: m };
        }
        case "stringMap":
            return isObject(v) && Object.values(v).every((x) => typeof x === "string") ? { value: { ...v } } : { problem: "must be an object of strings" };
        case "boolMap":
            return isObject(v) && Object.values(v).every((x) => typeof x === "boolean") ? { value: { ...v } } : { problem: "must be an object of true/false" };
        case "addressPools": return Array.isArray(v) && v.every(isObject) ? { value: v } : { problem: "must be a list of {base, size}" };
        case "model": return { problem: "is read with the tls keys" };
        default: return isObject(v) ? { value: v } : { problem: "must be an object" };
    }
}

const TLS_KEYS = ["tls", "tlsverify", "tlscacert", "tlscert", "tlskey"];

/**
 * Parses a daemon.json object into the typed model, key by key from the table: `labels` lists
 * become maps, `tls*` the `tls` field, `dm.*` entries stay in `storageOpts`. Every key that is
 * not in the table (or left out on purpose, e.g. `proxies`, `graph`) is an error naming it.
 */
export function parseDaemonJson(json: unknown): ParsedDaemon {
    const errors: string[] = [];
    const config: Record<string, unknown> = {};
    if (!isObject(json)) return { config: {}, errors: ["is not a JSON object"] };
    for (const [key, v] of Object.entries(json)) {
        if (TLS_KEYS.includes(key)) continue;
        const d = KEY_BY_NAME.get(key);
        if (!d) {
            const hint = unknownKeyHint(key);
            errors.push(`key "${key}" is not a daemon.json key dockfleet models${hint && !hint.includes("daemon.json spelling") ? `: ${hint}` : ""}`);
            continue;
        }
        const r = modelValue(d, v);
        if ("problem" in r) errors.push(`key "${key}" ${r.problem}, got ${JSON.stringify(v)}`);
        else config[d.field] = r.value;
    }
    const tls = TLS_KEYS.filter((k) => k in json);
    if (tls.length > 0) {
        const j = json as Record<string, unknown>;
        const paths = ["tlscacert", "tlscert", "tlskey"].map((k) => j[k]);
        if (j.tls !== true || !paths.every((p) => typeof p === "string") || !(j.tlsverify === undefined || typeof j.tlsverify === "boolean")) {
            errors.push(`keys ${tls.map((k) => `"${k}"`).join(", ")}: dockfleet models TLS as "tls": true with "tlscacert", "tlscert", "tlskey" (and "tlsverify"); write them together`);
        } else {
            // no tlsverify: dockerd does not verify clients; dockfleet writes that as "tlsverify": false
            config.tls = { caCert: paths[0], cert: paths[1], key: paths[2], ...(j.tlsverify !== true ? { verify: false } : {}) };
        }
    }
    return { config: config as DaemonConfig, errors };
}

function sortDeep(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(sortDeep);
    if (isObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortDeep(v[k])]));
    return v;
}

/**
 * The settings of a daemon.json as the apply script compares them: keys sorted deeply, `labels`
 * sorted, and the always-written keys dropped when at their default (the same as absent). Two
 * files with the same canonical form restart nothing.
 */
export function canonicalDaemonJson(json: unknown): string {
    if (!isObject(json)) return JSON.stringify(json);
    const o: Record<string, unknown> = { ...json };
    if (Array.isArray(o.labels)) o.labels = [...o.labels].sort();
    for (const [key, value] of Object.entries(SAME_AS_ABSENT)) {
        if (key in o && JSON.stringify(o[key]) === JSON.stringify(value)) delete o[key];
    }
    return JSON.stringify(sortDeep(o));
}
