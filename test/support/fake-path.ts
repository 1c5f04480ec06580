// Fake executables first on PATH, for tests of code that runs ssh, docker and friends.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** Runs `fn` with fake executables (name → script, given the temp dir) first on PATH; the dir is removed after. */
export async function withFakes(fakes: (dir: string) => Record<string, string>, fn: (dir: string) => Promise<void>): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-observe-"));
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin);
    for (const [name, text] of Object.entries(fakes(dir))) fs.writeFileSync(path.join(bin, name), text, { mode: 0o755 });
    const oldPath = process.env.PATH;
    process.env.PATH = `${bin}:${oldPath}`;
    try {
        await fn(dir);
    } finally {
        process.env.PATH = oldPath;
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
