// The stack's pinned keys: resolution order, the errors and the warning, the mismatch error's text.
import * as assert from "assert";
import { DockfleetConfigError } from "../components/common/issues";
import { fingerprint } from "../components/common/host-keys";
import { testHostKey } from "../test/support/host-key-fixtures";
import { hostKeyMismatchError, resolveHostKeys } from "./host-keys";
import { loadStackConfig } from "./load";
import * as path from "path";

const K1 = testHostKey("h1");
const K2 = testHostKey("h2");
const hosts = () => [
    { name: "h1", address: "10.0.0.1", hostKey: K1 },
    { name: "h2", address: "10.0.0.2" },
    { name: "h3", address: "10.0.0.3", port: 2222 },
];

describe("config: pinned SSH host keys", () => {
    it("hostKey first, else ssh.knownHostsPath's entry (port-qualified when not 22); the source of each is kept", () => {
        const kh = `10.0.0.2 ${K2}\n[10.0.0.3]:2222 ${testHostKey("h3")}\n10.0.0.1 ${testHostKey("other")}\n`;
        const r = resolveHostKeys("prod", hosts(), { knownHostsPath: "/kh" }, (f) => (f === "/kh" ? kh : ""));
        assert.deepStrictEqual(r.issues, []);
        assert.deepStrictEqual(r.hosts.map((h) => h.hostKey), [K1, K2, testHostKey("h3")]);
        assert.deepStrictEqual(r.sources, { h1: "dockfleet:hosts[0].hostKey", h2: "dockfleet:ssh.knownHostsPath (/kh)", h3: "dockfleet:ssh.knownHostsPath (/kh)" });
    });

    it("a host without a key and no opt-out: an error naming the field, the host and the command that collects it", () => {
        const r = resolveHostKeys("prod", hosts(), { knownHostsPath: "/kh" }, () => `10.0.0.3 ${K2}\n`);
        assert.deepStrictEqual(r.issues.map((i) => [i.severity, i.field]), [["error", "dockfleet:hosts[1].hostKey"], ["error", "dockfleet:hosts[2].hostKey"]]);
        assert.strictEqual(r.issues[1].message,
            'no pinned SSH host key for h3 (10.0.0.3) (/kh has no ed25519/ECDSA key for "[10.0.0.3]:2222"): collect it with: npm run hostkeys -- --stack prod --host h3 (reads it with ssh-keyscan, prints its fingerprint for review, writes it here); or set dockfleet:ssh.insecureIgnoreHostKeys: true for throwaway hosts');
        const bad = resolveHostKeys("prod", [{ name: "h1", address: "10.0.0.1", hostKey: "ssh-rsa AAAA" }], undefined);
        assert.match(bad.issues[0].message, /^"ssh-rsa": pin the host's ed25519 key .*; collect it with: npm run hostkeys -- --stack prod --host h1 --rotate$/);
    });

    it("a known_hosts file that cannot be read: one error on the field, not one per host", () => {
        const r = resolveHostKeys("prod", hosts(), { knownHostsPath: "/nope" }, () => { throw Object.assign(new Error("x"), { code: "ENOENT" }); });
        assert.deepStrictEqual(r.issues.map((i) => i.field), ["dockfleet:ssh.knownHostsPath"]);
        assert.match(r.issues[0].message, /^\/nope cannot be read on this machine \(ENOENT\)/);
    });

    it("the opt-out: no error, one warning naming the unverified hosts and the command", () => {
        const r = resolveHostKeys("scratch", hosts(), { insecureIgnoreHostKeys: true });
        assert.deepStrictEqual(r.issues, [{
            severity: "warning", field: "dockfleet:ssh.insecureIgnoreHostKeys",
            message: "SSH host keys are NOT verified for h2, h3: whoever answers on their addresses gets root commands and this stack's secrets; pin them with: npm run hostkeys -- --stack scratch",
        }]);
        assert.strictEqual(r.hosts[1].hostKey, undefined);
    });

    it("loadStackConfig: the error names the stack and the resource; the opt-out's warning names the stack", () => {
        const raw = (ssh: object) => ({
            "dockfleet:hosts": [{ name: "a", address: "10.0.0.1", hostKey: K1 }, { name: "b", address: "10.0.0.2" }, { name: "c", address: "10.0.0.3" }],
            "dockfleet:ssh": ssh,
            "dockfleet:sshPrivateKey": "KEY",
        });
        const root = path.resolve(__dirname, "..");
        assert.throws(() => loadStackConfig("prod", raw({}), new Set(["dockfleet:sshPrivateKey"]), root), (e: Error) => {
            assert.ok(e instanceof DockfleetConfigError);
            assert.match(e.message, /stack "prod", DockerFleet "fleet", field dockfleet:hosts\[2\]\.hostKey: no pinned SSH host key for c \(10\.0\.0\.3\): collect it with: npm run hostkeys -- --stack prod --host c /);
            return true;
        });
        const cfg = loadStackConfig("prod", raw({ insecureIgnoreHostKeys: true }), new Set(["dockfleet:sshPrivateKey"]), root);
        assert.deepStrictEqual(cfg.warnings.map((w) => w.text), ['stack "prod", DockerFleet "fleet", field dockfleet:ssh.insecureIgnoreHostKeys: SSH host keys are NOT verified for b, c: whoever answers on their addresses gets root commands and this stack\'s secrets; pin them with: npm run hostkeys -- --stack prod']);
    });

    it("a host presenting another key: the stack, the host, both fingerprints and the rotate command", () => {
        const e = hostKeyMismatchError("local", [{ host: "host3", address: "10.232.0.13", port: 22, pinned: K1, presented: K2 }], { host3: "dockfleet:ssh.knownHostsPath (/kh)" });
        assert.strictEqual(e.message,
            "invalid dockfleet configuration (1 error):\n" +
            `  - stack "local", host "host3", field dockfleet:ssh.knownHostsPath (/kh): host3 (10.232.0.13:22) presented SSH host key ${fingerprint(K2)} (ssh-ed25519), not the pinned ${fingerprint(K1)}: nothing was sent to it. ` +
            "If its keys were replaced on purpose (a reinstall), compare the new fingerprint with the host's own (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on its console) and rotate the pin: npm run hostkeys -- --stack local --host host3 --rotate");
        const none = hostKeyMismatchError("local", [{ host: "h", address: "10.0.0.9", port: 22, pinned: K1 }]);
        assert.match(none.message, /presented SSH host key no ssh-ed25519 key \(ssh-keyscan read none\), not the pinned SHA256:/);
    });
});
