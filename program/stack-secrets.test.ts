import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DockfleetConfigError } from "../components/common/issues";
import { loadStackConfig } from "./load";
import { buildProgram } from "./program";
import { testHostKey } from "../test/support/host-key-fixtures";
import { registered } from "../test/support/mocks";
import { settle } from "../test/support/stack-files";

// dockfleet:stackSecrets (a --secret map: stack → name → value), the key of their names
// dockfleet:stackSecretsKey, and dockfleet:stacks.<s>.configs.

const KEY = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
// `printf %s hunter2 | openssl dgst -sha256 -mac HMAC -macopt hexkey:$KEY | cut -c1-10` (the hex after "= ")
const H_HUNTER2 = "8629d712da";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "stack-secrets-"));
fs.writeFileSync(path.join(root, "nginx.conf"), "worker_processes 2;");

function raw(extra: Record<string, unknown> = {}, stack: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        "dockfleet:hosts": [{ name: "mgr1", address: "10.1.0.21", role: "manager", hostKey: testHostKey("mgr1") }],
        "dockfleet:sshPrivateKey": "key",
        "dockfleet:stacks": {
            app: {
                services: { api: { image: "api:1", secrets: ["db_password"], configs: [{ source: "nginx_conf", target: "/etc/nginx/nginx.conf" }] } },
                configs: { nginx_conf: { file: "nginx.conf" } },
                ...stack,
            },
        },
        "dockfleet:stackSecrets": { app: { db_password: "hunter2" } },
        "dockfleet:stackSecretsKey": KEY,
        ...extra,
    };
}
const SECRET = new Set(["dockfleet:sshPrivateKey", "dockfleet:stackSecrets", "dockfleet:stackSecretsKey"]);
const load = (r: Record<string, unknown>, secret = SECRET) => loadStackConfig("test", r, secret, root);
function errors(r: Record<string, unknown>, secret = SECRET): string[] {
    try {
        load(r, secret);
    } catch (e) {
        assert.ok(e instanceof DockfleetConfigError, String(e));
        return e.problems.map((p) => `${p.issue.field}: ${p.issue.message}`);
    }
    return assert.fail("expected a DockfleetConfigError");
}

describe("stack secrets and configs in the stack config", () => {
    it("puts the secret values into the stack's spec and makes config files absolute; no warning about plain values", () => {
        const cfg = load(raw());
        assert.deepStrictEqual(cfg.stacks.app.secrets, { db_password: { value: "hunter2" } });
        assert.deepStrictEqual(cfg.stacks.app.configs, { nginx_conf: { file: path.join(root, "nginx.conf") } });
        assert.deepStrictEqual(cfg.warnings.map((w) => w.text), []);
    });

    it("refuses stackSecrets stored in plain text, without echoing the value", () => {
        const e = errors(raw(), new Set(["dockfleet:sshPrivateKey", "dockfleet:stackSecretsKey"]));
        assert.deepStrictEqual(e, ["dockfleet:stackSecrets: holds secrets but is stored in plain text; run: pulumi config rm dockfleet:stackSecrets --stack test, then for each: pulumi config set --secret --path 'dockfleet:stackSecrets.<stack>.<name>' --stack test (the value on stdin)",
            'dockfleet:stacks.app.services.api.secrets[0]: "db_password" is not a secret of this stack (declared: none)']);
        assert.ok(!e.join("\n").includes("hunter2"));
    });

    it("names a secret for an unknown stack, an empty value, a missing config file and an undefined secret", () => {
        assert.deepStrictEqual(errors(raw({ "dockfleet:stackSecrets": { ap: { db_password: "x" }, app: { db_password: "" } } })), [
            "dockfleet:stackSecrets.ap: is not a stack of dockfleet:stacks (known: app)",
            "dockfleet:stackSecrets.app.db_password: must be a non-empty string",
            'dockfleet:stacks.app.services.api.secrets[0]: "db_password" is not a secret of this stack (declared: none)',
        ]);
        assert.deepStrictEqual(errors(raw({}, { configs: { nginx_conf: { file: "missing.conf" } } })), ["dockfleet:stacks.app.configs.nginx_conf.file: missing.conf does not exist"]);
    });

    it("reads configs and secret names from a compose file, the config file relative to it", () => {
        fs.mkdirSync(path.join(root, "compose"), { recursive: true });
        fs.writeFileSync(path.join(root, "compose", "app.yml"), "services:\n  api:\n    image: api:1\n    secrets: [db_password]\n    configs: [nginx_conf]\nsecrets:\n  db_password: { external: true }\nconfigs:\n  nginx_conf: { file: ../nginx.conf }\n");
        const cfg = load({ ...raw(), "dockfleet:stacks": { app: { composeFile: "compose/app.yml" } } });
        assert.deepStrictEqual(cfg.stacks.app.secrets, { db_password: { value: "hunter2" } });
        assert.deepStrictEqual(cfg.stacks.app.configs, { nginx_conf: { file: path.join(root, "nginx.conf") } });
    });

    const without = (key: string) => {
        const r = raw();
        delete r[key];
        return r;
    };
    const message = (r: Record<string, unknown>, secret = SECRET) => {
        try {
            load(r, secret);
        } catch (e) {
            assert.ok(e instanceof DockfleetConfigError, String(e));
            return e.message;
        }
        return assert.fail("expected a DockfleetConfigError");
    };

    it("refuses stack secrets without dockfleet:stackSecretsKey, naming the stack, the resource, the field and the command that makes one", () => {
        assert.strictEqual(message(without("dockfleet:stackSecretsKey")), [
            "invalid dockfleet configuration (1 error):",
            '  - stack "test", SwarmStack "app", field dockfleet:stackSecretsKey: is required: stack "app" has secrets (db_password), each named by an HMAC of its value under this key; run: pulumi config set --secret dockfleet:stackSecretsKey "$(openssl rand -hex 32)" --stack test',
        ].join("\n"));
    });

    it("refuses a key shorter than 32 bytes or neither hex nor base64, without repeating it", () => {
        const short = message({ ...raw(), "dockfleet:stackSecretsKey": "ab".repeat(16) });
        assert.strictEqual(short, [
            "invalid dockfleet configuration (1 error):",
            '  - stack "test", SwarmStack "app", field dockfleet:stackSecretsKey: is 16 bytes; at least 32 random bytes are needed (hex or base64); run: pulumi config set --secret dockfleet:stackSecretsKey "$(openssl rand -hex 32)" --stack test (a new key renames every secret once)',
        ].join("\n"));
        assert.ok(!short.includes("ab".repeat(16)));
        assert.deepStrictEqual(errors({ ...raw(), "dockfleet:stackSecretsKey": "not a key, a sentence" }), [
            'dockfleet:stackSecretsKey: must be at least 32 random bytes as hex or base64 (it is neither); run: pulumi config set --secret dockfleet:stackSecretsKey "$(openssl rand -hex 32)" --stack test (a new key renames every secret once)',
        ]);
    });

    it("refuses a key stored in plain text (once), and needs none without stack secrets", () => {
        assert.deepStrictEqual(errors(raw(), new Set(["dockfleet:sshPrivateKey", "dockfleet:stackSecrets"])), [
            "dockfleet:stackSecretsKey: holds a secret but is stored in plain text; run: pulumi config set --secret dockfleet:stackSecretsKey <value> --stack test",
        ]);
        const noSecrets: Record<string, unknown> = { ...without("dockfleet:stackSecretsKey"), "dockfleet:stacks": { app: { services: { api: { image: "api:1" } } } } };
        delete noSecrets["dockfleet:stackSecrets"];
        assert.deepStrictEqual(Object.keys(load(noSecrets).stacks), ["app"]);
    });

    it("the program names the secret by the HMAC under the key, a plain (not secret) name; the key is in no registration (mocks)", async () => {
        const cfg = load(raw());
        const before = registered.length;
        buildProgram(cfg);
        await settle();
        const mine = registered.slice(before);
        const secret = mine.find((r) => r.type === "docker:index/secret:Secret")!;
        assert.strictEqual(secret.inputs.name, `app_db_password_${H_HUNTER2}`);
        const text = JSON.stringify(mine.map((r) => r.inputs));
        assert.ok(text.includes(`app_db_password_${H_HUNTER2}`) && text.includes("hunter2") === false, "the search looks at the right text");
        assert.ok(!text.includes(KEY));
    });
});
