import * as assert from "assert";
import {
    atLeast, daemonJsonUsesDevicemapper, devicemapperRemoved, engineMajorAtLeast, engineVersionIn, imageTag, imageVersion, isEngineVersion,
    isNfsType, nfsAddrOf, nfsServerProblem, parseEngineVersion, swiftImageProblem,
} from ".";

describe("shared rules (components/common/rules)", () => {
    it("reads Engine versions one way: strict for config, leading for loose values and docker output", () => {
        assert.deepStrictEqual(["20", "20.10", "24.0.7", "24.0.7.1", "20.10.24+dfsg1", " 25", "v25", ""].map(parseEngineVersion),
            [[20, 0, 0], [20, 10, 0], [24, 0, 7], undefined, undefined, undefined, undefined, undefined]);
        assert.deepStrictEqual(["25.0", "25.x", "abc"].map(isEngineVersion), [true, false, false]);
        assert.deepStrictEqual([atLeast([25, 0, 0], "25.0"), atLeast([24, 0, 9], "25.0"), atLeast([27, 1, 0], "27.0.1")], [true, false, true]);
        assert.deepStrictEqual(["25", " 26.1.3 ", "25.0.3+dfsg", "24.0.7", "abc", undefined].map((v) => engineMajorAtLeast(v, 25)), [true, true, true, false, undefined, undefined]);
        assert.deepStrictEqual(["24.0.7", "20.10.24+dfsg1", "27.0", "27", "Cannot connect to the Docker daemon"].map(engineVersionIn), ["24.0.7", "20.10.24", "27.0", undefined, undefined]);
    });
    it("devicemapper: used by driver or dm.* options, removed from Engine 25", () => {
        assert.deepStrictEqual([{ "storage-driver": "devicemapper" }, { "storage-opts": ["dm.thinpooldev=/dev/x"] }, { "storage-driver": "overlay2", "storage-opts": ["overlay2.size=2G"] }, {}].map(daemonJsonUsesDevicemapper), [true, true, false, false]);
        assert.deepStrictEqual(["20.10", "25.0", "26.1.3", undefined].map(devicemapperRemoved), [false, true, true, undefined]);
    });
    it("swift storage needs a pinned 2.8.x registry image", () => {
        assert.deepStrictEqual(["registry:2.8.3", "10.0.0.1:5000/library/registry:2.8.2@sha256:abc", "registry:3", "registry:3.0.0", "registry:2", "registry:2.8", "registry:latest", "registry", "localhost:5000/registry"].map(swiftImageProblem),
            [undefined, undefined, "registry3", "registry3", "unpinned", "unpinned", "unpinned", "unpinned", "unpinned"]);
        assert.deepStrictEqual(["registry:2.8.3", "host:5000/a/b:1.2", "host:5000/a/b", "r:2.8.3@sha256:x"].map(imageTag), ["2.8.3", "1.2", undefined, "2.8.3"]);
        assert.deepStrictEqual(imageVersion("registry:v2.8.3"), [2, 8, 3]);
    });
    it("NFS: type nfs/nfs4, addr= read from the options, the server must be an IP", () => {
        assert.deepStrictEqual(["nfs", "nfs4", "nfsx", "local", undefined].map(isNfsType), [true, true, false, false, false]);
        assert.deepStrictEqual(["addr=10.0.0.5,nfsvers=4", "rw,addr=nas.lan", "clientaddr=10.0.0.9,addr=10.0.0.5", "rw", undefined].map(nfsAddrOf), ["10.0.0.5", "nas.lan", "10.0.0.5", undefined, undefined]);
        assert.deepStrictEqual(["10.0.0.5", "fd00::5", "nas.lan", "", undefined].map(nfsServerProblem), [undefined, undefined, "name", "missing", "missing"]);
    });
});
