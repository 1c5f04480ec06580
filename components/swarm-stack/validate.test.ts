import * as assert from "assert";
import { validateSwarmStack } from "./validate";
import { yumRepoStack } from "./fixtures";
import { ServiceSpec, SwarmStackArgs } from "./spec";

/** yum_repo stack with the nginx service patched. */
const withNginx = (patch: Partial<ServiceSpec>, stack: Partial<SwarmStackArgs> = {}): SwarmStackArgs => {
    const a = yumRepoStack();
    return { ...a, ...stack, services: { ...a.services, nginx: { ...a.services.nginx, ...patch }, ...(stack.services ?? {}) } };
};

const errors = (a: SwarmStackArgs) => validateSwarmStack(a).filter((i) => i.severity === "error");

/** Asserts exactly one issue on `field` whose message matches. */
function expectIssue(a: SwarmStackArgs, field: string, message: RegExp, severity: "error" | "warning" = "error") {
    const all = validateSwarmStack(a);
    const hits = all.filter((i) => i.field === field && i.severity === severity);
    assert.strictEqual(hits.length, 1, `expected one ${severity} on ${field}, got: ${JSON.stringify(all, null, 1)}`);
    assert.match(hits[0].message, message);
}

describe("validateSwarmStack", () => {
    it("accepts the yum_repo stack and a minimal one", () => {
        assert.deepStrictEqual(validateSwarmStack(yumRepoStack()), []);
        assert.deepStrictEqual(validateSwarmStack({ name: "s", services: { a: { image: "a:1" } } }), []);
    });

    it("accepts a healthcheck timeout not shorter than its interval (Docker runs checks one after another)", () => {
        assert.deepStrictEqual(validateSwarmStack(withNginx({ healthcheck: { test: ["CMD", "true"], interval: "2s", timeout: "2s" } })), []);
        assert.deepStrictEqual(validateSwarmStack(withNginx({ healthcheck: { test: ["CMD", "true"], interval: "5s", timeout: "10s" } })), []);
    });

    const cases: [string, SwarmStackArgs, string, RegExp, ("error" | "warning")?][] = [
        ["bad healthcheck duration", withNginx({ healthcheck: { test: ["CMD", "true"], interval: "5 seconds" } }), "services.nginx.healthcheck.interval", /^"5 seconds" is not a Go duration/],
        ["healthcheck without test", withNginx({ healthcheck: { interval: "10s" } as never }), "services.nginx.healthcheck.test", /is required/],
        ["healthcheck test not CMD/CMD-SHELL/NONE", withNginx({ healthcheck: { test: ["curl", "-f", "http://localhost"] } }), "services.nginx.healthcheck.test", /must start with "CMD", "CMD-SHELL" or "NONE", got "curl"/],
        ["CMD-SHELL with several strings", withNginx({ healthcheck: { test: ["CMD-SHELL", "curl", "-f"] } }), "services.nginx.healthcheck.test", /exactly one shell command/],
        ["healthcheck retries < 1", withNginx({ healthcheck: { test: ["NONE"], retries: 0 } }), "services.nginx.healthcheck.retries", /integer ≥ 1/],
        ["negative replicas", withNginx({ replicas: -1 }), "services.nginx.replicas", /-1 must be an integer ≥ 0/],
        ["non-integer replicas", withNginx({ replicas: 1.5 }), "services.nginx.replicas", /1.5 must be an integer/],
        ["replicas with global mode", withNginx({ mode: "global", replicas: 2 }), "services.nginx.replicas", /not allowed with mode "global"/],
        ["duplicate service names (case-insensitive)", withNginx({}, { services: { NGINX: { image: "nginx:1" } } }), "services.NGINX", /duplicates service "nginx"/],
        ["invalid service name", withNginx({}, { services: { "-web": { image: "nginx:1" } } }), "services.-web", /must start with a letter or digit/],
        ["unknown network", withNginx({ networks: ["web", "backend"] }), "services.nginx.networks[1]", /"backend" is not a network of this stack \(declared: web/],
        ["unknown nfs volume", withNginx({ mounts: [{ type: "nfs", source: "repo", target: "/data" }] }), "services.nginx.mounts[0].source", /"repo" is not a key of nfsVolumes \(known: repodata\)/],
        ["port out of range", withNginx({ ports: [{ target: 80, published: 70000 }] }), "services.nginx.ports[0].published", /70000 must be a port number 1-65535/],
        ["target port 0", withNginx({ ports: [{ target: 0 }] }), "services.nginx.ports[0].target", /must be a port number/],
        ["published host port used twice", withNginx({ ports: [{ target: 80, published: 8080, mode: "host" }] }, { services: { other: { image: "httpd:2", ports: [{ target: 80, published: 8080, mode: "host" }] } } }), "services.other.ports[0].published", /8080\/tcp is already published by services.nginx.ports\[0\]; in host mode/],
        ["bad failureAction", withNginx({ update: { failureAction: "retry" as never } }), "services.nginx.update.failureAction", /"retry" must be one of "pause", "continue", "rollback"/],
        ["rollback failureAction rollback", withNginx({ rollback: { failureAction: "rollback" } }), "services.nginx.rollback.failureAction", /must be one of "pause", "continue"$/],
        ["bad order", withNginx({ update: { order: "first" as never } }), "services.nginx.update.order", /"first" must be one of "stop-first", "start-first"/],
        ["bad update delay", withNginx({ update: { delay: "10" } }), "services.nginx.update.delay", /"10" is not a Go duration/],
        ["memory size format", withNginx({ resources: { limits: { memory: "512 megs" } } }), "services.nginx.resources.limits.memory", /"512 megs" is not a memory size/],
        ["cpus format", withNginx({ resources: { reservations: { cpus: "half" } } }), "services.nginx.resources.reservations.cpus", /positive decimal number of CPUs/],
        ["placement constraint syntax", withNginx({ placement: { constraints: ["node.role = manager"] } }), "services.nginx.placement.constraints[0]", /"node.role = manager" is not a constraint such as "node.role == manager"/],
        ["placement role value", withNginx({ placement: { constraints: ["node.role == master"] } }), "services.nginx.placement.constraints[0]", /node.role is "manager" or "worker", got "master"/],
        ["stack name invalid", withNginx({}, { name: "my stack" }), "name", /stack name "my stack" must start with a letter or digit/],
        ["TZ not Area/City", withNginx({}, { tz: "CET+1 zone" }), "tz", /is not a time zone such as "Europe\/Berlin"/],
        ["restart condition", withNginx({ restartPolicy: { condition: "always" as never } }), "services.nginx.restartPolicy.condition", /"always" must be one of "none", "on-failure", "any"/],
        ["stopGracePeriod", withNginx({ stopGracePeriod: "1 minute" }), "services.nginx.stopGracePeriod", /is not a Go duration/],
        ["dnsrr with ingress ports", withNginx({ endpointMode: "dnsrr" }), "services.nginx.endpointMode", /dnsrr services cannot publish ingress ports/],
        ["bind source relative", withNginx({ mounts: [{ type: "bind", source: "./conf", target: "/conf" }] }), "services.nginx.mounts[0].source", /absolute host path/],
        ["namespace label overridden", withNginx({ labels: { "com.docker.stack.namespace": "x" } }), "services.nginx.labels.com.docker.stack.namespace", /set by dockfleet/],
        ["nfs volume server not an IP", withNginx({}, { nfsVolumes: { repodata: { server: "nas.local", path: "/export/yum" } } }), "nfsVolumes.repodata.server", /must be an IP address/],
        ["no services", { name: "empty", services: {} }, "services", /at least one service/],
        ["image missing", withNginx({ image: "" }), "services.nginx.image", /must be an image reference/],
    ];
    for (const [title, args, field, message, severity] of cases) {
        it(`${title} → ${field}`, () => expectIssue(args, field, message, severity));
    }

    it("reports typos and wrong shapes from untyped YAML instead of ignoring them or crashing", () => {
        const a = { name: "s", networks: { n: { internal: true } }, services: { web: { image: "a", replica: 2, update: { paralelism: 2 }, ports: [{ target: 80, publish: 80 }] }, api: { image: "b", ports: "80:80", env: "A=1" }, db: null } } as unknown as SwarmStackArgs;
        assert.deepStrictEqual(errors(a).map((i) => `${i.field}: ${i.message.replace(/ \(known: .*/, "")}`), [
            "networks.n.internal: unknown setting",
            "services.web.replica: unknown setting",
            "services.web.update.paralelism: unknown setting",
            "services.web.ports[0].publish: unknown setting",
            "services.api.env: must be a map",
            "services.api.ports: must be a list of maps",
            "services.db: must be a service object",
        ]);
    });

    it("collects every problem instead of stopping at the first", () => {
        const e = errors(withNginx({ replicas: -1, healthcheck: { test: ["x"], interval: "5 seconds" }, networks: ["nope"] }, { tz: "Berlin" }));
        assert.deepStrictEqual(e.map((i) => i.field).sort(), ["services.nginx.healthcheck.interval", "services.nginx.healthcheck.test", "services.nginx.networks[0]", "services.nginx.replicas", "tz"]);
    });
});
