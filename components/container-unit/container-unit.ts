import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { componentContext, reportIssues } from "../common/report";
import { scriptCommand } from "../common/shell";
import { resourceOwner } from "../common/owner";
import { ContainerUnitSpec, renderContainerUnit, validateContainerUnit } from "./unit";

export interface ContainerUnitArgs extends ContainerUnitSpec {
    /** SSH connection to the host. Required. */
    connection: command.types.input.remote.ConnectionArgs;
}

const SCRIPT = path.join(__dirname, "scripts", "install-unit.sh");
const EOF_MARK = "DOCKFLEET_UNIT_EOF";

/** The remote command line: the repo's script (base64) with the unit text on stdin via a here-document. */
export function renderUnitCommand(action: "install" | "remove", name: string, unitText?: string, claim?: { owner: string; op?: "create" | "update" }): string {
    const words = [action, name];
    if (claim) words.push("--owner", claim.owner);
    if (claim?.op && action === "install") words.push("--op", claim.op);
    return scriptCommand(fs.readFileSync(SCRIPT, "utf8"), "install-unit", words,
        unitText === undefined ? {} : { hereDoc: { fd: 0, marker: EOF_MARK, text: unitText } });
}

/** A systemd unit wrapping a container on one host (Requires/After docker.service, restart policy, start limits). */
export class ContainerUnit extends pulumi.ComponentResource {
    public readonly unitText: string;

    constructor(name: string, args: ContainerUnitArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockfleet:containerunit:ContainerUnit", name, {}, opts);
        reportIssues(this, componentContext(`ContainerUnit "${name}"`), validateContainerUnit(args));
        this.unitText = renderContainerUnit(args);
        // Claims on the host make a replaced or renamed resource's delete (run after its
        // successor's create) keep the unit; see scripts/install-unit.sh.
        const owner = resourceOwner(name);
        new command.remote.Command(`${name}-unit`, {
            connection: args.connection,
            create: renderUnitCommand("install", args.name, this.unitText, { owner, op: "create" }),
            update: renderUnitCommand("install", args.name, this.unitText, { owner, op: "update" }),
            delete: renderUnitCommand("remove", args.name, undefined, { owner }),
            addPreviousOutputInEnv: false,
        }, { parent: this });
        this.registerOutputs({ unitText: this.unitText });
    }
}
