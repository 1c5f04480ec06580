import { Issue, error } from "../common/issues";
import { renderUnit } from "../common/systemd";
import { shQuote } from "../common/shell";

/** Garbage collection of the registry (scripts/registry-gc.sh, run by a systemd timer on its host). */
export interface RegistryGcSpec {
    /** Default: true (the block is there). false removes the job. */
    enabled?: boolean;
    /** Unreferenced digests kept per repository, the most recently created first. Default: 3. */
    keep?: number;
    /** The maintenance window: a systemd `OnCalendar=` expression. Default: "Sun *-*-* 03:00:00". */
    schedule?: string;
}

export const GC_DEFAULTS = { keep: 3, schedule: "Sun *-*-* 03:00:00" };

export function withGcDefaults(g: RegistryGcSpec) {
    return { enabled: g.enabled ?? true, keep: g.keep ?? GC_DEFAULTS.keep, schedule: g.schedule ?? GC_DEFAULTS.schedule };
}

/** Where the job lives on the registry host; all of it root-only but the units. */
export const GC_PATHS = {
    dir: "/etc/dockfleet/registry-gc",
    /** On /run: gone after a reboot, so a run cut off by one never leaves the registry read-only. */
    flagDir: "/run/dockfleet-registry-gc",
    /** The flag directory inside the registry container (bind-mounted read-only). */
    flagInContainer: "/run/dockfleet-gc",
    unit: "dockfleet-registry-gc",
};

/**
 * The registry container's entrypoint when GC is on: while the GC job's flag exists, the registry
 * starts with `storage.maintenance.readonly` (env values are YAML: `{enabled: true}`; the flat
 * `..._READONLY_ENABLED=true` panics "readonly config key must contain additional keys" in 2.8.2,
 * measured), so the job switches modes with a flag and a `docker restart`.
 */
export function gcEntrypoint(configPath = "/etc/docker/registry/config.yml"): string[] {
    return ["/bin/sh", "-c",
        `if [ -e ${GC_PATHS.flagInContainer}/readonly ]; then export REGISTRY_STORAGE_MAINTENANCE_READONLY='{enabled: true}'; fi; exec /bin/registry serve ${configPath}`];
}

/** Pure checks, fields relative to the `gc` block. */
export function validateRegistryGc(g: RegistryGcSpec): Issue[] {
    const issues: Issue[] = [];
    if (g.keep !== undefined && !(Number.isInteger(g.keep) && g.keep >= 0 && g.keep <= 1000)) {
        issues.push(error("keep", `${g.keep} must be a whole number from 0 to 1000 (unreferenced digests kept per repository)`));
    }
    if (g.schedule !== undefined) {
        if (g.schedule.trim() === "" || /[\n\r%\\]/.test(g.schedule)) {
            issues.push(error("schedule", `${JSON.stringify(g.schedule)} must be a systemd OnCalendar expression such as "Sun *-*-* 03:00:00" (no newline, %, or backslash)`));
        }
    }
    return issues;
}

/** The service (oneshot) and its timer. Persistent=false: a missed window waits for the next one. */
export function renderGcUnits(schedule: string): { service: string; timer: string } {
    const script = `${GC_PATHS.dir}/registry-gc.sh`;
    const service = renderUnit([
        { name: "Unit", entries: [
            ["Description", "dockfleet: registry garbage collection (read-only while it runs)"],
            ["Requires", "docker.service"],
            ["After", "docker.service"],
        ] },
        { name: "Service", entries: [
            ["Type", "oneshot"],
            ["ExecStart", `/bin/bash ${script} run`],
            // a SIGKILL skips the script's trap: the registry goes back to read-write here
            ["ExecStopPost", `/bin/bash ${script} read-write`],
            ["TimeoutStartSec", "6h"],
        ] },
    ], "Managed by dockfleet.");
    const timer = renderUnit([
        { name: "Unit", entries: [["Description", "dockfleet: registry garbage collection in its maintenance window"]] },
        { name: "Timer", entries: [["OnCalendar", schedule], ["Persistent", "false"]] },
        { name: "Install", entries: [["WantedBy", "timers.target"]] },
    ], "Managed by dockfleet.");
    return { service, timer };
}

/** The job's settings file (sourced by the script; nothing secret). */
export function renderGcSettings(o: { url: string; container: string; keep: number; caCert?: string }): string {
    return [
        `REGISTRY_URL=${shQuote(o.url)}`,
        `CONTAINER=${shQuote(o.container)}`,
        `KEEP=${o.keep}`,
        `CACERT=${shQuote(o.caCert ?? "")}`,
    ].join("\n") + "\n";
}

/** The credentials as a curl config file (`curl -K`): a comment and a quoted `user` line (none without authentication). Secret. */
export function renderGcCurlConfig(user?: { username: string; password: string }): string {
    const head = "# dockfleet registry GC: the registry's credentials (root-only)\n";
    if (!user) return head;
    const q = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, "\\\"");
    if (/[\n\r]/.test(user.username + user.password)) throw new Error("registry credentials cannot contain newlines");
    return `${head}user = "${q(user.username)}:${q(user.password)}"\n`;
}

/**
 * The images the fleet runs from this registry, as the job reads them: `repo@sha256:...` for a
 * pinned image (a digest wins over a tag), `repo:tag` otherwise (the tag's digest at GC time is
 * kept). Other registries' images are left out. Sorted, one per line.
 */
export function renderReferenced(images: string[], address: string): string {
    const refs = new Set<string>();
    for (const image of images) {
        if (!image.startsWith(`${address}/`)) continue;
        const rest = image.slice(address.length + 1);
        const at = rest.indexOf("@");
        if (at >= 0) {
            refs.add(`${rest.slice(0, at).replace(/:[^/:]+$/, "")}@${rest.slice(at + 1)}`);
        } else {
            refs.add(/:[^/:]+$/.test(rest) ? rest : `${rest}:latest`);
        }
    }
    return [...refs].sort().map((r) => `${r}\n`).join("");
}

/** How the preview's GC line starts (the PR summary finds it by this). */
export const GC_MESSAGE = "Registry GC: ";

/** One line for the preview: the policy and how many images it keeps by reference. */
export function gcSummary(g: ReturnType<typeof withGcDefaults>, referenced: number): string {
    return `${GC_MESSAGE}keep every referenced digest (${referenced} image reference${referenced === 1 ? "" : "s"} in this stack) and the ${g.keep} newest other digest${g.keep === 1 ? "" : "s"} per repository; ` +
        `garbage-collect read-only on "${g.schedule}" (timer ${GC_PATHS.unit}.timer on the registry host)`;
}
