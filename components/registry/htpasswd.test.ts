import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import bcrypt from "bcryptjs";
import { htpasswdSalt, renderHtpasswd, validateRegistryUsers } from "./htpasswd";
import { renderLoginCommand, renderLogoutCommand } from "./login";

describe("registry htpasswd (bcrypt, stable salt)", () => {
    const users = { fleet: "correct horse battery", ci: "another-long-password" };

    it("renders one sorted bcrypt ($2b$, cost 10) line per user, each verifiable with bcrypt's compare", () => {
        const text = renderHtpasswd(users, "fleet-secret");
        const lines = text.trimEnd().split("\n");
        assert.deepStrictEqual(lines.map((l) => l.split(":")[0]), ["ci", "fleet"]);
        for (const l of lines) assert.match(l, /^[a-z]+:\$2b\$10\$[./A-Za-z0-9]{53}$/);
        const hash = (u: string) => lines.find((l) => l.startsWith(`${u}:`))!.slice(u.length + 1);
        assert.strictEqual(bcrypt.compareSync("correct horse battery", hash("fleet")), true);
        assert.strictEqual(bcrypt.compareSync("correct horse batterY", hash("fleet")), false);
        assert.strictEqual(bcrypt.compareSync("another-long-password", hash("ci")), true);
        assert.strictEqual(bcrypt.getRounds(hash("ci")), 10);
    });

    it("the same users and fleet secret render the same bytes (a no-op up has no diff)", () => {
        assert.strictEqual(renderHtpasswd(users, "fleet-secret"), renderHtpasswd({ ci: users.ci, fleet: users.fleet }, "fleet-secret"));
    });

    it("salts differ per user, per password and per fleet secret, so equal passwords give unrelated hashes", () => {
        const salts = new Set([
            htpasswdSalt("a", "same-password-x", "k1"), htpasswdSalt("b", "same-password-x", "k1"),
            htpasswdSalt("a", "other-password-x", "k1"), htpasswdSalt("a", "same-password-x", "k2"),
        ]);
        assert.strictEqual(salts.size, 4);
        const two = renderHtpasswd({ a: "same-password-x", b: "same-password-x" }, "k").trimEnd().split("\n").map((l) => l.split(":")[1]);
        assert.notStrictEqual(two[0], two[1]);
        assert.match(htpasswdSalt("a", "p", "k"), /^\$2b\$10\$[./A-Za-z0-9]{22}$/);
    });

    it("validates users: names, short and over-long (bcrypt truncates at 72 bytes) passwords, empty maps", () => {
        assert.deepStrictEqual(validateRegistryUsers({ fleet: "long-enough-pw" }, "dockfleet:registryUsers"), []);
        const bad = validateRegistryUsers({ "a:b": "long-enough-pw", short: "x", long: "y".repeat(73) }, "dockfleet:registryUsers");
        assert.deepStrictEqual(bad.map((i) => i.field), ["dockfleet:registryUsers.a:b", "dockfleet:registryUsers.short", "dockfleet:registryUsers.long"]);
        assert.match(bad[2].message, /longer than 72 bytes/);
        assert.match(validateRegistryUsers({}, "f")[0].message, /names no user/);
        assert.match(validateRegistryUsers("pw", "f")[0].message, /must be a map/);
    });
});

describe("registry login command (exact text)", () => {
    it("reads the password from stdin, pipes it to --password-stdin, retries a registry that is not up, stops on a refused password, asks nothing when root is already logged in with these credentials, keeps root's docker config 0600", () => {
        assert.strictEqual(renderLoginCommand("10.232.0.11:5000", "fleet"), `set -eu
umask 077
pw=$(cat)
mkdir -p /root/.docker && chmod 700 /root/.docker
auth=$(printf '%s:%s' 'fleet' "$pw" | base64 -w0)
cfg=$(tr -d ' \\t\\r\\n' 2>/dev/null </root/.docker/config.json || true)
case "$cfg" in *'"10.232.0.11:5000":{"auth":"'"$auth"'"'*) chmod 600 /root/.docker/config.json; echo "already logged in to 10.232.0.11:5000 as fleet"; exit 0 ;; esac
i=0
while :; do
  if out=$(printf '%s' "$pw" | docker login --username 'fleet' --password-stdin '10.232.0.11:5000' 2>&1); then break; fi
  case "$out" in *401*|*unauthorized*|*"no basic auth"*) echo "docker login 10.232.0.11:5000 as fleet refused: $out" >&2; exit 1 ;; esac
  i=$((i + 1))
  if [ "$i" -ge 30 ]; then echo "docker login 10.232.0.11:5000: $out" >&2; exit 1; fi
  sleep 2
done
chmod 600 /root/.docker/config.json
echo "logged in to 10.232.0.11:5000 as fleet"
`);
        assert.strictEqual(renderLogoutCommand("10.232.0.11:5000"), "docker logout '10.232.0.11:5000' >/dev/null 2>&1 || true\n");
    });
});

describe("registry login claims (the commands run in bash, docker faked, /root/.docker in a temp dir)", () => {
    const ADDR = "10.232.0.11:5000";
    let dir = "";
    const run = (cmd: string, stdin = "") => {
        const r = spawnSync("bash", ["-c", cmd.split("/root/.docker").join(`${dir}/home/.docker`)], {
            input: stdin, encoding: "utf8", env: { PATH: `${dir}/bin:/usr/bin:/bin`, FAKE: dir },
        });
        return { code: r.status, out: r.stdout + r.stderr };
    };
    const calls = () => (fs.existsSync(`${dir}/calls`) ? fs.readFileSync(`${dir}/calls`, "utf8").trim().split("\n") : []);
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-login-"));
        fs.mkdirSync(`${dir}/bin`);
        // docker login stores the auth as docker does (tab-indented); logout removes it
        fs.writeFileSync(`${dir}/bin/docker`, `#!/bin/bash
echo "$1" >> "$FAKE/calls"
case "$1" in
  login) [ -z "$REFUSE" ] || { echo "unauthorized: authentication required"; exit 1; }; pw=$(cat); printf '{\\n\\t"auths": {\\n\\t\\t"%s": {\\n\\t\\t\\t"auth": "%s"\\n\\t\\t}\\n\\t}\\n}' "\${@: -1}" "$(printf '%s:%s' "$3" "$pw" | base64 -w0)" > "$FAKE/home/.docker/config.json" ;;
  logout) rm -f "$FAKE/home/.docker/config.json" ;;
esac
`, { mode: 0o755 });
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("a host's login under a new resource name (a rename: create, then the old one's delete) stays logged in; the last delete logs out", () => {
        const [a, b] = ["dockfleet.local.host3-registry-login", "dockfleet.local.host3b-registry-login"];
        assert.match(run(renderLoginCommand(ADDR, "fleet", a), "pw").out, /logged in to 10\.232\.0\.11:5000 as fleet/);
        assert.match(run(renderLoginCommand(ADDR, "fleet", b), "pw").out, /already logged in/);
        assert.deepStrictEqual(calls(), ["login"]);
        assert.match(run(renderLogoutCommand(ADDR, a)).out, /still logged in to 10\.232\.0\.11:5000: used by dockfleet\.local\.host3b-registry-login/);
        assert.deepStrictEqual(calls(), ["login"], "no logout while another resource uses the registry");
        assert.strictEqual(run(renderLogoutCommand(ADDR, b)).code, 0);
        assert.deepStrictEqual(calls(), ["login", "logout"]);
        assert.ok(!fs.existsSync(`${dir}/home/.docker/dockfleet-logins`), "no claim left, nor their directory");
    });

    it("a refused login records no claim (no resource will delete it)", () => {
        const r = spawnSync("bash", ["-c", renderLoginCommand(ADDR, "fleet", "z").split("/root/.docker").join(`${dir}/home/.docker`)], {
            input: "bad", encoding: "utf8", env: { PATH: `${dir}/bin:/usr/bin:/bin`, FAKE: dir, REFUSE: "1" },
        });
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /refused/);
        assert.ok(!fs.existsSync(`${dir}/home/.docker/dockfleet-logins`));
    });

    it("already logged in to another registry address with the same credentials: logs in to this one", () => {
        run(renderLoginCommand("10.232.0.99:5000", "fleet", "x"), "pw");
        assert.match(run(renderLoginCommand(ADDR, "fleet", "y"), "pw").out, /^logged in to 10\.232\.0\.11:5000/m);
        assert.deepStrictEqual(calls(), ["login", "login"]);
    });
});
