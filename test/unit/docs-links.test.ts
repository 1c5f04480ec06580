// The README is the front door and docs/ holds the rest: every relative link in them (and in
// bench/README.md, which they link to) must reach a file of this repository, and an anchor
// (`#...`) into a Markdown file must name one of its headings, so a moved section is caught here.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

const ROOT = path.resolve(__dirname, "../..");
const README_MAX_LINES = 250;

/** The Markdown files whose links are checked, relative to ROOT. */
function documents(): string[] {
    const docs = fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`);
    return ["README.md", ...docs, "bench/README.md"];
}

/** `text` without fenced code blocks and inline code spans: links in code are not links. */
function prose(text: string): string {
    return text.replace(/^(```+|~~~+)[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, "").replace(/`+[^`\n]*`+/g, "");
}

/** Targets of inline links and images, `[text](target "title")`. */
export function linkTargets(text: string): string[] {
    return [...prose(text).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
}

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
    return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

/** The anchors of a Markdown file's headings (outside code blocks), duplicates numbered as GitHub does. */
export function anchors(text: string): Set<string> {
    const seen = new Map<string, number>();
    const out = new Set<string>();
    for (const m of prose(text.replace(/`([^`\n]*)`/g, "$1")).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
        const base = slug(m[1]);
        const n = seen.get(base) ?? 0;
        seen.set(base, n + 1);
        out.add(n ? `${base}-${n}` : base);
    }
    return out;
}

/** Problems with one document's relative links: a missing file, or an anchor its target lacks. */
function brokenLinks(doc: string): string[] {
    const text = fs.readFileSync(path.join(ROOT, doc), "utf8");
    const problems: string[] = [];
    for (const target of linkTargets(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // http:, https:, mailto: are not files
        const [file, anchor] = target.split("#", 2);
        const resolved = file ? path.resolve(ROOT, path.dirname(doc), decodeURIComponent(file)) : path.join(ROOT, doc);
        if (!resolved.startsWith(ROOT + path.sep) && resolved !== ROOT) {
            problems.push(`${doc}: ${target} leaves the repository`);
            continue;
        }
        if (!fs.existsSync(resolved)) {
            problems.push(`${doc}: ${target} (no file ${path.relative(ROOT, resolved)})`);
            continue;
        }
        if (anchor && resolved.endsWith(".md") && !anchors(fs.readFileSync(resolved, "utf8")).has(anchor)) {
            problems.push(`${doc}: ${target} (no heading #${anchor} in ${path.relative(ROOT, resolved)})`);
        }
    }
    return problems;
}

describe("docs: README.md, docs/*.md and bench/README.md", () => {
    it("the parsers: link targets outside code, GitHub's heading anchors", () => {
        const text = "See [a](docs/a.md#x-y) and ![i](img.png \"t\").\n`[not](code.md)`\n```sh\n[no](fence.md)\n```\n# The `npm run x` command / 2\n## Same\n## Same\n";
        assert.deepStrictEqual(linkTargets(text), ["docs/a.md#x-y", "img.png"]);
        assert.deepStrictEqual([...anchors(text)], ["the-npm-run-x-command--2", "same", "same-1"]);
    });

    it(`README.md is the front door: at most ${README_MAX_LINES} lines`, () => {
        const lines = fs.readFileSync(path.join(ROOT, "README.md"), "utf8").replace(/\n$/, "").split("\n").length;
        assert.ok(lines <= README_MAX_LINES, `README.md has ${lines} lines; move reference material into docs/`);
    });

    it("links to docs/ files from the README, and every docs/ file is linked from somewhere", () => {
        const linked = new Set<string>();
        for (const doc of documents()) {
            const text = fs.readFileSync(path.join(ROOT, doc), "utf8");
            for (const t of linkTargets(text)) {
                const file = t.split("#")[0];
                if (file && !/^[a-z][a-z0-9+.-]*:/i.test(file)) linked.add(path.relative(ROOT, path.resolve(ROOT, path.dirname(doc), file)));
            }
        }
        const orphans = documents().filter((d) => d.startsWith("docs/") && !linked.has(d));
        assert.deepStrictEqual(orphans, [], "docs/ files no document links to");
    });

    for (const doc of documents()) {
        it(`${doc}: every relative link reaches a file (and a heading, for an anchor)`, () => {
            assert.deepStrictEqual(brokenLinks(doc), []);
        });
    }
});

describe("README tour", () => {
    it("shows stacks/Pulumi.dev.yaml exactly as committed", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        const block = readme.match(/This is `stacks\/Pulumi\.dev\.yaml`[^\n]*\n\n```yaml\n([\s\S]*?)```/);
        assert.ok(block, "README.md: the tour's yaml block after \"This is `stacks/Pulumi.dev.yaml`\"");
        assert.strictEqual(block[1], fs.readFileSync(path.join(ROOT, "stacks/Pulumi.dev.yaml"), "utf8"));
    });
});
