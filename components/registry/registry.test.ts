import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { imageVersion, renderRegistryEnv, validateRegistryStorage, yamlSafe } from "./registry-config";

import { registered as created } from "../../test/support/mocks";

describe("registry env rendering", () => {
    it("renders the swift driver env (golden), sorted", () => {
        assert.deepStrictEqual(renderRegistryEnv({ kind: "swift", authUrl: "http://10.232.0.1:8080/auth/v1.0", authVersion: 1, username: "admin:admin", password: "adminpass", container: "registry", insecureSkipVerify: true }, { httpSecret: "hs", deleteEnabled: true, port: 5000 }), {
            REGISTRY_HTTP_ADDR: "0.0.0.0:5000",
            REGISTRY_HTTP_SECRET: "hs",
            REGISTRY_STORAGE: "swift",
            REGISTRY_STORAGE_DELETE_ENABLED: "true",
            REGISTRY_STORAGE_SWIFT_AUTHURL: "http://10.232.0.1:8080/auth/v1.0",
            REGISTRY_STORAGE_SWIFT_AUTHVERSION: "1",
            REGISTRY_STORAGE_SWIFT_CONTAINER: "registry",
            REGISTRY_STORAGE_SWIFT_INSECURESKIPVERIFY: "true",
            REGISTRY_STORAGE_SWIFT_PASSWORD: "adminpass",
            REGISTRY_STORAGE_SWIFT_USERNAME: "admin:admin",
        });
    });

    it("renders the s3-on-Swift env with path style and redirects off by default", () => {
        const env = renderRegistryEnv({ kind: "s3", region: "us-east-1", regionEndpoint: "http://10.232.0.1:8080", bucket: "registry-s3", accessKey: "admin:admin", secretKey: "k" }, { httpSecret: "hs", deleteEnabled: false, port: 5000 });
        assert.strictEqual(env.REGISTRY_STORAGE_S3_FORCEPATHSTYLE, "true");
        assert.strictEqual(env.REGISTRY_STORAGE_S3_SECURE, "false");
        assert.strictEqual(env.REGISTRY_STORAGE_REDIRECT_DISABLE, "true");
        assert.strictEqual(env.REGISTRY_STORAGE_S3_ACCESSKEY, "admin:admin");
    });

    it("quotes values YAML would re-type (numbers, booleans, maps), and leaves plain strings", () => {
        assert.strictEqual(yamlSafe("12345"), "'12345'");
        assert.strictEqual(yamlSafe("no"), "'no'");
        assert.strictEqual(yamlSafe("true"), "'true'");
        assert.strictEqual(yamlSafe("on"), "'on'"); // YAML 1.1 booleans: the registry uses Go yaml.v2
        assert.strictEqual(yamlSafe("0x1F"), "'0x1F'");
        assert.strictEqual(yamlSafe("1e3"), "'1e3'");
        assert.strictEqual(yamlSafe("a: b"), "'a: b'");
        assert.strictEqual(yamlSafe("it's: x"), "'it''s: x'");
        assert.strictEqual(yamlSafe("plainpass"), "plainpass");
        assert.strictEqual(yamlSafe("[x]"), "'[x]'");
    });

    it("reads image versions", () => {
        assert.deepStrictEqual(imageVersion("registry:2.8.3"), [2, 8, 3]);
        assert.deepStrictEqual(imageVersion("10.0.0.1:5000/library/registry:2.8.2"), [2, 8, 2]);
        assert.strictEqual(imageVersion("registry:latest"), undefined);
        assert.strictEqual(imageVersion("registry"), undefined);
    });

    it("swift needs a pinned 2.8.x image and says why", () => {
        const swift = { kind: "swift" as const, authUrl: "http://s/auth/v1.0", username: "u", password: "p", container: "c" };
        assert.deepStrictEqual(validateRegistryStorage("registry:2.8.3", swift, {}), []);
        assert.match(validateRegistryStorage("registry:3", swift, {})[0].message, /no swift storage driver.*s3/);
        assert.match(validateRegistryStorage("registry:latest", swift, {})[0].message, /pinned to a 2.8.x tag/);
    });
});

describe("Registry resource (mocks)", () => {
    it("creates one container whose env (with the Swift password) is secret, and outputs the endpoint", async () => {
        const { Registry } = await import("./registry");
        const r = new Registry("reg", {
            host: "10.9.0.5",
            storage: { kind: "swift", authUrl: "http://s:8080/auth/v1.0", username: "admin:admin", password: pulumi.secret("sw1ftpw"), container: "registry" },
            httpSecret: pulumi.secret("httpsecret"),
        });
        const endpoint = await new Promise<string>((res) => r.endpoint.apply((e) => { res(e); return e; }));
        assert.strictEqual(endpoint, "10.9.0.5:5000");
        await new Promise<void>((res) => r.container.id.apply(() => res()));
        const c = created.find((x) => x.type === "docker:index/container:Container" && x.name === "reg-container")!;
        assert.strictEqual(c.inputs.image, "registry:2.8.3");
        assert.strictEqual(c.inputs.envs[pulumi.runtime.specialSigKey], pulumi.runtime.specialSecretSig);
        assert.ok(c.inputs.envs.value.includes("REGISTRY_STORAGE_SWIFT_PASSWORD=sw1ftpw"));
        assert.deepStrictEqual(c.inputs.healthcheck.tests, ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:5000/v2/"]);
        assert.strictEqual(await (r.container.envs as unknown as { isSecret: Promise<boolean> }).isSecret, true);
        const catalog = await new Promise<string>((res) => r.catalogUrl.apply((e) => { res(e); return e; }));
        assert.strictEqual(catalog, "http://10.9.0.5:5000/v2/_catalog");
    });

    it("refuses registry:3 with swift before registering", async () => {
        const { Registry } = await import("./registry");
        assert.throws(() => new Registry("reg3", {
            host: "10.9.0.5", image: "registry:3.0.0",
            storage: { kind: "swift", authUrl: "http://s:8080/auth/v1.0", username: "u", password: "p", container: "c" },
            httpSecret: "x",
        }), /Registry "reg3", field image: .*registry 3/);
    });
});

const FIXTURE = JSON.parse(fs.readFileSync(path.join(__dirname, "../../test/fixtures/registry-tls.json"), "utf8")) as { caCert: string; cert: string; key: string };

describe("Registry with TLS and htpasswd (mocks)", () => {
    it("env names the uploaded files, uploads hold the cert, key and htpasswd (all secret), the healthcheck speaks https, the catalog URL too", async () => {
        const { Registry } = await import("./registry");
        const bcrypt = (await import("bcryptjs")).default;
        const r = new Registry("regtls", {
            host: "10.9.0.6",
            storage: { kind: "filesystem" },
            httpSecret: pulumi.secret("hs"),
            tls: { cert: FIXTURE.cert, key: pulumi.secret("-----BEGIN PRIVATE KEY-----\nK\n-----END PRIVATE KEY-----\n") },
            users: pulumi.secret({ fleet: "fleet-password-123" }),
        });
        await new Promise<void>((res) => r.container.id.apply(() => res()));
        const c = created.filter((x) => x.type === "docker:index/container:Container").pop()!;
        const env = c.inputs.envs.value as string[];
        for (const e of ["REGISTRY_HTTP_TLS_CERTIFICATE=/etc/dockfleet/registry.crt", "REGISTRY_HTTP_TLS_KEY=/etc/dockfleet/registry.key", "REGISTRY_AUTH=htpasswd", "REGISTRY_AUTH_HTPASSWD_REALM=dockfleet registry", "REGISTRY_AUTH_HTPASSWD_PATH=/etc/dockfleet/htpasswd"]) assert.ok(env.includes(e), e);
        assert.strictEqual(c.inputs.uploads[pulumi.runtime.specialSigKey], pulumi.runtime.specialSecretSig);
        const uploads = c.inputs.uploads.value as { file: string; content: string }[];
        assert.strictEqual(uploads[0].content, FIXTURE.cert);
        assert.deepStrictEqual(uploads.map((u) => u.file), ["/etc/dockfleet/registry.crt", "/etc/dockfleet/registry.key", "/etc/dockfleet/htpasswd"]);
        assert.strictEqual(uploads[1].content, "-----BEGIN PRIVATE KEY-----\nK\n-----END PRIVATE KEY-----\n");
        const [user, hash] = uploads[2].content.trimEnd().split(":");
        assert.strictEqual(user, "fleet");
        assert.ok(bcrypt.compareSync("fleet-password-123", hash));
        assert.deepStrictEqual(c.inputs.healthcheck.tests, ["CMD", "wget", "-q", "--no-check-certificate", "-O", "/dev/null", "https://127.0.0.1:5000/"]);
        assert.strictEqual(await (r.container.uploads as unknown as { isSecret: Promise<boolean> }).isSecret, true);
        assert.strictEqual(await new Promise<string>((res) => r.catalogUrl.apply((e) => { res(e); return e; })), "https://10.9.0.6:5000/v2/_catalog");
    });

    it("users without tls: an error before registering", async () => {
        const { Registry } = await import("./registry");
        assert.throws(() => new Registry("regnotls", { host: "10.9.0.7", storage: { kind: "filesystem" }, httpSecret: "x", users: { fleet: "fleet-password-123" } }), /Registry "regnotls", field users: needs tls/);
    });
});
