// The system ssh client (the program's probe, the docker provider's ssh:// host) verifies a host
// against a known_hosts file: dockfleet writes one per pinned key, named by its content's hash, so
// the docker provider's sshOpts stay the same between runs while the key does. The files live in
// a 0700 directory of this user that outlives the run (`pulumi destroy` and `refresh` run the
// docker provider from the state's sshOpts without the program, so the file must still be there).
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HostKey, isHostKey, knownHostsLine, parseHostKey } from "./host-keys";

/** `$DOCKFLEET_KNOWN_HOSTS_DIR`, else `${XDG_STATE_HOME:-~/.local/state}/dockfleet/known_hosts`. */
export function knownHostsDirPath(env: NodeJS.ProcessEnv = process.env): string {
    if (env.DOCKFLEET_KNOWN_HOSTS_DIR) return env.DOCKFLEET_KNOWN_HOSTS_DIR;
    return path.join(env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state"), "dockfleet", "known_hosts");
}

/**
 * The directory, created 0700 (parents too); throws when it exists but is not a directory of this
 * user closed to others (another user could put their key in it).
 */
export function knownHostsDir(dir = knownHostsDirPath()): string {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(dir);
    const uid = process.getuid?.() ?? 0;
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) {
        throw new Error(`${dir} must be a directory of uid ${uid} closed to others (mode 0700) to hold pinned SSH host keys`);
    }
    return dir;
}

/** The known_hosts file pinning `key` for the host: `<dir>/<hash of its line>`, written 0600 once. */
export function pinnedKnownHostsFile(address: string, port: number | undefined, key: HostKey | string, dir?: string): string {
    const text = `${knownHostsLine(address, port, key)}\n`;
    const d = knownHostsDir(dir);
    const file = path.join(d, createHash("sha256").update(text).digest("hex").slice(0, 24));
    if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text) {
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, text, { mode: 0o600 });
        fs.renameSync(tmp, file);
    }
    return file;
}

/** How the system ssh client checks a host: `hostKey` pinned, or (the explicit opt-out) not at all. */
export interface HostKeyCheck {
    address: string;
    port?: number;
    /** The pinned key (`ssh-ed25519 AAAA...`). */
    hostKey?: string;
    /** Accept any key (dockfleet:ssh.insecureIgnoreHostKeys). */
    insecure?: boolean;
}

/**
 * ssh `-o` options that verify the host: strict checking against the pinned key's own file only
 * (no global file, no updates), the pinned type asked for. Throws without a key and without the
 * opt-out: nothing connects unverified by accident.
 */
export function hostKeySshOptions(c: HostKeyCheck, dir?: string): string[] {
    if (c.hostKey === undefined) {
        if (c.insecure) return ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=none", "-o", "GlobalKnownHostsFile=none"];
        throw new Error(`no pinned SSH host key for ${c.address}`);
    }
    const k = parseHostKey(c.hostKey);
    if (!isHostKey(k)) throw new Error(`the pinned SSH host key of ${c.address} ${k.error}`);
    const file = pinnedKnownHostsFile(c.address, c.port, k, dir);
    return ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${file}`, "-o", "GlobalKnownHostsFile=none", "-o", `HostKeyAlgorithms=${k.type}`, "-o", "UpdateHostKeys=no"];
}
