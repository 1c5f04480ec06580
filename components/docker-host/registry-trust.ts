import { ManagedFile } from "./bundle";

/** A registry this host trusts over verified TLS: its address as clients write it, and its CA. */
export interface RegistryTrust {
    /** `host:port` (docker looks the directory up by exactly what an image reference says). */
    address: string;
    /** The CA certificate (PEM) that signed the registry's server certificate. */
    caCert: string;
}

/** Docker's per-registry trust directories; dockerd reads them on use (no restart, no reload). */
const CERTS_D = "/etc/docker/certs.d";

export const certsDirPath = (address: string) => `${CERTS_D}/${address}/ca.crt`;

/** Whether dockerd reads this file on each use, so writing it needs neither a restart nor a reload (the apply script's read_per_use). */
export const isReadPerUse = (path: string) => path.startsWith(`${CERTS_D}/`);

/** The public ca.crt files for a host's bundle (certificates are public: shown in the preview). */
export function registryTrustFiles(trust: RegistryTrust[]): ManagedFile[] {
    return trust.map((t) => ({ path: certsDirPath(t.address), mode: "0644", content: t.caCert.endsWith("\n") ? t.caCert : `${t.caCert}\n` }));
}
