// The key table against everything derived from it: DaemonConfig (fields and doc comments, read
// from the source), the stack config schema, the renderer, the reload digest, the version guards
// and the table in docs/stack-config.md.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { daemonSchema } from "../../program/schema";
import { DaemonConfig, daemonJsonObject, restartDigest } from "./daemon-config";
import { validateDaemonConfig } from "./daemon-validate";
import {
    DAEMON_FIELDS, DAEMON_KEYS, DaemonKey, KeyKind, MODEL_FIELDS, OMITTED, RELOADABLE_KEYS, changeEffect, keysOfField, unknownKeyHint,
} from "./daemon-keys";
import { BEGIN_MARKER, END_MARKER, KEY_TABLE_DOC, renderKeyTable } from "./daemon-keys-doc";

const ROOT = path.resolve(__dirname, "..", "..");

/** `field → doc comment` of the DaemonConfig interface, from its source. */
function interfaceComments(): Map<string, string> {
    const src = fs.readFileSync(path.join(__dirname, "daemon-config.ts"), "utf8");
    const body = /export interface DaemonConfig \{([\s\S]*?)\n\}/.exec(src)![1];
    const out = new Map<string, string>();
    const re = /\/\*\*([\s\S]*?)\*\/\s*\n\s*(\w+)\?:/g;
    let m: RegExpExecArray | null;
    while ((m = re.exec(body))) out.set(m[2], m[1].replace(/\s*\n\s*\*?\s*/g, " ").trim());
    return out;
}

/** A valid sample value of each kind, and a second, different one. */
const SAMPLES: Record<Exclude<KeyKind, "model">, [unknown, unknown]> = {
    boolean: [true, false],
    integer: [2, 3],
    string: ["a", "b"],
    strings: [["a"], ["b"]],
    stringMap: [{ a: "1" }, { a: "2" }],
    boolMap: [{ a: true }, { a: false }],
    labels: [{ a: "1" }, { a: "2" }],
    ulimits: [{ nofile: { Name: "nofile", Hard: 2, Soft: 1 } }, { nofile: { Name: "nofile", Hard: 3, Soft: 1 } }],
    runtimes: [{ r: { path: "/a" } }, { r: { path: "/b" } }],
    addressPools: [[{ base: "10.0.0.0/8", size: 24 }], [{ base: "10.0.0.0/8", size: 16 }]],
    networkOpts: [{ bridge: { a: "1" } }, { bridge: { a: "2" } }],
    object: [{ gc: { enabled: true } }, { gc: { enabled: false } }],
};
const oneKeyEntries = DAEMON_KEYS.filter((d): d is DaemonKey & { kind: Exclude<KeyKind, "model"> } => d.kind !== "model");
const camel = (key: string) => key.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

describe("daemon key table", () => {
    it("has unique keys, sorted, each field the camelCase of its key (tls* belong to tls)", () => {
        const keys = DAEMON_KEYS.map((d) => d.key);
        assert.deepStrictEqual(keys, [...new Set(keys)].sort());
        for (const d of oneKeyEntries) assert.strictEqual(d.field, camel(d.key), d.key);
        assert.deepStrictEqual(keysOfField("tls").map((d) => d.key), ["tls", "tlscacert", "tlscert", "tlskey", "tlsverify"]);
        assert.ok(DAEMON_KEYS.length >= 75, `${DAEMON_KEYS.length} keys`);
    });

    it("omits no key it also lists, and every omitted key has a reason", () => {
        for (const o of OMITTED) {
            assert.ok(o.reason.length > 20, o.keys.join());
            for (const key of o.keys) assert.ok(!DAEMON_KEYS.some((d) => d.key === key), key);
        }
    });

    it("hot-reloadable keys are exactly Docker's reload list (moby daemon/reload*.go, cmd/dockerd reloadConfig, 20.10-27)", () => {
        assert.deepStrictEqual([...RELOADABLE_KEYS].sort(), [
            "allow-nondistributable-artifacts", "authorization-plugins", "debug", "default-cgroupns-mode", "default-ipc-mode", "default-runtime",
            "default-shm-size", "features", "insecure-registries", "labels", "live-restore", "max-concurrent-downloads", "max-concurrent-uploads",
            "max-download-attempts", "network-diagnostic-port", "registry-mirrors", "runtimes", "shutdown-timeout",
        ]);
        // the five written even when unset, as before the table
        assert.deepStrictEqual(DAEMON_KEYS.filter((d) => d.reload === "always").map((d) => d.key), ["debug", "insecure-registries", "labels", "live-restore", "registry-mirrors"]);
    });

    it("DaemonConfig has a field for every table field and model field, and no other", () => {
        const fields = [...interfaceComments().keys()].sort();
        assert.deepStrictEqual(fields, [...DAEMON_FIELDS].sort());
    });

    it("each field's doc comment names its daemon.json key(s) and states the table's default", () => {
        const comments = interfaceComments();
        for (const d of DAEMON_KEYS) {
            const c = comments.get(d.field)!;
            assert.ok(c.includes(`\`${d.key}\``), `${d.field}: comment does not name \`${d.key}\`: ${c}`);
            if (d.kind !== "model") assert.ok(c.includes(`Default: ${d.default}.`), `${d.field}: comment does not say "Default: ${d.default}.": ${c}`);
            if (d.since) assert.ok(c.includes(`Engine ${d.since}+`), `${d.field}: comment does not say Engine ${d.since}+`);
            if (d.removedIn) assert.ok(c.includes(`Removed in Engine ${d.removedIn}`), `${d.field}: comment does not say it was removed`);
        }
        for (const f of Object.keys(MODEL_FIELDS)) assert.match(comments.get(f)!, /Default: /, f);
    });

    it("the stack config schema has exactly the model's fields and takes a sample of each kind", () => {
        assert.deepStrictEqual(Object.keys(daemonSchema.shape).sort(), [...DAEMON_FIELDS].sort());
        const sample = Object.fromEntries(oneKeyEntries.map((d) => [d.field, SAMPLES[d.kind][0]]));
        assert.strictEqual(daemonSchema.safeParse(sample).success, true, JSON.stringify(daemonSchema.safeParse(sample).error?.issues));
        assert.strictEqual(daemonSchema.safeParse({ "log-format": "json" }).success, false);
    });

    it("renders every table key from its field, under its daemon.json name", () => {
        const cfg = Object.fromEntries(oneKeyEntries.map((d) => [d.field, SAMPLES[d.kind][0]])) as DaemonConfig;
        cfg.tls = { caCert: "/c", cert: "/d", key: "/e" };
        assert.deepStrictEqual(Object.keys(daemonJsonObject(cfg)), DAEMON_KEYS.map((d) => d.key));
        assert.deepStrictEqual(daemonJsonObject({ defaultAddressPools: [{ base: "10.0.0.0/8", size: 24 }], execOpts: ["native.cgroupdriver=systemd"] }), {
            "debug": false, "default-address-pools": [{ base: "10.0.0.0/8", size: 24 }], "exec-opts": ["native.cgroupdriver=systemd"],
            "insecure-registries": [], "labels": [], "live-restore": false, "registry-mirrors": [],
        });
    });

    it("the reload digest follows the table: restart keys always count, reload keys only by presence, always-written ones not at all", () => {
        for (const d of oneKeyEntries) {
            const [a, b] = SAMPLES[d.kind];
            const with1 = restartDigest({ [d.field]: a } as DaemonConfig);
            const with2 = restartDigest({ [d.field]: b } as DaemonConfig);
            const none = restartDigest({});
            if (d.reload === "restart") assert.notStrictEqual(with1, with2, `${d.key}: a new value must restart`);
            else assert.strictEqual(with1, with2, `${d.key}: a new value must reload`);
            if (d.reload === "always") assert.strictEqual(with1, none, `${d.key}: always written`);
            else assert.notStrictEqual(with1, none, `${d.key}: adding or removing it must restart`);
        }
    });

    it("the preview's change effect agrees with the digest", () => {
        assert.strictEqual(changeEffect("labels", undefined, ["a=1"]), "reload");
        assert.strictEqual(changeEffect("max-concurrent-downloads", 3, 6), "reload");
        assert.strictEqual(changeEffect("max-concurrent-downloads", undefined, 6), "restart");
        assert.strictEqual(changeEffect("log-opts.max-size", "10m", "20m"), "restart");
        assert.strictEqual(changeEffect("no-such-key", 1, 2), "restart");
    });

    it("guards engine versions from the table, naming both versions", () => {
        const at = (cfg: DaemonConfig, v?: string) => validateDaemonConfig(cfg, { engineVersion: v }).map((i) => `${i.severity} ${i.field}: ${i.message}`);
        assert.deepStrictEqual(at({ logFormat: "json" }, "20.10"), ['error daemon.logFormat: "log-format" needs Docker Engine 25.0 or later; host engine is 20.10']);
        assert.deepStrictEqual(at({ logFormat: "json" }, "25.0.3"), []);
        assert.deepStrictEqual(at({ logFormat: "json" }), []);
        assert.deepStrictEqual(at({ defaultNetworkOpts: { bridge: { "com.docker.network.driver.mtu": "1450" } } }, "23.0"), ['error daemon.defaultNetworkOpts: "default-network-opts" needs Docker Engine 24.0 or later; host engine is 23.0']);
        assert.match(at({ oomScoreAdjust: -500 }, "25.0")[0], /^error daemon.oomScoreAdjust: "oom-score-adjust" was removed in Docker Engine 25.0; host engine is 25.0; set OOMScoreAdjust in the docker.service unit$/);
        assert.match(at({ oomScoreAdjust: -500 }, "24.0")[0], /^warning daemon.oomScoreAdjust: "oom-score-adjust" is deprecated since Docker Engine 24.0 and removed in 25.0/);
        assert.deepStrictEqual(at({ apiCorsHeader: "*" }, "26.1"), []);
        assert.match(at({ apiCorsHeader: "*" }, "27.1")[0], /^warning daemon.apiCorsHeader: "api-cors-header" is deprecated since Docker Engine 27.0/);
    });

    it("refuses a value of the wrong shape (library use, no schema), naming the key", () => {
        const issues = validateDaemonConfig({ mtu: "1500" as unknown as number, dns: "1.1.1.1" as unknown as string[] });
        assert.deepStrictEqual(issues.map((i) => [i.field, i.message]), [
            ["daemon.dns", '"dns" must be a list of strings, got "1.1.1.1"'],
            ["daemon.mtu", '"mtu" must be a whole number, got "1500"'],
        ]);
    });

    it("hints at the field for a daemon.json spelling, and at the reason for an omitted key", () => {
        assert.strictEqual(unknownKeyHint("log-level"), '"log-level" is the daemon.json spelling; the field is logLevel');
        assert.match(unknownKeyHint("clusterStore")!, /left out on purpose: legacy overlay networking .* removed in Engine 23.0/);
        assert.match(unknownKeyHint("proxies")!, /secret systemd drop-in/);
        assert.strictEqual(unknownKeyHint("nonsense"), undefined);
    });

    it(`${KEY_TABLE_DOC}'s daemon key table is the table (run \`npm run docs:keys\` when this fails)`, () => {
        const doc = fs.readFileSync(path.join(ROOT, KEY_TABLE_DOC), "utf8");
        const a = doc.indexOf(BEGIN_MARKER);
        const b = doc.indexOf(END_MARKER);
        assert.ok(a >= 0 && b > a, `${KEY_TABLE_DOC} has no daemon-keys section`);
        assert.strictEqual(doc.slice(a + BEGIN_MARKER.length, b).trim(), renderKeyTable().trim(), `${KEY_TABLE_DOC} is stale: run npm run docs:keys`);
    });
});
