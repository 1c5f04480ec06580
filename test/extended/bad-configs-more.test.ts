// Named group `extended` (npm run test:extended; not in `npm test`: each restart
// variant costs 10-15 s of a real dockerd failing and rolling back, more than CI's time allows).
// More broken daemon.json settings a real 20.10 dockerd rejects, each found by running that
// dockerd on the setting; with test/contract/bad-configs.test.ts, over 50 in all. The expected
// words are dockerd's own (or the apply's refusal before writing, or the smoke container's).
import { badConfigVariants, dj, json, Variant } from "../contract/bad-configs-lib";

const HOST = "host3";

const VARIANTS: Variant[] = [
    ["log-level that does not exist", [dj(json({ "log-level": "verbose" }))], /unable to parse logging level: verbose/],
    ["debug as a string", [dj(json({ debug: "yes" }))], /cannot unmarshal string into Go struct field Config.debug of type bool/],
    ["experimental as a string", [dj(json({ experimental: "true" }))], /cannot unmarshal string into Go struct field Config.experimental of type bool/],
    ["features.buildkit as a string", [dj(json({ features: { buildkit: "yes" } }))], /cannot unmarshal string into Go struct field Config.features of type bool/],
    ["dns-opts as numbers", [dj(json({ "dns-opts": [1, 2] }))], /cannot unmarshal number into Go struct field Config.dns-opts of type string/],
    ["a label without '='", [dj(json({ labels: ["nokeyvalue"] }))], /bad attribute format: nokeyvalue/],
    ["one label with two values", [dj(json({ labels: ["a=1", "a=2"] }))], /conflict labels for a=2 and a=1/],
    ["default-runtime that is not declared", [dj(json({ "default-runtime": "nosuch" }))], /specified default runtime 'nosuch' does not exist/],
    ["a runtime named runc (reserved)", [dj(json({ runtimes: { runc: { path: "/usr/bin/runc" } } }))], /runtime name 'runc' is reserved/],
    ["cgroup driver that does not exist", [dj(json({ "exec-opts": ["native.cgroupdriver=foo"] }))], /native.cgroupdriver option foo not supported/],
    ["cgroup-parent not a slice with the systemd driver", [dj(json({ "exec-opts": ["native.cgroupdriver=systemd"], "cgroup-parent": "nodashslice" }))], /cgroup-parent for systemd cgroup should be a valid slice/],
    ["bip and bridge together", [dj(json({ bip: "10.99.0.1/24", bridge: "br0" }))], /You specified -b & --bip, mutually exclusive options/],
    ["icc false with iptables false", [dj(json({ icc: false, iptables: false }))], /You specified --iptables=false with --icc=false/],
    ["ip that is not an address", [dj(json({ ip: "not-an-ip" }))], /invalid IP address: not-an-ip/],
    ["default-gateway that is not an address", [dj(json({ "default-gateway": "nope" }))], /invalid IP address: nope/],
    ["fixed-cidr with a /33", [dj(json({ "fixed-cidr": "10.99.0.0/33" }))], /invalid CIDR address: 10.99.0.0\/33/],
    ["negative mtu", [dj(json({ mtu: -1 }))], /invalid MTU number: -1/],
    ["default-address-pools size smaller than the base", [dj(json({ "default-address-pools": [{ base: "10.99.0.0/16", size: 8 }] }))], /invalid pools size: 8/],
    ["ipv6 without fixed-cidr-v6", [dj(json({ ipv6: true }))], /IPv6 is enabled for the default bridge, but no subnet is configured/],
    ["fixed-cidr-v6 that does not parse", [dj(json({ ipv6: true, "fixed-cidr-v6": "zz::/64" }))], /invalid CIDR address: zz::\/64/],
    ["dns-search with a space", [dj(json({ "dns-search": ["bad domain!"] }))], /bad domain! is not a valid domain/],
    ["negative max-concurrent-uploads", [dj(json({ "max-concurrent-uploads": -1 }))], /invalid max concurrent uploads: -1/],
    ["max-download-attempts zero", [dj(json({ "max-download-attempts": 0 }))], /invalid max download attempts: 0/],
    ["mirror with an ftp scheme", [dj(json({ "registry-mirrors": ["ftp://10.232.0.11:5000"] }))], /invalid mirror: unsupported scheme "ftp"/],
    ["mirror with a path", [dj(json({ "registry-mirrors": ["https://10.232.0.11:5000/v2/x"] }))], /invalid mirror: path, query, or fragment at end of the URI/],
    ["insecure registry as a /33", [dj(json({ "insecure-registries": ["10.0.0.0/33"] }))], /insecure registry 10.0.0.0\/33 is not valid/],
    ["allow-nondistributable-artifacts as a /33", [dj(json({ "allow-nondistributable-artifacts": ["10.0.0.0/33"] }))], /allow-nondistributable-artifacts registry 10.0.0.0\/33 is not valid/],
    ["unknown overlay2 storage option", [dj(json({ "storage-driver": "overlay2", "storage-opts": ["overlay2.nosuch=1"] }))], /overlay2: unknown option overlay2.nosuch/],
    ["seccomp profile that does not exist", [dj(json({ "seccomp-profile": "/nonexistent/seccomp.json" }))], /seccomp.*\/nonexistent\/seccomp.json/],
    ["default-shm-size that is not a size", [dj(json({ "default-shm-size": "lots" }))], /invalid size: 'lots'/],
    ["default-cgroupns-mode that does not exist", [dj(json({ "default-cgroupns-mode": "shared" }))], /default cgroup namespace mode \(shared\) is invalid/],
    ["default-ipc-mode that does not exist", [dj(json({ "default-ipc-mode": "everything" }))], /default IPC mode setting \(everything\) is invalid/],
    // refused before writing by the apply's own check (dockerd: 'getent unable to find entry "nosuchuser"')
    ["userns-remap to a user that does not exist", [dj(json({ "userns-remap": "nosuchuser" }))], /userns-remap user 'nosuchuser' does not exist on this host \(dockerd would refuse to start\)/],
    ["node-generic-resources without '='", [dj(json({ "node-generic-resources": ["gpu"] }))], /could not parse GenericResource: incorrect term gpu/],
    ["syslog log driver with a bad address", [dj(json({ "log-driver": "syslog", "log-opts": { "syslog-address": "udp://not a host:514" } }))], /invalid character " " in host name/],
    ["a JSON array instead of an object", [dj("[]\n")], /is not a JSON object/],
];

describe(`extended: ${VARIANTS.length} more bad configs on a real swarm node (${HOST}) all roll back (named group, not in npm test)`, function () {
    this.timeout(1800000);
    badConfigVariants(HOST, VARIANTS);
});
