import * as assert from "assert";
import { X509Certificate } from "crypto";
import { createCa, issueServerCert } from "../../cli/registry-tls/generate";
import { certFacts, tlsSummary, validateRegistryTls } from "./tls";

const NOW = new Date("2030-01-01T00:00:00Z");
const DAY = 86400000;

describe("registry TLS material (generated, parsed back with node:crypto)", function () {
    this.timeout(20000);
    let ca: { cert: string; key: string };
    let server: { cert: string; key: string };
    before(async () => {
        ca = await createCa({ commonName: "dockfleet test CA", days: 3650, now: NOW });
        server = await issueServerCert({ ca, names: ["10.232.0.11", "registry.example.com"], days: 90, now: NOW });
    });

    it("the CA: a CA, self-signed, 10 years, an ECDSA P-256 key", () => {
        const c = new X509Certificate(ca.cert);
        assert.strictEqual(c.ca, true);
        assert.strictEqual(c.subject, "CN=dockfleet test CA");
        assert.ok(c.checkIssued(c) && c.verify(c.publicKey));
        assert.strictEqual(new Date(c.validTo).getTime(), NOW.getTime() + 3650 * DAY);
        assert.match(ca.key, /^-----BEGIN PRIVATE KEY-----\n/);
        assert.deepStrictEqual([c.publicKey.asymmetricKeyType, c.publicKey.asymmetricKeyDetails?.namedCurve], ["ec", "prime256v1"]);
    });

    it("the server certificate: IP SAN for the IP, DNS SAN for the name, not a CA, serverAuth, signed by the CA, 90 days", () => {
        const c = new X509Certificate(server.cert);
        assert.strictEqual(c.subjectAltName, "IP Address:10.232.0.11, DNS:registry.example.com");
        assert.strictEqual(c.ca, false);
        assert.deepStrictEqual(c.keyUsage, ["1.3.6.1.5.5.7.3.1"]); // extendedKeyUsage serverAuth
        assert.strictEqual(c.issuer, "CN=dockfleet test CA");
        assert.ok(c.verify(new X509Certificate(ca.cert).publicKey));
        assert.strictEqual(new Date(c.validFrom).getTime(), NOW.getTime() - 5 * 60000);
        assert.strictEqual(new Date(c.validTo).getTime(), NOW.getTime() + 90 * DAY);
        assert.deepStrictEqual(certFacts(server.cert, NOW), { notAfter: new Date(NOW.getTime() + 90 * DAY), daysLeft: 90, dnsNames: ["registry.example.com"], ips: ["10.232.0.11"], isCa: false });
        assert.strictEqual(tlsSummary(server.cert, NOW), "registry TLS certificate valid until 2030-04-01T00:00:00.000Z (90 days left; names registry.example.com, 10.232.0.11)");
    });

    it("a server certificate never outlives its CA", async () => {
        const short = await createCa({ commonName: "short", days: 10, now: NOW });
        const s = await issueServerCert({ ca: short, names: ["10.0.0.1"], days: 365, now: NOW });
        assert.strictEqual(new X509Certificate(s.cert).validTo, new X509Certificate(short.cert).validTo);
    });

    it("valid, naming the address, with its own key: no issue", () => {
        assert.deepStrictEqual(validateRegistryTls({ caCert: ca.cert, cert: server.cert }, "10.232.0.11", { key: server.key, keyField: "registryTlsKey", stack: "s", now: NOW }), []);
        assert.deepStrictEqual(validateRegistryTls({ caCert: ca.cert, cert: server.cert }, "registry.example.com", { keyField: "k", stack: "s", now: NOW }), []);
    });

    it("another address, a foreign key, another CA: errors naming the field and the fix", async () => {
        const other = await createCa({ commonName: "other CA", days: 3650, now: NOW });
        const issues = validateRegistryTls({ caCert: other.cert, cert: server.cert }, "10.232.0.12", { key: ca.key, keyField: "dockfleet:registryTlsKey", stack: "s", now: NOW });
        assert.deepStrictEqual(issues.map((i) => [i.severity, i.field]), [["error", "tls.cert"], ["error", "tls.cert"], ["error", "dockfleet:registryTlsKey"]]);
        assert.match(issues[0].message, /is not signed by tls\.caCert \(CN=other CA\)/);
        assert.strictEqual(issues[1].message, "does not name the registry's address 10.232.0.12 (its names: DNS:registry.example.com, IP:10.232.0.11); an IP needs an IP SAN; renew with: npm run registry-tls -- --stack s --renew, then pulumi up");
        assert.match(issues[2].message, /does not belong to tls\.cert/);
    });

    it("under 30 days left: a warning with the days; expired: an error; the server cert as CA: an error", () => {
        const soon = validateRegistryTls({ caCert: ca.cert, cert: server.cert }, "10.232.0.11", { keyField: "k", stack: "s", now: new Date(NOW.getTime() + 70 * DAY) });
        assert.deepStrictEqual(soon, [{ severity: "warning", field: "tls.cert", message: "expires in 20 days (2030-04-01T00:00:00.000Z); renew with: npm run registry-tls -- --stack s --renew, then pulumi up" }]);
        const late = validateRegistryTls({ caCert: ca.cert, cert: server.cert }, "10.232.0.11", { keyField: "k", stack: "s", now: new Date(NOW.getTime() + 91 * DAY) });
        assert.deepStrictEqual(late.map((i) => [i.severity, i.field]), [["error", "tls.cert"]]);
        assert.match(late[0].message, /^expired on 2030-04-01T00:00:00\.000Z; renew with/);
        const notCa = validateRegistryTls({ caCert: server.cert, cert: server.cert }, "10.232.0.11", { keyField: "k", stack: "s", now: NOW });
        assert.match(notCa[0].message, /is not a CA certificate/);
        assert.strictEqual(validateRegistryTls({ caCert: "nope", cert: server.cert }, "10.232.0.11", { keyField: "k", stack: "s", now: NOW })[0].field, "tls.caCert");
    });
});
