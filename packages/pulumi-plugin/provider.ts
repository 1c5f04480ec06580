// The dockfleet component provider: the Node.js component provider host of @pulumi/pulumi
// (provider/experimental ComponentProvider, what `componentProviderHost` starts) with the schema
// it infers from components.ts, plus `secret: true` on the inputs that carry credentials (the
// analyzer has no way to say so; Pulumi YAML makes the values of such inputs secret).
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import { DockerFleet, SwarmStack } from "./components";

/** The package name: type tokens are `dockfleet:index:<Component>`. */
export const PACKAGE_NAME = "dockfleet";

/** Top-level inputs marked secret in the schema, per component. */
export const SECRET_INPUTS: Record<string, string[]> = {
    DockerFleet: ["sshPrivateKey", "httpProxy", "httpsProxy"],
};

interface SchemaResource { inputProperties?: Record<string, { secret?: boolean }> }

/** Marks SECRET_INPUTS secret in a schema the analyzer inferred; a name it lacks is an error. */
export function markSecretInputs(schema: { resources?: Record<string, SchemaResource> }): void {
    for (const [component, names] of Object.entries(SECRET_INPUTS)) {
        const token = `${PACKAGE_NAME}:index:${component}`;
        const props = schema.resources?.[token]?.inputProperties;
        for (const n of names) {
            if (!props?.[n]) throw new Error(`dockfleet schema: ${token} has no input "${n}" to mark secret`);
            props[n].secret = true;
        }
    }
}

export class DockfleetProvider extends ComponentProvider {
    async getSchema(): Promise<string> {
        const schema = JSON.parse(await super.getSchema());
        markSecretInputs(schema);
        return JSON.stringify(schema);
    }
}

/** The provider over this directory's package.json and tsconfig.json (the analyzer reads both). */
export function createProvider(): DockfleetProvider {
    return new DockfleetProvider({ name: PACKAGE_NAME, dirname: __dirname, components: [DockerFleet, SwarmStack] });
}
