// systemd's word and line rules, written once as vectors (systemd-words.json), held to both
// implementations: systemdWords/unitLines in TypeScript (adoption reads operators' drop-ins) and
// the awk in the apply script's canon.sh (the host reads drop-ins the controller never saw).
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { systemdWords, unitLines } from "./dropin-parse";

interface Vector { in: string; out: string[]; why: string }
const V = JSON.parse(fs.readFileSync(path.join(__dirname, "systemd-words.json"), "utf8")) as { words: Vector[]; lines: Vector[] };
const CANON = path.join(__dirname, "scripts/apply/canon.sh");

/** Runs BODY in bash after sourcing canon.sh, as apply-modules.test.ts does. */
function inCanon(body: string, args: string[] = []): string {
    const r = spawnSync("/bin/bash", ["-c", `set -euo pipefail; source "$1"; shift; ${body}`, "bash", CANON, ...args], {
        encoding: "utf8", env: { HOME: os.tmpdir(), LANG: "C.UTF-8", PATH: "/usr/local/bin:/usr/bin:/bin" },
    });
    assert.strictEqual(r.status, 0, r.stderr);
    return r.stdout;
}

describe("systemd word rule (Environment=): the vectors", () => {
    for (const v of V.words) {
        it(`TypeScript: ${v.why}`, () => assert.deepStrictEqual(systemdWords(v.in), v.out, JSON.stringify(v.in)));
    }
    it("awk (canon.sh words): every vector", () => {
        // one awk run for all vectors: each input a line of the file, each word printed as "index TAB word"
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-words-"));
        const f = path.join(dir, "in");
        fs.writeFileSync(f, V.words.map((v) => v.in).join("\n") + "\n");
        const out = inCanon(`LC_ALL=C awk "$SYSTEMD_WORDS_AWK"'{ n = words($0); for (i = 1; i <= n; i++) print NR "\\t" W[i] }' "$1"`, [f]);
        fs.rmSync(dir, { recursive: true, force: true });
        const got: string[][] = V.words.map(() => []);
        for (const l of out.split("\n").filter((x) => x !== "")) {
            const t = l.indexOf("\t");
            got[Number(l.slice(0, t)) - 1].push(l.slice(t + 1));
        }
        assert.deepStrictEqual(V.words.map((v, i) => ({ why: v.why, words: got[i] })), V.words.map((v) => ({ why: v.why, words: v.out })));
    });
});

describe("systemd line rule (comments, continuations): the vectors", () => {
    const logical = (text: string) => unitLines(text).map((l) => l.trim()).filter((l) => l !== "");
    for (const v of V.lines) {
        it(`TypeScript: ${v.why}`, () => assert.deepStrictEqual(logical(v.in), v.out, JSON.stringify(v.in)));
        it(`awk (canon.sh unit_canon): ${v.why}`, () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dockfleet-lines-"));
            const f = path.join(dir, "x.conf");
            fs.writeFileSync(f, `[S]\n${v.in}`);
            const out = inCanon(`ROOT=""; unit_canon "$1"`, [f]);
            fs.rmSync(dir, { recursive: true, force: true });
            assert.deepStrictEqual(out.split("\n").filter((l) => l !== "").map((l) => l.replace(/^L\t\[S\]\t/, "")), v.out);
        });
    }
});
