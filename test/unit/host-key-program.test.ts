// The program under mocks: every connection it registers carries the host's pinned key. The
// command provider's connection.hostKey is that key; each docker provider's ssh options check it
// strictly against a known_hosts file holding exactly that key. Real hosts: test/e2e/trust-hostkeys.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { registered, Registered } from "../support/mocks";
import { settle, stackConfig } from "../support/stack-files";
import { testHostKey, testKnownHosts } from "../support/host-key-fixtures";
import { loadStackConfig } from "../../program/load";
import { buildProgram, dockerProviders } from "../../program/program";

const ROOT = path.resolve(__dirname, "../..");

/** A command's connection (the command provider marks it secret: a wrapped value under mocks). */
const connectionOf = (r: Registered): { host: string; hostKey?: string } => {
    const c = r.inputs.connection as Record<string, unknown>;
    return (c[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig ? c.value : c) as { host: string; hostKey?: string };
};

/** A provider's sshOpts as registered (the docker provider's inputs are JSON text). */
const sshOptsOf = (r: Registered): string[] => {
    const v = r.inputs.sshOpts as unknown;
    return typeof v === "string" ? JSON.parse(v) : (v as string[]);
};

describe("the program's connections carry the pinned host keys (mocks)", function () {
    this.timeout(30000);
    let dir = "";
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-khdir-"));
        process.env.DOCKFLEET_KNOWN_HOSTS_DIR = path.join(dir, "known_hosts");
    });
    after(() => {
        delete process.env.DOCKFLEET_KNOWN_HOSTS_DIR;
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("local (keys from ssh.knownHostsPath, host3's from hostKey): every command has its host's key, the docker provider verifies host1's", async () => {
        const { raw, secret } = stackConfig(path.join(ROOT, "stacks", "Pulumi.local.yaml"));
        const hosts = raw["dockfleet:hosts"] as { name: string; address: string; hostKey?: string }[];
        raw["dockfleet:ssh"] = { ...(raw["dockfleet:ssh"] as object), knownHostsPath: testKnownHosts(hosts) };
        raw["dockfleet:hosts"] = hosts.map((h) => (h.name === "host3" ? { ...h, hostKey: testHostKey("pinned-in-stack-file") } : h));
        const want: Record<string, string> = { "10.232.0.11": testHostKey("10.232.0.11"), "10.232.0.12": testHostKey("10.232.0.12"), "10.232.0.13": testHostKey("pinned-in-stack-file") };

        const before = registered.length;
        const cfg = loadStackConfig("local", raw, secret, ROOT);
        const providers = dockerProviders(cfg);
        buildProgram(cfg, {}, providers);
        await settle();
        const mine = registered.slice(before);

        const commands = mine.filter((r) => r.type === "command:remote:Command");
        assert.ok(commands.length >= 6, `${commands.length} commands`);
        for (const c of commands) {
            const conn = connectionOf(c);
            assert.strictEqual(conn.hostKey, want[conn.host], `${c.name} → ${conn.host}`);
        }

        const provs = mine.filter((r) => r.type === "pulumi:providers:docker");
        assert.deepStrictEqual(provs.map((p) => p.name), ["docker-host1"]);
        const opts = sshOptsOf(provs[0]);
        const file = opts.find((o) => o.startsWith("UserKnownHostsFile="))!.slice("UserKnownHostsFile=".length);
        assert.deepStrictEqual(opts, [
            "-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${file}`, "-o", "GlobalKnownHostsFile=none", "-o", "HostKeyAlgorithms=ssh-ed25519", "-o", "UpdateHostKeys=no",
            "-o", "LogLevel=ERROR", "-i", (raw["dockfleet:ssh"] as { privateKeyPath?: string }).privateKeyPath,
        ].filter((x) => x !== undefined));
        assert.strictEqual(fs.readFileSync(file, "utf8"), `10.232.0.11 ${want["10.232.0.11"]}\n`);
        assert.strictEqual(path.dirname(file), path.join(dir, "known_hosts"));
        // the same key next run: the same options (no provider diff)
        assert.deepStrictEqual(sshOptsOf({ inputs: { sshOpts: JSON.stringify(opts) } } as unknown as Registered), opts);
    });

    it("the opt-out: hosts without a key connect unverified (the command provider gets no hostKey), pinned hosts stay verified", async () => {
        const raw: Record<string, unknown> = {
            "dockfleet:hosts": [{ name: "a", address: "10.9.9.1", role: "manager", hostKey: testHostKey("a") }, { name: "b", address: "10.9.9.2" }],
            "dockfleet:ssh": { insecureIgnoreHostKeys: true },
            "dockfleet:sshPrivateKey": "KEY",
            "dockfleet:containerUnits": [{ name: "u", image: "busybox:1" }],
        };
        const before = registered.length;
        const cfg = loadStackConfig("scratch", raw, new Set(["dockfleet:sshPrivateKey"]), ROOT);
        buildProgram(cfg, {}, new Map());
        await settle();
        const conns = registered.slice(before).filter((r) => r.type === "command:remote:Command").map(connectionOf);
        assert.ok(conns.some((c) => c.host === "10.9.9.1") && conns.some((c) => c.host === "10.9.9.2"), JSON.stringify(conns));
        for (const c of conns) assert.strictEqual(c.hostKey, c.host === "10.9.9.1" ? testHostKey("a") : undefined, c.host);
        assert.deepStrictEqual(cfg.warnings.map((w) => w.issue.field), ["dockfleet:ssh.insecureIgnoreHostKeys"]);
    });
});
