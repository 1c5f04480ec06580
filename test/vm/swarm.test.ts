// VM tier (issue 11): NFS volumes, the routing mesh and VIP endpoints on a real swarm of qemu VMs
// with Debian's own kernel (NFS client and server, IPVS, VXLAN), which the nspawn sandbox's shared
// kernel lacks. Fleet (test/vm/groups.sh): mgr1 (manager), wrk1 + wrk2 (workers), nfs1 (the NFS
// server: /export/shared rw, /export/ro ro, from vm.sh's role step). vm.sh up makes the swarm.
//
// The stack is the compose file SwarmStack renders (renderCompose), deployed with
// `docker stack deploy` on mgr1: the same volume driver options, ports and endpoint mode as the
// component's docker.Service inputs (test/contract/registry-swarm.test.ts compares the two). The
// pulumi-docker path itself is proven on the nspawn sandbox (test/e2e), not here.
import * as assert from "assert";
import { nfsDriverOpts } from "../../components/nfs-volume/nfs";
import { nfsMountSource, renderCompose } from "../../components/swarm-stack/render";
import { SwarmStackArgs } from "../../components/swarm-stack/spec";
import { eventually, sandbox, sh, ssh } from "../contract/lib";
import { spawnSync } from "child_process";

const MGR = "mgr1";
const WORKERS = ["wrk1", "wrk2"];
const NFS = "nfs1";
const STACK = "dfvm";
const PORT = 18080;

const addr = (h: string) => {
    const x = sandbox().hosts.find((o) => o.name === h);
    if (!x) throw new Error(`${h} is not in the VM tier's sandbox.json: run DOCKFLEET_VM_HOSTS="mgr1 wrk1 wrk2 nfs1" bash test/vm/vm.sh up`);
    return x.address;
};

function spec(sharedOptions: string[]): SwarmStackArgs {
    return {
        name: STACK,
        services: {
            // on every worker, both exports mounted through the local driver
            files: {
                image: "local/busybox:1",
                mode: "global",
                command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1; done"],
                mounts: [
                    { type: "nfs", source: "shared", target: "/data" },
                    { type: "nfs", source: "ro", target: "/ro" },
                ],
                placement: { constraints: ["node.role == worker"] },
                update: { parallelism: 1, delay: "1s", failureAction: "pause", monitor: "2s", order: "stop-first" },
                stopGracePeriod: "2s",
            },
            // one task, on wrk1 only: the ingress port must answer on mgr1 and wrk2 as well
            web: {
                image: "local/busybox:1",
                command: ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait"],
                replicas: 1,
                endpointMode: "vip",
                ports: [{ target: 8080, published: PORT, mode: "ingress" }],
                // generous for TCG (a wget under emulation can take seconds)
                healthcheck: { test: ["CMD", "wget", "-q", "-O-", "http://127.0.0.1:8080/"], interval: "3s", timeout: "5s", retries: 3, startPeriod: "5s" },
                placement: { constraints: ["node.hostname == wrk1"] },
                stopGracePeriod: "2s",
            },
        },
        nfsVolumes: {
            shared: { server: addr(NFS), path: "/export/shared", nfsVersion: "4", options: sharedOptions },
            // mounted rw on purpose: the export's ro must refuse the write
            ro: { server: addr(NFS), path: "/export/ro", nfsVersion: "4", options: ["rw"] },
        },
    };
}

const OPTS_A = ["rw", "hard"];
const OPTS_B = ["rw", "soft", "timeo=150"];

function deploy(s: SwarmStackArgs): void {
    sh(MGR, `cat > /root/${STACK}.yml <<'EOF'\n${renderCompose(s)}EOF`);
    sh(MGR, `docker stack deploy --resolve-image never -c /root/${STACK}.yml ${STACK} >/dev/null`);
}

/** The running `files` task container on a node, with the volume names it mounts. */
function filesTask(node: string): { id: string; volumes: Record<string, string> } | undefined {
    const id = ssh(node, `docker ps -q --filter label=com.docker.swarm.service.name=${STACK}_files --filter status=running | head -1`).stdout.trim();
    if (!id) return undefined;
    const r = ssh(node, `docker inspect -f '{{range .Mounts}}{{.Destination}}={{.Name}} {{end}}' ${id}`);
    if (r.code !== 0) return undefined;
    return { id, volumes: Object.fromEntries(r.stdout.trim().split(/\s+/).filter(Boolean).map((kv) => kv.split("=") as [string, string])) };
}

/** The host's NFS mounts under docker's volume dir: volume name -> mount options. */
function nfsMounts(node: string): Record<string, string> {
    const out = sh(node, "awk '$3 ~ /^nfs/ && $2 ~ /^\\/var\\/lib\\/docker\\/volumes\\// {print $2, $3, $4}' /proc/mounts");
    return Object.fromEntries(out.split("\n").filter(Boolean).map((l) => {
        const [mnt, type, opts] = l.split(" ");
        return [mnt.split("/")[5], `${type} ${opts}`];
    }));
}

/** The web service's task history on the manager: where each task ran and why it ended. */
const webHistory = () => ssh(MGR, `docker service ps --no-trunc --format '{{.Name}} {{.Node}} desired={{.DesiredState}} {{.CurrentState}} {{.Error}}' ${STACK}_web`).stdout.trim();
const healthyWebOnWrk1 = () => ssh("wrk1", `docker ps -q --filter label=com.docker.swarm.service.name=${STACK}_web --filter health=healthy | wc -l`).stdout.trim() === "1";

/**
 * The mesh and VIP cases need the one web task running and healthy on wrk1: with no task, the
 * service's DNS record leaves every node's network database and `nslookup web` falls through to the
 * VM's (unreachable) upstream resolver. Under TCG a task can be replaced between cases (a missed
 * heartbeat or healthcheck); that is said loudly, with the swarm's reason, and waited out.
 */
async function webReady(what: string): Promise<void> {
    if (healthyWebOnWrk1()) return;
    const t = Date.now();
    console.log(`      !! ${what}: no healthy web task on wrk1 at the start; swarm's task history:\n${webHistory().split("\n").map((l) => `         ${l}`).join("\n")}`);
    console.log(`      !! nodes: ${sh(MGR, "docker node ls --format '{{.Hostname}}={{.Status}}/{{.Availability}}'").split("\n").join(" ")}`);
    // a missed heartbeat (node down) or a failed healthcheck leaves its trace in the manager's log
    console.log(`      !! mgr1's dockerd log (heartbeat, node state):\n${ssh(MGR, "journalctl -u docker --since '-8 min' --no-pager -o cat | grep -iE 'heartbeat|node .*(down|unknown)|session|unhealthy' | tail -10").stdout.trimEnd().split("\n").map((l) => `         ${l}`).join("\n")}`);
    await eventually(healthyWebOnWrk1, 300000, "a healthy web task on wrk1 again");
    console.log(`      !! a healthy web task on wrk1 again after ${((Date.now() - t) / 1000).toFixed(1)}s`);
}

const curl = (host: string) => spawnSync("curl", ["-s", "--max-time", "5", `http://${addr(host)}:${PORT}/`], { encoding: "utf8" });
const webTasksOn = (node: string) => Number(sh(node, `docker ps -q --filter label=com.docker.swarm.service.name=${STACK}_web | wc -l`));

describe("vm: NFS volumes, routing mesh and VIP on a swarm of qemu VMs (1 manager + 2 workers + NFS server)", function () {
    this.timeout(1800000);
    const nameA = () => nfsMountSource(STACK, "shared", spec(OPTS_A));
    const nameB = () => nfsMountSource(STACK, "shared", spec(OPTS_B));
    const file = `written-by-wrk1-${Date.now()}.txt`;

    before(async () => {
        sandbox();
        for (const h of [MGR, ...WORKERS, NFS]) addr(h);
        console.log(`      kernel ${sh(MGR, "uname -r")}, docker ${sandbox().dockerVersion}`);
        const nodes = sh(MGR, "docker node ls --format '{{.Hostname}} {{.ManagerStatus}} {{.Status}}'");
        console.log(`      swarm:\n${nodes.split("\n").map((l) => `        ${l}`).join("\n")}`);
        for (const h of [MGR, ...WORKERS]) assert.match(nodes, new RegExp(`^${h} .*Ready$`, "m"), `${h} must be a Ready swarm node (vm.sh up makes the swarm)`);
        assert.match(sh(NFS, "exportfs -v"), /\/export\/shared[\s\S]*\/export\/ro/);
        // a stack from an earlier run (DOCKFLEET_KEEP_VMS=1) goes first
        ssh(MGR, `docker stack rm ${STACK} >/dev/null 2>&1`);
        await eventually(() => [MGR, ...WORKERS].every((h) => ssh(h, `docker ps -aq --filter label=com.docker.stack.namespace=${STACK} | wc -l`).stdout.trim() === "0"), 180000, "old stack containers gone");
        const t = Date.now();
        deploy(spec(OPTS_A));
        await eventually(() => WORKERS.every((w) => filesTask(w)?.volumes["/data"] === nameA()), 600000, `a files task with ${nameA()} on ${WORKERS.join(", ")}`);
        await eventually(() => ssh("wrk1", `docker ps -q --filter label=com.docker.swarm.service.name=${STACK}_web --filter health=healthy | wc -l`).stdout.trim() === "1", 600000, "the web task healthy on wrk1");
        console.log(`      stack ${STACK} deployed and running in ${((Date.now() - t) / 1000).toFixed(1)}s`);
    });

    after(async () => {
        // every run records the web task's history: a replaced task shows here with its reason
        console.log(`      web task history:\n${webHistory().split("\n").map((l) => `        ${l}`).join("\n")}`);
        const r = ssh(MGR, `docker stack rm ${STACK}`);
        console.log(`      after: docker stack rm ${STACK} (exit ${r.code})`);
        ssh(NFS, `rm -f /export/shared/${file}`);
    });

    it("each worker's task mounts the export as nfs4 from nfs1 with the rendered options", () => {
        const want = nfsDriverOpts(spec(OPTS_A).nfsVolumes!.shared);
        for (const w of WORKERS) {
            const t = filesTask(w)!;
            const inTask = sh(w, `docker exec ${t.id} grep ' /data ' /proc/mounts`);
            console.log(`      ${w}: ${inTask}`);
            // the source is the driver's device (":/export/shared"); the server is in addr=
            assert.match(inTask, new RegExp(`^:/export/shared /data nfs4 .*\\bhard\\b.*addr=${addr(NFS).replace(/\./g, "\\.")} `));
            assert.deepStrictEqual(JSON.parse(sh(w, `docker volume inspect ${nameA()} --format '{{json .Options}}'`)), want);
        }
    });

    it("a file written by wrk1's task is on the server's disk and read by wrk2's task", () => {
        const w1 = filesTask("wrk1")!;
        const w2 = filesTask("wrk2")!;
        sh("wrk1", `docker exec ${w1.id} sh -c 'echo hello from $(hostname) on wrk1 > /data/${file}'`);
        const onServer = sh(NFS, `cat /export/shared/${file}`);
        assert.match(onServer, /^hello from \S+ on wrk1$/);
        // on nfs1 the export is its data disk (vdb), not the root filesystem
        assert.strictEqual(sh(NFS, "findmnt -n -o SOURCE --target /export/shared"), "/dev/vdb");
        assert.strictEqual(sh("wrk2", `docker exec ${w2.id} cat /data/${file}`), onServer);
    });

    it("the read-only export refuses a write from a task (mounted rw), and reads work", () => {
        for (const w of WORKERS) {
            const t = filesTask(w)!;
            assert.strictEqual(sh(w, `docker exec ${t.id} cat /ro/README`), "read-only export on nfs1");
            const r = ssh(w, `docker exec ${t.id} sh -c 'echo x > /ro/x'`);
            assert.notStrictEqual(r.code, 0, `${w}: a write to the ro export succeeded`);
            assert.match(r.stderr, /Read-only file system/, r.stderr);
        }
        assert.strictEqual(ssh(NFS, "test -e /export/ro/x").code, 1, "nothing reached the server");
    });

    it("the routing mesh: the ingress port answers on mgr1 and wrk2, which run no web task (IPVS in the ingress sandbox)", async () => {
        await webReady("routing mesh");
        assert.strictEqual(webTasksOn("wrk1"), 1);
        for (const h of [MGR, "wrk2"]) {
            assert.strictEqual(webTasksOn(h), 0, `${h} must run no web task`);
            let r = curl(h);
            await eventually(() => { r = curl(h); return r.status === 0; }, 120000, `${h}:${PORT} to answer`);
            assert.match(r.stdout, /dockfleet vm busybox/);
            const ipvs = sh(h, "nsenter --net=/run/docker/netns/ingress_sbox ipvsadm -Ln");
            assert.match(ipvs, /FWM\s+\d+ rr/, ipvs);
            console.log(`      ${h}:${PORT} answered; ${h}'s ingress IPVS: ${ipvs.split("\n").filter((l) => /FWM|->.*Masq/.test(l)).map((l) => l.trim()).join(" | ")}`);
        }
    });

    it("VIP endpoint mode: `web` resolves to the service's virtual IP, `tasks.web` to the task, and a task on another node reaches it", async () => {
        await webReady("VIP");
        const net = sh(MGR, `docker network inspect ${STACK}_default --format '{{.Id}}'`);
        const vips = JSON.parse(sh(MGR, `docker service inspect ${STACK}_web --format '{{json .Endpoint.VirtualIPs}}'`)) as { NetworkID: string; Addr: string }[];
        const vip = vips.find((v) => v.NetworkID === net)?.Addr.split("/")[0];
        assert.ok(vip, `no VIP on ${STACK}_default: ${JSON.stringify(vips)}`);
        const webId = sh("wrk1", `docker ps -q --filter label=com.docker.swarm.service.name=${STACK}_web`);
        const taskIp = sh("wrk1", `docker inspect -f '{{(index .NetworkSettings.Networks "${STACK}_default").IPAddress}}' ${webId}`);
        assert.notStrictEqual(taskIp, vip);
        const t = filesTask("wrk2")!;
        const names = sh("wrk2", `docker exec ${t.id} nslookup web`);
        const tasks = sh("wrk2", `docker exec ${t.id} nslookup tasks.web`);
        console.log(`      web -> ${vip} (VIP), tasks.web -> ${taskIp}`);
        assert.match(names, new RegExp(`Address:\\s*${vip!.replace(/\./g, "\\.")}\\b`), names);
        assert.doesNotMatch(names, new RegExp(`\\b${taskIp.replace(/\./g, "\\.")}\\b`), names);
        assert.match(tasks, new RegExp(`Address:\\s*${taskIp.replace(/\./g, "\\.")}\\b`), tasks);
        // busybox nc, not wget: the test image's static busybox wget crashes (exit 139) on a
        // failed connection instead of saying why
        const get = (host: string) => ssh("wrk2", `docker exec ${t.id} sh -c 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 5 ${host} 8080'`);
        let r = get(vip!);
        const t0 = Date.now();
        while (!/dockfleet vm busybox/.test(r.stdout) && Date.now() - t0 < 90000) r = get(vip!);
        if (!/dockfleet vm busybox/.test(r.stdout)) {
            const key = sh("wrk2", `docker inspect -f '{{.NetworkSettings.SandboxKey}}' ${t.id}`);
            console.log(`      ${vip}:8080 from wrk2's task: exit ${r.code} ${r.stderr}; by task address: ${JSON.stringify(get(taskIp).stdout.slice(-60))}`);
            console.log(ssh("wrk2", `nsenter --net=${key} ipvsadm -Ln; nsenter --net=${key} iptables -t mangle -S; nsenter --net=${key} ip -br addr`).stdout);
        }
        assert.match(r.stdout, /dockfleet vm busybox/, `${vip}:8080 (the VIP) from wrk2's task`);
        console.log(`      ${vip}:8080 answered from wrk2's task after ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    });

    it("changed NFS options: a new volume name, and every worker's task mounts it with the new options; no node keeps the old mount", async () => {
        assert.notStrictEqual(nameA(), nameB());
        const t = Date.now();
        deploy(spec(OPTS_B));
        await eventually(() => WORKERS.every((w) => filesTask(w)?.volumes["/data"] === nameB()), 600000, `every worker's files task on ${nameB()}`);
        const want = nfsDriverOpts(spec(OPTS_B).nfsVolumes!.shared);
        for (const w of WORKERS) {
            assert.deepStrictEqual(JSON.parse(sh(w, `docker volume inspect ${nameB()} --format '{{json .Options}}'`)), want);
            let m: Record<string, string> = {};
            await eventually(() => { m = nfsMounts(w); return !(nameA() in m); }, 120000, `${w}: the old volume ${nameA()} unmounted`);
            console.log(`      ${w}: ${nameB()} ${m[nameB()]}`);
            assert.match(m[nameB()] ?? "", /^nfs4 .*\bsoft\b.*\btimeo=150\b/, JSON.stringify(m));
            assert.doesNotMatch(m[nameB()], /\bhard\b/);
            // the file written before is still there (same export, new mount)
            assert.match(sh(w, `docker exec ${filesTask(w)!.id} cat /data/${file}`), /on wrk1$/);
        }
        console.log(`      rolled to the new options on ${WORKERS.length} workers in ${((Date.now() - t) / 1000).toFixed(1)}s`);
    });
});
