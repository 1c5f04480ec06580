import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import {
    PreviewJson, batchesFromConfig, batchesFromPlan, diffDaemon, hostChanges, maskString, normalizeSteps, renderSummary, risks, serviceChanges,
} from "../../cli/preview-summary/summary";
import { parseApplyCommand } from "../../components/docker-host/bundle-parse";
import { parseArgs } from "../../cli/preview-summary";
import { renderApplyCommand, renderBundle } from "../../components/docker-host/bundle";

const FIX = path.join(__dirname, "..", "fixtures", "preview");
const load = (name: string): PreviewJson => JSON.parse(fs.readFileSync(path.join(FIX, name), "utf8"));
const section = (md: string, title: string) => {
    const i = md.indexOf(`### ${title}`);
    if (i < 0) return "";
    const j = md.indexOf("\n### ", i + 4);
    return md.slice(i, j < 0 ? undefined : j);
};

describe("preview summary: real engine previews of the sandbox stack", () => {
    it("first deploy: every host gets its first apply, in config order, batch size 1", () => {
        const md = renderSummary(load("sandbox-first-deploy.json"));
        assert.match(md, /^## dockfleet preview: stack `local`/);
        assert.match(md, /18 to create/);
        assert.match(md, /batch 1 = host1 → batch 2 = host2 → batch 3 = host3 \(batch size 1/);
        assert.match(md, /\| 1 of 3 \| host1 \| first apply: restart \|/);
        assert.match(md, /\| 3 of 3 \| host3 \| first apply: restart \|/);
        assert.match(md, /service `httpd`: created/);
        assert.doesNotMatch(md, /Data risk/, "a first deploy replaces and deletes nothing");
    });

    it("PR update against the real sandbox state: daemon.json keys, batches, the rolling service, the replaced volume first", () => {
        const md = renderSummary(load("sandbox-pr-update.json"));
        assert.match(md, /4 to update, 2 to replace, 12 unchanged/);
        // data risk comes before everything else
        assert.ok(md.indexOf("### Data risk") < md.indexOf("### Docker hosts"));
        assert.ok(md.indexOf("### Docker hosts") < md.indexOf("### Swarm stacks"));
        const risk = section(md, "Data risk, replacements and deletes");
        assert.match(risk, /\*\*DATA\*\* NFS volume `shared-[0-9a-f]{8}` is \*\*replaced\*\* by `shared-[0-9a-f]{8}`: the data stays on the NFS server \(`10\.232\.0\.1:\/export\/shared`\)/);
        assert.match(risk, /rw,soft` → `addr=10\.232\.0\.1,nfsvers=4,rw,hard`/);
        assert.match(risk, /container `registry-container` is \*\*replaced\*\* .*image `local\/registry:2\.8\.2` → `local\/registry:2\.8\.3`\. Registry storage is swift: blobs are kept/);
        const hosts = section(md, "Docker hosts");
        assert.match(hosts, /batch 1 = host1, host2 → batch 2 = host3 \(batch size 2/);
        assert.match(hosts, /\| 1 of 2 \| host1 \| restart \| `debug`, `log-opts.max-size`, `metrics-addr`, `storage-driver` \|/);
        assert.match(hosts, /\| 2 of 2 \| host3 \| restart \|/);
        assert.match(hosts, /- `log-opts.max-size`: `10m` → `20m`/);
        assert.match(hosts, /- `metrics-addr`: `0\.0\.0\.0:9323` → \(removed\)/);
        assert.match(hosts, /- `storage-driver`: \(unset\) → `overlay2`/);
        const swarm = section(md, "Swarm stacks");
        assert.match(swarm, /\*\*stack `web`\*\*/);
        assert.match(swarm, /service `httpd`: tasks roll \(2 at a time, stop-first, on failure: rollback\)/);
        assert.match(swarm, /`taskSpec.containerSpec.healthcheck.retries`: `3` → `5`/);
        assert.match(swarm, /`updateConfig.parallelism`: `1` → `2`/);
        assert.doesNotMatch(md, /\(unset\) → \(unset\)/, "provider-computed fields that stay unset are not listed");
    });

    it("a real drift marker from the sandbox (an interrupted apply on host1) and a service command change", () => {
        const md = renderSummary(load("sandbox-drift.json"));
        assert.match(md, /4 to update, 14 unchanged/);
        assert.match(md, /- drift found on the host: an earlier apply was interrupted half-way; the apply puts dockfleet's version back and verifies it/);
        assert.match(md, /\| 1 of 3 \| host1 \| restart \|/);
        assert.match(md, /service `httpd`: tasks roll \(1 at a time, stop-first, on failure: rollback\)/);
    });

    it("policy violations (the JSON only says 'preview failed') are called out", () => {
        const md = renderSummary(load("sandbox-policy-violation.json"));
        assert.match(md, /\*\*The preview failed\*\*/);
        assert.match(md, /policy violation/);
        assert.match(md, /`hosts`/);
    });

    it("never prints a secret: no private key, no proxy password, [secret] where the engine hid a value", () => {
        for (const f of fs.readdirSync(FIX).filter((x) => x.endsWith(".json"))) {
            const md = renderSummary(load(f));
            assert.doesNotMatch(md, /PRIVATE KEY|hunter2|skDockfleet/, f);
        }
        const md = renderSummary(load("edge-replace-delete.json"));
        assert.match(md, /`taskSpec.containerSpec.env.API_TOKEN`: \(unset\) → \[secret\]/);
        assert.match(md, /proxy variables \(on stdin\) changed: \[secret\]/);
        assert.match(md, /proxy http:\/\/svc:\[secret\]@proxy.corp.example:3128 unreachable/);
    });
});

describe("preview summary: hand-written edge cases", () => {
    it("the restart plan the program logged replaces the config's batches, with its reasons", () => {
        const preview = {
            config: { "dockfleet:hosts": JSON.stringify([{ name: "m1" }, { name: "w1" }, { name: "w2" }]), "dockfleet:rollout": "{}" },
            steps: [],
            diagnostics: [{ severity: "info", message: 'DockerFleet "fleet" restart plan from the live swarm:\n  batch 1 = m1, w1: 1 of 1 managers (at most 1 at once for quorum); web 1/2 running (floor 1)\n  batch 2 = w2: web 1/2 running (floor 1)\n' }],
        } as unknown as PreviewJson;
        assert.deepStrictEqual(batchesFromPlan(preview)!.batches, [["m1", "w1"], ["w2"]]);
        assert.deepStrictEqual(batchesFromConfig(preview.config), [["m1"], ["w1"], ["w2"]]);
        assert.strictEqual(batchesFromPlan({ ...preview, diagnostics: [] }), undefined);
    });

    it("the rollout the program logged: the reload hosts as canary and wave ahead of the restart batches, which keep their order", () => {
        const step = (host: string, a: object, b: object) => {
            const urn = `urn:pulumi:local::dockfleet::dockfleet:dockerhost:DockerFleet$dockfleet:dockerhost:DockerHost$command:remote:Command::${host}-apply`;
            const cmd = (daemon: object) => renderApplyCommand("apply", { host, restartTimeoutSeconds: 60, owner: `dockfleet.local.${host}`, op: "update" as const },
                renderBundle([{ path: "/etc/docker/daemon.json", mode: "0644", content: JSON.stringify({ debug: false, labels: [], ...daemon }, null, 2) + "\n" }]));
            return {
                urn, op: "update", diffReasons: ["create", "update"],
                oldState: { urn, type: "command:remote:Command", inputs: { create: cmd(a), update: cmd(a) } },
                newState: { urn, type: "command:remote:Command", inputs: { create: cmd(b), update: cmd(b) } },
            };
        };
        const preview = {
            config: { "dockfleet:hosts": JSON.stringify([{ name: "m1" }, { name: "w1" }, { name: "w2" }, { name: "w3" }]), "dockfleet:rollout": "{}" },
            steps: [step("m1", {}, { debug: true }), step("w1", {}, { debug: true }), step("w2", {}, { mtu: 1450 }), step("w3", {}, { debug: true })],
            diagnostics: [{ severity: "info", message: 'DockerFleet "fleet" restart plan from the live swarm:\n  reload: w1 (canary), m1, w3 (one wave); restart: w2\n  the wave starts once w1 reloaded and verified; a failed canary rolls itself back (its apply restores the last good files) and stops the wave and the restart batches\n  restart w2: daemon.json keys that need a restart\n  batch 1 = m1, w1: 1 of 1 managers (at most 1 at once for quorum)\n  batch 2 = w2, w3: no replicated tasks\n' }],
        } as unknown as PreviewJson;
        const md = renderSummary(preview);
        assert.match(md, /Rollout, per host from the probe \(hosts that only reload go first: one canary, then the others at once\):\n\n- reload: w1 \(canary\), m1, w3 \(one wave\); restart: w2\n- the wave starts once w1 reloaded and verified; .*\n- restart w2: daemon.json keys that need a restart\n/);
        const rows = md.split("\n").filter((l) => /^\| (canary|wave|\d+ of \d+) \|/.test(l));
        assert.deepStrictEqual(rows, [
            "| canary | w1 | reload | `debug` |",
            "| wave | m1 | reload | `debug` |",
            "| wave | w3 | reload | `debug` |",
            "| 1 of 1 | w2 | restart | `mtu` |",
        ]);
    });

    it("no changes", () => {
        const md = renderSummary(load("edge-no-changes.json"));
        assert.match(md, /\*\*No changes\.\*\* 18 resources unchanged; no host restarts, no service rolls\./);
        assert.doesNotMatch(md, /###/, "no sections (the $PATH plugin warning is noise)");
    });

    it("replacements and deletes: data loss first, then NFS, host removal, service delete/replace", () => {
        const md = renderSummary(load("edge-replace-delete.json"));
        const risk = section(md, "Data risk, replacements and deletes").split("\n").filter((l) => l.startsWith("- "));
        assert.match(risk[0], /\*\*DATA\*\* Volume `pgdata` is \*\*replaced\*\*: a new, empty volume is created and the old one's data is \*\*lost\*\*/);
        assert.match(risk[1], /\*\*DATA\*\* NFS volume `shared-[0-9a-f]+` is \*\*deleted\*\*: the Docker volume goes, the data stays on the NFS server/);
        assert.ok(risk.some((l) => /Docker host `host3` leaves dockfleet: its pre-dockfleet daemon.json and drop-ins are \*\*restored and dockerd restarts\*\*/.test(l)));
        assert.ok(risk.some((l) => /service `web-legacy` is \*\*deleted\*\*/.test(l)));
        assert.ok(risk.some((l) => /service `web-api` is \*\*replaced\*\*.*mode\.global/.test(l)));
        assert.doesNotMatch(md, /__defaults/);
    });

    it("hot-reloadable keys only → reload, unless the host drifted; proxy (stdin) change → restart", () => {
        const md = renderSummary(load("edge-replace-delete.json"));
        assert.match(md, /\| 1 of 2 \| host1 \| restart \| `debug`, `labels` \|/, "host1 drifted: the script restarts");
        assert.match(md, /drift found on the host: `\/etc\/docker\/daemon.json` was changed by hand; the apply puts dockfleet's version back/);
        assert.match(md, /\| 1 of 2 \| host2 \| restart \| — \|/);
        assert.match(md, /\| 2 of 2 \| host3 \| restore/);
        const p = load("edge-replace-delete.json");
        const h1 = p.steps!.find((s) => s.urn.endsWith("::host1-apply"))!;
        delete h1.newState!.inputs!.triggers;
        h1.diffReasons = ["create", "update"];
        h1.detailedDiff = { create: { kind: "update" }, update: { kind: "update" } };
        assert.match(renderSummary(p), /\| 1 of 2 \| host1 \| reload \| `debug`, `labels` \|/);
    });

    it("marks each daemon.json key change reload or restart from the key table", () => {
        const urn = "urn:pulumi:local::dockfleet::dockfleet:dockerhost:DockerFleet$dockfleet:dockerhost:DockerHost$command:remote:Command::host1-apply";
        const cmd = (daemon: object) => renderApplyCommand("apply", { host: "host1", restartTimeoutSeconds: 60, owner: "dockfleet.local.host1", op: "update" as const },
            renderBundle([{ path: "/etc/docker/daemon.json", mode: "0644", content: JSON.stringify({ debug: false, labels: [], ...daemon }, null, 2) + "\n" }]));
        const step = (a: object, b: object) => ({
            urn, op: "update", diffReasons: ["create", "update"],
            oldState: { urn, type: "command:remote:Command", inputs: { create: cmd(a), update: cmd(a) } },
            newState: { urn, type: "command:remote:Command", inputs: { create: cmd(b), update: cmd(b) } },
        });
        const action = (a: object, b: object) => hostChanges([step(a, b)], [["host1"]])[0].action;
        assert.strictEqual(action({ "max-concurrent-downloads": 3 }, { "max-concurrent-downloads": 6 }), "reload");
        assert.strictEqual(action({ "runtimes": { a: { path: "/a" } } }, { "runtimes": { a: { path: "/a" }, b: { path: "/b" } } }), "reload");
        assert.strictEqual(action({}, { "max-concurrent-downloads": 6 }), "restart", "adding a reloadable key restarts (the digest sees its presence)");
        assert.strictEqual(action({ "shutdown-timeout": 30 }, {}), "restart", "removing one restarts: a reload would keep the old value");
        assert.strictEqual(action({ "debug": false, "mtu": 1500 }, { "debug": true, "mtu": 1450 }), "restart");
        const md = renderSummary({ steps: [step({ "debug": false, "mtu": 1500 }, { "debug": true, "mtu": 1450 })] });
        assert.match(md, /- `debug`: `false` → `true` \(reload\)/);
        assert.match(md, /- `mtu`: `1500` → `1450` \(restart\)/);
    });

    it("the repair marker of the apply command (upstream pulumi-command: an update, not a replace) reads as drift", () => {
        const bundle = renderBundle([{ path: "/etc/docker/daemon.json", mode: "0644", content: '{"debug": false}\n' }]);
        const opts = { host: "host2", restartTimeoutSeconds: 60, owner: "dockfleet.local.host2", op: "update" as const };
        const before = renderApplyCommand("apply", opts, bundle);
        const after = "# drift repair 1 /etc/docker/daemon.json\n" + renderApplyCommand("apply", { ...opts, repair: "1 /etc/docker/daemon.json" }, bundle);
        assert.strictEqual(parseApplyCommand(after)?.repair, "1 /etc/docker/daemon.json");
        const urn = "urn:pulumi:local::dockfleet::dockfleet:dockerhost:DockerFleet$dockfleet:dockerhost:DockerHost$command:remote:Command::host2-apply";
        const step = (oldCmd: string, newCmd: string) => ({
            urn, op: oldCmd === newCmd ? "same" : "update", diffReasons: oldCmd === newCmd ? [] : ["create", "update"],
            oldState: { urn, type: "command:remote:Command", inputs: { create: oldCmd, update: oldCmd } },
            newState: { urn, type: "command:remote:Command", inputs: { create: newCmd, update: newCmd } },
        });
        const [h] = hostChanges([step(before, after)], [["host2"]]);
        assert.strictEqual(h.action, "restart", "a drifted host restarts, even with no key changed");
        assert.deepStrictEqual(h.notes, ["drift found on the host: `/etc/docker/daemon.json` was changed by hand; the apply puts dockfleet's version back and verifies it"]);
        // once repaired, the marker stays the same: no note, no action
        const [quiet] = hostChanges([step(after, after)], [["host2"]]);
        assert.deepStrictEqual([quiet.action, quiet.notes], ["none", []]);
    });

    it("services: roll on task spec changes, scale on replicas only, recreate on replace", () => {
        const s = serviceChanges(normalizeSteps(load("edge-replace-delete.json").steps!));
        const by = Object.fromEntries(s.map((x) => [x.service, x.effect]));
        assert.match(by.httpd, /^tasks roll/);
        assert.match(by.worker, /^scales/);
        assert.match(by.api, /^recreated/);
        assert.match(by.legacy, /^removed/);
    });

    it("a failed preview shows the error, masked", () => {
        const md = renderSummary(load("edge-preview-error.json"));
        assert.match(md, /\*\*The preview failed\*\* \(2 errors\)/);
        assert.match(md, /DockfleetConfigError/);
        assert.match(md, /http:\/\/svc:\[secret\]@proxy:3128/);
        assert.doesNotMatch(md, /policy violation/);
    });
});

describe("preview summary: pieces", () => {
    it("parses the DockerHost apply command the component renders", () => {
        const bundle = renderBundle([{ path: "/etc/docker/daemon.json", mode: "0644", content: '{\n  "debug": true\n}\n' }, { path: "/etc/x.conf", mode: "0644" }]);
        const cmd = renderApplyCommand("apply", { host: "web-01", restartTimeoutSeconds: 60 }, bundle);
        const p = parseApplyCommand(cmd)!;
        assert.strictEqual(p.host, "web-01");
        assert.deepStrictEqual(p.daemon, { debug: true });
        assert.strictEqual(p.files["/etc/x.conf"], undefined);
        assert.ok("/etc/x.conf" in p.files);
        assert.strictEqual(parseApplyCommand("echo hi"), undefined);
    });

    it("diffs daemon.json keys, one level into objects", () => {
        assert.deepStrictEqual(diffDaemon({ a: 1, "log-opts": { x: "1", y: "2" }, b: [1] }, { a: 1, "log-opts": { x: "1", y: "3" }, c: true }), [
            { key: "b", from: [1], to: undefined },
            { key: "c", from: undefined, to: true },
            { key: "log-opts.y", from: "2", to: "3" },
        ]);
    });

    it("batches: hosts in config order, rollout.batchSize, default 1", () => {
        const hosts = JSON.stringify([{ name: "a" }, { name: "b" }, { name: "c" }]);
        assert.deepStrictEqual(batchesFromConfig({ "dockfleet:hosts": hosts }), [["a"], ["b"], ["c"]]);
        assert.deepStrictEqual(batchesFromConfig({ "dockfleet:hosts": hosts, "dockfleet:rollout": '{"batchSize":2}' }), [["a", "b"], ["c"]]);
        assert.strictEqual(batchesFromConfig({}), undefined);
    });

    it("folds a replacement's three steps into one", () => {
        const steps = normalizeSteps([
            { op: "create-replacement", urn: "u", newState: { urn: "u", type: "t" } },
            { op: "replace", urn: "u", diffReasons: ["x"] },
            { op: "delete-replaced", urn: "u", oldState: { urn: "u", type: "t" } },
            { op: "same", urn: "v" },
        ]);
        assert.strictEqual(steps.length, 1);
        assert.strictEqual(steps[0].op, "replace");
        assert.ok(steps[0].oldState && steps[0].newState);
        assert.strictEqual(risks(steps).length, 1);
    });

    it("masks credentials in strings", () => {
        assert.strictEqual(maskString("http://u:p4ss@h:3128"), "http://u:[secret]@h:3128");
        assert.strictEqual(maskString("DB_PASSWORD=x run"), "DB_PASSWORD=[secret] run");
        assert.strictEqual(maskString("-----BEGIN OPENSSH PRIVATE KEY-----\nabc"), "[secret]");
        assert.strictEqual(maskString("http://***@h:3128"), "http://***@h:3128");
    });

    it("hostChanges skips commands that are not DockerHost applies", () => {
        assert.deepStrictEqual(hostChanges([{ op: "update", urn: "urn:pulumi:s::p::command:remote:Command::x", newState: { urn: "", type: "command:remote:Command", inputs: { create: "echo" } } }], undefined), []);
    });
});

describe("npm run preview:summary", () => {
    it("reads --input and writes Markdown; bad usage exits 2", function () {
        this.timeout(60000);
        const root = path.join(__dirname, "..", "..");
        const run = (args: string[]) => spawnSync(process.execPath, [require.resolve("ts-node/dist/bin.js"), "--transpile-only", "cli/preview-summary.ts", ...args], { cwd: root, encoding: "utf8" });
        const ok = run(["--input", "test/fixtures/preview/edge-no-changes.json"]);
        assert.strictEqual(ok.status, 0, ok.stderr);
        assert.match(ok.stdout, /No changes/);
        const bad = run([]);
        assert.strictEqual(bad.status, 2);
        assert.match(bad.stderr, /--stack NAME/);
        const missing = run(["--input", "/nonexistent.json"]);
        assert.strictEqual(missing.status, 2);
    });

    it("parses its arguments", () => {
        assert.deepStrictEqual(parseArgs(["--stack", "prod"]), { stack: "prod", extra: [] });
        assert.deepStrictEqual(parseArgs(["--input=x.json", "-o", "y.md"]), { input: "x.json", output: "y.md", extra: [] });
        assert.deepStrictEqual(parseArgs(["-s", "dev", "--", "--refresh"]), { stack: "dev", extra: ["--refresh"] });
        assert.throws(() => parseArgs(["--bogus"]), /unknown argument/);
    });
});

describe("preview summary: swarm membership", () => {
    const urn = (name: string) => `urn:pulumi:prod::dockfleet::dockfleet:swarm:SwarmCluster$command:remote:Command::${name}`;
    const preview: PreviewJson = {
        steps: [
            { op: "update", urn: urn("swarm-nodes"), oldState: { type: "command:remote:Command", inputs: {} }, newState: { type: "command:remote:Command", inputs: {} }, diffReasons: ["create"] } as never,
            { op: "create", urn: urn("wrk4-swarm"), newState: { type: "command:remote:Command", inputs: {} } } as never,
        ],
        diagnostics: [
            { message: 'SwarmCluster "swarm" plan:\n  join: wrk4 as worker\n  labels: wrk4 +zone=b\n  availability: wrk2 drain -> active\n', severity: "info" },
            { message: "warning: something else", severity: "warning" },
        ],
    };
    it("lists the plan the program logged and the swarm commands, not as warnings or other changes", () => {
        const md = renderSummary(preview);
        const sec = section(md, "Swarm membership");
        assert.match(sec, /- join: wrk4 as worker\n- labels: wrk4 \+zone=b\n- availability: wrk2 drain -> active/);
        assert.match(sec, /commands: update `swarm-nodes`, create `wrk4-swarm`/);
        assert.doesNotMatch(section(md, "Warnings"), /plan:|join: wrk4/);
        assert.match(section(md, "Warnings"), /something else/);
        assert.doesNotMatch(md, /Other changes/);
    });
});

describe("preview summary: host cleanup", () => {
    const urn = (host: string) => `urn:pulumi:prod::dockfleet::dockfleet:hostcleanup:HostCleanup$command:remote:Command::${host}-host-cleanup-timer`;
    const POLICY = "dockfleet-cleanup.timer on h1, h2: daily (up to 1h later at random; a missed run at boot), prunes stopped containers, unused networks and images no container uses older than 168h, build cache unused for 168h; keeps what is labelled dockfleet.keep, stack networks, every volume";
    const info = { severity: "info", message: `info: HostCleanup policy: ${POLICY}\n` };

    it("the policy the program logged and each host's timer, in their own section, not as warnings or other changes", () => {
        const md = renderSummary({
            steps: [
                { op: "create", urn: urn("h1"), newState: { type: "command:remote:Command", inputs: {} } } as never,
                { op: "update", urn: urn("h2"), oldState: { type: "command:remote:Command", inputs: {} }, newState: { type: "command:remote:Command", inputs: {} }, diffReasons: ["create"] } as never,
            ],
            diagnostics: [info, { message: "warning: something else", severity: "warning" }],
        });
        assert.strictEqual(section(md, "Host cleanup"), `### Host cleanup\n\n${POLICY}.\n\n- h1: timer installed (no prune runs now)\n- h2: timer changed (the new schedule counts from now)\n`);
        assert.doesNotMatch(section(md, "Warnings"), /HostCleanup|dockfleet-cleanup/);
        assert.doesNotMatch(md, /Other changes/);
    });

    it("no changes: the policy line still shows", () => {
        const md = renderSummary({ steps: [], changeSummary: { same: 4 }, diagnostics: [{ severity: "info", message: "HostCleanup policy: off (dockfleet:hostCleanup is not set): nothing prunes unused images, build cache or stopped containers on the hosts; {} turns on the default (7 days, volumes never)" }] } as never);
        assert.match(md, /\*\*No changes\.\*\* 4 resources unchanged; no host restarts, no service rolls\.\n\nHost cleanup: off \(dockfleet:hostCleanup is not set\): nothing prunes unused images, build cache or stopped containers on the hosts; \{\} turns on the default \(7 days, volumes never\)\.\n$/);
    });

    it("a removed timer is said so", () => {
        const md = renderSummary({ steps: [{ op: "delete", urn: urn("h1"), oldState: { type: "command:remote:Command", inputs: {} } } as never], diagnostics: [] });
        assert.match(section(md, "Host cleanup"), /^- h1: timer stopped, disabled and removed$/m);
    });
});

describe("preview summary: registry garbage collection", () => {
    const URN = "urn:pulumi:prod::dockfleet::dockfleet:registry:Registry$command:remote:Command::registry-gc";
    const POLICY = "keep every referenced digest (3 image references in this stack) and the 3 newest other digests per repository; garbage-collect read-only on \"Sun *-*-* 03:00:00\" (timer dockfleet-registry-gc.timer on the registry host)";
    const info = { severity: "info", message: `info: Registry GC: ${POLICY}\n` };

    it("the policy the program logged and the job's change, in their own section, not as warnings or other changes", () => {
        const md = renderSummary({
            steps: [{ op: "update", urn: URN, oldState: { type: "command:remote:Command", inputs: {} }, newState: { type: "command:remote:Command", inputs: {} }, diffReasons: ["create"] } as never],
            diagnostics: [info, { message: "warning: something else", severity: "warning" }],
        });
        assert.strictEqual(section(md, "Registry garbage collection"), `### Registry garbage collection\n\n${POLICY}.\n\n- GC job updated (the policy or the images this stack references)\n`);
        assert.doesNotMatch(section(md, "Warnings"), /Registry GC/);
        assert.match(section(md, "Warnings"), /something else/);
        assert.doesNotMatch(md, /Other changes/);
    });

    it("no changes: the policy line still shows", () => {
        const md = renderSummary({ steps: [], changeSummary: { same: 4 }, diagnostics: [info] } as never);
        assert.ok(md.endsWith(`no host restarts, no service rolls.\n\nRegistry GC: ${POLICY}.\n`), md);
    });

    it("the job installed, and removed, are said so; a command of another name is not the job", () => {
        const created = renderSummary({ steps: [{ op: "create", urn: URN, newState: { type: "command:remote:Command", inputs: {} } } as never], diagnostics: [] });
        assert.match(section(created, "Registry garbage collection"), /^- GC job installed on the registry host \(its timer waits for the window; nothing is deleted now\)$/m);
        const removed = renderSummary({ steps: [{ op: "delete", urn: URN, oldState: { type: "command:remote:Command", inputs: {} } } as never], diagnostics: [] });
        assert.match(section(removed, "Registry garbage collection"), /^- GC job removed \(timer, service and files\); the registry keeps every digest from now on$/m);
        const other = renderSummary({ steps: [{ op: "create", urn: URN.replace("::registry-gc", "::registry-other"), newState: { type: "command:remote:Command", inputs: {} } } as never], diagnostics: [] });
        assert.doesNotMatch(other, /Registry garbage collection/);
    });
});
