import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";
import type { SwarmStack as SwarmStackType } from "./swarm-stack";
import { SwarmStackArgs } from "./spec";
import { renderCompose, renderService } from "./render";
import { validateSwarmStack } from "./validate";
import { looksSecret } from "./validate-files";
import { DockfleetConfigError } from "../common/issues";
import { secretName, secretsKeyBytes, versionedName, withConfigFiles } from "./secrets";

import { isSecretOutput, registered, valueOf } from "../../test/support/mocks";

// Secrets: HMAC-SHA256 prefixes under a fixed key, from
// `printf %s VALUE | openssl dgst -sha256 -mac HMAC -macopt hexkey:KEY | cut -c1-10` (the hex after "= ").
const KEY = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
/** The same 32 bytes as base64. */
const KEY_B64 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const OTHER_KEY = "6b".repeat(32);
const H_HUNTER2 = "8629d712da";
const H_HUNTER3 = "7c2999951c";
const H_HUNTER2_OTHER = "f6c2ff6016";
const H_HUNTER3_OTHER = "cc0bc82cb0";
// sha256 prefixes (configs, and the unkeyed names the attacker test starts from), from `printf %s VALUE | sha256sum | cut -c1-10`
const SHA_HUNTER2 = "f52fbd32b2";
const H_CONF = "e9b027c643";

const sha10 = (v: string) => crypto.createHash("sha256").update(v, "utf8").digest("hex").slice(0, 10);

/** The test stack; `secretsKey` null: none. */
const appStack = (value: pulumi.Input<string>, secretsKey: pulumi.Input<string> | null = KEY): SwarmStackArgs => ({
    name: "app",
    secrets: { db_password: { value } },
    ...(secretsKey === null ? {} : { secretsKey }),
    configs: { nginx_conf: { content: "worker_processes 2;" } },
    services: {
        api: { image: "api:1", secrets: [{ source: "db_password" }], configs: [{ source: "nginx_conf", target: "/etc/nginx/nginx.conf", mode: "0440", uid: "101", gid: "101" }] },
        web: { image: "nginx:1.25" },
    },
});

// Registration requests (dependencies are not in MockResourceArgs), recorded by a pass-through wrapper.
const deps = new Map<string, string[]>();
/** deleteBeforeReplace as sent: undefined when the option was not given. */
const dbr = new Map<string, boolean | undefined>();
function recordDeps() {
    const monitor = (pulumi.runtime as any).getMonitor();
    if (monitor.__secretsDepsRecorder) return;
    const orig = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, cb: any) => {
        deps.set(req.getName(), req.getDependenciesList());
        dbr.set(req.getName(), req.getDeletebeforereplacedefined() ? req.getDeletebeforereplace() : undefined);
        return orig(req, cb);
    };
    monitor.__secretsDepsRecorder = true;
}
const settle = () => new Promise((r) => setTimeout(r, 50));

describe("swarm stack secrets and configs", function () {
    describe("names and rendering (pure)", () => {
        it("names a secret <stack>_<name>_<first 10 hex of HMAC-SHA256(key, value)>, a config by sha256 of its content", () => {
            assert.strictEqual(secretName("app", "db_password", "hunter2", KEY), `app_db_password_${H_HUNTER2}`);
            assert.strictEqual(secretName("app", "db_password", "hunter3", KEY), `app_db_password_${H_HUNTER3}`);
            assert.strictEqual(versionedName("app", "nginx_conf", "worker_processes 2;"), `app_nginx_conf_${H_CONF}`);
        });

        it("a different key gives different names (a new key rotates every secret); the key's bytes count, not its spelling", () => {
            assert.strictEqual(secretName("app", "db_password", "hunter2", OTHER_KEY), `app_db_password_${H_HUNTER2_OTHER}`);
            assert.strictEqual(secretName("app", "db_password", "hunter3", OTHER_KEY), `app_db_password_${H_HUNTER3_OTHER}`);
            assert.strictEqual(secretName("app", "db_password", "hunter2", KEY_B64), `app_db_password_${H_HUNTER2}`);
            assert.strictEqual(secretName("app", "db_password", "hunter2", KEY.toUpperCase()), `app_db_password_${H_HUNTER2}`);
        });

        it("takes a key of at least 32 bytes as hex or base64, and says what is wrong with another without repeating it", () => {
            assert.deepStrictEqual([KEY, KEY_B64, KEY_B64.replace(/=$/, ""), "_-".repeat(22)].map((k) => (secretsKeyBytes(k) as Buffer).length), [32, 32, 32, 33]);
            assert.deepStrictEqual(["ab".repeat(31), Buffer.alloc(31).toString("base64"), "hunter2!", ""].map(secretsKeyBytes), [
                "is 31 bytes; at least 32 random bytes are needed (hex or base64)",
                "is 31 bytes; at least 32 random bytes are needed (hex or base64)",
                "must be at least 32 random bytes as hex or base64 (it is neither)",
                "must be at least 32 random bytes as hex or base64 (it is neither)",
            ]);
            assert.throws(() => secretName("app", "db_password", "hunter2", "ab".repeat(16)), (e: unknown) =>
                e instanceof DockfleetConfigError && e.message === 'invalid dockfleet configuration (1 error):\n  - SwarmStack "app", field secretsKey: is 16 bytes; at least 32 random bytes are needed (hex or base64)');
        });

        it("plays the attacker: the name and a dictionary that holds the value give nothing without the key", () => {
            const dictionary = ["123456", "password", "letmein", "hunter1", "hunter2", "hunter3", "qwerty", "admin", "changeme", "s3cr3t"];
            const hashOf = (name: string) => name.slice(name.lastIndexOf("_") + 1);
            // the unkeyed name of before was such an oracle: sha256-prefix guessing finds the value
            const unkeyed = versionedName("app", "db_password", "hunter2");
            assert.strictEqual(hashOf(unkeyed), SHA_HUNTER2);
            assert.deepStrictEqual(dictionary.filter((w) => sha10(w) === hashOf(unkeyed)), ["hunter2"]);
            // the keyed name: the same guessing finds nothing, nor does an HMAC under any other key
            const name = secretName("app", "db_password", "hunter2", KEY);
            assert.deepStrictEqual(dictionary.filter((w) => sha10(w) === hashOf(name) || sha10(`app_db_password_${w}`) === hashOf(name)), []);
            const guessedKeys = [OTHER_KEY, "00".repeat(32), "ff".repeat(32), crypto.randomBytes(32).toString("hex")];
            assert.deepStrictEqual(guessedKeys.flatMap((k) => dictionary.filter((w) => secretName("app", "db_password", w, k) === name)), []);
            // with the key it is the value's name (so the search above could have found it)
            assert.deepStrictEqual(dictionary.filter((w) => secretName("app", "db_password", w, KEY) === name), ["hunter2"]);
        });

        it("renders the service's secrets under /run/secrets and configs at their targets, by id and name", () => {
            const cs = renderService(appStack("hunter2"), "api").taskSpec as any;
            assert.deepStrictEqual(cs.containerSpec.secrets, [
                { secretId: `app_db_password_${H_HUNTER2}`, secretName: `app_db_password_${H_HUNTER2}`, fileName: "/run/secrets/db_password", fileUid: "0", fileGid: "0", fileMode: 0o444 },
            ]);
            assert.deepStrictEqual(cs.containerSpec.configs, [
                { configId: `app_nginx_conf_${H_CONF}`, configName: `app_nginx_conf_${H_CONF}`, fileName: "/etc/nginx/nginx.conf", fileUid: "101", fileGid: "101", fileMode: 0o440 },
            ]);
            const web = (renderService(appStack("hunter2"), "web").taskSpec as any).containerSpec;
            assert.strictEqual(web.secrets, undefined);
            assert.strictEqual(web.configs, undefined);
        });

        it("renders the compose file with external secrets and configs under their versioned names and no value", () => {
            const c = renderCompose(appStack("hunter2"));
            assert.ok(!c.includes("hunter2"));
            assert.ok(!c.includes("worker_processes"));
            assert.strictEqual(c.split("\n").slice(0, 3).join("\n"), [
                `# Generated by dockfleet for stack "app". Deploy with: docker stack deploy -c FILE app`,
                `# Secrets and configs are external; create each first, its value on stdin: docker secret create app_db_password_${H_HUNTER2} -; docker config create app_nginx_conf_${H_CONF} -`,
                "",
            ].join("\n"));
            const doc = YAML.parse(c);
            assert.deepStrictEqual(doc.secrets, { db_password: { name: `app_db_password_${H_HUNTER2}`, external: true } });
            assert.deepStrictEqual(doc.configs, { nginx_conf: { name: `app_nginx_conf_${H_CONF}`, external: true } });
            assert.deepStrictEqual(doc.services.api.secrets, [{ source: "db_password", target: "/run/secrets/db_password", uid: "0", gid: "0", mode: 292 }]);
            assert.deepStrictEqual(doc.services.api.configs, [{ source: "nginx_conf", target: "/etc/nginx/nginx.conf", uid: "101", gid: "101", mode: 288 }]);
            assert.strictEqual(doc.services.web.secrets, undefined);
        });

        it("reads a config's file relative to the base directory, and names an unreadable one", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cfg-"));
            fs.writeFileSync(path.join(dir, "nginx.conf"), "worker_processes 2;");
            const a: SwarmStackArgs = { ...appStack("x"), configs: { nginx_conf: { file: "nginx.conf" } } };
            assert.deepStrictEqual(withConfigFiles(a, dir).configs, { nginx_conf: { content: "worker_processes 2;" } });
            assert.throws(() => withConfigFiles({ ...a, configs: { nginx_conf: { file: "nope.conf" } } }, dir), /SwarmStack "app", field configs\.nginx_conf\.file: cannot read .*nope\.conf: ENOENT/);
        });
    });

    describe("validation", () => {
        const issues = (a: SwarmStackArgs) => validateSwarmStack(a).map((i) => `${i.severity} ${i.field}: ${i.message}`);

        it("accepts a stack whose secret and key are Pulumi secrets", () => {
            assert.deepStrictEqual(issues(appStack(pulumi.secret("hunter2"), pulumi.secret(KEY))), []);
        });

        it("requires a key of 32 bytes or more with secrets, and none without", () => {
            assert.deepStrictEqual(issues(appStack(pulumi.secret("hunter2"), null)), [
                "error secretsKey: is required when the stack has secrets (their names are keyed by it): a Pulumi secret of at least 32 random bytes as hex or base64, e.g. from: openssl rand -hex 32",
            ]);
            assert.deepStrictEqual(issues(appStack(pulumi.secret("hunter2"), "ab".repeat(16))), ["error secretsKey: is 16 bytes; at least 32 random bytes are needed (hex or base64)"]);
            assert.deepStrictEqual(issues(appStack(pulumi.secret("hunter2"), 32 as never)), [
                "error secretsKey: must be a Pulumi secret of at least 32 random bytes as hex or base64, e.g. from: openssl rand -hex 32",
            ]);
            assert.deepStrictEqual(issues({ ...appStack("x", null), secrets: {}, services: { web: { image: "nginx:1.25" } } }), []);
        });

        it("warns about a plain secret value", () => {
            assert.deepStrictEqual(issues(appStack("hunter2")), [
                "warning secrets.db_password.value: is a plain string: it is kept secret in the state and the swarm, but it sits in plain text where it was written; pass a Pulumi secret (config.requireSecret, pulumi.secret)",
            ]);
        });

        it("reports undefined names, bad targets, modes and ids, and duplicate targets", () => {
            const a: SwarmStackArgs = {
                ...appStack(pulumi.secret("x")),
                services: {
                    api: {
                        image: "api:1",
                        // bare names as untyped YAML gives them
                        secrets: ["db_pasword" as never, { source: "db_password", target: "../etc/shadow" }, { source: "db_password", target: "/proc/self/x", mode: "644", uid: "root" }],
                        configs: ["nginx_conf" as never, { source: "nginx_conf", target: "nginx_conf" }, { source: "nginx_conf", target: "/etc/x", mode: "0999", colour: "red" } as never],
                    },
                },
            };
            assert.deepStrictEqual(issues(a), [
                'error services.api.secrets[0]: "db_pasword" is not a secret of this stack (declared: db_password)',
                'error services.api.secrets[1].target: "/run/secrets/../etc/shadow" must be a normalized path (no empty, . or .. components, no trailing /)',
                'error services.api.secrets[2].uid: "root" must be a numeric id as a string, e.g. "1000"',
                'error services.api.secrets[2].target: "/proc/self/x" is under /proc, which the kernel or the runtime owns',
                'error services.api.configs[1].target: "/nginx_conf" is already the target of configs[0]',
                "error services.api.configs[2].colour: unknown setting (known: source, target, mode, uid, gid)",
                'error services.api.configs[2].mode: "0999" must be an octal mode string such as "0400" or "0444"',
            ]);
        });

        it("reports malformed stack secrets and configs, and a versioned name over docker's limit", () => {
            const a = {
                name: "app",
                secrets: { a: {}, b: { value: "" }, ["x".repeat(50)]: { value: pulumi.secret("v") } },
                configs: { c: { content: "x", file: "c.conf" }, d: "text" },
                services: { api: { image: "api:1" } },
            } as unknown as SwarmStackArgs;
            assert.deepStrictEqual(issues(a), [
                "error secrets.a.value: is required: the secret value (a Pulumi secret)",
                "error secrets.b.value: must not be empty",
                `error secrets.${"x".repeat(50)}: the versioned name "app_${"x".repeat(50)}_<10 hex>" is longer than docker's 64-character limit; shorten the name`,
                "error secretsKey: is required when the stack has secrets (their names are keyed by it): a Pulumi secret of at least 32 random bytes as hex or base64, e.g. from: openssl rand -hex 32",
                "error configs.c: give exactly one of content or file",
                "error configs.d: must be a mapping { content: <text> } or { file: <path> }",
            ]);
        });

        it("warns about plain env values whose key looks like a secret, and about secrets in env", () => {
            const a: SwarmStackArgs = { name: "app", services: { api: { image: "api:1", env: { DB_PASSWORD: "hunter2", API_TOKEN: pulumi.secret("t"), DB_PASSWORD_FILE: "/run/secrets/db", MONKEY: "x" } } } };
            assert.deepStrictEqual(issues(a), [
                "warning services.api.env.DB_PASSWORD: looks like a secret in plain text (the environment is part of the service spec, readable by anyone who can run docker service inspect or docker inspect on a node); declare it in the stack's secrets and mount it: services.api.secrets: [db_password] (the program reads /run/secrets/db_password, or DB_PASSWORD_FILE where the image supports it)",
                "warning services.api.env.API_TOKEN: is a Pulumi secret or computed value in the environment: it stays secret in the state, but the environment is part of the service spec, readable by anyone who can run docker service inspect or docker inspect on a node; a secret belongs in the stack's secrets, mounted as a file",
            ]);
        });

        it("tells secret-looking env keys from others", () => {
            assert.deepStrictEqual(["DB_PASSWORD", "GITHUB_TOKEN", "SECRET_KEY_BASE", "AWS_SECRET_ACCESS_KEY", "KEY", "API_KEY", "PASSWORD_FILE", "MONKEY", "KEYBOARD", "TOKENIZER_MODEL", "PATH"].filter(looksSecret),
                ["DB_PASSWORD", "GITHUB_TOKEN", "SECRET_KEY_BASE", "AWS_SECRET_ACCESS_KEY", "KEY", "API_KEY"]);
        });
    });

    describe("SwarmStack component (mocks)", () => {
        let SwarmStack: typeof SwarmStackType;
        before(async () => {
            recordDeps();
            ({ SwarmStack } = await import("./swarm-stack"));
        });

        it("creates one versioned, labelled docker.Secret and ServiceConfig per entry; the data is secret, the name is not", async () => {
            const stack = new SwarmStack("sec1", appStack(pulumi.secret("hunter2"), pulumi.secret(KEY)));
            await valueOf(stack.serviceNames);
            await settle();
            const secret = registered.find((r) => r.type === "docker:index/secret:Secret" && r.name === "sec1-secret-db_password")!;
            const config = registered.find((r) => r.type === "docker:index/serviceConfig:ServiceConfig" && r.name === "sec1-config-nginx_conf")!;
            // the data reaches the engine as a secret (the wire's secret signature), so the state encrypts it
            const secretValue = (value: string) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });
            assert.deepStrictEqual(secret.inputs, { name: `app_db_password_${H_HUNTER2}`, data: secretValue("aHVudGVyMg=="), labels: [{ label: "com.docker.stack.namespace", value: "app" }] });
            assert.deepStrictEqual(config.inputs, { name: `app_nginx_conf_${H_CONF}`, data: Buffer.from("worker_processes 2;").toString("base64"), labels: [{ label: "com.docker.stack.namespace", value: "app" }] });
            assert.strictEqual(await isSecretOutput(stack.secrets.db_password.data), true);
            assert.strictEqual(await isSecretOutput(stack.secrets.db_password.name), false);
            assert.strictEqual(await valueOf(stack.secrets.db_password.name), `app_db_password_${H_HUNTER2}`);
            // mounting a secret does not make the service spec secret: the value is not in it
            assert.strictEqual(await isSecretOutput(stack.services.api.taskSpec), false);
            assert.ok(!JSON.stringify(await valueOf(stack.services.api.taskSpec)).includes("hunter2"));
            assert.strictEqual(await isSecretOutput(stack.compose), false);
            const compose = await valueOf(stack.compose);
            assert.ok(!compose.includes("hunter2"));
            assert.deepStrictEqual(YAML.parse(compose).secrets, { db_password: { name: `app_db_password_${H_HUNTER2}`, external: true } });
        });

        it("the key is in no registration: only the names derived from it are", async () => {
            const stack = new SwarmStack("sec3", appStack(pulumi.secret("hunter2"), pulumi.secret(KEY)));
            await valueOf(stack.compose);
            await settle();
            const mine = registered.filter((r) => r.name.startsWith("sec3"));
            assert.deepStrictEqual(mine.map((r) => r.type).sort(), ["docker:index/network:Network", "docker:index/secret:Secret", "docker:index/service:Service", "docker:index/service:Service", "docker:index/serviceConfig:ServiceConfig", "dockfleet:swarm:SwarmStack"]);
            const text = JSON.stringify(mine.map((r) => r.inputs));
            assert.ok(text.includes(`app_db_password_${H_HUNTER2}`), "the search looks at the right text");
            assert.deepStrictEqual([KEY, KEY_B64].filter((k) => text.includes(k)), []);
        });

        it("the same stack under another key: every secret renamed, configs unchanged", async () => {
            const stack = new SwarmStack("sec4", appStack(pulumi.secret("hunter2"), pulumi.secret(OTHER_KEY)));
            assert.deepStrictEqual([await valueOf(stack.secrets.db_password.name), await valueOf(stack.configs.nginx_conf.name)], [`app_db_password_${H_HUNTER2_OTHER}`, `app_nginx_conf_${H_CONF}`]);
        });

        it("refuses secrets without a key before registering anything of the stack", async () => {
            assert.throws(() => new SwarmStack("sec5", appStack(pulumi.secret("hunter2"), null)), (e: unknown) => e instanceof DockfleetConfigError
                && e.message === 'invalid dockfleet configuration (1 error):\n  - stack "unit", SwarmStack "app", field secretsKey: is required when the stack has secrets (their names are keyed by it): a Pulumi secret of at least 32 random bytes as hex or base64, e.g. from: openssl rand -hex 32');
            await settle();
            assert.deepStrictEqual(registered.filter((r) => r.name.startsWith("sec5-")).map((r) => r.name), []);
        });

        it("keeps a plain string value secret too", async () => {
            const stack = new SwarmStack("sec2", appStack("hunter2"));
            assert.strictEqual(await isSecretOutput(stack.secrets.db_password.data), true);
        });

        it("a changed value is a new name, and the service that mounts it references (and depends on) the new object", async () => {
            const before = new SwarmStack("rot-a", appStack(pulumi.secret("hunter2"), pulumi.secret(KEY)));
            const after = new SwarmStack("rot-b", appStack(pulumi.secret("hunter3"), pulumi.secret(KEY)));
            const refs = async (s: SwarmStackType) => (await valueOf(s.services.api.taskSpec)).containerSpec!.secrets!.map((r) => `${r.secretId} ${r.secretName}`);
            assert.deepStrictEqual(await refs(before), [`rot-a-secret-db_password-id app_db_password_${H_HUNTER2}`]);
            assert.deepStrictEqual(await refs(after), [`rot-b-secret-db_password-id app_db_password_${H_HUNTER3}`]);
            await settle();
            const urn = (comp: string) => `urn:pulumi:unit::dockfleet::dockfleet:swarm:SwarmStack$docker:index/secret:Secret::${comp}-secret-db_password`;
            assert.ok(deps.get("rot-b-api")!.includes(urn("rot-b")), JSON.stringify(deps.get("rot-b-api")));
            // create-before-delete, overriding the provider's delete-before-replace for named resources
            // (docker refuses to delete a secret a service still uses)
            assert.deepStrictEqual([dbr.get("rot-b-secret-db_password"), dbr.get("rot-b-config-nginx_conf"), dbr.get("rot-b-api")], [false, false, undefined]);
            // the service that mounts nothing does not depend on it, so it does not roll
            assert.ok(!deps.get("rot-b-web")!.includes(urn("rot-b")));
            assert.deepStrictEqual((await valueOf(after.services.web.taskSpec)).containerSpec!.secrets, undefined);
        });
    });
});
