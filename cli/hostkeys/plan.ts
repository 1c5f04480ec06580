// The pure part of `npm run hostkeys`: what to do with each host's scanned key (pin, keep, rotate,
// refuse), the lines printed for review, and the stack file edited in place (only the hostKey
// values change: comments, flow/block style and spacing stay as the operator wrote them).
import * as YAML from "yaml";
import { fingerprint, hostkeysCommand, isHostKey, parseHostKey } from "../../components/common/host-keys";
import { NAMESPACE } from "../../program/names";

export interface HostKeyTarget {
    name: string;
    address: string;
    port: number;
    /** The key the stack verifies it against today (hostKey, else ssh.knownHostsPath's entry). */
    pinned?: string;
    /** Where `pinned` comes from, for the output. */
    pinnedFrom?: string;
}

export type HostKeyAction =
    | { kind: "pin"; key: string }
    | { kind: "same"; key: string }
    | { kind: "rotate"; key: string; was: string }
    | { kind: "refuse"; key: string; was: string }
    | { kind: "unreachable" };

/** What to do with one host, given the key ssh-keyscan read (undefined: none). */
export function planHostKey(t: HostKeyTarget, scanned: string | undefined, rotate: boolean): HostKeyAction {
    if (!scanned) return { kind: "unreachable" };
    if (t.pinned === undefined) return { kind: "pin", key: scanned };
    const was = parseHostKey(t.pinned);
    if (isHostKey(was) && was.text === scanned) return { kind: "same", key: scanned };
    return rotate ? { kind: "rotate", key: scanned, was: t.pinned } : { kind: "refuse", key: scanned, was: t.pinned };
}

const fp = (k: string) => {
    const p = parseHostKey(k);
    return isHostKey(p) ? fingerprint(p) : `(unreadable: ${p.error})`;
};

/** One line per host for the operator to review (fingerprints as ssh-keygen -l prints them). */
export function formatAction(stack: string, t: HostKeyTarget, a: HostKeyAction): string {
    const where = `${t.name} ${t.address}:${t.port}`;
    switch (a.kind) {
        case "unreachable": return `${where}: no ed25519 host key read (host down, port closed, or no such key): nothing changed`;
        case "pin": return `${where}: ${a.key.split(" ")[0]} ${fp(a.key)}: pinned (new)`;
        case "same": return `${where}: ${a.key.split(" ")[0]} ${fp(a.key)}: unchanged`;
        case "rotate": return `${where}: ${a.key.split(" ")[0]} ${fp(a.key)}: ROTATED (was ${fp(a.was)}${t.pinnedFrom ? ` from ${t.pinnedFrom}` : ""})`;
        case "refuse": return `${where}: REFUSED: the host presents ${fp(a.key)}, the pinned key${t.pinnedFrom ? ` (${t.pinnedFrom})` : ""} is ${fp(a.was)}; if the change is expected (compare with ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the host's console), run: ${hostkeysCommand(stack, t.name, true)}`;
    }
}

/**
 * Sets `hostKey` of the named hosts in a stack file's `dockfleet:hosts`, editing the text at the
 * nodes' source positions: an existing value is replaced, a flow map (`{ name: h1, ... }`) gets
 * `, hostKey: ...` before its `}`, a block map a `hostKey:` line under its last key. Throws when a
 * host is not in the file or the result does not read back as asked.
 */
export function setHostKeys(text: string, keys: Record<string, string>): string {
    const doc = YAML.parseDocument(text);
    if (doc.errors.length > 0) throw new Error(`the stack file does not parse: ${doc.errors[0].message}`);
    const seq = doc.getIn(["config", `${NAMESPACE}:hosts`], true);
    if (!YAML.isSeq(seq)) throw new Error(`the stack file has no config."${NAMESPACE}:hosts" list`);
    const edits: { at: number; end: number; text: string }[] = [];
    const seen = new Set<string>();
    for (const item of seq.items) {
        if (!YAML.isMap(item)) continue;
        const name = String(item.get("name"));
        const key = keys[name];
        if (key === undefined) continue;
        seen.add(name);
        const pair = item.items.find((p) => YAML.isScalar(p.key) && p.key.value === "hostKey");
        if (pair && YAML.isNode(pair.value) && pair.value.range) {
            edits.push({ at: pair.value.range[0], end: pair.value.range[1], text: key });
        } else if (item.flow && item.range) {
            const close = text.lastIndexOf("}", item.range[1] - 1);
            let at = close;
            while (at > item.range[0] && /\s/.test(text[at - 1])) at--;
            const empty = text[at - 1] === "{";
            edits.push({ at, end: at, text: `${empty ? "" : ","} hostKey: ${key}` });
        } else if (item.range && item.items.length > 0) {
            const first = item.items[0].key as YAML.Node;
            const lineStart = text.lastIndexOf("\n", first.range![0] - 1) + 1;
            const indent = " ".repeat(first.range![0] - lineStart);
            const last = item.items[item.items.length - 1];
            const lastEnd = (YAML.isNode(last.value) ? last.value.range![1] : (last.key as YAML.Node).range![1]);
            const nl = text.indexOf("\n", lastEnd - 1);
            const at = nl < 0 ? text.length : nl + 1;
            edits.push({ at, end: at, text: `${nl < 0 ? "\n" : ""}${indent}hostKey: ${key}\n` });
        } else {
            throw new Error(`host ${name}: its entry in ${NAMESPACE}:hosts cannot be edited in place`);
        }
    }
    const missing = Object.keys(keys).filter((n) => !seen.has(n));
    if (missing.length > 0) throw new Error(`not in ${NAMESPACE}:hosts: ${missing.join(", ")}`);
    let out = text;
    for (const e of edits.sort((a, b) => b.at - a.at)) out = out.slice(0, e.at) + e.text + out.slice(e.end);
    const check = YAML.parseDocument(out);
    const hosts = (check.toJS() as { config?: Record<string, { name: string; hostKey?: string }[]> }).config?.[`${NAMESPACE}:hosts`] ?? [];
    for (const [n, k] of Object.entries(keys)) {
        if (hosts.find((h) => h.name === n)?.hostKey !== k) throw new Error(`host ${n}: the edited stack file does not read back with its new hostKey`);
    }
    return out;
}
