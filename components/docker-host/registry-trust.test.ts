import * as assert from "assert";
import { certsDirPath, registryTrustFiles } from "./registry-trust";
import { renderBundle } from "./bundle";

describe("registry trust files (certs.d)", () => {
    it("one public 0644 ca.crt per registry at certs.d/<host:port>/ca.crt, in the bundle as is", () => {
        const files = registryTrustFiles([{ address: "10.232.0.11:5000", caCert: "-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----" }]);
        assert.deepStrictEqual(files, [{ path: "/etc/docker/certs.d/10.232.0.11:5000/ca.crt", mode: "0644", content: "-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n" }]);
        assert.strictEqual(renderBundle(files), "=== /etc/docker/certs.d/10.232.0.11:5000/ca.crt 0644\n-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n");
        assert.strictEqual(certsDirPath("registry.example:443"), "/etc/docker/certs.d/registry.example:443/ca.crt");
    });
});
