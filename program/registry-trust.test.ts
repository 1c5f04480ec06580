import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { DockfleetConfigError } from "../components/common/issues";
import { loadStackConfig } from "./load";
import { coversRegistry } from "./registry-trust";
import { testHostKey } from "../test/support/host-key-fixtures";

const ROOT = path.resolve(__dirname, "..");
// certificates for 10.232.0.11, valid 2026-12 .. 2046-12
const FX = JSON.parse(fs.readFileSync(path.join(ROOT, "test/fixtures/registry-tls.json"), "utf8")) as { caCert: string; cert: string; key: string };
const NOW = new Date("2030-06-01T00:00:00Z");

function raw(over: { daemon?: object; registry?: object; users?: unknown; key?: string | null } = {}): [Record<string, unknown>, Set<string>] {
    const r: Record<string, unknown> = {
        "dockfleet:hosts": [{ name: "host1", address: "10.232.0.11", role: "manager", hostKey: testHostKey("host1") }, { name: "host2", address: "10.232.0.12", role: "manager", hostKey: testHostKey("host2") }],
        "dockfleet:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----\nxx\n-----END OPENSSH PRIVATE KEY-----\n",
        "dockfleet:daemon": over.daemon ?? {},
        "dockfleet:registry": { onHost: "host1", image: "registry:2.8.3", storage: { kind: "filesystem" }, tls: { caCert: FX.caCert, cert: FX.cert }, ...(over.registry ?? {}) },
        "dockfleet:registryHttpSecret": "0123456789abcdef",
        "dockfleet:registryTlsKey": FX.key,
        "dockfleet:registryUsers": { fleet: "fleet-password-123" },
    };
    if (over.key === null) delete r["dockfleet:registryTlsKey"];
    else if (over.key !== undefined) r["dockfleet:registryTlsKey"] = over.key;
    if (over.users === null) delete r["dockfleet:registryUsers"];
    else if (over.users !== undefined) r["dockfleet:registryUsers"] = over.users;
    return [r, new Set(["dockfleet:sshPrivateKey", "dockfleet:registryHttpSecret", "dockfleet:registryTlsKey", "dockfleet:registryUsers"])];
}
const load = (over: Parameters<typeof raw>[0] = {}, now = NOW) => { const [r, s] = raw(over); return loadStackConfig("s", r, s, ROOT, now); };
const errors = (over: Parameters<typeof raw>[0], now = NOW) => {
    try { load(over, now); } catch (e) { if (e instanceof DockfleetConfigError) return e.problems.map((p) => `${p.issue.field}: ${p.issue.message}`); throw e; }
    return [];
};
const warnings = (over: Parameters<typeof raw>[0] = {}) => load(over).warnings.map((w) => w.text).filter((t) => /registry|Registr/.test(t) && !/registry\.storage/.test(t));

describe("stack config: registry TLS and authentication", () => {
    it("TLS + users: loads with no registry warning; the users are kept for the program", () => {
        const cfg = load();
        assert.deepStrictEqual(warnings(), []);
        assert.deepStrictEqual(cfg.registryUsers, { fleet: "fleet-password-123" });
    });

    it("the seed's setup (tls: false, no users, insecure-registries) stays valid, with warnings naming the fields", () => {
        const w = warnings({ registry: { tls: false }, users: null, key: null, daemon: { insecureRegistries: ["10.232.0.11:5000"] } });
        assert.strictEqual(w.length, 2);
        assert.match(w[0], /^stack "s", Registry "registry", field dockfleet:registry\.tls: is false: the registry serves plain HTTP.*npm run registry-tls -- --stack s$/);
        assert.match(w[1], /field dockfleet:registryUsers: is not set: the registry has no authentication, anyone who reaches 10\.232\.0\.11:5000 can push/);
    });

    it("with TLS, an insecure-registries entry covering the registry warns; an http:// mirror of it is an error with the fix", () => {
        const w = warnings({ daemon: { insecureRegistries: ["10.232.0.0/24"] } });
        assert.deepStrictEqual(w.length, 1);
        assert.match(w[0], /field dockfleet:daemon\.insecureRegistries\[0\]: "10\.232\.0\.0\/24" covers the fleet registry 10\.232\.0\.11:5000, which serves TLS.*remove it/);
        assert.deepStrictEqual(errors({ daemon: { registryMirrors: ["http://10.232.0.11:5000"] } }), [
            'dockfleet:daemon.registryMirrors[0]: "http://10.232.0.11:5000" is plain HTTP but the registry serves TLS; write "https://10.232.0.11:5000", or remove it: dockerd sends no credentials to a mirror, so an authenticated registry cannot serve as one',
        ]);
        assert.strictEqual(coversRegistry("10.232.0.11", "10.232.0.11", 5000), true);
        assert.strictEqual(coversRegistry("10.232.1.0/24", "10.232.0.11", 5000), false);
        assert.strictEqual(coversRegistry("10.232.0.11:5001", "10.232.0.11", 5000), false);
    });

    it("a certificate for another address, a missing or foreign key, users without TLS, an unknown login user: errors before any host", () => {
        assert.match(errors({ registry: { address: "10.232.0.99" } })[0], /^dockfleet:registry\.tls\.cert: does not name the registry's address 10\.232\.0\.99/);
        assert.match(errors({ key: null })[0], /^dockfleet:registryTlsKey: is required with registry\.tls.*npm run registry-tls -- --stack s$/);
        assert.match(errors({ key: "nope" })[0], /^dockfleet:registryTlsKey: is not a PEM private key/);
        assert.match(errors({ registry: { tls: false } }).join("\n"), /dockfleet:registryUsers: needs registry\.tls: basic auth over plain HTTP sends the passwords in clear/);
        assert.match(errors({ registry: { loginUser: "ci" } })[0], /^dockfleet:registry\.loginUser: "ci" is not a user in dockfleet:registryUsers \(fleet\)$/);
        assert.match(errors({ users: { a: "long-enough-pw-1", b: "long-enough-pw-2" } })[0], /^dockfleet:registry\.loginUser: is required when dockfleet:registryUsers has more than one user \(a, b\)/);
    });

    it("expired: an error; under 30 days: a warning with the days left", () => {
        assert.match(errors({}, new Date("2047-01-01T00:00:00Z")).join("\n"), /dockfleet:registry\.tls\.cert: expired on 2046-/);
        const [r, s] = raw();
        const soon = loadStackConfig("s", r, s, ROOT, new Date("2046-11-20T00:00:00Z")).warnings.map((w) => w.text);
        assert.ok(soon.some((t) => /field dockfleet:registry\.tls\.cert: expires in 1[0-9] days/.test(t)), soon.join("\n"));
    });

    it("registryUsers stored in plain text is an error naming the command", () => {
        const [r, s] = raw();
        s.delete("dockfleet:registryUsers");
        assert.throws(() => loadStackConfig("s", r, s, ROOT, NOW), /field dockfleet:registryUsers: holds passwords but is stored in plain text; run: pulumi config rm dockfleet:registryUsers --stack s/);
    });
});
