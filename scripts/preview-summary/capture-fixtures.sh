#!/usr/bin/env bash
# Captures the preview JSON fixtures in test/fixtures/preview/ from the real engine, without
# touching any real stack or host:
#   - a copy of the project in a scratch dir, its own file backend (stack "local" there is a
#     scratch stack, never the real one), DOCKFLEET_NO_DRIFT_CHECK=1 (no SSH probe of the hosts);
#   - preview 1: the sandbox config with every part managed, on an empty stack (all creates);
#   - the prior state for preview 2 is synthesized from preview 1's planned inputs and imported
#     with `pulumi stack import` (no `pulumi up`: the sandbox hosts are never changed);
#   - preview 2: an edited config (daemon keys, batch size, a service's healthcheck/image, NFS
#     options, the registry image), so the engine computes real updates and replacements.
# Only the sandbox addresses (10.232.0.x) are in these configs. Expects scripts/env.sh.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="${DOCKFLEET_FIXTURE_DIR:-/tmp/df-preview-fixture}"
out="$repo/test/fixtures/preview"
rm -rf "$work"
mkdir -p "$work/proj" "$work/backend"
(cd "$repo" && tar --exclude=./node_modules --exclude=./.git --exclude=./test/fixtures -cf - .) | tar -xf - -C "$work/proj"
ln -s "$repo/node_modules" "$work/proj/node_modules"
cd "$work/proj"
export PULUMI_BACKEND_URL="file://$work/backend" DOCKFLEET_NO_DRIFT_CHECK=1
pulumi login --non-interactive "$PULUMI_BACKEND_URL" >/dev/null

# Config A: the sandbox stack with every part managed.
node -e '
const fs = require("fs"), YAML = require("yaml");
const f = "stacks/Pulumi.local.yaml";
const doc = YAML.parseDocument(fs.readFileSync(f, "utf8"));
doc.setIn(["config", "dockfleet:parts"], ["daemon", "containerUnits", "registry", "stacks"]);
fs.writeFileSync(f, doc.toString());'
pulumi stack init local --non-interactive --secrets-provider passphrase >/dev/null
pulumi preview --json --stack local >"$work/first.json"
pulumi preview --json --show-secrets --stack local >"$work/first-secrets.json"

# State = preview 1's planned resources, as if `up` had run (ids and outputs made up).
pulumi stack export --stack local >"$work/empty.json"
node -e '
const fs = require("fs");
const [planFile, emptyFile] = process.argv.slice(1);
const plan = JSON.parse(fs.readFileSync(planFile, "utf8"));
const dep = JSON.parse(fs.readFileSync(emptyFile, "utf8"));
const SIG = "4dabf18193072939515e22adb298388d", SECRET = "1b47061264138c4ac30d75fd1eb44270";
const secretKeys = { "command:remote:Command": ["connection", "stdin"], "docker:index/container:Container": ["envs"] };
const resources = [];
const providers = new Map();
const provRef = (ref) => {
    // "urn::id" with an unknown id in a preview; give each provider a fixed id.
    const urn = ref.replace(/::[^:]*$/, "");
    if (!providers.has(urn)) providers.set(urn, `${urn}::fixture-${providers.size}`);
    return providers.get(urn);
};
for (const s of plan.steps) {
    const n = s.newState;
    if (!n) continue;
    if (n.type.startsWith("pulumi:providers:")) { providers.set(n.urn, `${n.urn}::fixture-${providers.size}`); }
}
for (const s of plan.steps) {
    const n = s.newState;
    if (!n) continue;
    const inputs = { ...(n.inputs || {}) };
    for (const k of secretKeys[n.type] || []) if (k in inputs) inputs[k] = { [SIG]: SECRET, plaintext: JSON.stringify(inputs[k]) };
    const r = { urn: n.urn, custom: n.custom, type: n.type, inputs, outputs: n.custom ? { ...inputs } : {}, parent: n.parent, dependencies: n.dependencies, propertyDependencies: n.propertyDependencies, additionalSecretOutputs: n.additionalSecretOutputs, customTimeouts: n.customTimeouts };
    if (n.custom) r.id = n.type.startsWith("pulumi:providers:") ? providers.get(n.urn).split("::").pop() : `fixture-${resources.length}`;
    if (n.provider) r.provider = provRef(n.provider);
    resources.push(r);
}
// Default providers are not steps: add them first.
const have = new Set(resources.map((r) => r.urn));
const provs = [...providers.entries()].filter(([u]) => !have.has(u)).map(([urn, ref]) => ({ urn, custom: true, id: ref.split("::").pop(), type: urn.split("::")[2], inputs: {}, outputs: {} }));
dep.deployment.resources = [...provs, ...resources];
process.stdout.write(JSON.stringify(dep));' "$work/first-secrets.json" "$work/empty.json" >"$work/state.json"
pulumi stack import --stack local --file "$work/state.json" >/dev/null

# Config B: what a typical pull request changes.
node -e '
const fs = require("fs"), YAML = require("yaml");
const f = "stacks/Pulumi.local.yaml";
const doc = YAML.parseDocument(fs.readFileSync(f, "utf8"));
doc.setIn(["config", "dockfleet:daemon", "debug"], true);
doc.setIn(["config", "dockfleet:daemon", "logOpts", "max-size"], "20m");
doc.deleteIn(["config", "dockfleet:daemon", "metricsAddr"]);
doc.setIn(["config", "dockfleet:daemon", "storageDriver"], "overlay2");
doc.setIn(["config", "dockfleet:rollout", "batchSize"], 2);
doc.setIn(["config", "dockfleet:registry", "image"], "local/registry:2.8.3");
const svc = ["config", "dockfleet:stacks", "web", "services", "httpd"];
doc.setIn([...svc, "healthcheck", "retries"], 5);
doc.setIn([...svc, "update", "parallelism"], 2);
doc.setIn(["config", "dockfleet:stacks", "web", "nfsVolumes", "shared", "options"], ["rw", "hard"]);
fs.writeFileSync(f, doc.toString());'
pulumi preview --json --stack local >"$work/second.json"

cp "$work/first.json" "$out/sandbox-first-deploy.json"
cp "$work/second.json" "$out/sandbox-pr-update.json"
echo "capture-fixtures: wrote $out/sandbox-first-deploy.json and $out/sandbox-pr-update.json" >&2
