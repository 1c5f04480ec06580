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
export function loadStacks(raw: Record<string, { composeFile?: string; services?: unknown; networks?: unknown; nfsVolumes?: unknown; tz?: string; convergeTimeout?: string }>, projectRoot: string, imageKeys: ReadonlySet<string> = new Set()) {
    const stacks: StackSpecs = {};
    const problems: { stack: string; issue: Issue }[] = [];
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
        }
        const issues = nest(field, validateSwarmStack(spec));
        for (const issue of issues) problems.push({ stack: name, issue });
        stacks[name] = spec;
        if (Object.keys(stackRefs).length > 0) refs[name] = stackRefs;
    }
    return { stacks, problems, refs, images };
}

/** The stack with each built service's image pinned to its image's digest (`digests` by image key). */
export function pinBuiltImages(spec: SwarmStackArgs, refs: Record<string, string> | undefined, digests: Record<string, pulumi.Input<string>>): SwarmStackArgs {
    if (!refs) return spec;
    const services = Object.fromEntries(Object.entries(spec.services).map(([svc, s]) => [svc, refs[svc] !== undefined ? { ...s, image: digests[refs[svc]] } : s]));
    return { ...spec, services };
}
