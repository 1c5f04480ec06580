import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { throwOnErrors } from "../common/issues";
import { shQuote } from "../common/shell";
import { ContainerUnitSpec, renderContainerUnit, validateContainerUnit } from "./unit";

export interface ContainerUnitArgs extends ContainerUnitSpec {
    /** SSH connection to the host. Required. */
    connection: command.types.input.remote.ConnectionArgs;
}

const SCRIPT = path.join(__dirname, "scripts", "install-unit.sh");
const EOF_MARK = "DOCKFLEET_UNIT_EOF";

/** The remote command line: the repo's script (base64) with the unit text on stdin via a here-document. */
export function renderUnitCommand(action: "install" | "remove", name: string, unitText?: string): string {
    const b64 = Buffer.from(fs.readFileSync(SCRIPT, "utf8")).toString("base64");
    let cmd = `/bin/bash -c "$(printf %s ${shQuote(b64)} | base64 -d)" install-unit ${action} ${shQuote(name)}`;
    if (unitText !== undefined) cmd += ` <<'${EOF_MARK}'\n${unitText}${EOF_MARK}\n`;
    return cmd;
}

/** A systemd unit wrapping a container on one host (Requires/After docker.service, restart policy, start limits). */
export class ContainerUnit extends pulumi.ComponentResource {
    public readonly unitText: string;

    constructor(name: string, args: ContainerUnitArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockfleet:containerunit:ContainerUnit", name, {}, opts);
        throwOnErrors({ resource: `ContainerUnit "${name}"` }, validateContainerUnit(args));
        this.unitText = renderContainerUnit(args);
        new command.remote.Command(`${name}-unit`, {
            connection: args.connection,
            create: renderUnitCommand("install", args.name, this.unitText),
            delete: renderUnitCommand("remove", args.name),
            addPreviousOutputInEnv: false,
        }, { parent: this });
        this.registerOutputs({ unitText: this.unitText });
    }
}
