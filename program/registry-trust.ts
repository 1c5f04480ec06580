// Stack-config checks for the registry's TLS and authentication (issue 28), run by load.ts before
// anything is registered. Messages name the config key; fixes name the command.
import * as ipaddr from "ipaddr.js";
import { Issue, error, warning } from "../components/common/issues";
import { parseCidr } from "../components/common/net";
import { validateRegistryTls, RENEW_COMMAND } from "../components/registry/tls";
import { validateRegistryUsers } from "../components/registry/htpasswd";
import { StackConfigShape } from "./schema";
import { NAMESPACE } from "./names";

export interface RegistryTrustInput {
    stack: string;
    config: StackConfigShape;
    /** The registry's address as clients use it (`registry.address`, else its host's). */
    host: string;
    port: number;
    tlsKey?: string;
    users?: unknown;
    now: Date;
}

/** True when an insecure-registries entry (host[:port] or CIDR) covers the registry. */
export function coversRegistry(entry: string, host: string, port: number): boolean {
    if (entry === `${host}:${port}` || entry === host) return true;
    const cidr = entry.includes("/") ? parseCidr(entry) : undefined;
    if (!cidr || !ipaddr.isValid(host)) return false;
    const ip = ipaddr.parse(host);
    return ip.kind() === cidr[0].kind() && ip.match(cidr);
}

/** The login user of the fleet's hosts and swarm services: `registry.loginUser`, else the only user. */
export function loginUserOf(config: StackConfigShape, users: Record<string, string> | undefined): string | undefined {
    if (!users) return undefined;
    return config.registry?.loginUser ?? (Object.keys(users).length === 1 ? Object.keys(users)[0] : undefined);
}

/** Issues with full config keys as fields (`dockfleet:registry.tls.cert`). */
export function registryTrustIssues(i: RegistryTrustInput): Issue[] {
    const r = i.config.registry!;
    const k = (f: string) => `${NAMESPACE}:${f}`;
    const out: Issue[] = [];
    const address = `${i.host}:${i.port}`;
    const tls = r.tls === undefined || r.tls === false ? undefined : r.tls;
    if (!tls) {
        out.push(warning(k("registry.tls"), `${r.tls === false ? "is false" : "is not set"}: the registry serves plain HTTP, so every host must list it under insecure-registries and anyone on the network can read or alter what is pulled; create a CA and certificate with: npm run registry-tls -- --stack ${i.stack}`));
    } else {
        if (i.tlsKey === undefined) {
            out.push(error(k("registryTlsKey"), `is required with registry.tls (the server certificate's private key); run: npm run registry-tls -- --stack ${i.stack}`));
        }
        out.push(...validateRegistryTls(tls, i.host, { key: i.tlsKey, keyField: k("registryTlsKey"), stack: i.stack, now: i.now })
            .map((x) => (x.field.startsWith("tls.") ? { ...x, field: k(`registry.${x.field}`) } : x)));
        // With TLS the registry needs no insecure-registries entry; an entry makes dockerd accept
        // an unverified certificate and fall back to plain HTTP for it.
        const daemons: [string, { insecureRegistries?: string[]; registryMirrors?: string[] } | undefined][] = [
            ["daemon", i.config.daemon as never],
            ...i.config.hosts.map((h, n) => [`hosts[${n}].daemon`, h.daemon as never] as [string, never]),
        ];
        for (const [where, d] of daemons) {
            (d?.insecureRegistries ?? []).forEach((e, n) => {
                if (coversRegistry(e, i.host, i.port)) {
                    out.push(warning(k(`${where}.insecureRegistries[${n}]`), `"${e}" covers the fleet registry ${address}, which serves TLS with the fleet CA (installed on every host); remove it: it lets a man in the middle answer with any certificate or plain HTTP`));
                }
            });
            (d?.registryMirrors ?? []).forEach((m, n) => {
                let u: URL | undefined;
                try { u = new URL(m); } catch { u = undefined; }
                if (u && u.host === address && u.protocol === "http:") {
                    out.push(error(k(`${where}.registryMirrors[${n}]`), `"${m}" is plain HTTP but the registry serves TLS; write "https://${address}"${i.users !== undefined ? ", or remove it: dockerd sends no credentials to a mirror, so an authenticated registry cannot serve as one" : ""}`));
                }
            });
        }
    }
    if (i.users === undefined) {
        out.push(warning(k("registryUsers"), `is not set: the registry has no authentication, anyone who reaches ${address} can push an image under a name the stacks run; set users with: pulumi config set --secret --path '${k("registryUsers")}.fleet' --stack ${i.stack} (the password on stdin)`));
        if (r.loginUser !== undefined) out.push(error(k("registry.loginUser"), `"${r.loginUser}" needs ${k("registryUsers")}`));
        return out;
    }
    if (!tls) out.push(error(k("registryUsers"), `needs registry.tls: basic auth over plain HTTP sends the passwords in clear; run: npm run registry-tls -- --stack ${i.stack}`));
    const userIssues = validateRegistryUsers(i.users, k("registryUsers"));
    out.push(...userIssues);
    if (userIssues.length === 0) {
        const users = i.users as Record<string, string>;
        const login = loginUserOf(i.config, users);
        if (login === undefined) out.push(error(k("registry.loginUser"), `is required when ${k("registryUsers")} has more than one user (${Object.keys(users).sort().join(", ")}): the user the hosts and swarm services log in as`));
        else if (!(login in users)) out.push(error(k("registry.loginUser"), `"${login}" is not a user in ${k("registryUsers")} (${Object.keys(users).sort().join(", ")})`));
    }
    return out;
}

export { RENEW_COMMAND };
