// The one rule for a Docker API listening on TCP (CIS Docker Benchmark 2.6, issue 28): off
// loopback it needs TLS with client verification (`tlsverify`), because whoever reaches the
// socket is root on the host. The daemon validator (docker-host/daemon-validate.ts, run by load.ts before any
// host is touched) and the policy pack (policy/rules.ts, over the rendered daemon.json) both
// call tcpListenerProblem, so the two cannot disagree.
import { isLoopback } from "../net";

/** TLS as daemon.json states it: `tls` (or any tls* key) and `tlsverify`. */
export interface ListenerTls {
    tls: boolean;
    verify: boolean;
}

/** The host part of `tcp://HOST:PORT` ("" for `tcp://:2375`, all interfaces); undefined when not tcp://. */
export function tcpListenerHost(h: string): string | undefined {
    const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]*)(?::(\d+))?\/?$/.exec(h);
    return m ? m[1].replace(/^\[|\]$/g, "") : undefined;
}

/**
 * Why a `hosts` entry is refused, or undefined when it is fine (unix://, fd://, loopback TCP, TCP
 * with TLS and client verification). The message says what to do instead.
 */
export function tcpListenerProblem(h: string, tls: ListenerTls): string | undefined {
    const host = tcpListenerHost(h);
    if (host === undefined || (host !== "" && isLoopback(host))) return undefined;
    if (!tls.tls) {
        return `"${h}" exposes the Docker API without TLS off loopback (root for anyone who can reach it); ` +
            `use a loopback address (tcp://127.0.0.1:PORT, reached over SSH) or set daemon.tls {caCert, cert, key} (client certificates are verified)`;
    }
    if (!tls.verify) {
        return `"${h}" serves the Docker API with TLS but without client verification (tlsverify), so any client that reaches it is root on the host; ` +
            `remove daemon.tls.verify: false (client certificates signed by daemon.tls.caCert are then required)`;
    }
    return undefined;
}

/** The listener TLS of a rendered daemon.json object (the policy pack's view). */
export function listenerTlsOf(daemonJson: Record<string, unknown>): ListenerTls {
    const verify = daemonJson.tlsverify === true;
    return { tls: verify || daemonJson.tls === true, verify };
}
