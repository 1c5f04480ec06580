// The Engine versions of a stack's hosts, from stacks/Pulumi.<stack>.yaml. @pulumi/policy 1.21
// hands an analyzer the stack's tags but not its config, and no resource input carries the
// version, so the pack's entry (index.ts) reads the stack file here and passes the lookup to the
// rules (rules.ts reads no files).
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { EngineVersions } from "./rules";

type Props = Record<string, unknown>;
const versionCache = new Map<string, EngineVersions>();

/** `dockfleet:engineVersion` and per-host `engineVersion` of stacks/Pulumi.<stack>.yaml. */
export function engineVersionsFor(stack: string, stacksDir = path.join(__dirname, "..", "stacks")): EngineVersions {
    const key = `${stacksDir}|${stack}`;
    if (versionCache.has(key)) return versionCache.get(key)!;
    let v: EngineVersions = { hosts: {} };
    try {
        const cfg = (YAML.parse(fs.readFileSync(path.join(stacksDir, `Pulumi.${stack}.yaml`), "utf8"))?.config ?? {}) as Props;
        const hosts = Array.isArray(cfg["dockfleet:hosts"]) ? (cfg["dockfleet:hosts"] as Props[]) : [];
        v = {
            fleet: cfg["dockfleet:engineVersion"] !== undefined ? String(cfg["dockfleet:engineVersion"]) : undefined,
            hosts: Object.fromEntries(hosts.filter((h) => h.engineVersion !== undefined).map((h) => [String(h.name), String(h.engineVersion)])),
        };
    } catch {
        // No stack file (a stack created elsewhere): the policy config may still say.
    }
    versionCache.set(key, v);
    return v;
}
