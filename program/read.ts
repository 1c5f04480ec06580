import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { parseConfigValue } from "./values";

// isConfigSecret is exported by the runtime module but not declared in its typings.
const isConfigSecret = (runtimeConfig as unknown as { isConfigSecret(k: string): boolean }).isConfigSecret;

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
