import { ManagedFile } from "./bundle";

/** A registry this host trusts over verified TLS: its address as clients write it, and its CA. */
export interface RegistryTrust {
    /** `host:port` (docker looks the directory up by exactly what an image reference says). */
    address: string;
    /** The CA certificate (PEM) that signed the registry's server certificate. */
    caCert: string;
}

/** Docker's per-registry trust directory; dockerd reads it on use (no restart, no reload). */
export const certsDirPath = (address: string) => `/etc/docker/certs.d/${address}/ca.crt`;

/** The public ca.crt files for a host's bundle (certificates are public: shown in the preview). */
export function registryTrustFiles(trust: RegistryTrust[]): ManagedFile[] {
    return trust.map((t) => ({ path: certsDirPath(t.address), mode: "0644", content: t.caCert.endsWith("\n") ? t.caCert : `${t.caCert}\n` }));
}
