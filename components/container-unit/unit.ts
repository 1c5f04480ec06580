import { Issue, error } from "../common/issues";
import { isGoDuration } from "../common/duration";
import { quoteSystemdWord, renderUnit } from "../common/systemd";

/** A long-running container kept up by systemd (the seed's docker-mcollective.service pattern). */
export interface ContainerUnitSpec {
    /** Unit and container name, e.g. "mcollective". Required. */
    name: string;
    /** Image, e.g. "registry.corp:5000/mcollective:2.12". Required. */
    image: string;
    /** Arguments after the image. Default: `[]`. */
    command?: string[];
    /** Extra `docker run` flags, e.g. `["--net=host", "-v", "/etc/mcollective:/etc/mcollective:ro"]`. Default: `[]`. */
    runArgs?: string[];
    /** Environment variables for the container (not secret: they are in the unit file). Default: `{}`. */
    env?: Record<string, string>;
    /** Unit description. Default: "<name> container (dockfleet)". */
    description?: string;
    /** `Restart=`. Default: "on-failure". */
    restart?: "on-failure" | "always" | "on-abnormal" | "no";
    /** `RestartSec=` (systemd time span, e.g. "10s"). Default: "10s". */
    restartSec?: string;
    /** `StartLimitBurst=`. Default: 5. */
    startLimitBurst?: number;
    /** `StartLimitIntervalSec=`. Default: "300s". */
    startLimitInterval?: string;
    /** Pull the image before each start (`ExecStartPre=-docker pull`). Default: false. */
    pullOnStart?: boolean;
    /** Seconds `docker stop` waits before SIGKILL. Default: 10. */
    stopTimeoutSeconds?: number;
    /** Path of the docker CLI on the host. Default: "/usr/bin/docker". */
    dockerPath?: string;
}

export function withUnitDefaults(s: ContainerUnitSpec) {
    return {
        command: s.command ?? [],
        runArgs: s.runArgs ?? [],
        env: s.env ?? {},
        description: s.description ?? `${s.name} container (dockfleet)`,
        restart: s.restart ?? "on-failure",
        restartSec: s.restartSec ?? "10s",
        startLimitBurst: s.startLimitBurst ?? 5,
        startLimitInterval: s.startLimitInterval ?? "300s",
        pullOnStart: s.pullOnStart ?? false,
        stopTimeoutSeconds: s.stopTimeoutSeconds ?? 10,
        dockerPath: s.dockerPath ?? "/usr/bin/docker",
    };
}

const words = (ws: string[]) => ws.map((w) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w.replace(/%/g, "%%") : quoteSystemdWord(w))).join(" ");

export const unitPath = (name: string) => `/etc/systemd/system/${name}.service`;

/** The unit file text. */
export function renderContainerUnit(s: ContainerUnitSpec): string {
    const d = withUnitDefaults(s);
    const envArgs = Object.keys(d.env).sort().flatMap((k) => ["-e", `${k}=${d.env[k]}`]);
    const pre: [string, string][] = [["ExecStartPre", `-${d.dockerPath} rm -f ${s.name}`]];
    if (d.pullOnStart) pre.push(["ExecStartPre", `-${d.dockerPath} pull ${words([s.image])}`]);
    return renderUnit([
        { name: "Unit", entries: [
            ["Description", d.description],
            ["Requires", "docker.service"],
            ["After", "docker.service"],
            ["StartLimitIntervalSec", d.startLimitInterval],
            ["StartLimitBurst", String(d.startLimitBurst)],
        ] },
        { name: "Service", entries: [
            ["Restart", d.restart],
            ["RestartSec", d.restartSec],
            ["TimeoutStartSec", "0"],
            ...pre,
            ["ExecStart", `${d.dockerPath} run --rm --name ${s.name} ${words([...d.runArgs, ...envArgs, s.image, ...d.command])}`.replace(/ +$/, "")],
            ["ExecStop", `${d.dockerPath} stop -t ${d.stopTimeoutSeconds} ${s.name}`],
        ] },
        { name: "Install", entries: [["WantedBy", "multi-user.target"]] },
    ], "Managed by dockfleet.");
}

export function validateContainerUnit(s: ContainerUnitSpec): Issue[] {
    const issues: Issue[] = [];
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(s.name ?? "")) issues.push(error("name", `"${s.name}" must be a container/unit name (letters, digits, "_", ".", "-")`));
    if (!s.image || /\s/.test(s.image)) issues.push(error("image", `"${s.image}" is not an image reference`));
    const span = /^\d+(ms|s|min|m|h)?$/;
    if (s.restartSec !== undefined && !span.test(s.restartSec) && !isGoDuration(s.restartSec)) issues.push(error("restartSec", `"${s.restartSec}" must be a time span like "10s"`));
    if (s.startLimitInterval !== undefined && !span.test(s.startLimitInterval) && !isGoDuration(s.startLimitInterval)) issues.push(error("startLimitInterval", `"${s.startLimitInterval}" must be a time span like "300s"`));
    if (s.startLimitBurst !== undefined && !(Number.isInteger(s.startLimitBurst) && s.startLimitBurst >= 1)) issues.push(error("startLimitBurst", `${s.startLimitBurst} must be a whole number ≥ 1`));
    if (s.restart !== undefined && !["on-failure", "always", "on-abnormal", "no"].includes(s.restart)) issues.push(error("restart", `"${s.restart}" must be on-failure, always, on-abnormal or no`));
    for (const [k, v] of Object.entries(s.env ?? {})) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) issues.push(error(`env.${k}`, `"${k}" is not an environment variable name`));
        if (/[\n\r]/.test(v)) issues.push(error(`env.${k}`, "must not contain line breaks"));
    }
    return issues;
}
