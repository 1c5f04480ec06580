// Layers that point one way (issue 29): no import circle in the product's TypeScript, no product
// file importing test code, and a policy pack that imports rules, not the CLI scripts. dpdm walks
// the imports with the TypeScript resolver; type-only imports count (transform: false), since a
// circle of types is still two files that cannot be read apart.
import * as assert from "assert";
import * as path from "path";
import { parseCircular, parseDependencyTree } from "dpdm";

const ROOT = path.resolve(__dirname, "../..");
const PRODUCT = ["components/**/*.ts", "config/**/*.ts", "policy/**/*.ts", "scripts/**/*.ts"];

describe("import layers of the product's TypeScript (dpdm)", function () {
    this.timeout(120000);
    let tree: Awaited<ReturnType<typeof parseDependencyTree>>;
    before(async () => {
        tree = await parseDependencyTree(PRODUCT, {
            context: ROOT, tsconfig: path.join(ROOT, "tsconfig.json"), transform: false, skipDynamicImports: false,
            // Tests may import across layers; node_modules is not ours to check.
            exclude: /node_modules|\.test\.ts$/,
        });
    });
    const edges = () => Object.entries(tree).flatMap(([from, deps]) => (deps ?? []).filter((d) => d.id).map((d) => [from, d.id!] as const));

    it("walks the product (a wrong glob or root would find nothing)", () => {
        for (const f of ["components/docker-host/daemon-config.ts", "config/load.ts", "policy/rules.ts", "scripts/preview-summary/summary.ts"]) assert.ok(f in tree, f);
    });
    it("has no import circle", () => {
        assert.deepStrictEqual(parseCircular(tree), []);
    });
    it("no product file imports test code", () => {
        assert.deepStrictEqual(edges().filter(([, to]) => to.startsWith("test/")), []);
    });
    it("the policy pack imports neither the CLI scripts nor the program", () => {
        assert.deepStrictEqual(edges().filter(([from, to]) => from.startsWith("policy/") && (to.startsWith("scripts/") || to.startsWith("config/"))), []);
    });
    it("components import neither the program, the CLI scripts nor the policy pack", () => {
        assert.deepStrictEqual(edges().filter(([from, to]) => from.startsWith("components/") && /^(config|scripts|policy)\//.test(to)), []);
    });
});
