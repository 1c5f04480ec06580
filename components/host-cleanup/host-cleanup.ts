import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { componentContext, reportIssues } from "../common/report";
import { scriptCommand } from "../common/shell";
import { resourceOwner } from "../common/owner";
import { HostCleanupPolicy, CLEANUP_UNIT, renderCleanupService, renderCleanupTimer, validateHostCleanup } from "./policy";

export interface HostCleanupArgs extends HostCleanupPolicy {
    /** SSH connection to the host (e.g. remoteConnection of components/common/connection). Required. */
    connection: command.types.input.remote.ConnectionArgs;
}

const SCRIPT = path.join(__dirname, "scripts", "install-cleanup.sh");
const EOF_MARK = "DOCKFLEET_CLEANUP_EOF";
/** The line between the service and the timer on the script's stdin. */
export const TIMER_SPLIT = `# --- ${CLEANUP_UNIT}.timer ---`;

/** The remote command line: the repo's script (base64) with both units on stdin via a here-document (the diff shows each line). */
export function renderCleanupCommand(action: "install" | "remove", units?: { service: string; timer: string }, claim?: { owner: string; op?: "create" | "update" }): string {
    const words: string[] = [action];
    if (claim) words.push("--owner", claim.owner);
    if (claim?.op && action === "install") words.push("--op", claim.op);
    return scriptCommand(fs.readFileSync(SCRIPT, "utf8"), "install-cleanup", words,
        units === undefined ? {} : { hereDoc: { fd: 0, marker: EOF_MARK, text: `${units.service}${TIMER_SPLIT}\n${units.timer}` } });
}

/**
 * A host's cleanup timer: dockfleet-cleanup.service prunes what no container uses (policy.ts), its
 * timer runs it on a schedule. Install runs no prune; delete stops and disables the timer and
 * removes both units. dockerd's config and docker.service are never touched.
 */
export class HostCleanup extends pulumi.ComponentResource {
    public readonly serviceText: string;
    public readonly timerText: string;

    constructor(name: string, args: HostCleanupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockfleet:hostcleanup:HostCleanup", name, {}, opts);
        const { connection, ...policy } = args;
        reportIssues(this, componentContext(`HostCleanup "${name}"`), validateHostCleanup(policy));
        this.serviceText = renderCleanupService(policy);
        this.timerText = renderCleanupTimer(policy);
        const units = { service: this.serviceText, timer: this.timerText };
        // claims keep a renamed or replaced resource's delete from removing its successor's units
        const owner = resourceOwner(name);
        new command.remote.Command(`${name}-timer`, {
            connection,
            create: renderCleanupCommand("install", units, { owner, op: "create" }),
            update: renderCleanupCommand("install", units, { owner, op: "update" }),
            delete: renderCleanupCommand("remove", undefined, { owner }),
            addPreviousOutputInEnv: false,
        }, { parent: this });
        this.registerOutputs({ serviceText: this.serviceText, timerText: this.timerText });
    }
}
