import { Issue, error } from "../common/issues";
import { durationMs, isGoDuration } from "../common/duration";
import { renderUnit } from "../common/systemd";

/**
 * What a host's cleanup timer prunes and when. Docker's own prunes, one per kind of object, so each
 * gets the filters its kind supports (`docker system prune` takes one filter set for all of them
 * and cannot keep the build cache younger than the images, or stack networks).
 */
export interface HostCleanupPolicy {
    /** When the prune runs: systemd `OnCalendar=`. Default: "daily". */
    schedule?: string;
    /** systemd `RandomizedDelaySec=` (a time span; hosts do not all prune at once). Default: "1h". */
    randomizedDelay?: string;
    /**
     * Stopped containers, unused networks and images created longer ago than this are pruned
     * (docker's `until` filter: a Go duration, e.g. "168h"; for images it is the image's creation
     * time, not when it was pulled or last run). Default: "168h" (7 days).
     */
    age?: string;
    /** Build cache not used for this long is pruned (a Go duration). Default: `age`. */
    buildCacheAge?: string;
    /** "unused": every image no container uses, tagged or not (`image prune --all`); "dangling": untagged ones only. Default: "unused". */
    images?: "unused" | "dangling";
    /** Images and stopped containers carrying this label (`key` or `key=value`) are kept. Default: "dockfleet.keep". */
    keepLabel?: string;
    /** Also remove anonymous volumes no container uses (their data is lost). Default: false (volumes are never pruned). */
    volumes?: boolean;
}

export const CLEANUP_UNIT = "dockfleet-cleanup";
const DOCKER = "/usr/bin/docker";
/** Networks of swarm stacks (dockfleet's and `docker stack deploy`'s): on a manager, network prune would remove a stack's network no service uses yet. */
export const STACK_NETWORK_LABEL = "com.docker.stack.namespace";

export function withCleanupDefaults(p: HostCleanupPolicy) {
    const age = p.age ?? "168h";
    return {
        schedule: p.schedule ?? "daily",
        randomizedDelay: p.randomizedDelay ?? "1h",
        age,
        buildCacheAge: p.buildCacheAge ?? age,
        images: p.images ?? "unused",
        keepLabel: p.keepLabel ?? "dockfleet.keep",
        volumes: p.volumes ?? false,
    };
}

/**
 * The prune command lines, in the order they run: containers first (their images and networks are
 * then unused), build cache last. Every word is from a checked alphabet, so none needs quoting.
 */
export function renderPruneCommands(p: HostCleanupPolicy): string[] {
    const d = withCleanupDefaults(p);
    const until = `--filter until=${d.age}`;
    // Several `label!=` filters keep only what carries ALL of them (docker's MatchKVList), so one
    // keep label, and the stack guard on networks alone.
    const keep = `--filter label!=${d.keepLabel}`;
    const cmds = [
        `${DOCKER} container prune --force ${until} ${keep}`,
        `${DOCKER} network prune --force ${until} --filter label!=${STACK_NETWORK_LABEL}`,
        `${DOCKER} image prune${d.images === "unused" ? " --all" : ""} --force ${until} ${keep}`,
        // --all: unused cache records, not only dangling ones; `until` is their last use
        `${DOCKER} builder prune --all --force --filter until=${d.buildCacheAge}`,
    ];
    if (d.volumes) {
        // `docker volume prune` takes only label filters (no `until`: volumes have no age it can
        // filter on), and before Docker 23 it removes unused named volumes too. So: the dangling
        // volumes whose names are anonymous ones' (64 hex digits), on any version, whatever their age.
        cmds.push(`/bin/sh -c "${DOCKER} volume ls -q --filter dangling=true | grep -xE '[0-9a-f]{64}' | xargs -r ${DOCKER} volume rm"`);
    }
    return cmds;
}

/** dockfleet-cleanup.service: a oneshot running the prunes in order (a failed one fails the unit and skips the rest). */
export function renderCleanupService(p: HostCleanupPolicy): string {
    return renderUnit([
        { name: "Unit", entries: [
            ["Description", "dockfleet: prune unused Docker data"],
            // needs a running dockerd and never starts one (Requires= would)
            ["Requisite", "docker.service"],
            ["After", "docker.service"],
        ] },
        { name: "Service", entries: [
            ["Type", "oneshot"],
            ...renderPruneCommands(p).map((c): [string, string] => ["ExecStart", c]),
        ] },
    ], "Managed by dockfleet (HostCleanup). Prunes only what no container uses; never dockerd's config.");
}

/** dockfleet-cleanup.timer: the schedule, spread over the hosts, a run missed while down made up at boot. */
export function renderCleanupTimer(p: HostCleanupPolicy): string {
    const d = withCleanupDefaults(p);
    return renderUnit([
        { name: "Unit", entries: [["Description", "dockfleet: prune unused Docker data on a schedule"]] },
        { name: "Timer", entries: [
            ["OnCalendar", d.schedule],
            ["RandomizedDelaySec", d.randomizedDelay],
            ["Persistent", "true"],
        ] },
        { name: "Install", entries: [["WantedBy", "timers.target"]] },
    ], "Managed by dockfleet (HostCleanup).");
}

/** How the program's log line of the policy starts (cli/preview-summary finds it by this). */
export const CLEANUP_MESSAGE = "HostCleanup policy: ";

/** The policy in one line, for the program's log and the preview summary. */
export function describeCleanupPolicy(p: HostCleanupPolicy, hosts: string[]): string {
    const d = withCleanupDefaults(p);
    const images = d.images === "unused" ? "images no container uses" : "dangling images";
    return `${CLEANUP_UNIT}.timer on ${hosts.join(", ")}: ${d.schedule} (up to ${d.randomizedDelay} later at random; a missed run at boot), `
        + `prunes stopped containers, unused networks and ${images} older than ${d.age}, build cache unused for ${d.buildCacheAge}; `
        + `keeps what is labelled ${d.keepLabel}, stack networks, ${d.volumes ? "named volumes (anonymous volumes no container uses are removed)" : "every volume"}`;
}

const AGE_HINT = 'a Go duration such as "168h" (7 days) or "36h30m": units ns, us, ms, s, m, h (docker has no "d")';
const LABEL = /^[A-Za-z0-9][A-Za-z0-9._/-]*(=[A-Za-z0-9._/:@+-]*)?$/;
// systemd time span: "0", "90" (seconds), "1h", "30min", "1h30min"
const SPAN = /^(\d+|(\d+(us|ms|s|sec|m|min|h|hr|d|w))+)$/;

function ageIssues(field: string, v: string | undefined): Issue[] {
    if (v === undefined) return [];
    if (!isGoDuration(v)) return [error(field, `"${v}" is not an age docker's until filter takes: ${AGE_HINT}`)];
    if (durationMs(v) === 0) return [error(field, `"${v}": the age must be more than 0 (an age of 0 prunes an image pulled a moment ago, before its container starts)`)];
    return [];
}

/** The policy's problems; fields relative to the policy (`age`), nested by the caller. */
export function validateHostCleanup(p: HostCleanupPolicy): Issue[] {
    const issues: Issue[] = [...ageIssues("age", p.age), ...ageIssues("buildCacheAge", p.buildCacheAge)];
    if (p.schedule !== undefined && (p.schedule.trim() === "" || /[\x00-\x1f%]/.test(p.schedule))) {
        issues.push(error("schedule", `${JSON.stringify(p.schedule)} must be a systemd OnCalendar expression on one line, such as "daily" or "Sun *-*-* 03:00:00" (systemd-analyze calendar checks one)`));
    }
    if (p.randomizedDelay !== undefined && !SPAN.test(p.randomizedDelay)) {
        issues.push(error("randomizedDelay", `"${p.randomizedDelay}" must be a systemd time span such as "1h", "30min" or "0" (no delay)`));
    }
    if (p.images !== undefined && p.images !== "unused" && p.images !== "dangling") {
        issues.push(error("images", `"${p.images}" must be "unused" (every image no container uses) or "dangling" (untagged ones only)`));
    }
    if (p.keepLabel !== undefined && !LABEL.test(p.keepLabel)) {
        issues.push(error("keepLabel", `"${p.keepLabel}" must be one label as key or key=value (letters, digits and . _ / - in the key; no spaces)`));
    }
    return issues;
}
