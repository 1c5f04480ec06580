// What a host needs (nothing, reload, restart) from its status, by value; and against the apply
// script itself (fake dockerd/systemctl, test/support/apply-host.ts): what the script does after a
// status the classification read.
import * as assert from "assert";
import { createHash } from "crypto";
import { changeKind, WantedFiles } from "./change-kind";
import { desiredHostFiles, DockerHostArgs } from "./docker-host";
import { DaemonConfig } from "./daemon-config";
import { DriftStatus, parseStatus } from "./drift";
import { fileBytes } from "./bundle";
import { HOSTS_DROPIN_PATH } from "./dropins";
import { count, mkEnv, run } from "../../test/support/apply-host";

const want = (daemon: DaemonConfig, extra: Partial<DockerHostArgs> = {}): WantedFiles => desiredHostFiles({ connection: { host: "10.9.9.1" }, daemon, ...extra });

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
        // a proxy's environment file is root-only: the host never shows its digest, so it cannot be compared
        const proxied = want({ labels: { a: "1" } }, { proxy: { httpProxy: "http://p:3128" } });
        assert.deepStrictEqual(changeKind(proxied, appliedStatus(proxied)), { kind: "restart", why: "/etc/systemd/system/docker.service.d/http-proxy.env (root-only: not comparable)" });
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
