// dockfleet policy pack. The rules live in rules.ts (pure functions, unit-tested in
// test/unit/policy.test.ts); this file only registers them, with the stack files' Engine versions.
import { PolicyPack } from "@pulumi/policy";
import { installSecretTracking, makePolicies } from "./rules";
import { engineVersionsFor } from "./stack-engine-versions";

installSecretTracking();

new PolicyPack("dockfleet", { enforcementLevel: "mandatory", policies: makePolicies((stack) => engineVersionsFor(stack)) });
