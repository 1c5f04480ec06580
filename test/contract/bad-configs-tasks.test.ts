// Contract: settings that start dockerd but break containers, pushed to a swarm node that runs a
// task. The smoke container runs before the task wait, so the error is the smoke container's own,
// within seconds, not "wait for this node's swarm tasks (0 of 1 ...)" after the restart timeout.
import * as assert from "assert";
import { DAEMON_JSON_PATH, HOSTS_DROPIN_PATH, PROXY_DROPIN_PATH } from "../../components/docker-host/dropins";
import { eventually, fileSha, health, push, pushFiles, restore, sandbox, settledSwarm, sh, ssh } from "./lib";

const HOST = "host2";
const SERVICE = "dockfleet-contract-pinned";
const GOOD = { logDriver: "json-file", logOpts: { "max-size": "10m" }, labels: { "dockfleet.contract": "tasks-good" } };
const TIMEOUT = 40;
const running = () => ssh("host1", `docker service ps ${SERVICE} --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'`).stdout.split("\n").filter((l) => l.startsWith(`${HOST} Running`)).length;

describe(`contract: container-breaking settings on a swarm node with a task (${HOST})`, function () {
    this.timeout(900000);
    let goodSha = "";

    before(async () => {
        settledSwarm();
        const r = push(HOST, GOOD);
        assert.strictEqual(r.code, 0, r.stderr);
        goodSha = fileSha(HOST, DAEMON_JSON_PATH);
        ssh("host1", `docker service rm ${SERVICE} >/dev/null 2>&1; true`);
        sh("host1", `docker service create -d --name ${SERVICE} --constraint node.hostname==${HOST} --replicas 1 ${sandbox().images.busybox} sh -c "trap 'exit 0' TERM; while true; do sleep 1; done" >/dev/null`);
        await eventually(() => running() === 1, 60000, `the task of ${SERVICE} running on ${HOST}`);
    });
    after(async () => {
        ssh("host1", `docker service rm ${SERVICE} >/dev/null 2>&1; true`);
        const r = restore(HOST);
        assert.strictEqual(r.code, 0, r.stderr);
    });

    const variants: [string, object, RegExp][] = [
        ["unknown log driver", { "log-driver": "nosuchdriver" }, /smoke container.*(logging plugin nosuchdriver|plugin "nosuchdriver" not found)/],
        ["bad log-opt size", { "log-driver": "json-file", "log-opts": { "max-size": "ten" } }, /smoke container.*invalid size: 'ten'/],
    ];
    for (const [name, raw, expected] of variants) {
        it(`${name}: the smoke container's error, before any task wait; previous config back, the task running again`, async () => {
            const t = Date.now();
            const files = [
                { path: DAEMON_JSON_PATH, mode: "0644", content: JSON.stringify(raw, null, 2) + "\n" },
                { path: HOSTS_DROPIN_PATH, mode: "0644" },
                { path: PROXY_DROPIN_PATH, mode: "0644" },
            ];
            const r = pushFiles(HOST, files, [], { restartTimeoutSeconds: TIMEOUT });
            const secs = (Date.now() - t) / 1000;
            assert.notStrictEqual(r.code, 0, r.stderr);
            assert.notStrictEqual(r.code, 3, `rollback failed:\n${r.stderr}`);
            assert.match(r.stderr, expected);
            assert.doesNotMatch(r.stderr, /wait for this node's swarm tasks/);
            // The failing apply's own health check never reached the task wait (restart timeout).
            assert.ok(secs < TIMEOUT + 30, `took ${secs.toFixed(1)} s`);
            assert.strictEqual(fileSha(HOST, DAEMON_JSON_PATH), goodSha, "previous daemon.json must be back");
            assert.deepStrictEqual(health(HOST), { active: "active", swarm: "active", ready: "ready" });
            await eventually(() => running() === 1, 90000, `the task running on ${HOST} again`);
        });
    }
});
