// Probe scale: the preview's host probe (program/observe.ts observeHosts, the system ssh client) timed
// against real sshd endpoints, per host count and per rollout.probeConcurrency. Run by
// bench/probe-scale.sh, which starts the endpoints (extra sshd instances on the sandbox hosts) and
// holds the sandbox lock; see bench/README.md.
//
//   npx ts-node --transpile-only bench/probe-scale.ts --endpoints FILE [--counts 3,12,25,54]
//       [--kinds full] [--concurrency unbounded,default,4] [--repeats 3] [--one-sshd N] [--loading N]
//       [--out FILE]
//
// Kinds: full = a stack with the daemon and swarm parts (every sandbox dockerd is a manager, so
// every endpoint answers the heaviest probe: docker info, node and service listings, the drift
// status); drift = a stack with the daemon part only (the drift status: one small script, so the
// time is mostly the SSH session itself).
//
// FILE: JSON [{ name, address, port, hostKey }], in the order hosts are taken for a count.
import { createHash } from "crypto";
import * as fs from "fs";
import { DEFAULT_PROBE_CONCURRENCY, observeHosts } from "../program/observe";
import type { LoadedConfig } from "../program/load";

interface Endpoint { name: string; address: string; port: number; hostKey: string }

const args = process.argv.slice(2);
const opt = (name: string, dflt?: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : dflt;
};
const endpoints = JSON.parse(fs.readFileSync(opt("endpoints")!, "utf8")) as Endpoint[];
const counts = opt("counts", "3,12,25,54")!.split(",").map(Number);
const concurrencies = opt("concurrency", "unbounded,default,4")!.split(",");
const kinds = opt("kinds", "full")!.split(",") as ("full" | "drift")[];
const repeats = Number(opt("repeats", "3"));
const oneSshd = Number(opt("one-sshd", "0"));
const loadingCount = Number(opt("loading", "0"));
const keyPath = opt("key", "/var/lib/dockfleet-sandbox/ssh/id_ed25519")!;
const outFile = opt("out");
if (counts.some((n) => !(n > 0) || n > endpoints.length)) throw new Error(`counts ${counts} need ≤ ${endpoints.length} endpoints`);

/** probeConcurrency for a label: unbounded is the host count (every session at once, as before the bound). */
const concurrencyOf = (label: string, n: number): number => (label === "unbounded" ? n : label === "default" ? DEFAULT_PROBE_CONCURRENCY : Number(label));

/** A stack config as the program holds it: 3 managers, the rest workers, daemon and swarm parts, no connection reuse. */
function configOf(hosts: Endpoint[], concurrency: number): LoadedConfig {
    return {
        stack: "bench",
        config: {
            hosts: hosts.map((h, i) => ({ name: h.name, address: h.address, port: h.port, role: i < 3 ? "manager" : "worker", hostKey: h.hostKey })),
            ssh: { user: "root", privateKeyPath: keyPath },
            // a cold probe: every session a new connection (a first preview, a CI runner); kept
            // connections would hide the key exchanges being measured
            rollout: { probeConcurrency: concurrency, probeReuseSeconds: 0 },
        },
        secrets: {},
        parts: new Set(["daemon", "swarm"]),
    } as unknown as LoadedConfig;
}

/** CPU seconds of this process's waited-for children (the ssh clients): /proc/self/stat cutime + cstime. */
function childCpu(): number {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[13]) + Number(f[14])) / 100; // fields 16, 17; USER_HZ 100 on Linux
}

interface Run { wall: number; failed: number; reasons: string[]; sshCpu: number; nodeCpu: number }

async function measure(hosts: Endpoint[], concurrency: number, kind: "full" | "drift"): Promise<Run> {
    const c0 = childCpu();
    const n0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const o = await observeHosts(configOf(hosts, concurrency), kind === "full", true);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const n = process.cpuUsage(n0);
    const bad = Object.entries(o.drift!).filter(([, d]) => d.kind === "unknown");
    return { wall, failed: bad.length, reasons: bad.map(([, d]) => (d as { reason?: string }).reason ?? "?"), sshCpu: childCpu() - c0, nodeCpu: (n.user + n.system) / 1e6 };
}

/**
 * A fixed stretch of synchronous CPU work (sha256 over 64 KiB, `rounds` times), standing in for
 * program.js's module loading, which runs right after it starts the early probe; seconds it took.
 */
const block = Buffer.alloc(64 * 1024, 1);
function work(rounds: number): number {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < rounds; k++) createHash("sha256").update(block).digest();
    return Number(process.hrtime.bigint() - t0) / 1e9;
}

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const f2 = (x: number) => x.toFixed(2);
const lines: string[] = [];
const say = (l = "") => {
    lines.push(l);
    console.log(l);
};

/** One table: every count × concurrency, `repeats` times, the concurrencies' order rotating each repeat. */
async function table(kind: "full" | "drift") {
    const runs = new Map<number, Map<string, Run[]>>(counts.map((n) => [n, new Map(concurrencies.map((l) => [l, [] as Run[]]))]));
    for (let r = 0; r < repeats; r++) {
        for (const n of counts) {
            for (const label of concurrencies.map((_, i) => concurrencies[(i + r) % concurrencies.length])) {
                const run = await measure(endpoints.slice(0, n), concurrencyOf(label, n), kind);
                runs.get(n)!.get(label)!.push(run);
                console.error(`  ${kind} repeat ${r + 1} hosts ${n} ${label}: ${f2(run.wall)} s, ${run.failed} failed, ssh cpu ${f2(run.sshCpu)} s`);
            }
        }
    }
    say();
    say(`## ${kind} probe: wall time (median seconds) per host count and probeConcurrency; ratio = that column / unbounded`);
    const head = ["hosts", ...concurrencies.flatMap((l) => [`${l}${l === "default" ? `(${DEFAULT_PROBE_CONCURRENCY})` : ""}`, ...(l === "unbounded" ? [] : ["ratio"])]), "ms/host(default)", "failed", "ssh_cpu_s/run", "node_cpu_s/run"];
    say(head.join("\t"));
    for (const n of counts) {
        const m = new Map(concurrencies.map((l) => [l, median(runs.get(n)!.get(l)!.map((x) => x.wall))]));
        const base = m.get("unbounded");
        const all = concurrencies.flatMap((l) => runs.get(n)!.get(l)!);
        const failed = concurrencies.map((l) => `${l}:${runs.get(n)!.get(l)!.reduce((s, x) => s + x.failed, 0)}`).join(",");
        const cols = concurrencies.flatMap((l) => [f2(m.get(l)!), ...(l === "unbounded" ? [] : [base ? f2(m.get(l)! / base) : "NA"])]);
        const perHost = m.has("default") ? ((m.get("default")! * 1000) / n).toFixed(0) : "NA";
        say([String(n), ...cols, perHost, failed, f2(median(all.map((x) => x.sshCpu))), f2(median(all.map((x) => x.nodeCpu)))].join("\t"));
    }
}

async function main() {
    say(`# probe-scale ${new Date().toISOString()}  cores ${require("os").cpus().length}  loadavg ${require("os").loadavg().map(f2).join(" ")}`);
    say(`# endpoints ${endpoints.length} (${[...new Set(endpoints.map((e) => e.address))].length} addresses), repeats ${repeats}, default probeConcurrency ${DEFAULT_PROBE_CONCURRENCY}, probeReuseSeconds 0 (cold)`);
    await measure(endpoints.slice(0, 3), 3, "full"); // warm-up, not counted (module JIT, first known_hosts files)
    for (const kind of kinds) await table(kind);

    if (oneSshd > 0) {
        // many endpoints behind one sshd (a jump host, one address with port forwards): every session
        // to host1:22, where sshd's MaxStartups (default 10:30:100) drops unauthenticated connections
        // beyond 10 at random
        const one = Array.from({ length: oneSshd }, (_, i) => ({ ...endpoints[0], name: `one${i + 1}` }));
        say();
        say(`## drift probe, ${oneSshd} sessions to one sshd (${endpoints[0].address}:${endpoints[0].port}, MaxStartups 10:30:100): failed sessions per run, median wall seconds`);
        say(["probeConcurrency", "failed_per_run", "wall_s", "first_reason"].join("\t"));
        const res = new Map<string, Run[]>(concurrencies.map((l) => [l, []]));
        for (let r = 0; r < repeats; r++) {
            for (const label of concurrencies.map((_, i) => concurrencies[(i + r) % concurrencies.length])) {
                const run = await measure(one, concurrencyOf(label, oneSshd), "drift");
                res.get(label)!.push(run);
                console.error(`  one sshd, repeat ${r + 1} ${label}: ${f2(run.wall)} s, ${run.failed} failed`);
            }
        }
        for (const l of concurrencies) {
            const rs = res.get(l)!;
            say([`${l}(${concurrencyOf(l, oneSshd)})`, rs.map((x) => x.failed).join(","), f2(median(rs.map((x) => x.wall))), rs.flatMap((x) => x.reasons)[0] ?? "-"].join("\t"));
        }
    }
    if (loadingCount > 0) {
        // the early probe beside module loading: the probe started, then a fixed synchronous
        // stretch at once (as program.js), timed; against the same stretch with no probe running
        const rounds = Math.max(1, Math.round(0.5 / (work(200) / 200))); // ~0.5 s alone on this machine now
        const hosts = endpoints.slice(0, loadingCount);
        const alone: number[] = [];
        const beside = new Map<string, number[]>(concurrencies.map((l) => [l, []]));
        for (let r = 0; r < repeats; r++) {
            alone.push(work(rounds));
            for (const label of concurrencies.map((_, i) => concurrencies[(i + r) % concurrencies.length])) {
                const p = observeHosts(configOf(hosts, concurrencyOf(label, hosts.length)), false, true);
                const w = work(rounds);
                await p;
                beside.get(label)!.push(w);
                console.error(`  loading, repeat ${r + 1} ${label}: ${f2(w)} s (alone ${f2(alone[r])} s)`);
            }
            alone.push(work(rounds));
        }
        const a = median(alone);
        say();
        say(`## module loading beside the early probe (drift probe of ${loadingCount} hosts started, then ${rounds} rounds of sha256 over 64 KiB in the same thread): median seconds, ratio to the same work alone (${f2(a)} s)`);
        say(["probeConcurrency", "work_s", "ratio"].join("\t"));
        for (const l of concurrencies) {
            const m = median(beside.get(l)!);
            say([`${l}(${concurrencyOf(l, loadingCount)})`, f2(m), f2(m / a)].join("\t"));
        }
    }
    if (outFile) fs.writeFileSync(outFile, lines.join("\n") + "\n");
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
