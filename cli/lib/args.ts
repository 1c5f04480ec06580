/**
 * Walks a CLI's arguments (`--key value` or `--key=value`): `on(key, next)` handles each one and
 * calls `next()` for its value. One walker for every dockfleet command (adopt, hostkeys).
 */
export function walkArgs(argv: string[], on: (key: string, next: () => string) => void): void {
    for (let i = 0; i < argv.length; i++) {
        const eq = argv[i].startsWith("--") ? argv[i].indexOf("=") : -1;
        const [k, inline] = eq > 0 ? [argv[i].slice(0, eq), argv[i].slice(eq + 1)] : [argv[i], undefined];
        on(k, () => {
            const v = inline ?? argv[++i];
            if (v === undefined) throw new Error(`${k} needs a value`);
            return v;
        });
    }
}
