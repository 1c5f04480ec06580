/** POSIX single-quote quoting: safe for any string in sh, bash and dash. */
export function shQuote(s: string): string {
    return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Text fed to the script through a quoted here-document (no expansion inside). */
export interface HereDoc {
    /** File descriptor it arrives on; 0 (stdin) is written without a number. */
    fd: number;
    /** The end line; the text must not contain it as a line. */
    marker: string;
    /** The body, newline-terminated so the marker starts its own line. */
    text: string;
}

/**
 * The remote command line that runs a repo script: its text travels base64 (so no quoting
 * surprises over SSH, whatever the login shell) and bash runs it with `argv0` as $0 and each
 * argument single-quoted, so `pulumi preview --diff` shows each option; an optional
 * here-document carries data the diff shows line by line.
 */
export function scriptCommand(scriptText: string, argv0: string, args: readonly string[], opts: { hereDoc?: HereDoc } = {}): string {
    // $0 is written bare: a name, never data.
    if (!/^[A-Za-z0-9_.-]+$/.test(argv0)) throw new Error(`scriptCommand: argv0 must be a plain word, got ${JSON.stringify(argv0)}`);
    const b64 = Buffer.from(scriptText, "utf8").toString("base64");
    let cmd = `/bin/bash -c "$(printf %s ${shQuote(b64)} | base64 -d)" ${argv0} ${args.map(shQuote).join(" ")}`;
    const h = opts.hereDoc;
    if (h) cmd += ` ${h.fd === 0 ? "" : h.fd}<<'${h.marker}'\n${h.text}${h.marker}\n`;
    return cmd;
}
