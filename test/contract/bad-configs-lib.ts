// Shared by the bad-config suites (test/contract/bad-configs.test.ts in npm test, and the named
// group test/extended/): one broken variant = one apply on a real swarm node, which must
// end with the previous config active, docker.service active, the node Ready, and a non-zero exit
// whose message names the host and dockerd's own error (or the smoke container's, for settings
// that start dockerd and only break containers), or a refusal before anything is written.
import * as assert from "assert";
import { ManagedFile } from "../../components/docker-host/bundle";
import { DAEMON_JSON_PATH, HOSTS_DROPIN_PATH, PROXY_DROPIN_PATH } from "../../components/docker-host/dropins";
import { fileSha, health, push, pushFiles, restore, sandbox, settledSwarm, sh } from "./lib";

export const GOOD = { logDriver: "json-file", logOpts: { "max-size": "10m" }, labels: { "dockfleet.contract": "good" } };

export const dj = (content: string): ManagedFile => ({ path: DAEMON_JSON_PATH, mode: "0644", content });
export const dropIn = (path: string, content: string): ManagedFile => ({ path, mode: "0644", content });
export const json = (o: unknown) => JSON.stringify(o, null, 2) + "\n";

/** [name, files, expected error (dockerd's or the smoke container's own words)] */
export type Variant = [string, ManagedFile[], RegExp];

/** One `it` per variant on `host` (a swarm node), inside the caller's describe; `extra` runs after them. */
export function badConfigVariants(host: string, variants: Variant[]): void {
    let goodSha = "";
    const outcomes: string[] = [];

    before(() => {
        settledSwarm();
        sandbox();
        const r = push(host, GOOD);
        assert.strictEqual(r.code, 0, r.stderr);
        goodSha = fileSha(host, DAEMON_JSON_PATH);
    });
    after(() => {
        console.log(`      bad-config outcomes (${outcomes.length}):\n${outcomes.map((o) => `        ${o}`).join("\n")}`);
        const r = restore(host);
        assert.strictEqual(r.code, 0, r.stderr);
    });

    for (const [name, files, expected] of variants) {
        it(`${name}: rejected, previous config active, docker active, node Ready`, () => {
            // files not named in the variant are pinned to the good state (no hosts drop-in, no proxy)
            const named = new Set(files.map((f) => f.path));
            const all = [...files, ...[HOSTS_DROPIN_PATH, PROXY_DROPIN_PATH].filter((p) => !named.has(p)).map((p) => ({ path: p, mode: "0644" }))];
            const t = Date.now();
            const r = pushFiles(host, all, [], { restartTimeoutSeconds: 30 });
            const secs = ((Date.now() - t) / 1000).toFixed(1);
            const last = r.stderr.trim().split("\n").pop() ?? "";
            outcomes.push(`${name}: exit ${r.code} in ${secs}s — ${last.slice(0, 200)}`);
            assert.notStrictEqual(r.code, 0, r.stderr);
            assert.notStrictEqual(r.code, 3, `rollback failed:\n${r.stderr}`);
            assert.match(r.stderr, new RegExp(`dockfleet\\[${host}\\]`));
            assert.match(r.stderr, expected);
            assert.strictEqual(fileSha(host, DAEMON_JSON_PATH), goodSha, "previous daemon.json must be back");
            assert.strictEqual(fileSha(host, HOSTS_DROPIN_PATH), "absent");
            assert.strictEqual(fileSha(host, PROXY_DROPIN_PATH), "absent");
            assert.deepStrictEqual(health(host), { active: "active", swarm: "active", ready: "ready" });
            assert.match(sh(host, "docker info --format '{{json .Labels}}'"), /dockfleet.contract=good/);
        });
    }
}
