// The compiled program (issue 13): program.js runs build/program/index.js without ts-node, and
// rebuilds it first when any source changed. Built here in a temporary copy of the sources.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");

describe("compiled program (program.js, program/build-program.js)", function () {
    this.timeout(120000);
    let dir = "";
    const node = (code: string) => spawnSync(process.execPath, ["-e", code], { cwd: dir, encoding: "utf8" });
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-build-"));
        for (const f of ["index.ts", "program.js", "package.json", "package-lock.json", "tsconfig.json", "tsconfig.program.json", "program", "components"]) fs.cpSync(path.join(ROOT, f), path.join(dir, f), { recursive: true });
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("builds on first load, with the host scripts beside the JavaScript, and loads without ts-node", () => {
        const r = node(`const p = require("./program.js"); console.log(typeof p, require.extensions[".ts"] === undefined, Object.keys(require.cache).some((k) => k.includes("ts-node")))`);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stdout.trim(), "function true false");
        assert.match(r.stderr, /build-program: build\/program\/ written/);
        for (const s of ["components/docker-host/scripts/apply-docker-config.sh", "components/swarm/scripts/swarm-node.sh", "components/container-unit/scripts/install-unit.sh"]) {
            assert.strictEqual(fs.readFileSync(path.join(dir, "build/program", s), "utf8"), fs.readFileSync(path.join(ROOT, s), "utf8"), s);
        }
        assert.ok(!fs.existsSync(path.join(dir, "build/program/program/load.test.js")), "tests are not part of the program");
    });

    it("a second load reuses the build; a changed source (or script) rebuilds it before running", () => {
        let r = node(`require("./program.js")`);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.doesNotMatch(r.stderr, /written/);
        fs.appendFileSync(path.join(dir, "program/names.ts"), "\nexport const STALE_PROBE = 42;\n");
        r = node(`require("./program.js"); console.log(require("./build/program/program/names.js").STALE_PROBE)`);
        assert.strictEqual(r.status, 0, r.stderr);
        assert.match(r.stderr, /written/);
        assert.strictEqual(r.stdout.trim(), "42");
        fs.appendFileSync(path.join(dir, "components/docker-host/scripts/apply-docker-config.sh"), "\n# changed\n");
        r = node(`require("./program.js")`);
        assert.match(r.stderr, /written/);
        assert.match(fs.readFileSync(path.join(dir, "build/program/components/docker-host/scripts/apply-docker-config.sh"), "utf8"), /# changed\n$/);
    });
});
