// Pinned SSH host keys: parsing a key in authorized_keys form, its SHA256 fingerprint as ssh-keygen
// prints it, known_hosts lookup (plain, wildcard and hashed `|1|` entries) and rendering. Pure: the
// files are written by known-hosts.ts, the hosts are read by ssh-keyscan elsewhere.
import { createHash, createHmac } from "crypto";

/**
 * Key types dockfleet pins. The command provider asks the host for exactly the pinned key's type
 * (its HostKeyAlgorithms is the key's type), so one key of a type every current sshd offers.
 */
export const HOST_KEY_TYPES = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"] as const;
export type HostKeyType = (typeof HOST_KEY_TYPES)[number];

/** The type `hostkeys` collects and the sandbox pins. */
export const PREFERRED_HOST_KEY_TYPE: HostKeyType = "ssh-ed25519";

export interface HostKey {
    type: HostKeyType;
    /** The base64 key blob. */
    base64: string;
    /** `type base64`, without a comment: what is pinned and compared. */
    text: string;
}

/** Reads an SSH string (uint32 length + bytes) at `off`; undefined past the end. */
function sshString(buf: Buffer, off: number): { value: Buffer; next: number } | undefined {
    if (off + 4 > buf.length) return undefined;
    const len = buf.readUInt32BE(off);
    if (off + 4 + len > buf.length) return undefined;
    return { value: buf.subarray(off + 4, off + 4 + len), next: off + 4 + len };
}

/**
 * Parses one public key in authorized_keys form (`ssh-ed25519 AAAA... [comment]`): a known type,
 * base64 that decodes, and a blob whose embedded type is the same. Returns the key, or why not.
 */
export function parseHostKey(text: string): HostKey | { error: string } {
    const fields = String(text ?? "").trim().split(/\s+/);
    const [type, b64] = fields;
    if (!type || !b64) return { error: 'must be one public key in authorized_keys form ("ssh-ed25519 AAAA...")' };
    if (type === "ssh-rsa" || type.startsWith("rsa-sha2-")) return { error: `"${type}": pin the host's ed25519 key (ssh-keyscan -t ed25519 HOST); RSA host keys are not pinned` };
    if (!(HOST_KEY_TYPES as readonly string[]).includes(type)) return { error: `"${type}" is not a host key type dockfleet pins (${HOST_KEY_TYPES.join(", ")})` };
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return { error: `the key of type ${type} is not base64` };
    const blob = Buffer.from(b64, "base64");
    const embedded = sshString(blob, 0);
    if (!embedded || embedded.value.toString("latin1") !== type) {
        return { error: `the key's blob is not an ${type} key${embedded ? ` (it holds "${embedded.value.toString("latin1").slice(0, 40)}")` : ""}` };
    }
    const body = sshString(blob, embedded.next);
    if (type === "ssh-ed25519" && (!body || body.value.length !== 32 || body.next !== blob.length)) return { error: "the ssh-ed25519 key's blob does not hold a 32-byte key" };
    if (type !== "ssh-ed25519" && (!body || body.value.toString("latin1") !== type.replace("ecdsa-sha2-", ""))) return { error: `the ${type} key's blob names another curve` };
    return { type: type as HostKeyType, base64: b64, text: `${type} ${b64}` };
}

export const isHostKey = (k: HostKey | { error: string }): k is HostKey => !("error" in k);

/** `SHA256:<base64 of the blob's SHA-256, no padding>`, as `ssh-keygen -l` prints it. */
export function fingerprint(key: HostKey | string): string {
    const k = typeof key === "string" ? parseHostKey(key) : key;
    if (!isHostKey(k)) throw new Error(`not a host key: ${k.error}`);
    return `SHA256:${createHash("sha256").update(Buffer.from(k.base64, "base64")).digest("base64").replace(/=+$/, "")}`;
}

/** How known_hosts names a host: `address` on port 22, else `[address]:port`. */
export function knownHostsName(address: string, port = 22): string {
    return port === 22 ? address : `[${address}]:${port}`;
}

/** One known_hosts line pinning `key` for the host. */
export function knownHostsLine(address: string, port: number | undefined, key: HostKey | string): string {
    const k = typeof key === "string" ? parseHostKey(key) : key;
    if (!isHostKey(k)) throw new Error(`not a host key: ${k.error}`);
    return `${knownHostsName(address, port)} ${k.text}`;
}

/** ssh's glob (`*`, `?`), case-insensitive as ssh matches host names. */
function globMatch(pattern: string, name: string): boolean {
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`, "i");
    return re.test(name);
}

/** Whether a known_hosts host field (comma-separated patterns, `!negations`, or one hashed `|1|salt|hash`) names `name`. */
export function hostFieldMatches(field: string, name: string): boolean {
    if (field.startsWith("|1|")) {
        const [, , salt, hash] = field.split("|");
        if (!salt || !hash) return false;
        return createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64") === hash;
    }
    let matched = false;
    for (const p of field.split(",")) {
        if (p.startsWith("!")) {
            if (globMatch(p.slice(1), name)) return false;
        } else if (globMatch(p, name)) {
            matched = true;
        }
    }
    return matched;
}

/**
 * The keys a known_hosts text holds for the host (plain, wildcard and hashed entries; comments,
 * blank lines and @cert-authority lines skipped; keys listed @revoked left out), ed25519 first.
 * Keys of types dockfleet does not pin (RSA) are left out.
 */
export function keysFor(knownHosts: string, address: string, port = 22): HostKey[] {
    const name = knownHostsName(address, port);
    const found: HostKey[] = [];
    const revoked = new Set<string>();
    for (const raw of knownHosts.split("\n")) {
        const line = raw.trim();
        if (!line || line.startsWith("#")) continue;
        let fields = line.split(/\s+/);
        let marker = "";
        if (fields[0].startsWith("@")) [marker, ...fields] = fields;
        if (fields.length < 3 || !hostFieldMatches(fields[0], name)) continue;
        const k = parseHostKey(`${fields[1]} ${fields[2]}`);
        if (marker === "@revoked") revoked.add(`${fields[1]} ${fields[2]}`);
        else if (!marker && isHostKey(k) && !found.some((f) => f.text === k.text)) found.push(k);
    }
    const rank = (t: HostKeyType) => HOST_KEY_TYPES.indexOf(t);
    return found.filter((k) => !revoked.has(k.text)).sort((a, b) => rank(a.type) - rank(b.type));
}

/** The command an operator runs to collect (or, with rotate, replace) a stack's pinned host keys. */
export function hostkeysCommand(stack: string | undefined, host?: string, rotate = false): string {
    return `npm run hostkeys -- --stack ${stack ?? "STACK"}${host ? ` --host ${host}` : ""}${rotate ? " --rotate" : ""}`;
}
