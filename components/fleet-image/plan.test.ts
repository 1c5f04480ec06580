// The image plan the program logs in every preview and up, and reads back for the PR summary: by
// exact strings, both ways.
import * as assert from "assert";
import { IMAGE_PLAN_HEADER, PlannedImage, imagePlanFromMessage, imagePlanMessage, imageResourceName, parseImagePlanLine, renderImagePlan, tagOf } from "./plan";

const GATEWAY: PlannedImage = { key: "gateway", imageName: "10.232.0.11:5000/team/gateway:9a8b7c6d5e4f30211203", services: ["web/worker", "web/api"] };
const TOOLS: PlannedImage = { key: "tools", imageName: "10.232.0.11:5000/tools:51e0c4a2b9d87f6e3c10", services: [] };
const COMPOSE: PlannedImage = { key: "app-gateway.v2", imageName: "registry.internal:5000/gw:c0ffee12345678901234", services: ["app/gateway"] };

describe("FleetImage plan: renderer and parser", () => {
    it("renders one line per image, sorted by key, services sorted; no service said so", () => {
        assert.deepStrictEqual(renderImagePlan([TOOLS, GATEWAY, COMPOSE]), [
            "app-gateway.v2: registry.internal:5000/gw:c0ffee12345678901234; services app/gateway",
            "gateway: 10.232.0.11:5000/team/gateway:9a8b7c6d5e4f30211203; services web/api, web/worker",
            "tools: 10.232.0.11:5000/tools:51e0c4a2b9d87f6e3c10; no service",
        ]);
    });

    it("the log message: the header, then the lines indented; nothing without images", () => {
        assert.strictEqual(imagePlanMessage([GATEWAY, TOOLS]), [
            "FleetImage plan (content tags; an image is built and pushed on up only when its docker Image changes, never in preview):",
            "  gateway: 10.232.0.11:5000/team/gateway:9a8b7c6d5e4f30211203; services web/api, web/worker",
            "  tools: 10.232.0.11:5000/tools:51e0c4a2b9d87f6e3c10; no service",
        ].join("\n"));
        assert.strictEqual(imagePlanMessage([]), undefined);
    });

    it("reads its own message back (also with the engine's info: prefix and trailing newline), services sorted", () => {
        const msg = imagePlanMessage([GATEWAY, TOOLS, COMPOSE])!;
        const sorted = (p: PlannedImage) => ({ ...p, services: [...p.services].sort() });
        const expected = [COMPOSE, GATEWAY, TOOLS].map(sorted);
        assert.deepStrictEqual(imagePlanFromMessage(msg), expected);
        assert.deepStrictEqual(imagePlanFromMessage(`info: ${msg}\n`), expected);
    });

    it("parses a line by value and rejects what is not one", () => {
        assert.deepStrictEqual(parseImagePlanLine("  gateway: 10.232.0.11:5000/gateway:abc; services web/api"), { key: "gateway", imageName: "10.232.0.11:5000/gateway:abc", services: ["web/api"] });
        assert.deepStrictEqual(parseImagePlanLine("tools: 10.232.0.11:5000/tools:abc; no service"), { key: "tools", imageName: "10.232.0.11:5000/tools:abc", services: [] });
        for (const bad of [
            "gateway: 10.232.0.11:5000/gateway; services web/api", // no tag
            "gateway 10.232.0.11:5000/gateway:abc; no service",
            "gateway: 10.232.0.11:5000/gateway:abc; services ",
            "gateway: 10.232.0.11:5000/gateway:abc",
            "my image: 10.232.0.11:5000/gateway:abc; no service",
        ]) assert.strictEqual(parseImagePlanLine(bad), undefined, bad);
    });

    it("any other message, or a plan with a line it cannot read, is no plan", () => {
        assert.strictEqual(imagePlanFromMessage('DockerFleet "fleet" rollout:\n  restart: host1'), undefined);
        assert.strictEqual(imagePlanFromMessage(`${IMAGE_PLAN_HEADER}\n`), undefined);
        assert.strictEqual(imagePlanFromMessage(`${IMAGE_PLAN_HEADER}\n  gateway: x:abc; no service\n  something else`), undefined);
        assert.strictEqual(imagePlanFromMessage(`warning: ${IMAGE_PLAN_HEADER}\n  gateway: x:abc; no service`), undefined);
    });

    it("tag and resource name", () => {
        assert.strictEqual(tagOf("10.232.0.11:5000/team/gateway:9a8b"), "9a8b");
        assert.strictEqual(tagOf("10.232.0.11:5000/team/gateway"), undefined);
        assert.strictEqual(tagOf("gateway:1"), "1");
        assert.strictEqual(imageResourceName("gateway"), "image-gateway");
    });
});
