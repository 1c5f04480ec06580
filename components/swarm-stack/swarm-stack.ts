import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { componentContext, reportIssues } from "../common/report";
import { renderCompose, renderNetwork, renderService } from "./render";
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

/** The stack with every service's image resolved (FleetImage digests are Outputs), for renderCompose. */
function resolvedImages(args: SwarmStackArgs): pulumi.Output<SwarmStackArgs> {
    const images = pulumi.all(Object.fromEntries(Object.entries(args.services).map(([n, s]) => [n, s.image])) as Record<string, pulumi.Input<string>>);
    return images.apply((img) => ({ ...args, services: Object.fromEntries(Object.entries(args.services).map(([n, s]) => [n, { ...s, image: img[n] }])) }));
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

    constructor(name: string, args: SwarmStackArgs & { registryAuth?: StackRegistryAuth }, opts?: pulumi.ComponentResourceOptions) {
        super("dockfleet:swarm:SwarmStack", name, {}, opts);
        reportIssues(this, componentContext(`SwarmStack "${args.name}"`), validateSwarmStack(args));

        // args.provider wins; otherwise children inherit opts.provider / opts.providers from this component.
        const childOpts = (extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions => ({
            parent: this, ...(args.provider ? { provider: args.provider } : {}), ...extra,
        });
        for (const net of Object.keys(effectiveNetworks(args))) {
            this.networks[net] = new docker.Network(`${name}-net-${net}`, renderNetwork(args, net), childOpts());
        }
        const networkIds = Object.fromEntries(Object.entries(this.networks).map(([n, r]) => [n, r.id]));
        for (const svc of Object.keys(args.services)) {
            const used = (args.services[svc].networks ?? ["default"]).map((n) => this.networks[n]);
            // like `docker stack deploy --with-registry-auth`: the password is secret in state
            const ra = args.registryAuth;
            const image = args.services[svc].image;
            // a digest known only after its build (an Output) gets the credentials once it names this registry
            const auth = !ra ? {}
                : typeof image === "string" ? (imageFrom(image, ra.serverAddress) ? { auth: { serverAddress: ra.serverAddress, username: ra.username, password: pulumi.secret(ra.password) } } : {})
                : { auth: pulumi.secret(pulumi.all([image, ra.password]).apply(([i, password]) => (imageFrom(i, ra.serverAddress) ? { serverAddress: ra.serverAddress, username: ra.username, password } : undefined))) };
            this.services[svc] = new docker.Service(`${name}-${svc}`, { ...renderService(args, svc, { networkIds }), ...auth }, childOpts({ dependsOn: used, ...(ra ? { additionalSecretOutputs: ["auth"] } : {}) }));
        }

        this.serviceNames = pulumi.all(Object.values(this.services).map((s) => s.name));
        this.networkNames = pulumi.all(Object.values(this.networks).map((n) => n.name));
        this.compose = resolvedImages(args).apply(renderCompose);
        this.registerOutputs({ serviceNames: this.serviceNames, networkNames: this.networkNames, compose: this.compose });
    }
}
