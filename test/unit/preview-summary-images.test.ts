// The "Images" section of the preview summary (issue 31, point 4): which images build and which
// services roll because of them, from the plan the program logged and the engine's steps, by exact
// strings. Fixtures edge-images-*.json are hand-built (a real capture needs a stack with images
// deployed on the hosts): the steps' shapes are the real engine's (the sandbox's web-httpd service
// step of sandbox-pr-update.json, renamed), the docker Image steps as @pulumi/docker's Image diffs
// (top-level imageName/build, secret build and registry), unknown digests as the engine writes them.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PreviewJson, PreviewStep, imagesInPreview, normalizeSteps, renderImages, renderSummary } from "../../cli/preview-summary/summary";
import { UNKNOWN } from "../../cli/preview-summary/mask";

const FIX = path.join(__dirname, "..", "fixtures", "preview");
const load = (name: string): PreviewJson => JSON.parse(fs.readFileSync(path.join(FIX, name), "utf8"));
const section = (md: string, title: string) => {
    const i = md.indexOf(`### ${title}`);
    if (i < 0) return "";
    const j = md.indexOf("\n### ", i + 4);
    return md.slice(i, j < 0 ? undefined : j);
};

const P = "urn:pulumi:local::dockfleet::";
const REG = "10.232.0.11:5000";
const OLD = `${REG}/gateway@sha256:${"a".repeat(64)}`;
const PLAN = (lines: string[]) => ({ severity: "info", message: `FleetImage plan (content tags; an image is built and pushed on up only when its docker Image changes, never in preview):\n  ${lines.join("\n  ")}\n` });

function imageStep(key: string, op: string, from?: string, to?: string, diff: string[] = ["build", "imageName"]): PreviewStep {
    const urn = `${P}dockfleet:image:FleetImage$docker:index/image:Image::image-${key}`;
    const state = (name: string) => ({ urn, type: "docker:index/image:Image", custom: true, inputs: { imageName: name, build: "[secret]", buildOnPreview: false } });
    return {
        op,
        urn,
        ...(from !== undefined ? { oldState: state(from) } : {}),
        ...(to !== undefined ? { newState: state(to) } : {}),
        ...(op === "update" ? { diffReasons: diff, detailedDiff: Object.fromEntries(diff.map((d) => [d, { kind: "update", inputDiff: true }])) } : {}),
    };
}
function serviceStep(stack: string, svc: string, op: string, from: string | undefined, to: string | undefined): PreviewStep {
    const urn = `${P}dockfleet:swarm:SwarmStack$docker:index/service:Service::${stack}-${svc}`;
    const state = (image: string) => ({ urn, type: "docker:index/service:Service", custom: true, inputs: { name: `${stack}_${svc}`, labels: [{ label: "com.docker.stack.namespace", value: stack }], taskSpec: { containerSpec: { image } } } });
    return {
        op,
        urn,
        ...(from !== undefined ? { oldState: state(from) } : {}),
        ...(to !== undefined ? { newState: state(to) } : {}),
        ...(op === "update" || op === "replace" ? { detailedDiff: { "taskSpec.containerSpec.image": { kind: op === "replace" ? "update-replace" : "update" } } } : {}),
    };
}
const images = (p: PreviewJson) => renderImages(imagesInPreview(p, normalizeSteps(p.steps ?? []))!);

describe("preview summary: images", () => {
    it("a rebuilt image (new tag, the services rolling), a new one (its new service), an unchanged one: the Images section by value", () => {
        const md = renderSummary(load("edge-images-rebuild.json"));
        assert.strictEqual(section(md, "Images"), [
            "### Images",
            "",
            "Built on up only, on the builder host, and pushed before the services that run them roll (nothing is built or pushed by this preview):",
            "",
            "- `gateway` **rebuilt**: new tag `9a8b7c6d5e4f30211203` (was `3f0c1d2e4b5a69788790`), `10.232.0.11:5000/gateway:9a8b7c6d5e4f30211203`",
            "  - services rolling: `web/api`, `web/worker`",
            "- `cron` **built** (new image): tag `c0ffee12345678901234`, `10.232.0.11:5000/cron:c0ffee12345678901234`",
            "  - new services: `jobs/cron`",
            "- unchanged: 1 image (`tools`): nothing is built or pushed, the services that run it keep their digests",
            "",
        ].join("\n"));
        // before the stacks; the image's step is not repeated under other changes; the plan is no warning
        assert.ok(md.indexOf("### Images") < md.indexOf("### Swarm stacks"));
        assert.doesNotMatch(md, /### Other changes/);
        assert.doesNotMatch(section(md, "Warnings"), /FleetImage plan/);
        assert.match(section(md, "Warnings"), /healthcheck\.timeout: 2s is not shorter/, "the other warnings stay");
        // httpd rolls for its own edit, not for an image: it is not in the Images section
        assert.match(section(md, "Swarm stacks"), /service `httpd`: tasks roll/);
        // the digest before the build is the engine's unknown, said in words
        assert.ok(section(md, "Swarm stacks").includes(`- service \`api\`: tasks roll (1 at a time, stop-first, on failure: rollback)\n  - \`taskSpec.containerSpec.image\`: \`${OLD}\` → (known after up)\n`));
        assert.ok(!md.includes(UNKNOWN));
    });

    it("nothing changes: the summary says so and counts the unchanged images", () => {
        assert.strictEqual(renderSummary(load("edge-images-unchanged.json")), [
            "## dockfleet preview: stack `local`",
            "",
            "**No changes.** 24 resources unchanged; no host restarts, no service rolls.",
            "",
            "Images:",
            "",
            "- unchanged: 3 images (`cron`, `gateway`, `tools`): nothing is built or pushed, the services that run them keep their digests",
            "",
        ].join("\n"));
    });

    it("a rebuild with the same tag (only the build inputs' secret proxy args changed): its services roll only if the digest differs", () => {
        const name = `${REG}/gateway:9a8b7c6d5e4f30211203`;
        assert.deepStrictEqual(images({
            steps: [imageStep("gateway", "update", name, name, ["build"]), serviceStep("web", "api", "update", OLD, UNKNOWN)],
            diagnostics: [PLAN([`gateway: ${name}; services web/api`])],
        }), [
            "- `gateway` **rebuilt with the same tag** `9a8b7c6d5e4f30211203` (changed: `build`): its services roll only if the pushed digest differs",
            "  - services rolling if the digest differs: `web/api`",
        ]);
    });

    it("a service recreated with the rebuilt image; a service of the image whose step changes no image does not count; a rebuilt image nobody runs", () => {
        assert.deepStrictEqual(images({
            steps: [
                imageStep("gateway", "update", `${REG}/gateway:aaaa`, `${REG}/gateway:bbbb`),
                imageStep("tools", "update", `${REG}/tools:cccc`, `${REG}/tools:dddd`),
                serviceStep("web", "api", "replace", OLD, UNKNOWN),
                serviceStep("web", "worker", "update", OLD, OLD),
            ],
            diagnostics: [PLAN([`gateway: ${REG}/gateway:bbbb; services web/api, web/worker`, `tools: ${REG}/tools:dddd; no service`])],
        }), [
            "- `gateway` **rebuilt**: new tag `bbbb` (was `aaaa`), `10.232.0.11:5000/gateway:bbbb`",
            "  - services recreated (removed and created again): `web/api`",
            "- `tools` **rebuilt**: new tag `dddd` (was `cccc`), `10.232.0.11:5000/tools:dddd`",
            "  - no service rolls",
        ]);
    });

    it("without the program's plan (an older program, an image gone from the config): the Image's steps, services by their digest's repository", () => {
        assert.deepStrictEqual(images({
            steps: [
                imageStep("gateway", "update", `${REG}/gateway:aaaa`, `${REG}/gateway:bbbb`),
                imageStep("old", "delete", `${REG}/old:eeee`, undefined),
                serviceStep("web", "api", "update", OLD, UNKNOWN),
                serviceStep("web", "other", "update", `${REG}/gateway2@sha256:${"b".repeat(64)}`, UNKNOWN),
            ],
        }), [
            "- `gateway` **rebuilt**: new tag `bbbb` (was `aaaa`), `10.232.0.11:5000/gateway:bbbb`",
            "  - services rolling: `web/api`",
            "- `old` leaves the program: nothing is built; its tags stay in the registry (the provider deletes none)",
        ]);
    });

    it("previews without images have no Images section (the captured sandbox previews render as before)", () => {
        for (const f of ["sandbox-first-deploy.json", "sandbox-pr-update.json", "sandbox-drift.json", "edge-no-changes.json", "edge-replace-delete.json"]) {
            const p = load(f);
            assert.strictEqual(imagesInPreview(p, normalizeSteps(p.steps ?? [])), undefined, f);
            assert.doesNotMatch(renderSummary(p), /Images/, f);
        }
    });
});
