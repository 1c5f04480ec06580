// The registry's swift storage driver exists in distribution 2.x only (registry 3 dropped it), so
// a registry on Swift must run a pinned 2.8.x image: a floating tag ("2", "latest") can become
// registry 3 on the next pull. The registry validator (registry/registry-config.ts) and the policy
// pack (over the container's image) both ask swiftImageProblem.

/** The image reference's tag ("registry:2.8.3" → "2.8.3"; a digest is ignored; undefined without a tag). */
export function imageTag(image: string): string | undefined {
    const noDigest = image.split("@")[0];
    const lastSlash = noDigest.lastIndexOf("/");
    const colon = noDigest.indexOf(":", lastSlash + 1);
    return colon >= 0 ? noDigest.slice(colon + 1) : undefined;
}

/** `registry:2.8.3` → [2, 8, 3]; `local/registry:2.8.2` → [2, 8, 2]; undefined when the tag is no version. */
export function imageVersion(image: string): number[] | undefined {
    const tag = imageTag(image);
    if (!tag || !/^v?\d+(\.\d+)*$/.test(tag)) return undefined;
    return tag.replace(/^v/, "").split(".").map(Number);
}

/** Why `image` cannot serve swift storage: "registry3" (no swift driver), "unpinned" (not a 2.8.x tag); undefined when it can. */
export function swiftImageProblem(image: string): "registry3" | "unpinned" | undefined {
    const v = imageVersion(image);
    if (v && v[0] >= 3) return "registry3";
    if (!v || v[0] !== 2 || v[1] !== 8 || v.length < 3) return "unpinned";
    return undefined;
}
