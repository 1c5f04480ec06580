// apply-docker-config.sh and secrets (issue 28): the proxy's root-only environment file, state and
// backups root-only (also where an older dockfleet made them 0755), modes kept through backups and
// rollbacks, a host applied with the old Environment= drop-in converging to the new layout.
// Fake systemctl/docker under a temp DOCKFLEET_ROOT (test/support/apply-host.ts); the real-host
// version is test/contract/trust-host-secrets.test.ts.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ManagedFile } from "./bundle";
import { renderHostFiles } from "./docker-host";
import { PROXY_DROPIN_PATH, PROXY_ENV_PATH } from "./dropins";
import { Env, calls, count, daemon, exists, mkEnv, read, run } from "../../test/support/apply-host";

const PW = "Pr0xy-pw-7c1e";
const STATE = "var/lib/dockfleet/daemon-config";
const mode = (env: Env, p: string) => (fs.statSync(path.join(env.root, p)).mode & 0o7777).toString(8);
/** The bundles exactly as DockerHost renders them, with daemon.json as `extra` says. */
function files(extra: Record<string, unknown> = {}, proxy = true): { public: ManagedFile[]; secret: ManagedFile[] } {
    const f = renderHostFiles({}, "/usr/bin/dockerd", proxy, proxy ? { httpProxy: `http://svc:${PW}@proxy:3128` } : undefined, []);
    return { public: [daemon(extra), ...f.publicFiles.filter((x) => x.path !== "/etc/docker/daemon.json")], secret: f.secretFiles };
}
/** Every file under the state directory with its mode, and whether it holds the password. */
function stateFiles(env: Env): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) walk(p);
            else if (fs.readFileSync(p, "utf8").includes(PW)) out.push(`${path.relative(env.root, p).replace(/[0-9a-f]{16}$/, "KEY")} ${(fs.statSync(p).mode & 0o777).toString(8)}`);
        }
    };
    walk(path.join(env.root, "var/lib/dockfleet"));
    return out.sort();
}
// what main's DockerHost wrote: the variables in the drop-in, 0644, on stdin
const OLD_DROPIN = `# Managed by dockfleet. Proxy for dockerd (image pulls, pushes).\n\n[Service]\nEnvironment="HTTP_PROXY=http://svc:${PW}@proxy:3128"\nEnvironment="NO_PROXY=localhost,127.0.0.1"\n`;

describe("apply-docker-config.sh: secrets root-only on the host (fake dockerd/systemctl)", function () {
    this.timeout(60000);

    it("writes the drop-in 0644 and the env file 0600; state, backups and their copies root-only", () => {
        const env = mkEnv();
        const r = run(env, "apply", files());
        assert.strictEqual(r.code, 0, r.stderr);
        assert.doesNotMatch(r.stdout + r.stderr, new RegExp(PW));
        assert.strictEqual(mode(env, PROXY_DROPIN_PATH), "644");
        assert.strictEqual(mode(env, PROXY_ENV_PATH), "600");
        assert.doesNotMatch(read(env, PROXY_DROPIN_PATH), new RegExp(PW));
        assert.match(read(env, PROXY_ENV_PATH), new RegExp(`^HTTP_PROXY="http://svc:${PW}@proxy:3128"$`, "m"));
        for (const d of ["var/lib/dockfleet", STATE, `${STATE}/last-good`, `${STATE}/original`, `${STATE}/claims`]) assert.strictEqual(mode(env, d), "700", d);
        // the verified copy keeps the file's mode; the manifest records it for a rollback
        assert.deepStrictEqual(stateFiles(env), [`${STATE}/last-good/KEY 600`]);
        assert.match(read(env, `${STATE}/last-good/manifest`), /^[0-9a-f]{16} 600 \/etc\/systemd\/system\/docker\.service\.d\/http-proxy\.env$/m);
        assert.match(read(env, `${STATE}/original/manifest`), /^[0-9a-f]{16} absent \/etc\/systemd\/system\/docker\.service\.d\/http-proxy\.env$/m);
        // no state file is group- or world-readable
        const loose = fs.readdirSync(path.join(env.root, STATE)).filter((f) => fs.statSync(path.join(env.root, STATE, f)).mode & 0o077);
        assert.deepStrictEqual(loose, []);
    });

    it("state directories an older dockfleet made 0755 become 0700 on the next apply", () => {
        const env = mkEnv();
        for (const d of ["var/lib/dockfleet", STATE, "var/lib/dockfleet/docker-host"]) fs.mkdirSync(path.join(env.root, d), { recursive: true, mode: 0o755 });
        for (const d of ["var/lib/dockfleet", STATE, "var/lib/dockfleet/docker-host"]) fs.chmodSync(path.join(env.root, d), 0o755);
        assert.strictEqual(run(env, "apply", files()).code, 0);
        for (const d of ["var/lib/dockfleet", STATE, "var/lib/dockfleet/docker-host"]) assert.strictEqual(mode(env, d), "700", d);
    });

    it("a host applied with the old Environment= drop-in converges to the new layout without a restart (same settings), no rollback", () => {
        const env = mkEnv();
        // main's apply: drop-in with the variables, 0644, on stdin
        const old = run(env, "apply", { public: [daemon(), { path: "/etc/systemd/system/docker.service.d/10-dockfleet-hosts.conf", mode: "0644" }], secret: [{ path: PROXY_DROPIN_PATH, mode: "0644", content: OLD_DROPIN }] });
        assert.strictEqual(old.code, 0, old.stderr);
        assert.strictEqual(count(env, "starts"), 1);
        const r = run(env, "apply", files());
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /http-proxy\.conf rewritten in canonical form; same settings: no restart/);
        assert.match(r.stderr, /http-proxy\.env rewritten in canonical form; same settings: no restart/);
        assert.doesNotMatch(r.stderr, /rolling back|FAILED/);
        assert.strictEqual(count(env, "starts"), 1);
        assert.match(calls(env), /systemctl daemon-reload/);
        assert.match(read(env, PROXY_DROPIN_PATH), /^EnvironmentFile=\/etc\/systemd\/system\/docker\.service\.d\/http-proxy\.env$/m);
        assert.strictEqual(mode(env, PROXY_ENV_PATH), "600");
        // the old drop-in's copy is gone from last-good; only the 0600 env file's copy holds the password
        assert.deepStrictEqual(stateFiles(env), [`${STATE}/last-good/KEY 600`]);
        // and the next apply is a no-op
        const again = run(env, "apply", files());
        assert.match(again.stderr, /unchanged; nothing to do/);
        assert.strictEqual(count(env, "starts"), 1);
    });

    it("adoption: an operator's inline Environment= with other values, or a changed password, restarts", () => {
        const env = mkEnv();
        fs.mkdirSync(path.join(env.root, path.dirname(PROXY_DROPIN_PATH)), { recursive: true });
        fs.writeFileSync(path.join(env.root, PROXY_DROPIN_PATH), OLD_DROPIN.replace(PW, "old-pw"));
        fs.writeFileSync(path.join(env.fake, "active-since"), "Thu 2099-01-01 00:00:00 UTC");
        const r = run(env, "apply", files());
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /will change \/etc\/systemd\/system\/docker\.service\.d\/http-proxy\.conf/);
        assert.match(r.stderr, /applied \(restart\)/);
        // an env file naming the same variables in the operator's own quoting: same settings
        const env2 = mkEnv();
        fs.mkdirSync(path.join(env2.root, path.dirname(PROXY_DROPIN_PATH)), { recursive: true });
        fs.writeFileSync(path.join(env2.root, PROXY_DROPIN_PATH), `[Service]\nEnvironmentFile=-${PROXY_ENV_PATH}\n`);
        fs.writeFileSync(path.join(env2.root, "etc/docker/daemon.json"), daemon().content!);
        fs.writeFileSync(path.join(env2.root, PROXY_ENV_PATH), `# ops\nNO_PROXY=127.0.0.1,localhost\nHTTP_PROXY='http://svc:${PW}@proxy:3128'\n`);
        fs.writeFileSync(path.join(env2.fake, "active-since"), "Thu 2099-01-01 00:00:00 UTC");
        const r2 = run(env2, "apply", files());
        assert.strictEqual(r2.code, 0, r2.stderr);
        assert.match(r2.stderr, /same settings: no restart/);
        assert.strictEqual(count(env2, "starts"), 0);
    });

    it("a rollback puts the env file back with mode 0600, and a failed migration puts the old drop-in back", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", files()).code, 0);
        const bad = run(env, "apply", files({ labels: ["BAD_START"] }));
        assert.strictEqual(bad.code, 1);
        assert.match(bad.stderr, /previous config restored, dockerd running/);
        assert.strictEqual(mode(env, PROXY_ENV_PATH), "600");
        assert.match(read(env, PROXY_ENV_PATH), new RegExp(PW));
        assert.doesNotMatch(bad.stderr, new RegExp(PW));

        const mig = mkEnv();
        assert.strictEqual(run(mig, "apply", { public: [daemon()], secret: [{ path: PROXY_DROPIN_PATH, mode: "0644", content: OLD_DROPIN }] }).code, 0);
        const failed = run(mig, "apply", files({ labels: ["BAD_START"] }));
        assert.strictEqual(failed.code, 1);
        assert.strictEqual(read(mig, PROXY_DROPIN_PATH), OLD_DROPIN);
        assert.ok(!exists(mig, PROXY_ENV_PATH), "the env file a failed migration wrote is removed again");
    });

    it("refuses an env file that others could read, or that is not KEY=value, without showing its content", () => {
        const env = mkEnv();
        const f = files();
        const loose = run(env, "apply", { public: f.public, secret: [{ ...f.secret[0], mode: "0644" }] });
        assert.strictEqual(loose.code, 1);
        assert.match(loose.stderr, /ERROR: \/etc\/systemd\/system\/docker\.service\.d\/http-proxy\.env holds credentials: its mode must give group and others nothing, got 0644/);
        const garbage = run(env, "apply", { public: f.public, secret: [{ ...f.secret[0], content: `HTTP_PROXY="http://svc:${PW}@p:1"\nexport ${PW}\n` }] });
        assert.strictEqual(garbage.code, 1);
        assert.match(garbage.stderr, /http-proxy\.env: line 2 is not KEY=value \(content not shown: it may hold credentials\)/);
        assert.doesNotMatch(loose.stderr + garbage.stderr, new RegExp(PW));
        assert.ok(!exists(env, PROXY_ENV_PATH));
    });

    it("status names a drifted root-only file without its digest (a guessing oracle for the password)", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", files()).code, 0);
        fs.writeFileSync(path.join(env.root, PROXY_ENV_PATH), `HTTP_PROXY="http://svc:other@proxy:3128"\n`);
        fs.writeFileSync(path.join(env.root, "etc/docker/daemon.json"), "{}\n");
        const all = run(env, "status").stdout.trim().split("\n");
        const st = all.filter((l) => l.startsWith("drift ")).sort();
        assert.strictEqual(st.length, 2, st.join("\n"));
        assert.match(st[0], /^drift \/etc\/docker\/daemon\.json [0-9a-f]{64}$/);
        assert.strictEqual(st[1], "drift /etc/systemd/system/docker.service.d/http-proxy.env -");
        // nor what was applied there: the line of what the last apply wrote shows no digest either
        assert.deepStrictEqual(all.filter((l) => l.endsWith(PROXY_ENV_PATH)), [`applied 600 - ${PROXY_ENV_PATH}`]);
    });

    it("removing the proxy removes both files (public bundle, nothing secret)", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", files()).code, 0);
        const r = run(env, "apply", files({}, false));
        assert.strictEqual(r.code, 0, r.stderr);
        assert.ok(!exists(env, PROXY_DROPIN_PATH) && !exists(env, PROXY_ENV_PATH));
    });
});
