// dev/local-stack.sh: the `local` stack remembers which sandbox it was deployed to (the SSH key
// and each host's instance in sandbox.json), so that a `pulumi up` never trusts state describing a
// wiped host (CI, stop 25: sandbox.sh up recreated all three hosts, the stack kept its state, and
// the park's destroy failed on a swarm service that was gone). The pulumi CLI is a recording fake
// here: what is under test is the script's decision. The real engine ran the refresh-and-destroy
// path on the wiped sandbox of that CI run (closing note of issue 13, 2026-12-06 night).
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const SCRIPT = path.resolve(__dirname, "../../dev/local-stack.sh");

describe("dev/local-stack.sh: the local stack follows the sandbox it was deployed to", () => {
    let dir: string;
    const sandboxJson = (instances: (string | undefined)[]) =>
        fs.writeFileSync(path.join(dir, "sandbox", "sandbox.json"), JSON.stringify({
            hosts: instances.map((instance, i) => ({ name: `host${i + 1}`, address: `10.232.0.1${i + 1}`, role: "manager", ...(instance === undefined ? {} : { instance }) })),
        }));
    const run = (...args: string[]) => spawnSync("bash", [SCRIPT, ...args], {
        encoding: "utf8",
        env: { ...process.env, PATH: `${path.join(dir, "bin")}:${process.env.PATH}`, DOCKFLEET_PULUMI_STATE_DIR: path.join(dir, "state"), DOCKFLEET_SANDBOX_DIR: path.join(dir, "sandbox"), DOCKFLEET_SANDBOX_CMD: path.join(dir, "bin", "sandbox"), PULUMI_BACKEND_URL: "file:///nowhere" },
    });
    const calls = () => (fs.existsSync(path.join(dir, "calls")) ? fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n") : []);
    const markerFile = () => path.join(dir, "state", "local-sandbox-id");

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "local-stack-"));
        for (const d of ["bin", "state", "sandbox/ssh"]) fs.mkdirSync(path.join(dir, d), { recursive: true });
        fs.writeFileSync(path.join(dir, "sandbox", "ssh", "id_ed25519.pub"), "ssh-ed25519 AAAA key-one\n");
        // the fake CLI: records its arguments; `stack select` succeeds (the stack exists); with the
        // file fail-destroy present, one destroy fails (as on a swarm service removed by hand)
        const fail = path.join(dir, "fail-destroy");
        fs.writeFileSync(path.join(dir, "bin", "pulumi"), `#!/bin/sh\necho "$*" >>"${path.join(dir, "calls")}"\n` +
            `case "$1" in destroy) if [ -f "${fail}" ]; then rm -f "${fail}"; echo "service xyz not found" >&2; exit 1; fi ;; esac\n`, { mode: 0o755 });
        // the fake sandbox.sh: records its arguments; `recreate all` gives every host a new instance
        // (with the file fail-recreate present, it fails)
        fs.writeFileSync(path.join(dir, "bin", "sandbox"), `#!/bin/sh\necho "sandbox $*" >>"${path.join(dir, "calls")}"\n` +
            `[ -f "${path.join(dir, "fail-recreate")}" ] && exit 1\n` +
            `printf '%s' '${JSON.stringify({ hosts: [1, 2, 3].map((i) => ({ name: `host${i}`, address: `10.232.0.1${i}`, role: "manager", instance: `new${i}` })) })}' >"${path.join(dir, "sandbox", "sandbox.json")}"\n`, { mode: 0o755 });
        sandboxJson(["aaa", "bbb", "ccc"]);
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const stackCalls = () => calls().filter((c) => /^(stack rm|stack init|destroy|refresh)/.test(c)).map((c) => c.split(" ").slice(0, c.startsWith("stack") ? 3 : 1).join(" "));

    it("keeps the stack while the sandbox is the same; destroys it when a host was recreated", () => {
        let r = run();
        // no marker yet: the stack existed before any record of its sandbox, so afresh
        assert.strictEqual(r.status, 0, r.stderr);
        assert.ok(calls().some((c) => c.startsWith("stack rm local")), calls().join("\n"));
        fs.rmSync(path.join(dir, "calls"));

        r = run();
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(stackCalls(), []);
        assert.strictEqual(run("--check").status, 0);

        // host3 wiped and booted again: a new machine-id. host1 and host2 still run what the stack
        // deployed (a fresh stack would collide with it), so the stack is destroyed, not forgotten.
        sandboxJson(["aaa", "bbb", "ddd"]);
        assert.strictEqual(run("--check").status, 1, "--check must see the recreated host");
        r = run();
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stderr, /a sandbox host was recreated.*destroying the local stack/);
        assert.deepStrictEqual(stackCalls(), ["destroy"]);
        assert.strictEqual(run("--check").status, 0, "the marker now names the new instance");
    });

    it("every host recreated (as in CI at stop 25) starts the stack afresh: no swarm is left for a destroy to reach", () => {
        assert.strictEqual(run().status, 0);
        fs.rmSync(path.join(dir, "calls"));
        sandboxJson(["ddd", "eee", "fff"]);
        assert.strictEqual(run("--check").status, 1);
        const r = run();
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stderr, /every host recreated.*afresh/);
        assert.deepStrictEqual(stackCalls(), ["stack rm local", "stack init local"]);
        assert.strictEqual(fs.readFileSync(markerFile(), "utf8").trim().split(" ").slice(1).join(" "), "host1=ddd host2=eee host3=fff");
    });

    it("a host added to the sandbox changes nothing; a host the stack was deployed to that is gone counts as recreated", () => {
        assert.strictEqual(run().status, 0);
        sandboxJson(["aaa", "bbb", "ccc", "ggg"]); // DOCKFLEET_SANDBOX_HOSTS=4
        assert.strictEqual(run("--check").status, 0);
        assert.strictEqual(run().status, 0);
        fs.rmSync(path.join(dir, "calls"));
        sandboxJson(["aaa", "bbb", "ccc"]); // host4 dropped: the stack was deployed while it existed
        const r = run();
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(stackCalls(), ["destroy"]);
    });

    it("some hosts recreated and the stack cannot be destroyed from the others (CI at stop 34: host key mismatch): every host is recreated, the stack starts afresh", () => {
        assert.strictEqual(run().status, 0);
        fs.writeFileSync(path.join(dir, "bin", "pulumi"), `#!/bin/sh\necho "$*" >>"${path.join(dir, "calls")}"\ncase "$1" in destroy|refresh) echo 'ssh: handshake failed: ssh: host key mismatch' >&2; exit 1 ;; esac\n`, { mode: 0o755 });
        sandboxJson(["aaa", "xxx", "yyy"]);
        fs.rmSync(path.join(dir, "calls"));
        const r = run();
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stderr, /host key mismatch[\s\S]*could not be destroyed from the hosts that survived: recreating every sandbox host and starting the stack afresh/);
        assert.deepStrictEqual(calls().filter((c) => /^(sandbox|stack rm|stack init|destroy|refresh)/.test(c)).map((c) => c.split(" ").slice(0, 3).join(" ")),
            ["destroy --stack local", "refresh --stack local", "sandbox recreate all", "stack rm local", "stack init local"]);
        // the record is of the recreated hosts: the next run keeps the stack
        assert.strictEqual(fs.readFileSync(markerFile(), "utf8").trim().split(" ").slice(1).join(" "), "host1=new1 host2=new2 host3=new3");
    });

    it("when recreating the hosts fails too: fails, saying how to start over", () => {
        assert.strictEqual(run().status, 0);
        fs.writeFileSync(path.join(dir, "bin", "pulumi"), "#!/bin/sh\ncase \"$1\" in destroy|refresh) echo 'This node is not a swarm manager' >&2; exit 1 ;; esac\n", { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "fail-recreate"), "");
        sandboxJson(["aaa", "xxx", "yyy"]);
        const r = run();
        assert.strictEqual(r.status, 1);
        assert.match(r.stderr, /not a swarm manager[\s\S]*FAILED: recreating the sandbox hosts; start over with: bash test\/sandbox\/sandbox\.sh down && npm start/);
    });

    it("a new SSH key (sandbox down + up) starts the stack afresh: nothing of it is left anywhere", () => {
        assert.strictEqual(run().status, 0);
        fs.rmSync(path.join(dir, "calls"));
        fs.writeFileSync(path.join(dir, "sandbox", "ssh", "id_ed25519.pub"), "ssh-ed25519 BBBB key-two\n");
        assert.strictEqual(run("--check").status, 1);
        const r = run();
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stderr, /a new SSH key.*afresh/);
        assert.deepStrictEqual(stackCalls(), ["stack rm local", "stack init local"]);
    });

    it("--destroy: a destroy that fails on something gone is refreshed and run again; a second failure fails", () => {
        fs.writeFileSync(path.join(dir, "fail-destroy"), "");
        let r = run("--destroy");
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stderr, /FAILED: pulumi destroy[\s\S]*service xyz not found[\s\S]*refreshing the stack/);
        assert.deepStrictEqual(stackCalls(), ["destroy", "refresh", "destroy"]);
        fs.rmSync(path.join(dir, "calls"));
        r = run("--destroy");
        assert.strictEqual(r.status, 0, r.stderr);
        assert.deepStrictEqual(stackCalls(), ["destroy"], "no refresh when the destroy passes");
        // the fake fails only once; a destroy that fails after the refresh too must fail the script
        fs.writeFileSync(path.join(dir, "bin", "pulumi"), "#!/bin/sh\ncase \"$1\" in destroy) exit 1 ;; esac\n", { mode: 0o755 });
        r = run("--destroy");
        assert.notStrictEqual(r.status, 0, "a destroy that keeps failing is not a park");
    });

    it("a marker from an older dockfleet (the key's hash alone) or a sandbox.json without instances: the key decides", () => {
        assert.strictEqual(run().status, 0);
        const [key] = fs.readFileSync(markerFile(), "utf8").trim().split(" ");
        assert.match(key, /^[0-9a-f]{16}$/);
        fs.writeFileSync(markerFile(), `${key}\n`);
        assert.strictEqual(run("--check").status, 0, "key-only marker, same key");
        fs.writeFileSync(markerFile(), "0123456789abcdef\n");
        assert.strictEqual(run("--check").status, 1, "key-only marker, other key");

        sandboxJson(["aaa", "bbb", "ccc"]);
        assert.strictEqual(run().status, 0);
        sandboxJson([undefined, undefined, undefined]); // written by an older sandbox.sh
        assert.strictEqual(run("--check").status, 0, "instances unknown now: same key, same sandbox");
        assert.strictEqual(run().status, 0);
        assert.match(fs.readFileSync(markerFile(), "utf8"), /^[0-9a-f]{16} unknown\n$/);
        sandboxJson(["xxx", "yyy", "zzz"]);
        assert.strictEqual(run("--check").status, 0, "instances unknown in the marker: the key decides");
    });

    it("--check without a record passes (the park then destroys the stack rather than forget it), and runs no pulumi command", () => {
        const r = run("--check");
        assert.strictEqual(r.status, 0);
        assert.deepStrictEqual(calls(), [], "--check runs no pulumi command");
    });
});
