// What a host needs (nothing, reload, restart) from its status, by value; and against the apply
// script itself (fake dockerd/systemctl, test/support/apply-host.ts): what the script does after a
// status the classification read.
import * as assert from "assert";
import { createHash } from "crypto";
import { changeKind, WantedFiles } from "./change-kind";
import { desiredHostFiles, DockerHostArgs } from "./docker-host";
import { DaemonConfig } from "./daemon-config";
import { AppliedFile, DriftStatus, keyedSha, parseStatus } from "./drift";
import { fileBytes } from "./bundle";
import { HOSTS_DROPIN_PATH, PROXY_ENV_PATH } from "./dropins";
import { count, mkEnv, run } from "../../test/support/apply-host";

const want = (daemon: DaemonConfig, extra: Partial<DockerHostArgs> = {}): WantedFiles => desiredHostFiles({ connection: { host: "10.9.9.1" }, daemon, ...extra });
const PROXY_URL = "http://svc:s3cret@proxy.corp.example:3128";
/** The wanted files of a proxied host, its env file rendered from the plain URL (as DockerFleet with plainProxy). */
const wantProxied = (daemon: DaemonConfig, url = PROXY_URL): WantedFiles =>
    desiredHostFiles({ connection: { host: "10.9.9.1" }, daemon, proxy: { httpProxy: url } }, { httpProxy: url });
const KEY = Buffer.alloc(32, 7);

/** The status of a host whose last verified apply wrote `w` (as the script prints it). */
function appliedStatus(w: WantedFiles): DriftStatus {
    return {
        kind: "in-sync",
        repair: "",
        reloadDigest: w.reloadDigest,
        applied: w.publicFiles.map((f) => {
            const bytes = fileBytes(f);
            return bytes === undefined
                ? { path: f.path, mode: "absent", sha: "absent" }
                : { path: f.path, mode: f.mode.replace(/^0/, ""), sha: createHash("sha256").update(bytes).digest("hex") };
        }),
    };
}

describe("change kind per host (nothing, reload, restart)", () => {
    const before = want({ labels: { a: "1" } });
    const st = appliedStatus(before);

    it("reads the wanted files against what the host applied", () => {
        assert.deepStrictEqual(changeKind(before, st), { kind: "nothing", why: "as applied" });
        assert.deepStrictEqual(changeKind(want({ labels: { a: "1" }, debug: true, registryMirrors: ["https://mirror.example"] }), st), { kind: "reload", why: "hot-reloadable daemon.json keys" });
        assert.deepStrictEqual(changeKind(want({ labels: { a: "1" }, logDriver: "local" }), st), { kind: "restart", why: "daemon.json keys that need a restart" });
        // a drop-in that changes: the script restarts whatever daemon.json does
        assert.deepStrictEqual(changeKind(want({ labels: { a: "1" }, debug: true, hosts: ["unix:///var/run/docker.sock"] }), st), { kind: "restart", why: HOSTS_DROPIN_PATH });
        // registry trust is read on use: written in the wave, no restart
        assert.deepStrictEqual(changeKind(want({ labels: { a: "1" } }, { registryTrust: [{ address: "10.9.9.1:5000", caCert: "CA" }] }), st), { kind: "reload", why: "registry trust files (read on use)" });
    });

    it("errs to restart whenever the host's word does not prove a reload is enough", () => {
        const debug = want({ labels: { a: "1" }, debug: true });
        assert.deepStrictEqual(changeKind(debug, undefined), { kind: "restart", why: "not probed" });
        assert.deepStrictEqual(changeKind(debug, { kind: "unknown", reason: "timeout" }), { kind: "restart", why: "probe failed: timeout" });
        assert.deepStrictEqual(changeKind(debug, { kind: "unmanaged" }), { kind: "restart", why: "first apply" });
        assert.deepStrictEqual(changeKind(debug, { ...st, kind: "drift", files: ["/etc/docker/daemon.json"] } as DriftStatus), { kind: "restart", why: "drift: /etc/docker/daemon.json" });
        // an apply script older than the `applied` lines: the safe side
        assert.deepStrictEqual(changeKind(before, { kind: "in-sync", repair: "" }), { kind: "restart", why: "the host does not report what it applied (an older apply script)" });
        assert.deepStrictEqual(changeKind(debug, { ...st, reloadDigest: undefined } as DriftStatus), { kind: "restart", why: "the host does not report what it applied (an older apply script)" });
        // the same bytes under another mode are not the applied file
        const mode = { ...st, applied: (st as { applied: { path: string; mode: string; sha: string }[] }).applied.map((a) => (a.path === "/etc/docker/daemon.json" ? { ...a, mode: "600" } : a)) } as DriftStatus;
        assert.strictEqual(changeKind(before, mode).kind, "reload");
        // a path the host never applied (its current file unknown)
        const missing = { ...st, applied: (st as { applied: { path: string }[] }).applied.filter((a) => a.path !== HOSTS_DROPIN_PATH) } as DriftStatus;
        assert.deepStrictEqual(changeKind(before, missing), { kind: "restart", why: HOSTS_DROPIN_PATH });
        // a proxy's environment file is root-only: without its plain contents (no plainProxy) it cannot be compared
        const proxied = want({ labels: { a: "1" } }, { proxy: { httpProxy: "http://p:3128" } });
        assert.deepStrictEqual(changeKind(proxied, appliedStatus(proxied)), { kind: "restart", why: "/etc/systemd/system/docker.service.d/http-proxy.env (root-only: not comparable)" });
    });

    it("a proxied host: the env file's HMAC under the probe's key equal to the wanted file's: a reload; another, or none: a restart", () => {
        const applied = wantProxied({ labels: { a: "1" } });
        assert.strictEqual(applied.secretFiles?.length, 1);
        const envFile = applied.secretFiles![0];
        assert.strictEqual(envFile.path, PROXY_ENV_PATH);
        const hostSays = (sha: string, mode = "600", key: Buffer | null = KEY): DriftStatus => ({
            ...(appliedStatus(applied) as { kind: "in-sync"; repair: string; reloadDigest: string; applied: AppliedFile[] }),
            applied: [...(appliedStatus(applied) as { applied: AppliedFile[] }).applied, { path: PROXY_ENV_PATH, mode, sha }],
            ...(key ? { keyedSha: (c: string) => keyedSha(key, c) } : {}),
        });
        const same = hostSays(keyedSha(KEY, fileBytes(envFile)!));
        const debug = wantProxied({ labels: { a: "1" }, debug: true, registryMirrors: ["https://mirror.example"] });
        assert.deepStrictEqual(changeKind(applied, same), { kind: "nothing", why: "as applied" });
        assert.deepStrictEqual(changeKind(debug, same), { kind: "reload", why: "hot-reloadable daemon.json keys" });
        // the proxy's password changed: the env file differs, dockerd must restart to read it
        assert.deepStrictEqual(changeKind(wantProxied({ labels: { a: "1" }, debug: true }, "http://svc:n3w@proxy.corp.example:3128"), same), { kind: "restart", why: `${PROXY_ENV_PATH} (root-only: changed)` });
        // the host's HMAC under another key (not this probe's), or of other bytes
        assert.deepStrictEqual(changeKind(debug, hostSays(keyedSha(Buffer.alloc(32, 8), fileBytes(envFile)!))), { kind: "restart", why: `${PROXY_ENV_PATH} (root-only: changed)` });
        // same bytes, another mode
        assert.deepStrictEqual(changeKind(debug, hostSays(keyedSha(KEY, fileBytes(envFile)!), "644")), { kind: "restart", why: `${PROXY_ENV_PATH} (root-only: changed)` });
        // an older host prints "-"; a probe that sent no key; a caller without the plain URLs
        const notComparable = { kind: "restart", why: `${PROXY_ENV_PATH} (root-only: not comparable)` };
        assert.deepStrictEqual(changeKind(debug, hostSays("-")), notComparable);
        assert.deepStrictEqual(changeKind(debug, hostSays(keyedSha(KEY, fileBytes(envFile)!), "600", null)), notComparable);
        assert.deepStrictEqual(changeKind({ ...debug, secretFiles: undefined }, same), notComparable);
        // a host whose last apply wrote no env file
        assert.deepStrictEqual(changeKind(debug, appliedStatus(applied)), notComparable);
    });

    it("a proxied host against the apply script: the status under a key reads as a reload for a debug change, and the script reloads", function () {
        this.timeout(60000);
        const env = mkEnv();
        const apply = (w: WantedFiles) => run(env, "apply", { public: w.publicFiles, secret: w.secretFiles, args: ["--reload-digest", w.reloadDigest] });
        const applied = wantProxied({ labels: { a: "1" } });
        assert.strictEqual(apply(applied).code, 0);
        const status = () => parseStatus(run(env, "status", { stdin: `${KEY.toString("hex")}\n`, extraEnv: { DOCKFLEET_STATUS_KEY: "stdin" } }).stdout, KEY);
        assert.deepStrictEqual(changeKind(applied, status()), { kind: "nothing", why: "as applied" });
        const debug = wantProxied({ labels: { a: "1" }, debug: true });
        assert.deepStrictEqual(changeKind(debug, status()), { kind: "reload", why: "hot-reloadable daemon.json keys" });
        assert.deepStrictEqual(changeKind(wantProxied({ labels: { a: "1" }, debug: true }, "http://svc:n3w@proxy.corp.example:3128"), status()).kind, "restart");
        const r = apply(debug);
        assert.match(r.stderr, /applied \(reload\)/, r.stderr);
        assert.strictEqual(count(env, "starts"), 1);
        // without the key (an older controller), the same host: restart
        assert.deepStrictEqual(changeKind(debug, parseStatus(run(env, "status").stdout)).why, `${PROXY_ENV_PATH} (root-only: not comparable)`);
    });

    it("agrees with the apply script: its status after an apply reads as nothing; a reload-only change is what the script reloads", function () {
        this.timeout(60000);
        const env = mkEnv();
        const apply = (w: WantedFiles) => run(env, "apply", { public: w.publicFiles, args: ["--reload-digest", w.reloadDigest] });
        assert.strictEqual(apply(before).code, 0);
        const status = parseStatus(run(env, "status").stdout);
        assert.deepStrictEqual(status, appliedStatus(before), "the script prints what appliedStatus models");
        assert.strictEqual(changeKind(before, status).kind, "nothing");
        const debug = want({ labels: { a: "2" }, debug: true });
        assert.strictEqual(changeKind(debug, status).kind, "reload");
        const r = apply(debug);
        assert.match(r.stderr, /applied \(reload\)/, r.stderr);
        assert.strictEqual(count(env, "starts"), 1);
        const restart = want({ labels: { a: "2" }, debug: true, logDriver: "local" });
        assert.strictEqual(changeKind(restart, parseStatus(run(env, "status").stdout)).kind, "restart");
        assert.match(apply(restart).stderr, /applied \(restart\)/);
        assert.strictEqual(count(env, "starts"), 2);
    });
});
