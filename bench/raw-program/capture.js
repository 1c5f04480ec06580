// Turns `pulumi stack export --show-secrets` of a converged dockfleet stack into the resource list
// the raw program (index.js) registers: type, name, parent, provider, dependencies, inputs, and
// each component's and the stack's outputs, in state order (which is dependency order).
//   node capture.js STATE.json > resources.json
"use strict";
const fs = require("fs");

const state = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const resources = state.deployment.resources || [];
// urn:pulumi:STACK::PROJECT::PARENT$TYPE::NAME
const nameOf = (urn) => urn.slice(urn.indexOf("::", urn.indexOf("::", urn.indexOf("::") + 2) + 2) + 2);
const out = { resources: [], stackOutputs: {} };
for (const r of resources) {
    if (r.type === "pulumi:pulumi:Stack") {
        out.stackOutputs = r.outputs || {};
        continue;
    }
    const isProvider = r.type.startsWith("pulumi:providers:");
    const name = nameOf(r.urn);
    if (isProvider && name.startsWith("default")) continue; // the SDK registers default providers itself
    const e = { urn: r.urn, type: r.type, name, custom: r.custom === true, parent: r.parent, dependencies: r.dependencies || [] };
    if (r.custom) {
        e.inputs = r.inputs || {};
        if (r.provider) {
            const purn = r.provider.slice(0, r.provider.lastIndexOf("::"));
            const pname = nameOf(purn);
            if (pname.startsWith("default")) {
                // default_1_2_1 -> 1.2.1 (a default provider of that plugin version)
                const v = pname.replace(/^default_?/, "").replace(/_/g, ".");
                if (v) e.version = v;
            } else e.provider = purn;
        }
        for (const k of ["protect", "deleteBeforeReplace", "additionalSecretOutputs", "retainOnDelete"]) if (r[k] !== undefined) e[k] = r[k];
    } else e.outputs = r.outputs || {};
    out.resources.push(e);
}
process.stdout.write(JSON.stringify(out));
