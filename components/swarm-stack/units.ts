import { isGoDuration } from "../common/duration";

// Go duration arithmetic in integer nanoseconds (Number is exact to 2^53 ns ≈ 104 days).
const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Nanoseconds in a Go duration string; undefined when it is not one. */
export function durationNs(value: string): number | undefined {
    if (!isGoDuration(value)) return undefined;
    if (value === "0") return 0;
    let total = 0;
    for (const m of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += parseFloat(m[1]) * UNIT_NS[m[2]];
    return Math.round(total);
}

/** Go's time.Duration.String(). */
export function goDurationString(ns: number): string {
    if (ns === 0) return "0s";
    if (ns < 1e3) return `${ns}ns`;
    if (ns < 1e6) return `${trim(ns / 1e3)}µs`;
    if (ns < 1e9) return `${trim(ns / 1e6)}ms`;
    const h = Math.floor(ns / 3600e9);
    const m = Math.floor((ns % 3600e9) / 60e9);
    const s = (ns % 60e9) / 1e9;
    return `${h > 0 ? `${h}h` : ""}${h > 0 || m > 0 ? `${m}m` : ""}${trim(s)}s`;
}

const trim = (n: number) => String(parseFloat(n.toFixed(9)));

/**
 * The form the docker provider reads durations back in (Go String() with "m0s"/"h0m" trimmed, its
 * `shortDur`), so "90s" is rendered "1m30s" and "60s" "1m" and previews show no perpetual diff.
 * Returns the input unchanged when it is not a Go duration (validation reports it).
 */
export function normalizeDuration(value: string): string {
    const ns = durationNs(value);
    if (ns === undefined) return value;
    let s = goDurationString(ns);
    if (s.endsWith("m0s")) s = s.slice(0, -2);
    if (s.endsWith("h0m")) s = s.slice(0, -2);
    return s;
}

/** docker's units.RAMInBytes: "512M", "1g", "256mb", "1GiB", "1048576" (binary multiples). */
export function memoryBytes(value: string | number): number | undefined {
    if (typeof value === "number") return Number.isInteger(value) && value >= 0 ? value : undefined;
    const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(value.trim());
    if (!m) return undefined;
    const pow = m[2] ? "kmgtp".indexOf(m[2].toLowerCase()) + 1 : 0;
    return Math.round(parseFloat(m[1]) * 1024 ** pow);
}

/** "0.5" → 500000000; undefined when not a positive decimal. */
export function cpusToNano(value: string | number): number | undefined {
    const s = String(value);
    if (!/^\d+(\.\d{1,9})?$/.test(s)) return undefined;
    const n = Math.round(parseFloat(s) * 1e9);
    return n > 0 ? n : undefined;
}
