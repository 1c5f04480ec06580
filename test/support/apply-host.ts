// The harness of the apply script's unit tests (components/docker-host/apply-script-*.test.ts and
// the other apply-* tests there): scripts/apply-docker-config.sh runs with fake
// systemctl/docker/dockerd/journalctl on PATH and every path under a temp DOCKFLEET_ROOT. The
// real-host versions of these cases run in test/contract against the sandbox.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { APPLY_SCRIPT_FILE, ManagedFile, renderBundle } from "../../components/docker-host/bundle";
import { installFakes } from "./apply-fakes";

export interface Env { root: string; fake: string; bin: string }

export function mkEnv(): Env {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-apply-"));
    const env = { root: path.join(base, "root"), fake: path.join(base, "fake"), bin: path.join(base, "bin") };
    for (const d of [env.root, env.fake, env.bin, path.join(env.root, "etc/docker"), path.join(env.root, "usr/bin")]) fs.mkdirSync(d, { recursive: true });
    installFakes("host", env.bin);
    fs.writeFileSync(path.join(env.root, "usr/bin/dockerd"), "", { mode: 0o755 });
    fs.writeFileSync(path.join(env.fake, "up"), "");
    return env;
}

export const DJ = "/etc/docker/daemon.json";
export const PROXY = "/etc/systemd/system/docker.service.d/http-proxy.conf";

export function daemon(extra: Record<string, unknown> = {}): ManagedFile {
    return { path: DJ, mode: "0644", content: JSON.stringify({ "debug": false, ...extra }, null, 2) + "\n" };
}

/** `stdin`: the script's stdin as given (else the secret bundle, else nothing). */
export function run(env: Env, action: string, opts: { public?: ManagedFile[]; secret?: ManagedFile[]; stdin?: string; args?: string[]; extraEnv?: Record<string, string>; script?: string } = {}) {
    const args = [opts.script ?? APPLY_SCRIPT_FILE, action, "--host", "testhost", "--restart-timeout", "10", ...(opts.args ?? [])];
    // a script of an older version (test/fixtures/legacy) came with bundles without facts entries, which it refuses
    const legacy = opts.script !== undefined && opts.script.includes("fixtures/legacy");
    const pub = opts.public ? (legacy ? withoutFacts : (b: string) => b)(renderBundle(opts.public)) : undefined;
    const full = pub !== undefined ? ["-c", `exec bash "$@" 3<"$PUBFILE"`, "x", ...args] : args;
    let pubFile = "";
    if (pub !== undefined) {
        pubFile = path.join(env.fake, `pub-${Date.now()}-${Math.random()}`);
        fs.writeFileSync(pubFile, pub);
    }
    const r = spawnSync("bash", full, {
        input: opts.stdin ?? (opts.secret ? renderBundle(opts.secret) : ""),
        env: { HOME: env.fake, PATH: `${env.bin}:/usr/bin:/bin:/usr/sbin:/sbin`, DOCKFLEET_ROOT: env.root, FAKE: env.fake, PUBFILE: pubFile, ...(opts.extraEnv ?? {}) },
        encoding: "utf8",
        timeout: 60000,
    });
    return { code: r.status, stderr: r.stderr, stdout: r.stdout };
}

/** A bundle without its `=== @facts PATH` entries (what dockfleet sent before issue 29). */
const withoutFacts = (bundle: string) => bundle.replace(/^=== @facts .*\n(?:(?!=== ).*\n)*/gm, "");

export const read = (env: Env, p: string) => fs.readFileSync(path.join(env.root, p), "utf8");
export const exists = (env: Env, p: string) => fs.existsSync(path.join(env.root, p));
export const count = (env: Env, f: string) => (fs.existsSync(path.join(env.fake, f)) ? fs.readFileSync(path.join(env.fake, f), "utf8").split("\n").filter(Boolean).length : 0);
export const calls = (env: Env) => (fs.existsSync(path.join(env.fake, "calls")) ? fs.readFileSync(path.join(env.fake, "calls"), "utf8") : "");

/** The status lines about drift (without the `applied` and `reload-digest` lines of what was applied). */
export const driftLines = (out: string) => out.trim().split("\n").filter((l) => !/^(applied|reload-digest) /.test(l));

/** Writes TEXT at P under the fake root, creating its directory. */
export const put = (env: Env, p: string, text: string, mode = 0o644) => {
    fs.mkdirSync(path.dirname(path.join(env.root, p)), { recursive: true });
    fs.writeFileSync(path.join(env.root, p), text, { mode });
};

/** `--owner` and `--op` of an ownership claim (issue 10). */
export const claim = (owner: string, op?: "create" | "update") => ["--owner", owner, ...(op ? ["--op", op] : [])];
