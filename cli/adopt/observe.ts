// Reading one host for `npm run adopt`: one read-only ssh command whose output is split into the
// files and command outputs by marker lines (parseObservation is pure and unit-tested).
import { sshRun, ProbeTarget } from "../../components/common/ssh";
import { DAEMON_JSON_PATH } from "../../components/docker-host/dropins";
import { HostReading } from "./adopt";

const M = "@@dockfleet-adopt";

/** The remote command: daemon.json, every docker.service drop-in and the environment files they name, the engine version, the swarm state. Read-only. */
export const OBSERVE_COMMAND = [
    `echo '${M} daemon.json'; if [ -f ${DAEMON_JSON_PATH} ]; then cat ${DAEMON_JSON_PATH}; echo; else echo '${M} absent'; fi`,
    `for f in /etc/systemd/system/docker.service.d/*.conf; do [ -f "$f" ] || continue; echo "${M} dropin $(basename "$f")"; cat "$f"; echo; done`,
    // the files the drop-ins name with EnvironmentFile= (dockfleet's proxy variables live in one)
    `sed -n 's/^[[:space:]]*EnvironmentFile[[:space:]]*=[[:space:]]*-\\{0,1\\}//p' /etc/systemd/system/docker.service.d/*.conf 2>/dev/null | sort -u | while read -r f; do [ -f "$f" ] || continue; echo "${M} envfile $f"; cat "$f"; echo; done`,
    `echo '${M} version'; docker version --format '{{.Server.Version}}' 2>&1`,
    `echo '${M} swarm'; docker info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}' 2>&1`,
    `echo '${M} end'`,
].join("; ");

/** Splits OBSERVE_COMMAND's output; each file's text is given back exactly (the `echo` after `cat` is removed). */
export function parseObservation(name: string, address: string, out: string): HostReading {
    const parts: { head: string; lines: string[] }[] = [];
    for (const line of out.split("\n")) {
        if (line.startsWith(`${M} `)) parts.push({ head: line.slice(M.length + 1), lines: [] });
        else if (parts.length > 0) parts[parts.length - 1].lines.push(line);
    }
    if (!parts.some((p) => p.head === "end")) throw new Error(`host ${name}: incomplete answer from ${address} (no end marker)`);
    // `cat f; echo` ends the file's text with one newline that the split takes back off
    const text = (p: { lines: string[] }) => p.lines.join("\n");
    const obs: HostReading = { name, address, dropins: {}, version: "", swarm: "" };
    for (let i = 0; i < parts.length; i++) {
        const p = parts[i];
        if (p.head === "daemon.json") {
            if (parts[i + 1]?.head === "absent") i++;
            else obs.daemonJson = text(p);
        } else if (p.head.startsWith("dropin ")) {
            obs.dropins[p.head.slice(7)] = text(p);
        } else if (p.head.startsWith("envfile ")) {
            (obs.envFiles ??= {})[p.head.slice(8)] = text(p);
        } else if (p.head === "version") {
            obs.version = p.lines.join("\n").trim();
        } else if (p.head === "swarm") {
            obs.swarm = p.lines.join("\n").trim();
        }
    }
    return obs;
}

/** Reads one host over ssh (system client, BatchMode). Throws with ssh's reason when it cannot. */
export async function observeHost(name: string, t: ProbeTarget): Promise<HostReading> {
    const r = await sshRun(t, OBSERVE_COMMAND, 30000);
    if (!r.ok) throw new Error(`host ${name}: ssh ${t.user ?? "root"}@${t.host}: ${r.reason}`);
    return parseObservation(name, t.host, r.stdout);
}
