import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { scriptCommand } from "../common/shell";
import { renderGcCurlConfig, renderGcSettings, renderGcUnits } from "./gc-config";

const SCRIPTS = path.join(__dirname, "scripts");
const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

export interface GcInstall {
    schedule: string;
    keep: number;
    /** `http(s)://host:port`, as the registry host reaches its registry. */
    url: string;
    container: string;
    /** The fleet CA on the host (certs.d), for https. */
    caCert?: string;
}

/**
 * The remote command that installs the job: the GC script, units and settings travel base64 in
 * argv (nothing secret), the referenced list as a here-document on fd 3 (the diff shows it line
 * by line), the credentials on stdin (the Command's secret stdin).
 */
export function renderGcInstallCommand(g: GcInstall, referenced: string): string {
    const units = renderGcUnits(g.schedule);
    return scriptCommand(fs.readFileSync(path.join(SCRIPTS, "install-registry-gc.sh"), "utf8"), "install-registry-gc", [
        "install", g.schedule,
        b64(fs.readFileSync(path.join(SCRIPTS, "registry-gc.sh"), "utf8")),
        b64(units.service), b64(units.timer),
        b64(renderGcSettings({ url: g.url, container: g.container, keep: g.keep, caCert: g.caCert })),
    ], { hereDoc: { fd: 3, marker: "DOCKFLEET_GC_REFERENCED_EOF", text: referenced } });
}

export function renderGcRemoveCommand(): string {
    return scriptCommand(fs.readFileSync(path.join(SCRIPTS, "install-registry-gc.sh"), "utf8"), "install-registry-gc", ["remove"]);
}

export interface RegistryGcArgs extends GcInstall {
    connection: command.types.input.remote.ConnectionArgs;
    /** renderReferenced's text (built images' digests are Outputs). */
    referenced: pulumi.Input<string>;
    /** The user the job lists and deletes as (secret password); unset without authentication. */
    user?: pulumi.Input<{ username: string; password: string }>;
}

/** The GC job on the registry host; a new referenced list or policy runs the install again. */
export function registryGc(name: string, args: RegistryGcArgs, opts: pulumi.CustomResourceOptions): command.remote.Command {
    const create = pulumi.output(args.referenced).apply((r) => renderGcInstallCommand(args, r));
    return new command.remote.Command(name, {
        connection: args.connection,
        create,
        update: create,
        delete: renderGcRemoveCommand(),
        stdin: pulumi.secret(pulumi.output(args.user).apply((u) => renderGcCurlConfig(u))),
        addPreviousOutputInEnv: false,
    }, { ...opts, customTimeouts: { create: "2m", update: "2m", delete: "5m" } });
}
