// swarm-serve-wait.sh with a fake docker whose answers follow a script of swarm states (one state
// per check: the check's `docker node inspect` advances it). Host behaviour is not proven here;
// this pins the wait's rules: what counts as serving, the stable window, the failure message.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const SCRIPT = path.join(__dirname, "scripts", "swarm-serve-wait.sh");

/** A swarm state as the fake docker answers it. */
interface State {
    node: string; ps?: string[]; svc: string[]; /** `docker info` swarm state; default "active true", "" = docker not answering */ info?: string;
    /** "ID STATE REPORTED" per task the swarm wants on the node (`node ps`, named by its ID; `inspect --type task`; REPORTED "-": inspect finds no such task) */
    tasks?: string[];
    /** "NAME MODE STACK LABEL" per service (`service inspect`: mode replicated or other, "-" for no stack or no dockfleet.max-unavailable label) */
    specs?: string[];
    /** "HOSTNAME STATUS" per node (`node ls`) */
    nodes?: string[];
}

function run(action: string, states: State[], args: string[], stdin = "") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-servewait-"));
    states.forEach((s, i) => fs.writeFileSync(path.join(dir, `s${i + 1}`), [`info ${s.info ?? "active true"}`, `node ${s.node}`, ...(s.ps ?? []).map((l) => `ps ${l}`), ...s.svc.map((l) => `svc ${l}`), ...(s.tasks ?? []).map((l) => `task ${l}`), ...(s.specs ?? []).map((l) => `spec ${l}`), ...(s.nodes ?? []).map((l) => `nodes ${l}`)].join("\n") + "\n"));
    fs.writeFileSync(path.join(dir, "n"), "0");
    fs.writeFileSync(path.join(dir, "docker"), `#!/bin/bash
d=${dir}
case "$1 $2" in "node inspect"|"info --format") echo $(( $(cat $d/n) + 1 )) > $d/n ;; esac
k=$(cat $d/n); [ "$k" -ge 1 ] || k=1; [ "$k" -le ${states.length} ] || k=${states.length}
# info "": this docker does not answer at all
[ "$1 $2" = "info --format" ] || grep -q '^info .' $d/s$k || { echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock" >&2; exit 1; }
case "$1 $2" in
  "version --format") echo 20.10.24 ;;
  "service inspect") shift 3; for n in "$@"; do awk -v n="$n" '$1 == "spec" && $2 == n { print $2, $3, $4, $5 }' $d/s$k; done ;;
  "node ls") sed -n 's/^nodes //p' $d/s$k ;;
  "info --format") v=$(sed -n 's/^info //p' $d/s$k); [ -n "$v" ] || exit 1; echo "$v" ;;
  "node inspect") v=$(sed -n 's/^node //p' $d/s$k); [ -n "$v" ] || { echo "Error: No such node: $3" >&2; exit 1; }; echo "$v" ;;
  "node ps") awk '$1 == "ps" { print "id-" $2, $2, $3 } $1 == "task" { print $2, $2, $3 }' $d/s$k ;;
  "inspect --type") shift 4; for id in "$@"; do awk -v id="$id" '$1 == "task" && $2 == id && $4 != "-" { print $2, $4; f = 1 } END { exit !f }' $d/s$k || { echo "Error: No such object: $id" >&2; rc=1; }; done; exit \${rc:-0} ;;
  "service ls") sed -n 's/^svc //p' $d/s$k ;;
  *) echo "fake docker: unexpected $*" >&2; exit 1 ;;
esac
`, { mode: 0o755 });
    // the manager's docker.service as systemd would say it once stopped
    fs.writeFileSync(path.join(dir, "systemctl"), "#!/bin/bash\necho inactive; exit 3\n", { mode: 0o755 });
    const r = spawnSync("bash", [SCRIPT, action, "--node", "wrk1", ...args], { input: stdin, encoding: "utf8", env: { PATH: `${dir}:/usr/bin:/bin` }, timeout: 60000 });
    const checks = Number(fs.readFileSync(path.join(dir, "n"), "utf8"));
    fs.rmSync(dir, { recursive: true, force: true });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr, checks };
}

const FAST = ["--timeout", "20", "--poll", "0", "--stable", "4"];
const SNAP = "node active\nsvc web 3\nsvc agent 3\nsvc batch 1\n";
const GOOD: State = { node: "ready active", ps: ["web.2 Running", "agent.x Running"], svc: ["web 3/3 (max 1 per node)", "agent 3/3", "batch 1/1"] };

describe("swarm-serve-wait.sh (the manager's wait for a worker's restart), with a fake docker", function () {
    this.timeout(60000);

    it("snapshot: the node's availability and each service's running count", () => {
        const r = run("snapshot", [{ node: "ready active", svc: ["web 2/3 (max 1 per node)", "agent 3/3", "idle 0/0"] }], []);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(r.stdout, "node active\nsvc web 2\nsvc agent 3\nsvc idle 0\n");
    });

    it("snapshot waits for the manager's docker to answer (a manager restarting in the same batch)", () => {
        const r = run("snapshot", [{ info: "", node: "", svc: [] }, { info: "", node: "", svc: [] }, { node: "ready active", svc: ["web 3/3"] }], ["--poll", "0"]);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(r.stdout, "node active\nsvc web 3\n");
        assert.strictEqual(r.checks, 4, "3 docker info calls until it answers, then the node");
    });

    it("no swarm yet (the first up: the swarm part runs after the daemon applies), or the node not in it: 'node none', and the wait returns at once", () => {
        const noSwarm = run("snapshot", [{ info: "inactive false", node: "", svc: [] }], ["--poll", "0"]);
        assert.strictEqual(noSwarm.code, 0, noSwarm.stderr);
        assert.strictEqual(noSwarm.stdout, "node none\n");
        assert.match(noSwarm.stderr, /not a swarm manager \(inactive false\): no swarm to wait for/);
        const notIn = run("snapshot", [{ node: "", svc: ["web 3/3"] }], ["--poll", "0"]);
        assert.strictEqual(notIn.code, 0, notIn.stderr);
        assert.strictEqual(notIn.stdout, "node none\n");
        assert.match(notIn.stderr, /wrk1 is not a node of this swarm/);
        // the wait on "node none" asks nothing: a node down would otherwise keep it waiting
        const w = run("wait", [{ node: "down active", svc: [] }], ["--timeout", "1", "--poll", "0"], "node none\n");
        assert.strictEqual(w.code, 0, w.stderr);
        assert.strictEqual(w.checks, 0);
        assert.match(w.stderr, /nothing to wait for/);
    });

    it("waits through node down, a task still starting and a service below its floor, then needs 4 good checks in a row", () => {
        const states: State[] = [
            { node: "down active", ps: ["web.2 Running"], svc: ["web 2/3", "agent 2/3", "batch 1/1"] },
            { node: "ready active", ps: ["web.2 Starting", "agent.x Running"], svc: ["web 2/3", "agent 3/3", "batch 1/1"] },
            { node: "ready active", ps: ["web.2 Running", "agent.x Running"], svc: ["web 2/3", "agent 3/3", "batch 1/1"] },
            GOOD, GOOD,
            { node: "ready active", ps: ["web.2 Running", "agent.x Running"], svc: ["web 3/3", "agent 2/3", "batch 1/1"] }, // the agent brought back an old task, the manager replaced it
            GOOD, GOOD, GOOD, GOOD,
        ];
        const r = run("wait", states, FAST, SNAP);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(r.checks, 10, "3 bad, 2 good, 1 bad, 4 good");
        assert.match(r.stderr, /dockfleet\[wrk1\]: serve-wait: serving again after \d+s/);
    });

    it("floor = min(desired now, running before): a service scaled down meanwhile or below its replicas before does not block; a removed one is skipped", () => {
        const snap = "node active\nsvc web 3\nsvc half 1\nsvc gone 2\n";
        const r = run("wait", [{ node: "ready active", svc: ["web 1/1", "half 1/3"] }], FAST, snap);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(r.checks, 4);
    });

    it("times out naming the node and each service below its floor, with counts; exit 1", () => {
        const r = run("wait", [{ node: "ready active", ps: ["web.2 Starting"], svc: ["web 2/3", "agent 3/3", "batch 0/1"] }], ["--timeout", "1", "--poll", "0.2"], SNAP);
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /dockfleet\[wrk1\]: serve-wait: FAILED: not serving again after 1s:/);
        assert.match(r.stderr, /task web\.2 on the node is Starting/);
        assert.match(r.stderr, /service web runs 2 tasks, floor 3 \(before: 3, desired: 3\)/);
        assert.match(r.stderr, /service batch runs 0 tasks, floor 1/);
        assert.doesNotMatch(r.stderr, /service agent/);
    });

    it("a node whose availability changed (drained meanwhile) is not serving as before", () => {
        const r = run("wait", [{ node: "ready drain", svc: ["web 3/3", "agent 3/3", "batch 1/1"] }], ["--timeout", "1", "--poll", "0.2"], SNAP);
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /node availability is drain, was active/);
    });

    it("snapshot lists each task Running on the node with its report time; a task gone between the two asks is left out", () => {
        const r = run("snapshot", [{ node: "ready active", svc: ["web 3/3"], tasks: ["t1 Running 100", "t2 Starting 200", "t3 Running 300", "t4 Running -"] }], []);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(r.stdout, "node active\nsvc web 3\ntask t1 100\ntask t3 300\n");
    });

    it("after a restart (the worker's apply said so), a task Running with the report from before it does not count until the node reports again; without the restart line it counts", () => {
        const snap = "node active\nsvc web 3\ntask t1 100\n";
        const stale: State = { node: "ready active", svc: ["web 3/3"], tasks: ["t1 Running 100"] };
        const fresh: State = { node: "ready active", svc: ["web 3/3"], tasks: ["t1 Running 105"] };
        const replaced: State = { node: "ready active", svc: ["web 3/3"], tasks: ["t9 Running 106"] };
        const restarted = `${snap}dockfleet-apply: restarted\n`;
        const r = run("wait", [stale, stale, stale, fresh], FAST, restarted);
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(r.checks, 7, "3 stale, then 4 good");
        const moved = run("wait", [stale, replaced], FAST, restarted);
        assert.strictEqual(moved.code, 0, moved.stderr);
        assert.strictEqual(moved.checks, 5, "1 stale, then 4 good: the swarm replaced the task");
        const reloaded = run("wait", [stale], FAST, snap);
        assert.strictEqual(reloaded.code, 0, reloaded.stderr);
        assert.strictEqual(reloaded.checks, 4, "no restart: the task never stopped, its old report stands");
        const never = run("wait", [stale], ["--timeout", "1", "--poll", "0.2"], restarted);
        assert.strictEqual(never.code, 1);
        assert.match(never.stderr, /task t1 on the node: no report since the restart/);
    });

    it("a snapshot larger than a pipe holds is read whole (no `printf | grep -q` under pipefail: grep's early exit failed printf with SIGPIPE)", () => {
        // 20 000 services removed since the snapshot (skipped) after the node line: ~250 KB. In CI
        // the same race failed a 4-line snapshot once, under load; this size makes it certain.
        const big = `node active\nsvc web 3\n${Array.from({ length: 20000 }, (_, i) => `svc gone-service-${i} 1\n`).join("")}dockfleet-apply: restarted\n`;
        const r = run("wait", [{ node: "ready active", svc: ["web 3/3"] }], FAST, big);
        assert.strictEqual(r.code, 0, r.stderr.slice(0, 500));
        assert.strictEqual(r.checks, 4);
    });

    it("snapshot refuses a restart that would take a replicated service below its floor (maxUnavailable: label, else stack's, else the fleet's), naming the services and the nodes not ready", () => {
        const degraded = (label: string, mode = "replicated"): State => ({ node: "ready active", ps: ["web.2 Running", "agent.x Running"], svc: ["web 2/3", "agent 3/3"], specs: [`web ${mode} shop ${label}`, "agent other - -"], nodes: ["mgr1 Ready", "wrk1 Ready", "wrk2 Down", "wrk3 Unknown"] });
        const r = run("snapshot", [degraded("-")], []);
        assert.strictEqual(r.code, 1);
        assert.strictEqual(r.stdout, "");
        assert.strictEqual(r.stderr, [
            "dockfleet[wrk1]: serve-wait: REFUSED: restarting wrk1 now would take a service below its floor (nodes not ready: wrk2 (down), wrk3 (unknown)); nothing changed on wrk1:",
            "dockfleet[wrk1]: serve-wait:   web runs 2 of 3 tasks, 1 of them on wrk1: 1 while it restarts, floor 2 (maxUnavailable 1)",
            "dockfleet[wrk1]: serve-wait: bring the services (or the nodes) back, or raise their maxUnavailable, and run pulumi up again",
            "",
        ].join("\n"));
        // the stack's maxUnavailable 2, or the fleet's: floor 1, the restart keeps it
        for (const args of [["--stack-max-unavailable", "other=1", "--stack-max-unavailable", "shop=2"], ["--max-unavailable", "2"]]) {
            const ok = run("snapshot", [degraded("-")], args);
            assert.strictEqual(ok.code, 0, `${args.join(" ")}: ${ok.stderr}`);
            assert.match(ok.stdout, /^node active\nsvc web 2\nsvc agent 3\n/);
        }
        // the service's label wins over its stack's
        const label = run("snapshot", [degraded("1")], ["--stack-max-unavailable", "shop=2"]);
        assert.strictEqual(label.code, 1);
        assert.match(label.stderr, /web runs 2 of 3 tasks, 1 of them on wrk1: 1 while it restarts, floor 2 \(maxUnavailable 1\)/);
        // a global service has no floor (one task per node by design)
        assert.strictEqual(run("snapshot", [degraded("-", "other")], []).code, 0);
    });

    it("snapshot waits for the node to be Ready (unknown for a few heartbeats after an election), and refuses a node still not Ready at its timeout, naming it", () => {
        const later = run("snapshot", [{ node: "unknown active", svc: ["web 3/3"] }, { node: "unknown active", svc: ["web 3/3"] }, { node: "ready active", svc: ["web 3/3"] }], ["--poll", "0"]);
        assert.strictEqual(later.code, 0, later.stderr);
        assert.strictEqual(later.stdout, "node active\nsvc web 3\n");
        assert.strictEqual(later.checks, 3, "docker info (state 1), the node unknown (state 2), then Ready (state 3)");
        const cut = run("snapshot", [{ node: "down active", svc: ["web 3/3"] }], ["--timeout", "1", "--poll", "0.2"]);
        assert.strictEqual(cut.code, 1);
        assert.strictEqual(cut.stdout, "");
        assert.strictEqual(cut.stderr, "dockfleet[wrk1]: serve-wait: REFUSED: wrk1 (down) as this manager sees it for 1s: its restart could not be verified (it must reach a manager to be Ready again); nothing changed on wrk1; bring it back (network, dockerd) and run pulumi up again\n");
    });

    it("the manager's own docker stops answering: the wait fails at its timeout naming the manager (not the node's state)", () => {
        const gone: State = { info: "", node: "", svc: [] };
        const r = run("wait", [GOOD, gone], ["--timeout", "1", "--poll", "0.2", "--manager", "mgr1"], SNAP);
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /dockfleet\[wrk1\]: serve-wait: FAILED: not serving again after 1s:\ndockfleet\[wrk1\]: serve-wait:   the manager mgr1 running this wait does not answer \(its docker\.service: inactive\)\n$/);
        assert.ok(r.checks >= 3, `it kept checking until its timeout (${r.checks} checks)`);
    });

    it("no snapshot on stdin: exit 2, says what it expected", () => {
        const r = run("wait", [GOOD], FAST, "");
        assert.strictEqual(r.code, 2);
        assert.match(r.stderr, /no snapshot on stdin/);
    });
});
