// Layers that point one way (issue 29): components <- program/ (the Pulumi program: config, probes,
// wiring) <- cli/ (the product's commands); the policy pack beside the program, on components only;
// dev/ (CI and workplace glue) and test/ apart, imported by no product file; no import circle.
// dpdm walks the imports with the TypeScript resolver; type-only imports count (transform: false),
// since a circle of types is still two files that cannot be read apart.
import * as assert from "assert";
import * as path from "path";
import { parseCircular, parseDependencyTree } from "dpdm";

const ROOT = path.resolve(__dirname, "../..");
const WALKED = ["index.ts", "components/**/*.ts", "program/**/*.ts", "policy/**/*.ts", "cli/**/*.ts", "dev/**/*.ts"];

/** What each product layer may import, besides itself; the first matching prefix decides. */
const MAY_IMPORT: [layer: string, allowed: string[]][] = [
    ["components/", ["components/"]],
    ["policy/", ["policy/", "components/"]],
    ["program/", ["program/", "components/"]],
    ["index.ts", ["program/", "components/"]],
    ["cli/", ["cli/", "program/", "components/"]],
];
const layerOf = (file: string) => MAY_IMPORT.find(([l]) => file.startsWith(l));

describe("import layers of the product's TypeScript (dpdm)", function () {
    this.timeout(120000);
    let tree: Awaited<ReturnType<typeof parseDependencyTree>>;
    before(async () => {
        tree = await parseDependencyTree(WALKED, {
            context: ROOT, tsconfig: path.join(ROOT, "tsconfig.json"), transform: false, skipDynamicImports: false,
            // Tests may import across layers; node_modules is not ours to check.
            exclude: /node_modules|\.test\.ts$/,
        });
    });
    /** A file of this repository (not a Node.js builtin, not a package from node_modules, which may be a symlink). */
    const ours = (id: string) => /\.(ts|js)$/.test(id) && !id.startsWith("../") && !id.includes("node_modules/");
    /** [from, to] for every import between files of this repository. */
    const edges = () => Object.entries(tree).filter(([from]) => ours(from)).flatMap(([from, deps]) => (deps ?? []).filter((d) => d.id && ours(d.id)).map((d) => [from, d.id!] as const));

    it("walks every layer (a wrong glob or root would find nothing)", () => {
        for (const f of ["index.ts", "components/docker-host/daemon-config.ts", "program/load.ts", "policy/rules.ts", "cli/preview-summary/summary.ts", "dev/docs-keys.ts"]) assert.ok(f in tree, f);
        assert.ok(edges().some(([from, to]) => from.startsWith("cli/") && to.startsWith("program/")), "the CLI imports the program (else the direction below is checked on nothing)");
    });
    it("has no import circle", () => {
        assert.deepStrictEqual(parseCircular(tree), []);
    });
    it("every file is in a layer: components/, program/ (and index.ts), policy/, cli/ or dev/", () => {
        assert.deepStrictEqual(Object.keys(tree).filter((f) => ours(f) && !layerOf(f) && !f.startsWith("dev/")), []);
    });
    it("components <- program <- cli, the policy pack on components only: no import against the direction", () => {
        const against = edges().filter(([from, to]) => {
            const layer = layerOf(from);
            return layer !== undefined && !layer[1].some((p) => to.startsWith(p));
        });
        assert.deepStrictEqual(against, []);
    });
    it("no product file imports dev glue or test code", () => {
        assert.deepStrictEqual(edges().filter(([from, to]) => !from.startsWith("dev/") && (to.startsWith("dev/") || to.startsWith("test/"))), []);
    });
});
