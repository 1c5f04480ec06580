import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { renderSummary } from "../../scripts/preview-summary/summary";

describe("README: the example PR comment", () => {
    it("is what npm run preview:summary renders for test/fixtures/preview/sandbox-pr-update.json", () => {
        const root = path.join(__dirname, "..", "..");
        const readme = fs.readFileSync(path.join(root, "README.md"), "utf8");
        const m = /<!-- preview-summary-example:start -->\n````markdown\n([\s\S]*?)\n````\n<!-- preview-summary-example:end -->/.exec(readme);
        assert.ok(m, "README has the example block");
        const fixture = JSON.parse(fs.readFileSync(path.join(root, "test", "fixtures", "preview", "sandbox-pr-update.json"), "utf8"));
        assert.strictEqual(m![1], renderSummary(fixture).replace(/\n+$/, ""));
    });
});
