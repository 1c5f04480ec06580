import * as pulumi from "@pulumi/pulumi";

/** A claim name for a host's ownership record: project, stack and resource, in the host scripts' alphabet. */
export function ownerToken(project: string, stack: string, name: string): string {
    return `${project}.${stack}.${name}`.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\./, "_");
}

/** The claim name of resource `name` in the running program's project and stack. */
export function resourceOwner(name: string): string {
    return ownerToken(pulumi.getProject(), pulumi.getStack(), name);
}
