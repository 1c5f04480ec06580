// @dockfleet/components as a user gets it: `npm pack` of packages/components and an examples/*
// program copied out of the repository and npm-installed from that tarball. Shared by the unit
// suite (under mocks) and the e2e suite (on the real engine).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

export const ROOT = path.resolve(__dirname, "../..");
export const PKG_DIR = path.join(ROOT, "packages", "components");

export function run(cmd: string, args: string[], cwd: string, timeout = 240000): string {
    const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout, maxBuffer: 256 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: "false" } });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
}

/** `npm pack` (prepack builds dist/) into `dest`: the tarball's path and its file list. */
export function packComponents(dest: string): { tarball: string; files: { path: string }[] } {
    const out = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", dest, "--loglevel=error"], PKG_DIR));
    return { tarball: path.join(dest, out[0].filename), files: out[0].files };
}

/** Copies examples/<name> into `tmp`, points it at `tarball` and npm-installs it; returns its directory. */
export function installExample(tmp: string, tarball: string, name: string): string {
    const dir = path.join(tmp, name);
    fs.cpSync(path.join(ROOT, "examples", name), dir, { recursive: true, filter: (src) => !/\/(node_modules|bin)$/.test(src) });
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    pkg.dependencies["@dockfleet/components"] = `file:${tarball}`;
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(pkg, null, 2));
    // --prefer-offline: the root's `npm ci` filled the cache with these exact versions.
    // --ignore-scripts: @pulumi/command's install script fetches a plugin (the engine here has its own).
    run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts", "--loglevel=error"], dir);
    return dir;
}
