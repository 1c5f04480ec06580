import * as pulumi from "@pulumi/pulumi";
import { Issue, error, warning } from "../common/issues";
import { FileRefSpec, ServiceSpec, SwarmStackArgs, withFileRefDefaults } from "./spec";
import { HASH_CHARS, secretsKeyBytes } from "./secrets";

// Checks of the stack's secrets and configs and of the services' uses of them, and the warnings
// about secrets passed in the environment (readable by anyone who can inspect a service or container).

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** Docker's limit on secret and config names. */
const MAX_OBJECT_NAME = 64;
const q = (v: unknown) => JSON.stringify(v);
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
/** Kernel and device trees a file must not be mounted over. */
const RESERVED = ["/proc", "/sys", "/dev"];

/** Env keys that name a secret (DB_PASSWORD, API_TOKEN, SECRET_KEY…); `*_FILE` keys name a path to one, the pattern secrets are read with. */
export const looksSecret = (key: string): boolean => !/_FILE$/i.test(key) && /(^|_)(PASSWORD|PASSWD|TOKEN|SECRET|KEY|APIKEY|PRIVATE_?KEY)(_|$)/i.test(key);

function objects(a: SwarmStackArgs, kind: "secrets" | "configs"): Issue[] {
    const issues: Issue[] = [];
    for (const [n, o] of Object.entries(a[kind] ?? {})) {
        const f = `${kind}.${n}`;
        if (!NAME.test(n)) issues.push(error(f, `${kind === "secrets" ? "secret" : "config"} name ${q(n)} must start with a letter or digit and contain only letters, digits, _ . -`));
        if (typeof a.name === "string" && a.name.length + n.length + HASH_CHARS + 2 > MAX_OBJECT_NAME) {
            issues.push(error(f, `the versioned name "${a.name}_${n}_<${HASH_CHARS} hex>" is longer than docker's ${MAX_OBJECT_NAME}-character limit; shorten the name`));
        }
        if (!isMap(o)) {
            issues.push(error(f, kind === "secrets" ? "must be a mapping { value: <secret> }" : "must be a mapping { content: <text> } or { file: <path> }"));
            continue;
        }
        const keys = kind === "secrets" ? ["value"] : ["content", "file"];
        for (const k of Object.keys(o)) if (!keys.includes(k)) issues.push(error(`${f}.${k}`, `unknown setting (known: ${keys.join(", ")})`));
        if (kind === "secrets") {
            const v = o.value;
            if (typeof v === "string") {
                if (v === "") issues.push(error(`${f}.value`, "must not be empty"));
                else issues.push(warning(`${f}.value`, "is a plain string: it is kept secret in the state and the swarm, but it sits in plain text where it was written; pass a Pulumi secret (config.requireSecret, pulumi.secret)"));
            } else if (!pulumi.Output.isInstance(v)) issues.push(error(`${f}.value`, "is required: the secret value (a Pulumi secret)"));
        } else {
            const has = (k: string) => o[k] !== undefined;
            if (has("content") === has("file")) issues.push(error(f, "give exactly one of content or file"));
            if (has("content") && typeof o.content !== "string" && !pulumi.Output.isInstance(o.content)) issues.push(error(`${f}.content`, `${q(o.content)} must be a string`));
            if (has("file") && (typeof o.file !== "string" || o.file === "")) issues.push(error(`${f}.file`, `${q(o.file)} must be a file path (relative to the project directory)`));
        }
    }
    return issues;
}

/** A path a file may be mounted at: absolute, normalized, not the root, nothing under /proc, /sys or /dev. */
function targetIssue(target: string): string | undefined {
    const parts = target.split("/").slice(1);
    if (target === "/" || parts.some((p) => p === "" || p === "." || p === "..")) return "must be a normalized path (no empty, . or .. components, no trailing /)";
    const hit = RESERVED.find((r) => target === r || target.startsWith(`${r}/`));
    if (hit) return `is under ${hit}, which the kernel or the runtime owns`;
    return undefined;
}

/** Issues of one service's `secrets` or `configs` (fields relative to the service). */
export function validateFileRefs(s: ServiceSpec, a: SwarmStackArgs, kind: "secrets" | "configs"): Issue[] {
    const issues: Issue[] = [];
    const refs = s[kind];
    if (refs === undefined) return issues;
    if (!Array.isArray(refs)) return [error(kind, "must be a list of names or { source, target, mode, uid, gid }")];
    const declared = Object.keys(a[kind] ?? {});
    const one = kind === "secrets" ? "secret" : "config";
    const targets = new Map<string, number>();
    refs.forEach((r: string | FileRefSpec, i) => {
        const f = `${kind}[${i}]`;
        if (typeof r !== "string" && !isMap(r)) return void issues.push(error(f, "must be a name or { source, target, mode, uid, gid }"));
        if (isMap(r)) for (const k of Object.keys(r)) if (!["source", "target", "mode", "uid", "gid"].includes(k)) issues.push(error(`${f}.${k}`, "unknown setting (known: source, target, mode, uid, gid)"));
        const source = typeof r === "string" ? r : r.source;
        const sf = typeof r === "string" ? f : `${f}.source`;
        if (typeof source !== "string" || !declared.includes(source)) {
            return void issues.push(error(sf, `${q(source)} is not a ${one} of this stack (declared: ${declared.length ? declared.join(", ") : "none"})`));
        }
        if (isMap(r)) {
            if (r.target !== undefined && (typeof r.target !== "string" || r.target === "")) return void issues.push(error(`${f}.target`, `${q(r.target)} must be a path`));
            if (r.mode !== undefined && !(typeof r.mode === "string" && /^0?[0-7]{3}$/.test(r.mode))) issues.push(error(`${f}.mode`, `${q(r.mode)} must be an octal mode string such as "0400" or "0444"`));
            for (const k of ["uid", "gid"] as const) if (r[k] !== undefined && !(typeof r[k] === "string" && /^\d+$/.test(r[k]!))) issues.push(error(`${f}.${k}`, `${q(r[k])} must be a numeric id as a string, e.g. "1000"`));
        }
        const target = withFileRefDefaults(r, one).target;
        const bad = targetIssue(target);
        if (bad) return void issues.push(error(typeof r === "string" ? f : `${f}.target`, `${q(target)} ${bad}`));
        const prev = targets.get(target);
        if (prev !== undefined) issues.push(error(typeof r === "string" ? f : `${f}.target`, `${q(target)} is already the target of ${kind}[${prev}]`));
        else targets.set(target, i);
    });
    return issues;
}

/** Warnings about secrets in a service's environment (fields relative to the service). */
export function envSecretIssues(service: string, s: ServiceSpec): Issue[] {
    const issues: Issue[] = [];
    const why = "the environment is part of the service spec, readable by anyone who can run docker service inspect or docker inspect on a node";
    for (const [k, v] of Object.entries(s.env ?? {})) {
        if (typeof v === "string") {
            if (looksSecret(k)) issues.push(warning(`env.${k}`, `looks like a secret in plain text (${why}); declare it in the stack's secrets and mount it: services.${service}.secrets: [${k.toLowerCase()}] (the program reads /run/secrets/${k.toLowerCase()}, or ${k}_FILE where the image supports it)`));
        } else issues.push(warning(`env.${k}`, `is a Pulumi secret or computed value in the environment: it stays secret in the state, but ${why}; a secret belongs in the stack's secrets, mounted as a file`));
    }
    return issues;
}

/** Stack-level issues of secrets and configs (fields relative to SwarmStackArgs). */
export function validateStackFiles(a: SwarmStackArgs): Issue[] {
    return [...objects(a, "secrets"), ...keyIssues(a), ...objects(a, "configs")];
}

/** The key of the secrets' names: required with secrets, long enough when given as a string (an Output is checked when it resolves). */
function keyIssues(a: SwarmStackArgs): Issue[] {
    const k = a.secretsKey;
    if (!isMap(a.secrets) || Object.keys(a.secrets).length === 0) return [];
    const how = `a Pulumi secret of at least 32 random bytes as hex or base64, e.g. from: openssl rand -hex 32`;
    if (k === undefined) return [error("secretsKey", `is required when the stack has secrets (their names are keyed by it): ${how}`)];
    if (typeof k === "string") {
        const b = secretsKeyBytes(k);
        return typeof b === "string" ? [error("secretsKey", b)] : [];
    }
    return pulumi.Output.isInstance(k) ? [] : [error("secretsKey", `must be ${how}`)];
}
