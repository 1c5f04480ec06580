// The "raw program" of bench/noop-cost.sh: registers exactly the resources a converged dockfleet
// stack holds (bench/raw-program/capture.js wrote them from its state) with the same plugins, and
// nothing else: no components' logic, no validation, no rendering, no host probes. Run against the
// same stack, a no-op of it is the floor a program with these resources can reach.
"use strict";
const fs = require("fs");
const pulumi = require("@pulumi/pulumi");

const SIG = "4dabf18193072939515e22adb298388d"; // Pulumi's special-value signature key
const SECRET = "1b47061264138c4ac30d75fd1eb44270";
// State values with secrets as {SIG: SECRET, plaintext: JSON} -> pulumi.secret(value)
function revive(v) {
    if (Array.isArray(v)) return v.map(revive);
    if (v && typeof v === "object") {
        if (v[SIG] === SECRET) return pulumi.secret(revive(JSON.parse(v.plaintext)));
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, revive(x)]));
    }
    return v;
}

const captured = JSON.parse(fs.readFileSync(process.env.RAW_RESOURCES, "utf8"));
const byUrn = new Map();
class Component extends pulumi.ComponentResource {
    constructor(type, name, opts) {
        super(type, name, {}, opts);
    }
}
for (const r of captured.resources) {
    const opts = { parent: r.parent && byUrn.get(r.parent), dependsOn: r.dependencies.map((u) => byUrn.get(u)).filter(Boolean) };
    let res;
    if (r.type.startsWith("pulumi:providers:")) {
        res = new pulumi.ProviderResource(r.type.slice("pulumi:providers:".length), r.name, revive(r.inputs), opts);
    } else if (r.custom) {
        if (r.provider) opts.provider = byUrn.get(r.provider);
        if (r.version) opts.version = r.version;
        for (const k of ["protect", "deleteBeforeReplace", "additionalSecretOutputs", "retainOnDelete"]) if (r[k] !== undefined) opts[k] = r[k];
        res = new pulumi.CustomResource(r.type, r.name, revive(r.inputs), opts);
    } else {
        res = new Component(r.type, r.name, opts);
        res.registerOutputs(revive(r.outputs));
    }
    byUrn.set(r.urn, res);
}
module.exports = revive(captured.stackOutputs);
