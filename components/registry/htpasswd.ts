// The registry's htpasswd file (distribution 2.8 accepts bcrypt entries only), from secret config.
import { createHmac } from "crypto";
import bcrypt from "bcryptjs";
import { Issue, error } from "../common/issues";

/** bcrypt cost: the registry checks a password on every authenticated request (about 50 ms at 10). */
export const BCRYPT_COST = 10;
const USER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * The 16-byte bcrypt salt for one entry: HMAC-SHA256 under a fleet secret (the registry's
 * http.secret) over the user and the password. bcrypt's salts are random so that equal passwords
 * give unrelated hashes and no table can be computed ahead; this one is unique per fleet, user and
 * password and unknown without the fleet secret, so both hold, and the same password renders the
 * same line on every run (a no-op `up` has no diff and the container is not replaced).
 */
export function htpasswdSalt(user: string, password: string, key: string): string {
    const mac = createHmac("sha256", key).update("dockfleet-htpasswd\0").update(user).update("\0").update(password).digest();
    return `$2b$${String(BCRYPT_COST).padStart(2, "0")}$${bcrypt.encodeBase64(mac.subarray(0, 16), 16)}`;
}

/** `user:$2b$…` lines, sorted by user. Secret: wrap the result as a Pulumi secret. */
export function renderHtpasswd(users: Record<string, string>, key: string): string {
    return Object.keys(users).sort().map((u) => `${u}:${bcrypt.hashSync(users[u], htpasswdSalt(u, users[u], key))}\n`).join("");
}

/** Users and passwords as config gives them; `field` names the config key in messages. */
export function validateRegistryUsers(users: unknown, field: string): Issue[] {
    if (users === null || typeof users !== "object" || Array.isArray(users)) {
        return [error(field, "must be a map of user name to password (pulumi config set --secret --path '" + field + ".<user>' <password>)")];
    }
    const issues: Issue[] = [];
    for (const [u, p] of Object.entries(users as Record<string, unknown>)) {
        if (!USER.test(u)) issues.push(error(`${field}.${u}`, `"${u}" is not a user name (letters, digits, . _ -, up to 64)`));
        if (typeof p !== "string" || p.length < 12) issues.push(error(`${field}.${u}`, "the password must be a string of at least 12 characters"));
        else if (bcrypt.truncates(p)) issues.push(error(`${field}.${u}`, "the password is longer than 72 bytes; bcrypt would ignore the rest"));
    }
    if (Object.keys(users).length === 0) issues.push(error(field, "names no user"));
    return issues;
}
