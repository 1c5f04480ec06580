// What the apply script needs to know about a daemon.json it is sent, computed here and shipped
// beside the file (issue 29): the script then never parses JSON itself, and a host needs neither
// jq nor python3 (a minimal Debian has neither). The script keeps the facts of every file it
// writes by the file's sha256 (apply/facts.sh), so a later apply, the rollback and the guard have
// them for the live file too; only a file dockfleet did not write is read with jq, when present.
import { createHash } from "crypto";
import { canonicalDaemonJson } from "./daemon-parse";
import { STARTS_KEYS } from "./daemon-keys";

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** jq's `a // b // …`: the first value that is neither absent, null nor false. */
const alt = (...vs: unknown[]): unknown => vs.find((v) => v !== undefined && v !== null && v !== false);
/** jq's `tostring`: a string as is, anything else as JSON. */
const jqString = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

/**
 * The storage settings as `DRIVER|DATA-ROOT|DIRECT-LVM` (the devicemapper checks and the rollback's
 * graph-state note): DIRECT-LVM is empty without dm.directlvm_device, else the values dockerd
 * stores with the pool, unset ones at dockerd's defaults (thinp_percent 95, thinp_metapercent 1,
 * autoextend threshold 80, percent 20); dm.directlvm_device_force is not stored with the pool.
 * Option names are trimmed and lower-cased (ASCII), as dockerd reads them.
 */
export function dmSettings(d: Record<string, unknown>): string {
    const o = new Map<string, string>();
    const opts = d["storage-opts"];
    for (const e of Array.isArray(opts) ? opts : []) {
        if (typeof e !== "string") continue;
        const m = /^\s*([^=]+?)\s*=\s*(.*?)\s*$/.exec(e);
        if (m) o.set(m[1].replace(/[A-Z]/g, (c) => c.toLowerCase()), m[2]);
    }
    const dev = o.get("dm.directlvm_device");
    const lvm = dev === undefined
        ? ""
        : `device=${dev} thinp_percent=${o.get("dm.thinp_percent") ?? "95"} thinp_metapercent=${o.get("dm.thinp_metapercent") ?? "1"} ` +
          `thinp_autoextend_threshold=${o.get("dm.thinp_autoextend_threshold") ?? "80"} thinp_autoextend_percent=${o.get("dm.thinp_autoextend_percent") ?? "20"}`;
    return [jqString(alt(d["storage-driver"], "")), jqString(alt(d["data-root"], d.graph, "/var/lib/docker")), lvm].join("|");
}

/**
 * The settings whose validity depends on the host, one per entry: `userns USER[:GROUP]`,
 * `runtime NAME PATH`, `shim NAME TYPE`, `cgroupdriver DRIVER`, `tlsfile KEY PATH` (the script's
 * check_host_needs reads them).
 */
export function hostNeeds(d: Record<string, unknown>): string[] {
    const out: string[] = [];
    if (typeof d["userns-remap"] === "string") out.push(`userns ${d["userns-remap"]}`);
    const runtimes = alt(d.runtimes, {});
    for (const [name, r] of Object.entries(isObject(runtimes) ? runtimes : {})) {
        if (!isObject(r)) continue;
        if (typeof r.path === "string") out.push(`runtime ${name} ${r.path}`);
        else if (typeof r.runtimeType === "string") out.push(`shim ${name} ${r.runtimeType}`);
    }
    const execOpts = d["exec-opts"];
    for (const e of Array.isArray(execOpts) ? execOpts : []) {
        if (typeof e === "string" && e.startsWith("native.cgroupdriver=")) out.push(`cgroupdriver ${e.slice("native.cgroupdriver=".length)}`);
    }
    for (const k of ["tlscacert", "tlscert", "tlskey"]) {
        if (typeof d[k] === "string") out.push(`tlsfile ${k} ${d[k]}`);
    }
    return out;
}

/**
 * The settings that change how new containers start (STARTS_KEYS), as the first 16 hex of the
 * sha256 of their canonical JSON: two files with the same value start containers alike, so a
 * reload between them needs no smoke container.
 */
export function startsDigest(d: Record<string, unknown>): string {
    const sub = Object.fromEntries(STARTS_KEYS.filter((k) => d[k] !== undefined).map((k) => [k, d[k]]));
    return createHash("sha256").update(canonicalDaemonJson(sub)).digest("hex").slice(0, 16);
}

/**
 * The facts of daemon.json BYTES (the bytes the script writes, bundle.ts fileBytes), one per line:
 * `sha HEX` (the sha256 of the bytes: the script uses facts only for the file they describe), then
 * `canon JSON` (canonicalDaemonJson: the restart decision), `dm DRIVER|DATA-ROOT|DIRECT-LVM`,
 * `starts HEX` (startsDigest: the smoke container after a reload; shipped only, the script's jq
 * reading of a file dockfleet did not write has none, and then the smoke container runs), and
 * `need …` per host need; or, for bytes that are not a JSON object, `invalid WHY` (the script
 * refuses the file).
 */
export function daemonFacts(bytes: string): string {
    const lines = [`sha ${createHash("sha256").update(bytes, "utf8").digest("hex")}`];
    let d: unknown;
    try {
        d = JSON.parse(bytes);
    } catch (e) {
        lines.push(`invalid ${String((e as Error).message).split("\n")[0]}`);
        return `${lines.join("\n")}\n`;
    }
    if (!isObject(d)) {
        lines.push("invalid not an object");
    } else {
        lines.push(`canon ${canonicalDaemonJson(d)}`, `dm ${dmSettings(d)}`, `starts ${startsDigest(d)}`, ...hostNeeds(d).map((n) => `need ${n}`));
    }
    return `${lines.join("\n")}\n`;
}
