import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

/** What, besides the context's files, makes a different image (all of it in the tag). */
export interface TagInputs {
    /** Dockerfile path relative to the context. */
    dockerfile: string;
    target?: string;
    /** Non-secret build args only: the proxy args are not part of the image's content. */
    args?: Record<string, string>;
    platform: string;
}

/**
 * Every regular file and symlink under `dir`, as sorted context-relative paths (`/`-separated).
 * Directories are walked; anything else (sockets, fifos) is not part of a docker build context.
 */
export function contextFiles(dir: string): string[] {
    const out: string[] = [];
    const walk = (rel: string) => {
        for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
            const r = rel ? `${rel}/${e.name}` : e.name;
            if (e.isDirectory()) walk(r);
            else if (e.isFile() || e.isSymbolicLink()) out.push(r);
        }
    };
    walk("");
    return out.sort();
}

/**
 * The image tag: a sha256 over the context's content (path, executable bit, the bytes' sha256 per
 * file; a symlink's target) and the Dockerfile, target, args and platform, never over timestamps,
 * owners or the checkout's umask, so the same sources give the same tag on any machine and any
 * changed file gives a new one. Every file counts, also those a .dockerignore leaves out of the
 * build (those only cost a rebuild that changes nothing).
 */
export function contextTag(dir: string, t: TagInputs): string {
    const h = crypto.createHash("sha256");
    const field = (s: string) => h.update(`${s}\0`);
    field("dockfleet-image-tag-v1");
    for (const rel of contextFiles(dir)) {
        const p = path.join(dir, rel);
        const st = fs.lstatSync(p);
        field(rel);
        if (st.isSymbolicLink()) {
            field("link");
            field(fs.readlinkSync(p));
        } else {
            field(st.mode & 0o111 ? "x" : "-");
            field(crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex"));
        }
    }
    field(`dockerfile=${t.dockerfile}`);
    field(`target=${t.target ?? ""}`);
    field(`platform=${t.platform}`);
    for (const [k, v] of Object.entries(t.args ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) field(`arg:${k}=${v}`);
    return h.digest("hex").slice(0, 20);
}
