// Swarm autolock (CIS Docker 7.6, issue 28): a manager whose dockerd restarts comes back locked
// until it is given the swarm's unlock key. The key is a Pulumi secret (dockfleet:swarmUnlockKey)
// and reaches the apply script only inside the secret stdin bundle, as a pseudo-entry the script
// keeps in memory (never a file, never an argument): `docker swarm unlock` reads it from stdin.
import { Issue, error } from "../common/issues";

/** The bundle header of the unlock key (not a path: the script writes no file for it). */
export const UNLOCK_KEY_HEADER = "=== @swarm-unlock-key";

/** `docker swarm unlock-key -q` prints `SWMKEY-1-` and base64. */
const UNLOCK_KEY = /^SWMKEY-1-[A-Za-z0-9+/=]+$/;

/** Errors name the field but never echo the key. */
export function validateUnlockKey(key: string): Issue[] {
    return UNLOCK_KEY.test(key) ? [] : [error("swarmUnlockKey", "is not a swarm unlock key (SWMKEY-1-…, as `docker swarm unlock-key -q` prints it)")];
}

/** The key as the stdin bundle's pseudo-entry (apply-docker-config.sh parse_bundle). */
export function renderUnlockKeyEntry(key: string): string {
    return `${UNLOCK_KEY_HEADER}\n${key}\n`;
}

/**
 * The stack config's autolock settings: `dockfleet:swarm.autolock: true` needs the key as secret
 * config; the error says how to turn autolock on and store the key without it being shown.
 */
export function autolockIssues(stack: string, autolock: boolean, key: string | undefined, manager: string | undefined): Issue[] {
    const ns = "dockfleet";
    if (autolock && key === undefined) {
        return [error(`${ns}:swarmUnlockKey`, `swarm.autolock is true but the unlock key is not in the config; turn autolock on and store its key (never shown) with: ` +
            `ssh root@${manager ?? "<a manager>"} 'docker swarm update --autolock=true >/dev/null && docker swarm unlock-key -q' | pulumi config set --secret ${ns}:swarmUnlockKey --stack ${stack}`)];
    }
    if (!autolock && key !== undefined) {
        return [error(`${ns}:swarm.autolock`, `${ns}:swarmUnlockKey is set but swarm.autolock is not true; set ${ns}:swarm.autolock: true (or remove the key once autolock is off: docker swarm update --autolock=false)`)];
    }
    return key !== undefined ? validateUnlockKey(key).map((i) => ({ ...i, field: `${ns}:swarmUnlockKey` })) : [];
}
