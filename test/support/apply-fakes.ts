// Fake host commands (systemctl, docker, dockerd, journalctl, systemd-run) for the apply script's
// unit tests, one file each under apply-fakes/<set>/: `host` is the full fake dockerd/systemd the
// apply-script tests drive, `trust` the small one of the TLS and swarm-autolock tests.
import * as fs from "fs";
import * as path from "path";

export type FakeSet = "host" | "trust";

const DIR = path.join(__dirname, "apply-fakes");

/** The text of one fake command. */
export function fakeText(set: FakeSet, name: string): string {
    return fs.readFileSync(path.join(DIR, set, name), "utf8");
}

/** Writes every fake of SET into BIN (put on PATH ahead of the real commands). */
export function installFakes(set: FakeSet, bin: string): void {
    for (const name of fs.readdirSync(path.join(DIR, set)).sort()) fs.writeFileSync(path.join(bin, name), fakeText(set, name), { mode: 0o755 });
}
