// Functions of the apply script tested alone: each case sources ONE module of scripts/apply/ (no
// other module, no fake dockerd) and checks one function's exact output. The whole script is tested
// in apply-script*.test.ts.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

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

/** A directory holding only the named tools (symlinks to the real ones): which twin runs. */
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
        jqOnly = binWith(dir, { jq: realPath("/bin/bash", ["-c", "command -v jq"]) });
        // the real interpreter, not a version manager's shim (which needs more on PATH)
        pyOnly = binWith(dir, { python3: realPath("/bin/bash", ["-c", "readlink -f \"$(command -v python3)\""]) });
        neither = binWith(dir, {});
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const write = (name: string, text: string) => {
        fs.writeFileSync(path.join(dir, name), text);
        return name;
    };

    describe("canon.sh json_canon (restart decision: daemon.json as settings)", () => {
        const dj = () => write("canon.json", '{"labels":["b=2","a=1"],"debug":0,"log-opts":{"max-size":"10m"},"insecure-registries":[],"live-restore":true,"registry-mirrors":[]}\n');
        // keys sorted, compact, labels sorted, keys at dockfleet's always-written defaults dropped
        // (insecure-registries [], registry-mirrors []); debug 0 is not false, so it stays
        const want = '{"debug":0,"labels":["a=1","b=2"],"live-restore":true,"log-opts":{"max-size":"10m"}}\n';
        it("with jq", () => assert.deepStrictEqual(inModule("canon.sh", `json_canon ${dj()}`, { cwd: dir, path: jqOnly }), { status: 0, stdout: want, stderr: "" }));
        it("with python3 only: the same bytes", () => assert.deepStrictEqual(inModule("canon.sh", `json_canon ${dj()}`, { cwd: dir, path: pyOnly }), { status: 0, stdout: want, stderr: "" }));
        it("with neither: status 1, no output", () => assert.deepStrictEqual(inModule("canon.sh", `json_canon ${dj()} || echo rc=$?`, { cwd: dir, path: neither }), { status: 0, stdout: "rc=1\n", stderr: "" }));
    });

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

    describe("checks.sh host_needs and dm_settings (jq and python3 twins agree)", () => {
        const needs = () =>
            write("needs.json", '{"userns-remap":"dockremap:dockremap","runtimes":{"runsc":{"path":"/usr/bin/runsc"},"kata":{"runtimeType":"io.containerd.kata.v2"}},"exec-opts":["native.cgroupdriver=systemd"],"tlscacert":"/etc/docker/ca.pem"}\n');
        const wantNeeds = "userns dockremap:dockremap\nruntime runsc /usr/bin/runsc\nshim kata io.containerd.kata.v2\ncgroupdriver systemd\ntlsfile tlscacert /etc/docker/ca.pem\n";
        it("host_needs with jq", () => assert.deepStrictEqual(inModule("checks.sh", `host_needs ${needs()}`, { cwd: dir, path: jqOnly }), { status: 0, stdout: wantNeeds, stderr: "" }));
        it("host_needs with python3 only", () => assert.deepStrictEqual(inModule("checks.sh", `host_needs ${needs()}`, { cwd: dir, path: pyOnly }), { status: 0, stdout: wantNeeds, stderr: "" }));
        it("host_needs with neither: status 1", () => assert.deepStrictEqual(inModule("checks.sh", `host_needs ${needs()} || echo rc=$?`, { cwd: dir, path: neither }), { status: 0, stdout: "rc=1\n", stderr: "" }));

        const dm = () => write("dm.json", '{"storage-driver":"devicemapper","storage-opts":["dm.directlvm_device=/dev/xvdf","dm.thinp_percent=90"," DM.Thinp_MetaPercent = 2 "]}\n');
        const wantDm = "devicemapper|/var/lib/docker|device=/dev/xvdf thinp_percent=90 thinp_metapercent=2 thinp_autoextend_threshold=80 thinp_autoextend_percent=20\n";
        it("dm_settings with jq: options trimmed, keys lower-cased, unset ones at dockerd's defaults", () => assert.deepStrictEqual(inModule("checks.sh", `dm_settings ${dm()}`, { cwd: dir, path: jqOnly }), { status: 0, stdout: wantDm, stderr: "" }));
        it("dm_settings with python3 only", () => assert.deepStrictEqual(inModule("checks.sh", `dm_settings ${dm()}`, { cwd: dir, path: pyOnly }), { status: 0, stdout: wantDm, stderr: "" }));
        it("dm_settings without direct-lvm: the third field is empty; graph is the old name of data-root", () => {
            const f = write("overlay.json", '{"storage-driver":"overlay2","graph":"/srv/docker"}\n');
            assert.deepStrictEqual(inModule("checks.sh", `dm_settings ${f}`, { cwd: dir, path: jqOnly }), { status: 0, stdout: "overlay2|/srv/docker|\n", stderr: "" });
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
