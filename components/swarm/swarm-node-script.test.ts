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
