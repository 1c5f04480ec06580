// Pulumi.yaml's entry point: the program compiled by program/build-program.js, rebuilt first when
// any of its sources changed since the last build (a digest of them, ~10 ms), so `pulumi up` never
// runs a stale program and never needs ts-node.
"use strict";
const b = require("./program/build-program");
if (!b.fresh()) b.build();
// the hosts' SSH probe runs while the SDK and the components load (program/early-probe.ts)
require("./build/program/program/early-probe.js").startEarlyProbe();
module.exports = require("./build/program/index.js");
