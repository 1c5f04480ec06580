// The registry's TLS material, checked with Node's own X.509 parser (node:crypto): the program
// never needs the CA key (only `npm run registry-tls` signs), so it never enters state.
import { X509Certificate, createPrivateKey } from "crypto";
import { Issue, error, warning } from "../common/issues";
import { isIpAddress } from "../common/net";

/** A server certificate and the CA that signed it (PEM). */
export interface RegistryTlsFiles {
    /** The fleet CA's certificate, installed on every host as certs.d/<address>/ca.crt. */
    caCert: string;
    /** The registry's server certificate (leaf; may be followed by intermediates). */
    cert: string;
}

/** Days under which the preview warns about the server certificate. */
export const RENEW_WARN_DAYS = 30;
export const RENEW_COMMAND = (stack: string) => `npm run registry-tls -- --stack ${stack} --renew, then pulumi up`;

export interface CertFacts {
    notAfter: Date;
    daysLeft: number;
    /** DNS names and IPs from subjectAltName. */
    dnsNames: string[];
    ips: string[];
    isCa: boolean;
}

const DAY = 86400000;

export function certFacts(pem: string, now: Date): CertFacts {
    const c = new X509Certificate(pem);
    const sans = (c.subjectAltName ?? "").split(/,\s*/).filter((s) => s);
    const notAfter = new Date(c.validTo);
    return {
        notAfter,
        daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / DAY),
        dnsNames: sans.filter((s) => s.startsWith("DNS:")).map((s) => s.slice(4)),
        ips: sans.filter((s) => s.startsWith("IP Address:")).map((s) => s.slice(11)),
        isCa: c.ca,
    };
}

/** Whether the certificate names `address` the way Go's TLS client checks it (an IP needs an IP SAN). */
export function certNames(pem: string, address: string): boolean {
    const c = new X509Certificate(pem);
    return isIpAddress(address) ? c.checkIP(address) !== undefined : c.checkHost(address, { subject: "never" }) !== undefined;
}

/**
 * Every check the preview makes, before any host is touched: both PEMs parse, the CA is a CA and
 * signed the server certificate, the server key (when given) belongs to it, it names `address`,
 * and it is valid now (expired: an error; under RENEW_WARN_DAYS: a warning). Fields are relative
 * to `registry` (`tls.cert`); the key's field is `keyField`.
 */
export function validateRegistryTls(tls: RegistryTlsFiles, address: string, o: { key?: string; keyField: string; stack: string; now: Date }): Issue[] {
    const issues: Issue[] = [];
    let ca: X509Certificate | undefined;
    let cert: X509Certificate | undefined;
    try { ca = new X509Certificate(tls.caCert); } catch (e) { issues.push(error("tls.caCert", `is not a PEM certificate (${(e as Error).message})`)); }
    try { cert = new X509Certificate(tls.cert); } catch (e) { issues.push(error("tls.cert", `is not a PEM certificate (${(e as Error).message})`)); }
    const fix = `renew with: ${RENEW_COMMAND(o.stack)}`;
    if (ca && !ca.ca) issues.push(error("tls.caCert", `"${ca.subject.replace(/\n/g, ", ")}" is not a CA certificate (basicConstraints CA:FALSE)`));
    if (ca && cert && !cert.verify(ca.publicKey)) issues.push(error("tls.cert", `is not signed by tls.caCert (${ca.subject.replace(/\n/g, ", ")}); hosts trusting that CA would refuse it; ${fix}`));
    if (cert && !certNames(tls.cert, address)) {
        const f = certFacts(tls.cert, o.now);
        issues.push(error("tls.cert", `does not name the registry's address ${address} (its names: ${[...f.dnsNames.map((d) => `DNS:${d}`), ...f.ips.map((i) => `IP:${i}`)].join(", ") || "none"}); ${isIpAddress(address) ? "an IP needs an IP SAN; " : ""}${fix}`));
    }
    if (cert && o.key !== undefined) {
        try {
            if (!cert.checkPrivateKey(createPrivateKey(o.key))) issues.push(error(o.keyField, "does not belong to tls.cert (another key pair); run the registry-tls command again"));
        } catch (e) {
            issues.push(error(o.keyField, `is not a PEM private key (${(e as Error).message})`));
        }
    }
    for (const [field, c] of [["tls.caCert", ca], ["tls.cert", cert]] as const) {
        if (!c) continue;
        const notAfter = new Date(c.validTo);
        const days = Math.floor((notAfter.getTime() - o.now.getTime()) / DAY);
        if (new Date(c.validFrom).getTime() > o.now.getTime()) issues.push(error(field, `is not valid before ${new Date(c.validFrom).toISOString()} (this machine's clock, or the certificate, is wrong)`));
        else if (notAfter.getTime() <= o.now.getTime()) issues.push(error(field, `expired on ${notAfter.toISOString()}; ${field === "tls.caCert" ? "create a new CA: npm run registry-tls -- --stack " + o.stack + " --new-ca, then pulumi up" : fix}`));
        else if (days < RENEW_WARN_DAYS) issues.push(warning(field, `expires in ${days} days (${notAfter.toISOString()}); ${fix}`));
    }
    return issues;
}

/** The preview's info line: the server certificate's days left. */
export function tlsSummary(certPem: string, now: Date): string {
    const f = certFacts(certPem, now);
    return `registry TLS certificate valid until ${f.notAfter.toISOString()} (${f.daysLeft} days left; names ${[...f.dnsNames, ...f.ips].join(", ")})`;
}
