// Creates the fleet CA and the registry's server certificate (npm run registry-tls). Signing
// happens here, once per renewal, never in the program: a certificate made on every run would be
// a diff on every run, and the program would need the CA key.
// @peculiar/x509 on Node's WebCrypto; its dependency injection (tsyringe) needs the Reflect polyfill.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { randomBytes, webcrypto } from "crypto";
import { isIpAddress } from "../../components/common/net";

const crypto = webcrypto as unknown as Crypto;
x509.cryptoProvider.set(crypto);

// ECDSA P-256: Go's TLS (the registry, dockerd) and every current client take it; small keys.
const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY = 86400000;

export interface Pem { cert: string; key: string }

/** A positive 128-bit serial (RFC 5280: unique per CA, ≤ 20 octets). */
function serial(): string {
    const b = randomBytes(16);
    b[0] &= 0x7f;
    b[0] |= 0x01;
    return b.toString("hex");
}

async function keyPem(k: CryptoKey): Promise<string> {
    return x509.PemConverter.encode(await crypto.subtle.exportKey("pkcs8", k), "PRIVATE KEY");
}

/** A self-signed CA that may sign server certificates only (pathLen 0). */
export async function createCa(o: { commonName: string; days: number; now?: Date }): Promise<Pem> {
    const now = o.now ?? new Date();
    const keys = await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: serial(),
        name: `CN=${o.commonName}`,
        notBefore: new Date(now.getTime() - 5 * 60000), // tolerate hosts whose clocks run a little behind
        notAfter: new Date(now.getTime() + o.days * DAY),
        signingAlgorithm: ALG,
        keys,
        extensions: [
            new x509.BasicConstraintsExtension(true, 0, true),
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
            await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        ],
    });
    return { cert: cert.toString("pem") + "\n", key: (await keyPem(keys.privateKey)) + "\n" };
}

/** A server certificate for `names` (IPs become IP SANs, the rest DNS SANs), signed by the CA. */
export async function issueServerCert(o: { ca: Pem; names: string[]; days: number; now?: Date }): Promise<Pem> {
    if (o.names.length === 0) throw new Error("a server certificate needs at least one name or address");
    const now = o.now ?? new Date();
    const ca = new x509.X509Certificate(o.ca.cert);
    const caKey = await crypto.subtle.importKey("pkcs8", x509.PemConverter.decode(o.ca.key)[0], ALG, false, ["sign"]);
    const keys = await crypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
    const notAfter = new Date(Math.min(now.getTime() + o.days * DAY, ca.notAfter.getTime()));
    const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${o.names[0]}`,
        issuer: ca.subject,
        notBefore: new Date(now.getTime() - 5 * 60000),
        notAfter,
        signingAlgorithm: ALG,
        publicKey: keys.publicKey,
        signingKey: caKey,
        extensions: [
            new x509.BasicConstraintsExtension(false, undefined, true),
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
            new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
            new x509.SubjectAlternativeNameExtension(o.names.map((n) => ({ type: isIpAddress(n) ? "ip" as const : "dns" as const, value: n }))),
            await x509.AuthorityKeyIdentifierExtension.create(ca),
            await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
        ],
    });
    return { cert: cert.toString("pem") + "\n", key: (await keyPem(keys.privateKey)) + "\n" };
}
