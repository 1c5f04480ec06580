import * as assert from "assert";
import { X509Certificate } from "crypto";
import { currentTls, parseArgs, plan } from "../../cli/registry-tls";

const NOW = new Date("2030-01-01T00:00:00Z");
const cfgOf = (tls: unknown, caKey?: string) => ({
    "dockfleet:hosts": { objectValue: [{ name: "host1", address: "10.232.0.11" }] },
    "dockfleet:registry": { objectValue: { onHost: "host1", ...(tls !== undefined ? { tls } : {}) } },
    ...(caKey ? { "dockfleet:registryCaKey": { value: caKey, secret: true } } : {}),
});

describe("npm run registry-tls (planning, no pulumi)", function () {
    this.timeout(20000);
    const quiet = () => undefined;

    it("no TLS yet: creates a CA and a certificate for the registry's address plus --name", async () => {
        const p = (await plan(parseArgs(["--stack", "s", "--name", "registry.example"]), currentTls(cfgOf(undefined)), NOW, quiet))!;
        assert.strictEqual(p.caIsNew, true);
        const c = new X509Certificate(p.server.cert);
        assert.strictEqual(c.subjectAltName, "IP Address:10.232.0.11, DNS:registry.example");
        assert.ok(c.verify(new X509Certificate(p.ca.cert).publicKey));
    });

    it("a valid certificate is kept; --renew issues a new one under the same CA (hosts' ca.crt unchanged)", async () => {
        const first = (await plan(parseArgs(["--stack", "s"]), currentTls(cfgOf(undefined)), NOW, quiet))!;
        const cur = currentTls(cfgOf({ caCert: first.ca.cert, cert: first.server.cert }, first.ca.key));
        const said: string[] = [];
        assert.strictEqual(await plan(parseArgs(["--stack", "s"]), cur, NOW, (m) => said.push(m)), undefined);
        assert.match(said[0], /names 10\.232\.0\.11 and has 397 days left; nothing to do/);
        const renewed = (await plan(parseArgs(["--stack", "s", "--renew"]), cur, NOW, quiet))!;
        assert.strictEqual(renewed.caIsNew, false);
        assert.strictEqual(renewed.ca.cert, first.ca.cert);
        assert.notStrictEqual(renewed.server.cert, first.server.cert);
        assert.ok(new X509Certificate(renewed.server.cert).verify(new X509Certificate(first.ca.cert).publicKey));
        // a certificate close to expiry is renewed without --renew
        const late = (await plan(parseArgs(["--stack", "s"]), cur, new Date(NOW.getTime() + 380 * 86400000), quiet))!;
        assert.strictEqual(late.caIsNew, false);
    });

    it("a CA certificate without its key (the operator's CA), tls: false, bad arguments: clear errors", async () => {
        const first = (await plan(parseArgs(["--stack", "s"]), currentTls(cfgOf(undefined)), NOW, quiet))!;
        await assert.rejects(plan(parseArgs(["--stack", "s"]), currentTls(cfgOf({ caCert: first.ca.cert, cert: first.server.cert })), NOW, quiet), /no dockfleet:registryCaKey: sign the server certificate with your CA yourself, or pass --ca-cert FILE --ca-key FILE, or --new-ca/);
        await assert.rejects(plan(parseArgs(["--stack", "s"]), currentTls(cfgOf(false)), NOW, quiet), /registry\.tls is false/);
        assert.throws(() => parseArgs(["--stack", "s", "--name", "bad name"]), /--name "bad name" is not an IP address or DNS name/);
        assert.throws(() => parseArgs(["--stack", "s", "--ca-cert", "x"]), /--ca-cert and --ca-key go together/);
        assert.throws(() => parseArgs([]), /--stack NAME is required/);
    });
});
