// restore and forget, and the ownership claims that decide whether a delete restores (fake
// dockerd/systemctl; harness in test/support/apply-host.ts).
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { mkEnv, DJ, PROXY, daemon, run, read, exists, count, claim } from "../../test/support/apply-host";

describe("apply-docker-config.sh (fake dockerd/systemctl)", function () {
    this.timeout(60000);

    it("restore puts back the pre-dockfleet files (a file that did not exist is removed)", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), '{"debug": true}\n');
        assert.strictEqual(run(env, "apply", { public: [daemon()], secret: [{ path: PROXY, mode: "0644", content: "[Service]\n" }] }).code, 0);
        const r = run(env, "restore");
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(read(env, DJ), '{"debug": true}\n');
        assert.ok(!exists(env, PROXY));
        assert.match(r.stderr, /restored the pre-dockfleet files/);
    });

    it("forget keeps the current files", () => {
        const env = mkEnv();
        assert.strictEqual(run(env, "apply", { public: [daemon({ "labels": ["kept=1"] })] }).code, 0);
        assert.strictEqual(run(env, "forget").code, 0);
        assert.match(read(env, DJ), /kept=1/);
        assert.ok(!exists(env, "var/lib/dockfleet/daemon-config/original"));
    });

    // Ownership claims (issue 10): a replacement runs the new resource's create before the old
    // resource's delete; that delete must never put the pre-dockfleet files back under the new one.
    const ORIGINAL = '{"debug": true}\n';

    it("replace (create, then the old resource's delete) keeps the new config; the last claim's delete restores", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), ORIGINAL);
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["v=1"] })], args: claim("p.s.host1", "create") }).code, 0);
        // forced replace (`pulumi up --replace`): same owner, new create first
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["v=2"] })], args: claim("p.s.host1", "create") }).code, 0);
        const del = run(env, "restore", { args: claim("p.s.host1") });
        assert.strictEqual(del.code, 0, del.stderr);
        assert.match(del.stderr, /kept the current files: still claimed by p\.s\.host1 \(1\)/);
        assert.deepStrictEqual(JSON.parse(read(env, DJ)).labels, ["v=2"]);
        const starts = count(env, "starts");
        const last = run(env, "restore", { args: claim("p.s.host1") });
        assert.strictEqual(last.code, 0, last.stderr);
        assert.match(last.stderr, /restored the pre-dockfleet files/);
        assert.strictEqual(read(env, DJ), ORIGINAL);
        assert.strictEqual(count(env, "starts"), starts + 1);
    });

    it("rename (new owner created, old owner deleted) and a second stack: a delete restores only when no claim is left", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), ORIGINAL);
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["v=1"] })], args: claim("p.s.host3", "create") }).code, 0);
        const renamed = run(env, "apply", { public: [daemon({ labels: ["v=1"] })], args: claim("p.s.host3b", "create") });
        assert.strictEqual(renamed.code, 0, renamed.stderr);
        assert.match(renamed.stderr, /also claimed by: p\.s\.host3 \(1\)/);
        assert.match(run(env, "restore", { args: claim("p.s.host3") }).stderr, /kept the current files: still claimed by p\.s\.host3b \(1\)/);
        assert.deepStrictEqual(JSON.parse(read(env, DJ)).labels, ["v=1"]);
        // forget (onDelete keep) drops a claim the same way
        assert.strictEqual(run(env, "forget", { args: claim("p.s.host3") }).code, 0);
        assert.ok(exists(env, "var/lib/dockfleet/daemon-config/original/manifest"), "a delete of an owner without a claim must not drop the state");
        assert.match(run(env, "restore", { args: claim("p.s.host3b") }).stderr, /restored the pre-dockfleet files/);
        assert.strictEqual(read(env, DJ), ORIGINAL);
    });

    it("update claims a host that has no claim (state from before claims, or a wiped host) once, not twice", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), ORIGINAL);
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["v=1"] })], args: claim("o", "update") }).code, 0);
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["v=2"] })], args: claim("o", "update") }).code, 0);
        assert.strictEqual(read(env, "var/lib/dockfleet/daemon-config/claims/o").trim(), "1");
        assert.match(run(env, "restore", { args: claim("o") }).stderr, /restored the pre-dockfleet files/);
        assert.strictEqual(read(env, DJ), ORIGINAL);
    });

    it("a create that fails (rolled back) adds no claim: the surviving resource's delete still restores", () => {
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), ORIGINAL);
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["v=1"] })], args: claim("old", "create") }).code, 0);
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["BAD_START"] })], args: claim("new", "create") }).code, 1);
        assert.ok(!exists(env, "var/lib/dockfleet/daemon-config/claims/new"));
        assert.match(run(env, "restore", { args: claim("old") }).stderr, /restored the pre-dockfleet files/);
        assert.strictEqual(read(env, DJ), ORIGINAL);
    });

    it("state of the version before claims is moved on first contact; that version's stored delete then restores nothing", () => {
        const legacy = path.join(__dirname, "../../test/fixtures/legacy/apply-docker-config.pre-claims.sh");
        const env = mkEnv();
        fs.writeFileSync(path.join(env.root, DJ), ORIGINAL);
        assert.strictEqual(run(env, "apply", { public: [daemon({ labels: ["v=1"] })], script: legacy }).code, 0);
        assert.ok(exists(env, "var/lib/dockfleet/docker-host/original/manifest"), "the old version keeps its state in docker-host/");
        // upgrade: upstream pulumi-command replaces the resource (its `triggers` input went away)
        const up = run(env, "apply", { public: [daemon({ labels: ["v=2"] })], args: claim("p.s.host1", "create") });
        assert.strictEqual(up.code, 0, up.stderr);
        assert.match(up.stderr, /moved dockfleet state from \/var\/lib\/dockfleet\/docker-host/);
        // the old resource's delete is the OLD script's restore, from the old state
        const oldDelete = run(env, "restore", { script: legacy });
        assert.strictEqual(oldDelete.code, 0, oldDelete.stderr);
        assert.match(oldDelete.stderr, /nothing to restore/);
        assert.deepStrictEqual(JSON.parse(read(env, DJ)).labels, ["v=2"]);
        // the pre-dockfleet copy survived the move: the new resource's delete restores it
        assert.match(run(env, "restore", { args: claim("p.s.host1") }).stderr, /restored the pre-dockfleet files/);
        assert.strictEqual(read(env, DJ), ORIGINAL);
    });
});
