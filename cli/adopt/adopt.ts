// The pure part of `npm run adopt`: what was read from each host → the stack file (typed schema)
// and the secret commands. No ssh here (observe.ts reads the hosts), so it is tested by value.
import * as YAML from "yaml";
import { DaemonConfig, renderDaemonJson } from "../../components/docker-host/daemon-config";
import { canonicalDaemonJson, parseDaemonJson } from "../../components/docker-host/daemon-parse";
import { parseDropIn, parseEnvFile } from "../../components/docker-host/dropin-parse";
import { mergeDaemon } from "../../components/docker-host/docker-fleet";
import { ALWAYS_NO_PROXY, DAEMON_JSON_PATH, HOSTS_DROPIN_PATH, PROXY_DROPIN_PATH, effectiveNoProxy } from "../../components/docker-host/dropins";
import { engineVersionIn } from "../../components/common/rules";
import { DAEMON_KEYS } from "../../components/docker-host/daemon-keys";
import { NAMESPACE } from "../../program/names";

/** The keys dockfleet hardens when unset (cis.ts), each with dockerd's own value. */
const HARDENED_KEYS = DAEMON_KEYS.filter((d) => d.dockerdDefault !== undefined);

/** What adopt read from one host (its docker files, engine version, swarm state): not the swarm probe's HostObservation (components/swarm/plan.ts). */
export interface HostReading {
    name: string;
    address: string;
    /** /etc/docker/daemon.json's text; undefined when the file does not exist. */
    daemonJson?: string;
    /** /etc/systemd/system/docker.service.d/*.conf: file name → text. */
    dropins: Record<string, string>;
    /** The files those drop-ins name with EnvironmentFile= that exist: absolute path → text. */
    envFiles?: Record<string, string>;
    /** `docker version --format '{{.Server.Version}}'`, e.g. "24.0.7" or "20.10.24+dfsg1". */
    version: string;
    /** `docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}'`, e.g. "active true". */
    swarm: string;
    /** The host's ed25519 SSH host key as ssh-keyscan read it (and the observation verified): pinned as its hostKey. */
    hostKey?: string;
}

export interface AdoptOptions {
    /** Stack name (for the commands). Default: "adopted". */
    stack?: string;
    /** SSH user written to dockfleet:ssh when not root. Default: "root" (not written). */
    user?: string;
    /** SSH port written to dockfleet:ssh when not 22. Default: 22 (not written). */
    port?: number;
    /** Private key file, written as dockfleet:ssh.privateKeyPath. Default: unset (set the dockfleet:sshPrivateKey secret). */
    keyPath?: string;
}

/** A `pulumi config set --secret` to run; `display` is the command with the value replaced by `<value>`. */
export interface SecretCommand {
    key: string;
    /** The plain value. Never print it. */
    value: string;
    display: string;
}

export interface AdoptResult {
    stackYaml: string;
    /** The `config:` map written (without secrets). */
    config: Record<string, unknown>;
    secretCommands: SecretCommand[];
    /** Things to know (drop-ins left alone, hosts whose first up restarts), one line each, naming the host. */
    notes: string[];
}

/** Everything that keeps a fleet from being adopted, one line per problem naming host and key. */
export class AdoptError extends Error {
    constructor(public readonly problems: string[]) {
        super(`cannot adopt:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    }
}

const PROXY_FILE = PROXY_DROPIN_PATH.split("/").pop()!;
const HOSTS_FILE = HOSTS_DROPIN_PATH.split("/").pop()!;
const PROXY_VARS = ["HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"];
const stable = (v: unknown) => canonicalDaemonJson({ v });

/** Swarm role from `LocalNodeState ControlAvailable`: active+true manager, active worker, else none. */
export function roleOf(swarm: string): "manager" | "worker" | "none" {
    const [state, control] = swarm.trim().split(/\s+/);
    if (state === "active" || state === "locked") return control === "true" || state === "locked" ? "manager" : "worker";
    return "none";
}

interface HostProxy { http?: string; https?: string; noProxy?: string[] }

/**
 * Builds the stack file of an existing fleet: daemon keys common to every host in dockfleet:daemon,
 * the others as per-host `daemon:` overrides, engineVersion per host when they differ, role from the
 * swarm state, the proxy as secret commands (never in the file) and NO_PROXY minus what dockfleet
 * adds itself; drop-ins dockfleet does not manage are named in `notes` and left alone. Throws
 * AdoptError listing every key that cannot be modelled.
 */
export function adoptFromObservations(hosts: HostReading[], o: AdoptOptions = {}): AdoptResult {
    const stack = o.stack ?? "adopted";
    const problems: string[] = [];
    const notes: string[] = [];
    const daemons = new Map<string, DaemonConfig>();
    const hardeningKept = new Map<string, string[]>();
    const originals = new Map<string, unknown>();
    const proxies = new Map<string, HostProxy>();
    const execStarts = new Map<string, string>();
    if (hosts.length === 0) throw new AdoptError(["no hosts given"]);

    for (const h of hosts) {
        let json: unknown = {};
        if (h.daemonJson !== undefined && h.daemonJson.trim() !== "") {
            try {
                json = JSON.parse(h.daemonJson);
            } catch (e) {
                problems.push(`host ${h.name}: ${DAEMON_JSON_PATH} is not valid JSON (${(e as Error).message})`);
                continue;
            }
        }
        const parsed = parseDaemonJson(json);
        problems.push(...parsed.errors.map((e) => `host ${h.name}: ${DAEMON_JSON_PATH}: ${e}`));
        // dockfleet hardens what a stack leaves unset (cis.ts); an adopted host keeps what it runs:
        // dockerd's own value, written explicitly (the same settings: the first up restarts nothing)
        const kept = HARDENED_KEYS.filter((d) => !(d.field in parsed.config));
        if (kept.length > 0) hardeningKept.set(h.name, kept.map((d) => d.key));
        daemons.set(h.name, { ...parsed.config, ...Object.fromEntries(kept.map((d) => [d.field, d.dockerdDefault])) });
        originals.set(h.name, json);

        const proxy: HostProxy = {};
        for (const [file, text] of Object.entries(h.dropins).sort(([a], [b]) => a.localeCompare(b))) {
            const d = parseDropIn(text);
            if (file === PROXY_FILE) {
                // systemd: variables from EnvironmentFile= override Environment= ones
                const env = { ...d.environment };
                for (const ef of d.environmentFiles) {
                    const p = ef.replace(/^-/, "");
                    const body = h.envFiles?.[p];
                    if (body !== undefined) Object.assign(env, parseEnvFile(body));
                    else if (!ef.startsWith("-")) problems.push(`host ${h.name}: docker.service.d/${file} names EnvironmentFile=${p}, which could not be read`);
                }
                const envNames = Object.keys(env);
                const get = (k: string) => env[k] ?? env[k.toLowerCase()];
                proxy.http = get("HTTP_PROXY") || undefined;
                proxy.https = get("HTTPS_PROXY") || undefined;
                const np = get("NO_PROXY");
                if (np !== undefined) proxy.noProxy = np.split(",").map((x) => x.trim()).filter((x) => x);
                const extra = [...envNames.filter((k) => !PROXY_VARS.includes(k.toUpperCase())), ...d.other, ...d.execStart.map(() => "Service.ExecStart")];
                if (extra.length > 0) problems.push(`host ${h.name}: docker.service.d/${file} is dockfleet's proxy drop-in (rewritten with the proxy only) but also sets ${[...new Set(extra)].join(", ")}: move those to another drop-in first`);
                if (envNames.some((k) => k !== k.toUpperCase())) notes.push(`host ${h.name}: docker.service.d/${file} uses lower-case proxy variables; dockfleet writes HTTP_PROXY/HTTPS_PROXY/NO_PROXY (the first up restarts this host)`);
            } else if (file === HOSTS_FILE) {
                const last = d.execStart[d.execStart.length - 1];
                if (last) execStarts.set(h.name, last);
            } else {
                const envNames = Object.keys(d.environment);
                const sets = [...envNames, ...(d.environmentFiles.length ? ["EnvironmentFile"] : []), ...(d.execStart.length ? ["ExecStart"] : []), ...d.other];
                const proxyHere = envNames.filter((k) => PROXY_VARS.includes(k.toUpperCase()));
                notes.push(`host ${h.name}: docker.service.d/${file} is not managed by dockfleet and is left alone${sets.length ? ` (sets ${[...new Set(sets)].join(", ")})` : ""}` +
                    (proxyHere.length ? `; its ${proxyHere.join(", ")} are not adopted (dockfleet's proxy lives in ${PROXY_FILE})` : ""));
            }
        }
        proxies.set(h.name, proxy);
    }

    // One proxy per stack (dockfleet:httpProxy/httpsProxy): every host must agree.
    const proxyKey = (p: HostProxy) => stable({ http: p.http ?? null, https: p.https ?? null, no: [...new Set(p.noProxy ?? [])].sort() });
    const proxyGroups = new Map<string, string[]>();
    for (const h of hosts) if (proxies.has(h.name)) proxyGroups.set(proxyKey(proxies.get(h.name)!), [...(proxyGroups.get(proxyKey(proxies.get(h.name)!)) ?? []), h.name]);
    if (proxyGroups.size > 1) {
        problems.push(`the hosts disagree on the proxy drop-in (${[...proxyGroups.values()].map((g) => g.join(", ")).join(" vs ")}; values hidden): dockfleet has one proxy per stack, so adopt them as separate stacks or align ${PROXY_FILE} first`);
    }
    if (hardeningKept.size > 0) {
        const keys = [...new Set([...hardeningKept.values()].flat())];
        notes.push(`dockerd's own ${keys.join(", ")} written as the hosts run them (${[...hardeningKept.keys()].join(", ")}), not dockfleet's hardened defaults (docs/security.md, CIS 2.2/2.14/2.16): remove them from this file to harden (a dockerd restart on each host)`);
    }
    const swarmStates = hosts.map((h) => ({ h, s: h.swarm.trim().split(/\s+/)[0] ?? "" }));
    for (const { h, s } of swarmStates) if (s === "locked") notes.push(`host ${h.name}: the swarm is locked (autolock); adopted as a manager`);
    for (const { h, s } of swarmStates) if (!["active", "inactive", "locked", ""].includes(s)) notes.push(`host ${h.name}: swarm state "${s}"; adopted with role none`);
    if (problems.length > 0) throw new AdoptError(problems);

    // Daemon keys common to every host go to dockfleet:daemon; the rest are per-host overrides.
    const all = hosts.map((h) => daemons.get(h.name)! as Record<string, unknown>);
    const fields = [...new Set(all.flatMap((d) => Object.keys(d)))].sort();
    const common: Record<string, unknown> = {};
    for (const f of fields) {
        if (all.every((d) => f in d && stable(d[f]) === stable(all[0][f]))) common[f] = all[0][f];
    }
    const versions = hosts.map((h) => engineVersionIn(h.version));
    hosts.forEach((h, i) => { if (!versions[i]) notes.push(`host ${h.name}: "docker version" gave no server version (${JSON.stringify(h.version.trim().slice(0, 80))}); engineVersion left unset`); });
    const oneVersion = versions.every((v) => v === versions[0]) ? versions[0] : undefined;

    const hostEntries = hosts.map((h, i) => {
        const d = all[i];
        const override = Object.fromEntries(Object.keys(d).filter((f) => !(f in common)).map((f) => [f, d[f]]));
        return {
            name: h.name,
            address: h.address,
            ...(h.hostKey ? { hostKey: h.hostKey } : {}),
            role: roleOf(h.swarm),
            ...(oneVersion === undefined && versions[i] ? { engineVersion: versions[i] } : {}),
            ...(Object.keys(override).length > 0 ? { daemon: override } : {}),
        };
    });

    const config: Record<string, unknown> = { [`${NAMESPACE}:hosts`]: hostEntries };
    const ssh = { ...(o.user && o.user !== "root" ? { user: o.user } : {}), ...(o.port && o.port !== 22 ? { port: o.port } : {}), ...(o.keyPath ? { privateKeyPath: o.keyPath } : {}) };
    if (Object.keys(ssh).length > 0) config[`${NAMESPACE}:ssh`] = ssh;
    if (oneVersion) config[`${NAMESPACE}:engineVersion`] = oneVersion;
    if (Object.keys(common).length > 0) config[`${NAMESPACE}:daemon`] = common;

    const proxy = proxies.get(hosts[0].name)!;
    const noProxy = (proxy.noProxy ?? []).filter((e, i, a) => !ALWAYS_NO_PROXY.includes(e) && a.indexOf(e) === i);
    if (noProxy.length > 0) config[`${NAMESPACE}:proxy`] = { noProxy };
    const execs = [...new Set(execStarts.values())];
    if (execs.length === 1) config[`${NAMESPACE}:rollout`] = { execStart: execs[0] };
    if (execs.length > 1) notes.push(`hosts disagree on ExecStart in ${HOSTS_FILE} (${execs.join(" | ")}); dockfleet:rollout.execStart is one value: left unset (default), set it by hand`);
    // Membership is left to the operator: adopting must change nothing but how the files are written.
    config[`${NAMESPACE}:parts`] = ["daemon"];

    const secretCommands: SecretCommand[] = [];
    const secret = (key: string, value: string | undefined) => {
        if (!value) return;
        secretCommands.push({ key: `${NAMESPACE}:${key}`, value, display: `pulumi config set --secret ${NAMESPACE}:${key} <value> --stack ${stack}` });
    };
    secret("httpProxy", proxy.http);
    secret("httpsProxy", proxy.https);
    if (!proxy.http && !proxy.https && proxy.noProxy) notes.push(`${PROXY_FILE} sets NO_PROXY without a proxy; dockfleet removes a drop-in without HTTP(S)_PROXY (the first up restarts these hosts)`);

    // What the first `pulumi up` will do per host: nothing unless the rendered settings differ.
    const fleetDaemon = common as DaemonConfig;
    hosts.forEach((h, i) => {
        const rendered = JSON.parse(renderDaemonJson(mergeDaemon(fleetDaemon, hostEntries[i].daemon as Partial<DaemonConfig> | undefined)));
        if (canonicalDaemonJson(rendered) !== canonicalDaemonJson(originals.get(h.name))) {
            notes.push(`host ${h.name}: the rendered daemon.json has different settings from the host's (the first up restarts it)`);
        }
        const p = proxies.get(h.name)!;
        const hadNoProxy = p.noProxy ?? [];
        if ((p.http || p.https) && stable([...new Set(hadNoProxy)].sort()) !== stable([...new Set(effectiveNoProxy(noProxy, []))].sort())) {
            notes.push(`host ${h.name}: NO_PROXY gains ${ALWAYS_NO_PROXY.filter((e) => !hadNoProxy.includes(e)).join(", ")} (dockfleet always adds them; the first up restarts it)`);
        }
    });

    const header = [
        `Adopted by \`npm run adopt\` from ${hosts.length} host(s): ${hosts.map((h) => h.name).join(", ")}.`,
        "Secrets are not in this file; set them with:",
        ...(o.keyPath ? [] : [`  pulumi config set --secret ${NAMESPACE}:sshPrivateKey -- "$(cat ~/.ssh/id_ed25519)" --stack ${stack}`]),
        ...secretCommands.map((c) => `  ${c.display}`),
        "parts: daemon only; add swarm (membership as code) once the roles below are reviewed.",
        ...notes.map((n) => `note: ${n}`),
    ];
    const stackYaml = header.map((l) => `# ${l}`.trimEnd()).join("\n") + "\n" + YAML.stringify({ config }, { lineWidth: 0 });
    return { stackYaml, config, secretCommands, notes };
}
