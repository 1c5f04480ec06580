import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { componentContext, reportIssues } from "../common/report";
import { NfsVolumeArgs, nfsDriverOpts, nfsVolumeName, validateNfs } from "./nfs";

export interface NfsVolumeResourceArgs extends NfsVolumeArgs {
    /** Base volume name; a digest of the options is appended. Default: the resource name. */
    volumeName?: string;
}

/**
 * A stand-alone NFS volume on one Docker host (pass its `docker.Provider` in `opts.provider`).
 * For swarm services use SwarmStack's `nfsVolumes` instead: the options then travel in the
 * service's mount, so the volume is created on whichever node a task lands on.
 */
export class NfsVolume extends pulumi.ComponentResource {
    public readonly volumeName: pulumi.Output<string>;
    public readonly driverOpts: { type: string; o: string; device: string };

    constructor(name: string, args: NfsVolumeResourceArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockfleet:nfs:NfsVolume", name, {}, opts);
        reportIssues(this, componentContext(`NfsVolume "${name}"`), validateNfs(args));
        this.driverOpts = nfsDriverOpts(args);
        const volName = nfsVolumeName(args.volumeName ?? name, args);
        const vol = new docker.Volume(`${name}-volume`, {
            name: volName,
            driver: "local",
            driverOpts: this.driverOpts,
            labels: [{ label: "dockfleet.nfs.server", value: args.server }],
        }, {
            parent: this,
            // A new name means a new volume: create it before the old one goes, so nothing mounts nothing.
            deleteBeforeReplace: false,
        });
        this.volumeName = vol.name;
        this.registerOutputs({ volumeName: this.volumeName });
    }
}
