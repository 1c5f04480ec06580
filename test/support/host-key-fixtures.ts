// Well-formed ed25519 host keys for tests, one per seed (its SHA-256 as the 32 key bytes): the same
// seed gives the same key, so a fixture's fingerprint can be written down.
import { createHash } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { knownHostsLine } from "../../components/common/host-keys";

/** `ssh-ed25519 AAAA...` for `seed`. */
export function testHostKey(seed: string): string {
    const part = (b: Buffer) => {
        const len = Buffer.alloc(4);
        len.writeUInt32BE(b.length);
        return Buffer.concat([len, b]);
    };
    const blob = Buffer.concat([part(Buffer.from("ssh-ed25519")), part(createHash("sha256").update(seed).digest())]);
    return `ssh-ed25519 ${blob.toString("base64")}`;
}

/** A known_hosts file (in a new temp directory) with testHostKey(address) for each host. */
export function testKnownHosts(hosts: { address: string; port?: number }[]): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-known-hosts-")), "known_hosts");
    fs.writeFileSync(file, hosts.map((h) => `${knownHostsLine(h.address, h.port, testHostKey(h.address))}\n`).join(""));
    return file;
}
