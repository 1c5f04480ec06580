// Builds dist/: tsc (tsconfig.json here), then the shell scripts the components read at run time
// (path.join(__dirname, "scripts", ...)) copied next to the compiled JavaScript, so
// dist/docker-host/bundle.js finds dist/docker-host/scripts/apply-docker-config.sh exactly as
// components/docker-host/bundle.ts finds components/docker-host/scripts/ in the repository.
"use strict";
const { spawnSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const here = __dirname;
const src = path.resolve(here, "../../components");
const dist = path.join(here, "dist");

fs.rmSync(dist, { recursive: true, force: true });
const tsc = require.resolve("typescript/bin/tsc", { paths: [here, path.resolve(here, "../..")] });
const r = spawnSync(process.execPath, [tsc, "-p", path.join(here, "tsconfig.json")], { stdio: "inherit" });
if (r.status !== 0) process.exit(r.status ?? 1);

let copied = 0;
for (const mod of fs.readdirSync(src)) {
    const scripts = path.join(src, mod, "scripts");
    if (!fs.existsSync(scripts)) continue;
    fs.mkdirSync(path.join(dist, mod, "scripts"), { recursive: true });
    for (const f of fs.readdirSync(scripts).filter((n) => n.endsWith(".sh"))) {
        fs.copyFileSync(path.join(scripts, f), path.join(dist, mod, "scripts", f));
        copied++;
    }
}
if (!fs.existsSync(path.join(dist, "index.js")) || !fs.existsSync(path.join(dist, "index.d.ts"))) {
    console.error("build: dist/index.js or dist/index.d.ts missing");
    process.exit(1);
}
console.error(`build: dist/ written (${copied} scripts copied)`);
