// Helpers for contract tests: they talk to the sandbox's real hosts over SSH exactly the way the
// remote Command does (the rendered command line + the secret bundle on stdin).
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { track } from "./leaks";
import { takeSuitesLock } from "./suites-lock";
import { ManagedFile, renderApplyCommand, renderBundle } from "../../components/docker-host/bundle";
import { DaemonConfig, renderDaemonJson, restartDigest } from "../../components/docker-host/daemon-config";
import { ProxySettings } from "../../components/docker-host/dropins";
import { renderHostFiles } from "../../components/docker-host/docker-host";

export interface Sandbox {
    hosts: { name: string; address: string; role: string; hostKey?: string }[];
    sshKeyPath: string;
    sshConfigPath: string;
    bridgeAddress: string;
    images: { busybox: string; registry: string };
    swift: { authUrl: string; username: string; password: string; s3Endpoint: string; s3Region: string };
    dockerVersion: string;
}

export const SANDBOX_DIR = process.env.DOCKFLEET_SANDBOX_DIR ?? "/var/lib/dockfleet-sandbox";

export function sandbox(): Sandbox {
    const file = path.join(SANDBOX_DIR, "sandbox.json");
    if (!fs.existsSync(file)) {
        throw new Error(`no sandbox at ${file}: run "npm run sandbox:up" (as root) first; contract tests need real hosts`);
    }
    takeSuitesLock(SANDBOX_DIR); // once per process: no second suite on these hosts meanwhile
    return JSON.parse(fs.readFileSync(file, "utf8")) as Sandbox;
}

/**
 * The 3-manager swarm of the sandbox, repaired first if an earlier suite left it broken (a node
 * out of the swarm, a lost quorum): every suite starts from hosts it controls, and one suite's
 * failure does not become every later suite's. A no-op (about a second) when the swarm is healthy;
 * a repair is printed.
 */
export function settledSwarm(): void {
    const r = spawnSync("bash", [path.join(__dirname, "../sandbox/sandbox.sh"), "swarm"], { encoding: "utf8", timeout: 600000 });
    const unusual = r.stdout.split("\n").filter((l) => l.trim() && !/-> |done in|ready in/.test(l));
    if (unusual.length) console.error(`      sandbox swarm fixture repaired:\n${unusual.map((l) => `        ${l}`).join("\n")}`);
    if (r.status !== 0) throw new Error(`the sandbox swarm fixture could not be repaired (sandbox.sh swarm, exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
}

export interface Run { code: number; stdout: string; stderr: string }

/** Runs `cmd` on `host` through ssh (remote shell = the user's login shell, like the provider). */
export function ssh(host: string, cmd: string, input = "", timeoutMs = 300000): Run {
    const r = spawnSync("ssh", ["-F", sandbox().sshConfigPath, host, cmd], { input, encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    if (r.error) throw r.error;
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Like ssh() but must succeed; returns trimmed stdout. */
export function sh(host: string, cmd: string): string {
    const r = ssh(host, cmd);
    if (r.code !== 0) throw new Error(`ssh ${host} ${cmd} → exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r.stdout.trim();
}

export function sshAsync(host: string, cmd: string): { done: Promise<Run>; kill: () => void } {
    const p = track(spawn("ssh", ["-F", sandbox().sshConfigPath, host, cmd], { stdio: ["pipe", "pipe", "pipe"] }), `ssh ${host} ${cmd.slice(0, 80)}`);
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.stdin.end();
    const done = new Promise<Run>((resolve) => p.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr })));
    return { done, kill: () => p.kill("SIGKILL") };
}

export interface PushOptions {
    proxy?: ProxySettings;
    execStart?: string;
    restartTimeoutSeconds?: number;
    smokeImage?: string;
    /** Default: "missing" (the script's default). */
    smokePull?: "missing" | "never";
    fleetRegistries?: string[];
}

/** The host's files exactly as the DockerHost component renders them (renderHostFiles): [public, secret]. */
export function hostFiles(daemon: DaemonConfig, o: PushOptions = {}): [ManagedFile[], ManagedFile[]] {
    const hasProxy = o.proxy?.httpProxy !== undefined || o.proxy?.httpsProxy !== undefined;
    const f = renderHostFiles(daemon, o.execStart ?? DEBIAN_EXEC_START, hasProxy, o.proxy, o.fleetRegistries ?? []);
    return [f.publicFiles, f.secretFiles];
}

/** Debian docker.io's dockerd, without -H (used when daemon.json sets hosts). */
export const DEBIAN_EXEC_START = "/usr/sbin/dockerd --containerd=/run/containerd/containerd.sock";

/** Pushes a typed daemon config with the product's apply command; returns the script's result. */
export function push(host: string, daemon: DaemonConfig, o: PushOptions = {}): Run {
    const [pub, secret] = hostFiles(daemon, o);
    return pushFiles(host, pub, secret, { ...o, reloadDigest: restartDigest(daemon) });
}

/** Pushes arbitrary files (e.g. a broken daemon.json) with the product's apply command. */
export function pushFiles(host: string, pub: ManagedFile[], secret: ManagedFile[] = [], o: PushOptions & { reloadDigest?: string } = {}): Run {
    const cmd = renderApplyCommand("apply", {
        host,
        restartTimeoutSeconds: o.restartTimeoutSeconds ?? 60,
        smokeImage: o.smokeImage ?? sandbox().images.busybox,
        smokePull: o.smokePull,
        reloadDigest: o.reloadDigest,
    }, renderBundle(pub));
    return ssh(host, cmd, renderBundle(secret));
}

/** push() without blocking the event loop (for tests that sample while a rollout runs). */
export function pushAsync(host: string, daemon: DaemonConfig, o: PushOptions = {}): Promise<Run> {
    const [pub, secret] = hostFiles(daemon, o);
    const cmd = renderApplyCommand("apply", { host, restartTimeoutSeconds: o.restartTimeoutSeconds ?? 60, smokeImage: o.smokeImage ?? sandbox().images.busybox, smokePull: o.smokePull, reloadDigest: restartDigest(daemon) }, renderBundle(pub));
    const p = track(spawn("ssh", ["-F", sandbox().sshConfigPath, host, cmd], { stdio: ["pipe", "pipe", "pipe"] }), `apply on ${host} (pushAsync)`);
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.stdin.end(renderBundle(secret));
    return new Promise((resolve) => p.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

export function restore(host: string): Run {
    return ssh(host, renderApplyCommand("restore", { host, restartTimeoutSeconds: 60, smokeImage: sandbox().images.busybox }));
}

export function dockerInfo(host: string): any {
    return JSON.parse(sh(host, "docker info --format '{{json .}}'"));
}

/** docker.service state + swarm node state as seen from the host itself. */
export function health(host: string): { active: string; swarm: string; ready: string } {
    const active = ssh(host, "systemctl is-active docker.service").stdout.trim();
    const swarm = ssh(host, "docker info --format '{{.Swarm.LocalNodeState}}'").stdout.trim();
    const ready = ssh(host, "docker node inspect self --format '{{.Status.State}}'").stdout.trim();
    return { active, swarm, ready };
}

export function fileSha(host: string, p: string): string {
    return ssh(host, `sha256sum ${p} 2>/dev/null | cut -d' ' -f1 || true`).stdout.trim() || "absent";
}

export function sleep(ms: number) {
    return new Promise((r) => setTimeout(r, ms));
}

/** Repeats `f` until it returns true or `ms` pass. */
export async function eventually(f: () => boolean, ms: number, what: string): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        if (f()) return;
        await sleep(500);
    }
    throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/**
 * `sandbox.sh ARGS...`, bounded; throws on failure. `size`: the sandbox's size variables set
 * (`"default"`: unset, its 3 managers of 3); without it the environment passes as it is.
 */
export function sandboxCmd(args: string[], size?: { hosts: number; managers: number } | "default", timeoutMs = 300000): void {
    const env = { ...process.env };
    if (size) {
        delete env.DOCKFLEET_SANDBOX_HOSTS;
        delete env.DOCKFLEET_SANDBOX_MANAGERS;
    }
    if (size && size !== "default") Object.assign(env, { DOCKFLEET_SANDBOX_HOSTS: String(size.hosts), DOCKFLEET_SANDBOX_MANAGERS: String(size.managers) });
    const r = spawnSync("bash", [path.join(__dirname, "../sandbox/sandbox.sh"), ...args], { encoding: "utf8", env, timeout: timeoutMs });
    if (r.status !== 0) throw new Error(`sandbox.sh ${args.join(" ")}${size && size !== "default" ? ` (${size.hosts} hosts)` : ""}: exit ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
}

/** Each host's docker.service ActiveEnterTimestamp: unchanged means dockerd was not restarted. */
export const activeSince = (hosts: string[]): Record<string, string> =>
    Object.fromEntries(hosts.map((h) => [h, sh(h, "systemctl show docker -p ActiveEnterTimestamp --value")]));
