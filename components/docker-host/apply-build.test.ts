// The apply script is built from its modules (scripts/apply/*.sh, one concern each) by
// dev/build-apply-script.js and committed: the committed file must be their join, and the join
// must be the same bytes every time.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { APPLY_SCRIPT_FILE } from "./bundle";

const ROOT = path.resolve(__dirname, "../..");
const BUILDER = path.join(ROOT, "dev/build-apply-script.js");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const build = require(BUILDER) as {
    MODULES: string[];
    MODULE_DIR: string;
    BUILT: string;
    join: (dir?: string) => string;
    moduleBody: (text: string, name: string) => string;
};

describe("apply-docker-config.sh built from scripts/apply/*.sh", function () {
    it("is committed as the join of the modules (run npm run build:apply after editing one)", () => {
        assert.strictEqual(build.BUILT, APPLY_SCRIPT_FILE);
        assert.ok(fs.readFileSync(APPLY_SCRIPT_FILE, "utf8") === build.join(), "components/docker-host/scripts/apply-docker-config.sh is stale: npm run build:apply");
    });

    it("drops each module's preamble (shellcheck directive, #% lines), keeps a shebang, adds one blank line between modules", () => {
        assert.strictEqual(build.moduleBody("# shellcheck shell=bash disable=SC2154\n#% what it holds\n#%\nf() { :; }\n# kept\n", "m.sh"), "f() { :; }\n# kept\n");
        assert.strictEqual(build.moduleBody("#!/usr/bin/env bash\n#% the header\n# usage\nset -eu\n", "h.sh"), "#!/usr/bin/env bash\n# usage\nset -eu\n");
        assert.throws(() => build.moduleBody("#% x\nf() { :; }\n\n", "m.sh"), /m\.sh: must end with exactly one newline/);
        assert.throws(() => build.moduleBody("#% x\n\nf() { :; }\n", "m.sh"), /m\.sh: must end with exactly one newline and not start with a blank line/);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-apply-join-"));
        try {
            for (const m of build.MODULES) fs.writeFileSync(path.join(dir, m), `# shellcheck shell=bash\n#% ${m}\n# ${m}\n`);
            assert.strictEqual(build.join(dir), build.MODULES.map((m) => `# ${m}\n`).join("\n"));
            assert.strictEqual(build.MODULES[0], "header.sh");
            assert.strictEqual(build.MODULES[build.MODULES.length - 1], "main.sh");
            fs.writeFileSync(path.join(dir, "extra.sh"), "# shellcheck shell=bash\nx=1\n");
            assert.throws(() => build.join(dir), /differ from MODULES in dev\/build-apply-script\.js/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("every module is linted alone: it starts with a shellcheck directive (header.sh: the shebang) and says what it holds", () => {
        for (const m of build.MODULES) {
            const text = fs.readFileSync(path.join(build.MODULE_DIR, m), "utf8");
            assert.match(text, m === "header.sh" ? /^#!\/usr\/bin\/env bash\n#% / : /^# shellcheck shell=bash[^\n]*\n#% /, m);
        }
    });

    it("--check fails on a stale built file and passes once it is rebuilt", function () {
        this.timeout(20000);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-apply-build-"));
        try {
            fs.mkdirSync(path.join(dir, "dev"));
            fs.copyFileSync(BUILDER, path.join(dir, "dev/build-apply-script.js"));
            fs.cpSync(path.join(ROOT, "components/docker-host/scripts"), path.join(dir, "components/docker-host/scripts"), { recursive: true });
            const run = (...args: string[]) => spawnSync(process.execPath, [path.join(dir, "dev/build-apply-script.js"), ...args], { encoding: "utf8" });
            assert.strictEqual(run("--check").status, 0);
            fs.appendFileSync(path.join(dir, "components/docker-host/scripts/apply/claims.sh"), "# an edit\n");
            const stale = run("--check");
            assert.strictEqual(stale.status, 1);
            assert.match(stale.stderr, /apply-docker-config\.sh is not the join of components\/docker-host\/scripts\/apply\/\*\.sh; run npm run build:apply/);
            assert.strictEqual(run().status, 0);
            assert.strictEqual(run("--check").status, 0);
            assert.match(fs.readFileSync(path.join(dir, "components/docker-host/scripts/apply-docker-config.sh"), "utf8"), /# an edit\n\n\[ "\$\(id -u\)" = 0 \]/);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
