// Contract (issue 28): the attacker is an unprivileged local user on every sandbox host. After an
// apply with proxy credentials, after a rollback, and during a swarm join done by swarm-node.sh
// (as components/swarm runs it), that user finds no secret (the proxy password, the swarm join
// tokens) in any file it can read, in `systemctl show docker`, in the journal (and root's journal
// shows none either), or in the process list sampled in a tight loop while the apply and the join
// run. The test uses only what main also had (push/pushFiles, renderSwarmCommand), so it runs, and
// fails, against main's code too.
import * as assert from "assert";
import { randomBytes } from "crypto";
import { ManagedFile } from "../../components/docker-host/bundle";
import { renderSwarmCommand } from "../../components/swarm/commands";
import { shQuote } from "../../components/common/shell";
import { DAEMON_JSON_PATH } from "../../components/docker-host/dropins";
import { Run, eventually, health, hostFiles, pushFiles, restore, sandbox, settledSwarm, sh, ssh, sshAsync } from "./lib";

const USER = "dfprobe";
const HOSTS = ["host1", "host2", "host3"];
const APPLY_HOST = "host2";
const JOIN_HOST = "host3";
// A fresh password each run: a hit can only come from this run.
const PW = `trust-pw-${randomBytes(6).toString("hex")}`;
const PROXY = { httpProxy: `http://svc-docker:${PW}@10.232.0.1:3128`, httpsProxy: `http://svc-docker:${PW}@10.232.0.1:3128` };
const STOP = "/tmp/dfprobe-stop";
const CANARY = "/tmp/dfprobe-canary";

/** Runs `script` on `host` as the unprivileged user (ssh as root, then runuser); `input` on its stdin. */
function asUser(host: string, script: string, input = ""): Run {
    return ssh(host, `runuser -u ${USER} -- timeout 120 bash -c ${shQuote(script)}`, input, 180000);
}

/**
 * The secrets the user can reach on `host`, one line per hit (where, and which secret): files it can
 * read under /etc, /var/lib, /run, /tmp, /var/log, /root, /home; `systemctl show docker` (every
 * property); its own journal view. The needles go to grep on stdin, never in an argument list.
 */
function userFinds(host: string, needles: string[]): string[] {
    // a world-readable canary proves the scan reads what the user can read (`-f -`: grep reads the
    // patterns from its stdin; /dev/stdin, a root-owned pipe reopened, would be refused to the user)
    const canary = `canary-${randomBytes(4).toString("hex")}`;
    sh(host, `umask 022; echo ${canary} > ${CANARY}`);
    const input = [...needles, canary].join("\n") + "\n";
    const hits: string[] = [];
    const files = asUser(host, "grep -rIlF --devices=skip -f - /etc /var/lib /run /tmp /var/log /root /home 2>/dev/null; true", input);
    sh(host, `rm -f ${CANARY}`);
    assert.strictEqual(files.code, 0, files.stderr);
    const found = files.stdout.split("\n").filter(Boolean);
    assert.ok(found.includes(CANARY), `${host}: the file scan as ${USER} did not find its world-readable canary: ${files.stdout}`);
    for (const f of found.filter((x) => x !== CANARY)) hits.push(`${host}: readable file ${f}`);
    const show = asUser(host, "systemctl show docker");
    assert.strictEqual(show.code, 0, `systemctl show as ${USER}: ${show.stderr}`);
    assert.match(show.stdout, /^Id=docker\.service$/m, "the user sees the unit's properties");
    for (const n of needles) if (show.stdout.includes(n)) hits.push(`${host}: systemctl show docker (${show.stdout.split("\n").find((l) => l.includes(n))!.split("=")[0]}=...)`);
    const journal = asUser(host, `journalctl -o cat --no-pager --since @${since[host]} 2>&1; true`);
    for (const n of needles) if (journal.stdout.includes(n)) hits.push(`${host}: journal as ${USER}`);
    return hits;
}

/** The journal as root since the test started: no secret either (anyone with adm or a log shipper reads it). */
function rootJournalFinds(host: string, needles: string[]): string[] {
    const j = ssh(host, `journalctl -o cat --no-pager --since @${since[host]}`, "", 60000);
    assert.strictEqual(j.code, 0, j.stderr);
    return needles.filter((n) => j.stdout.includes(n)).map((n) => `${host}: journal as root (${j.stdout.split("\n").find((l) => l.includes(n))!.replace(n, "<secret>").slice(0, 160)})`);
}

/** `ps -eo args` as the user in a tight loop until STOP exists (at most 170 s); the distinct lines. */
function sampleProcesses(host: string): { done: Promise<Run> } {
    sh(host, `rm -f ${STOP}`);
    const loop = `end=$((SECONDS + 170)); while [ ! -e ${STOP} ] && [ $SECONDS -lt $end ]; do ps -eo args; done | sort -u`;
    return sshAsync(host, `runuser -u ${USER} -- bash -c ${shQuote(loop)}`);
}

const since: Record<string, string> = {};
let tokens: { worker: string; manager: string };
let markerBefore = false;

describe("contract: an unprivileged user on every host finds no secret (proxy password, join tokens)", function () {
    this.timeout(900000);

    before(() => {
        sandbox();
        settledSwarm();
        for (const h of HOSTS) {
            sh(h, `id ${USER} >/dev/null 2>&1 || useradd --no-create-home --shell /bin/bash ${USER}`);
            since[h] = sh(h, "date +%s");
        }
        tokens = { worker: sh("host1", "docker swarm join-token -q worker"), manager: sh("host1", "docker swarm join-token -q manager") };
        assert.match(tokens.worker, /^SWMTKN-1-/);
        markerBefore = ssh(JOIN_HOST, "test -e /var/lib/dockfleet/swarm/member.marker").code === 0;
        // state directories as an older dockfleet left them (0755): the next apply makes them root-only
        sh(APPLY_HOST, "mkdir -p /var/lib/dockfleet/daemon-config && chmod 0755 /var/lib/dockfleet /var/lib/dockfleet/daemon-config");
    });

    after(() => {
        // always: the apply host back to its pre-test files, the swarm whole, the user gone
        const problems: string[] = [];
        const r = restore(APPLY_HOST);
        if (r.code !== 0) problems.push(`restore ${APPLY_HOST}: ${r.stderr}`);
        if (!markerBefore) ssh(JOIN_HOST, "rm -f /var/lib/dockfleet/swarm/member.marker");
        try { settledSwarm(); } catch (e) { problems.push(String(e)); }
        for (const h of HOSTS) {
            // the samplers ended with their STOP file (or their 170 s limit); userdel refuses a user with processes
            const u = ssh(h, `touch ${STOP}; sleep 0.5; rm -f ${STOP}; userdel ${USER}`);
            if (u.code !== 0) problems.push(`userdel on ${h}: ${u.stderr}`);
        }
        assert.deepStrictEqual(problems, []);
    });

    it("after an apply with proxy credentials (ps sampled during it): dockerd has the proxy, the user none of the password", async () => {
        const ps = sampleProcesses(APPLY_HOST);
        await new Promise((r) => setTimeout(r, 1000)); // the sampler runs before the apply starts
        const [pub, secret] = hostFiles({ logDriver: "json-file", labels: { "dockfleet.test": "trust" } }, { proxy: PROXY });
        const r = pushFiles(APPLY_HOST, pub, secret);
        sh(APPLY_HOST, `touch ${STOP}`);
        const sample = (await ps.done).stdout;
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /applied \(restart\)/);
        // the restart picked the proxy up (docker info masks the credentials)
        assert.strictEqual(sh(APPLY_HOST, "docker info --format '{{.HTTPProxy}}'"), "http://xxxxx:xxxxx@10.232.0.1:3128");
        assert.match(sample, /apply-docker-config apply/, "the sampler saw the apply running");
        assert.strictEqual(sh(APPLY_HOST, "stat -c '%a' /var/lib/dockfleet /var/lib/dockfleet/daemon-config"), "700\n700");
        const hits = [
            ...(sample.includes(PW) ? [`${APPLY_HOST}: ps during the apply (${sample.split("\n").find((l) => l.includes(PW))!.slice(0, 120)})`] : []),
            ...HOSTS.flatMap((h) => userFinds(h, [PW])),
            ...HOSTS.flatMap((h) => rootJournalFinds(h, [PW])),
        ];
        assert.deepStrictEqual(hits, []);
    });

    it("after a rollback (a broken daemon.json the apply rolls back): still nothing", () => {
        const [pub, secret] = hostFiles({ logDriver: "json-file", labels: { "dockfleet.test": "trust" } }, { proxy: PROXY });
        const broken: ManagedFile[] = pub.map((f) => (f.path === DAEMON_JSON_PATH ? { ...f, content: '{"log-driver": "json-file", "no-such-option": 1}\n' } : f));
        const r = pushFiles(APPLY_HOST, broken, secret);
        assert.strictEqual(r.code, 1, r.stderr);
        assert.match(r.stderr, /previous config restored, dockerd running/);
        assert.strictEqual(sh(APPLY_HOST, "docker info --format '{{.HTTPProxy}}'"), "http://xxxxx:xxxxx@10.232.0.1:3128");
        const hits = [...HOSTS.flatMap((h) => userFinds(h, [PW])), ...HOSTS.flatMap((h) => rootJournalFinds(h, [PW]))];
        assert.deepStrictEqual(hits, []);
    });

    it(`a swarm join through swarm-node.sh (${JOIN_HOST} leaves, joins again as a manager; ps sampled during the join): no join token anywhere`, async () => {
        // take the node out the way an operator would: demote, leave, remove
        sh("host1", `docker node demote ${JOIN_HOST}`);
        await eventually(() => ssh(JOIN_HOST, "docker info --format '{{.Swarm.ControlAvailable}}'").stdout.trim() === "false", 60000, `${JOIN_HOST} demoted`);
        sh(JOIN_HOST, "docker swarm leave");
        await eventually(() => ssh("host1", `docker node ls --format '{{.Hostname}} {{.Status}}' | grep -qx '${JOIN_HOST} Down'`).code === 0, 60000, `${JOIN_HOST} Down`);
        sh("host1", `docker node rm ${JOIN_HOST}`);
        // the join exactly as SwarmCluster runs it: the script's command line, the tokens on stdin
        const cmd = renderSwarmCommand("join", { host: JOIN_HOST, advertise: "10.232.0.13", role: "manager", managers: "10.232.0.11,10.232.0.12", marker: "trust-test" });
        const ps = sampleProcesses(JOIN_HOST);
        await new Promise((r) => setTimeout(r, 1000));
        const r = ssh(JOIN_HOST, cmd, `worker ${tokens.worker}\nmanager ${tokens.manager}`);
        sh(JOIN_HOST, `touch ${STOP}`);
        const sample = (await ps.done).stdout;
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /swarm: joined/);
        assert.deepStrictEqual(health(JOIN_HOST), { active: "active", swarm: "active", ready: "ready" });
        assert.match(sample, /swarm-node join/, "the sampler saw the join running");
        const needles = [tokens.worker, tokens.manager];
        const inPs = needles.filter((n) => sample.includes(n)).map((n) => `${JOIN_HOST}: ps during the join (${sample.split("\n").find((l) => l.includes(n))!.replace(n, "<token>").slice(0, 160)})`);
        assert.ok(!(r.stdout + r.stderr).includes(tokens.manager), "the join's output names no token");
        const hits = [...inPs, ...HOSTS.flatMap((h) => userFinds(h, needles)), ...HOSTS.flatMap((h) => rootJournalFinds(h, needles))];
        assert.deepStrictEqual(hits, []);
    });
});
