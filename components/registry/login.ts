import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { shQuote } from "../common/shell";
import { resourceOwner } from "../common/owner";

/**
 * `docker login` on one host as root, the password on stdin (never in argv), so container units
 * and `docker` commands on the host pull from the registry. Docker keeps the credentials in
 * /root/.docker/config.json; umask and chmod make it and its directory root-only whatever existed.
 * The registry may still be starting (a replaced container): a refused connection is retried for
 * up to a minute, a refused password is not.
 */
export function renderLoginCommand(address: string, username: string, owner?: string): string {
    // the claim is recorded once the host is logged in (a failed create leaves none behind)
    const claim = owner ? ` ${claimLine(address, owner)};` : "";
    return [
        "set -eu",
        "umask 077",
        "pw=$(cat)",
        "mkdir -p /root/.docker && chmod 700 /root/.docker",
        // already logged in to this registry with these credentials (an update for the host's new
        // SSH address, a replaced resource): nothing to ask the registry. Compared in the shell, on
        // config.json without whitespace (docker indents it): no process sees the credentials.
        `auth=$(printf '%s:%s' ${shQuote(username)} "$pw" | base64 -w0)`,
        "cfg=$(tr -d ' \\t\\r\\n' 2>/dev/null </root/.docker/config.json || true)",
        `case "$cfg" in *${shQuote(`"${address}":{"auth":"`)}"$auth"'"'*) chmod 600 /root/.docker/config.json;${claim} echo "already logged in to ${address} as ${username}"; exit 0 ;; esac`,
        "i=0",
        "while :; do",
        `  if out=$(printf '%s' "$pw" | docker login --username ${shQuote(username)} --password-stdin ${shQuote(address)} 2>&1); then break; fi`,
        `  case "$out" in *401*|*unauthorized*|*"no basic auth"*) echo "docker login ${address} as ${username} refused: $out" >&2; exit 1 ;; esac`,
        "  i=$((i + 1))",
        `  if [ "$i" -ge 30 ]; then echo "docker login ${address}: $out" >&2; exit 1; fi`,
        "  sleep 2",
        "done",
        "chmod 600 /root/.docker/config.json",
        ...(owner ? [claimLine(address, owner)] : []),
        `echo "logged in to ${address} as ${username}"`,
    ].join("\n") + "\n";
}

/** Where each login resource records that it uses a registry on the host (root-only, beside docker's config). */
export const LOGIN_CLAIMS_DIR = "/root/.docker/dockfleet-logins";

/** The claim file of `owner`'s login to `address`. */
const claimFile = (address: string, owner: string) => `${LOGIN_CLAIMS_DIR}/${address.replace(/[^A-Za-z0-9._-]/g, "_")}@${owner}`;

/** Records that `owner`'s login resource uses the registry on this host. */
const claimLine = (address: string, owner: string) => `mkdir -p ${LOGIN_CLAIMS_DIR} && : >${shQuote(claimFile(address, owner))}`;

/**
 * `docker logout`, or with `owner`: drops that resource's claim and logs out only when no other
 * login resource (another stack, or this host's resource under a new name: a rename creates the
 * new one before it deletes the old) still uses the registry on this host.
 */
export function renderLogoutCommand(address: string, owner?: string): string {
    const logout = `docker logout ${shQuote(address)} >/dev/null 2>&1 || true\n`;
    if (!owner) return logout;
    const prefix = claimFile(address, "");
    return [
        `rm -f ${shQuote(claimFile(address, owner))}`,
        `for c in ${shQuote(prefix)}*; do [ -e "$c" ] && { echo "still logged in to ${address}: used by \${c#${prefix}}"; exit 0; }; done`,
        `rmdir ${LOGIN_CLAIMS_DIR} 2>/dev/null || true`,
        logout,
    ].join("\n");
}

export interface RegistryLoginArgs {
    connection: command.types.input.remote.ConnectionArgs;
    /** `host:port` of the registry. */
    address: string;
    username: string;
    /** Secret. */
    password: pulumi.Input<string>;
}

/** One host's login; a new password (stdin) runs it again, a deleted login logs out. */
export function registryLogin(name: string, args: RegistryLoginArgs, opts: pulumi.CustomResourceOptions): command.remote.Command {
    const owner = resourceOwner(name);
    const create = renderLoginCommand(args.address, args.username, owner);
    return new command.remote.Command(name, {
        connection: args.connection,
        create,
        update: create,
        delete: renderLogoutCommand(args.address, owner),
        stdin: pulumi.secret(args.password),
        addPreviousOutputInEnv: false,
    }, { ...opts, customTimeouts: { create: "3m", update: "3m", delete: "1m" } });
}
