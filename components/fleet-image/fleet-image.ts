import * as pulumi from "@pulumi/pulumi";
import * as docker from "@pulumi/docker";
import { componentContext, reportIssues } from "../common/report";
import { FleetImageArgs, imageNameOf, renderImageArgs, validateFleetImage } from "./render";

/**
 * An image built from a context on this machine by a fleet host's dockerd (the docker provider of
 * the resource options, over SSH) and pushed to the fleet's registry. @pulumi/docker's Image hashes
 * the context's content (paths, modes, bytes; .dockerignore honoured) into its inputs, so an
 * unchanged context builds nothing; the tag here comes from the content as well, so a changed
 * context is a new tag and a new digest. Stacks run `repoDigest`.
 */
export class FleetImage extends pulumi.ComponentResource {
    /** `<registry>/<name>:<tag>`. */
    public readonly imageName: string;
    /** The content tag. */
    public readonly tag: string;
    /** The pushed image, `<registry>/<name>@sha256:…`: what services run. */
    public readonly repoDigest: pulumi.Output<string>;
    public readonly image: docker.Image;

    constructor(name: string, args: FleetImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("dockfleet:image:FleetImage", name, {}, opts);
        reportIssues(this, componentContext(`FleetImage "${name}"`), validateFleetImage(args));
        ({ imageName: this.imageName, tag: this.tag } = imageNameOf(args));
        this.image = new docker.Image(name, renderImageArgs(args), { parent: this });
        this.repoDigest = this.image.repoDigest;
        this.registerOutputs({ imageName: this.imageName, tag: this.tag, repoDigest: this.repoDigest });
    }
}
