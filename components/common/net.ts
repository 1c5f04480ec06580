import * as ipaddr from "ipaddr.js";

/** True for a literal IPv4 or IPv6 address (no names: dockerd and the local volume driver do not resolve them everywhere). */
export function isIpAddress(value: string): boolean {
    return ipaddr.isValid(value) && (ipaddr.IPv4.isValidFourPartDecimal(value) || value.includes(":"));
}

/** Parses `a.b.c.d/n` or `x::/n`; undefined when invalid. */
export function parseCidr(value: string): [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined {
    try {
        const [addr, bits] = ipaddr.parseCIDR(value);
        if (addr.kind() === "ipv4" && !ipaddr.IPv4.isValidFourPartDecimal(value.split("/")[0])) return undefined;
        return [addr, bits];
    } catch {
        return undefined;
    }
}

export function isLoopback(host: string): boolean {
    if (host === "localhost") return true;
    const h = host.replace(/^\[|\]$/g, "");
    if (!ipaddr.isValid(h)) return false;
    return ipaddr.parse(h).range() === "loopback";
}

/** True for an address in a private, loopback, link-local or unique-local range. */
export function isPrivateAddress(host: string): boolean {
    const h = host.replace(/^\[|\]$/g, "");
    if (!ipaddr.isValid(h)) return false;
    return ["private", "loopback", "linkLocal", "uniqueLocal"].includes(ipaddr.parse(h).range());
}

export interface HostPort {
    host: string;
    port: number;
}

/** Parses `host:port` / `[v6]:port`. The host may be a name unless `requireIp`. */
export function parseHostPort(value: string, opts: { requireIp?: boolean } = {}): HostPort | undefined {
    const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s/]+)):(\d{1,5})$/.exec(value);
    if (!m) return undefined;
    const host = m[1] ?? m[2];
    const port = Number(m[3]);
    if (port < 1 || port > 65535) return undefined;
    if (m[1] !== undefined && !ipaddr.IPv6.isValid(m[1])) return undefined;
    if (opts.requireIp && !isIpAddress(host)) return undefined;
    if (!isIpAddress(host) && !isHostname(host)) return undefined;
    return { host, port };
}

/** RFC 1123 host name. Rejects things that look like broken IPv4 literals (e.g. `300.1.1.1`). */
export function isHostname(value: string): boolean {
    if (/^[0-9.]+$/.test(value)) return false;
    return /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/.test(value);
}

type Net = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** A CIDR, or a bare address as a /32 (/128); undefined when invalid. */
function asNet(value: string): Net | undefined {
    if (value.includes("/")) return parseCidr(value);
    if (!isIpAddress(value)) return undefined;
    const a = ipaddr.parse(value);
    return [a, a.kind() === "ipv4" ? 32 : 128];
}

/** True when `inner` (a CIDR or an address) lies inside `outer`'s network; undefined when either is invalid. */
export function cidrContains(outer: string, inner: string): boolean | undefined {
    const o = asNet(outer);
    const i = asNet(inner);
    if (!o || !i) return undefined;
    return o[0].kind() === i[0].kind() && i[1] >= o[1] && i[0].match(o[0] as never, o[1]);
}

/** True when the networks of two CIDRs share an address; undefined when either is invalid. */
export function cidrsOverlap(a: string, b: string): boolean | undefined {
    const x = asNet(a);
    const y = asNet(b);
    if (!x || !y) return undefined;
    return x[0].kind() === y[0].kind() && x[0].match(y[0] as never, Math.min(x[1], y[1]));
}
