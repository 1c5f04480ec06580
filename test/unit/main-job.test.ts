// dev/main-job.sh restore-file: the main job comes back with its stack file as parked, even
// when a test suite was killed before it put its edits back; the edited file is kept.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const SCRIPT = path.resolve(__dirname, "../../dev/main-job.sh");

describe("dev/main-job.sh restore-file", () => {
    let dir: string;
    let file: string;
    const run = () => spawnSync("bash", [SCRIPT, "restore-file"], { encoding: "utf8", env: { ...process.env, DOCKFLEET_PULUMI_STATE_DIR: dir, DOCKFLEET_LOCAL_STACK_FILE: file } });
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "main-job-"));
        file = path.join(dir, "Pulumi.local.yaml");
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("puts the parked file back and keeps the suite's edit beside it, with a warning", () => {
        fs.writeFileSync(path.join(dir, "local-parked.yaml"), "config:\n  dockfleet:hosts: [a]\n");
        fs.writeFileSync(file, "config:\n  dockfleet:parts: [swarm]\n");
        const r = run();
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(fs.readFileSync(file, "utf8"), "config:\n  dockfleet:hosts: [a]\n");
        assert.strictEqual(fs.readFileSync(path.join(dir, "local-changed-while-parked.yaml"), "utf8"), "config:\n  dockfleet:parts: [swarm]\n");
        assert.match(r.stderr, /WARNING: .*Pulumi\.local\.yaml changed while the main job was parked/);
    });

    it("keeps a file that is as committed (a git pull since the park), and moves the stale parked copy aside", () => {
        const git = (...a: string[]) => spawnSync("git", ["-C", dir, ...a], { encoding: "utf8" });
        git("init", "-q");
        fs.writeFileSync(file, "config:\n  dockfleet:images: {hello: {}}\n");
        git("add", "Pulumi.local.yaml");
        git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "x");
        fs.writeFileSync(path.join(dir, "local-parked.yaml"), "config:\n  dockfleet:hosts: [a]\n");
        const r = run();
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(fs.readFileSync(file, "utf8"), "config:\n  dockfleet:images: {hello: {}}\n");
        assert.ok(!fs.existsSync(path.join(dir, "local-parked.yaml")));
        assert.strictEqual(fs.readFileSync(path.join(dir, "local-parked-stale.yaml"), "utf8"), "config:\n  dockfleet:hosts: [a]\n");
        assert.match(r.stderr, /note: .*Pulumi\.local\.yaml is as committed and differs from the copy parked earlier: kept it/);
        // an edit on top of the committed file is a suite's: the parked copy goes back as before
        fs.writeFileSync(path.join(dir, "local-parked.yaml"), "config:\n  dockfleet:hosts: [a]\n");
        fs.writeFileSync(file, "config:\n  dockfleet:parts: [swarm]\n");
        assert.strictEqual(run().status, 0);
        assert.strictEqual(fs.readFileSync(file, "utf8"), "config:\n  dockfleet:hosts: [a]\n");
    });

    it("changes nothing when the file is as parked, or when nothing was parked", () => {
        fs.writeFileSync(file, "same\n");
        let r = run();
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stderr, "");
        fs.writeFileSync(path.join(dir, "local-parked.yaml"), "same\n");
        r = run();
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stderr, "");
        assert.ok(!fs.existsSync(path.join(dir, "local-changed-while-parked.yaml")));
        assert.strictEqual(fs.readFileSync(file, "utf8"), "same\n");
    });
});
