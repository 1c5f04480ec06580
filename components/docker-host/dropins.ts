import { Issue, error } from "../common/issues";
import { renderUnit } from "../common/systemd";

export const PROXY_DROPIN_PATH = "/etc/systemd/system/docker.service.d/http-proxy.conf";
export const HOSTS_DROPIN_PATH = "/etc/systemd/system/docker.service.d/10-dockfleet-hosts.conf";
export const DAEMON_JSON_PATH = "/etc/docker/daemon.json";

/** Plain (already resolved) proxy settings. URLs may hold credentials: treat the output as secret. */
export interface ProxySettings {
    httpProxy?: string;
    httpsProxy?: string;
    noProxy?: string[];
}

/** NO_PROXY always starts with these: dockerd must reach itself and the fleet's registry directly. */
export const ALWAYS_NO_PROXY = ["localhost", "127.0.0.1"];

/** localhost, 127.0.0.1, the fleet's registries, then the user's entries; de-duplicated, order kept. */
export function effectiveNoProxy(noProxy: string[] | undefined, fleetRegistries: string[]): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const e of [...ALWAYS_NO_PROXY, ...fleetRegistries.map(registryHostOnly), ...(noProxy ?? [])]) {
        if (e && !seen.has(e)) {
            seen.add(e);
            out.push(e);
        }
    }
    return out;
}

function registryHostOnly(r: string): string {
    // NO_PROXY matches host names and IPs; "10.0.0.5:5000" would only match that exact port.
    return r.replace(/^https?:\/\//, "").replace(/\/.*$/, "").replace(/:\d+$/, "");
}

/**
 * The proxy variables live in this root-only (0600) file, which the drop-in names with
 * EnvironmentFile=: systemd shows an Environment= value to any local user over D-Bus (`systemctl
 * show docker -p Environment`), a file's path but never its contents. It sits beside the drop-in
 * that names it (systemd reads only `*.conf` from a drop-in directory), so the two are found, and
 * backed up, together.
 */
export const PROXY_ENV_PATH = "/etc/systemd/system/docker.service.d/http-proxy.env";
/** Modes in the bundle: the drop-in holds no secret (a path), the env file holds the credentials. */
export const PROXY_DROPIN_MODE = "0644";
export const PROXY_ENV_MODE = "0600";

/**
 * The http-proxy.conf drop-in, or undefined without a proxy (the file is then removed). It only
 * names PROXY_ENV_PATH, so it is public: it travels in the command line and shows in diffs.
 */
export function renderProxyDropIn(hasProxy: boolean): string | undefined {
    if (!hasProxy) return undefined;
    return renderUnit([{ name: "Service", entries: [["EnvironmentFile", PROXY_ENV_PATH]] }],
        `Managed by dockfleet. Proxy for dockerd (image pulls, pushes): the variables are in the root-only\n${PROXY_ENV_PATH.split("/").pop()} (they may hold credentials).`);
}

/**
 * A value in systemd's environment-file syntax (systemd.exec(5) EnvironmentFile=): double-quoted,
 * with `\`, `"`, `` ` `` and `$` escaped by a backslash; `#`, `%`, `'` and spaces are literal there
 * (no specifiers, no comments after `=`). Newlines are refused by validateProxy.
 */
export function envFileValue(value: string): string {
    if (/[\n\r]/.test(value)) throw new Error("environment file values cannot contain line breaks");
    return `"${value.replace(/[\\"`$]/g, (c) => `\\${c}`)}"`;
}

/** The root-only environment file: HTTP_PROXY and HTTPS_PROXY when set, NO_PROXY always. Secret. */
export function renderProxyEnvFile(p: ProxySettings, fleetRegistries: string[]): string {
    const lines = ["# Managed by dockfleet. dockerd's proxy (docker.service.d/http-proxy.conf names this file); root only."];
    if (p.httpProxy) lines.push(`HTTP_PROXY=${envFileValue(p.httpProxy)}`);
    if (p.httpsProxy) lines.push(`HTTPS_PROXY=${envFileValue(p.httpsProxy)}`);
    lines.push(`NO_PROXY=${envFileValue(effectiveNoProxy(p.noProxy, fleetRegistries).join(","))}`);
    return lines.join("\n") + "\n";
}

/** `http://user:secret@proxy:3128` → `http://***@proxy:3128`, for previews and logs. */
export function redactUrl(url: string): string {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, "$1***@");
}

export function validateProxy(p: ProxySettings): Issue[] {
    const issues: Issue[] = [];
    for (const f of ["httpProxy", "httpsProxy"] as const) {
        const v = p[f];
        if (v === undefined) continue;
        let url: URL | undefined;
        try { url = new URL(v); } catch { url = undefined; }
        if (!url || !/^(https?|socks5):$/.test(url.protocol) || !url.hostname) {
            // never echo the value: it may carry credentials
            issues.push(error(`proxy.${f}`, "is not a proxy URL such as http://[user:password@]proxy.example.com:3128 (value hidden: it may hold credentials)"));
        } else if (/[\n\r]/.test(v)) {
            issues.push(error(`proxy.${f}`, "must not contain line breaks"));
        }
    }
    (p.noProxy ?? []).forEach((e, i) => {
        if (!/^[a-zA-Z0-9.*:/[\]_-]+$/.test(e)) issues.push(error(`proxy.noProxy[${i}]`, `"${e}" is not a host, domain (.example.com), IP or CIDR`));
    });
    return issues;
}

/**
 * When daemon.json sets `hosts`, the unit's `-H fd://` must go (dockerd refuses a setting given both
 * as flag and in the file), so ExecStart is reset to `execStart`.
 */
export function renderHostsDropIn(hosts: string[] | undefined, execStart: string): string | undefined {
    if (hosts === undefined) return undefined;
    return renderUnit(
        [{ name: "Service", entries: [["ExecStart", ""], ["ExecStart", execStart]] }],
        "Managed by dockfleet. Listen sockets come from daemon.json \"hosts\", so no -H flag here.",
    );
}
