import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { renderSummary } from "../../cli/preview-summary/summary";

// docs/operations.md shows the preview summary of a captured preview; it must be what the summary renders.
describe("docs/operations.md: the example PR comment", () => {
    it("is what npm run preview:summary renders for test/fixtures/preview/sandbox-pr-update.json", () => {
        const root = path.join(__dirname, "..", "..");
        const doc = fs.readFileSync(path.join(root, "docs", "operations.md"), "utf8");
        const m = /<!-- preview-summary-example:start -->\n````markdown\n([\s\S]*?)\n````\n<!-- preview-summary-example:end -->/.exec(doc);
        assert.ok(m, "docs/operations.md has the example block");
        const fixture = JSON.parse(fs.readFileSync(path.join(root, "test", "fixtures", "preview", "sandbox-pr-update.json"), "utf8"));
        assert.strictEqual(m![1], renderSummary(fixture).replace(/\n+$/, ""));
    });
});

describe("docs/operations.md: the example Images section", () => {
    it("is the Images section npm run preview:summary renders for test/fixtures/preview/edge-images-rebuild.json", () => {
        const root = path.join(__dirname, "..", "..");
        const doc = fs.readFileSync(path.join(root, "docs", "operations.md"), "utf8");
        const m = /<!-- preview-summary-images-example:start -->\n````markdown\n([\s\S]*?)\n````\n<!-- preview-summary-images-example:end -->/.exec(doc);
        assert.ok(m, "docs/operations.md has the Images example block");
        const md = renderSummary(JSON.parse(fs.readFileSync(path.join(root, "test", "fixtures", "preview", "edge-images-rebuild.json"), "utf8")));
        const start = md.indexOf("### Images\n");
        assert.ok(start >= 0, "the fixture renders an Images section");
        const end = md.indexOf("\n### ", start + 1);
        assert.strictEqual(m![1], md.slice(start, end).replace(/\n+$/, ""));
    });
});
