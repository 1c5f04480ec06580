import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DockfleetConfigError } from "../components/common/issues";
import { loadStackConfig } from "./load";
import { testHostKey } from "../test/support/host-key-fixtures";

// dockfleet:stackSecrets (a --secret map: stack → name → value) and dockfleet:stacks.<s>.configs.

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
        ...extra,
    };
}
const SECRET = new Set(["dockfleet:sshPrivateKey", "dockfleet:stackSecrets"]);
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
        const e = errors(raw(), new Set(["dockfleet:sshPrivateKey"]));
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
});
