/** POSIX single-quote quoting: safe for any string in sh, bash and dash. */
export function shQuote(s: string): string {
    return `'${s.replace(/'/g, `'\\''`)}'`;
}
