import * as fs from "fs";
import * as path from "path";
import { Issue, error, nest } from "../components/common/issues";
import { SwarmStackArgs } from "../components/swarm-stack/spec";
import { validateSwarmStack } from "../components/swarm-stack/validate";
import { importCompose } from "../components/swarm-stack/compose-import";
import { NAMESPACE } from "./names";

export type StackSpecs = Record<string, SwarmStackArgs>;

/** Builds each stack's spec (inline or imported from its compose file) and validates it. */
export function loadStacks(raw: Record<string, { composeFile?: string; services?: unknown; networks?: unknown; nfsVolumes?: unknown; tz?: string; convergeTimeout?: string }>, projectRoot: string) {
    const stacks: StackSpecs = {};
    const problems: { stack: string; issue: Issue }[] = [];
    for (const [name, s] of Object.entries(raw)) {
        const field = `${NAMESPACE}:stacks.${name}`;
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
                spec = importCompose(fs.readFileSync(file, "utf8"), name);
            } catch (e) {
                problems.push({ stack: name, issue: error(`${field}.composeFile`, `${s.composeFile}: ${(e as Error).message}`) });
                continue;
            }
            if (s.tz !== undefined) spec = { ...spec, tz: s.tz };
            if (s.convergeTimeout !== undefined) spec = { ...spec, convergeTimeout: s.convergeTimeout };
        } else {
            spec = { name, services: (s.services ?? {}) as SwarmStackArgs["services"], networks: s.networks as SwarmStackArgs["networks"], nfsVolumes: s.nfsVolumes as SwarmStackArgs["nfsVolumes"], tz: s.tz, convergeTimeout: s.convergeTimeout };
        }
        const issues = nest(field, validateSwarmStack(spec));
        for (const issue of issues) problems.push({ stack: name, issue });
        stacks[name] = spec;
    }
    return { stacks, problems };
}
