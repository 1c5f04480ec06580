// The local stack's registry secrets in plain text, for the plaintext scans: a middle line of the
// CA key and of the server key (their first lines are ASN.1 headers every P-256 key shares), and
// the fleet user's password (committed encrypted; this is the sandbox's throwaway value).
import { pulumiCli } from "./lib";

export const REGISTRY_PASSWORD = "sandbox-registry-fleet-pw-2c9e";

function keyLine(key: string): string {
    const r = pulumiCli(["config", "get", key]);
    const body = r.out.split("\n").filter((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l));
    if (r.code !== 0 || body.length < 2) throw new Error(`pulumi config get ${key}: ${r.out}`);
    return body[1];
}

/** [CA key line, server key line, password]: none may appear in state, outputs or logs. */
export function registrySecretNeedles(): string[] {
    return [keyLine("dockfleet:registryCaKey"), keyLine("dockfleet:registryTlsKey"), REGISTRY_PASSWORD];
}
