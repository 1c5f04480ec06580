import * as assert from "assert";
import { DaemonConfig } from "./daemon-config";
import { validateDaemonConfig } from "./daemon-validate";

type Case = [desc: string, cfg: DaemonConfig, field: string, message: RegExp, opts?: { engineVersion?: string; severity?: "warning" }];

// Each case breaks one thing; the issue must name the field and say what is wrong.
const BAD: Case[] = [
    ["fixed-cidr outside bip's network", { bip: "172.26.0.1/16", fixedCidr: "172.27.0.0/24" }, "daemon.fixedCidr", /"172.27.0.0\/24" is not inside bip's network 172.26.0.1\/16/],
    ["fixed-cidr not a CIDR", { fixedCidr: "172.26.0.0" }, "daemon.fixedCidr", /must be an IPv4 CIDR/],
    ["fixed-cidr-v6 is IPv4", { ipv6: true, fixedCidrV6: "10.0.0.0/24" }, "daemon.fixedCidrV6", /must be an IPv6 CIDR/],
    ["fixed-cidr-v6 without ipv6", { fixedCidrV6: "fd00:1::/64" }, "daemon.fixedCidrV6", /no effect without ipv6: true/, { severity: "warning" }],
    ["bridge and bip together", { bridge: "br0", bip: "172.26.0.1/16" }, "daemon.bridge", /"bridge" and "bip" cannot both be set/],
    ["default-gateway outside bip", { bip: "172.26.0.1/16", defaultGateway: "10.0.0.1" }, "daemon.defaultGateway", /10.0.0.1 is not inside bip's network 172.26.0.1\/16/],
    ["default-gateway outside fixed-cidr", { bip: "172.26.0.1/16", fixedCidr: "172.26.5.0/24", defaultGateway: "172.26.6.1" }, "daemon.defaultGateway", /not inside fixed-cidr's network 172.26.5.0\/24/],
    ["default-gateway-v6 is IPv4", { defaultGatewayV6: "10.0.0.1" }, "daemon.defaultGatewayV6", /must be an IPv6 address/],
    ["address pool base not a CIDR", { defaultAddressPools: [{ base: "10.10.0.0", size: 24 }] }, "daemon.defaultAddressPools[0].base", /must be a CIDR/],
    ["address pool size below the base prefix", { defaultAddressPools: [{ base: "10.10.0.0/16", size: 8 }] }, "daemon.defaultAddressPools[0].size", /between the base's \/16 and 32/],
    ["address pool size above 32", { defaultAddressPools: [{ base: "10.10.0.0/16", size: 33 }] }, "daemon.defaultAddressPools[0].size", /between the base's \/16 and 32/],
    ["address pools overlapping", { defaultAddressPools: [{ base: "10.10.0.0/16", size: 24 }, { base: "10.10.128.0/17", size: 24 }] }, "daemon.defaultAddressPools[1].base", /overlaps defaultAddressPools\[0\] \(10.10.0.0\/16\)/],
    ["address pool overlapping bip", { bip: "10.10.0.1/24", defaultAddressPools: [{ base: "10.10.0.0/16", size: 24 }] }, "daemon.defaultAddressPools[0].base", /overlaps bip's network 10.10.0.1\/24/],
    ["DNS server by name", { dns: ["1.1.1.1", "dns.example"] }, "daemon.dns[1]", /"dns.example" must be an IP address/],
    ["DNS server listed twice", { dns: ["1.1.1.1", "1.1.1.1"] }, "daemon.dns[1]", /listed twice in "dns" \(first at \[0\]\)/],
    ["dns-search not a domain", { dnsSearch: ["corp example"] }, "daemon.dnsSearch[0]", /is not a domain name/],
    ["fluentd option under json-file", { logDriver: "json-file", logOpts: { "fluentd-address": "10.0.0.5:24224" } }, "daemon.logOpts.fluentd-address", /not an option of log driver json-file \(it belongs to fluentd\)/],
    ["json-file option under the default driver", { logOpts: { "syslog-address": "udp://1.2.3.4:514" } }, "daemon.logOpts.syslog-address", /not an option of log driver json-file \(the default\)/],
    ["max-size under journald", { logDriver: "journald", logOpts: { "max-size": "10m" } }, "daemon.logOpts.max-size", /not an option of log driver journald/],
    ["max-file without max-size", { logDriver: "json-file", logOpts: { "max-file": "3" } }, "daemon.logOpts.max-file", /no effect without max-size/, { severity: "warning" }],
    ["awslogs without a group", { logDriver: "awslogs", logOpts: { "awslogs-region": "eu-west-1" } }, "daemon.logOpts", /needs the option "awslogs-group"/],
    ["unknown log mode", { logOpts: { mode: "async" } }, "daemon.logOpts.mode", /must be "blocking" or "non-blocking"/],
    ["max-buffer-size in blocking mode", { logOpts: { "max-buffer-size": "4m" } }, "daemon.logOpts.max-buffer-size", /needs mode "non-blocking"/],
    ["logentries on Engine 25", { logDriver: "logentries", logOpts: { "logentries-token": "x" } }, "daemon.logDriver", /logentries driver was removed in Docker Engine 25.0; host engine is 25.0/, { engineVersion: "25.0" }],
    ["etwlogs on Linux", { logDriver: "etwlogs" }, "daemon.logDriver", /Windows-only/],
    ["default-runtime not defined", { defaultRuntime: "nvidia" }, "daemon.defaultRuntime", /"nvidia" is neither runc nor io.containerd.runc.v2 nor a key of runtimes \(none defined\)/],
    ["runtime named runc", { runtimes: { runc: { path: "/usr/bin/runc" } } }, "daemon.runtimes.runc", /runtime name "runc" is reserved/],
    ["runtime without path", { runtimes: { gvisor: {} } }, "daemon.runtimes.gvisor", /needs "path"/],
    ["runtimeType on Engine 20.10", { runtimes: { gvisor: { runtimeType: "io.containerd.runsc.v1" } } }, "daemon.runtimes.gvisor.runtimeType", /needs Docker Engine 23.0 or later; host engine is 20.10/, { engineVersion: "20.10" }],
    ["overlay2 option under btrfs", { storageDriver: "btrfs", storageOpts: ["overlay2.size=10G"] }, "daemon.storageOpts[0]", /not an option of storage driver btrfs; valid: btrfs.min_space/],
    ["zfs option under the default overlay2", { storageOpts: ["zfs.fsname=tank/docker"] }, "daemon.storageOpts[0]", /not an option of storage driver overlay2 \(default\); valid: overlay2.size/],
    ["override_kernel_check on Engine 24", { storageOpts: ["overlay2.override_kernel_check=true"] }, "daemon.storageOpts[0]", /overlay2.override_kernel_check was removed in Docker Engine 24.0/, { engineVersion: "24.0" }],
    ["override_kernel_check before 24", { storageOpts: ["overlay2.override_kernel_check=true"] }, "daemon.storageOpts[0]", /ignored since Engine 20.10 and refused from Engine 24.0/, { engineVersion: "20.10", severity: "warning" }],
    ["storage opt without a value", { storageOpts: ["overlay2.size"] }, "daemon.storageOpts[0]", /must be option=value/],
    ["overlay2.size not a size", { storageOpts: ["overlay2.size=big"] }, "daemon.storageOpts[0]", /"big" is not a size/],
    ["fuse-overlayfs takes no options", { storageDriver: "fuse-overlayfs", storageOpts: ["fuse-overlayfs.x=1"] }, "daemon.storageOpts[0]", /valid: none/],
    ["unknown cgroup driver", { execOpts: ["native.cgroupdriver=cgroupv2"] }, "daemon.execOpts[0]", /cgroup driver must be systemd or cgroupfs/],
    ["isolation exec option", { execOpts: ["isolation=hyperv"] }, "daemon.execOpts[0]", /isolation is a Windows-only exec option/],
    ["unknown exec option", { execOpts: ["native.umask=normal"] }, "daemon.execOpts[0]", /only one is native.cgroupdriver/],
    ["cgroup-parent path with the systemd driver", { execOpts: ["native.cgroupdriver=systemd"], cgroupParent: "/docker" }, "daemon.cgroupParent", /slice name such as "docker.slice"/],
    ["log level verbose", { logLevel: "verbose" }, "daemon.logLevel", /"verbose" is not a log level; valid: debug, info, warn, error, fatal/],
    ["log format xml", { logFormat: "xml" }, "daemon.logFormat", /must be "text" or "json"/],
    ["MTU too big", { mtu: 70000 }, "daemon.mtu", /70000 is not an MTU; use 68–65535/],
    ["MTU too small", { mtu: 40 }, "daemon.mtu", /40 is not an MTU/],
    ["negative shutdown timeout", { shutdownTimeout: -1 }, "daemon.shutdownTimeout", /must be 0 or more seconds/],
    ["zero concurrent downloads", { maxConcurrentDownloads: 0 }, "daemon.maxConcurrentDownloads", /must be at least 1/],
    ["zero concurrent uploads", { maxConcurrentUploads: 0 }, "daemon.maxConcurrentUploads", /must be at least 1/],
    ["ulimit soft above hard", { defaultUlimits: { nofile: { Name: "nofile", Hard: 1024, Soft: 65536 } } }, "daemon.defaultUlimits.nofile.Soft", /soft limit 65536 is above the hard limit 1024/],
    ["ulimit name differs from its key", { defaultUlimits: { nofile: { Name: "nproc", Hard: 2, Soft: 1 } } }, "daemon.defaultUlimits.nofile.Name", /"nproc" must equal its key "nofile"/],
    ["unknown ulimit", { defaultUlimits: { files: { Name: "files", Hard: 2, Soft: 1 } } }, "daemon.defaultUlimits.files", /"files" is not a ulimit/],
    ["ulimit without Hard", { defaultUlimits: { nofile: { Name: "nofile", Soft: 1 } as never } }, "daemon.defaultUlimits.nofile", /must be \{Name: "nofile", Hard: <integer>, Soft: <integer>\}/],
    ["userns-remap with a uid range", { usernsRemap: "dockremap:100000:65536" }, "daemon.usernsRemap", /must be "default" or user\[:group\]/],
    ["default-shm-size without a number", { defaultShmSize: "large" }, "daemon.defaultShmSize", /"large" is not a size such as "64M"/],
    ["ip not an address", { ip: "0.0.0.0/0" }, "daemon.ip", /"0.0.0.0\/0" must be an IP address/],
    ["host-gateway-ip not an address", { hostGatewayIp: "gateway" }, "daemon.hostGatewayIp", /must be an IP address/],
    ["iptables off with ip-masq on", { iptables: false, ipMasq: true }, "daemon.ipMasq", /ip-masq needs iptables/, { severity: "warning" }],
    ["ip6tables before 27 without experimental", { ip6tables: true }, "daemon.ip6tables", /needs experimental: true before Docker Engine 27.0/, { engineVersion: "26.1" }],
    ["relative exec-root", { execRoot: "run/docker" }, "daemon.execRoot", /must be an absolute path/],
    ["relative userland-proxy-path", { userlandProxyPath: "docker-proxy" }, "daemon.userlandProxyPath", /must be an absolute path/],
    ["seccomp profile by name", { seccompProfile: "strict" }, "daemon.seccompProfile", /absolute path, "builtin" or "unconfined"/],
    ["generic resource without a value", { nodeGenericResources: ["gpu"] }, "daemon.nodeGenericResources[0]", /must be NAME=VALUE/],
    ["cpu-rt-runtime above the period", { cpuRtPeriod: 1000, cpuRtRuntime: 2000 }, "daemon.cpuRtRuntime", /exceeds cpu-rt-period 1000/],
    ["oom-score-adjust out of range", { oomScoreAdjust: -2000 }, "daemon.oomScoreAdjust", /between -1000 and 1000/],
    ["ipc mode host", { defaultIpcMode: "host" }, "daemon.defaultIpcMode", /must be "private" or "shareable"/],
    ["cgroupns mode shared", { defaultCgroupnsMode: "shared" }, "daemon.defaultCgroupnsMode", /must be "private" or "host"/],
    ["duplicate exec opts", { execOpts: ["native.cgroupdriver=systemd", "native.cgroupdriver=systemd"] }, "daemon.execOpts[1]", /listed twice in "exec-opts"/],
    ["log-format on Engine 24", { logFormat: "json" }, "daemon.logFormat", /"log-format" needs Docker Engine 25.0 or later; host engine is 24.0/, { engineVersion: "24.0" }],
    ["cdi-spec-dirs on Engine 20.10", { cdiSpecDirs: ["/etc/cdi"] }, "daemon.cdiSpecDirs", /"cdi-spec-dirs" needs Docker Engine 25.0 or later; host engine is 20.10/, { engineVersion: "20.10" }],
];

describe("daemon config meaning checks", () => {
    it(`has at least 30 bad-input cases (${BAD.length})`, () => assert.ok(BAD.length >= 30));

    for (const [desc, cfg, field, message, opts] of BAD) {
        it(`flags: ${desc}`, () => {
            const issues = validateDaemonConfig(cfg, { engineVersion: opts?.engineVersion });
            const hit = issues.find((i) => i.field === field && message.test(i.message));
            assert.ok(hit, `no issue on ${field} matching ${message} in:\n${issues.map((i) => `  ${i.severity} ${i.field}: ${i.message}`).join("\n")}`);
            assert.strictEqual(hit!.severity, opts?.severity ?? "error");
        });
    }

    it("accepts a full, consistent config without any issue", () => {
        const cfg: DaemonConfig = {
            bip: "172.26.0.1/16", fixedCidr: "172.26.5.0/24", defaultGateway: "172.26.5.1", ipv6: true, fixedCidrV6: "fd00:1::/64", defaultGatewayV6: "fd00:1::1",
            defaultAddressPools: [{ base: "10.10.0.0/16", size: 24 }, { base: "10.11.0.0/16", size: 24 }],
            dns: ["10.0.0.2", "1.1.1.1"], dnsSearch: ["corp.example"], dnsOpts: ["ndots:2"], mtu: 1450, ip: "127.0.0.1",
            logDriver: "json-file", logOpts: { "max-size": "10m", "max-file": "3", tag: "{{.Name}}", mode: "non-blocking", "max-buffer-size": "4m" },
            storageDriver: "overlay2", storageOpts: ["overlay2.size=20G"], execOpts: ["native.cgroupdriver=systemd"], cgroupParent: "docker.slice",
            runtimes: { gvisor: { path: "/usr/local/bin/runsc" } }, defaultRuntime: "gvisor", logLevel: "warn", shutdownTimeout: 30,
            maxConcurrentDownloads: 6, maxConcurrentUploads: 2, maxDownloadAttempts: 3, defaultUlimits: { nofile: { Name: "nofile", Hard: 65536, Soft: 1024 } },
            usernsRemap: "default", defaultShmSize: "128M", ip6tables: true, features: { "containerd-snapshotter": true },
        };
        assert.deepStrictEqual(validateDaemonConfig(cfg, { engineVersion: "27.3" }), []);
    });
});
