// swarm-node.sh's node_op, cut out of the script and run with a fake docker: a node update the
// manager answers with "update out of sequence" is retried; any other error fails at once.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { SWARM_SCRIPT_FILE } from "./commands";

function nodeOp(failures: number, message: string) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-nodeop-"));
    const script = fs.readFileSync(SWARM_SCRIPT_FILE, "utf8");
    const fn = /^node_op\(\) \{\n[\s\S]*?\n\}\n/m.exec(script);
    assert.ok(fn, "node_op in swarm-node.sh");
    // fake docker: fails the first `failures` calls with `message`, then succeeds; counts calls
    fs.writeFileSync(path.join(dir, "docker"), `#!/bin/bash\nn=$(cat "${dir}/n" 2>/dev/null || echo 0); echo $((n + 1)) > "${dir}/n"\nif [ "$n" -lt ${failures} ]; then echo "${message}" >&2; exit 1; fi\necho "Node $3 updated"\n`, { mode: 0o755 });
    const r = spawnSync("bash", ["-c", `${fn![0]}\nnode_op update --availability drain n1`], { encoding: "utf8", env: { PATH: `${dir}:/usr/bin:/bin` } });
    const calls = Number(fs.readFileSync(path.join(dir, "n"), "utf8"));
    fs.rmSync(dir, { recursive: true, force: true });
    return { code: r.status, stderr: r.stderr, calls };
}

describe("swarm-node.sh node_op (retry on update out of sequence)", function () {
    this.timeout(30000);
    it("retries an out-of-sequence update until it goes through", () => {
        const r = nodeOp(2, "Error response from daemon: rpc error: code = Unknown desc = update out of sequence");
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(r.calls, 3);
    });
    it("any other error fails at once, printed", () => {
        const r = nodeOp(5, "Error response from daemon: node n1 not found");
        assert.strictEqual(r.code, 1);
        assert.strictEqual(r.calls, 1);
        assert.match(r.stderr, /node n1 not found/);
    });
    it("gives up after 10 out-of-sequence answers, printing the last", () => {
        const r = nodeOp(100, "Error response from daemon: rpc error: code = Unknown desc = update out of sequence");
        assert.strictEqual(r.code, 1);
        assert.strictEqual(r.calls, 10);
        assert.match(r.stderr, /update out of sequence/);
    });
});

// The join action, run with a fake docker and a fake curl: the token goes to the Engine API in the
// request body on curl's stdin, never in an argument list, and the daemon's error JSON still makes
// a useful message (the token never in it).
const TOKEN = "SWMTKN-1-3pu6hszjas19xyp7ghgosyx9k8atbfcr8p2is99znpy26u2lkl-1awxwuwd3z9j1z3puu7rcgdbx";

function join(opts: { status?: number; body?: string; curl?: boolean; tokens?: string; args?: string[] } = {}) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-join-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    // docker: inactive until the fake API accepted the join, then active
    fs.writeFileSync(path.join(bin, "docker"), `#!/bin/bash\nif [ "$1" = info ]; then if [ -f "${dir}/joined" ]; then case "$3" in *LocalNodeState*) echo active ;; *) echo node-1 ;; esac; else echo inactive; fi; exit 0; fi\necho "docker $*" >> "${dir}/docker-args"\n`, { mode: 0o755 });
    if (opts.curl !== false) {
        fs.writeFileSync(path.join(bin, "curl"), `#!/bin/bash\nprintf '%s\\n' "$@" > "${dir}/curl-args"\ncat > "${dir}/curl-stdin"\nif [ ${opts.status ?? 200} = 200 ]; then : > "${dir}/joined"; fi\nprintf '%s\\n%s' '${(opts.body ?? "").replace(/'/g, "'\\''")}' ${opts.status ?? 200}\n`, { mode: 0o755 });
    }
    for (const t of ["jq", "sed", "tail", "cut", "tr", "head", "mkdir", "mv", "chmod", "cat", "sleep", "hostname"]) {
        const p = ["/usr/bin", "/bin"].map((d) => path.join(d, t)).find((f) => fs.existsSync(f));
        if (p) fs.symlinkSync(p, path.join(bin, t));
    }
    const sock = path.join(dir, "docker.sock");
    const made = spawnSync("python3", ["-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", sock]);
    assert.strictEqual(made.status, 0, String(made.stderr));
    const r = spawnSync("/bin/bash", [SWARM_SCRIPT_FILE, "join", "--host", "h3", "--advertise", "10.0.0.13", "--role", "manager", "--managers", "10.0.0.11,10.0.0.12", "--marker", "m1", ...(opts.args ?? [])], {
        encoding: "utf8", input: opts.tokens ?? `worker SWMTKN-1-worker\nmanager ${TOKEN}`,
        env: { PATH: bin, DOCKFLEET_SWARM_STATE_DIR: path.join(dir, "state"), DOCKFLEET_DOCKER_SOCK: sock },
    });
    const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), "utf8") : undefined);
    const out = { code: r.status, stderr: r.stderr, curlArgs: read("curl-args"), curlStdin: read("curl-stdin"), dockerArgs: read("docker-args"), stateMode: fs.existsSync(path.join(dir, "state")) ? (fs.statSync(path.join(dir, "state")).mode & 0o777).toString(8) : undefined };
    fs.rmSync(dir, { recursive: true, force: true });
    return out;
}

describe("swarm-node.sh join (token in the API request body, never an argument)", function () {
    this.timeout(60000);
    it("joins through the Engine API: exact arguments, the token only in the body on stdin", () => {
        const r = join();
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(r.curlArgs, `-sS\n--max-time\n120\n--unix-socket\n${"SOCK"}\n-H\nContent-Type: application/json\n-w\n\\n%{http_code}\n-d\n@-\nhttp://localhost/swarm/join\n`.replace("SOCK", r.curlArgs!.split("\n")[4]));
        assert.match(r.curlArgs!.split("\n")[4], /\/docker\.sock$/);
        assert.strictEqual(r.curlStdin, `{"ListenAddr":"10.0.0.13:2377","AdvertiseAddr":"10.0.0.13","RemoteAddrs":["10.0.0.11:2377"],"JoinToken":"${TOKEN}"}`);
        assert.strictEqual(r.dockerArgs, undefined, "no docker command but info (swarm join is not run)");
        assert.doesNotMatch(r.stderr, /SWMTKN/);
        assert.match(r.stderr, /dockfleet\[h3\]: swarm: joined \(node-1\)/);
        assert.strictEqual(r.stateMode, "700");
    });
    it("a refused join: the daemon's message per manager, then the failure; the token never printed", () => {
        const r = join({ status: 400, body: '{"message":"rpc error: code = InvalidArgument desc = A valid join token is necessary to join this cluster"}' });
        assert.strictEqual(r.code, 1);
        assert.strictEqual(r.stderr, [
            "dockfleet[h3]: swarm: joining as manager via 10.0.0.11:2377",
            "dockfleet[h3]: swarm: join via 10.0.0.11 failed: Error response from daemon (HTTP 400): rpc error: code = InvalidArgument desc = A valid join token is necessary to join this cluster",
            "dockfleet[h3]: swarm: joining as manager via 10.0.0.12:2377",
            "dockfleet[h3]: swarm: join via 10.0.0.12 failed: Error response from daemon (HTTP 400): rpc error: code = InvalidArgument desc = A valid join token is necessary to join this cluster",
            "dockfleet[h3]: swarm: FAILED: could not join via any manager (10.0.0.11,10.0.0.12)",
            "",
        ].join("\n"));
    });
    it("a daemon error that quotes the token gets it masked", () => {
        const r = join({ status: 500, body: `{"message":"bad token ${TOKEN}"}` });
        assert.strictEqual(r.code, 1);
        assert.doesNotMatch(r.stderr, /SWMTKN-1-3pu6/);
        assert.match(r.stderr, /failed: Error response from daemon \(HTTP 500\): bad token <token>/);
    });
    it("no curl on the host: a clear error before anything is sent", () => {
        const r = join({ curl: false });
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /FAILED: curl is not installed on this host: the join goes to the Engine API over .*docker\.sock with curl, so the token is never on a command line \(apt-get install curl\)/);
    });
    it("a token that is not one is refused without being shown; addresses that would break the JSON too", () => {
        const bad = join({ tokens: 'manager SWMTKN-1-abc"def' });
        assert.strictEqual(bad.code, 1);
        assert.match(bad.stderr, /FAILED: the manager join token on stdin is not a swarm join token \(SWMTKN-\.\.\.; not shown\)/);
        assert.doesNotMatch(bad.stderr, /abc/);
        const addr = join({ args: ["--advertise", '10.0.0.13","x'] });
        assert.strictEqual(addr.code, 1);
        assert.match(addr.stderr, /FAILED: --advertise and --managers must be addresses or host names/);
    });
});
