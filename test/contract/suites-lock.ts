// The sandbox's suite lock for mocha runs of test/contract, test/e2e and test/vm (started directly
// or by dev/test-all.sh, whose children run under its hold): one suite at a time against one
// sandbox; a second one waits (DOCKFLEET_SUITES_LOCK_WAIT seconds) or refuses, naming the holder.
// The lock logic is dev/lib/suites-lock.sh's, shared with test-all.sh.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const LIB = path.resolve(__dirname, "../../dev/lib/suites-lock.sh");
/** Kept open for the life of this process: the lock is held through it (never closed). */
let lockFd: number | undefined;
/** A refusal is final for this process: every later sandbox() call fails the same way at once. */
let refused: Error | undefined;

/** The lock file of sandbox `dir` (dev/lib/suites-lock.sh's suites_lock_file). */
export function suitesLockFile(dir: string): string {
    return `${dir.replace(/\/+$/, "")}.suites.lock`;
}

/**
 * Takes the suite lock of sandbox `dir` for this process, once; a no-op when an ancestor holds it
 * (DOCKFLEET_SUITES_LOCK_HELD). Blocks while it waits; throws, naming the holder, if refused.
 */
export function takeSuitesLock(dir: string): void {
    if (lockFd !== undefined) return;
    if (refused) throw refused;
    const file = suitesLockFile(dir);
    const lib = (fn: string) => ["-c", `source "$0" && ${fn} "$@"`, LIB];
    if (spawnSync("bash", [...lib("suites_lock_inherited"), file, String(process.pid)]).status === 0) {
        lockFd = -1;
        return;
    }
    let fd: number;
    try {
        fd = fs.openSync(file, "a");
    } catch (e) {
        throw new Error(`cannot open the sandbox's suite lock ${file}: ${(e as Error).message} (contract and e2e suites run as root)`);
    }
    // flock on the descriptor passed as fd 3: the lock belongs to the open file, which this
    // process keeps open, so it outlives the bash that took it and ends with this process.
    // (its messages, "waiting ... held by", go straight to stderr while it waits)
    const r = spawnSync("bash", [...lib("suites_lock 3"), file, String(process.pid)], { stdio: ["ignore", "inherit", "inherit", fd] });
    if (r.status !== 0) {
        fs.closeSync(fd);
        const holder = fs.readFileSync(file, "utf8").trim();
        throw (refused = new Error(`refused: the sandbox's suite lock ${file} is held by another suite: ${holder || "(holder unknown)"} (exit ${r.status})`));
    }
    lockFd = fd;
}
