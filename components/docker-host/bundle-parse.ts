// The inverse of renderApplyCommand (bundle.ts): which host a DockerHost apply command is for,
// the files of its bundle (here-document on fd 3), daemon.json as an object, the drift-repair
// marker. The policy pack and the preview summary read the engine's view of a host through it.
import { BUNDLE_EOF, FACTS_HEADER } from "./bundle";
import { DAEMON_JSON_PATH } from "./dropins";

export interface ApplyCommand {
    host: string;
    files: Record<string, string | undefined>;
    daemon?: Record<string, unknown>;
    /** The drift-repair marker ("N path,path"), "" when none. */
    repair: string;
}

/** Parses a DockerHost apply command line; undefined for any other command. */
export function parseApplyCommand(cmd: unknown): ApplyCommand | undefined {
    if (typeof cmd !== "string" || !/\bapply-docker-config\b/.test(cmd)) return undefined;
    const host = /'?--host'? '((?:[^']|'\\'')*)'/.exec(cmd)?.[1]?.replace(/'\\''/g, "'") ?? "?";
    const files: Record<string, string | undefined> = {};
    const start = cmd.indexOf(`<<'${BUNDLE_EOF}'\n`);
    if (start >= 0) {
        const body = cmd.slice(start + `<<'${BUNDLE_EOF}'\n`.length);
        let current: string | undefined;
        for (const line of body.split("\n")) {
            if (line === BUNDLE_EOF) break;
            const h = /^=== (\S+) (\S+)$/.exec(line);
            if (line.startsWith(`${FACTS_HEADER} `)) {
                current = undefined; // a daemon.json's facts, not a file
                continue;
            }
            if (h) {
                current = h[1];
                files[current] = h[2] === "absent" ? undefined : "";
                continue;
            }
            if (current !== undefined && files[current] !== undefined) files[current] += `${line}\n`;
        }
    }
    let daemon: Record<string, unknown> | undefined;
    const dj = files[DAEMON_JSON_PATH];
    if (dj !== undefined) {
        try {
            daemon = JSON.parse(dj);
        } catch {
            daemon = undefined;
        }
    }
    const repair = /'?--repair'? '((?:[^']|'\\'')*)'/.exec(cmd)?.[1]?.replace(/'\\''/g, "'") ?? "";
    return { host, files, daemon, repair };
}
