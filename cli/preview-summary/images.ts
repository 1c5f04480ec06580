// Images in the preview summary: the plan the program logged (components/fleet-image/plan.ts:
// each image's content tag and the services that run it) joined with the engine's steps. An image
// builds on up exactly when its docker Image has a step (create, update); a service rolls because
// of it when its own step changes `taskSpec.containerSpec.image` (the pushed digest, unknown until
// the build). No step, no build: the image is unchanged.
import { PlannedImage, imagePlanFromMessage, imageResourceName, tagOf } from "../../components/fleet-image/plan";
import { PreviewJson, PreviewStep, getPath, nameOf, typeOf } from "./preview-json";
import { serviceIdentity } from "./swarm";

export const IMAGE_TYPE = "docker:index/image:Image";
const SERVICE_TYPE = "docker:index/service:Service";
const IMAGE_FIELD = "taskSpec.containerSpec.image";

export interface ImageBuild {
    key: string;
    imageName: string;
    /** "build" (a new image), "rebuild" (a changed one), "remove" (gone from the program). */
    action: "build" | "rebuild" | "remove";
    tag?: string;
    previousTag?: string;
    /** The Image's changed inputs (top level: imageName, build, registry, ...). */
    changed: string[];
    /** `stack/service` whose step changes the image: they roll (update) or are recreated (replace). */
    rolling: string[];
    recreated: string[];
    /** New services that run it. */
    created: string[];
}

export interface ImagesInPreview {
    builds: ImageBuild[];
    /** Keys of the images without a step: nothing builds or pushes, their services keep their digest. */
    unchanged: string[];
}

const clean = (m: string) => m.replace(/\u001b\[[0-9;]*m/g, "").trim();

/** The image plan the program logged; undefined when it logged none. */
export function imagePlanFromPreview(preview: PreviewJson): PlannedImage[] | undefined {
    for (const d of preview.diagnostics ?? []) {
        const p = imagePlanFromMessage(clean(d.message));
        if (p) return p;
    }
    return undefined;
}

const str = (v: unknown) => (typeof v === "string" ? v : undefined);
const imageNameOf = (s: PreviewStep | undefined, side: "old" | "new") => {
    const st = side === "old" ? s?.oldState : s?.newState;
    return str(st?.inputs?.imageName) ?? str(st?.outputs?.imageName);
};
const serviceImage = (s: PreviewStep, side: "old" | "new") => getPath((side === "old" ? s.oldState : s.newState)?.inputs ?? {}, IMAGE_FIELD);

/** Images in the preview; undefined when the program logged no plan and no docker Image has a step. */
export function imagesInPreview(preview: PreviewJson, steps: PreviewStep[]): ImagesInPreview | undefined {
    const plan = imagePlanFromPreview(preview);
    const imageSteps = steps.filter((s) => typeOf(s) === IMAGE_TYPE);
    if (!plan && imageSteps.length === 0) return undefined;
    const services = new Map<string, PreviewStep>();
    for (const s of steps.filter((x) => typeOf(x) === SERVICE_TYPE)) {
        const id = serviceIdentity(s);
        services.set(`${id.stack}/${id.service}`, s);
    }
    const build = (step: PreviewStep, key: string, imageName: string, users: string[]): ImageBuild => {
        const previous = imageNameOf(step, "old");
        const paths = Object.keys(step.detailedDiff ?? {}).length > 0 ? Object.keys(step.detailedDiff!) : (step.diffReasons ?? []);
        const changed = [...new Set(paths.map((p) => p.split(/[.[]/)[0]))].sort();
        const out: ImageBuild = {
            key,
            imageName,
            action: step.op === "create" ? "build" : step.op === "delete" ? "remove" : "rebuild",
            tag: tagOf(imageName),
            previousTag: previous !== undefined ? tagOf(previous) : undefined,
            changed,
            rolling: [],
            recreated: [],
            created: [],
        };
        if (out.action === "remove") return out;
        for (const u of [...users].sort()) {
            const s = services.get(u);
            if (!s) continue;
            if (s.op === "create") out.created.push(u);
            else if (s.op === "update" && serviceImage(s, "old") !== serviceImage(s, "new")) out.rolling.push(u);
            else if (s.op === "replace" && serviceImage(s, "old") !== serviceImage(s, "new")) out.recreated.push(u);
        }
        return out;
    };
    const builds: ImageBuild[] = [];
    const unchanged: string[] = [];
    const matched = new Set<PreviewStep>();
    for (const p of plan ?? []) {
        const step = imageSteps.find((s) => nameOf(s) === imageResourceName(p.key));
        if (!step) {
            unchanged.push(p.key);
            continue;
        }
        matched.add(step);
        builds.push(build(step, p.key, p.imageName, p.services));
    }
    // Image steps the plan does not name (an image removed from the config, or a program without
    // the plan): their services are those whose current digest is from the same repository.
    for (const s of imageSteps.filter((x) => !matched.has(x))) {
        const name = imageNameOf(s, "new") ?? imageNameOf(s, "old") ?? nameOf(s);
        const repo = name.replace(/:[^:/]+$/, "");
        const users = [...services].filter(([, st]) => String(serviceImage(st, "old") ?? "").startsWith(`${repo}@`)).map(([id]) => id);
        builds.push(build(s, nameOf(s).replace(/^image-/, ""), name, users));
    }
    const order = { build: 1, rebuild: 0, remove: 2 };
    builds.sort((a, b) => order[a.action] - order[b.action] || a.key.localeCompare(b.key));
    return { builds, unchanged: unchanged.sort() };
}

const code = (xs: string[]) => xs.map((x) => `\`${x}\``).join(", ");
const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;

/** The "Images" section's lines (without the heading). */
export function renderImages(x: ImagesInPreview): string[] {
    const lines: string[] = [];
    for (const b of x.builds) {
        if (b.action === "remove") {
            lines.push(`- \`${b.key}\` leaves the program: nothing is built; its tags stay in the registry (the provider deletes none)`);
            continue;
        }
        const sameTag = b.action === "rebuild" && (b.previousTag === undefined || b.previousTag === b.tag);
        if (b.action === "build") lines.push(`- \`${b.key}\` **built** (new image): tag \`${b.tag ?? "?"}\`, \`${b.imageName}\``);
        else if (!sameTag) lines.push(`- \`${b.key}\` **rebuilt**: new tag \`${b.tag ?? "?"}\` (was \`${b.previousTag}\`), \`${b.imageName}\``);
        else lines.push(`- \`${b.key}\` **rebuilt with the same tag** \`${b.tag ?? "?"}\` (changed: ${code(b.changed)}): its services roll only if the pushed digest differs`);
        if (b.rolling.length > 0) lines.push(`  - services rolling${sameTag ? " if the digest differs" : ""}: ${code(b.rolling)}`);
        if (b.recreated.length > 0) lines.push(`  - services recreated (removed and created again): ${code(b.recreated)}`);
        if (b.created.length > 0) lines.push(`  - new services: ${code(b.created)}`);
        if (b.rolling.length + b.recreated.length + b.created.length === 0) lines.push("  - no service rolls");
    }
    if (x.unchanged.length > 0) lines.push(`- unchanged: ${plural(x.unchanged.length, "image")} (${code(x.unchanged)}): nothing is built or pushed, the services that run ${x.unchanged.length === 1 ? "it" : "them"} keep their digests`);
    return lines;
}
