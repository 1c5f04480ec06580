// Runs a compiled Pulumi program under Pulumi mocks the way a consumer's own unit test does
// (pulumi/examples testing-unit-ts: setMocks, then import the program), with nothing but the
// program's own node_modules: plain node, no ts-node, no path into this repository.
//
//   node run-under-mocks.js <programDir> <entry.js> <project> <stack> <config.json>
//
// <config.json> is {"values": {key: value}, "secrets": [key]} with keys in the project's
// namespace (given without it); objects are passed as JSON, like `pulumi config set --path`. Prints one JSON object on stdout: where @dockfleet/components resolved from,
// every registration (type, name, URN, parent URN, provider, inputs) and the exported outputs.
// A program that throws prints {"error": message} and exits 2.
"use strict";
const fs = require("fs");
const path = require("path");
const { createRequire } = require("module");

const [dir, entry, project, stack, configFile] = process.argv.slice(2);
const programDir = path.resolve(dir);
const programRequire = createRequire(path.join(programDir, "package.json"));
const pulumi = programRequire("@pulumi/pulumi");

// Pulumi runs a program with the project directory as working directory.
process.chdir(programDir);

const registrations = [];
pulumi.runtime.setMocks({
    newResource: async (args) => {
        const state = { ...args.inputs };
        if (args.type === "command:remote:Command") Object.assign(state, { stdout: "", stderr: "dockfleet[mock]: applied" });
        return { id: `${args.name}-id`, state };
    },
    call: (args) => args.inputs,
}, project, stack, false);
const { values, secrets = [] } = JSON.parse(fs.readFileSync(configFile, "utf8"));
const full = (k) => `${project}:${k}`;
pulumi.runtime.setAllConfig(
    Object.fromEntries(Object.entries(values).map(([k, v]) => [full(k), typeof v === "string" ? v : JSON.stringify(v)])),
    secrets.map(full),
);

// The mock monitor answers every registration; record what the program asked for on the way.
const monitor = pulumi.runtime.getMonitor();
const register = monitor.registerResource.bind(monitor);
monitor.registerResource = (req, callback) => register(req, (err, resp) => {
    if (!err) {
        registrations.push({
            type: req.getType(),
            name: req.getName(),
            urn: resp.getUrn(),
            parent: req.getParent() || undefined,
            provider: req.getProvider() || undefined,
            custom: req.getCustom(),
            inputs: pulumi.runtime.deserializeProperties(req.getObject()),
        });
    }
    callback(err, resp);
});

const fail = (e) => {
    process.stdout.write(JSON.stringify({ error: String((e && e.message) || e) }) + "\n");
    process.exit(2);
};
// A check inside an apply (a secret's value) fails the output, not the require.
process.on("unhandledRejection", fail);

const valueOf = (o) => new Promise((resolve) => pulumi.output(o).apply((v) => { resolve(v); return v; }));

(async () => {
    const exported = require(path.resolve(programDir, entry));
    const outputs = {};
    for (const [k, v] of Object.entries(exported)) outputs[k] = await valueOf(v);
    // Every registration is an outstanding RPC (including ones waiting on dependsOn) until answered.
    await pulumi.runtime.waitForRPCs();
    process.stdout.write(JSON.stringify({
        resolved: programRequire.resolve("@dockfleet/components"),
        registrations,
        outputs,
    }) + "\n");
})().catch(fail);
