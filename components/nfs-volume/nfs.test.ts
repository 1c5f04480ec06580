import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { nfsDriverOpts, nfsVolumeName, validateNfs } from "./nfs";

import { registered as created } from "../../test/support/mocks";

describe("NFS volumes on the local driver", () => {
    it("renders type/o/device (golden)", () => {
        assert.deepStrictEqual(nfsDriverOpts({ server: "10.20.0.40", path: "/export/yum", nfsVersion: "4.1", options: ["ro", "hard", "timeo=600"] }),
            { type: "nfs", o: "addr=10.20.0.40,nfsvers=4.1,ro,hard,timeo=600", device: ":/export/yum" });
        assert.deepStrictEqual(nfsDriverOpts({ server: "10.0.0.1", path: "/x" }), { type: "nfs", o: "addr=10.0.0.1,nfsvers=4,rw", device: ":/x" });
    });

    it("refuses a host name for addr= (the kernel does not resolve it)", () => {
        assert.match(validateNfs({ server: "nfs.corp", path: "/x" })[0].message, /must be an IP address/);
        assert.match(validateNfs({ server: "10.0.0.1", path: "x" })[0].message, /absolute export path/);
        assert.match(validateNfs({ server: "10.0.0.1", path: "/x", options: ["addr=10.0.0.2"] })[0].message, /set from server/);
        assert.match(validateNfs({ server: "10.0.0.1", path: "/x", nfsVersion: "5" as never })[0].message, /one of 3, 4/);
    });

    it("changes the volume name when options change, so no node keeps a stale volume", () => {
        const a = nfsVolumeName("data", { server: "10.0.0.1", path: "/x" });
        assert.match(a, /^data-[0-9a-f]{8}$/);
        assert.strictEqual(a, nfsVolumeName("data", { server: "10.0.0.1", path: "/x" }));
        assert.notStrictEqual(a, nfsVolumeName("data", { server: "10.0.0.1", path: "/x", options: ["ro"] }));
    });

    it("NfsVolume registers a local-driver docker.Volume with the options", async () => {
        const { NfsVolume } = await import("./nfs-volume");
        const v = new NfsVolume("data", { server: "10.0.0.1", path: "/export/data" });
        await new Promise<void>((res) => v.volumeName.apply(() => res()));
        const vol = created.find((c) => c.type === "docker:index/volume:Volume")!;
        assert.strictEqual(vol.inputs.driver, "local");
        assert.deepStrictEqual(vol.inputs.driverOpts, { type: "nfs", o: "addr=10.0.0.1,nfsvers=4,rw", device: ":/export/data" });
        assert.match(vol.inputs.name, /^data-[0-9a-f]{8}$/);
    });
});
