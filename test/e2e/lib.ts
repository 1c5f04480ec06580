// End-to-end helpers: the real Pulumi engine (built from Go modules) driven through the
// Automation API against the sandbox hosts.
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { EngineEvent, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { sandbox, settledSwarm } from "../contract/lib";

export const ROOT = path.resolve(__dirname, "../..");
export const STACK_FILE = path.join(ROOT, "stacks", "Pulumi.local.yaml");

/** Builds the engine if needed and loads dev/env.sh into this process (PATH, PULUMI_*). */
export function loadEngineEnv(): void {
    // A backend of its own per test run: state from an earlier, aborted run (or a sandbox that has
    // since been rebuilt) must not leak in. Hosts are cleaned by cleanHosts().
    process.env.DOCKFLEET_PULUMI_STATE_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-e2e-state-"));
    execFileSync("bash", [path.join(ROOT, "dev/engine.sh")], { stdio: ["ignore", "ignore", "inherit"] });
    const out = execFileSync("bash", ["-c", `source ${path.join(ROOT, "dev/env.sh")} && env -0`], { encoding: "utf8" });
    for (const kv of out.split("\0")) {
        const i = kv.indexOf("=");
        if (i > 0) process.env[kv.slice(0, i)] = kv.slice(i + 1);
    }
    execFileSync("bash", [path.join(ROOT, "dev/local-stack.sh")], { stdio: ["ignore", "ignore", "inherit"], env: process.env });
}

export async function localStack(): Promise<Stack> {
    return LocalWorkspace.createOrSelectStack({ stackName: "local", workDir: ROOT }, { envVars: {} });
}

/** Runs the CLI directly (for flags the Automation API does not expose); returns stdout+stderr. */
export function pulumiCli(args: string[]): { code: number; out: string } {
    const r = spawnSync("pulumi", [...args, "--stack", "local", "--non-interactive", "--color", "never"], { cwd: ROOT, encoding: "utf8", env: process.env, maxBuffer: 256 * 1024 * 1024, timeout: 900000 });
    return { code: r.status ?? -1, out: `${r.stdout}\n${r.stderr}` };
}

/** Every file under `dir`, as text (for plaintext-secret scans). */
export function readTree(dir: string): { file: string; text: string }[] {
    const out: { file: string; text: string }[] = [];
    if (!fs.existsSync(dir)) return out;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
            if (e.name === "plugins") continue; // plugin binaries
            out.push(...readTree(p));
        } else if (e.isFile() && fs.statSync(p).size < 64 * 1024 * 1024) {
            out.push({ file: p, text: fs.readFileSync(p, "latin1") });
        }
    }
    return out;
}

/** Parses the apply script's log lines ("<ISO time> <message>") from a host. */
export function applyLog(text: string): { t: number; msg: string }[] {
    return text.split("\n").filter(Boolean).map((l) => {
        const i = l.indexOf(" ");
        return { t: Date.parse(l.slice(0, i)), msg: l.slice(i + 1) };
    });
}

/**
 * The mocha hooks both e2e suites share. Before: a fresh backend (loadEngineEnv), the local stack,
 * hosts without dockfleet files (from nothing). After: the stack file as it was (tests change its
 * config) and the stack destroyed, unless DOCKFLEET_KEEP_E2E=1. `stack` is valid inside tests.
 */
export function useLocalStack(ssh: (h: string, cmd: string) => unknown, onOutput: (s: string) => void, beforeDestroy?: () => void): { readonly stack: Stack } {
    let stack: Stack | undefined;
    let stackFileBefore = "";
    before(async () => {
        sandbox(); // the suite lock first (test/contract/suites-lock.ts): no other suite on these hosts
        loadEngineEnv();
        stackFileBefore = fs.readFileSync(STACK_FILE, "utf8");
        stack = await localStack();
        cleanHosts(ssh);
    });
    after(async () => {
        if (stackFileBefore) fs.writeFileSync(STACK_FILE, stackFileBefore);
        beforeDestroy?.();
        if (stack && process.env.DOCKFLEET_KEEP_E2E !== "1") await stack.destroy({ onOutput });
    });
    return {
        get stack(): Stack {
            if (!stack) throw new Error("the local stack is not set up (useLocalStack's before hook did not run)");
            return stack;
        },
    };
}

/** Removes what an aborted earlier run may have left on the sandbox hosts (sandbox-only names), then settles the 3-manager swarm. */
export function cleanHosts(ssh: (h: string, cmd: string) => unknown): void {
    ssh("host1", "docker service rm web_httpd >/dev/null 2>&1; docker rm -f registry >/dev/null 2>&1; systemctl disable --now heartbeat >/dev/null 2>&1; rm -f /etc/systemd/system/heartbeat.service; systemctl daemon-reload; sleep 2; docker network rm web_default >/dev/null 2>&1; docker volume ls -q --filter name=shared- | xargs -r docker volume rm >/dev/null 2>&1; true");
    for (const h of ["host1", "host2", "host3"]) cleanHostFiles(ssh, h);
    settledSwarm();
}

/** Puts back one host's pre-dockfleet docker files and removes dockfleet's own (an aborted run's leftovers). */
export function cleanHostFiles(ssh: (h: string, cmd: string) => unknown, h: string): void {
    ssh(h, "rm -rf /var/lib/dockfleet/daemon-config/claims; bash /var/lib/dockfleet/daemon-config/apply-docker-config.sh restore --host $(hostname) >/dev/null 2>&1; rm -rf /var/lib/dockfleet; systemctl disable dockfleet-boot-guard.service dockfleet-unit-guard.service >/dev/null 2>&1; rm -f /etc/systemd/system/dockfleet-boot-guard.service /etc/systemd/system/dockfleet-unit-guard.service; rm -f /etc/docker/daemon.json /etc/systemd/system/docker.service.d/*.conf /etc/systemd/system/docker.service.d/http-proxy.env; rm -rf /etc/docker/certs.d/10.232.0.11:5000; docker logout 10.232.0.11:5000 >/dev/null 2>&1; systemctl daemon-reload; systemctl is-active docker >/dev/null || { systemctl reset-failed docker docker.socket; systemctl restart docker; }; true");
}

/**
 * examples/yaml-fleet copied to `dir` for the sandbox, without the `packages:` entry (the caller
 * runs `pulumi package add`): the docker provider gets the sandbox key (`-i`), and the swarm stack
 * is renamed `yamlweb` and runs the sandbox's busybox (no image can be pulled here) without a
 * published port (this kernel has no IPVS for the routing mesh).
 */
export function yamlFleetProgram(dir: string, o: { keyPath: string; image: string }): void {
    fs.cpSync(path.join(ROOT, "examples/yaml-fleet"), dir, { recursive: true, filter: (src) => !/\/(sdks|Pulumi\.[^/]+\.yaml)$/.test(src) });
    const file = path.join(dir, "Pulumi.yaml");
    const doc = YAML.parseDocument(fs.readFileSync(file, "utf8"));
    for (const p of [["resources", "manager", "properties", "sshOpts"], ["resources", "web", "properties", "services", "httpd"], ["packages"]]) {
        if (!doc.hasIn(p)) throw new Error(`examples/yaml-fleet/Pulumi.yaml has no ${p.join(".")}`);
    }
    doc.deleteIn(["packages"]);
    const opts = doc.getIn(["resources", "manager", "properties", "sshOpts"]) as YAML.YAMLSeq;
    for (const x of ["-i", o.keyPath, "-o", "IdentitiesOnly=yes"]) opts.add(x);
    doc.setIn(["resources", "web", "properties", "name"], "yamlweb");
    const svc = ["resources", "web", "properties", "services", "httpd"];
    doc.setIn([...svc, "image"], o.image);
    doc.setIn([...svc, "command"], ["sh", "-c", "trap 'exit 0' TERM; mkdir -p /www; echo ok > /www/index.html; httpd -f -p 8080 -h /www & wait"]);
    doc.deleteIn([...svc, "ports"]);
    doc.setIn([...svc, "healthcheck", "test"], ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/"]);
    doc.setIn([...svc, "healthcheck", "interval"], "2s");
    doc.setIn([...svc, "healthcheck", "timeout"], "1s");
    doc.setIn([...svc, "healthcheck", "startPeriod"], "1s");
    fs.writeFileSync(file, doc.toString());
}

/** Edits the local stack file (stacks/Pulumi.local.yaml) as a YAML document, keeping its comments. */
export function editStackFile(f: (doc: YAML.Document) => void): void {
    const doc = YAML.parseDocument(fs.readFileSync(STACK_FILE, "utf8"));
    f(doc);
    fs.writeFileSync(STACK_FILE, doc.toString());
}

/** Index in `events` where each host's apply started and finished (engine event order). */
export function applySpans(events: EngineEvent[]): Record<string, [number, number]> {
    const spans: Record<string, [number, number]> = {};
    events.forEach((e, i) => {
        const urn = e.resourcePreEvent?.metadata.urn ?? e.resOutputsEvent?.metadata.urn;
        const m = urn ? /::(host\d)-apply$/.exec(urn) : null;
        if (!m) return;
        if (e.resourcePreEvent) spans[m[1]] = [i, spans[m[1]]?.[1] ?? -1];
        else spans[m[1]] = [spans[m[1]]?.[0] ?? -1, i];
    });
    return spans;
}
