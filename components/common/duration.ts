import parseDuration from "parse-duration";

// Docker's API and compose files take Go duration strings (time.ParseDuration). parse-duration
// is lenient ("5 seconds", "1 hour"), so the Go grammar is checked first and the library only
// supplies the value.
const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;

export function isGoDuration(value: string): boolean {
    return value === "0" || GO_DURATION.test(value);
}

/** Milliseconds in a Go duration string; undefined when it is not one. */
export function durationMs(value: string): number | undefined {
    if (!isGoDuration(value)) return undefined;
    if (value === "0") return 0;
    const ms = parseDuration(value.replace(/µs/g, "us"));
    return ms === null || ms === undefined ? undefined : ms;
}

export const DURATION_HINT = 'a Go duration such as "500ms", "30s", "1m30s" or "2h" (units ns, us, ms, s, m, h; no spaces)';
