import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { Issue, error } from "../common/issues";
import { effectiveNoProxy } from "../docker-host/dropins";
import type { ProxyArgs } from "../docker-host/docker-host";
import { contextTag } from "./context-tag";

/** Credentials the build host's dockerd pushes with (the registry's login user). */
export interface FleetImageRegistry {
    /** `host:port` of the fleet's registry; the image is `<server>/<name>:<tag>`. Required. */
    server: string;
    /** Default: unset (the build host's own `docker login`). */
    username?: string;
    /** Secret. Default: unset. */
    password?: pulumi.Input<string>;
}

export interface FleetImageArgs {
    /** Repository in the registry, e.g. "gateway" or "team/gateway" (lower case). Required. */
    name: string;
    /** Build context directory, relative to the program's working directory (the project root) or absolute. Required. */
    context: string;
    /** Dockerfile, relative to the context. Default: "Dockerfile". */
    dockerfile?: string;
    /** Stage to build (`--target`). Default: unset (the last stage). */
    target?: string;
    /** Build args (plain values; part of the tag). The proxy args are dockfleet's: see `proxy`. Default: `{}`. */
    args?: Record<string, string>;
    /** Default: "linux/amd64". */
    platform?: string;
    /** Where the image is pushed. Required. */
    registry: FleetImageRegistry;
    /** The fleet's proxy, for RUN steps only (Docker's predefined proxy build args, secret). Default: none. */
    proxy?: ProxyArgs;
}

export const DEFAULT_PLATFORM = "linux/amd64";

/**
 * Docker's predefined build args (docs: "Predefined ARGs"): RUN steps see them as environment
 * variables, yet the builder leaves them out of `docker history` and the image config unless a
 * Dockerfile declares them with ARG. That is the only way the proxy reaches a build here.
 */
export const PROXY_BUILD_ARGS = ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "FTP_PROXY", "ftp_proxy", "ALL_PROXY", "all_proxy"];

/**
 * The proxy as predefined build args: each URL (credentials included) as a pulumi secret, so the
 * state holds it encrypted; NO_PROXY (plain) keeps the fleet's registry direct. Nothing without a proxy.
 */
export function proxyBuildArgs(proxy: ProxyArgs | undefined, registryServer: string): Record<string, pulumi.Input<string>> {
    const out: Record<string, pulumi.Input<string>> = {};
    if (proxy?.httpProxy !== undefined) out.HTTP_PROXY = out.http_proxy = pulumi.secret(proxy.httpProxy);
    if (proxy?.httpsProxy !== undefined) out.HTTPS_PROXY = out.https_proxy = pulumi.secret(proxy.httpsProxy);
    if (Object.keys(out).length > 0) out.NO_PROXY = out.no_proxy = effectiveNoProxy(proxy?.noProxy, [registryServer]).join(",");
    return out;
}

/** `<server>/<name>:<tag>`, the tag from the context's content (contextTag). */
export function imageNameOf(a: FleetImageArgs): { imageName: string; tag: string } {
    const tag = contextTag(a.context, { dockerfile: a.dockerfile ?? "Dockerfile", target: a.target, args: a.args, platform: a.platform ?? DEFAULT_PLATFORM });
    return { imageName: `${a.registry.server}/${a.name}:${tag}`, tag };
}

/**
 * The docker.Image inputs. BuildKit (BuilderBuildKit), not the classic builder: the provider asks
 * dockerd to keep the classic builder's intermediate containers (its Go client sends `rm=0`, and
 * docker.Image has no input for it), and each RUN step's container holds every build arg in its
 * environment, so `docker inspect` on the builder host would show the proxy URL. BuildKit runs
 * steps without containers of the engine and passes the proxy as ExecOp proxy env, kept out of the
 * cache key, `docker history` and the image config; it builds multi-stage Dockerfiles and
 * `target`, with dockerd 20.10's built-in Dockerfile frontend (no frontend image to pull) and
 * base images from the host's own store first.
 * Nothing is built or pushed on preview (buildOnPreview: false): the digest is unknown there, so
 * the preview shows every service using the image as changing.
 */
export function renderImageArgs(a: FleetImageArgs): docker.ImageArgs {
    const { imageName } = imageNameOf(a);
    const args: Record<string, pulumi.Input<string>> = { ...(a.args ?? {}), ...proxyBuildArgs(a.proxy, a.registry.server) };
    return {
        imageName,
        build: {
            context: a.context,
            // the provider resolves the Dockerfile from its working directory, not from the context
            dockerfile: path.join(a.context, a.dockerfile ?? "Dockerfile"),
            builderVersion: "BuilderBuildKit",
            platform: a.platform ?? DEFAULT_PLATFORM,
            ...(a.target !== undefined ? { target: a.target } : {}),
            ...(Object.keys(args).length > 0 ? { args } : {}),
        },
        buildOnPreview: false,
        skipPush: false,
        registry: {
            server: a.registry.server,
            ...(a.registry.username !== undefined ? { username: a.registry.username } : {}),
            ...(a.registry.password !== undefined ? { password: pulumi.secret(a.registry.password) } : {}),
        },
    };
}

/** A repository path: lower-case components separated by `/` (docker reference grammar). */
const REPOSITORY = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks of the Args, the context directory and its Dockerfile included (read from this machine). */
export function validateFleetImage(a: FleetImageArgs, contextDir: string = a.context): Issue[] {
    const issues: Issue[] = [];
    if (typeof a.name !== "string" || !REPOSITORY.test(a.name)) issues.push(error("name", `${JSON.stringify(a.name)} must be a repository name: lower-case letters, digits, separators . _ - and / between components`));
    if (!fs.existsSync(contextDir) || !fs.statSync(contextDir).isDirectory()) {
        issues.push(error("context", `${a.context} is not a directory on this machine`));
    } else {
        const df = a.dockerfile ?? "Dockerfile";
        const full = path.resolve(contextDir, df);
        if (path.relative(contextDir, full).startsWith("..")) issues.push(error("dockerfile", `${df} is outside the context ${a.context}`));
        else if (!fs.existsSync(full) || !fs.statSync(full).isFile()) issues.push(error("dockerfile", `${df} does not exist in ${a.context}`));
    }
    if (a.target !== undefined && (typeof a.target !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(a.target))) issues.push(error("target", `${JSON.stringify(a.target)} must be a stage name`));
    for (const [k, v] of Object.entries(a.args ?? {})) {
        if (PROXY_BUILD_ARGS.includes(k)) issues.push(error(`args.${k}`, "is the fleet's proxy, passed by dockfleet as a secret build arg (dockfleet:httpProxy / httpsProxy / proxy.noProxy); remove it"));
        else if (!ARG_NAME.test(k)) issues.push(error(`args.${k}`, "must be a build-arg name (letters, digits, _)"));
        if (typeof v !== "string") issues.push(error(`args.${k}`, `${JSON.stringify(v)} must be a string (quote numbers and booleans)`));
    }
    if (typeof a.registry?.server !== "string" || !/^[^/\s]+:\d+$/.test(a.registry.server)) issues.push(error("registry.server", `${JSON.stringify(a.registry?.server)} must be the registry's host:port`));
    return issues;
}
