// dockfleet policy pack. The rules live in rules.ts (pure functions, unit-tested in
// test/unit/policy.test.ts); this file only registers them.
import { PolicyPack } from "@pulumi/policy";
import { installSecretTracking, policies } from "./rules";

installSecretTracking();

new PolicyPack("dockfleet", { enforcementLevel: "mandatory", policies });
