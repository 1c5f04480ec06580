// What a preview says about images (issue 31, point 4). The program knows each image's content
// tag without building (context-tag.ts) and which services run it; only the engine knows whether
// the docker Image changes (its step: create, update, replace, or nothing). So the program logs
// this plan (renderImagePlan), `pulumi preview` shows it beside the Image's step, and
// cli/preview-summary reads it back (imagePlanFromMessage) and joins it with the Image's and the
// services' steps. Pure.

export interface PlannedImage {
    /** Key of dockfleet:images (or `<stack>-<service>` of a compose `build:` section). */
    key: string;
    /** `<registry>/<name>:<tag>`, the tag from the context's content. */
    imageName: string;
    /** `<stack>/<service>` of every service that runs the image (its pushed digest). */
    services: string[];
}

/** The docker Image's (and its FleetImage's) resource name for an image key. */
export const imageResourceName = (key: string): string => `image-${key}`;

/** The tag of `<registry>/<name>:<tag>` (after the last `:` behind the last `/`); undefined without one. */
export function tagOf(imageName: string): string | undefined {
    const m = /:([^:/]+)$/.exec(imageName);
    return m ? m[1] : undefined;
}

export const IMAGE_PLAN_HEADER = "FleetImage plan (content tags; an image is built and pushed on up only when its docker Image changes, never in preview):";

const NO_SERVICE = "no service";

/** One line per image, sorted by key: `gateway: 10.0.0.1:5000/gateway:<tag>; services web/api, web/worker`. */
export function renderImagePlan(images: PlannedImage[]): string[] {
    return [...images]
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
        .map((i) => `${i.key}: ${i.imageName}; ${i.services.length > 0 ? `services ${[...i.services].sort().join(", ")}` : NO_SERVICE}`);
}

/** The log message: the header, then the lines; undefined without images. */
export function imagePlanMessage(images: PlannedImage[]): string | undefined {
    return images.length > 0 ? `${IMAGE_PLAN_HEADER}\n  ${renderImagePlan(images).join("\n  ")}` : undefined;
}

/** A line of renderImagePlan, read back; undefined when the line is not one. */
export function parseImagePlanLine(line: string): PlannedImage | undefined {
    const m = /^([A-Za-z0-9][A-Za-z0-9_.-]*): (\S+:[^:/\s]+); (?:services (\S.*)|no service)$/.exec(line.trim());
    if (!m) return undefined;
    return { key: m[1], imageName: m[2], services: m[3] !== undefined ? m[3].split(", ") : [] };
}

/** The plan in a program's log message (its `info: ` prefix allowed); undefined in any other message. */
export function imagePlanFromMessage(message: string): PlannedImage[] | undefined {
    const m = message.replace(/^info: /, "");
    if (!m.startsWith(`${IMAGE_PLAN_HEADER}\n`)) return undefined;
    const out: PlannedImage[] = [];
    for (const l of m.split("\n").slice(1).map((x) => x.trim()).filter(Boolean)) {
        const p = parseImagePlanLine(l);
        if (!p) return undefined;
        out.push(p);
    }
    return out.length > 0 ? out : undefined;
}
