import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { componentContext, reportIssues } from "../common/report";
import { REGISTRY_FILES, RegistryStorage, S3Storage, SwiftStorage, renderRegistryEnv, validateRegistryHost, validateRegistryStorage } from "./registry-config";
import { renderHtpasswd } from "./htpasswd";
import { tlsSummary } from "./tls";
import { GC_PATHS, gcEntrypoint } from "./gc-config";

type Secretish<T, K extends keyof T> = Omit<T, K> & { [P in K]: pulumi.Input<string> };
/** Storage with its secret fields as Inputs (pass `config.requireSecret(...)`). */
export type RegistryStorageArgs =
    | Secretish<SwiftStorage, "password">
    | Secretish<S3Storage, "secretKey">
    | Extract<RegistryStorage, { kind: "filesystem" }>;

export interface RegistryArgs {
    /** Address clients use to reach the registry (IP or DNS name of the host it runs on). Required. */
    host: string;
    /** Published port. Default: 5000. */
    port?: number;
    /** Registry image. Default: "registry:2.8.3" (the last line with the swift driver). */
    image?: string;
    /** Where blobs live. Required. */
    storage: RegistryStorageArgs;
    /** `http.secret`, shared by every replica behind a load balancer. Secret. Required. */
    httpSecret: pulumi.Input<string>;
    /** Allow `DELETE` of manifests/blobs (needed for garbage collection). Default: false. */
    deleteEnabled?: boolean;
    /** Healthcheck command (Docker CMD form) hitting /v2/. Default: `["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:<port>/v2/"]`. */
    healthcheck?: string[];
    /** Container name. Default: "registry". */
    containerName?: string;
    /** Restart policy. Default: "unless-stopped". */
    restart?: "always" | "unless-stopped" | "on-failure";
    /**
     * Serve HTTPS with this certificate (signed by the fleet CA, naming `host`) and key (secret).
     * Default: unset (plain HTTP; clients need insecure-registries).
     */
    tls?: { cert: string; key: pulumi.Input<string> };
    /** htpasswd users (user → password, secret); needs `tls`. Default: unset (no authentication). */
    users?: pulumi.Input<Record<string, string>>;
    /**
     * Ready for dockfleet's GC job (gc.ts): deletes enabled, and the entrypoint starts the registry
     * read-only while the job's flag exists (a directory of the host bind-mounted read-only). The
     * image needs /bin/sh and /bin/registry (the official image and the sandbox's Debian-built one have both). Default: false.
     */
    gc?: boolean;
}

export const DEFAULT_REGISTRY_IMAGE = "registry:2.8.3";

export function withRegistryDefaults(a: RegistryArgs) {
    const port = a.port ?? 5000;
    return {
        port,
        image: a.image ?? DEFAULT_REGISTRY_IMAGE,
        deleteEnabled: a.deleteEnabled ?? a.gc ?? false,
        // `/` answers 200 without credentials (the API under /v2/ answers 401 with auth on); the
        // probe runs inside the container, against its own certificate.
        healthcheck: a.healthcheck ?? (a.tls
            ? ["CMD", "wget", "-q", "--no-check-certificate", "-O", "/dev/null", `https://127.0.0.1:${port}/`]
            : ["CMD", "wget", "-q", "-O", "/dev/null", `http://127.0.0.1:${port}/v2/`]),
        containerName: a.containerName ?? "registry",
        restart: a.restart ?? "unless-stopped",
    };
}

/**
 * A private Docker registry container on one host. Pass a `docker.Provider` for that host in
 * `opts.provider`. Storage credentials and the HTTP secret only ever travel as secrets.
 */
export class Registry extends pulumi.ComponentResource {
    /** `host:port`, what `docker push` and daemon.json `insecure-registries` use. */
    public readonly endpoint: pulumi.Output<string>;
    /** `http(s)://host:port/v2/_catalog`. */
    public readonly catalogUrl: pulumi.Output<string>;
    public readonly container: docker.Container;

    constructor(name: string, args: RegistryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockfleet:registry:Registry", name, {}, opts);
        const d = withRegistryDefaults(args);
        const s = args.storage;
        const plain = {
            password: s.kind === "swift" && typeof s.password === "string" ? s.password : undefined,
            secretKey: s.kind === "s3" && typeof s.secretKey === "string" ? s.secretKey : undefined,
        };
        const placeholder = { ...s, password: "x", secretKey: "x" } as unknown as RegistryStorage;
        reportIssues(this, componentContext(`Registry "${name}"`), [...validateRegistryHost(args.host, d.port), ...validateRegistryStorage(d.image, placeholder, plain)]);

        if (args.gc && args.deleteEnabled === false) {
            reportIssues(this, componentContext(`Registry "${name}"`), [{ field: "deleteEnabled", severity: "error", message: "is false but gc is on: the GC job deletes manifests through the API" }]);
        }
        if (args.users !== undefined && !args.tls) {
            reportIssues(this, componentContext(`Registry "${name}"`), [{ field: "users", severity: "error", message: "needs tls: basic auth over plain HTTP would send the passwords in clear" }]);
        }
        if (args.tls) {
            let summary: string;
            try { summary = tlsSummary(args.tls.cert, new Date()); } catch (e) {
                reportIssues(this, componentContext(`Registry "${name}"`), [{ field: "tls.cert", severity: "error", message: `is not a PEM certificate (${(e as Error).message})` }]);
                throw e;
            }
            pulumi.log.info(summary, this);
        }

        const secretIn = s.kind === "swift" ? s.password : s.kind === "s3" ? s.secretKey : "";
        const envs = pulumi.secret(
            pulumi.all([secretIn, args.httpSecret]).apply(([secret, httpSecret]) => {
                const storage = { ...s, ...(s.kind === "swift" ? { password: secret } : s.kind === "s3" ? { secretKey: secret } : {}) } as RegistryStorage;
                const env = renderRegistryEnv(storage, { httpSecret, deleteEnabled: d.deleteEnabled, port: d.port, tls: args.tls !== undefined, auth: args.users !== undefined });
                return Object.entries(env).map(([k, v]) => `${k}=${v}`);
            }),
        );

        // The key and htpasswd go into the container's filesystem, not the host's; uploads change
        // (a renewed certificate) replace the container, which holds the name and the port: the
        // old one goes first (measured: about a second without service).
        const uploads = args.tls === undefined ? undefined : pulumi.secret(
            pulumi.all([args.tls.key, args.users ?? {}, args.httpSecret]).apply(([key, users, httpSecret]) => [
                { file: REGISTRY_FILES.cert, content: args.tls!.cert },
                { file: REGISTRY_FILES.key, content: key },
                ...(args.users !== undefined ? [{ file: REGISTRY_FILES.htpasswd, content: renderHtpasswd(users, httpSecret) }] : []),
            ]),
        );

        this.container = new docker.Container(`${name}-container`, {
            name: d.containerName,
            image: d.image,
            envs,
            restart: d.restart,
            ports: [{ internal: d.port, external: d.port }],
            healthcheck: { tests: d.healthcheck, interval: "10s", timeout: "5s", retries: 3, startPeriod: "10s" },
            labels: [{ label: "dockfleet.component", value: "registry" }],
            // The provider must not wait on a pull: images come from the host (or its mirrors).
            mustRun: true,
            ...(uploads ? { uploads } : {}),
            ...(args.gc ? {
                entrypoints: gcEntrypoint(),
                volumes: [{ hostPath: GC_PATHS.flagDir, containerPath: GC_PATHS.flagInContainer, readOnly: true }],
            } : {}),
        }, { parent: this, additionalSecretOutputs: ["envs", "uploads"], deleteBeforeReplace: true });

        this.endpoint = pulumi.output(`${args.host}:${d.port}`);
        this.catalogUrl = pulumi.output(`${args.tls ? "https" : "http"}://${args.host}:${d.port}/v2/_catalog`);
        this.registerOutputs({ endpoint: this.endpoint, catalogUrl: this.catalogUrl });
    }
}
