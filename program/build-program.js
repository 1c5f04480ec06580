// Builds the Pulumi program as JavaScript (issue 13: no ts-node at deploy time) into
// build/program/: tsc transpiles index.ts, program/ and components/ (tsconfig.program.json, no
// type-check: `npm run build` does that), the host scripts the components read next to their
// JavaScript are copied beside it, and build/program/.sources records the digest of every input,
// which program.js compares on every run so the compiled program is never stale.
"use strict";
const { spawnSync } = require("child_process");
const crypto = require("crypto");
const fs = require("fs");
const path = require("path");

const ROOT = path.resolve(__dirname, "..");
const OUT = path.join(ROOT, "build", "program");
const STAMP = path.join(OUT, ".sources");

/** Every file the compiled program is made of, sorted: sources, scripts, the tsconfigs, the lockfile. */
function inputs() {
    const out = [];
    const walk = (rel) => {
        const abs = path.join(ROOT, rel);
        for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
            const r = path.join(rel, e.name);
            if (e.isDirectory()) walk(r);
            else if ((/\.ts$/.test(e.name) && !/\.test\.ts$/.test(e.name)) || /\.sh$/.test(e.name)) out.push(r);
        }
    };
    walk("program");
    walk("components");
    out.push("index.ts", "tsconfig.json", "tsconfig.program.json", "package-lock.json");
    return out.sort();
}

/** Digest of the inputs' paths and contents. */
function digest() {
    const h = crypto.createHash("sha256");
    for (const f of inputs()) h.update(`${f}\0`).update(fs.readFileSync(path.join(ROOT, f))).update("\0");
    return h.digest("hex");
}

function fresh() {
    try {
        return fs.readFileSync(STAMP, "utf8").trim() === digest() && fs.existsSync(path.join(OUT, "index.js"));
    } catch {
        return false;
    }
}

function build() {
    const t0 = Date.now();
    const want = digest();
    // Built beside, then swapped in: a program run that is loading the old build meanwhile keeps
    // whole files.
    const tmp = `${OUT}.tmp-${process.pid}`;
    fs.rmSync(tmp, { recursive: true, force: true });
    const tsc = require.resolve("typescript/bin/tsc", { paths: [ROOT] });
    const r = spawnSync(process.execPath, [tsc, "-p", path.join(ROOT, "tsconfig.program.json"), "--outDir", tmp], { stdio: ["ignore", "inherit", "inherit"] });
    if (r.status !== 0) throw new Error(`build-program: tsc failed (exit ${r.status}); run npx tsc -p tsconfig.program.json`);
    for (const f of inputs().filter((x) => x.endsWith(".sh"))) {
        fs.mkdirSync(path.dirname(path.join(tmp, f)), { recursive: true });
        fs.copyFileSync(path.join(ROOT, f), path.join(tmp, f));
    }
    fs.writeFileSync(path.join(tmp, ".sources"), `${want}\n`);
    const old = `${OUT}.old-${process.pid}`;
    if (fs.existsSync(OUT)) fs.renameSync(OUT, old);
    fs.renameSync(tmp, OUT);
    fs.rmSync(old, { recursive: true, force: true });
    process.stderr.write(`build-program: build/program/ written in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

module.exports = { build, fresh, digest, inputs, OUT };

if (require.main === module) {
    if (process.argv.includes("--if-stale") && fresh()) process.exit(0);
    build();
}
