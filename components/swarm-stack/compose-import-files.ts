import { ConfigSpec, FileRefSpec } from "./spec";

/** What these readers use of compose-import's context (declared here: no import circle). */
export interface Ctx {
    fail(path: string, message: string): void;
    obj(v: unknown, path: string, allowed: readonly string[]): Record<string, unknown> | undefined;
    str(v: unknown, path: string): string | undefined;
}

// Compose `secrets:` / `configs:` (top level and per service). A config's `file:` is kept as a path
// (relative to the compose file; program/stacks.ts makes it relative to the project); a secret's
// value never comes from the compose file: it lives in the stack config as a Pulumi secret.

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Where a secret's value goes instead of the compose file. */
export const secretValueHint = (stack: string, name: string) =>
    `set the value as a stack config secret: pulumi config set --secret --path 'dockfleet:stackSecrets.${stack}.${name}' (the value on stdin), and declare it here as { external: true }`;

/** Top-level `configs:`: `file:` or `content:` each. */
export function composeConfigs(c: Ctx, v: unknown): Record<string, ConfigSpec> | undefined {
    if (v === undefined || v === null) return undefined;
    const out: Record<string, ConfigSpec> = {};
    for (const [n, x] of Object.entries(isObj(v) ? v : {})) {
        const o = c.obj(x, `configs.${n}`, ["file", "content", "external"]);
        if (!o) continue;
        if (o.external !== undefined) c.fail(`configs.${n}.external`, "external configs are not supported: dockfleet creates and versions the stack's configs; give file: or content:");
        else if ((o.file === undefined) === (o.content === undefined)) c.fail(`configs.${n}`, "give exactly one of file or content");
        const file = c.str(o.file, `configs.${n}.file`);
        const content = c.str(o.content, `configs.${n}.content`);
        if (file !== undefined) out[n] = { file };
        else if (content !== undefined) out[n] = { content };
    }
    return Object.keys(out).length ? out : undefined;
}

/** Top-level `secrets:`: only `external: true` (the value comes from the stack config); returns the declared names. */
export function composeSecrets(c: Ctx, v: unknown, stack: string): string[] {
    const names: string[] = [];
    for (const [n, x] of Object.entries(isObj(v) ? v : {})) {
        const o = c.obj(x, `secrets.${n}`, ["file", "environment", "external"]);
        if (o?.file !== undefined || o?.environment !== undefined) c.fail(`secrets.${n}.${o.file !== undefined ? "file" : "environment"}`, `dockfleet does not read secret values from files or the environment; ${secretValueHint(stack, n)}`);
        else if (o?.external !== true) c.fail(`secrets.${n}`, `needs a value: ${secretValueHint(stack, n)}`);
        else names.push(n);
    }
    return names;
}

/** Compose writes `mode: 0440` (octal under docker's YAML 1.1), which YAML 1.2 reads as 440: digits 0-7 are taken as octal. */
function mode(c: Ctx, v: unknown, path: string): string | undefined {
    if (v === undefined || v === null) return undefined;
    const s = String(v);
    if (/^0?[0-7]{3}$/.test(s)) return s.padStart(4, "0");
    if (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 0o777) return `0${v.toString(8).padStart(3, "0")}`;
    return void c.fail(path, `${JSON.stringify(v)} is not a file mode such as 0440`);
}

/** A service's `secrets:` or `configs:` (short names or long syntax). */
export function composeFileRefs(c: Ctx, v: unknown, path: string): FileRefSpec[] | undefined {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) return void c.fail(path, "must be a list");
    return v.map((x, i) => {
        const p = `${path}[${i}]`;
        if (typeof x === "string") return { source: x };
        const o = c.obj(x, p, ["source", "target", "uid", "gid", "mode"]) ?? {};
        const ref: FileRefSpec = { source: c.str(o.source, `${p}.source`) ?? "" };
        const target = c.str(o.target, `${p}.target`);
        const uid = c.str(o.uid, `${p}.uid`);
        const gid = c.str(o.gid, `${p}.gid`);
        const m = mode(c, o.mode, `${p}.mode`);
        return { ...ref, ...(target !== undefined ? { target } : {}), ...(m !== undefined ? { mode: m } : {}), ...(uid !== undefined ? { uid } : {}), ...(gid !== undefined ? { gid } : {}) };
    });
}
