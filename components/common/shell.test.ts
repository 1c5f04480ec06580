// The one builder of "run this repo script over SSH", pinned by exact strings and run once in bash.
import * as assert from "assert";
import { spawnSync } from "child_process";
import { scriptCommand, shQuote } from "./shell";

// "echo hi\n" in base64
const HI = "ZWNobyBoaQo=";

describe("shQuote", () => {
    it("single-quotes, closing and reopening around a quote", () => {
        assert.strictEqual(shQuote("a b"), "'a b'");
        assert.strictEqual(shQuote("it's"), `'it'\\''s'`);
        assert.strictEqual(shQuote(""), "''");
    });
});

describe("scriptCommand", () => {
    it("runs the base64 script with a bare $0 and quoted arguments", () => {
        assert.strictEqual(scriptCommand("echo hi\n", "swarm-node", ["join", "--role", "it's"]),
            `/bin/bash -c "$(printf %s '${HI}' | base64 -d)" swarm-node 'join' '--role' 'it'\\''s'`);
    });

    it("feeds a here-document on stdin without a descriptor number", () => {
        assert.strictEqual(scriptCommand("echo hi\n", "install-unit", ["install", "hb"], { hereDoc: { fd: 0, marker: "END", text: "[Unit]\n$X\n" } }),
            `/bin/bash -c "$(printf %s '${HI}' | base64 -d)" install-unit 'install' 'hb' <<'END'\n[Unit]\n$X\nEND\n`);
    });

    it("feeds a here-document on another descriptor with its number", () => {
        assert.strictEqual(scriptCommand("echo hi\n", "apply-docker-config", ["apply"], { hereDoc: { fd: 3, marker: "B_EOF", text: "=== /a 0644\n{}\n" } }),
            `/bin/bash -c "$(printf %s '${HI}' | base64 -d)" apply-docker-config 'apply' 3<<'B_EOF'\n=== /a 0644\n{}\nB_EOF\n`);
    });

    it("refuses a $0 that is not a plain word (it is written unquoted)", () => {
        assert.throws(() => scriptCommand("true\n", "a b", []), /argv0 must be a plain word/);
        assert.throws(() => scriptCommand("true\n", "$(x)", []), /argv0 must be a plain word/);
    });

    it("runs in bash: $0, the words as given, the here-document unexpanded on its descriptor", () => {
        const script = `printf '%s|' "$0" "$@"; printf '\\n'; cat <&3\n`;
        const cmd = scriptCommand(script, "probe", ["it's", "a b", "$HOME", ""], { hereDoc: { fd: 3, marker: "EOF_X", text: "line $HOME `x`\n" } });
        const r = spawnSync("/bin/sh", ["-c", cmd], { encoding: "utf8" });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(r.stdout, "probe|it's|a b|$HOME||\nline $HOME `x`\n");
    });
});
