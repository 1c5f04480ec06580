// One Pulumi mock monitor for the whole mocha process: setMocks is global, so every test file
// imports this module (before importing any component) instead of calling setMocks itself.
import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { MockResourceArgs } from "@pulumi/pulumi/runtime";

export interface Registered extends MockResourceArgs {
    /** ms since the mocks were set when registration reached the monitor / when it was answered. */
    at: number;
    resolvedAt?: number;
}

export const registered: Registered[] = [];

// The program asks real hosts for drift over SSH; never under mocks (stack files name real fleets).
process.env.DOCKFLEET_NO_DRIFT_CHECK = "1";
const t0 = Date.now();

/** A remote command's stdout by resource name (default ""), e.g. an apply that says it restarted dockerd. */
export const mockStdout: Record<string, string> = {};

/** Artificial latency per resource type (e.g. a remote command "taking" a restart). */
export const latencyMs: Record<string, number> = {};

/** What the docker provider reports for a pushed image: `<repository>@sha256:<hex>` (here a hash of the name). */
export function mockRepoDigest(imageName: string): string {
    const repo = imageName.replace(/:[^:/]+$/, "");
    return `${repo}@sha256:${crypto.createHash("sha256").update(imageName).digest("hex")}`;
}

pulumi.runtime.setMocks({
    newResource: async (args: MockResourceArgs) => {
        const rec: Registered = { ...args, at: Date.now() - t0 };
        registered.push(rec);
        const delay = latencyMs[args.type];
        if (delay) await new Promise((r) => setTimeout(r, delay));
        rec.resolvedAt = Date.now() - t0;
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === "docker:index/image:Image") state.repoDigest = mockRepoDigest(String(args.inputs.imageName));
        if (args.type === "command:remote:Command") Object.assign(state, { stdout: mockStdout[args.name] ?? "", stderr: "dockfleet[mock]: applied" });
        return { id: `${args.name}-id`, state };
    },
    call: (args) => args.inputs,
}, "dockfleet", "unit", false);

export function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => { resolve(v); return v; }));
}

export function isSecretOutput(o: pulumi.Output<unknown>): Promise<boolean> {
    return (o as unknown as { isSecret: Promise<boolean> }).isSecret;
}

export function byType(type: string, namePrefix = ""): Registered[] {
    return registered.filter((r) => r.type === type && r.name.startsWith(namePrefix));
}

/** Each registration's parent URN, by `type::name` (the mock's arguments do not carry it); filled once recordParents() ran. */
export const parents = new Map<string, string>();
export function recordParents(): void {
    const monitor = (pulumi.runtime as any).getMonitor();
    if (monitor.__parentRecorder) return;
    const orig = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) => {
        parents.set(`${req.getType()}::${req.getName()}`, req.getParent());
        return orig(req, cb);
    };
    monitor.__parentRecorder = true;
}
