// Named group `extended` (issue 31 point 6, host cleanup): HostCleanup on host1 through the real
// engine from a scratch inline program. The timer is listed and enabled; one run of the service
// removes an old image no container uses and keeps an old image a running container uses, an old
// image with the keep label, a named volume and an anonymous one; dockerd is not restarted and its
// config not touched; destroy removes both units. The images are host1's busybox re-saved with a
// creation time of 2001 (docker's `until` compares creation times), and the age is 10 years, so
// the run cannot touch anything of the sandbox's own (checked before it runs).
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { HostCleanup } from "../../components/host-cleanup";
import { remoteConnection } from "../../components/common/connection";
import { activeSince, sandbox, sh, ssh } from "../contract/lib";
import { loadEngineEnv } from "../e2e/lib";

const HOST = "host1";
const AGE = "87600h"; // 10 years: only the crafted images of 2001 are that old
const REPO = "dockfleet-cleanup-test";
const IN_USE = `${REPO}-inuse`;
const VOLUME = `${REPO}-named`;
const UNITS = "/etc/systemd/system/dockfleet-cleanup";

const imageId = (ref: string) => ssh(HOST, `docker image inspect --format '{{.Id}}' ${ref}`).stdout.trim();
const daemonConfig = () => sh(HOST, "cat /etc/docker/daemon.json /etc/systemd/system/docker.service.d/*.conf 2>/dev/null | sha256sum");

/**
 * Loads three images onto the host: its busybox re-saved with created = 2001 and a label each
 * (`old`, `inuse`, `keep`, the last with dockfleet.keep), so each has an id of its own.
 */
function loadOldImages(busybox: string): void {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-cleanup-img-"));
    try {
        const saved = spawnSync("ssh", ["-F", sandbox().sshConfigPath, HOST, `docker save ${busybox}`], { maxBuffer: 256 * 1024 * 1024 });
        assert.strictEqual(saved.status, 0, String(saved.stderr));
        fs.writeFileSync(path.join(dir, "in.tar"), saved.stdout);
        const x = path.join(dir, "x");
        fs.mkdirSync(x);
        assert.strictEqual(spawnSync("tar", ["-xf", path.join(dir, "in.tar"), "-C", x]).status, 0);
        const [m] = JSON.parse(fs.readFileSync(path.join(x, "manifest.json"), "utf8")) as { Config: string; Layers: string[] }[];
        const base = JSON.parse(fs.readFileSync(path.join(x, m.Config), "utf8"));
        fs.rmSync(path.join(x, "repositories"), { force: true });
        const manifest = ["old", "inuse", "keep"].map((which) => {
            const cfg = { ...base, created: "2001-01-01T00:00:00Z", config: { ...base.config, Labels: { "dockfleet.test": which, ...(which === "keep" ? { "dockfleet.keep": "1" } : {}) } } };
            const text = JSON.stringify(cfg);
            const name = `${crypto.createHash("sha256").update(text).digest("hex")}.json`;
            fs.writeFileSync(path.join(x, name), text);
            return { Config: name, RepoTags: [`${REPO}/${which}:1`], Layers: m.Layers };
        });
        fs.rmSync(path.join(x, m.Config));
        fs.writeFileSync(path.join(x, "manifest.json"), JSON.stringify(manifest));
        assert.strictEqual(spawnSync("tar", ["-cf", path.join(dir, "out.tar"), "-C", x, ...fs.readdirSync(x)]).status, 0);
        const load = spawnSync("ssh", ["-F", sandbox().sshConfigPath, HOST, "docker load"], { input: fs.readFileSync(path.join(dir, "out.tar")), encoding: "utf8" });
        assert.strictEqual(load.status, 0, load.stderr);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** What this suite leaves on the host: the images, the container, the volumes. */
function cleanHost(anonymous = ""): void {
    ssh(HOST, `docker rm -f ${IN_USE} >/dev/null 2>&1; docker image ls -q '${REPO}/*' | sort -u | xargs -r docker rmi -f >/dev/null 2>&1; docker volume rm ${VOLUME} ${anonymous} >/dev/null 2>&1; true`);
}

describe(`extended: a host's cleanup timer on a real host (${HOST}) through the real engine (named group, not in npm test)`, function () {
    this.timeout(900000);
    const log: string[] = [];
    const collect = (s: string) => log.push(s);
    let stack: Stack | undefined;
    let work = "";
    let anonymous = "";
    let since: Record<string, string> = {};
    let config = "";

    before(async () => {
        const sb = sandbox();
        loadEngineEnv();
        // an aborted earlier run's timer (its claims too), images, container and volumes
        ssh(HOST, `systemctl disable --now dockfleet-cleanup.timer >/dev/null 2>&1; rm -rf ${UNITS}.service ${UNITS}.timer /var/lib/dockfleet/cleanup; systemctl daemon-reload; true`);
        cleanHost();
        loadOldImages(sb.images.busybox);
        sh(HOST, `docker run -d --name ${IN_USE} ${REPO}/inuse:1 sleep 3600 && docker volume create ${VOLUME}`);
        anonymous = sh(HOST, "docker volume create");
        assert.match(anonymous, /^[0-9a-f]{64}$/, "an anonymous volume's name");
        since = activeSince([HOST]);
        config = daemonConfig();
        const h = sb.hosts.find((x) => x.name === HOST)!;
        const privateKey = fs.readFileSync(sb.sshKeyPath, "utf8");
        work = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-cleanup-e2e-"));
        stack = await LocalWorkspace.createOrSelectStack(
            {
                stackName: "cleanup", projectName: "dockfleet-cleanup-e2e",
                program: async () => {
                    const hc = new HostCleanup(`${HOST}-host-cleanup`, { connection: remoteConnection(h, { privateKey }), age: AGE, buildCacheAge: AGE });
                    return { timer: hc.timerText };
                },
            },
            { workDir: work, envVars: {}, projectSettings: { name: "dockfleet-cleanup-e2e", runtime: "nodejs" } },
        );
    });

    after(async () => {
        if (stack) {
            await stack.destroy({ onOutput: collect }).catch(() => undefined);
            await stack.workspace.removeStack("cleanup").catch(() => undefined);
        }
        if (work) fs.rmSync(work, { recursive: true, force: true });
        cleanHost(anonymous);
    });

    it("the preview shows the timer's command to create; up installs the timer: listed, enabled, active; no prune ran", async () => {
        const pre = await stack!.preview({ onOutput: collect });
        assert.deepStrictEqual(pre.changeSummary, { create: 3 }, "stack, HostCleanup, its command");
        const res = await stack!.up({ onOutput: collect });
        assert.strictEqual(res.summary.result, "succeeded");
        assert.match(sh(HOST, "systemctl list-timers --all --no-pager dockfleet-cleanup.timer"), /dockfleet-cleanup\.timer\s+dockfleet-cleanup\.service/);
        assert.strictEqual(sh(HOST, "systemctl is-enabled dockfleet-cleanup.timer"), "enabled");
        assert.strictEqual(sh(HOST, "systemctl is-active dockfleet-cleanup.timer"), "active");
        assert.match(sh(HOST, `cat ${UNITS}.service`), /^ExecStart=\/usr\/bin\/docker image prune --all --force --filter until=87600h --filter label!=dockfleet\.keep$/m);
        assert.match(sh(HOST, `cat ${UNITS}.timer`), /^OnCalendar=daily\nRandomizedDelaySec=1h\nPersistent=true$/m);
        assert.notStrictEqual(imageId(`${REPO}/old:1`), "", "installing ran no prune");
        const again = await stack!.up({ onOutput: collect });
        assert.deepStrictEqual(Object.keys(again.summary.resourceChanges ?? {}), ["same"], "a second up changes nothing");
    });

    it("one run: the old unused image removed; the one a running container uses, the kept one and both volumes stay; dockerd untouched", () => {
        // nothing of the sandbox's own is older than the age (else this run would prune it)
        const cutoff = Date.now() - 87600 * 3600 * 1000;
        // "repo:tag 2001-01-01 00:00:00 +0000 UTC"
        const created = (l: string) => { const [, d, t, off] = l.split(" "); return Date.parse(`${d}T${t}${off.slice(0, 3)}:${off.slice(3)}`); };
        const old = sh(HOST, "docker image ls -a --format '{{.Repository}}:{{.Tag}} {{.CreatedAt}}'").split("\n")
            .filter((l) => l && created(l) < cutoff).map((l) => l.split(" ")[0]).sort();
        assert.deepStrictEqual(old, [`${REPO}/inuse:1`, `${REPO}/keep:1`, `${REPO}/old:1`], "only the crafted images are older than the age");
        const run = ssh(HOST, "systemctl start dockfleet-cleanup.service");
        assert.strictEqual(run.code, 0, `${run.stderr}\n${ssh(HOST, "journalctl -u dockfleet-cleanup.service -n 30 --no-pager -o cat").stdout}`);
        assert.strictEqual(sh(HOST, "systemctl show dockfleet-cleanup.service -p Result --value"), "success");
        console.log(`      the run: ${sh(HOST, "journalctl -u dockfleet-cleanup.service -o cat --no-pager | grep -c 'Total reclaimed space'")} prunes reported`);
        assert.strictEqual(imageId(`${REPO}/old:1`), "", "the old image no container uses is removed");
        assert.notStrictEqual(imageId(`${REPO}/inuse:1`), "", "the image of a running container stays");
        assert.notStrictEqual(imageId(`${REPO}/keep:1`), "", "the image with the keep label stays");
        assert.strictEqual(sh(HOST, `docker inspect -f '{{.State.Running}}' ${IN_USE}`), "true");
        assert.strictEqual(sh(HOST, `docker volume ls -q --filter name=${VOLUME}`), VOLUME, "the named volume stays");
        assert.strictEqual(ssh(HOST, `docker volume inspect ${anonymous}`).code, 0, "the anonymous volume stays (volumes are never pruned by default)");
        assert.notStrictEqual(imageId(sandbox().images.busybox), "", "the sandbox's busybox stays");
        assert.deepStrictEqual(activeSince([HOST]), since, "dockerd not restarted");
        assert.strictEqual(daemonConfig(), config, "dockerd's config untouched");
    });

    it("destroy: the timer stopped and disabled, both units and the stamp gone, dockerd untouched", async () => {
        await stack!.destroy({ onOutput: collect });
        assert.strictEqual(ssh(HOST, `test -e ${UNITS}.service || test -e ${UNITS}.timer || test -e /var/lib/systemd/timers/stamp-dockfleet-cleanup.timer`).code, 1, "no unit file, no stamp");
        assert.doesNotMatch(sh(HOST, "systemctl list-timers --all --no-pager"), /dockfleet-cleanup/);
        assert.notStrictEqual(ssh(HOST, "systemctl is-active dockfleet-cleanup.timer").stdout.trim(), "active");
        assert.deepStrictEqual(activeSince([HOST]), since, "dockerd not restarted");
    });
});
