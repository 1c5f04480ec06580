// npm run adopt: the pure part (observations → stack file + secret commands) by value, the
// output through the real stack loader, and the ssh output parser. No ssh here.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { AdoptError, HostReading, adoptFromObservations, roleOf } from "../../cli/adopt/adopt";
import { engineVersionIn } from "../../components/common/rules";
import { OBSERVE_COMMAND, parseObservation } from "../../cli/adopt/observe";
import { parseArgs } from "../../cli/adopt";
import { loadStackConfig } from "../../program/load";
import { renderDaemonJson } from "../../components/docker-host/daemon-config";
import { canonicalDaemonJson } from "../../components/docker-host/daemon-parse";
import { mergeDaemon } from "../../components/docker-host/docker-fleet";
import { PROXY_ENV_PATH, renderProxyDropIn, renderProxyEnvFile } from "../../components/docker-host/dropins";
import { parseDropIn, parseEnvFile } from "../../components/docker-host/dropin-parse";
import { testHostKey } from "../support/host-key-fixtures";

const ROOT = path.resolve(__dirname, "../..");
const SECRET_PROXY = "http://svc-docker:s3cr%t@proxy.corp.example:3128";

// Real-looking operator files: different key order, tabs, one host with extra keys.
const MGR_JSON = `{
\t"log-driver": "json-file",
\t"log-opts": { "max-size": "50m", "max-file": "5" },
\t"insecure-registries" : ["10.50.0.21:5000"],
\t"storage-driver": "overlay2",
\t"metrics-addr": "0.0.0.0:9323",
\t"labels": ["role=mgr", "dc=fra1"]
}`;
const WRK_JSON = `{"storage-driver":"overlay2","insecure-registries":["10.50.0.21:5000"],"log-driver":"json-file","log-opts":{"max-file":"5","max-size":"50m"},
  "labels":["dc=fra1","role=wrk"], "default-ulimits": {"nofile": {"Name": "nofile", "Hard": 65536, "Soft": 65536}}, "mtu": 1450}
`;
const PROXY_CONF = `[Service]\nEnvironment="HTTP_PROXY=${SECRET_PROXY.replace(/%/g, "%%")}" "HTTPS_PROXY=${SECRET_PROXY.replace(/%/g, "%%")}"\nEnvironment="NO_PROXY=localhost,127.0.0.1,.corp.example,10.50.0.0/16"\n`;
const LIMITS_CONF = "[Service]\nLimitNOFILE=1048576\nTasksMax=infinity\n";

function fleet(): HostReading[] {
    return [
        { name: "mgr01", address: "10.50.0.21", hostKey: testHostKey("mgr01"), daemonJson: MGR_JSON, dropins: { "http-proxy.conf": PROXY_CONF }, version: "24.0.7", swarm: "active true" },
        { name: "wrk01", address: "10.50.0.31", hostKey: testHostKey("wrk01"), daemonJson: WRK_JSON, dropins: { "http-proxy.conf": PROXY_CONF, "limits.conf": LIMITS_CONF }, version: "24.0.7", swarm: "active false" },
        { name: "wrk02", address: "10.50.0.32", hostKey: testHostKey("wrk02"), daemonJson: WRK_JSON.replace("role=wrk", "role=wrk2"), dropins: { "http-proxy.conf": PROXY_CONF }, version: "20.10.24+dfsg1", swarm: "inactive false" },
    ];
}

function load(stackYaml: string, secrets: Record<string, string>, stack = "adopted") {
    const doc = YAML.parse(stackYaml) as { config: Record<string, unknown> };
    const raw: Record<string, unknown> = { ...doc.config, ...secrets };
    return loadStackConfig(stack, raw, new Set(Object.keys(secrets)), ROOT);
}

describe("npm run adopt (adoptFromObservations)", () => {
    it("common keys in dockfleet:daemon, differing ones per host, engine per host, roles from the swarm state", () => {
        const r = adoptFromObservations(fleet(), { stack: "fra1" });
        assert.deepStrictEqual(r.config["dockfleet:daemon"], {
            insecureRegistries: ["10.50.0.21:5000"], logDriver: "json-file", logOpts: { "max-size": "50m", "max-file": "5" }, storageDriver: "overlay2",
            // dockerd's own values of the keys dockfleet hardens, as the hosts run them
            icc: true, noNewPrivileges: false, userlandProxy: true,
        });
        assert.ok(r.notes.some((n) => n.startsWith("dockerd's own icc, no-new-privileges, userland-proxy written as the hosts run them (mgr01, wrk01, wrk02)")), r.notes.join("\n"));
        const hosts = r.config["dockfleet:hosts"] as Record<string, unknown>[];
        assert.deepStrictEqual(hosts.map((h) => [h.name, h.role, h.engineVersion]), [["mgr01", "manager", "24.0.7"], ["wrk01", "worker", "24.0.7"], ["wrk02", "none", "20.10.24"]]);
        assert.deepStrictEqual(hosts[0].daemon, { labels: { role: "mgr", dc: "fra1" }, metricsAddr: "0.0.0.0:9323" });
        assert.deepStrictEqual(hosts[1].daemon, { defaultUlimits: { nofile: { Name: "nofile", Hard: 65536, Soft: 65536 } }, labels: { dc: "fra1", role: "wrk" }, mtu: 1450 });
        assert.strictEqual(r.config["dockfleet:engineVersion"], undefined);
        assert.deepStrictEqual(r.config["dockfleet:proxy"], { noProxy: [".corp.example", "10.50.0.0/16"] });
        assert.deepStrictEqual(r.config["dockfleet:parts"], ["daemon"]);
    });

    it("proxy values never reach the stack file: secret commands, displayed with <value>", () => {
        const r = adoptFromObservations(fleet(), { stack: "fra1" });
        assert.ok(!r.stackYaml.includes("s3cr"), r.stackYaml);
        assert.ok(!r.notes.join("\n").includes("s3cr"));
        assert.deepStrictEqual(r.secretCommands.map((c) => [c.key, c.value, c.display]), [
            ["dockfleet:httpProxy", SECRET_PROXY, "pulumi config set --secret dockfleet:httpProxy <value> --stack fra1"],
            ["dockfleet:httpsProxy", SECRET_PROXY, "pulumi config set --secret dockfleet:httpsProxy <value> --stack fra1"],
        ]);
        assert.match(r.stackYaml, /^# {3}pulumi config set --secret dockfleet:httpProxy <value> --stack fra1$/m);
    });

    it("a drop-in dockfleet does not manage is named and left alone", () => {
        const r = adoptFromObservations(fleet());
        assert.ok(r.notes.includes("host wrk01: docker.service.d/limits.conf is not managed by dockfleet and is left alone (sets Service.LimitNOFILE, Service.TasksMax)"), r.notes.join("\n"));
        const withProxy = fleet();
        withProxy[2].dropins["proxy.conf"] = '[Service]\nEnvironment="HTTP_PROXY=http://x:y@p:1"\n';
        const n = adoptFromObservations(withProxy).notes.find((x) => x.includes("proxy.conf is not managed"))!;
        assert.match(n, /its HTTP_PROXY are not adopted/);
        assert.ok(!n.includes("x:y"));
    });

    it("the stack file passes the stack loader, and renders each host's settings unchanged (the first up restarts nothing)", () => {
        const key = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "adopt-")), "id");
        fs.writeFileSync(key, "k");
        const obs = fleet();
        const r = adoptFromObservations(obs, { stack: "fra1", keyPath: key, user: "ops", port: 2222 });
        assert.deepStrictEqual(r.notes.filter((n) => /restarts/.test(n)), []);
        const cfg = load(r.stackYaml, { "dockfleet:httpProxy": SECRET_PROXY, "dockfleet:httpsProxy": SECRET_PROXY }, "fra1");
        assert.deepStrictEqual(cfg.config.ssh, { user: "ops", port: 2222, privateKeyPath: key });
        assert.deepStrictEqual([...cfg.parts], ["daemon"]);
        for (const [i, h] of cfg.config.hosts.entries()) {
            const rendered = JSON.parse(renderDaemonJson(mergeDaemon(cfg.config.daemon as never ?? {}, h.daemon as never)));
            assert.strictEqual(canonicalDaemonJson(rendered), canonicalDaemonJson(JSON.parse(obs[i].daemonJson!)), h.name);
            const envFile = renderProxyEnvFile({ httpProxy: SECRET_PROXY, httpsProxy: SECRET_PROXY, noProxy: cfg.config.proxy?.noProxy }, []);
            const sorted = (e: Record<string, string>) => ({ ...e, NO_PROXY: e.NO_PROXY.split(",").sort().join(",") });
            assert.deepStrictEqual(sorted(parseEnvFile(envFile)), sorted(parseDropIn(obs[i].dropins["http-proxy.conf"]).environment));
        }
    });

    it("a host dockfleet already manages (drop-in naming the root-only env file) adopts the same proxy", () => {
        const managed = fleet().map((h) => ({
            ...h,
            dropins: { ...h.dropins, "http-proxy.conf": renderProxyDropIn(true)! },
            envFiles: { [PROXY_ENV_PATH]: renderProxyEnvFile({ httpProxy: SECRET_PROXY, httpsProxy: SECRET_PROXY, noProxy: [".corp.example", "10.50.0.0/16"] }, []) },
        }));
        const a = adoptFromObservations(managed, { stack: "fra1" });
        const b = adoptFromObservations(fleet(), { stack: "fra1" });
        assert.deepStrictEqual(a.secretCommands, b.secretCommands);
        assert.deepStrictEqual(a.config, b.config);
        // the env file unreadable (not in the observation): an error naming host and file
        const lost = managed.map((h) => ({ ...h, envFiles: {} }));
        assert.throws(() => adoptFromObservations(lost), /host mgr01: docker\.service\.d\/http-proxy\.conf names EnvironmentFile=\/etc\/systemd\/system\/docker\.service\.d\/http-proxy\.env, which could not be read/);
    });

    it("without --key the loader needs the sshPrivateKey secret, and the file says how to set it", () => {
        const r = adoptFromObservations(fleet(), { stack: "fra1" });
        assert.match(r.stackYaml, /pulumi config set --secret dockfleet:sshPrivateKey/);
        assert.ok(load(r.stackYaml, { "dockfleet:httpProxy": SECRET_PROXY, "dockfleet:httpsProxy": SECRET_PROXY, "dockfleet:sshPrivateKey": "k" }));
    });

    it("one host, no daemon.json, no drop-ins, one engine: a minimal stack that loads", () => {
        const r = adoptFromObservations([{ name: "solo", address: "10.0.0.9", hostKey: testHostKey("solo"), dropins: {}, version: "27.5.1", swarm: "inactive false" }], { stack: "solo" });
        // the key ssh-keyscan read (and the observation verified) is pinned
        assert.deepStrictEqual(r.config, { "dockfleet:hosts": [{ name: "solo", address: "10.0.0.9", hostKey: testHostKey("solo"), role: "none" }], "dockfleet:daemon": { icc: true, noNewPrivileges: false, userlandProxy: true }, "dockfleet:engineVersion": "27.5.1", "dockfleet:parts": ["daemon"] });
        assert.deepStrictEqual(r.secretCommands, []);
        assert.ok(load(r.stackYaml, { "dockfleet:sshPrivateKey": "k" }, "solo"));
    });

    it("unknown keys are one error per host and key; hosts that disagree on the proxy are refused, values hidden", () => {
        const obs = fleet();
        obs[0].daemonJson = '{"log-driver": "json-file", "no-such-key": true}';
        obs[1].daemonJson = '{"proxies": {"http-proxy": "http://a:b@p:1"}}';
        obs[2].dropins["http-proxy.conf"] = '[Service]\nEnvironment="HTTP_PROXY=http://other:zzz@p:1"\n';
        try {
            adoptFromObservations(obs);
            assert.fail("must throw");
        } catch (e) {
            assert.ok(e instanceof AdoptError);
            assert.match(e.problems[0], /^host mgr01: \/etc\/docker\/daemon\.json: key "no-such-key" is not a daemon\.json key dockfleet models$/);
            assert.match(e.problems[1], /^host wrk01: \/etc\/docker\/daemon\.json: key "proxies" is not a daemon\.json key dockfleet models: .*secret/);
            assert.match(e.problems[2], /hosts disagree on the proxy drop-in \(mgr01, wrk01 vs wrk02; values hidden\)/);
            assert.ok(!e.message.includes("zzz") && !e.message.includes("a:b"));
        }
        assert.throws(() => adoptFromObservations([{ ...fleet()[0], daemonJson: "{oops" }]), /host mgr01: \/etc\/docker\/daemon\.json is not valid JSON/);
    });

    it("engine versions and swarm roles", () => {
        assert.deepStrictEqual(["24.0.7", "20.10.24+dfsg1", "27.0", "Cannot connect to the Docker daemon"].map(engineVersionIn), ["24.0.7", "20.10.24", "27.0", undefined]);
        assert.deepStrictEqual(["active true", "active false", "inactive false", "pending false", "locked false"].map(roleOf), ["manager", "worker", "none", "none", "manager"]);
    });

    it("parses the observe command's output, file texts exact (with and without a final newline)", () => {
        const out = "@@dockfleet-adopt daemon.json\n{\"debug\": true}\n\n@@dockfleet-adopt dropin http-proxy.conf\n[Service]\nEnvironment=A=1\n@@dockfleet-adopt version\n24.0.7\n@@dockfleet-adopt swarm\nactive true\n@@dockfleet-adopt end\n";
        assert.deepStrictEqual(parseObservation("h", "10.0.0.1", out), { name: "h", address: "10.0.0.1", daemonJson: '{"debug": true}\n', dropins: { "http-proxy.conf": "[Service]\nEnvironment=A=1" }, version: "24.0.7", swarm: "active true" });
        const withEnv = out.replace("@@dockfleet-adopt version", "@@dockfleet-adopt envfile /etc/x.env\nHTTP_PROXY=\"http://p:1\"\n\n@@dockfleet-adopt version");
        assert.deepStrictEqual(parseObservation("h", "10.0.0.1", withEnv).envFiles, { "/etc/x.env": 'HTTP_PROXY="http://p:1"\n' });
        const absent = parseObservation("h", "a", "@@dockfleet-adopt daemon.json\n@@dockfleet-adopt absent\n@@dockfleet-adopt version\n20.10.24\n@@dockfleet-adopt swarm\ninactive false\n@@dockfleet-adopt end\n");
        assert.strictEqual(absent.daemonJson, undefined);
        assert.throws(() => parseObservation("h", "a", "@@dockfleet-adopt daemon.json\n{}\n"), /incomplete answer/);
        assert.match(OBSERVE_COMMAND, /docker info --format '\{\{\.Swarm\.LocalNodeState\}\} \{\{\.Swarm\.ControlAvailable\}\}'/);
    });

    it("command line: --stack, --hosts name=address, defaults for user, port and --out", () => {
        assert.deepStrictEqual(parseArgs(["--stack", "fra1", "--hosts", "a=10.0.0.1,b=10.0.0.2", "--no-pulumi"]), {
            stack: "fra1", hosts: [{ name: "a", address: "10.0.0.1" }, { name: "b", address: "10.0.0.2" }], user: "root", port: 22, pulumi: false, force: false, out: "stacks/Pulumi.fra1.yaml",
        });
        assert.throws(() => parseArgs(["--stack", "x", "--hosts", "a"]), /must be name=address/);
        assert.throws(() => parseArgs(["--hosts", "a=1"]), /--stack NAME is required/);
        assert.throws(() => parseArgs(["--stack", "x", "--hosts", "a=1", "--port", "0"]), /TCP port/);
    });
});
