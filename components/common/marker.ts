/**
 * Markers make "the host needs work" a plain input change of a command (never a replace: upstream
 * pulumi-command replaces on `triggers`) that stays stable once done. The host records the marker
 * of its last successful run; a probe reads it back. Nothing to do: the recorded marker, so the
 * command equals the one in state and nothing runs. Work to do: the next number and what, so the
 * command changes, the preview shows why, and the run records the new marker.
 */
export function nextMarker(recorded: string, todo: string[]): string {
    if (todo.length === 0) return recorded;
    const n = Number(/^(\d+)( |$)/.exec(recorded)?.[1] ?? 0) + 1;
    return `${n} ${todo.join(",")}`;
}
