// dockfleet: read the typed stack config, build the components, export what operators look at.
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./config/load";
import { readStackConfig } from "./config/read";
import { buildProgram } from "./config/program";

const [raw, secretKeys] = readStackConfig();
const out = buildProgram(loadStackConfig(pulumi.getStack(), raw, secretKeys, __dirname));

export const managedParts = out.managedParts;
export const skippedParts = out.skippedParts;
export const restartBatches = out.restartBatches;
export const daemonJson = out.daemonJson;
export const registryEndpoint = out.registryEndpoint;
export const registryCatalogUrl = out.registryCatalogUrl;
export const swarmServices = out.swarmServices;
export const nfsVolumes = out.nfsVolumes;
