// dockfleet: read the typed stack config, build the components, export what operators look at.
// Async: the hosts are asked about swarm membership and drift before anything is registered.
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./program/load";
import { readStackConfig } from "./program/read";
import { buildProgram, dockerProviders, observe } from "./program/program";
import { skipUnreadPromiseStacks } from "./program/stack-traces";

// Half of a large program's evaluation was collecting and formatting stacks the SDK never reads (program/stack-traces.ts).
skipUnreadPromiseStacks();

export = async () => {
    const [raw, secretKeys] = readStackConfig();
    // Pulumi.yaml's directory: the program runs compiled from build/program/ (program.js).
    const cfg = loadStackConfig(pulumi.getStack(), raw, secretKeys, pulumi.runtime.getRootDirectory());
    // registered before the probes: the engine starts the docker plugin while they run
    const providers = dockerProviders(cfg);
    const out = buildProgram(cfg, await observe(cfg), providers);
    return {
        managedParts: out.managedParts,
        skippedParts: out.skippedParts,
        restartBatches: out.restartBatches,
        daemonJson: out.daemonJson,
        registryEndpoint: out.registryEndpoint,
        registryCatalogUrl: out.registryCatalogUrl,
        images: out.images,
        swarmServices: out.swarmServices,
        nfsVolumes: out.nfsVolumes,
    };
};
