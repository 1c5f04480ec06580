import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { componentContext, reportIssues } from "../common/report";
import { renderCompose, renderNetwork, renderService } from "./render";
import { objectNames, renderConfig, renderSecret, withConfigFiles } from "./secrets";
import { SwarmStackArgs, effectiveNetworks } from "./spec";
import { validateSwarmStack } from "./validate";

/** Credentials the swarm passes to every node that runs a task of an image from this registry. */
export interface StackRegistryAuth {
    /** `host:port`, as the images name it. */
    serverAddress: string;
    username: string;
    /** Secret. */
    password: pulumi.Input<string>;
}

/** Whether `image` is pulled from the registry at `address` (`addr/repo[:tag|@digest]`). */
export const imageFrom = (image: string, address: string) => image.startsWith(`${address}/`);

/**
 * The compose file of the stack with every service's image and every secret/config name resolved
 * (FleetImage digests and names of secret values are Outputs). Only those are awaited: an
 * all() over the args would unwrap the secret env values and make the whole file secret.
 */
function resolvedCompose(args: SwarmStackArgs): pulumi.Output<string> {
    const images = pulumi.all(Object.fromEntries(Object.entries(args.services).map(([n, s]) => [n, s.image])) as Record<string, pulumi.Input<string>>);
    const names = objectNames(args);
    return pulumi.all([images, pulumi.all(names.secrets), pulumi.all(names.configs)]).apply(([img, secrets, configs]) =>
        renderCompose({ ...args, services: Object.fromEntries(Object.entries(args.services).map(([n, s]) => [n, { ...s, image: img[n] }])) }, { secrets, configs }));
}

/**
 * A swarm stack: overlay networks and services named and labelled like `docker stack deploy`
 * (`<stack>_<name>`, `com.docker.stack.namespace=<stack>`), so `docker stack ps/services <stack>`
 * work. Replicated services wait for convergence (all tasks running) on create and update.
 */
export class SwarmStack extends pulumi.ComponentResource {
    /** Full service names (`<stack>_<service>`). */
    public readonly serviceNames: pulumi.Output<string[]>;
    /** Full network names (`<stack>_<net>`). */
    public readonly networkNames: pulumi.Output<string[]>;
    /** Equivalent compose v3.8 file (secrets are `${VAR}` references), for `docker stack deploy -c`. */
    public readonly compose: pulumi.Output<string>;
    public readonly services: Record<string, docker.Service> = {};
    public readonly networks: Record<string, docker.Network> = {};
    /** Swarm secrets by short name (named `<stack>_<name>_<hash>`). */
    public readonly secrets: Record<string, docker.Secret> = {};
    /** Swarm configs by short name (named `<stack>_<name>_<hash>`). */
    public readonly configs: Record<string, docker.ServiceConfig> = {};

    constructor(name: string, stackArgs: SwarmStackArgs & { registryAuth?: StackRegistryAuth }, opts?: pulumi.ComponentResourceOptions) {
        super("dockfleet:swarm:SwarmStack", name, {}, opts);
        reportIssues(this, componentContext(`SwarmStack "${stackArgs.name}"`), validateSwarmStack(stackArgs));
        const args = withConfigFiles(stackArgs);

        // args.provider wins; otherwise children inherit opts.provider / opts.providers from this component.
        const childOpts = (extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions => ({
            parent: this, ...(args.provider ? { provider: args.provider } : {}), ...extra,
        });
        for (const net of Object.keys(effectiveNetworks(args))) {
            this.networks[net] = new docker.Network(`${name}-net-${net}`, renderNetwork(args, net), childOpts());
        }
        const networkIds = Object.fromEntries(Object.entries(this.networks).map(([n, r]) => [n, r.id]));
        // A changed value changes the name, which docker.Secret/ServiceConfig can only replace. The
        // bridged provider asks for delete-before-replace on any explicitly named resource, and
        // docker refuses to delete a secret a service uses (a real-host run failed exactly so);
        // deleteBeforeReplace: false overrides it: the engine creates the new object, updates the
        // services that reference its id, and deletes the old one after them, when none uses it.
        const rotate = childOpts({ deleteBeforeReplace: false });
        for (const n of Object.keys(args.secrets ?? {})) this.secrets[n] = new docker.Secret(`${name}-secret-${n}`, renderSecret(args, n), rotate);
        for (const n of Object.keys(args.configs ?? {})) this.configs[n] = new docker.ServiceConfig(`${name}-config-${n}`, renderConfig(args, n), rotate);
        const ref = (r: docker.Secret | docker.ServiceConfig) => ({ id: r.id, name: r.name });
        const objectRefs = {
            secrets: Object.fromEntries(Object.entries(this.secrets).map(([n, r]) => [n, ref(r)])),
            configs: Object.fromEntries(Object.entries(this.configs).map(([n, r]) => [n, ref(r)])),
        };
        for (const svc of Object.keys(args.services)) {
            const used = (args.services[svc].networks ?? ["default"]).map((n) => this.networks[n]);
            // like `docker stack deploy --with-registry-auth`: the password is secret in state
            const ra = args.registryAuth;
            const image = args.services[svc].image;
            // a digest known only after its build (an Output) gets the credentials once it names this registry
            const auth = !ra ? {}
                : typeof image === "string" ? (imageFrom(image, ra.serverAddress) ? { auth: { serverAddress: ra.serverAddress, username: ra.username, password: pulumi.secret(ra.password) } } : {})
                : { auth: pulumi.secret(pulumi.all([image, ra.password]).apply(([i, password]) => (imageFrom(i, ra.serverAddress) ? { serverAddress: ra.serverAddress, username: ra.username, password } : undefined))) };
            this.services[svc] = new docker.Service(`${name}-${svc}`, { ...renderService(args, svc, { networkIds, objectRefs }), ...auth }, childOpts({ dependsOn: used, ...(ra ? { additionalSecretOutputs: ["auth"] } : {}) }));
        }

        this.serviceNames = pulumi.all(Object.values(this.services).map((s) => s.name));
        this.networkNames = pulumi.all(Object.values(this.networks).map((n) => n.name));
        this.compose = resolvedCompose(args);
        this.registerOutputs({ serviceNames: this.serviceNames, networkNames: this.networkNames, compose: this.compose });
    }
}
