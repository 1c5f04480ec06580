import * as assert from "assert";
import { describeCleanupPolicy, renderCleanupService, renderCleanupTimer, renderPruneCommands, validateHostCleanup, withCleanupDefaults } from "./policy";

describe("host cleanup: renderers (exact)", () => {
    it("the defaults: 7 days for everything, images no container uses, the keep label, no volumes", () => {
        assert.deepStrictEqual(withCleanupDefaults({}), { schedule: "daily", randomizedDelay: "1h", age: "168h", buildCacheAge: "168h", images: "unused", keepLabel: "dockfleet.keep", volumes: false });
        assert.deepStrictEqual(renderPruneCommands({}), [
            "/usr/bin/docker container prune --force --filter until=168h --filter label!=dockfleet.keep",
            "/usr/bin/docker network prune --force --filter until=168h --filter label!=com.docker.stack.namespace",
            "/usr/bin/docker image prune --all --force --filter until=168h --filter label!=dockfleet.keep",
            "/usr/bin/docker builder prune --all --force --filter until=168h",
        ]);
    });

    it("dangling images only, a build cache age of its own, another keep label, anonymous volumes", () => {
        assert.deepStrictEqual(renderPruneCommands({ images: "dangling", age: "72h", buildCacheAge: "24h", keepLabel: "team=ops", volumes: true }), [
            "/usr/bin/docker container prune --force --filter until=72h --filter label!=team=ops",
            "/usr/bin/docker network prune --force --filter until=72h --filter label!=com.docker.stack.namespace",
            "/usr/bin/docker image prune --force --filter until=72h --filter label!=team=ops",
            "/usr/bin/docker builder prune --all --force --filter until=24h",
            "/bin/sh -c \"/usr/bin/docker volume ls -q --filter dangling=true | grep -xE '[0-9a-f]{64}' | xargs -r /usr/bin/docker volume rm\"",
        ]);
    });

    it("the service: a oneshot that needs a running dockerd and never starts one", () => {
        assert.strictEqual(renderCleanupService({ age: "48h" }), `# Managed by dockfleet (HostCleanup). Prunes only what no container uses; never dockerd's config.

[Unit]
Description=dockfleet: prune unused Docker data
Requisite=docker.service
After=docker.service

[Service]
Type=oneshot
ExecStart=/usr/bin/docker container prune --force --filter until=48h --filter label!=dockfleet.keep
ExecStart=/usr/bin/docker network prune --force --filter until=48h --filter label!=com.docker.stack.namespace
ExecStart=/usr/bin/docker image prune --all --force --filter until=48h --filter label!=dockfleet.keep
ExecStart=/usr/bin/docker builder prune --all --force --filter until=48h
`);
    });

    it("the timer: schedule, randomized delay, persistent", () => {
        assert.strictEqual(renderCleanupTimer({}), `# Managed by dockfleet (HostCleanup).

[Unit]
Description=dockfleet: prune unused Docker data on a schedule

[Timer]
OnCalendar=daily
RandomizedDelaySec=1h
Persistent=true

[Install]
WantedBy=timers.target
`);
        assert.match(renderCleanupTimer({ schedule: "Sun *-*-* 03:00:00", randomizedDelay: "30min" }), /^OnCalendar=Sun \*-\*-\* 03:00:00\nRandomizedDelaySec=30min\nPersistent=true$/m);
    });

    it("the policy in one line", () => {
        assert.strictEqual(describeCleanupPolicy({}, ["host1", "host2"]),
            "dockfleet-cleanup.timer on host1, host2: daily (up to 1h later at random; a missed run at boot), prunes stopped containers, unused networks and images no container uses older than 168h, build cache unused for 168h; keeps what is labelled dockfleet.keep, stack networks, every volume");
        assert.strictEqual(describeCleanupPolicy({ images: "dangling", buildCacheAge: "24h", volumes: true }, ["h"]),
            "dockfleet-cleanup.timer on h: daily (up to 1h later at random; a missed run at boot), prunes stopped containers, unused networks and dangling images older than 168h, build cache unused for 24h; keeps what is labelled dockfleet.keep, stack networks, named volumes (anonymous volumes no container uses are removed)");
    });
});

describe("host cleanup: validators (exact messages)", () => {
    const msgs = (p: Parameters<typeof validateHostCleanup>[0]) => validateHostCleanup(p).map((i) => `${i.field}: ${i.message}`);

    it("the defaults and good values pass", () => {
        assert.deepStrictEqual(msgs({}), []);
        assert.deepStrictEqual(msgs({ age: "36h30m", buildCacheAge: "1s", schedule: "Sun *-*-* 03:00:00", randomizedDelay: "1h30min", images: "dangling", keepLabel: "com.example.pin=true", volumes: true }), []);
        assert.deepStrictEqual(msgs({ randomizedDelay: "0" }), []);
    });

    it("ages docker does not take, or 0", () => {
        assert.deepStrictEqual(msgs({ age: "7d", buildCacheAge: "0" }), [
            'age: "7d" is not an age docker\'s until filter takes: a Go duration such as "168h" (7 days) or "36h30m": units ns, us, ms, s, m, h (docker has no "d")',
            'buildCacheAge: "0": the age must be more than 0 (an age of 0 prunes an image pulled a moment ago, before its container starts)',
        ]);
        assert.deepStrictEqual(msgs({ age: "1 h" }).length, 1);
    });

    it("schedule, delay, images and keep label", () => {
        assert.deepStrictEqual(msgs({ schedule: " ", randomizedDelay: "an hour", images: "all" as never, keepLabel: "keep me" }), [
            'schedule: " " must be a systemd OnCalendar expression on one line, such as "daily" or "Sun *-*-* 03:00:00" (systemd-analyze calendar checks one)',
            'randomizedDelay: "an hour" must be a systemd time span such as "1h", "30min" or "0" (no delay)',
            'images: "all" must be "unused" (every image no container uses) or "dangling" (untagged ones only)',
            'keepLabel: "keep me" must be one label as key or key=value (letters, digits and . _ / - in the key; no spaces)',
        ]);
        assert.deepStrictEqual(msgs({ schedule: "daily\nOnCalendar=hourly" }).map((m) => m.split(":")[0]), ["schedule"]);
        assert.deepStrictEqual(msgs({ keepLabel: "a=$(x)" }).map((m) => m.split(":")[0]), ["keepLabel"]);
    });
});
