// renderUnitCommand's exact command lines (the strings the Command resources carry, so a change
// shows as a diff on every ContainerUnit).
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { renderUnitCommand } from "./container-unit";

const B64 = fs.readFileSync(path.join(__dirname, "scripts", "install-unit.sh")).toString("base64");
const HEAD = `/bin/bash -c "$(printf %s '${B64}' | base64 -d)" install-unit`;

describe("renderUnitCommand (exact)", () => {
    it("install: the claim words, the unit on stdin as a quoted here-document", () => {
        assert.strictEqual(renderUnitCommand("install", "hb", "[Unit]\nX=it's\n", { owner: "p.s.h-hb", op: "create" }),
            `${HEAD} 'install' 'hb' '--owner' 'p.s.h-hb' '--op' 'create' <<'DOCKFLEET_UNIT_EOF'\n[Unit]\nX=it's\nDOCKFLEET_UNIT_EOF\n`);
    });

    it("remove: no --op, no here-document", () => {
        assert.strictEqual(renderUnitCommand("remove", "hb", undefined, { owner: "o", op: "create" }), `${HEAD} 'remove' 'hb' '--owner' 'o'`);
        assert.strictEqual(renderUnitCommand("remove", "hb"), `${HEAD} 'remove' 'hb'`);
    });
});
