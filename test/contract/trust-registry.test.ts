// Contract (issue 28, the open registry): the registry image with exactly the env, files and
// htpasswd the Registry component renders, TLS from a CA made by `npm run registry-tls`'s code,
// the CA trusted through the apply's certs.d file, on the sandbox's real hosts and Swift. Plays
// the attacker: a client without credentials, a host not logged in, a client without the CA.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REGISTRY_FILES, renderRegistryEnv } from "../../components/registry/registry-config";
import { renderHtpasswd } from "../../components/registry/htpasswd";
import { renderLoginCommand, renderLogoutCommand } from "../../components/registry/login";
import { withRegistryDefaults } from "../../components/registry/registry";
import { registryTrustFiles } from "../../components/docker-host/registry-trust";
import { restartDigest } from "../../components/docker-host/daemon-config";
import { createCa, issueServerCert } from "../../cli/registry-tls/generate";
import { shQuote } from "../../components/common/shell";
import { eventually, hostFiles, pushFiles, restore, sandbox, settledSwarm, sh, ssh } from "./lib";

const HOSTS = ["host1", "host2", "host3"];
const REG = "10.232.0.11";
const PORT = 5003;
const ADDR = `${REG}:${PORT}`;
const NAME = "dfreg-tls";
const USER = "fleet";
const PASSWORD = `contract-${Date.now()}-pw`;
const SVC = "dftls-global";

function swift(...args: string[]) {
    const s = sandbox().swift;
    return spawnSync("swift", ["-A", s.authUrl, "-U", s.username, "-K", s.password, ...args], { encoding: "utf8", timeout: 60000 });
}

/** curl from this machine (another client on the network); returns the HTTP status or the curl exit. */
function curl(args: string[]): { code: number; status: string } {
    const r = spawnSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10", ...args], { encoding: "utf8", timeout: 20000 });
    return { code: r.status ?? -1, status: r.stdout };
}

describe("contract: registry with TLS and htpasswd on the sandbox (trust, issue 28)", function () {
    this.timeout(600000);
    let tmp: string;
    let caFile: string;
    let caCert: string;
    const bucket = `contract-tls-${Date.now()}`;
    const ref = `${ADDR}/contract/tls-busybox:1`;
    const dockerConfigs: Record<string, string> = {};
    const applied: Record<string, { code: number; stderr: string; pidBefore: string; pidAfter: string; reloads: string }> = {};

    before(async () => {
        settledSwarm();
        const sb = sandbox();
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-tls-"));
        const ca = await createCa({ commonName: "dockfleet contract CA", days: 2 });
        const server = await issueServerCert({ ca, names: [REG], days: 1 });
        caCert = ca.cert;
        caFile = path.join(tmp, "ca.crt");
        fs.writeFileSync(caFile, ca.cert);
        // each host's own docker login state, put back afterwards
        for (const h of HOSTS) dockerConfigs[h] = ssh(h, "cat /root/.docker/config.json 2>/dev/null").stdout;

        // The product's apply, first as it was (daemon files; adopting a host may restart dockerd),
        // then with the registry's ca.crt added: measured here, before any container runs.
        const [pub, secret] = hostFiles({});
        for (const h of HOSTS) {
            const first = pushFiles(h, pub, secret, { reloadDigest: restartDigest({}) });
            assert.strictEqual(first.code, 0, first.stderr);
            const pidBefore = sh(h, "systemctl show -p MainPID --value docker.service");
            const since = sh(h, "date +%s");
            const r = pushFiles(h, [...pub, ...registryTrustFiles([{ address: ADDR, caCert }])], secret, { reloadDigest: restartDigest({}) });
            const pidAfter = sh(h, "systemctl show -p MainPID --value docker.service");
            const reloads = ssh(h, `journalctl -u docker.service --since @${since} --no-pager -q | grep -c 'Reload' || true`).stdout.trim();
            applied[h] = { code: r.code, stderr: r.stderr, pidBefore, pidAfter, reloads };
        }
        settledSwarm(); // the first applies may have restarted managers

        // the registry: env as rendered, the files as the container's uploads (docker cp before start)
        const env = renderRegistryEnv({ kind: "swift", authUrl: sb.swift.authUrl, username: sb.swift.username, password: sb.swift.password, container: bucket, authVersion: 1 },
            { httpSecret: "contract-http-secret", deleteEnabled: true, port: PORT, tls: true, auth: true });
        const files = [[REGISTRY_FILES.cert, server.cert], [REGISTRY_FILES.key, server.key], [REGISTRY_FILES.htpasswd, renderHtpasswd({ [USER]: PASSWORD }, "contract-http-secret")]];
        const hc = withRegistryDefaults({ host: REG, port: PORT, storage: { kind: "filesystem" }, httpSecret: "", tls: { cert: "", key: "" } }).healthcheck;
        ssh("host1", `docker rm -f ${NAME} >/dev/null 2>&1`);
        const envArgs = Object.entries(env).map(([k, v]) => `-e ${shQuote(`${k}=${v}`)}`).join(" ");
        sh("host1", `docker create --name ${NAME} -p ${PORT}:${PORT} ${envArgs} --health-cmd ${shQuote(hc.slice(1).join(" "))} --health-interval 2s ${sb.images.registry} >/dev/null`);
        // like the provider's uploads: a tar with each file at its full path, extracted at / of the
        // created container; the contents travel on stdin through a root-only temp dir
        for (const [p, content] of files) {
            const r = ssh("host1", `set -e; umask 077; d=$(mktemp -d); mkdir -p "$d$(dirname ${p})"; cat > "$d${p}"; tar -C "$d" -cf - .${path.dirname(p)} | docker cp - ${NAME}:/; rm -rf "$d"`, content);
            assert.strictEqual(r.code, 0, r.stderr);
        }
        sh("host1", `docker start ${NAME} >/dev/null`);
        await eventually(() => curl(["--cacert", caFile, `https://${ADDR}/v2/`]).status === "401", 30000, "the registry to answer over TLS");
    });

    after(() => {
        ssh("host1", `docker service rm ${SVC} >/dev/null 2>&1; docker rm -f ${NAME} >/dev/null 2>&1`);
        for (const h of HOSTS) {
            ssh(h, `${renderLogoutCommand(ADDR)}docker rmi -f ${ref} >/dev/null 2>&1; true`);
            if (dockerConfigs[h]) ssh(h, "umask 077; mkdir -p /root/.docker; cat > /root/.docker/config.json", dockerConfigs[h]);
            restore(h);
            ssh(h, `rmdir /etc/docker/certs.d/${ADDR} 2>/dev/null; true`); // restore removed the file, not its directory
        }
        swift("delete", bucket);
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("the CA reaches every host through the apply bundle as certs.d/<host:port>/ca.crt, without a dockerd restart or reload", () => {
        for (const h of HOSTS) {
            const a = applied[h];
            assert.strictEqual(a.code, 0, a.stderr);
            assert.match(a.stderr, new RegExp(`/etc/docker/certs.d/${ADDR}/ca.crt written; dockerd reads it on use: no restart, no reload`));
            assert.strictEqual(a.pidAfter, a.pidBefore, `${h}: dockerd restarted`);
            assert.strictEqual(a.reloads, "0", `${h}: dockerd reloaded`);
            assert.strictEqual(sh(h, `cat /etc/docker/certs.d/${ADDR}/ca.crt`), caCert.trim());
            assert.strictEqual(sh(h, `stat -c %a /etc/docker/certs.d/${ADDR}/ca.crt`), "644");
        }
    });

    it("no host lists the registry (or any range holding it) under insecure registries", () => {
        for (const h of HOSTS) {
            const rc = JSON.parse(sh(h, "docker info --format '{{json .RegistryConfig}}'"));
            assert.deepStrictEqual(rc.InsecureRegistryCIDRs, ["127.0.0.0/8"], h);
            const idx = rc.IndexConfigs?.[ADDR] ?? rc.IndexConfigs?.[REG];
            assert.ok(!idx || idx.Secure === true, `${h}: ${JSON.stringify(rc.IndexConfigs)}`);
        }
    });

    it("the container's healthcheck (the component's command) passes over TLS", async () => {
        await eventually(() => ssh("host1", `docker inspect -f '{{.State.Health.Status}}' ${NAME}`).stdout.trim() === "healthy", 60000, "healthy registry");
    });

    it("a client without credentials gets 401; with them 200; without the CA, TLS verification fails", () => {
        assert.strictEqual(curl(["--cacert", caFile, `https://${ADDR}/v2/`]).status, "401");
        assert.strictEqual(curl(["--cacert", caFile, `https://${ADDR}/v2/_catalog`]).status, "401");
        assert.strictEqual(curl(["--cacert", caFile, "-u", `${USER}:wrong-password`, `https://${ADDR}/v2/`]).status, "401");
        assert.strictEqual(curl(["--cacert", caFile, "-u", `${USER}:${PASSWORD}`, `https://${ADDR}/v2/`]).status, "200");
        assert.strictEqual(curl([`https://${ADDR}/v2/`]).code, 60, "curl: peer certificate cannot be authenticated with known CA certificates");
        assert.strictEqual(curl([`http://${ADDR}/v2/`]).status, "400", "plain HTTP is refused (Go answers 400 to HTTP on a TLS port)");
    });

    it("a host not logged in can neither push nor pull", () => {
        const tag = sh("host2", `docker tag ${sandbox().images.busybox} ${ref} && docker push ${ref} 2>&1; echo "exit=$?"`);
        assert.match(tag, /no basic auth credentials|unauthorized/);
        assert.match(tag, /exit=1/);
        const pull = ssh("host3", `docker pull ${ref} 2>&1`);
        assert.notStrictEqual(pull.code, 0);
        assert.match(pull.stdout, /no basic auth credentials|unauthorized/);
    });

    it("hosts logged in with the product's command (password on stdin, config 0600): push from host2, pull on host1..host3 over verified TLS, same image", () => {
        for (const h of HOSTS) {
            const r = ssh(h, renderLoginCommand(ADDR, USER), PASSWORD);
            assert.strictEqual(r.code, 0, r.stderr);
            assert.strictEqual(sh(h, "stat -c %a /root/.docker/config.json"), "600");
            assert.strictEqual(sh(h, "stat -c %a /root/.docker"), "700");
        }
        // logged in already with these credentials: nothing asked of the registry
        assert.match(ssh("host2", renderLoginCommand(ADDR, USER), PASSWORD).stdout, new RegExp(`already logged in to ${ADDR.replace(/\./g, "\\.")} as ${USER}`));
        // a wrong password is refused at once, without the minute of retries
        const t0 = Date.now();
        const bad = ssh("host1", renderLoginCommand(ADDR, USER), "wrong-password");
        assert.notStrictEqual(bad.code, 0);
        assert.match(bad.stderr, /refused/);
        assert.ok(Date.now() - t0 < 20000);
        ssh("host1", renderLoginCommand(ADDR, USER), PASSWORD); // the failed attempt left root logged out of nothing, but be sure
        sh("host2", `docker push ${ref} >/dev/null`);
        const id = sh("host2", `docker image inspect -f '{{.Id}}' ${ref}`);
        for (const h of ["host1", "host3"]) {
            ssh(h, `docker rmi -f ${ref} >/dev/null 2>&1`);
            sh(h, `docker pull ${ref} >/dev/null`);
            assert.strictEqual(sh(h, `docker image inspect -f '{{.Id}}' ${ref}`), id, h);
        }
        assert.match(swift("list", bucket).stdout, /repositories\/contract\/tls-busybox/);
    });

    it("a swarm service pulls with registry auth on every node, the nodes themselves logged out", async () => {
        for (const h of HOSTS) ssh(h, `${renderLogoutCommand(ADDR)}docker rmi -f ${ref} >/dev/null 2>&1; true`);
        // the manager logs in only to hand the credentials to the swarm (docker.Service `auth` does the same)
        sh("host1", `printf '%s' ${shQuote(PASSWORD)} | docker login -u ${USER} --password-stdin ${ADDR} >/dev/null 2>&1 && docker service create -d --with-registry-auth --name ${SVC} --mode global ${ref} sleep 3600 >/dev/null && ${renderLogoutCommand(ADDR).trim()}`);
        await eventually(() => {
            const ps = ssh("host1", `docker service ps ${SVC} --filter desired-state=running --format '{{.Node}} {{.CurrentState}}'`).stdout;
            return HOSTS.every((h) => new RegExp(`^${h} Running`, "m").test(ps));
        }, 120000, "a running task on host1..host3");
        for (const h of HOSTS) assert.strictEqual(ssh(h, `grep -c '${ADDR}' /root/.docker/config.json 2>/dev/null || true`).stdout.trim() || "0", "0", `${h} is logged out`);
    });
});
