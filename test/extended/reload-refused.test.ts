// Named group `extended` (npm run test:extended). A reload verified on a real host (issue 32,
// point 4): `systemctl reload docker` succeeds whatever dockerd does with the SIGHUP. A
// reload-only change dockerd takes is applied without a restart; one it refuses (two values for one
// label: dockerd 26's `dockerd --validate` passes it, the reload does not) fails the apply with
// dockerd's own words, the known-good daemon.json back, and dockerd never restarted.
import * as assert from "assert";
import { restartDigest } from "../../components/docker-host/daemon-config";
import { DAEMON_JSON_PATH } from "../../components/docker-host/dropins";
import { GOOD } from "../contract/bad-configs-lib";
import { dockerInfo, fileSha, health, hostFiles, push, pushFiles, restore, settledSwarm, sh } from "../contract/lib";

const HOST = "host3";
const since = () => sh(HOST, "systemctl show docker -p ActiveEnterTimestamp --value");

/** GOOD's files as rendered, with daemon.json's labels replaced (a reload-only change). */
function withLabels(labels: string[]) {
    const [pub, secret] = hostFiles(GOOD);
    const files = pub.map((f) => {
        if (f.path !== DAEMON_JSON_PATH) return f;
        const d = JSON.parse(f.content ?? "{}") as Record<string, unknown>;
        d.labels = labels;
        return { ...f, content: JSON.stringify(d, null, 2) + "\n" };
    });
    return pushFiles(HOST, files, secret, { reloadDigest: restartDigest(GOOD) });
}

describe(`extended: a reload dockerd refuses, on a real host (${HOST}) (named group, not in npm test)`, function () {
    this.timeout(600000);
    let goodSha = "";
    let started = "";

    before(() => {
        settledSwarm();
        const r = push(HOST, GOOD);
        assert.strictEqual(r.code, 0, r.stderr);
        goodSha = fileSha(HOST, DAEMON_JSON_PATH);
        started = since();
    });
    after(() => {
        const r = restore(HOST);
        assert.strictEqual(r.code, 0, r.stderr);
    });

    it("a reload-only change dockerd takes: applied by a reload, the label in docker info, no restart", () => {
        const r = withLabels(["dockfleet.contract=good", "dockfleet.reload=taken"]);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /applied \(reload\)/);
        assert.ok((dockerInfo(HOST).Labels as string[]).includes("dockfleet.reload=taken"), JSON.stringify(dockerInfo(HOST).Labels));
        assert.strictEqual(since(), started, "dockerd was not restarted");
        // back to GOOD, by a reload too
        const back = push(HOST, GOOD);
        assert.strictEqual(back.code, 0, back.stderr);
        assert.strictEqual(fileSha(HOST, DAEMON_JSON_PATH), goodSha);
        assert.strictEqual(since(), started);
    });

    it("a reload dockerd refuses (a=1 and a=2): FAILED with dockerd's error, the known-good file back, no restart, labels as before", () => {
        const before = dockerInfo(HOST).Labels as string[];
        const t0 = Date.now();
        const r = withLabels(["dockfleet.contract=good", "a=1", "a=2"]);
        console.log(`      refused reload: exit ${r.code} in ${((Date.now() - t0) / 1000).toFixed(1)}s — ${r.stderr.split("\n").filter((l) => /FAILED|CRITICAL/.test(l)).join(" ").slice(0, 400)}`);
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /FAILED on host host3 at step 'reload dockerd': .*conflict labels for a=\d and a=\d.*previous files restored, dockerd still running on its previous config \(not restarted\)/);
        assert.strictEqual(fileSha(HOST, DAEMON_JSON_PATH), goodSha, "the known-good daemon.json");
        assert.strictEqual(since(), started, "dockerd was not restarted");
        assert.deepStrictEqual(dockerInfo(HOST).Labels, before);
        assert.deepStrictEqual(health(HOST), { active: "active", swarm: "active", ready: "ready" });
        // the next apply of the good config changes nothing
        const again = push(HOST, GOOD);
        assert.strictEqual(again.code, 0, again.stderr);
        assert.strictEqual(since(), started);
    });
});
