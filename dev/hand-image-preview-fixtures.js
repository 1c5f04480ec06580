// Writes the hand-built preview fixtures test/fixtures/preview/edge-images-*.json (run from the
// repository root: node dev/hand-image-preview-fixtures.js). A real capture needs a stack whose
// images and services were deployed on the hosts (a plan-synthesized state makes the bridged
// services' diffs spurious), so: the services are the real web-httpd step of sandbox-pr-update.json,
// renamed, with only their image changed; the docker Image steps have the shape a real
// `pulumi preview --json` with @pulumi/docker 5.2.0 printed (create; update with detailedDiff
// build + imageName; no step at all for an unchanged context); unknowns as the engine writes them.
const fs = require("fs");
const src = JSON.parse(fs.readFileSync("test/fixtures/preview/sandbox-pr-update.json", "utf8"));
const U = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const P = "urn:pulumi:local::dockfleet::";
const REG = "10.232.0.11:5000";
const tags = { gatewayOld: "3f0c1d2e4b5a69788790", gatewayNew: "9a8b7c6d5e4f30211203", tools: "51e0c4a2b9d87f6e3c10", cron: "c0ffee12345678901234" };
const digest = (c) => "sha256:" + c.repeat(64).slice(0, 64);
const stackStep = src.steps.find((s) => s.op === "same");
const httpd = src.steps.find((s) => s.urn.includes("service:Service"));
const clone = (x) => JSON.parse(JSON.stringify(x));
const provider = `${P}pulumi:providers:docker::docker-host1::f087b9c4-b91b-42e4-9efc-2c62fac378c5`;
const imgUrn = (k) => `${P}dockfleet:image:FleetImage$docker:index/image:Image::image-${k}`;
// The docker Image's state as `pulumi preview --json` shows it with @pulumi/docker 5.2.0 (checked
// against a real preview of a scratch stack): the build with its checked contextDigest, the proxy
// args secret; in the prior state, the provider's __inputs checkpoint and the pushed repoDigest.
const NO_PROXY = "localhost,127.0.0.1,10.232.0.11,10.232.0.0/24";
const imageInputs = (k, name, contextDigest) => ({
    build: {
        args: { HTTP_PROXY: "[secret]", NO_PROXY, http_proxy: "[secret]", no_proxy: NO_PROXY },
        builderVersion: "BuilderBuildKit",
        context: `apps/${k}`,
        contextDigest,
        dockerfile: `apps/${k}/Dockerfile`,
        platform: "linux/amd64",
    },
    buildOnPreview: false,
    imageName: name,
    registry: { password: "[secret]", server: REG, username: "fleet" },
    skipPush: false,
});
const imageState = (k, name, contextDigest, repoDigest) => {
    const inputs = imageInputs(k, name, contextDigest);
    return {
        urn: imgUrn(k), custom: true, type: "docker:index/image:Image", inputs,
        ...(repoDigest ? { outputs: { __inputs: inputs, ...inputs, id: `sha256:${"7".repeat(64)}`, repoDigest } } : {}),
        parent: `${P}dockfleet:image:FleetImage::image-${k}`, provider,
        propertyDependencies: { build: [], buildOnPreview: [], imageName: [], registry: [], skipPush: [] },
    };
};
// a service of stack `stack` running `image` (the httpd step's shape, renamed)
function service(stack, svc, oldImage, newImage, op) {
    const s = clone(httpd);
    s.op = op;
    s.urn = `${P}dockfleet:swarm:SwarmStack$docker:index/service:Service::${stack}-${svc}`;
    for (const st of [s.oldState, s.newState]) {
        st.urn = s.urn;
        st.inputs.name = `${stack}_${svc}`;
        st.inputs.labels = [{ __defaults: [], label: "com.docker.stack.namespace", value: stack }];
        st.inputs.taskSpec.containerSpec.labels = st.inputs.labels;
        st.parent = `${P}dockfleet:swarm:SwarmStack::${stack}`;
    }
    s.oldState.inputs.taskSpec.containerSpec.image = oldImage;
    s.newState.inputs.taskSpec.containerSpec.image = newImage;
    // only the image changes (the template's own edits undone)
    s.newState.inputs.taskSpec.containerSpec.healthcheck = s.oldState.inputs.taskSpec.containerSpec.healthcheck;
    s.newState.inputs.updateConfig = s.oldState.inputs.updateConfig;
    delete s.newState.inputs.taskSpec.containerSpec.sysctl;
    if (op === "create") {
        delete s.oldState;
        delete s.detailedDiff;
        delete s.diffReasons;
    } else {
        s.diffReasons = ["taskSpec"];
        s.detailedDiff = { "taskSpec.containerSpec.image": { kind: "update", inputDiff: false } };
    }
    return s;
}
const plan = [
    "FleetImage plan (content tags; an image is built and pushed on up only when its docker Image changes, never in preview):",
    `  cron: ${REG}/cron:${tags.cron}; services jobs/cron`,
    `  gateway: ${REG}/gateway:${tags.gatewayNew}; services web/api, web/worker`,
    `  tools: ${REG}/tools:${tags.tools}; services web/toolbox`,
].join("\n") + "\n";
const warning = src.diagnostics.filter((d) => /SwarmStack "web"/.test(d.message));
const rebuild = {
    config: src.config,
    steps: [
        stackStep,
        { op: "create", urn: `${P}dockfleet:image:FleetImage::image-cron`, newState: { urn: `${P}dockfleet:image:FleetImage::image-cron`, custom: false, type: "dockfleet:image:FleetImage", inputs: {}, parent: stackStep.urn } },
        { op: "create", urn: imgUrn("cron"), provider, newState: imageState("cron", `${REG}/cron:${tags.cron}`, "c".repeat(64)), detailedDiff: null },
        {
            op: "update", urn: imgUrn("gateway"), provider,
            oldState: imageState("gateway", `${REG}/gateway:${tags.gatewayOld}`, "1".repeat(64), `${REG}/gateway@${digest("a")}`),
            newState: imageState("gateway", `${REG}/gateway:${tags.gatewayNew}`, "2".repeat(64)),
            detailedDiff: { build: { kind: "update", inputDiff: false }, imageName: { kind: "update", inputDiff: false } },
        },
        service("jobs", "cron", undefined, U, "create"),
        service("web", "api", `${REG}/gateway@${digest("a")}`, U, "update"),
        service("web", "worker", `${REG}/gateway@${digest("a")}`, U, "update"),
        clone(httpd),
    ],
    diagnostics: [{ urn: stackStep.urn, message: plan, severity: "info" }, ...warning],
    changeSummary: { create: 3, same: 19, update: 4 },
};
fs.writeFileSync("test/fixtures/preview/edge-images-rebuild.json", JSON.stringify(rebuild, null, 2) + "\n");
const same = {
    config: src.config,
    steps: [stackStep],
    diagnostics: [{ urn: stackStep.urn, message: plan.replace(/; services jobs\/cron/, "; no service").replace(tags.gatewayNew, tags.gatewayOld), severity: "info" }],
    changeSummary: { same: 24 },
};
fs.writeFileSync("test/fixtures/preview/edge-images-unchanged.json", JSON.stringify(same, null, 2) + "\n");
