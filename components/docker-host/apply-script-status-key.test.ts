// The status's root-only files under a one-time key (issue 32): with DOCKFLEET_STATUS_KEY=stdin and
// a key on stdin the script shows the proxy's 0600 env file as HMAC-SHA256 under that key, the
// value node's crypto computes (the program's side); without a key "-". And the attacker's view: an
// unprivileged user on the host, watching while the status runs, finds the key on no command line
// and cannot read the root process's stdin or environment; the value shown is not the file's
// sha256, and another probe's key shows another value (harness: test/support/apply-host.ts).
import * as assert from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { keyedSha, parseStatus } from "./drift";
import { renderHostFiles } from "./docker-host";
import { PROXY_ENV_PATH } from "./dropins";
import { Env, daemon, mkEnv, run } from "../../test/support/apply-host";

const KEY = Buffer.from("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", "hex");
const ENV_FILE = "HTTP_PROXY=http://svc:s3cret@proxy.corp.example:3128\n";
/** HMAC-SHA256(KEY, ENV_FILE), as `openssl dgst -sha256 -mac HMAC -macopt hexkey:000102...1f` prints it. */
const ENV_FILE_HMAC = "5410cfad0cdd1e2d5164840aa72a74c55bbd0c43315774d732bd994a96122e49";

/** A host whose last verified apply wrote daemon.json, the proxy drop-in and the root-only env file with `content`. */
function proxiedHost(content: string): Env {
    const env = mkEnv();
    const { publicFiles } = renderHostFiles({}, "/usr/bin/dockerd", true, undefined, []);
    const r = run(env, "apply", { public: [daemon(), ...publicFiles.filter((f) => f.path !== "/etc/docker/daemon.json")], secret: [{ path: PROXY_ENV_PATH, mode: "0600", content }] });
    assert.strictEqual(r.code, 0, r.stderr);
    assert.strictEqual(fs.statSync(path.join(env.root, PROXY_ENV_PATH)).mode & 0o777, 0o600);
    return env;
}

const keyed = { DOCKFLEET_STATUS_KEY: "stdin" };
const envLine = (out: string) => out.split("\n").find((l) => l.endsWith(` ${PROXY_ENV_PATH}`));

describe("apply-docker-config.sh status: root-only files under the probe's one-time key", function () {
    this.timeout(60000);

    it("shows the env file as hmac:HMAC-SHA256(key, bytes) with a key on stdin, the value the program computes; '-' without one", () => {
        const env = proxiedHost(ENV_FILE);
        assert.strictEqual(envLine(run(env, "status", { stdin: `${KEY.toString("hex")}\n`, extraEnv: keyed }).stdout), `applied 600 hmac:${ENV_FILE_HMAC} ${PROXY_ENV_PATH}`);
        assert.strictEqual(keyedSha(KEY, ENV_FILE), `hmac:${ENV_FILE_HMAC}`);
        // an older controller: no variable (the stdin is not read), or a key that is not 64 hex digits
        assert.strictEqual(envLine(run(env, "status", { stdin: `${KEY.toString("hex")}\n` }).stdout), `applied 600 - ${PROXY_ENV_PATH}`);
        assert.strictEqual(envLine(run(env, "status", { stdin: "not-a-key\n", extraEnv: keyed }).stdout), `applied 600 - ${PROXY_ENV_PATH}`);
        assert.strictEqual(envLine(run(env, "status", { stdin: "", extraEnv: keyed }).stdout), `applied 600 - ${PROXY_ENV_PATH}`);
        // the public files keep their plain sha256, whatever the key
        const st = parseStatus(run(env, "status", { stdin: `${KEY.toString("hex")}\n`, extraEnv: keyed }).stdout, KEY);
        assert.strictEqual(st.kind, "in-sync");
        const dj = st.kind === "in-sync" ? st.applied!.find((a) => a.path === "/etc/docker/daemon.json") : undefined;
        assert.strictEqual(dj?.sha, createHash("sha256").update(daemon().content!).digest("hex"));
        assert.strictEqual(st.kind === "in-sync" && st.keyedSha!(ENV_FILE), `hmac:${ENV_FILE_HMAC}`);
    });

    it("the attacker's view: the value is not the file's sha256 and changes with every key; an unprivileged user sees the key on no command line and cannot read the root process's stdin or environment", () => {
        const env = proxiedHost(ENV_FILE);
        const other = Buffer.alloc(32, 0xab);
        const shown = envLine(run(env, "status", { stdin: `${KEY.toString("hex")}\n`, extraEnv: keyed }).stdout)!.split(" ")[2];
        const shownOther = envLine(run(env, "status", { stdin: `${other.toString("hex")}\n`, extraEnv: keyed }).stdout)!.split(" ")[2];
        const plain = createHash("sha256").update(ENV_FILE).digest("hex");
        assert.notStrictEqual(shown, `hmac:${plain}`);
        assert.ok(!shown.includes(plain));
        assert.notStrictEqual(shown, shownOther, "a new key, a new value: nothing to collect and compare across probes");
        assert.strictEqual(shownOther, keyedSha(other, ENV_FILE));

        // While the status computes the HMAC (its sha256sum calls), a snooper running as `nobody`
        // reads every process's command line and tries the status process's environ and stdin.
        const snoop = [
            // bash builtins only: a fork per process would take seconds on a busy machine
            'for f in /proc/[0-9]*/cmdline; do c=""; while IFS= read -r -d "" a; do c+="$a "; done <"$f" 2>/dev/null; echo "cmdline $c"; done',
            "for f in $(grep -las 'apply-docker-config.sh.status' /proc/[0-9]*/cmdline); do",
            '  p=${f%/cmdline}',
            '  [ "$(stat -c %u $p)" = 0 ] || continue # root\'s processes (not this snooper)',
            '  if cat $p/environ >/dev/null 2>&1; then echo "environ readable ${p#/proc/}"; else echo "environ denied"; fi',
            '  if timeout 1 cat $p/fd/0 >/dev/null 2>&1; then echo "stdin readable ${p#/proc/}"; else echo "stdin denied"; fi',
            "done",
        ].join("\n");
        fs.writeFileSync(path.join(env.fake, "snoop.sh"), snoop, { mode: 0o644 });
        fs.writeFileSync(path.join(env.bin, "sha256sum"), [
            "#!/bin/bash",
            // nobody cannot enter the 0700 temp dirs: the snooper's text goes on its command line
            // the HMAC's calls read a pipe (sha() reads a file): snoop while the key is in use
            '[ -p /dev/stdin ] || exec /usr/bin/sha256sum "$@"',
            `setpriv --reuid=65534 --regid=65534 --clear-groups bash -c "$(cat "$FAKE/snoop.sh")" </dev/null >>"$FAKE/snooped" 2>&1`,
            // what root sees in the status process's environment (it holds only DOCKFLEET_STATUS_KEY=stdin)
            'for p in /proc/[0-9]*; do case "$(tr "\\0" " " <$p/cmdline 2>/dev/null)" in *apply-docker-config.sh\\ status*) tr "\\0" "\\n" <$p/environ >>"$FAKE/environ" ;; esac; done',
            'exec /usr/bin/sha256sum "$@"',
        ].join("\n") + "\n", { mode: 0o755 });
        const r = run(env, "status", { stdin: `${KEY.toString("hex")}\n`, extraEnv: keyed });
        assert.strictEqual(envLine(r.stdout), `applied 600 hmac:${ENV_FILE_HMAC} ${PROXY_ENV_PATH}`, r.stderr);
        const seen = fs.readFileSync(path.join(env.fake, "snooped"), "utf8");
        const hex = KEY.toString("hex");
        // (not printed on failure: the snoop holds every command line of this machine)
        assert.ok(/^cmdline bash \S+apply-docker-config\.sh status --host testhost/m.test(seen), "the snooper saw the status process");
        assert.ok(!seen.includes(hex) && !seen.includes(hex.toUpperCase()), "the key is on no command line");
        assert.ok(/^environ denied$/m.test(seen) && /^stdin denied$/m.test(seen), "the snooper tried the status process's environ and stdin");
        assert.deepStrictEqual(seen.split("\n").filter((l) => /^(environ|stdin) readable/.test(l)), [], "nothing of the root process readable to nobody");
        const environ = fs.readFileSync(path.join(env.fake, "environ"), "utf8");
        assert.match(environ, /^DOCKFLEET_STATUS_KEY=stdin$/m);
        assert.ok(!environ.includes(hex), "nor in the status process's environment");
    });
});
