import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { createHash } from "crypto";
import { throwOnErrors } from "../common/issues";
import { componentContext, reportIssues } from "../common/report";
import { resourceOwner } from "../common/owner";
import { APPLY_RESTARTED_LINE, ManagedFile, renderApplyCommand, renderBundle } from "./bundle";
import { renderUnlockKeyEntry, validateUnlockKey } from "./autolock";
import { DriftStatus, probeHost, repairMarker } from "./drift";
import { hardenedDaemon } from "./cis";
import { RegistryTrust, registryTrustFiles } from "./registry-trust";
import { DaemonConfig, renderDaemonJson, restartDigest } from "./daemon-config";
import { validateDaemonConfig } from "./daemon-validate";
import {
    DAEMON_JSON_PATH, HOSTS_DROPIN_PATH, PROXY_DROPIN_MODE, PROXY_DROPIN_PATH, PROXY_ENV_MODE, PROXY_ENV_PATH, ProxySettings, redactUrl,
    renderHostsDropIn, renderProxyDropIn, renderProxyEnvFile, validateProxy,
} from "./dropins";

/** Proxy for dockerd. URLs may carry credentials: pass them as secrets (`config.requireSecret`). */
export interface ProxyArgs {
    /** HTTP_PROXY. Default: unset. */
    httpProxy?: pulumi.Input<string>;
    /** HTTPS_PROXY. Default: unset. */
    httpsProxy?: pulumi.Input<string>;
    /** Extra NO_PROXY entries; localhost, 127.0.0.1 and the fleet's registries are always added. Default: `[]`. */
    noProxy?: string[];
}

/** How to apply; shared by every host of a fleet. */
export interface ApplyPolicy {
    /** Seconds to wait for a restart, the API and swarm Ready (busy swarm nodes need up to 60). Default: 60. */
    restartTimeoutSeconds?: number;
    /** Image for the post-restart smoke container; must be present or pullable. `""` disables the smoke test. Default: "busybox:latest". */
    smokeImage?: string;
    /**
     * `missing`: an absent smoke image is pulled after the restart (with the new config's proxy);
     * `never`: it must already be on the host, checked before anything is written (air-gapped
     * hosts: the error names the image, nothing changed). Default: "missing".
     */
    smokePull?: "missing" | "never";
    /** Restart command for hosts without systemd. Default: unset (`systemctl daemon-reload`, `reset-failed`, `restart docker.service`). */
    restartCommand?: string;
    /** Reload command (SIGHUP) used when only hot-reloadable keys changed. Default: `systemctl reload docker.service`. */
    reloadCommand?: string;
    /** Command that prints dockerd's recent log, for hosts without journald. Default: unset (journalctl). */
    logCommand?: string;
    /** ExecStart written when `daemon.hosts` is set (the unit's `-H fd://` must go). Default: "/usr/bin/dockerd --containerd=/run/containerd/containerd.sock". */
    execStart?: string;
    /** What deleting the resource does to the host: put back the pre-dockfleet files, or keep the current ones. Default: "restore". */
    onDelete?: "restore" | "keep";
}

export interface DockerHostArgs extends ApplyPolicy {
    /** SSH connection (host, user, privateKey as a secret). */
    connection: command.types.input.remote.ConnectionArgs;
    /** Name used in messages from the host. Default: the resource name. */
    hostName?: string;
    /** daemon.json model. Default: `{}` (the reloadable keys, empty, and the hardened defaults of cis.ts). */
    daemon?: DaemonConfig;
    /** Proxy drop-in. Default: none (the drop-in is removed). */
    proxy?: ProxyArgs;
    /** Registries of this fleet (host[:port]); added to NO_PROXY. Default: `[]`. */
    fleetRegistries?: string[];
    /** Registries this host trusts by CA (certs.d/<address>/ca.crt). Default: `[]`. */
    registryTrust?: RegistryTrust[];
    /** Docker Engine version on the host, for guards (devicemapper ≥ 25, --validate ≥ 23). Default: unset (the script checks on the host). */
    engineVersion?: string;
    /** The host is a swarm node (live-restore is refused). Default: false. */
    swarm?: boolean;
    /**
     * Ask the host over SSH, on every preview/up, whether its files still match the last verified
     * apply; a hand edit then shows as an update of the apply command (`--repair N files`) and the
     * next up re-applies in place. Default: false.
     */
    driftCheck?: boolean;
    /**
     * With `driftCheck`: what the host already said about its files (the apply script's `status`,
     * `parseStatus`), when the caller asked it together with other probes (one SSH round trip per
     * host). Default: unset (the host is asked here).
     */
    driftStatus?: DriftStatus;
    /**
     * Called with `applyDigest` before the apply command is created; the apply waits for the
     * resources it returns (DockerFleet: the manager's snapshots of the swarm, taken before any
     * host of the batch restarts). Return a plain array (its elements may be promises of one
     * resource each): a promise of the whole array makes the SDK wrap it in Outputs whose values
     * it walks, resource graph and all, once per wrap (quadratic in the fleet's size). Default: none.
     */
    beforeApply?: (applyDigest: pulumi.Output<string>) => pulumi.Input<pulumi.Resource>[];
    /**
     * Who waits, after a restart of a swarm worker, until its tasks serve again: `node` (the apply
     * counts the task containers it had) or `manager` (a manager watches the worker: DockerFleet's
     * serve-wait, which sees a task the swarm restarted on another node; the apply then does not
     * wait for tasks). Managers always wait for their own tasks. Default: "node".
     */
    taskWait?: "node" | "manager";
    /**
     * The swarm's unlock key (swarm autolock), a secret: on a manager the apply checks it before
     * writing anything and unlocks the manager with it after a restart. It travels on the secret
     * stdin only. Default: unset (a locked manager fails the apply, naming the missing key).
     */
    swarmUnlockKey?: pulumi.Input<string>;
}

export const DEFAULT_SMOKE_IMAGE = "busybox:latest";
export const DEFAULT_EXEC_START = "/usr/bin/dockerd --containerd=/run/containerd/containerd.sock";
export const DEFAULT_RESTART_TIMEOUT = 60;

/** Defaults applied in one place. */
export function withHostDefaults(a: DockerHostArgs) {
    return {
        // CIS hardened defaults (cis.ts) for the fields the stack left unset
        daemon: hardenedDaemon(a.daemon ?? {}),
        fleetRegistries: a.fleetRegistries ?? [],
        swarm: a.swarm ?? false,
        restartTimeoutSeconds: a.restartTimeoutSeconds ?? DEFAULT_RESTART_TIMEOUT,
        smokeImage: a.smokeImage ?? DEFAULT_SMOKE_IMAGE,
        execStart: a.execStart ?? DEFAULT_EXEC_START,
        onDelete: a.onDelete ?? "restore",
    };
}

/**
 * The files for one host: public ones (in the command line, shown in diffs) and secret ones (on
 * stdin, secret in state). With a proxy, the drop-in only names the root-only 0600 environment
 * file that holds the variables (credentials). Without the plain values (`proxy` undefined, as
 * for the command line) the secret file is left out.
 */
export function renderHostFiles(daemon: DaemonConfig, execStart: string, hasProxy: boolean, proxy: ProxySettings | undefined, fleetRegistries: string[]) {
    const publicFiles: ManagedFile[] = [
        { path: DAEMON_JSON_PATH, mode: "0644", content: renderDaemonJson(daemon) },
        { path: HOSTS_DROPIN_PATH, mode: "0644", content: renderHostsDropIn(daemon.hosts, execStart) },
        { path: PROXY_DROPIN_PATH, mode: PROXY_DROPIN_MODE, content: renderProxyDropIn(hasProxy) },
    ];
    const secretFiles: ManagedFile[] = [];
    // Without a proxy the env file is removed through the public bundle (nothing secret in "absent").
    if (!hasProxy) publicFiles.push({ path: PROXY_ENV_PATH, mode: PROXY_ENV_MODE });
    else if (proxy) secretFiles.push({ path: PROXY_ENV_PATH, mode: PROXY_ENV_MODE, content: renderProxyEnvFile(proxy, fleetRegistries) });
    return { publicFiles, secretFiles };
}

const hasProxyArgs = (a: DockerHostArgs) => a.proxy?.httpProxy !== undefined || a.proxy?.httpsProxy !== undefined;

/** The proxy URLs as plain strings (the values of ProxyArgs), for rendering the env file in memory. */
export interface PlainProxy {
    httpProxy?: string;
    httpsProxy?: string;
}

/**
 * What a host's apply writes, as its command line carries it: the public files (the bundle on fd
 * 3), the paths of the secret files (on stdin), and the digest of the keys that need a restart
 * (`--reload-digest`). With `plain` (the proxy's URLs), also the secret files as rendered, in
 * memory, to compare with the host's keyed digest. The fleet compares it with what the host says
 * it applied (change-kind.ts): one rendering for both.
 */
export function desiredHostFiles(a: DockerHostArgs, plain?: PlainProxy): { publicFiles: ManagedFile[]; secretPaths: string[]; secretFiles?: ManagedFile[]; reloadDigest: string } {
    const d = withHostDefaults(a);
    const hasProxy = hasProxyArgs(a);
    const proxy = hasProxy && plain ? { httpProxy: plain.httpProxy, httpsProxy: plain.httpsProxy, noProxy: a.proxy?.noProxy } : undefined;
    const { publicFiles, secretFiles } = renderHostFiles(d.daemon, d.execStart, hasProxy, proxy, d.fleetRegistries);
    publicFiles.push(...registryTrustFiles(a.registryTrust ?? []));
    return { publicFiles, secretPaths: hasProxy ? [PROXY_ENV_PATH] : [], ...(proxy ? { secretFiles } : {}), reloadDigest: restartDigest(d.daemon) };
}

/**
 * One Docker host's daemon.json and docker.service drop-ins, applied over SSH by
 * scripts/apply-docker-config.sh (validate, back up, write atomically, restart or reload,
 * health-check, smoke container, swarm Ready, roll back on failure).
 */
export class DockerHost extends pulumi.ComponentResource {
    /** The rendered daemon.json. */
    public readonly daemonJson: pulumi.Output<string>;
    /** What the apply script printed (never contains file contents). */
    public readonly applyLog: pulumi.Output<string>;
    public readonly hostName: string;
    /**
     * A digest of what the apply command runs (its command line and stdin): it changes exactly
     * when the apply runs again. A secret when the stdin is (proxy credentials). The fleet keys
     * the manager's serve-wait around a worker's apply on it.
     */
    public readonly applyDigest: pulumi.Output<string>;
    /** True when the last apply restarted dockerd (its `dockfleet-apply: restarted` line). */
    public readonly restarted: pulumi.Output<boolean>;

    constructor(name: string, args: DockerHostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockfleet:dockerhost:DockerHost", name, {}, opts);
        const d = withHostDefaults(args);
        this.hostName = args.hostName ?? name;
        const ctx = componentContext(`DockerHost "${this.hostName}"`);
        reportIssues(this, ctx, validateDaemonConfig(d.daemon, { engineVersion: args.engineVersion, swarm: d.swarm }));
        const plainProxy = {
            httpProxy: typeof args.proxy?.httpProxy === "string" ? args.proxy.httpProxy : undefined,
            httpsProxy: typeof args.proxy?.httpsProxy === "string" ? args.proxy.httpsProxy : undefined,
            noProxy: args.proxy?.noProxy,
        };
        throwOnErrors(ctx, validateProxy(plainProxy));

        const hasProxy = hasProxyArgs(args);
        const { publicFiles, reloadDigest } = desiredHostFiles(args);
        const cmdOpts = {
            host: this.hostName,
            restartTimeoutSeconds: d.restartTimeoutSeconds,
            smokeImage: d.smokeImage,
            smokePull: args.smokePull,
            restartCommand: args.restartCommand,
            reloadCommand: args.reloadCommand,
            logCommand: args.logCommand,
            reloadDigest,
            owner: resourceOwner(name),
            taskWait: args.taskWait,
        };
        const hasKey = args.swarmUnlockKey !== undefined;
        // The proxy's environment file (and the swarm unlock key) travel on stdin, which is secret
        // in state; only a redacted summary is in the (public) command line so reviewers still see
        // which proxy a host uses.
        const stdin: pulumi.Input<string> | undefined = hasProxy || hasKey
            ? pulumi.secret(
                  pulumi.all([args.proxy?.httpProxy, args.proxy?.httpsProxy, args.swarmUnlockKey]).apply(([http, https, key]) => {
                      let b = "";
                      if (hasProxy) {
                          throwOnErrors(ctx, validateProxy({ httpProxy: http, httpsProxy: https, noProxy: args.proxy?.noProxy }));
                          const rendered = renderHostFiles(d.daemon, d.execStart, true, { httpProxy: http, httpsProxy: https, noProxy: args.proxy?.noProxy }, d.fleetRegistries);
                          b += renderBundle(rendered.secretFiles);
                      }
                      if (key !== undefined) {
                          throwOnErrors(ctx, validateUnlockKey(key));
                          b += renderUnlockKeyEntry(key);
                      }
                      return b;
                  }),
              )
            : undefined;
        const proxySummary = hasProxy
            ? pulumi.all([args.proxy!.httpProxy, args.proxy!.httpsProxy]).apply(([http, https]) =>
                  `# proxy: HTTP_PROXY=${http ? redactUrl(http) : "-"} HTTPS_PROXY=${https ? redactUrl(https) : "-"} (variables in a root-only file, on stdin, secret)\n`,
              )
            : pulumi.output("");
        // The summary is derived from secrets; unsecret it only after redaction.
        const summaryPlain = pulumi.unsecret(proxySummary);
        const bundle = renderBundle(publicFiles);
        const deleteCmd = d.onDelete === "restore"
            ? renderApplyCommand("restore", cmdOpts)
            : renderApplyCommand("forget", cmdOpts);

        // Drift: the host reports whether its files still match the last verified apply. The repair
        // marker is an argument of the apply command, so a hand edit is a plain update (never a
        // replace: upstream pulumi-command replaces on `triggers`), and it stays stable once repaired.
        const repair: pulumi.Output<string> = args.driftCheck
            ? pulumi.unsecret(pulumi.output(args.connection).apply(async (c) => {
                  const st = args.driftStatus ?? await probeHost({ host: c.host, port: c.port, user: c.user, privateKey: c.privateKey, hostKey: c.hostKey, insecureIgnoreHostKey: c.hostKey === undefined });
                  if (st.kind === "drift") {
                      pulumi.log.warn(`DockerHost "${this.hostName}": files changed outside dockfleet since the last apply (${st.files.join(", ")}); the next up re-applies and verifies them`, this);
                  }
                  if (st.kind === "unknown") pulumi.log.warn(`DockerHost "${this.hostName}": drift check failed (${st.reason}); continuing without it`, this);
                  return repairMarker(st);
              }))
            : pulumi.output("");
        const applyCmd = (op: "create" | "update") => pulumi.all([summaryPlain, repair]).apply(([s, r]) =>
            (r ? `# drift repair ${r}\n` : "") +
            s + renderApplyCommand("apply", { ...cmdOpts, op, repair: r || undefined }, bundle));

        this.applyDigest = pulumi.all([applyCmd("update"), pulumi.output(stdin ?? "")]).apply(([c, i]) =>
            createHash("sha256").update(c).update("\0").update(i).digest("hex").slice(0, 16));
        const gate = args.beforeApply?.(this.applyDigest);

        const apply = new command.remote.Command(`${name}-apply`, {
            connection: args.connection,
            create: applyCmd("create"),
            update: applyCmd("update"),
            delete: deleteCmd,
            stdin,
            addPreviousOutputInEnv: false,
        }, { parent: this, ...(gate ? { dependsOn: gate } : {}), customTimeouts: { create: `${d.restartTimeoutSeconds * 6}s`, update: `${d.restartTimeoutSeconds * 6}s`, delete: `${d.restartTimeoutSeconds * 6}s` } });

        this.daemonJson = pulumi.output(renderDaemonJson(d.daemon));
        this.restarted = apply.stdout.apply((o) => (o ?? "").split("\n").includes(APPLY_RESTARTED_LINE));
        this.applyLog = pulumi.all([apply.stdout, apply.stderr]).apply(([o, e]) => [o, e].filter((x) => x).join("\n"));
        this.registerOutputs({ daemonJson: this.daemonJson, applyLog: this.applyLog });
    }
}
