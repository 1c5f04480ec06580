// Functions of the apply script tested alone: each case sources ONE module of scripts/apply/ (no
// other module, no fake dockerd) and checks one function's exact output. The whole script is tested
// in apply-script*.test.ts.
import * as assert from "assert";
import { spawnSync } from "child_process";
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { daemonFacts } from "./daemon-facts";

const MODULES = path.join(__dirname, "scripts/apply");

/** Runs BODY in bash after sourcing MODULE (set -euo pipefail as in the script); PATH as given. */
function inModule(module: string, body: string, opts: { cwd?: string; path?: string; env?: Record<string, string> } = {}) {
    const r = spawnSync("/bin/bash", ["-c", `set -euo pipefail; source "$1"; ${body}`, "bash", path.join(MODULES, module)], {
        cwd: opts.cwd,
        encoding: "utf8",
        // only what the function needs: nothing another test left in process.env reaches it
        env: { HOME: os.tmpdir(), LANG: "C.UTF-8", PATH: opts.path ?? SYSTEM_PATH, ...(opts.env ?? {}) },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A directory holding only the named tools (symlinks to the real ones): which JSON reader the script finds. */
function binWith(dir: string, tools: Record<string, string>): string {
    const bin = fs.mkdtempSync(path.join(dir, "bin-"));
    for (const [name, target] of Object.entries(tools)) fs.symlinkSync(target, path.join(bin, name));
    return bin;
}

/** The system's own tools, never a fake or a version manager's shim that a PATH may put first. */
const SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin";

function realPath(cmd: string, args: string[]): string {
    const r = spawnSync(cmd, args, { encoding: "utf8", env: { PATH: SYSTEM_PATH } });
    if (r.status !== 0) throw new Error(`${cmd} is needed for this test (apt-get install jq python3)`);
    return r.stdout.trim();
}

describe("apply script modules, one function at a time", function () {
    let dir = "";
    let jqOnly = "";
    let pyOnly = "";
    let neither = "";
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-apply-mod-"));
        // what a minimal host has (coreutils, sed, grep), and no JSON tool: the facts' own needs
        const base = Object.fromEntries(["basename", "cat", "cp", "cut", "grep", "head", "ls", "mkdir", "rm", "sed", "sha256sum", "tail"].map((t) => [t, realPath("/bin/bash", ["-c", `command -v ${t}`])]));
        jqOnly = binWith(dir, { ...base, jq: realPath("/bin/bash", ["-c", "command -v jq"]) });
        // the real interpreter, not a version manager's shim (which needs more on PATH)
        pyOnly = binWith(dir, { ...base, python3: realPath("/bin/bash", ["-c", "readlink -f \"$(command -v python3)\""]) });
        neither = binWith(dir, base);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const write = (name: string, text: string) => {
        fs.writeFileSync(path.join(dir, name), text);
        return name;
    };

    describe("canon.sh unit_canon (drop-ins as directives and Environment= variables)", () => {
        it("drops comments and blank lines, keeps directives in order, sorts variables and NO_PROXY entries", () => {
            const f = write("proxy.conf", '# managed\n\n[Service]\nEnvironment="HTTP_PROXY=http://p:3128" "NO_PROXY=b.example,a.example"\n  Environment=FOO=1%%\nExecStart=\nExecStart=/usr/bin/dockerd -H fd://\n');
            const r = inModule("canon.sh", `ROOT=""; unit_canon ${f}`, { cwd: dir });
            assert.deepStrictEqual(r, {
                status: 0,
                stdout: "L\t[Service]\tExecStart=\nL\t[Service]\tExecStart=/usr/bin/dockerd -H fd://\nE\t[Service]\tFOO=1%\nE\t[Service]\tHTTP_PROXY=http://p:3128\nE\t[Service]\tNO_PROXY=a.example,b.example\n",
                stderr: "",
            });
        });
        it("reads the variables of an EnvironmentFile= (they override Environment=); an empty Environment= resets", () => {
            fs.mkdirSync(path.join(dir, "root/etc/docker"), { recursive: true });
            fs.writeFileSync(path.join(dir, "root/etc/docker/proxy.env"), "# env\nHTTPS_PROXY='http://q:3128'\nFOO=2\n");
            const f = write("envfile.conf", "[Service]\nEnvironment=OLD=1\nEnvironment=\nEnvironment=FOO=1\nEnvironmentFile=-/etc/docker/proxy.env\n");
            const r = inModule("canon.sh", `ROOT=${JSON.stringify(path.join(dir, "root"))}; unit_canon ${f}`, { cwd: dir });
            assert.deepStrictEqual(r, { status: 0, stdout: "E\t[Service]\tFOO=2\nE\t[Service]\tHTTPS_PROXY=http://q:3128\n", stderr: "" });
        });
    });

    describe("facts.sh: a daemon.json's facts shipped, kept by sha256, else jq, else none", () => {
        // facts.sh alone: sha (bundle.sh) and STATE (cli.sh) come from other modules
        const facts = (body: string, p: string) =>
            inModule("facts.sh", `sha() { sha256sum <"$1" | cut -d' ' -f1; }; STATE=${JSON.stringify(path.join(dir, "fstate"))}; ${body}`, { cwd: dir, path: p });
        const canonIn = '{"labels":["b=2","a=1"],"debug":0,"log-opts":{"max-size":"10m"},"insecure-registries":[],"live-restore":true,"registry-mirrors":[]}\n';
        // keys sorted, compact, labels sorted, keys at dockfleet's always-written defaults dropped
        // (insecure-registries [], registry-mirrors []); debug 0 is not false, so it stays
        const wantCanon = '{"debug":0,"labels":["a=1","b=2"],"live-restore":true,"log-opts":{"max-size":"10m"}}\n';
        const needsIn = '{"userns-remap":"dockremap:dockremap","runtimes":{"runsc":{"path":"/usr/bin/runsc"},"kata":{"runtimeType":"io.containerd.kata.v2"}},"exec-opts":["native.cgroupdriver=systemd"],"tlscacert":"/etc/docker/ca.pem"}\n';
        const wantNeeds = "userns dockremap:dockremap\nruntime runsc /usr/bin/runsc\nshim kata io.containerd.kata.v2\ncgroupdriver systemd\ntlsfile tlscacert /etc/docker/ca.pem\n";
        const dmIn = '{"storage-driver":"devicemapper","storage-opts":["dm.directlvm_device=/dev/xvdf","dm.thinp_percent=90"," DM.Thinp_MetaPercent = 2 "]}\n';
        const wantDm = "devicemapper|/var/lib/docker|device=/dev/xvdf thinp_percent=90 thinp_metapercent=2 thinp_autoextend_threshold=80 thinp_autoextend_percent=20\n";
        /** A daemon.json with its shipped facts beside it, as parse_bundle leaves them. */
        const shipped = (name: string, text: string) => {
            write(name, text);
            write(`${name}.facts`, daemonFacts(text));
            return name;
        };
        beforeEach(() => fs.rmSync(path.join(dir, "fstate"), { recursive: true, force: true }));

        it("shipped facts, neither jq nor python3 on the PATH: json_canon, host_needs, dm_settings as daemon-facts.ts computed them", () => {
            assert.deepStrictEqual(facts(`json_canon ${shipped("s1.json", canonIn)}`, neither), { status: 0, stdout: wantCanon, stderr: "" });
            assert.deepStrictEqual(facts(`host_needs ${shipped("s2.json", needsIn)}`, neither), { status: 0, stdout: wantNeeds, stderr: "" });
            assert.deepStrictEqual(facts(`dm_settings ${shipped("s3.json", dmIn)}`, neither), { status: 0, stdout: wantDm, stderr: "" });
        });
        it("shipped facts of other bytes (a stale or foreign facts file) are not used", () => {
            write("stale.json", "{}\n");
            write("stale.json.facts", daemonFacts(canonIn));
            assert.deepStrictEqual(facts("json_canon stale.json || echo rc=$?", neither), { status: 0, stdout: "rc=1\n", stderr: "" });
        });
        it("store_facts keeps them by sha256: the live file (no facts beside it) gets them when its bytes match, nothing else does", () => {
            fs.mkdirSync(path.join(dir, "want"), { recursive: true });
            write("want/manifest", "k1 0644 /etc/docker/daemon.json\nk2 absent /etc/x\n");
            write("want/k1", needsIn);
            write("want/k1.facts", daemonFacts(needsIn));
            write("live.json", needsIn);
            write("other.json", '{"userns-remap":"other"}\n');
            assert.deepStrictEqual(facts("store_facts want; ls \"$STATE/facts\"; host_needs live.json; host_needs other.json || echo rc=$?", neither), {
                status: 0,
                stdout: `${createHash("sha256").update(needsIn).digest("hex")}\n${wantNeeds}rc=1\n`,
                stderr: "",
            });
        });
        it("prune_facts keeps only the facts of the last good and the original files", () => {
            fs.mkdirSync(path.join(dir, "fstate/facts"), { recursive: true });
            fs.mkdirSync(path.join(dir, "fstate/last-good"), { recursive: true });
            const keep = createHash("sha256").update("{}\n").digest("hex");
            write("fstate/last-good/manifest", "k1 0644 /etc/docker/daemon.json\nk2 absent /etc/x\n");
            write("fstate/last-good/k1", "{}\n");
            write(`fstate/facts/${keep}`, daemonFacts("{}\n"));
            write("fstate/facts/0123", "sha 0123\n");
            assert.deepStrictEqual(facts("prune_facts; ls \"$STATE/facts\"", neither), { status: 0, stdout: `${keep}\n`, stderr: "" });
        });
        it("a file dockfleet did not write, with jq: jq reads the same facts, byte for byte, but `starts` (unknown there: the smoke container runs after a reload)", () => {
            for (const t of [canonIn, needsIn, dmIn, '{"storage-driver":"overlay2","graph":"/srv/docker"}\n', "[1]\n"]) {
                const f = write("unknown.json", t);
                assert.deepStrictEqual(facts(`file_facts ${f}`, jqOnly), { status: 0, stdout: daemonFacts(t).replace(/^starts .*\n/m, ""), stderr: "" }, t);
            }
        });
        it("jq: a file that is not JSON has the facts `invalid` with jq's error, and no canonical form", () => {
            const f = write("bad.json", '{"debug": false,}\n');
            const r = facts(`file_facts ${f}; json_canon ${f} || echo rc=$?`, jqOnly);
            assert.strictEqual(r.status, 0, r.stderr);
            assert.match(r.stdout, /^sha [0-9a-f]{64}\ninvalid parse error: Expected another key-value pair at line 1, column 17\nrc=1\n$/);
        });
        it("neither jq nor facts: no facts (status 1, no output): settings unknown, the checks skip with a note", () => {
            const f = write("nofacts.json", canonIn);
            assert.deepStrictEqual(facts(`json_canon ${f} || echo rc=$?; host_needs ${f} || echo rc=$?; dm_settings ${f} || echo rc=$?`, pyOnly), { status: 0, stdout: "rc=1\nrc=1\nrc=1\n", stderr: "" });
        });
    });

    describe("staging.sh and decide.sh helpers", () => {
        it("tmp_of: the temp file beside its target (same directory: an atomic rename)", () => {
            assert.deepStrictEqual(inModule("staging.sh", "tmp_of /etc/docker/daemon.json; echo; tmp_of /etc/systemd/system/docker.service.d/10-x.conf; echo", { cwd: dir }), {
                status: 0,
                stdout: "/etc/docker/.daemon.json.dockfleet-tmp\n/etc/systemd/system/docker.service.d/.10-x.conf.dockfleet-tmp\n",
                stderr: "",
            });
        });
        it("full_fs_note: names the full file system (mount point and free KiB, from df) for ENOSPC only; the nearest existing directory", () => {
            const mnt = spawnSync("df", ["-Pk", dir], { encoding: "utf8" }).stdout.split("\n")[1].split(/\s+/)[5];
            const full = inModule("staging.sh", `full_fs_note "cp: cannot create regular file 'x': No space left on device" "${dir}/not/yet"`, { cwd: dir });
            assert.strictEqual(full.status, 0, full.stderr);
            assert.match(full.stdout, new RegExp(`^ \\(the file system at ${mnt.replace(/[/.]/g, "\\$&")} is full: [0-9]+ KiB free\\)$`));
            assert.deepStrictEqual(inModule("staging.sh", `full_fs_note "cp: cannot create regular file 'x': Permission denied" "${dir}"`, { cwd: dir }), { status: 0, stdout: "", stderr: "" });
        });
        it("read_per_use: only registry trust under /etc/docker/certs.d", () => {
            const r = inModule("decide.sh", "for p in /etc/docker/certs.d/r:5000/ca.crt /etc/docker/daemon.json /etc/docker/certs.dx; do if read_per_use $p; then echo \"$p yes\"; else echo \"$p no\"; fi; done", { cwd: dir });
            assert.deepStrictEqual(r, { status: 0, stdout: "/etc/docker/certs.d/r:5000/ca.crt yes\n/etc/docker/daemon.json no\n/etc/docker/certs.dx no\n", stderr: "" });
        });
    });

    describe("claims.sh (ownership claims)", () => {
        const claims = (body: string, owner: string, op = "update") =>
            inModule("claims.sh", `say() { printf 'say: %s\\n' "$*"; }; STATE=${JSON.stringify(path.join(dir, "state"))}; OWNER=${owner}; OP=${op}; ${body}`, { cwd: dir });
        before(() => fs.rmSync(path.join(dir, "state"), { recursive: true, force: true }));
        it("create adds a claim, update keeps one; another owner's apply is told who else claims the host", () => {
            assert.deepStrictEqual(claims("claim_after_apply; claim_after_apply; claim_count a", "a", "create"), { status: 0, stdout: "2\n", stderr: "" });
            assert.deepStrictEqual(claims("claim_after_apply; claim_count b", "b"), { status: 0, stdout: "say: note: this host is also claimed by: a (2) (the last apply wins; delete restores only after the last claim is dropped)\n1\n", stderr: "" });
        });
        it("drop_claim is true only when the last claim on the host goes", () => {
            assert.deepStrictEqual(claims("drop_claim || echo kept", "b"), { status: 0, stdout: "say: kept the current files: still claimed by a (2) (the last claim's delete restores)\nkept\n", stderr: "" });
            assert.deepStrictEqual(claims("drop_claim || echo kept; drop_claim && echo last; ls \"$STATE/claims\" | wc -l", "a"), {
                status: 0,
                stdout: "say: kept the current files: still claimed by a (1) (the last claim's delete restores)\nkept\nlast\n0\n",
                stderr: "",
            });
        });
    });
});
