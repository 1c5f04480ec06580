import * as fs from "fs";
import * as path from "path";
import type * as pulumi from "@pulumi/pulumi";
import { Issue, error, nest } from "../components/common/issues";
import { SwarmStackArgs } from "../components/swarm-stack/spec";
import { validateSwarmStack } from "../components/swarm-stack/validate";
import { BUILT_IMAGE, importComposeWithBuilds } from "../components/swarm-stack/compose-import";
import type { ImageConfig } from "./images";
import { NAMESPACE } from "./names";

export type StackSpecs = Record<string, SwarmStackArgs>;
/** Which image (a key of the stack's images) each service runs, by stack and service; their spec image is BUILT_IMAGE. */
export type ImageRefs = Record<string, Record<string, string>>;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Builds each stack's spec (inline or imported from its compose file) and validates it. A service
 * names a built image as `image: { build: <key of dockfleet:images> }`; a compose service's
 * `build:` section becomes an image of its own, keyed `<stack>-<service>` (in `images`, its
 * context relative to the project root).
 */
export function loadStacks(
    raw: Record<string, { composeFile?: string; services?: unknown; networks?: unknown; nfsVolumes?: unknown; configs?: unknown; tz?: string; convergeTimeout?: string }>,
    projectRoot: string, imageKeys: ReadonlySet<string> = new Set(), stackSecrets?: unknown,
) {
    const stacks: StackSpecs = {};
    const problems: { stack: string; issue: Issue }[] = [];
    const values = secretValues(stackSecrets, Object.keys(raw), problems);
    const refs: ImageRefs = {};
    const images: Record<string, ImageConfig & { origin: string }> = {};
    for (const [name, s] of Object.entries(raw)) {
        const field = `${NAMESPACE}:stacks.${name}`;
        const stackRefs: Record<string, string> = {};
        let spec: SwarmStackArgs;
        if (s.composeFile !== undefined) {
            if (s.services !== undefined) {
                problems.push({ stack: name, issue: error(`${field}.services`, "give either composeFile or services, not both") });
                continue;
            }
            const file = path.resolve(projectRoot, s.composeFile);
            if (!fs.existsSync(file)) {
                problems.push({ stack: name, issue: error(`${field}.composeFile`, `${s.composeFile} does not exist (paths are relative to the project root)`) });
                continue;
            }
            try {
                const r = importComposeWithBuilds(fs.readFileSync(file, "utf8"), name);
                spec = r.spec;
                for (const [svc, b] of Object.entries(r.builds)) {
                    const key = `${name}-${svc}`;
                    if (imageKeys.has(key)) problems.push({ stack: name, issue: error(`${field}.composeFile`, `${s.composeFile}: services.${svc}.build is image "${key}", which ${NAMESPACE}:images declares too; rename one`) });
                    const context = path.relative(projectRoot, path.resolve(path.dirname(file), b.context)) || ".";
                    const { name: repo, ...rest } = b;
                    images[key] = { ...rest, context, name: repo ?? key, origin: `${field}.composeFile(${s.composeFile}: services.${svc}.build)` };
                    stackRefs[svc] = key;
                }
            } catch (e) {
                problems.push({ stack: name, issue: error(`${field}.composeFile`, `${s.composeFile}: ${(e as Error).message}`) });
                continue;
            }
            if (s.configs !== undefined) problems.push({ stack: name, issue: error(`${field}.configs`, `give configs in ${s.composeFile} (configs:), not in the stack config`) });
            spec = { ...spec, configs: filesFrom(spec.configs, path.dirname(file), projectRoot, `${field}.composeFile(${s.composeFile}: configs`, name, problems) };
            if (s.tz !== undefined) spec = { ...spec, tz: s.tz };
            if (s.convergeTimeout !== undefined) spec = { ...spec, convergeTimeout: s.convergeTimeout };
        } else {
            const services: Record<string, unknown> = { ...(isObj(s.services) ? s.services : {}) };
            for (const [svc, v] of Object.entries(services)) {
                if (!isObj(v) || !isObj(v.image)) continue;
                const f = `${field}.services.${svc}.image`;
                const b = v.image;
                if (Object.keys(b).join() !== "build" || typeof b.build !== "string") {
                    problems.push({ stack: name, issue: error(f, `must be an image reference such as "nginx:1.25" or { build: <key of ${NAMESPACE}:images> }`) });
                } else if (!imageKeys.has(b.build)) {
                    problems.push({ stack: name, issue: error(`${f}.build`, `"${b.build}" is not a key of ${NAMESPACE}:images (known: ${imageKeys.size ? [...imageKeys].join(", ") : "none"})`) });
                } else {
                    stackRefs[svc] = b.build;
                }
                services[svc] = { ...v, image: BUILT_IMAGE };
            }
            spec = { name, services: (s.services === undefined ? {} : isObj(s.services) ? services : s.services) as SwarmStackArgs["services"], networks: s.networks as SwarmStackArgs["networks"], nfsVolumes: s.nfsVolumes as SwarmStackArgs["nfsVolumes"], tz: s.tz, convergeTimeout: s.convergeTimeout };
            if (s.configs !== undefined) spec.configs = filesFrom(s.configs as SwarmStackArgs["configs"], projectRoot, projectRoot, `${field}.configs`, name, problems);
        }
        if (values[name]) spec = { ...spec, secrets: Object.fromEntries(Object.entries(values[name]).map(([n, value]) => [n, { value }])) };
        // the values come from the --secret key dockfleet:stackSecrets (program.ts wraps them in
        // pulumi.secret), so the component's warning about plain strings does not apply here; the
        // key of their names is the secret dockfleet:stackSecretsKey, which load.ts checks
        const plainValue = (i: Issue) => i.severity === "warning" && /^secrets\.[^.]+\.value$/.test(i.field);
        const issues = nest(field, validateSwarmStack(spec).filter((i) => !plainValue(i) && i.field !== "secretsKey"));
        for (const issue of issues) problems.push({ stack: name, issue });
        stacks[name] = spec;
        if (Object.keys(stackRefs).length > 0) refs[name] = stackRefs;
    }
    return { stacks, problems, refs, images };
}

/** dockfleet:stackSecrets (stack → name → value), checked; problems name the key. */
function secretValues(v: unknown, stackNames: string[], problems: { stack: string; issue: Issue }[]): Record<string, Record<string, string>> {
    if (v === undefined) return {};
    const key = `${NAMESPACE}:stackSecrets`;
    if (!isObj(v)) {
        problems.push({ stack: "*", issue: error(key, "must be a map of stack name to a map of secret name to value") });
        return {};
    }
    const out: Record<string, Record<string, string>> = {};
    for (const [stack, m] of Object.entries(v)) {
        if (!stackNames.includes(stack)) problems.push({ stack, issue: error(`${key}.${stack}`, `is not a stack of ${NAMESPACE}:stacks (known: ${stackNames.join(", ") || "none"})`) });
        else if (!isObj(m)) problems.push({ stack, issue: error(`${key}.${stack}`, "must be a map of secret name to value") });
        else {
            out[stack] = {};
            for (const [n, x] of Object.entries(m)) {
                if (typeof x !== "string" || x === "") problems.push({ stack, issue: error(`${key}.${stack}.${n}`, "must be a non-empty string") });
                else out[stack][n] = x;
            }
        }
    }
    return out;
}

/** Configs with each `file` made absolute (relative to `dir`) and checked to exist; the component reads them when the program runs. */
function filesFrom(configs: SwarmStackArgs["configs"], dir: string, projectRoot: string, field: string, stack: string, problems: { stack: string; issue: Issue }[]): SwarmStackArgs["configs"] {
    if (!isObj(configs)) return configs;
    return Object.fromEntries(Object.entries(configs).map(([n, c]) => {
        if (!isObj(c) || typeof c.file !== "string") return [n, c];
        const file = path.resolve(dir, c.file);
        if (!fs.existsSync(file)) problems.push({ stack, issue: error(`${field}.${n}.file${field.includes("(") ? ")" : ""}`, `${path.relative(projectRoot, file)} does not exist`) });
        return [n, { ...c, file }];
    }));
}

/** The stack with each built service's image pinned to its image's digest (`digests` by image key). */
export function pinBuiltImages(spec: SwarmStackArgs, refs: Record<string, string> | undefined, digests: Record<string, pulumi.Input<string>>): SwarmStackArgs {
    if (!refs) return spec;
    const services = Object.fromEntries(Object.entries(spec.services).map(([svc, s]) => [svc, refs[svc] !== undefined ? { ...s, image: digests[refs[svc]] } : s]));
    return { ...spec, services };
}
