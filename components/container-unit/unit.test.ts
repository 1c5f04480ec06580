import * as assert from "assert";
import { renderContainerUnit, validateContainerUnit } from "./unit";

describe("container unit renderer", () => {
    it("renders the mcollective-style unit (golden)", () => {
        assert.strictEqual(renderContainerUnit({
            name: "mcollective",
            image: "registry.corp:5000/ops/mcollective:2.12.5",
            runArgs: ["--net=host", "-v", "/etc/mcollective:/etc/mcollective:ro"],
            env: { TZ: "Europe/Berlin" },
            pullOnStart: true,
        }), `# Managed by dockfleet.

[Unit]
Description=mcollective container (dockfleet)
Requires=docker.service
After=docker.service
StartLimitIntervalSec=300s
StartLimitBurst=5

[Service]
Restart=on-failure
RestartSec=10s
TimeoutStartSec=0
ExecStartPre=-/usr/bin/docker rm -f mcollective
ExecStartPre=-/usr/bin/docker pull registry.corp:5000/ops/mcollective:2.12.5
ExecStart=/usr/bin/docker run --rm --name mcollective --net=host -v /etc/mcollective:/etc/mcollective:ro -e TZ=Europe/Berlin registry.corp:5000/ops/mcollective:2.12.5
ExecStop=/usr/bin/docker stop -t 10 mcollective

[Install]
WantedBy=multi-user.target
`);
    });

    it("quotes words with spaces and escapes % for systemd", () => {
        const u = renderContainerUnit({ name: "hb", image: "busybox:1", command: ["sh", "-c", "while true; do date +%s; sleep 5; done"] });
        assert.match(u, /^ExecStart=\/usr\/bin\/docker run --rm --name hb busybox:1 sh -c "while true; do date \+%%s; sleep 5; done"$/m);
    });

    it("validates names, spans and env", () => {
        assert.match(validateContainerUnit({ name: "a b", image: "x" })[0].field, /^name$/);
        assert.match(validateContainerUnit({ name: "a", image: "x", restartSec: "ten" })[0].field, /^restartSec$/);
        assert.match(validateContainerUnit({ name: "a", image: "x", env: { "1X": "y" } })[0].field, /^env.1X$/);
    });
});
