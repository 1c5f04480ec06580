// Builds components/docker-host/scripts/apply-docker-config.sh from its modules
// (components/docker-host/scripts/apply/*.sh, one concern each). The apply script must stay ONE
// file: it travels to the host base64 in the command line and saves itself there for the rollback
// guard. The built file is committed (every reader of that path keeps working, and a host's command
// changes only when the script does); apply-build.test.ts fails when it is not the join of the
// modules.
//
// The join: each module in MODULES order, its leading preamble lines dropped (`# shellcheck ...`
// directives for linting the module alone, `#%` lines describing it; in header.sh they follow the
// shebang, which shellcheck wants on line 1), the rest verbatim, one blank line between modules.
// No timestamp or path goes in: the same modules give the same bytes. A module alone has globals
// set in another (STATE, ROOT, HOST, ...), so its directive turns off shellcheck's
// assigned/unassigned checks (SC2034, SC2153, SC2154); the built file is checked with them on.
//
//   node dev/build-apply-script.js          write the built file
//   node dev/build-apply-script.js --check  exit 1 when the committed file is stale
"use strict";
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const MODULE_DIR = path.join(ROOT, "components/docker-host/scripts/apply");
const BUILT = path.join(ROOT, "components/docker-host/scripts/apply-docker-config.sh");

/** Join order: the header (shebang) first, main (the top-level dispatch) last. */
const MODULES = [
    "header.sh",
    "cli.sh",
    "bundle.sh",
    "facts.sh",
    "checks.sh",
    "staging.sh",
    "health.sh",
    "tasks.sh",
    "serve.sh",
    "dockerd.sh",
    "guard.sh",
    "boot-guard.sh",
    "units.sh",
    "rollback.sh",
    "converge.sh",
    "canon.sh",
    "decide.sh",
    "claims.sh",
    "main.sh",
];

const PREAMBLE = /^(# shellcheck |#%( |$))/;

/** A module's shipped text: the file without its leading preamble lines. */
function moduleBody(text, name) {
    const lines = text.split("\n");
    const keep = lines[0].startsWith("#!") ? [lines[0]] : [];
    let i = keep.length;
    while (i < lines.length && PREAMBLE.test(lines[i])) i++;
    const body = [...keep, ...lines.slice(i)].join("\n");
    if (!body.endsWith("\n") || body.endsWith("\n\n") || body.startsWith("\n")) {
        throw new Error(`${name}: must end with exactly one newline and not start with a blank line (the join adds one blank line between modules)`);
    }
    return body;
}

/** The built script's text from the modules in DIR. */
function join(dir = MODULE_DIR) {
    const present = fs.readdirSync(dir).filter((f) => f.endsWith(".sh")).sort();
    const listed = [...MODULES].sort();
    if (present.join(" ") !== listed.join(" ")) {
        throw new Error(`modules in ${dir} (${present.join(" ")}) differ from MODULES in dev/build-apply-script.js (${listed.join(" ")})`);
    }
    return MODULES.map((m) => moduleBody(fs.readFileSync(path.join(dir, m), "utf8"), m)).join("\n");
}

module.exports = { MODULES, MODULE_DIR, BUILT, join, moduleBody };

if (require.main === module) {
    const want = join();
    const rel = path.relative(ROOT, BUILT);
    if (process.argv.includes("--check")) {
        const have = fs.existsSync(BUILT) ? fs.readFileSync(BUILT, "utf8") : "";
        if (have !== want) {
            console.error(`${rel} is not the join of components/docker-host/scripts/apply/*.sh; run npm run build:apply`);
            process.exit(1);
        }
    } else {
        fs.writeFileSync(BUILT, want);
        console.error(`build-apply-script: ${rel} written from ${MODULES.length} modules`);
    }
}
