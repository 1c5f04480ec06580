// `npm run hostkeys`: the plan per host, the review lines, the stack file edited in place (by
// value), and main() end to end on a copy of a stack file with a fake ssh-keyscan.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { fingerprint } from "../../components/common/host-keys";
import { formatAction, planHostKey, setHostKeys } from "../../cli/hostkeys/plan";
import { main, parseArgs, targetsOf } from "../../cli/hostkeys";
import { testHostKey } from "../support/host-key-fixtures";

const OLD = testHostKey("old");
const NEW = testHostKey("new");
const t = { name: "host3", address: "10.232.0.13", port: 22 };

describe("npm run hostkeys", () => {
    it("plans: pin a host without a key, keep an equal one, refuse a different one unless --rotate", () => {
        assert.deepStrictEqual(planHostKey(t, NEW, false), { kind: "pin", key: NEW });
        assert.deepStrictEqual(planHostKey({ ...t, pinned: `${NEW} comment` }, NEW, false), { kind: "same", key: NEW });
        assert.deepStrictEqual(planHostKey({ ...t, pinned: OLD }, NEW, false), { kind: "refuse", key: NEW, was: OLD });
        assert.deepStrictEqual(planHostKey({ ...t, pinned: OLD }, NEW, true), { kind: "rotate", key: NEW, was: OLD });
        assert.deepStrictEqual(planHostKey({ ...t, pinned: OLD }, undefined, true), { kind: "unreachable" });
    });

    it("prints each fingerprint for review; a refusal names both and the rotate command", () => {
        assert.strictEqual(formatAction("local", t, { kind: "pin", key: NEW }), `host3 10.232.0.13:22: ssh-ed25519 ${fingerprint(NEW)}: pinned (new)`);
        assert.strictEqual(formatAction("local", { ...t, pinnedFrom: "hostKey" }, { kind: "refuse", key: NEW, was: OLD }),
            `host3 10.232.0.13:22: REFUSED: the host presents ${fingerprint(NEW)}, the pinned key (hostKey) is ${fingerprint(OLD)}; if the change is expected (compare with ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the host's console), run: npm run hostkeys -- --stack local --host host3 --rotate`);
        assert.strictEqual(formatAction("local", { ...t, pinnedFrom: "hostKey" }, { kind: "rotate", key: NEW, was: OLD }), `host3 10.232.0.13:22: ssh-ed25519 ${fingerprint(NEW)}: ROTATED (was ${fingerprint(OLD)} from hostKey)`);
    });

    it("edits only the hostKey values: flow maps get one before their }, block maps a line, an existing value is replaced; comments and spacing stay", () => {
        const text = [
            "# a comment at the top",
            "config:",
            "  dockfleet:hosts:",
            "    # the first host",
            "    - {name: host1, address: 10.0.0.1, labels: {zone: a}}",
            "    - { name: host2, address: 10.0.0.2 }   # trailing comment",
            "    - name: host3",
            "      address: 10.0.0.3",
            "      labels:",
            "        zone: c",
            "    - { name: host4, address: 10.0.0.4, hostKey: ssh-ed25519 AAAAold }",
            "  dockfleet:daemon:",
            "    insecureRegistries: [\"10.0.0.1:5000\"]",
            "",
        ].join("\n");
        const out = setHostKeys(text, { host1: NEW, host2: NEW, host3: NEW, host4: NEW });
        assert.strictEqual(out, [
            "# a comment at the top",
            "config:",
            "  dockfleet:hosts:",
            "    # the first host",
            `    - {name: host1, address: 10.0.0.1, labels: {zone: a}, hostKey: ${NEW}}`,
            `    - { name: host2, address: 10.0.0.2, hostKey: ${NEW} }   # trailing comment`,
            "    - name: host3",
            "      address: 10.0.0.3",
            "      labels:",
            "        zone: c",
            `      hostKey: ${NEW}`,
            `    - { name: host4, address: 10.0.0.4, hostKey: ${NEW} }`,
            "  dockfleet:daemon:",
            "    insecureRegistries: [\"10.0.0.1:5000\"]",
            "",
        ].join("\n"));
        assert.throws(() => setHostKeys(text, { host9: NEW }), /not in dockfleet:hosts: host9/);
        assert.throws(() => setHostKeys("config: {}\n", { host1: NEW }), /has no config."dockfleet:hosts" list/);
    });

    it("the committed stack files take the edit (every host, read back)", () => {
        for (const f of ["local", "dev", "staging", "prod", "vm"]) {
            const text = fs.readFileSync(path.join(__dirname, `../../stacks/Pulumi.${f}.yaml`), "utf8");
            const names = [...text.matchAll(/name: ([\w-]+), address/g)].map((m) => m[1]);
            assert.ok(names.length > 0, f);
            const out = setHostKeys(text, Object.fromEntries(names.map((n) => [n, testHostKey(n)])));
            // nothing but the hostKey values changed: the other lines are the same
            const keep = (s: string) => s.split("\n").map((l) => l.replace(/,? hostKey: ssh-ed25519 [A-Za-z0-9+/=]+/, ""));
            assert.deepStrictEqual(keep(out), keep(text), f);
        }
    });

    it("arguments; the hosts to scan with the key pinned today (hostKey, else knownHostsPath)", () => {
        assert.deepStrictEqual(parseArgs(["--stack", "local", "--host", "host3", "--rotate"]), { stack: "local", hosts: ["host3"], rotate: true, file: path.join("stacks", "Pulumi.local.yaml") });
        assert.throws(() => parseArgs(["--host", "x"]), /--stack NAME is required/);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-hostkeys-"));
        const kh = path.join(dir, "kh");
        fs.writeFileSync(kh, `10.0.0.2 ${OLD}\n`);
        const config = { "dockfleet:hosts": [{ name: "a", address: "10.0.0.1", hostKey: NEW }, { name: "b", address: "10.0.0.2" }, { name: "c", address: "10.0.0.3", port: 2222 }], "dockfleet:ssh": { knownHostsPath: kh } };
        assert.deepStrictEqual(targetsOf(config, []), [
            { name: "a", address: "10.0.0.1", port: 22, pinned: NEW, pinnedFrom: "hostKey" },
            { name: "b", address: "10.0.0.2", port: 22, pinned: OLD, pinnedFrom: kh },
            { name: "c", address: "10.0.0.3", port: 2222 },
        ]);
        assert.throws(() => targetsOf(config, ["zz"]), /not in dockfleet:hosts: zz/);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("main: pins, refuses a changed key without --rotate (file untouched), rotates with it", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-hostkeys-"));
        const file = path.join(dir, "Pulumi.t.yaml");
        fs.writeFileSync(file, "config:\n  dockfleet:hosts:\n    - {name: h1, address: 10.0.0.1}\n");
        const out: string[] = [];
        const write = process.stdout.write.bind(process.stdout);
        const ewrite = process.stderr.write.bind(process.stderr);
        const run = async (argv: string[], presented: string) => {
            process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write;
            process.stderr.write = ((s: string) => (out.push(s), true)) as typeof process.stderr.write;
            try {
                return await main([...argv, "--file", file], async () => presented);
            } finally {
                process.stdout.write = write;
                process.stderr.write = ewrite;
            }
        };
        try {
            assert.strictEqual(await run(["--stack", "t"], OLD), 0);
            assert.strictEqual(fs.readFileSync(file, "utf8"), `config:\n  dockfleet:hosts:\n    - {name: h1, address: 10.0.0.1, hostKey: ${OLD}}\n`);
            const before = fs.readFileSync(file, "utf8");
            assert.strictEqual(await run(["--stack", "t"], NEW), 1);
            assert.strictEqual(fs.readFileSync(file, "utf8"), before, "a refusal writes nothing");
            assert.ok(out.some((l) => l.includes("REFUSED") && l.includes(fingerprint(NEW)) && l.includes(fingerprint(OLD))), out.join(""));
            assert.strictEqual(await run(["--stack", "t", "--host", "h1", "--rotate"], NEW), 0);
            assert.match(fs.readFileSync(file, "utf8"), new RegExp(`hostKey: ${NEW.replace(/[+/]/g, "\\$&")}}`));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
