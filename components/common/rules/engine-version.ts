// The one reader of Docker Engine versions ("20.10", "24.0.7", "20.10.24+dfsg1" from `docker
// version`). The validators, the policy pack and adopt all read versions through it, so they
// cannot disagree on what "Engine 25 or later" means.

/** [major, minor, patch]; a missing minor or patch is 0. */
export type EngineVersion = [number, number, number];

const LEADING = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/;

interface Read {
    version: EngineVersion;
    /** The matched text, e.g. "20.10.24" of "20.10.24+dfsg1". */
    text: string;
    /** How many parts were written (1–3). */
    parts: number;
    /** The whole input was the version. */
    exact: boolean;
}

function read(text: string): Read | undefined {
    const m = LEADING.exec(text);
    if (!m) return undefined;
    const parts = m.slice(1).filter((p) => p !== undefined).length;
    return { version: [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)], text: m[0], parts, exact: m[0] === text };
}

/** A version as the stack config writes it ("20", "20.10", "24.0.7"); undefined for anything else. */
export function parseEngineVersion(v: string | undefined): EngineVersion | undefined {
    const r = v === undefined ? undefined : read(v);
    return r?.exact ? r.version : undefined;
}

/** True when engine version `v` is at least `min` ("25.0"). */
export function atLeast(v: EngineVersion, min: string): boolean {
    const m = parseEngineVersion(min)!;
    for (let i = 0; i < 3; i++) if (v[i] !== m[i]) return v[i] > m[i];
    return true;
}

/**
 * Whether the engine's major version is at least `major`, reading the leading version of a loose
 * value ("25.0.3", " 26", "25.0.3+dfsg"); undefined when it holds no version.
 */
export function engineMajorAtLeast(version: string | undefined, major: number): boolean | undefined {
    const r = read(String(version ?? "").trim());
    return r ? r.version[0] >= major : undefined;
}

/** The server version in `docker version --format '{{.Server.Version}}'` output ("20.10.24+dfsg1" → "20.10.24"); undefined when it is no version. */
export function engineVersionIn(out: string): string | undefined {
    const r = read(out.trim());
    return r && r.parts >= 2 ? r.text : undefined;
}

/** Whether `v` is a version as the stack config writes it ("20", "20.10", "24.0.7"). */
export function isEngineVersion(v: string): boolean {
    return parseEngineVersion(v) !== undefined;
}
