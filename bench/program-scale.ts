// Program scale: how long the dockfleet program takes to register a large fleet under Pulumi mocks,
// and how much memory it peaks at, against a "raw" program that registers the same custom
// resources (same types, names, inputs, providers and dependsOn) without the components.
//
//   npx ts-node bench/program-scale.ts [--repeats N] [--sizes 50x100,200x400,500x1000] [--json FILE]
//                                      [--mode compiled|ts-node]
//
// Every measurement runs in a fresh child process, so module caches, JIT warm-up and the global
// mock monitor never leak from one size into another. --mode compiled (the default: how the
// program runs at deploy time, Pulumi.yaml `main: program.js`) runs both variants as JavaScript
// built by tsc into build/bench-scale/; --mode ts-node runs them through `-r ts-node/register`.
// See bench/README.md for what each figure means.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { testHostKey } from "../test/support/host-key-fixtures";

const ROOT = path.resolve(__dirname, "..");
const SELF = __filename;

// ---------------------------------------------------------------- the generated stack config ---

/** A stack config of `hosts` hosts and `services` swarm services (10 services per stack). */
export function generateConfig(hosts: number, services: number): { raw: Record<string, unknown>; secret: Set<string> } {
    const hostList = Array.from({ length: hosts }, (_, i) => ({
        name: `h${i + 1}`,
        address: `10.${100 + Math.floor(i / 62500)}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`,
        role: i < 3 ? "manager" : "worker",
        // a well-formed pinned key per host (what `npm run hostkeys` writes)
        hostKey: testHostKey(`h${i + 1}`),
    }));
    const stacks: Record<string, unknown> = {};
    for (let s = 0; s * 10 < services; s++) {
        const svc: Record<string, unknown> = {};
        for (let j = 0; j < 10 && s * 10 + j < services; j++) {
            svc[`svc${j}`] = {
                image: "local/busybox:1",
                command: ["httpd", "-f", "-p", "8080", "-h", "/www"],
                replicas: 3,
                endpointMode: "dnsrr",
                env: { APP: `app${s}`, SLOT: String(j) },
                healthcheck: { test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/"], interval: "2s", timeout: "1s", retries: 3, startPeriod: "1s" },
                update: { parallelism: 1, delay: "2s", failureAction: "rollback", monitor: "5s", order: "stop-first" },
                stopGracePeriod: "2s",
                placement: { maxReplicasPerNode: 1 },
                labels: { team: `t${s % 7}` },
            };
        }
        stacks[`app${s}`] = { services: svc, tz: "UTC" };
    }
    const raw: Record<string, unknown> = {
        "dockfleet:hosts": hostList,
        "dockfleet:ssh": { user: "root" },
        "dockfleet:engineVersion": "20.10",
        "dockfleet:daemon": {
            registryMirrors: ["http://10.232.0.11:5000"],
            insecureRegistries: ["10.232.0.11:5000"],
            metricsAddr: "0.0.0.0:9323",
            logDriver: "json-file",
            logOpts: { "max-size": "10m", "max-file": "3" },
            labels: { "dockfleet.env": "bench" },
        },
        "dockfleet:proxy": { noProxy: ["10.0.0.0/8"] },
        "dockfleet:rollout": { batchSize: 1, restartTimeoutSeconds: 60, smokeImage: "local/busybox:1", onDelete: "restore" },
        "dockfleet:stacks": stacks,
        "dockfleet:parts": ["daemon", "stacks"],
        "dockfleet:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nbench\n-----END OPENSSH PRIVATE KEY-----\n",
        "dockfleet:httpProxy": "http://svc:bench@proxy.example:3128",
    };
    return { raw, secret: new Set(["dockfleet:sshPrivateKey", "dockfleet:httpProxy"]) };
}

// ------------------------------------------------------------------------------- the child ---

interface Captured {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
}

interface ChildResult {
    variant: string;
    hosts: number;
    services: number;
    resources: number;
    customResources: number;
    evalMs: number;
    baseRssMB: number;
    peakRssMB: number;
    peakHeapMB: number;
}

type Variant = "components" | "raw" | "raw-hook" | "capture";

async function child(variant: Variant, hosts: number, services: number, captureFile: string): Promise<void> {
    process.env.DOCKFLEET_NO_DRIFT_CHECK = "1";
    // As under the language host: its entry (@pulumi/pulumi/cmd/run) loads source-map-support
    // first, so every formatted stack goes through it.
    require(require.resolve("source-map-support/register", { paths: [path.dirname(require.resolve("@pulumi/pulumi/package.json"))] }));
    // As index.ts does (the components); raw-hook: a plain program given the same hook.
    if (variant === "components" || variant === "raw-hook") {
        const { skipUnreadPromiseStacks } = await import(path.join(ROOT, "program/stack-traces"));
        if (!skipUnreadPromiseStacks()) throw new Error("program-scale: the stack hook did not install (PULUMI_DEBUG_PROMISE_LEAKS or DOCKFLEET_FULL_PROMISE_STACKS set?)");
    }
    // Everything loaded before t0: modules, the generated config (or the captured resources).
    const pulumi = await import("@pulumi/pulumi");
    const command = await import("@pulumi/command");
    const docker = await import("@pulumi/docker");
    const { loadStackConfig } = await import(path.join(ROOT, "program/load"));
    const { buildProgram } = await import(path.join(ROOT, "program/program"));

    let count = 0;
    let custom = 0;
    let pending = 0;
    let lastDone = 0;
    const captured: Captured[] = [];
    pulumi.runtime.setMocks({
        newResource: async (args) => {
            count++;
            pending++;
            if (args.custom) custom++;
            if (variant === "capture" && args.custom) captured.push({ type: args.type, name: args.name, inputs: args.inputs });
            const state: Record<string, unknown> = { ...args.inputs };
            if (args.type === "command:remote:Command") Object.assign(state, { stdout: "", stderr: "dockfleet[mock]: applied" });
            pending--;
            lastDone = performance.now();
            return { id: `${args.name}-id`, state };
        },
        call: (args) => args.inputs,
    }, "dockfleet", "bench", false);

    const gen = generateConfig(hosts, services);
    const order = ["pulumi:providers:docker", "command:remote:Command", "docker:index/network:Network", "docker:index/service:Service"];
    const isRaw = variant === "raw" || variant === "raw-hook";
    const resources: Captured[] = isRaw
        ? (JSON.parse(fs.readFileSync(captureFile, "utf8")) as Captured[]).map((r, i) => ({ r, i })).sort((a, b) => order.indexOf(a.r.type) - order.indexOf(b.r.type) || a.i - b.i).map((x) => x.r)
        : [];

    const gc = (global as unknown as { gc?: () => void }).gc;
    if (gc) { gc(); gc(); }
    const base = process.memoryUsage();
    let peakRss = base.rss;
    let peakHeap = base.heapUsed;
    const sample = () => {
        const m = process.memoryUsage();
        if (m.rss > peakRss) peakRss = m.rss;
        if (m.heapUsed > peakHeap) peakHeap = m.heapUsed;
    };
    const sampler = setInterval(sample, 5);

    const t0 = performance.now();
    if (isRaw) {
        // The same custom resources, as literals, with the same dependsOn structure:
        // apply commands chained batch after batch (batchSize 1 → each on the previous one),
        // one docker provider, each stack's network first, then its services.
        let previous: import("@pulumi/pulumi").Resource[] = [];
        let provider: import("@pulumi/docker").Provider | undefined;
        const nets: Record<string, import("@pulumi/pulumi").Resource> = {};
        for (const r of resources) {
            if (r.type === "command:remote:Command") {
                const c = new command.remote.Command(r.name, r.inputs as unknown as import("@pulumi/command").remote.CommandArgs, { dependsOn: previous, customTimeouts: { create: "360s", update: "360s", delete: "360s" } });
                previous = [c];
            } else if (r.type === "pulumi:providers:docker") {
                provider = new docker.Provider(r.name, r.inputs as import("@pulumi/docker").ProviderArgs);
            } else if (r.type === "docker:index/network:Network") {
                nets[r.name.replace(/-net-.*$/, "")] = new docker.Network(r.name, r.inputs as unknown as import("@pulumi/docker").NetworkArgs, { provider });
            } else if (r.type === "docker:index/service:Service") {
                const stack = r.name.replace(/-svc\d+$/, "");
                new docker.Service(r.name, r.inputs as unknown as import("@pulumi/docker").ServiceArgs, { provider, dependsOn: nets[stack] ? [nets[stack]] : [] });
            } else {
                throw new Error(`raw program: unexpected resource type ${r.type}`);
            }
        }
    } else {
        const out = buildProgram(loadStackConfig("bench", gen.raw, gen.secret, ROOT));
        // Like index.ts: the program's outputs are exported (resolved) too.
        pulumi.output(out).apply(() => undefined);
    }

    // Registration to completion: nothing pending and no new registration for 200 ms.
    let seen = -1;
    while (pending > 0 || seen !== count || count === 0) {
        seen = count;
        await new Promise((r) => setTimeout(r, 200));
    }
    clearInterval(sampler);
    sample();
    const res: ChildResult = {
        variant, hosts, services, resources: count, customResources: custom,
        evalMs: Math.round(lastDone - t0),
        baseRssMB: +(base.rss / 2 ** 20).toFixed(1),
        peakRssMB: +(peakRss / 2 ** 20).toFixed(1),
        peakHeapMB: +(peakHeap / 2 ** 20).toFixed(1),
    };
    if (variant === "capture") fs.writeFileSync(captureFile, JSON.stringify(captured));
    process.stdout.write(`RESULT ${JSON.stringify(res)}\n`);
    // Pulumi's mock runtime keeps handles open; the figures are out, so leave now.
    process.exit(0);
}

// ------------------------------------------------------------------------------ the parent ---

const COMPILED_DIR = path.join(ROOT, "build", "bench-scale");
let mode: "compiled" | "ts-node" = "compiled";

/** This file and the program's sources as JavaScript (tsc, transpile only), with the host scripts the components read. */
function buildCompiled(): void {
    fs.rmSync(COMPILED_DIR, { recursive: true, force: true });
    fs.mkdirSync(COMPILED_DIR, { recursive: true });
    const tsconfig = path.join(COMPILED_DIR, "tsconfig.json");
    fs.writeFileSync(tsconfig, JSON.stringify({
        extends: path.join(ROOT, "tsconfig.program.json"),
        compilerOptions: { outDir: COMPILED_DIR, rootDir: ROOT },
        include: [path.join(ROOT, "components/**/*.ts"), path.join(ROOT, "program/**/*.ts"), path.join(ROOT, "bench/program-scale.ts")],
        exclude: [path.join(ROOT, "node_modules"), path.join(ROOT, "**/*.test.ts")],
    }));
    execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", tsconfig], { cwd: ROOT, stdio: "inherit" });
    const copyScripts = (dir: string) => {
        for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
            const rel = path.join(dir, e.name);
            if (e.isDirectory()) copyScripts(rel);
            else if (!e.name.endsWith(".ts")) {
                fs.mkdirSync(path.join(COMPILED_DIR, dir), { recursive: true });
                fs.copyFileSync(path.join(ROOT, rel), path.join(COMPILED_DIR, rel));
            }
        }
    };
    copyScripts("components");
}

function runChild(variant: string, hosts: number, services: number, captureFile: string): ChildResult {
    const entry = mode === "compiled" ? ["--expose-gc", "--max-old-space-size=4096", path.join(COMPILED_DIR, "bench", "program-scale.js")] : ["--expose-gc", "--max-old-space-size=4096", "-r", "ts-node/register", SELF];
    const out = execFileSync(process.execPath, [...entry, "--child", variant, String(hosts), String(services), captureFile], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, TS_NODE_TRANSPILE_ONLY: "true" },
        maxBuffer: 64 * 2 ** 20,
        stdio: ["ignore", "pipe", "inherit"],
    });
    const line = out.split("\n").find((l) => l.startsWith("RESULT "));
    if (!line) throw new Error(`child ${variant} ${hosts}x${services} printed no RESULT:\n${out.slice(-2000)}`);
    return JSON.parse(line.slice(7));
}

const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function parent(argv: string[]): void {
    const arg = (k: string, d: string) => {
        const i = argv.indexOf(k);
        return i >= 0 ? argv[i + 1] : d;
    };
    const repeats = Number(arg("--repeats", "3"));
    const sizes = arg("--sizes", "50x100,200x400,500x1000").split(",").map((s) => s.split("x").map(Number) as [number, number]);
    const jsonOut = arg("--json", "");
    mode = arg("--mode", "compiled") as typeof mode;
    if (mode !== "compiled" && mode !== "ts-node") throw new Error(`--mode must be compiled or ts-node, not ${mode}`);
    if (mode === "compiled") buildCompiled();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-scale-"));
    console.log(`program-scale: ${new Date().toISOString()}, ${os.cpus().length} cores, load ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}, node ${process.version}, ${repeats} repeats per size and variant (fresh process each), mode ${mode}`);
    const rows: Record<string, unknown>[] = [];
    try {
        for (const [h, s] of sizes) {
            const cap = path.join(tmp, `capture-${h}x${s}.json`);
            runChild("capture", h, s, cap); // the raw program's resource list (not timed)
            const comp: ChildResult[] = [];
            const raw: ChildResult[] = [];
            const rawHook: ChildResult[] = [];
            const runs: [string, ChildResult[]][] = [["components", comp], ["raw", raw], ["raw-hook", rawHook]];
            for (let r = 0; r < repeats; r++) {
                // Rotate which variant goes first, so drift in machine load hits all of them.
                for (let k = 0; k < runs.length; k++) {
                    const [variant, into] = runs[(r + k) % runs.length];
                    into.push(runChild(variant, h, s, cap));
                }
            }
            if (comp[0].customResources !== raw[0].customResources) throw new Error(`custom resource counts differ: ${comp[0].customResources} vs ${raw[0].customResources}`);
            const row = {
                hosts: h, services: s,
                resources: comp[0].resources, customResources: comp[0].customResources,
                compMs: median(comp.map((x) => x.evalMs)), rawMs: median(raw.map((x) => x.evalMs)), rawHookMs: median(rawHook.map((x) => x.evalMs)),
                compPeakRssMB: median(comp.map((x) => x.peakRssMB)), rawPeakRssMB: median(raw.map((x) => x.peakRssMB)),
                compPeakHeapMB: median(comp.map((x) => x.peakHeapMB)), rawPeakHeapMB: median(raw.map((x) => x.peakHeapMB)),
                compAllMs: comp.map((x) => x.evalMs), rawAllMs: raw.map((x) => x.evalMs), rawHookAllMs: rawHook.map((x) => x.evalMs),
            };
            rows.push(row);
            console.log(`  ${h} hosts x ${s} services: done (${row.resources} registrations)`);
        }
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }

    const pad = (v: unknown, n: number) => String(v).padStart(n);
    console.log("\nmedians (evaluation = first registration sent → last registration answered, under mocks):");
    console.log("(comp: the components with index.ts's stack hook; raw: a plain program; raw+hook: the plain program with the same hook, program/stack-traces.ts)");
    console.log(`${pad("hosts", 6)} ${pad("svcs", 5)} ${pad("regs", 5)} ${pad("comp ms", 8)} ${pad("raw ms", 7)} ${pad("time x", 7)} ${pad("raw+hook ms", 12)} ${pad("vs raw+hook", 12)} ${pad("ms/res", 7)} ${pad("comp RSS MB", 12)} ${pad("raw RSS MB", 11)} ${pad("RSS x", 6)} ${pad("comp heap MB", 13)} ${pad("raw heap MB", 12)}`);
    for (const r of rows as Array<Record<string, number>>) {
        console.log(`${pad(r.hosts, 6)} ${pad(r.services, 5)} ${pad(r.resources, 5)} ${pad(r.compMs, 8)} ${pad(r.rawMs, 7)} ${pad((r.compMs / r.rawMs).toFixed(2), 7)} ${pad(r.rawHookMs, 12)} ${pad((r.compMs / r.rawHookMs).toFixed(2), 12)} ${pad((r.compMs / r.resources).toFixed(2), 7)} ${pad(r.compPeakRssMB, 12)} ${pad(r.rawPeakRssMB, 11)} ${pad((r.compPeakRssMB / r.rawPeakRssMB).toFixed(2), 6)} ${pad(r.compPeakHeapMB, 13)} ${pad(r.rawPeakHeapMB, 12)}`);
    }
    if (rows.length > 1) {
        const a = rows[0] as Record<string, number>;
        const b = rows[rows.length - 1] as Record<string, number>;
        const k = b.resources / a.resources;
        console.log(`\ngrowth ${a.hosts}x${a.services} → ${b.hosts}x${b.services}: registrations x${k.toFixed(2)}, components time x${(b.compMs / a.compMs).toFixed(2)}, raw time x${(b.rawMs / a.rawMs).toFixed(2)} (linear would be x${k.toFixed(2)})`);
    }
    if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify({ date: new Date().toISOString(), cores: os.cpus().length, node: process.version, mode, rows }, null, 2));
}

if (process.argv[2] === "--child") {
    const [variant, h, s, cap] = process.argv.slice(3);
    child(variant as Variant, Number(h), Number(s), cap).catch((e) => {
        console.error(e);
        process.exit(1);
    });
} else {
    parent(process.argv.slice(2));
}
