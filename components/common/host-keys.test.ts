// Host keys by value: keys and fingerprints below were made and printed by ssh-keygen 9.2
// (`ssh-keygen -lf`), the hashed line by `ssh-keygen -H`.
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { fingerprint, hostFieldMatches, keysFor, knownHostsLine, knownHostsName, parseHostKey } from "./host-keys";
import { hostKeySshOptions, knownHostsDir, pinnedKnownHostsFile } from "./known-hosts";
import { testHostKey } from "../../test/support/host-key-fixtures";

const ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIL2TGUmdYF821koGxt+kl82sdxH8trOLMff6wa1hzQyX";
const ED_FP = "SHA256:157Soc8EVlBSgFeFqv64wYCCjlVzC+hQXTcqYyamhsk";
const EC = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBNjwXG8okN/I5enXal7F4Kp+MgnEjJ1y6LWqDQRY0fCxuQe/fps4a1gWkLb2ABL/u65PEpAZcs9WFp1y/1Ue5U0=";
const EC_FP = "SHA256:AnsOW6KMvITtQkMAt/oIUcIPN9SOzGH32nvqU/1pAxA";
const HASHED = "|1|zrecvPF9bFbWAbo2rxcDWTGieYs=|1AqvpKF6iXb+QjvsPzx+AwE/RiY=";

describe("host keys: parse, fingerprint, known_hosts", () => {
    it("parses a key in authorized_keys form (the comment dropped) and prints ssh-keygen's fingerprint", () => {
        assert.deepStrictEqual(parseHostKey(`${ED} root@host1`), { type: "ssh-ed25519", base64: ED.split(" ")[1], text: ED });
        assert.strictEqual(fingerprint(ED), ED_FP);
        assert.strictEqual(fingerprint(`  ${EC} c\n`), EC_FP);
    });

    it("refuses what is not one pinnable key, saying why", () => {
        const err = (t: string) => (parseHostKey(t) as { error: string }).error;
        assert.match(err(""), /one public key in authorized_keys form/);
        assert.match(err("AAAAC3NzaC1lZDI1NTE5AAAAIL2TGUmdYF821koGxt"), /one public key/);
        assert.match(err("ssh-rsa AAAAB3NzaC1yc2E="), /pin the host's ed25519 key/);
        assert.match(err("ssh-dss AAAA"), /not a host key type dockfleet pins/);
        assert.match(err("ssh-ed25519 not*base64"), /not base64/);
        // an ecdsa blob labelled ed25519: the embedded type decides
        assert.match(err(`ssh-ed25519 ${EC.split(" ")[1]}`), /not an ssh-ed25519 key \(it holds "ecdsa-sha2-nistp256"\)/);
        // a truncated ed25519 blob
        assert.match(err(`ssh-ed25519 ${Buffer.from(Buffer.from(ED.split(" ")[1], "base64").subarray(0, 40)).toString("base64")}`), /32-byte key/);
        assert.throws(() => fingerprint("ssh-ed25519 xx"), /not a host key/);
    });

    it("known_hosts names: the address on port 22, [address]:port otherwise", () => {
        assert.strictEqual(knownHostsName("10.0.0.5"), "10.0.0.5");
        assert.strictEqual(knownHostsName("10.0.0.5", 2222), "[10.0.0.5]:2222");
        assert.strictEqual(knownHostsLine("10.0.0.5", 2222, `${ED} comment`), `[10.0.0.5]:2222 ${ED}`);
    });

    it("host fields: plain, lists, wildcards, negations, hashed (|1|) entries", () => {
        assert.ok(hostFieldMatches("10.0.0.5", "10.0.0.5"));
        assert.ok(!hostFieldMatches("10.0.0.5", "10.0.0.50"));
        assert.ok(hostFieldMatches("web1,10.0.0.5", "10.0.0.5"));
        assert.ok(hostFieldMatches("10.0.0.*", "10.0.0.5"));
        assert.ok(!hostFieldMatches("10.0.0.*,!10.0.0.5", "10.0.0.5"));
        assert.ok(hostFieldMatches("10.0.0.?", "10.0.0.5") && !hostFieldMatches("10.0.0.?", "10.0.0.55"));
        assert.ok(hostFieldMatches("[10.0.0.5]:2222", "[10.0.0.5]:2222") && !hostFieldMatches("10.0.0.5", "[10.0.0.5]:2222"));
        assert.ok(hostFieldMatches(HASHED, "10.0.0.5"));
        assert.ok(!hostFieldMatches(HASHED, "10.0.0.6"));
    });

    it("keysFor: the host's pinnable keys, ed25519 first; comments, other hosts, RSA, @cert-authority and @revoked keys left out", () => {
        const text = [
            "# a comment",
            "",
            `10.0.0.5 ${EC}`,
            "10.0.0.5 ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7",
            `10.0.0.6 ${ED}`,
            `@cert-authority * ${testHostKey("ca")}`,
            `${HASHED} ${ED}`,
            `10.0.0.5 ${ED} duplicate`,
        ].join("\n");
        assert.deepStrictEqual(keysFor(text, "10.0.0.5").map((k) => k.text), [ED, EC]);
        assert.deepStrictEqual(keysFor(text, "10.0.0.5", 2222), []);
        assert.deepStrictEqual(keysFor(`${text}\n@revoked * ${ED}`, "10.0.0.5").map((k) => k.text), [EC]);
    });
});

describe("known_hosts files for the system ssh client", () => {
    let dir = "";
    before(() => (dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-kh-test-")), "known_hosts")));
    after(() => fs.rmSync(path.dirname(dir), { recursive: true, force: true }));

    it("one 0600 file per pinned key in a 0700 directory, named by its content: the same key, the same path", () => {
        const a = pinnedKnownHostsFile("10.0.0.5", 22, `${ED} c1`, dir);
        const b = pinnedKnownHostsFile("10.0.0.5", 22, `${ED} c2`, dir);
        assert.strictEqual(a, b, "a comment is no change of the pin");
        assert.strictEqual(fs.readFileSync(a, "utf8"), `10.0.0.5 ${ED}\n`);
        assert.strictEqual(fs.statSync(a).mode & 0o777, 0o600);
        assert.strictEqual(fs.statSync(dir).mode & 0o777, 0o700);
        assert.notStrictEqual(pinnedKnownHostsFile("10.0.0.5", 22, EC, dir), a);
        assert.notStrictEqual(pinnedKnownHostsFile("10.0.0.5", 2222, ED, dir), a);
    });

    it("a directory others can write is refused (another user could pin their key)", () => {
        const open = path.join(path.dirname(dir), "open");
        fs.mkdirSync(open, { mode: 0o777 });
        fs.chmodSync(open, 0o777);
        assert.throws(() => knownHostsDir(open), /closed to others/);
    });

    it("ssh options: strict checking against the pinned file only, the pinned type asked for; the opt-out says so; neither: refused", () => {
        const o = hostKeySshOptions({ address: "10.0.0.5", port: 22, hostKey: ED }, dir);
        const file = pinnedKnownHostsFile("10.0.0.5", 22, ED, dir);
        assert.deepStrictEqual(o, ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${file}`, "-o", "GlobalKnownHostsFile=none", "-o", "HostKeyAlgorithms=ssh-ed25519", "-o", "UpdateHostKeys=no"]);
        assert.deepStrictEqual(hostKeySshOptions({ address: "10.0.0.5", insecure: true }, dir), ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=none", "-o", "GlobalKnownHostsFile=none"]);
        assert.throws(() => hostKeySshOptions({ address: "10.0.0.5" }, dir), /no pinned SSH host key for 10.0.0.5/);
        assert.throws(() => hostKeySshOptions({ address: "10.0.0.5", hostKey: "ssh-ed25519 AAAA" }, dir), /pinned SSH host key of 10.0.0.5/);
        assert.ok(!o.join(" ").includes("/dev/null"));
    });
});
