#!/usr/bin/env bash
# Captures the preview JSON fixtures in test/fixtures/preview/ from the real engine, without
# touching any real stack or host:
#   - a copy of the project in a scratch dir with its own file backend (the stack "local" there
#     is a scratch stack, not the real one) and DOCKFLEET_NO_DRIFT_CHECK=1 (no SSH probe);
#   - preview 1: the sandbox config (stacks/Pulumi.local.yaml) on an empty stack: all creates;
#   - the prior state for preview 2 is preview 1's saved plan (`--save-plan`: every planned
#     input, secrets encrypted by the stack's own passphrase), turned into a deployment and
#     loaded with `pulumi stack import`; no `pulumi up`, so no host is changed;
#   - preview 2: an edited config (daemon keys, batch size, a service's healthcheck and update
#     policy, NFS options, the registry image), so the engine computes real updates/replacements.
# Only the sandbox addresses (10.232.0.x) are in these configs. Expects dev/env.sh.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${DOCKFLEET_FIXTURE_DIR:-/tmp/df-preview-fixture}"
out="${DOCKFLEET_FIXTURE_OUT:-$repo/test/fixtures/preview}"
rm -rf "$work"
mkdir -p "$work/proj" "$work/backend"
(cd "$repo" && tar --exclude=./node_modules --exclude=./.git --exclude=./test/fixtures --exclude=./bench -cf - .) | tar -xf - -C "$work/proj"
ln -s "$repo/node_modules" "$work/proj/node_modules"
cd "$work/proj"
export PULUMI_BACKEND_URL="file://$work/backend" DOCKFLEET_NO_DRIFT_CHECK=1
pulumi login --non-interactive "$PULUMI_BACKEND_URL" >/dev/null
pulumi stack init local --non-interactive --secrets-provider passphrase >/dev/null
# A throwaway SSH key: previews never log in, and the sandbox's own key is never read.
ssh-keygen -q -t ed25519 -N "" -C dockfleet-fixture -f "$work/id_fixture"
node -e '
const fs = require("fs"), YAML = require("yaml");
const f = "stacks/Pulumi.local.yaml";
const doc = YAML.parseDocument(fs.readFileSync(f, "utf8"));
doc.setIn(["config", "dockfleet:ssh", "privateKeyPath"], process.argv[1]);
fs.writeFileSync(f, doc.toString());' "$work/id_fixture"

pulumi preview --json --stack local >"$work/first.json"
pulumi preview --stack local --save-plan "$work/plan.json" >"$work/plan.log" 2>&1

# State = preview 1's plan, as if `up` had run (ids made up; outputs = inputs).
pulumi stack export --stack local >"$work/empty.json"
# shellcheck disable=SC2016 # JavaScript template literals, not shell expansions
node -e '
const fs = require("fs");
const [planFile, emptyFile, stepsFile] = process.argv.slice(1);
const plan = JSON.parse(fs.readFileSync(planFile, "utf8"));
const dep = JSON.parse(fs.readFileSync(emptyFile, "utf8"));
const ids = new Map();
const idOf = (urn) => { if (!ids.has(urn)) ids.set(urn, `fixture-${ids.size}`); return ids.get(urn); };
const resources = [];
for (const [urn, rp] of Object.entries(plan.resourcePlans)) {
    const g = rp.goal;
    if (!g) continue;
    const inputs = { ...(g.inputDiff?.adds ?? {}), ...(g.inputDiff?.updates ?? {}) };
    const r = { urn, custom: g.custom, type: g.type, inputs, outputs: g.custom ? { ...inputs } : {} };
    if (g.custom) r.id = idOf(urn);
    for (const k of ["parent", "dependencies", "propertyDependencies", "additionalSecretOutputs", "customTimeouts", "protect"]) if (g[k] !== undefined) r[k] = g[k];
    if (g.provider) { const pu = g.provider.replace(/::[^:]*$/, ""); r.provider = `${pu}::${idOf(pu)}`; }
    resources.push(r);
}
// Registration order (the steps of preview 1) keeps parents and dependencies before their children;
// default providers are not steps: they go right after the stack.
const order = new Map(JSON.parse(fs.readFileSync(stepsFile, "utf8")).steps.map((s, i) => [s.urn, i]));
const pos = (r) => order.get(r.urn) ?? (r.type.startsWith("pulumi:providers:") ? 0.5 : 1e9);
resources.sort((a, b) => pos(a) - pos(b));
const have = new Set(resources.map((r) => r.urn));
const extra = [];
for (const r of resources) if (r.provider) { const pu = r.provider.replace(/::[^:]*$/, ""); if (!have.has(pu)) { have.add(pu); extra.push({ urn: pu, custom: true, id: idOf(pu), type: pu.split("::")[2], inputs: {}, outputs: {} }); } }
dep.deployment.resources = [resources[0], ...extra, ...resources.slice(1)];
process.stdout.write(JSON.stringify(dep));' "$work/plan.json" "$work/empty.json" "$work/first.json" >"$work/state.json"
pulumi stack import --stack local --file "$work/state.json" >/dev/null

# Config B: what a typical pull request changes.
node -e '
const fs = require("fs"), YAML = require("yaml");
const f = "stacks/Pulumi.local.yaml";
const y = YAML.parse(fs.readFileSync(f, "utf8"));
const c = y.config;
Object.assign(c["dockfleet:daemon"], { debug: true, storageDriver: "overlay2" });
c["dockfleet:daemon"].logOpts["max-size"] = "20m";
delete c["dockfleet:daemon"].metricsAddr;
c["dockfleet:rollout"].batchSize = 2;
c["dockfleet:registry"].image = c["dockfleet:registry"].image.replace(/2\.8\.\d+/, "2.8.3");
const httpd = c["dockfleet:stacks"].web.services.httpd;
httpd.healthcheck.retries = 5;
httpd.update.parallelism = 2;
const vol = (c["dockfleet:volumes"] ?? [])[0];
if (vol) vol.options = ["rw", "hard"];
fs.writeFileSync(f, YAML.stringify(y));'
pulumi preview --json --stack local >"$work/second.json" || true
pulumi preview --diff --stack local >"$work/second.diff.txt" 2>&1 || true

# Preview 3 (when the sandbox has been deployed with `npm start`): the same edit against the real
# state of the sandbox stack, read with `pulumi stack export` (secrets stay encrypted; same
# passphrase and salt) from the project's own backend and imported here. The real key path is
# used so only what the edit changes shows up. Nothing is written to the real stack.
main_backend="$(cd "$repo" && unset PULUMI_BACKEND_URL && source tools/pulumi-engine/env.sh && echo "$PULUMI_BACKEND_URL")"
real_key=$(cd "$repo" && node -e 'const Y=require("yaml");console.log(Y.parse(require("fs").readFileSync("stacks/Pulumi.local.yaml","utf8")).config["dockfleet:ssh"].privateKeyPath||"")')
if PULUMI_BACKEND_URL="$main_backend" pulumi stack export --stack local --cwd "$repo" >"$work/real-state.json" 2>/dev/null \
    && [ -n "$real_key" ] && [ -r "$real_key" ] \
    && [ "$(node -e 'console.log((JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).deployment.resources||[]).length)' "$work/real-state.json")" -gt 1 ]; then
    pulumi stack import --stack local --force --file "$work/real-state.json" >/dev/null
    node -e '
const fs = require("fs"), YAML = require("yaml");
const f = "stacks/Pulumi.local.yaml";
const y = YAML.parse(fs.readFileSync(f, "utf8"));
y.config["dockfleet:ssh"].privateKeyPath = process.argv[1];
fs.writeFileSync(f, YAML.stringify(y));' "$real_key"
    pulumi preview --json --stack local >"$work/third.json" || true
    cp "$work/third.json" "$out/sandbox-pr-update.json"
    echo "capture-fixtures: sandbox-pr-update.json is the edit against the real sandbox state" >&2
else
    cp "$work/second.json" "$out/sandbox-pr-update.json"
    echo "capture-fixtures: the sandbox stack has no state (npm start deploys it): sandbox-pr-update.json is against the plan-synthesized state" >&2
fi

cp "$work/first.json" "$out/sandbox-first-deploy.json"
echo "capture-fixtures: wrote $out/sandbox-first-deploy.json and $out/sandbox-pr-update.json" >&2
