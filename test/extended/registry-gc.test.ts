// Registry garbage collection (issue 31, points 6 and 7) on a real host: the GC job installed by
// its real install command on host1 (systemd timer + service), a registry container of Debian's
// docker-registry 2.8.2 on the sandbox's real Swift, started with the env, entrypoint and flag
// mount the Registry component gives it with gc on. Three digests in one repository, the oldest
// referenced, keep 1: after the service's run the referenced and the newest digests pull, the
// middle one's manifest is 404 and its blobs are gone from Swift; the read-only switch refuses a
// push (405) while pulls go on, and the registry is read-write afterwards.
import * as assert from "assert";
import { spawnSync } from "child_process";
import { renderRegistryEnv } from "../../components/registry/registry-config";
import { GC_PATHS, gcEntrypoint, renderGcCurlConfig } from "../../components/registry/gc-config";
import { renderGcInstallCommand, renderGcRemoveCommand } from "../../components/registry/gc";
import { shQuote } from "../../components/common/shell";
import { eventually, sandbox, sh, ssh } from "../contract/lib";

const HOST = "host1";
const PORT = 5010;
const NAME = "dfgc-registry";
const REPO = "gc/app";
const LOCAL = `127.0.0.1:${PORT}`; // docker pushes to 127.0.0.0/8 over plain HTTP without insecure-registries
const FROM_ROOT = `http://10.232.0.11:${PORT}`;
const ACCEPT = "application/vnd.docker.distribution.manifest.v2+json";

function swift(...args: string[]) {
    const s = sandbox().swift;
    return spawnSync("swift", ["-A", s.authUrl, "-U", s.username, "-K", s.password, ...args], { encoding: "utf8", timeout: 120000 });
}

const code = (args: string[]) => spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", ...args], { encoding: "utf8" }).stdout;
const manifest = (ref: string) => JSON.parse(spawnSync("curl", ["-sf", "--max-time", "10", "-H", `Accept: ${ACCEPT}`, `${FROM_ROOT}/v2/${REPO}/manifests/${ref}`], { encoding: "utf8" }).stdout);
const blobPath = (digest: string) => { const hex = digest.replace(/^sha256:/, ""); return `/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`; };

describe("extended: registry GC on the sandbox's Swift", function () {
    this.timeout(900000);
    const container = `gc-test-${Date.now()}`;
    const digests: string[] = [];
    const blobs: string[][] = [];

    before(async () => {
        const s = sandbox().swift;
        const env = renderRegistryEnv({ kind: "swift", authUrl: s.authUrl, username: s.username, password: s.password, container, authVersion: 1 }, { httpSecret: "gc-test-secret", deleteEnabled: true, port: PORT });
        const [entry, ...args] = gcEntrypoint();
        ssh(HOST, `docker rm -f ${NAME} >/dev/null 2>&1; rm -f ${GC_PATHS.flagDir}/readonly`);
        sh(HOST, [`docker run -d --name ${NAME} -p ${PORT}:${PORT}`,
            ...Object.entries(env).map(([k, v]) => `-e ${shQuote(`${k}=${v}`)}`),
            `-v ${GC_PATHS.flagDir}:${GC_PATHS.flagInContainer}:ro --entrypoint ${entry} ${sandbox().images.registry}`,
            ...args.map(shQuote)].join(" "));
        await eventually(() => code([`${FROM_ROOT}/v2/`]) === "200", 60000, "registry /v2/");
        // three one-layer images, a second apart (GC orders by the config's created time)
        for (const v of [1, 2, 3]) {
            sh(HOST, `d=$(mktemp -d) && echo "gc test v${v} $(date +%s%N)" >$d/f && tar -C $d -c . | docker import - ${LOCAL}/${REPO}:v${v} >/dev/null && rm -rf $d && docker push ${LOCAL}/${REPO}:v${v} >/dev/null`);
            const rd = sh(HOST, `docker image inspect -f '{{range .RepoDigests}}{{println .}}{{end}}' ${LOCAL}/${REPO}:v${v}`).split("\n")[0];
            digests.push(rd.split("@")[1]);
            const m = manifest(digests[v - 1]);
            blobs.push([m.config.digest, ...m.layers.map((l: { digest: string }) => l.digest), digests[v - 1]]);
            await new Promise((r) => setTimeout(r, 1100));
        }
        assert.strictEqual(new Set(digests).size, 3);
        const install = renderGcInstallCommand({ schedule: "Sun *-*-* 03:00:00", keep: 1, url: `http://${LOCAL}`, container: NAME }, `${REPO}@${digests[0]}\n`);
        const r = ssh(HOST, install, renderGcCurlConfig());
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /registry GC timer installed: 1 referenced image\(s\); next run Sun /);
    });

    after(() => {
        ssh(HOST, renderGcRemoveCommand());
        ssh(HOST, `docker rm -f ${NAME} >/dev/null 2>&1; rm -f ${GC_PATHS.flagDir}/readonly; docker rmi -f $(docker images -q ${LOCAL}/${REPO}) >/dev/null 2>&1 || true`);
        swift("delete", container);
    });

    it("the timer is enabled and active, its files root-only", () => {
        assert.strictEqual(sh(HOST, "systemctl is-enabled dockfleet-registry-gc.timer; systemctl is-active dockfleet-registry-gc.timer"), "enabled\nactive");
        assert.strictEqual(sh(HOST, `stat -c '%a %n' ${GC_PATHS.dir} ${GC_PATHS.dir}/curl.conf ${GC_PATHS.dir}/referenced | cut -d' ' -f1 | tr '\\n' ' '`), "700 600 600");
    });

    it("plan: the referenced digest and the newest kept, the middle one to go", () => {
        const plan = sh(HOST, `bash ${GC_PATHS.dir}/registry-gc.sh plan`);
        assert.strictEqual(plan, [
            `${REPO} keep ${digests[2]} newest 1 of 1 (v3)`,
            `${REPO} delete ${digests[1]} (v2)`,
            `${REPO} keep ${digests[0]} referenced (v1)`,
        ].join("\n"));
    });

    it("the read-only switch: a push gets 405 and fails, a pull works; read-write again afterwards", async () => {
        sh(HOST, `mkdir -p ${GC_PATHS.flagDir} && : >${GC_PATHS.flagDir}/readonly && docker restart ${NAME} >/dev/null`);
        try {
            await eventually(() => code([`${FROM_ROOT}/v2/`]) === "200", 60000, "registry /v2/ (read-only)");
            assert.strictEqual(code(["-X", "POST", `${FROM_ROOT}/v2/${REPO}/blobs/uploads/`]), "405");
            assert.strictEqual(code(["-H", `Accept: ${ACCEPT}`, `${FROM_ROOT}/v2/${REPO}/manifests/${digests[0]}`]), "200");
            const push = ssh(HOST, `d=$(mktemp -d) && echo ro >$d/f && tar -C $d -c . | docker import - ${LOCAL}/${REPO}:ro >/dev/null && rm -rf $d && docker push ${LOCAL}/${REPO}:ro; rc=$?; docker rmi ${LOCAL}/${REPO}:ro >/dev/null; exit $rc`); // the push's status, not the rmi's
            assert.notStrictEqual(push.code, 0, "a push to the read-only registry fails");
            assert.match(push.stdout + push.stderr, /405|[Mm]ethod [Nn]ot [Aa]llowed|unsupported|read[- ]only/);
        } finally {
            sh(HOST, `bash ${GC_PATHS.dir}/registry-gc.sh read-write`);
        }
        assert.strictEqual(ssh(HOST, `test -e ${GC_PATHS.flagDir}/readonly`).code, 1);
        assert.strictEqual(code(["-X", "POST", `${FROM_ROOT}/v2/${REPO}/blobs/uploads/`]), "202");
    });

    it("the service's run deletes the unreferenced old digest from Swift and keeps the referenced and the newest", async () => {
        const listed = swift("list", container);
        assert.strictEqual(listed.status, 0, listed.stderr);
        for (const b of blobs.flat()) assert.ok(listed.stdout.includes(blobPath(b)), `before GC: ${b} in Swift`);
        const run = ssh(HOST, "systemctl start dockfleet-registry-gc.service; systemctl show -p Result --value dockfleet-registry-gc.service; journalctl -u dockfleet-registry-gc.service -o cat --no-pager | tail -20");
        console.log(run.stdout.split("\n").map((l) => `      ${l}`).join("\n"));
        assert.match(run.stdout, /^success\n/);
        assert.match(run.stdout, new RegExp(`${REPO}: deleted ${digests[1]} \\(v2\\)`));
        assert.match(run.stdout, /2 digest\(s\) kept, 1 deleted/);
        assert.match(run.stdout, /registry read-only[\s\S]*blobs deleted: 3[\s\S]*registry read-write again[\s\S]*done/);
        // manifests: the middle one is gone, the others answer
        assert.strictEqual(code(["-H", `Accept: ${ACCEPT}`, `${FROM_ROOT}/v2/${REPO}/manifests/${digests[1]}`]), "404");
        assert.strictEqual(code(["-H", `Accept: ${ACCEPT}`, `${FROM_ROOT}/v2/${REPO}/manifests/${digests[0]}`]), "200");
        assert.strictEqual(code(["-H", `Accept: ${ACCEPT}`, `${FROM_ROOT}/v2/${REPO}/manifests/${digests[2]}`]), "200");
        // Swift: the middle one's blobs (config, layer, manifest) gone, every other blob there
        await eventually(() => {
            const l = swift("list", container).stdout;
            return blobs[1].every((b) => !l.includes(blobPath(b)));
        }, 60000, "v2's blobs gone from Swift");
        const after = swift("list", container).stdout;
        for (const b of [...blobs[0], ...blobs[2]]) assert.ok(after.includes(blobPath(b)), `after GC: ${b} still in Swift`);
        // pulls by digest from the registry (local copies removed first)
        sh(HOST, `docker rmi -f $(docker images -q ${LOCAL}/${REPO}) >/dev/null 2>&1 || true`);
        for (const d of [digests[0], digests[2]]) sh(HOST, `docker pull ${LOCAL}/${REPO}@${d} >/dev/null`);
        const gone = ssh(HOST, `docker pull ${LOCAL}/${REPO}@${digests[1]}`);
        assert.notStrictEqual(gone.code, 0);
        assert.match(gone.stdout + gone.stderr, /manifest unknown|not found/);
        // read-write: the flag is gone and an upload starts
        assert.strictEqual(ssh(HOST, `test -e ${GC_PATHS.flagDir}/readonly`).code, 1);
        assert.strictEqual(code(["-X", "POST", `${FROM_ROOT}/v2/${REPO}/blobs/uploads/`]), "202");
    });
});
