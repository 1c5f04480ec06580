import * as path from "path";
import { z } from "zod";
import { Issue, error } from "../components/common/issues";
import { validateFleetImage } from "../components/fleet-image/render";
import { PlannedImage } from "../components/fleet-image/plan";
import { imageSchema } from "./schema";
import { NAMESPACE } from "./names";

export type ImageConfig = z.infer<typeof imageSchema>;
/** An image of the stack, declared in dockfleet:images or read from a compose `build:` section (`origin` names where, for errors). */
export type StackImage = ImageConfig & { origin: string };

/** The images of dockfleet:images, each with the config key it came from. */
export const declaredImages = (images: Record<string, ImageConfig> | undefined): Record<string, StackImage> =>
    Object.fromEntries(Object.entries(images ?? {}).map(([k, v]) => [k, { ...v, origin: `${NAMESPACE}:images.${k}` }]));

/**
 * Every image's problems, from this machine alone (no host is asked): the context directory and
 * its Dockerfile exist, the builder is a host, a registry to push to is configured, the args do not
 * carry the proxy. Fields are config keys (`dockfleet:images.gateway.context`).
 */
export function imageIssues(o: { images: Record<string, StackImage>; hostNames: ReadonlySet<string>; registryAddress?: string; projectRoot: string }): { resource: string; issue: Issue }[] {
    const out: { resource: string; issue: Issue }[] = [];
    for (const [key, img] of Object.entries(o.images)) {
        const resource = `FleetImage "${key}"`;
        const add = (issues: Issue[]) => out.push(...issues.map((issue) => ({ resource, issue: { ...issue, field: issue.field ? `${img.origin}.${issue.field}` : img.origin } })));
        if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(key)) add([error("", `"${key}": an image key is letters, digits and _ . - (it names the image's resources)`)]);
        if (o.registryAddress === undefined) add([error("", `images are pushed to the fleet's registry: set ${NAMESPACE}:registry`)]);
        if (img.builder !== undefined && !o.hostNames.has(img.builder)) add([error("builder", `"${img.builder}" is not a host in ${NAMESPACE}:hosts (${[...o.hostNames].join(", ")})`)]);
        const issues = validateFleetImage(
            { name: img.name ?? key, context: img.context, dockerfile: img.dockerfile, target: img.target, args: img.args, platform: img.platform, registry: { server: o.registryAddress ?? "unset:5000" } },
            path.resolve(o.projectRoot, img.context),
        );
        // the repository defaults to the key: say so where the key is the name
        add(issues.map((i) => (i.field === "name" && img.name === undefined ? { ...i, field: "", message: `the key is the repository name unless name is set: ${i.message}` } : i)));
    }
    return out;
}

/**
 * The image plan the program logs (components/fleet-image/plan.ts): each built image's name with
 * its content tag, and the services (`stack/service`) that run it, from the stacks' references
 * (stacks.ts ImageRefs: image key by stack and service).
 */
export function plannedImages(imageNames: Record<string, string>, refs: Record<string, Record<string, string>>): PlannedImage[] {
    return Object.entries(imageNames).map(([key, imageName]) => ({
        key,
        imageName,
        services: Object.entries(refs).flatMap(([stack, svcs]) => Object.entries(svcs).filter(([, k]) => k === key).map(([svc]) => `${stack}/${svc}`)).sort(),
    }));
}
