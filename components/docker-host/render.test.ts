import * as assert from "assert";
import { renderDaemonJson, restartDigest } from "./daemon-config";
import { validateDaemonConfig } from "./daemon-validate";
import { PROXY_ENV_PATH, effectiveNoProxy, envFileValue, redactUrl, renderHostsDropIn, renderProxyDropIn, renderProxyEnvFile } from "./dropins";
import { parseEnvFile } from "./dropin-parse";
import { renderHostFiles } from "./docker-host";
import { renderBundle } from "./bundle";

describe("daemon.json renderer", () => {
    it("renders the seed's prod daemon config exactly (golden), keys sorted, templates verbatim", () => {
        const text = renderDaemonJson({
            registryMirrors: ["https://mirror.corp.example:5000"],
            insecureRegistries: ["registry.corp.example:5000", "10.20.0.0/16"],
            metricsAddr: "0.0.0.0:9323",
            experimental: true,
            logDriver: "fluentd",
            logOpts: { "tag": "{{.ImageName}}/{{.Name}}/{{.ID}}", "fluentd-address": "10.20.0.5:24224", "fluentd-async": "true" },
            storageDriver: "devicemapper",
            directLvm: { device: "/dev/xvdf", thinpPercent: 95, thinpMetaPercent: 1, thinpAutoextendThreshold: 80, thinpAutoextendPercent: 20, force: false },
            graph: "/data/docker",
            labels: { zone: "a", env: "prod" },
        });
        assert.strictEqual(text, `{
  "data-root": "/data/docker",
  "debug": false,
  "experimental": true,
  "insecure-registries": [
    "registry.corp.example:5000",
    "10.20.0.0/16"
  ],
  "labels": [
    "env=prod",
    "zone=a"
  ],
  "live-restore": false,
  "log-driver": "fluentd",
  "log-opts": {
    "fluentd-address": "10.20.0.5:24224",
    "fluentd-async": "true",
    "tag": "{{.ImageName}}/{{.Name}}/{{.ID}}"
  },
  "metrics-addr": "0.0.0.0:9323",
  "registry-mirrors": [
    "https://mirror.corp.example:5000"
  ],
  "storage-driver": "devicemapper",
  "storage-opts": [
    "dm.directlvm_device=/dev/xvdf",
    "dm.thinp_percent=95",
    "dm.thinp_metapercent=1",
    "dm.thinp_autoextend_threshold=80",
    "dm.thinp_autoextend_percent=20"
  ]
}
`);
    });

    it("always writes the hot-reloadable keys, so removing one resets it on reload", () => {
        assert.deepStrictEqual(JSON.parse(renderDaemonJson({})), { "debug": false, "insecure-registries": [], "labels": [], "live-restore": false, "registry-mirrors": [] });
    });

    it("is deterministic regardless of input key order", () => {
        const a = renderDaemonJson({ labels: { b: "2", a: "1" }, logOpts: { z: "1", a: "2" } });
        const b = renderDaemonJson({ logOpts: { a: "2", z: "1" }, labels: { a: "1", b: "2" } });
        assert.strictEqual(a, b);
    });

    it("the restart digest ignores hot-reloadable keys and tracks everything else", () => {
        const base = { metricsAddr: "0.0.0.0:9323" };
        assert.strictEqual(restartDigest(base), restartDigest({ ...base, labels: { x: "1" }, insecureRegistries: ["r:5000"], registryMirrors: ["https://m"], debug: true, liveRestore: true }));
        assert.notStrictEqual(restartDigest(base), restartDigest({ ...base, logDriver: "local" }));
        assert.notStrictEqual(restartDigest(base), restartDigest({ metricsAddr: "0.0.0.0:9324" }));
    });

    it("writes TLS settings and hosts", () => {
        const o = JSON.parse(renderDaemonJson({ hosts: ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"], tls: { caCert: "/etc/docker/ca.pem", cert: "/etc/docker/cert.pem", key: "/etc/docker/key.pem" } }));
        assert.deepStrictEqual([o.hosts, o.tls, o.tlsverify, o.tlscacert], [["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"], true, true, "/etc/docker/ca.pem"]);
        assert.deepStrictEqual(validateDaemonConfig({ hosts: ["tcp://0.0.0.0:2376"], tls: { caCert: "/a", cert: "/b", key: "/c" } }).filter((i) => i.severity === "error"), []);
    });
});

describe("systemd drop-ins", () => {
    it("renders the proxy drop-in: it names the root-only env file and holds no value (golden)", () => {
        assert.strictEqual(renderProxyDropIn(true), `# Managed by dockfleet. Proxy for dockerd (image pulls, pushes): the variables are in the root-only
# http-proxy.env (they may hold credentials).

[Service]
EnvironmentFile=/etc/systemd/system/docker.service.d/http-proxy.env
`);
        assert.strictEqual(PROXY_ENV_PATH, "/etc/systemd/system/docker.service.d/http-proxy.env");
    });

    it("renders the proxy env file with NO_PROXY defaults and the fleet registry (golden)", () => {
        assert.strictEqual(renderProxyEnvFile({ httpProxy: "http://proxy.corp:3128", httpsProxy: "http://proxy.corp:3128", noProxy: [".corp.example", "10.0.0.0/8"] }, ["registry.corp.example:5000"]),
            `# Managed by dockfleet. dockerd's proxy (docker.service.d/http-proxy.conf names this file); root only.
HTTP_PROXY="http://proxy.corp:3128"
HTTPS_PROXY="http://proxy.corp:3128"
NO_PROXY="localhost,127.0.0.1,registry.corp.example,.corp.example,10.0.0.0/8"
`);
    });

    it("env file: escapes \\ \" ` $ in credentials; % # ' and spaces stay literal (no specifiers there)", () => {
        const text = renderProxyEnvFile({ httpProxy: 'http://svc:p%40ss"w\\rd$x`y#z\'q@proxy:3128' }, []);
        assert.strictEqual(text.split("\n")[1], 'HTTP_PROXY="http://svc:p%40ss\\"w\\\\rd\\$x\\`y#z\'q@proxy:3128"');
        // and the parser (adopt) reads back exactly the value
        assert.deepStrictEqual(parseEnvFile(text).HTTP_PROXY, 'http://svc:p%40ss"w\\rd$x`y#z\'q@proxy:3128');
        assert.throws(() => envFileValue("a\nb"), /line breaks/);
    });

    it("no proxy → no drop-in (the file is removed)", () => {
        assert.strictEqual(renderProxyDropIn(false), undefined);
    });

    it("renderHostFiles: the drop-in public (0644), the env file secret (0600); without a proxy both absent in the public bundle", () => {
        const withProxy = renderHostFiles({}, "/usr/bin/dockerd", true, { httpProxy: "http://u:pw@p:1" }, []);
        assert.deepStrictEqual(withProxy.publicFiles.map((f) => [f.path, f.mode, f.content === undefined ? "absent" : "present"]), [
            ["/etc/docker/daemon.json", "0644", "present"],
            ["/etc/systemd/system/docker.service.d/10-dockfleet-hosts.conf", "0644", "absent"],
            ["/etc/systemd/system/docker.service.d/http-proxy.conf", "0644", "present"],
        ]);
        assert.deepStrictEqual(withProxy.secretFiles, [{ path: "/etc/systemd/system/docker.service.d/http-proxy.env", mode: "0600",
            content: `# Managed by dockfleet. dockerd's proxy (docker.service.d/http-proxy.conf names this file); root only.\nHTTP_PROXY="http://u:pw@p:1"\nNO_PROXY="localhost,127.0.0.1"\n` }]);
        assert.doesNotMatch(renderBundle(withProxy.publicFiles), /pw/);
        // the command line (no plain values): the same public files, no secret file
        assert.deepStrictEqual(renderHostFiles({}, "/usr/bin/dockerd", true, undefined, []), { publicFiles: withProxy.publicFiles, secretFiles: [] });
        const none = renderHostFiles({}, "/usr/bin/dockerd", false, undefined, []);
        assert.strictEqual(renderBundle(none.publicFiles).split("\n").filter((l) => l.startsWith("=== ")).join("\n"), [
            "=== /etc/docker/daemon.json 0644",
            "=== @facts /etc/docker/daemon.json",
            "=== /etc/systemd/system/docker.service.d/10-dockfleet-hosts.conf absent",
            "=== /etc/systemd/system/docker.service.d/http-proxy.conf absent",
            "=== /etc/systemd/system/docker.service.d/http-proxy.env absent",
        ].join("\n"));
        assert.deepStrictEqual(none.secretFiles, []);
    });

    it("NO_PROXY keeps order and drops duplicates", () => {
        assert.deepStrictEqual(effectiveNoProxy(["localhost", "a", "a"], ["http://reg:5000", "reg"]), ["localhost", "127.0.0.1", "reg", "a"]);
    });

    it("redacts credentials in URLs", () => {
        assert.strictEqual(redactUrl("http://user:secret@proxy:3128"), "http://***@proxy:3128");
        assert.strictEqual(redactUrl("http://proxy:3128"), "http://proxy:3128");
    });

    it("resets ExecStart when daemon.json sets hosts (golden)", () => {
        assert.strictEqual(renderHostsDropIn(["unix:///var/run/docker.sock"], "/usr/sbin/dockerd"), `# Managed by dockfleet. Listen sockets come from daemon.json "hosts", so no -H flag here.

[Service]
ExecStart=
ExecStart=/usr/sbin/dockerd
`);
        assert.strictEqual(renderHostsDropIn(undefined, "/usr/sbin/dockerd"), undefined);
    });

    it("bundles files for the apply script", () => {
        assert.strictEqual(renderBundle([{ path: "/a", mode: "0644", content: "x\ny" }, { path: "/b", mode: "0644" }]), "=== /a 0644\nx\ny\n=== /b absent\n");
        assert.throws(() => renderBundle([{ path: "/a", mode: "0644", content: "=== /etc/passwd 0644" }]), /may not start with/);
    });
});
