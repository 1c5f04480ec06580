import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";

// isConfigSecret is exported by the runtime module but not declared in its typings.
const isConfigSecret = (runtimeConfig as unknown as { isConfigSecret(k: string): boolean }).isConfigSecret;

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

/** The whole `key → value` config of the running stack and the set of keys stored as secrets. */
export function readStackConfig(): [Record<string, unknown>, Set<string>] {
    const all = pulumi.runtime.allConfig();
    const raw: Record<string, unknown> = {};
    const secret = new Set<string>();
    for (const [k, v] of Object.entries(all)) {
        raw[k] = parseConfigValue(v);
        if (isConfigSecret(k)) secret.add(k);
    }
    return [raw, secret];
}
