// The hosts' probe, started by program.js before the SDK, the plugins' SDKs and the components load
// (about 0.7 s of module loading on the 2-core test machine, during which the probe's SSH round
// trips would otherwise not have begun). It reads the config the program reads, PULUMI_CONFIG,
// which the Node.js language host sets, and loads no SDK code. The program takes its result only
// when its own validated config asks the same hosts the same way (probeKey); otherwise it probes
// itself, so a config the loader would refuse or change never decides what the program sees.
import { createHash } from "crypto";
import { members, SwarmHost } from "../components/swarm/plan";
import type { LoadedConfig } from "./load";
import { NAMESPACE } from "./names";
import { Observed, observeHosts } from "./observe";
import { parseConfigValue } from "./values";
import { resolveHostKeys } from "./host-keys";

interface ProbeInputs {
    hosts: unknown;
    ssh: unknown;
    rollout: unknown;
    sshPrivateKey?: string;
}

let early: { key: string; swarm: boolean; result: Promise<Observed | undefined> } | undefined;

/** Probes are off for this config (rollout.driftCheck: false) or this process (DOCKFLEET_NO_DRIFT_CHECK=1). */
export const probesOff = (rollout: unknown, env: NodeJS.ProcessEnv): boolean =>
    env.DOCKFLEET_NO_DRIFT_CHECK === "1" || (typeof rollout === "object" && rollout !== null && (rollout as { driftCheck?: unknown }).driftCheck === false);

/**
 * What decides the probe's answer: each host's name, address, port and role, the SSH user, port and
 * key, the probe's limits (time, reuse, concurrency). Equal keys ask the same hosts the same way.
 */
export function probeKey(i: ProbeInputs): string {
    const obj = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {});
    const hosts = Array.isArray(i.hosts) ? i.hosts.map((h) => ({ name: obj(h).name, address: obj(h).address, port: obj(h).port, role: obj(h).role, hostKey: obj(h).hostKey })) : null;
    const ssh = obj(i.ssh);
    const rollout = obj(i.rollout);
    return JSON.stringify({
        hosts,
        ssh: { user: ssh.user, port: ssh.port, privateKeyPath: ssh.privateKeyPath, insecureIgnoreHostKeys: ssh.insecureIgnoreHostKeys },
        limits: { timeout: rollout.probeTimeoutSeconds, reuse: rollout.probeReuseSeconds, concurrency: rollout.probeConcurrency },
        key: createHash("sha256").update(i.sshPrivateKey ?? "").digest("hex"),
    });
}

/**
 * Starts the probe from the raw config in `env` (every host: the drift status, and the swarm state
 * of swarm members). Never throws and never logs: a config it cannot read starts nothing, and the
 * program probes as before.
 */
export function startEarlyProbe(env: NodeJS.ProcessEnv = process.env): void {
    early = undefined;
    try {
        if (!env.PULUMI_CONFIG) return;
        const all = JSON.parse(env.PULUMI_CONFIG) as Record<string, string>;
        const get = (k: string) => {
            // the SDK's own key forms: "dockfleet:hosts" and the older "dockfleet:config:hosts"
            const v = all[`${NAMESPACE}:${k}`] ?? all[`${NAMESPACE}:config:${k}`];
            return typeof v === "string" ? parseConfigValue(v) : undefined;
        };
        const inputs: ProbeInputs = { hosts: get("hosts"), ssh: get("ssh") ?? {}, rollout: get("rollout") ?? {} };
        const key = get("sshPrivateKey");
        if (typeof key === "string") inputs.sshPrivateKey = key;
        if (!Array.isArray(inputs.hosts) || inputs.hosts.length === 0 || probesOff(inputs.rollout, env)) return;
        if (!(inputs.hosts as unknown[]).every((h) => typeof h === "object" && h !== null && typeof (h as SwarmHost).name === "string" && typeof (h as SwarmHost).address === "string")) return;
        // each host's key as the loader resolves it (hostKey, else ssh.knownHostsPath's entry)
        const hosts = resolveHostKeys("", inputs.hosts as SwarmHost[], inputs.ssh as Parameters<typeof resolveHostKeys>[2]).hosts;
        inputs.hosts = hosts;
        if (!inputs.sshPrivateKey && typeof (inputs.ssh as { privateKeyPath?: unknown }).privateKeyPath !== "string") return;
        const swarm = members(hosts).length > 0;
        const cfg = { config: { hosts, ssh: inputs.ssh, rollout: inputs.rollout }, secrets: { sshPrivateKey: inputs.sshPrivateKey } } as unknown as LoadedConfig;
        // a failure here (an unreadable key file) is the program's to report: it probes again itself
        const result = observeHosts(cfg, swarm, true).catch(() => undefined);
        early = { key: probeKey(inputs), swarm, result };
    } catch {
        early = undefined;
    }
}

/**
 * The early probe's answer for this validated config, trimmed to what the program asks (`swarm`,
 * `drift`); when it asked something else, none ran, or it failed: the program's own probe
 * (observeHosts). Taken once.
 */
export function takeEarlyProbe(cfg: LoadedConfig, swarm: boolean, drift: boolean): Promise<Observed> {
    const e = early;
    early = undefined;
    const own = () => observeHosts(cfg, swarm, drift);
    const c = cfg.config;
    if (!e || (swarm && !e.swarm) || probeKey({ hosts: c.hosts, ssh: c.ssh ?? {}, rollout: c.rollout ?? {}, sshPrivateKey: cfg.secrets.sshPrivateKey }) !== e.key) return own();
    return e.result.then((o) =>
        o === undefined
            ? own()
            : {
                  ...(swarm ? { swarm: o.swarm, ...(o.live ? { live: o.live } : {}) } : {}),
                  ...(drift ? { drift: o.drift } : {}),
                  ...(o.hostKeys ? { hostKeys: o.hostKeys } : {}),
              },
    );
}

/** Whether an early probe is waiting to be taken (tests). */
export const earlyProbePending = (): boolean => early !== undefined;
