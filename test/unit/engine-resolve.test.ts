// dev/engine.sh + dev/env.sh: a user's own Pulumi (CLI on PATH, plugins installed with
// `pulumi plugin install` under $PULUMI_HOME) is used as it is, with no ../shared beside the clone and
// nothing built; the offline build installs its plugins the same way. Either way the engine runs
// them as installed plugins: no "using pulumi-resource-… from $PATH" warning. The binaries are the
// ones the offline build cached (dev/engine.sh builds them first on a machine without them).
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");
const tool = (name: string, arg: string): string =>
    execFileSync("bash", [path.join(ROOT, "tools", name, "build.sh"), arg], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
const TOOLS = ["pulumi-engine", "pulumi-language-yaml", "pulumi-language-python", "pulumi-resource-command", "pulumi-docker-provider"];

// A program that loads both resource plugins; a preview contacts no host.
const PROGRAM = `name: engine-check
runtime: yaml
resources:
  dockerProvider:
    type: pulumi:providers:docker
    properties:
      host: unix:///nonexistent/docker.sock
  hello:
    type: command:local:Command
    properties:
      create: "true"
`;

describe("engine resolution (dev/engine.sh, dev/env.sh)", function () {
    this.timeout(180000);
    let tmp: string;
    let bins: Record<string, string>;
    const cmdVersion = (): string => tool("pulumi-resource-command", "--print-version");
    const dkrVersion = (): string => tool("pulumi-docker-provider", "--print-version");

    /** bash -c SCRIPT in ROOT with exactly ENV (plus a minimal PATH unless given): no ambient PULUMI_*. */
    function sh(script: string, env: Record<string, string>): { code: number; out: string; err: string } {
        const r = spawnSync("bash", ["-c", script], { cwd: ROOT, encoding: "utf8", env: { PATH: "/usr/bin:/bin", ...env }, maxBuffer: 64 * 1024 * 1024 });
        return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
    }

    /** `pulumi preview` of PROGRAM in a fresh dir with dev/env.sh sourced. */
    function preview(env: Record<string, string>, name: string): { code: number; out: string } {
        const prog = path.join(tmp, name);
        fs.mkdirSync(prog, { recursive: true });
        fs.writeFileSync(path.join(prog, "Pulumi.yaml"), PROGRAM);
        const r = sh(`source dev/env.sh && cd "${prog}" && pulumi stack init ${name} --non-interactive >/dev/null && pulumi preview --stack ${name} --non-interactive --color never`, env);
        return { code: r.code, out: r.out + r.err };
    }

    before(function () {
        if (!TOOLS.every((t) => spawnSync("bash", [path.join(ROOT, "tools", t, "build.sh"), "--check"]).status === 0)) {
            execFileSync("bash", [path.join(ROOT, "dev/engine.sh")], { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, DOCKFLEET_PULUMI_STATE_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-engine-build-")) } });
        }
        bins = Object.fromEntries(TOOLS.map((t) => [t, tool(t, "--check")]));
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-engine-"));
        // A user's install: the CLI with its language hosts beside it, as upstream's archive has them.
        const userBin = path.join(tmp, "pulumi", "bin");
        fs.mkdirSync(userBin, { recursive: true });
        for (const t of ["pulumi-engine", "pulumi-language-yaml", "pulumi-language-python"]) {
            for (const f of fs.readdirSync(bins[t])) {
                try {
                    fs.linkSync(path.join(bins[t], f), path.join(userBin, f)); // a hard link is its own path, as a copy
                } catch {
                    fs.copyFileSync(path.join(bins[t], f), path.join(userBin, f));
                    fs.chmodSync(path.join(userBin, f), 0o755);
                }
            }
        }
    });
    after(() => fs.rmSync(tmp, { recursive: true, force: true }));

    describe("a user's own Pulumi, no ../shared", () => {
        let env: Record<string, string>;
        before(() => {
            env = {
                PATH: `${path.join(tmp, "pulumi", "bin")}:/usr/bin:/bin`,
                HOME: path.join(tmp, "home"),
                PULUMI_HOME: path.join(tmp, "pulumi-home"), // a fresh one (the CLI's default is the account's ~/.pulumi)
                DOCKFLEET_CACHE: path.join(tmp, "cache"), // empty: a build would have to fill it
                DOCKFLEET_UPSTREAM_DIR: path.join(tmp, "no-shared", "upstream"),
                DOCKFLEET_PULUMI_STATE_DIR: path.join(tmp, "state"),
            };
            // The ordinary way: `pulumi plugin install`.
            for (const [name, t, v] of [["command", "pulumi-resource-command", cmdVersion()], ["docker", "pulumi-docker-provider", dkrVersion()]]) {
                const r = sh(`pulumi plugin install resource ${name} v${v} --file "${bins[t]}/pulumi-resource-${name}"`, { ...env, PULUMI_SKIP_UPDATE_CHECK: "true" });
                assert.strictEqual(r.code, 0, r.out + r.err);
            }
        });

        it("engine.sh uses the installed CLI and plugins and builds nothing", () => {
            const r = sh("bash dev/engine.sh", env);
            assert.strictEqual(r.code, 0, r.err);
            const plugins = path.join(env.PULUMI_HOME, "plugins");
            assert.strictEqual(r.out.trim(), [path.join(tmp, "pulumi", "bin"), `${plugins}/resource-command-v${cmdVersion()}`, `${plugins}/resource-docker-v${dkrVersion()}`].join(":"));
            assert.match(r.err, /pulumi CLI \+ language hosts \(installed\)/);
            assert.match(r.err, new RegExp(`pulumi-resource-command ${cmdVersion()} \\(installed\\)`));
            assert.match(r.err, new RegExp(`pulumi-resource-docker ${dkrVersion()} \\(installed\\)`));
            assert.ok(!fs.existsSync(env.DOCKFLEET_CACHE), "engine.sh wrote to the cache: it built something");
        });

        it("env.sh selects that CLI and home; `pulumi plugin ls` lists the plugins", () => {
            const r = sh("source dev/env.sh && command -v pulumi && echo \"$PULUMI_HOME\" && pulumi plugin ls --json", env);
            assert.strictEqual(r.code, 0, r.err);
            const [cli, home, ...json] = r.out.split("\n");
            assert.strictEqual(cli, path.join(tmp, "pulumi", "bin", "pulumi"));
            assert.strictEqual(home, env.PULUMI_HOME);
            const listed = (JSON.parse(json.join("\n")) as { name: string; kind: string; version: string }[]).map((p) => `${p.kind} ${p.name} ${p.version}`).sort();
            assert.deepStrictEqual(listed, [`resource command ${cmdVersion()}`, `resource docker ${dkrVersion()}`]);
        });

        it("a preview loading both plugins prints no `from $PATH` warning", () => {
            const r = preview(env, "prog-user");
            assert.strictEqual(r.code, 0, r.out);
            assert.match(r.out, /command:local:Command\s+hello\s+create/);
            assert.doesNotMatch(r.out, /from \$PATH/);
        });

        it("the same preview with a plugin on PATH does warn (what the check above looks for)", () => {
            const r = preview({ ...env, PATH: `${bins["pulumi-resource-command"]}:${env.PATH}` }, "prog-ambient");
            assert.strictEqual(r.code, 0, r.out);
            assert.match(r.out, /warning: using pulumi-resource-command from \$PATH/);
        });
    });

    it("passes over a `pulumi` on PATH older than the pin, or without its Node.js host, for the offline build", () => {
        const dir = path.join(tmp, "old-pulumi");
        fs.mkdirSync(dir);
        fs.writeFileSync(path.join(dir, "pulumi"), "#!/bin/sh\necho v3.100.0\n", { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "pulumi-language-nodejs"), "#!/bin/sh\n", { mode: 0o755 });
        const env = { PATH: `${dir}:/usr/bin:/bin`, DOCKFLEET_CACHE: path.join(tmp, "cache-old") };
        let r = sh("bash tools/pulumi-engine/resolve.sh cli", env);
        assert.match(r.out, new RegExp(`^built ${path.join(tmp, "cache-old")}/pulumi-dist/pulumi-[0-9.]+_[0-9a-f]{12}/bin\n$`));
        assert.match(r.err, /is v3\.100\.0, older than the pinned/);
        fs.writeFileSync(path.join(dir, "pulumi"), "#!/bin/sh\necho v9.0.0-dev.1\n", { mode: 0o755 });
        r = sh("bash tools/pulumi-engine/resolve.sh cli", env);
        assert.strictEqual(r.out, `installed ${dir}\n`);
        fs.rmSync(path.join(dir, "pulumi-language-nodejs"));
        r = sh("bash tools/pulumi-engine/resolve.sh cli", env);
        assert.match(r.out, /^built /);
        assert.match(r.err, /has no pulumi-language-nodejs beside it/);
    });

    it("with no installed Pulumi, no cached build and no sources: says what to install", () => {
        const r = sh("bash dev/engine.sh", { HOME: path.join(tmp, "home-empty"), DOCKFLEET_CACHE: path.join(tmp, "cache-empty"), DOCKFLEET_UPSTREAM_DIR: path.join(tmp, "missing"), DOCKFLEET_PULUMI_STATE_DIR: path.join(tmp, "state-empty") });
        assert.strictEqual(r.code, 1, r.err);
        assert.match(r.err, new RegExp(`no sources to build them at ${path.join(tmp, "missing")}`));
        assert.match(r.err, new RegExp(`Pulumi >= ${tool("pulumi-engine", "--print-version").replace(/\./g, "\\.")} `));
        assert.match(r.err, new RegExp(`pulumi plugin install resource command v${cmdVersion()}\\n`));
        assert.match(r.err, new RegExp(`pulumi plugin install resource docker v${dkrVersion()}\\n`));
        assert.match(r.err, /DOCKFLEET_UPSTREAM_DIR/);
    });

    it("the offline build (cached) installs its plugins into a fresh PULUMI_HOME: no `from $PATH` warning", () => {
        const env = { HOME: path.join(tmp, "home-built"), DOCKFLEET_PULUMI_STATE_DIR: path.join(tmp, "state-built") };
        const r = sh("bash dev/engine.sh", env);
        assert.strictEqual(r.code, 0, r.err);
        assert.match(r.err, /pulumi CLI \+ language hosts \(offline build\)/);
        const plugins = path.join(env.DOCKFLEET_PULUMI_STATE_DIR, "home", "plugins");
        assert.ok(fs.statSync(`${plugins}/resource-command-v${cmdVersion()}/pulumi-resource-command`).isFile());
        assert.ok(fs.statSync(`${plugins}/resource-docker-v${dkrVersion()}/pulumi-resource-docker`).isFile());
        const p = preview(env, "prog-built");
        assert.strictEqual(p.code, 0, p.out);
        assert.match(p.out, /command:local:Command\s+hello\s+create/);
        assert.doesNotMatch(p.out, /from \$PATH/);
    });
});
