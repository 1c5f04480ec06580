import * as assert from "assert";
import { DAEMON_KEYS, KeyKind } from "./daemon-keys";
import { renderDaemonJson } from "./daemon-config";
import { canonicalDaemonJson, parseDaemonJson } from "./daemon-parse";
import { parseDropIn, systemdWords } from "./dropin-parse";

// A daemon.json value of each kind, as an operator would write it (key order shuffled).
const SAMPLE: Record<Exclude<KeyKind, "model">, unknown> = {
    boolean: true,
    integer: 7,
    string: "x",
    strings: ["b", "a"],
    stringMap: { z: "1", a: "2" },
    boolMap: { "containerd-snapshotter": true },
    labels: ["zone=a", "env=prod"],
    ulimits: { nofile: { Soft: 1024, Name: "nofile", Hard: 2048 } },
    runtimes: { gvisor: { runtimeArgs: ["--x"], path: "/usr/bin/runsc" } },
    addressPools: [{ size: 24, base: "10.10.0.0/16" }],
    networkOpts: { bridge: { "com.docker.network.driver.mtu": "1400" } },
    object: { gc: { enabled: true, defaultKeepStorage: "10GB" } },
};

const roundTrip = (x: Record<string, unknown>) => {
    const p = parseDaemonJson(x);
    assert.deepStrictEqual(p.errors, []);
    return canonicalDaemonJson(JSON.parse(renderDaemonJson(p.config)));
};

describe("daemon.json parser (inverse of the renderer)", () => {
    for (const d of DAEMON_KEYS.filter((k) => k.kind !== "model")) {
        it(`round trip: "${d.key}" (${d.kind})`, () => {
            const x = { [d.key]: SAMPLE[d.kind as Exclude<KeyKind, "model">] };
            assert.strictEqual(roundTrip(x), canonicalDaemonJson(x));
        });
    }

    it("round trip: tls keys (model) and a whole operator file with every kind at once", () => {
        const tls = { tls: true, tlsverify: true, tlscacert: "/etc/docker/ca.pem", tlscert: "/etc/docker/cert.pem", tlskey: "/etc/docker/key.pem", hosts: ["tcp://0.0.0.0:2376"] };
        assert.strictEqual(roundTrip(tls), canonicalDaemonJson(tls));
        const noVerify = { tls: true, tlscacert: "/a", tlscert: "/b", tlskey: "/c" };
        assert.deepStrictEqual(parseDaemonJson(noVerify).config.tls, { caCert: "/a", cert: "/b", key: "/c", verify: false });
        const all = Object.fromEntries(DAEMON_KEYS.filter((k) => k.kind !== "model").map((k) => [k.key, SAMPLE[k.kind as Exclude<KeyKind, "model">]]));
        assert.strictEqual(roundTrip(all), canonicalDaemonJson(all));
    });

    it("labels become a map, dm.* storage-opts stay storage-opts, data-root is dataRoot", () => {
        const p = parseDaemonJson({ "labels": ["env=prod", "k=a=b"], "storage-driver": "devicemapper", "storage-opts": ["dm.directlvm_device=/dev/xvdf", "dm.thinp_percent=95"], "data-root": "/data" });
        assert.deepStrictEqual(p.config, { labels: { env: "prod", k: "a=b" }, storageDriver: "devicemapper", storageOpts: ["dm.directlvm_device=/dev/xvdf", "dm.thinp_percent=95"], dataRoot: "/data" });
    });

    it("unknown keys, keys left out on purpose and wrong shapes are errors naming the key", () => {
        const p = parseDaemonJson({ "bogus-key": 1, "proxies": { "http-proxy": "http://p:3128" }, "graph": "/x", "mtu": "1500", "labels": ["nolabel"], "tls": true });
        assert.deepStrictEqual(p.errors.map((e) => /key(s)? "[^"]+"/.exec(e)![0]), ['key "bogus-key"', 'key "proxies"', 'key "graph"', 'key "mtu"', 'key "labels"', 'keys "tls"']);
        assert.match(p.errors[1], /credentials/);
        assert.match(p.errors[3], /must be a whole number, got "1500"/);
        assert.deepStrictEqual(parseDaemonJson([1]).errors, ["is not a JSON object"]);
    });

    it("canonical form: key order, whitespace, label order and always-written defaults do not count; values do", () => {
        assert.strictEqual(canonicalDaemonJson({ b: { y: 1, x: 2 }, labels: ["b=1", "a=1"], debug: false, "registry-mirrors": [] }), canonicalDaemonJson({ labels: ["a=1", "b=1"], b: { x: 2, y: 1 } }));
        assert.notStrictEqual(canonicalDaemonJson({ debug: true }), canonicalDaemonJson({}));
        assert.notStrictEqual(canonicalDaemonJson({ dns: ["1.1.1.1", "8.8.8.8"] }), canonicalDaemonJson({ dns: ["8.8.8.8", "1.1.1.1"] }));
    });
});

describe("drop-in parser (systemd word rules)", () => {
    it("splits quoted and unquoted Environment= words, %% and escapes, the last assignment winning", () => {
        assert.deepStrictEqual(systemdWords(`"A=b c" B=d 'C=e"f' D=g\\sh "E=100%%"`), ["A=b c", "B=d", `C=e"f`, "D=g h", "E=100%"]);
        const d = parseDropIn(`# ops\n[Service]\nEnvironment="HTTP_PROXY=http://u:p@proxy:3128" NO_PROXY=localhost\nEnvironment=HTTP_PROXY=http://other:3128\nExecStart=\nExecStart=/usr/bin/dockerd\nLimitNOFILE=1048576\n[Unit]\nAfter=network-online.target\n`);
        assert.deepStrictEqual(d.environment, { HTTP_PROXY: "http://other:3128", NO_PROXY: "localhost" });
        assert.deepStrictEqual(d.execStart, ["", "/usr/bin/dockerd"]);
        assert.deepStrictEqual(d.other, ["Service.LimitNOFILE", "Unit.After"]);
        assert.deepStrictEqual(parseDropIn("[Service]\nEnvironment=A=1\nEnvironment=\nEnvironment=B=2\n").environment, { B: "2" });
    });
});
