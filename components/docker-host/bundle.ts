import * as fs from "fs";
import * as path from "path";
import { scriptCommand } from "../common/shell";
import { daemonFacts } from "./daemon-facts";

/** A file the apply script manages. `content: undefined` means the file must not exist. */
export interface ManagedFile {
    path: string;
    /** Octal mode, e.g. "0644". */
    mode: string;
    content?: string;
}

const HEADER = "=== ";
export const BUNDLE_EOF = "DOCKFLEET_BUNDLE_EOF";

/**
 * The bytes the apply script writes for a file (its parse_bundle ends every line with a newline):
 * what the probe's digests of the applied files are compared with. undefined: the file must not exist.
 */
export function fileBytes(f: ManagedFile): string | undefined {
    if (f.content === undefined) return undefined;
    return f.content === "" || f.content.endsWith("\n") ? f.content : `${f.content}\n`;
}

/** The header of a facts entry: `=== @facts PATH`, the facts of the file at PATH (not a file to write). */
export const FACTS_HEADER = `${HEADER}@facts`;

/**
 * The bundle entry with a daemon.json's facts (daemon-facts.ts), which the script uses instead of
 * parsing the file: `=== @facts PATH` and the fact lines. "" for any other file.
 */
export function renderFactsEntry(f: ManagedFile): string {
    const bytes = fileBytes(f);
    if (bytes === undefined || !f.path.endsWith("/daemon.json")) return "";
    return `${FACTS_HEADER} ${f.path}\n${daemonFacts(bytes)}`;
}

/** The text format apply-docker-config.sh reads (see the script's header); a daemon.json is followed by its facts. */
export function renderBundle(files: ManagedFile[]): string {
    return files
        .map((f) => {
            if (f.content === undefined) return `${HEADER}${f.path} absent\n`;
            for (const line of f.content.split("\n")) {
                if (line.startsWith(HEADER) || line === BUNDLE_EOF) {
                    throw new Error(`${f.path}: a line may not start with "${HEADER}" or equal ${BUNDLE_EOF}`);
                }
            }
            return `${HEADER}${f.path} ${f.mode}\n${fileBytes(f)}${renderFactsEntry(f)}`;
        })
        .join("");
}

export const APPLY_SCRIPT_FILE = path.join(__dirname, "scripts", "apply-docker-config.sh");

let scriptCache: string | undefined;
export function applyScriptText(): string {
    scriptCache ??= fs.readFileSync(APPLY_SCRIPT_FILE, "utf8");
    return scriptCache;
}

/** The apply's stdout line after a verified apply that restarted dockerd (the manager's serve-wait reads it). */
export const APPLY_RESTARTED_LINE = "dockfleet-apply: restarted";

export type ApplyAction = "apply" | "restore" | "forget" | "status" | "recover";

export interface ApplyCommandOptions {
    host: string;
    restartTimeoutSeconds: number;
    smokeImage?: string;
    /** `missing` pulls an absent smoke image after the restart; `never` requires it on the host (checked before writing). Default: "missing". */
    smokePull?: "missing" | "never";
    restartCommand?: string;
    reloadCommand?: string;
    logCommand?: string;
    reloadDigest?: string;
    /** Claim name on the host (see the script's header: a replaced resource's delete never undoes its successor). */
    owner?: string;
    /** Which Pulumi operation runs the apply: `create` adds a claim, `update` keeps one. */
    op?: "create" | "update";
    /** Drift-repair marker recorded after a verified apply (drift.ts `repairMarker`). */
    repair?: string;
    /** Who waits for a worker's swarm tasks after a restart: the node itself, or a manager (DockerFleet's serve-wait). Default: "node". */
    taskWait?: "node" | "manager";
}

/**
 * The remote command line: the repo's script (base64, so no quoting surprises) run by bash, the
 * options as quoted words, and the public bundle as a here-document on fd 3 so `pulumi preview
 * --diff` shows daemon.json line by line.
 */
export function renderApplyCommand(action: ApplyAction, o: ApplyCommandOptions, publicBundle?: string): string {
    const args: string[] = [action, "--host", o.host, "--restart-timeout", String(o.restartTimeoutSeconds)];
    if (o.smokeImage) args.push("--smoke-image", o.smokeImage);
    if (o.smokeImage && o.smokePull === "never") args.push("--smoke-pull", "never");
    if (o.restartCommand) args.push("--restart-cmd", o.restartCommand);
    if (o.reloadCommand) args.push("--reload-cmd", o.reloadCommand);
    if (o.logCommand) args.push("--log-cmd", o.logCommand);
    if (o.reloadDigest) args.push("--reload-digest", o.reloadDigest);
    if (o.owner) args.push("--owner", o.owner);
    if (o.op && action === "apply") args.push("--op", o.op);
    if (o.repair && action === "apply") args.push("--repair", o.repair);
    if (o.taskWait === "manager" && action === "apply") args.push("--task-wait", "manager");
    return scriptCommand(applyScriptText(), "apply-docker-config", args,
        publicBundle === undefined ? {} : { hereDoc: { fd: 3, marker: BUNDLE_EOF, text: publicBundle } });
}
