// Secrets in the preview summary: the engine prints "[secret]" for secret values; anything else
// that looks like a credential is masked too (a summary is posted to a PR, which is more public
// than the state).

export const SECRET = "[secret]";

const SECRET_KEY = /(pass(word|wd)?|secret|token|api[-_]?key|private[-_]?key|credential|auth)/i;

/** Masks credentials inside a plain string: `user:pass@` in URLs, KEY=value for secret-looking keys, PEM keys. */
export function maskString(s: string): string {
    if (s === SECRET) return s;
    if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(s)) return SECRET;
    return s
        .replace(/([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]+):([^\s/@]+)@/gi, (_m, scheme, user) => `${scheme}${user}:${SECRET}@`)
        .replace(/\b([A-Za-z0-9_]*(?:PASSWORD|PASSWD|SECRET|TOKEN|APIKEY|API_KEY|SECRETKEY)[A-Za-z0-9_]*)=("[^"]*"|\S+)/g, (_m, k) => `${k}=${SECRET}`);
}

/** How `pulumi preview --json` writes a value known only once the resource is applied (an image's digest before its build). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A value for display: secrets and secret-looking keys as [secret], unknowns as "(known after up)", long text shortened. */
export function show(value: unknown, key = ""): string {
    if (value === undefined) return "(unset)";
    if (value === UNKNOWN) return "(known after up)";
    if (value === SECRET) return SECRET;
    if (key && SECRET_KEY.test(key) && !/path$|file$/i.test(key) && value !== null && value !== "") return SECRET;
    let s = typeof value === "string" ? maskString(value) : JSON.stringify(maskDeep(value));
    if (s.length > 120) s = `${s.slice(0, 117)}...`;
    return "`" + s.replace(/`/g, "'") + "`";
}

function maskDeep(v: unknown, key = ""): unknown {
    if (v === SECRET) return v;
    if (typeof v === "string") return key && SECRET_KEY.test(key) && !/path$|file$/i.test(key) ? SECRET : maskString(v);
    if (Array.isArray(v)) return v.map((x) => maskDeep(x, key));
    // "__defaults" and other "__" keys are the bridged provider's bookkeeping, not settings.
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([k]) => !k.startsWith("__")).map(([k, x]) => [k, maskDeep(x, k)]));
    return v;
}
