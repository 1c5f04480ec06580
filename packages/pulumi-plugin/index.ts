// Entry of the dockfleet Pulumi plugin (PulumiPlugin.yaml, runtime nodejs): the language host runs
// this file (ts-node) as a provider and the engine talks to it over gRPC (GetSchema, Construct).
// Nothing is exported: a module exporting component classes would make the host start a second,
// plain component provider for them.
import { main } from "@pulumi/pulumi/provider";
import { createProvider } from "./provider";

main(createProvider(), process.argv.slice(2)).catch((err) => {
    console.error(err);
    process.exit(1);
});
