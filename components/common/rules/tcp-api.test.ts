import * as assert from "assert";
import { tcpListenerHost, tcpListenerProblem } from "./tcp-api";
import { validateDaemonConfig } from "../../docker-host/daemon-validate";
import { checkPlainTcp } from "../../../policy/rules";

const TLS = { caCert: "/etc/docker/tls/ca.pem", cert: "/etc/docker/tls/cert.pem", key: "/etc/docker/tls/key.pem" };
const errors = (cfg: Parameters<typeof validateDaemonConfig>[0]) => validateDaemonConfig(cfg).filter((i) => i.severity === "error").map((i) => `${i.field}: ${i.message}`);

describe("TCP Docker API needs tlsverify off loopback (tcp-api.ts, CIS 2.7)", () => {
    it("parses the listener host", () => {
        assert.deepStrictEqual(["tcp://0.0.0.0:2376", "tcp://:2375", "tcp://[::1]:2375", "unix:///run/docker.sock", "fd://"].map(tcpListenerHost), ["0.0.0.0", "", "::1", undefined, undefined]);
    });

    it("loopback, unix and fd need nothing; off loopback plain TCP and TLS without verification are refused", () => {
        const none = { tls: false, verify: false };
        assert.strictEqual(tcpListenerProblem("tcp://127.0.0.1:2375", none), undefined);
        assert.strictEqual(tcpListenerProblem("tcp://[::1]:2375", none), undefined);
        assert.strictEqual(tcpListenerProblem("unix:///var/run/docker.sock", none), undefined);
        assert.strictEqual(tcpListenerProblem("tcp://10.0.0.5:2376", { tls: true, verify: true }), undefined);
        assert.match(tcpListenerProblem("tcp://0.0.0.0:2375", none)!, /^"tcp:\/\/0.0.0.0:2375" exposes the Docker API without TLS off loopback/);
        assert.match(tcpListenerProblem("tcp://:2375", none)!, /without TLS/);
        assert.match(tcpListenerProblem("tcp://0.0.0.0:2376", { tls: true, verify: false })!, /^"tcp:\/\/0.0.0.0:2376" serves the Docker API with TLS but without client verification \(tlsverify\)/);
    });

    it("the validator: TLS without verify on 0.0.0.0:2376 is an error naming the field; with verify it passes", () => {
        assert.deepStrictEqual(errors({ hosts: ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"], tls: TLS }), []);
        const e = errors({ hosts: ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"], tls: { ...TLS, verify: false } });
        assert.strictEqual(e.length, 1);
        assert.match(e[0], /^daemon\.hosts\[1\]: "tcp:\/\/0\.0\.0\.0:2376" serves the Docker API with TLS but without client verification/);
        assert.deepStrictEqual(errors({ hosts: ["tcp://127.0.0.1:2375"] }), []);
    });

    it("allowPlainTcp no longer allows plain TCP: both the listener and the field are errors", () => {
        const e = errors({ hosts: ["tcp://10.0.0.5:2375"], allowPlainTcp: true });
        assert.deepStrictEqual(e.map((x) => x.split(":")[0]), ["daemon.hosts[0]", "daemon.allowPlainTcp"]);
        assert.match(e[1], /withdrawn: a Docker API on TCP off loopback requires TLS with client verification/);
    });

    it("the policy pack reports exactly the validator's rule over the rendered daemon.json", () => {
        assert.deepStrictEqual(checkPlainTcp({ hosts: ["tcp://0.0.0.0:2376"], tls: true, tlsverify: false }),
            [`hosts: ${tcpListenerProblem("tcp://0.0.0.0:2376", { tls: true, verify: false })}`]);
        assert.deepStrictEqual(checkPlainTcp({ hosts: ["tcp://0.0.0.0:2376"], tlsverify: true }), []);
    });
});
