// `npm run preview:summary -- --stack NAME [--input preview.json] [--output summary.md]`
//
// Runs `pulumi preview --json --stack NAME` (or reads that JSON from --input, "-" for stdin) and
// prints a Markdown summary for review: data risk first, hosts with their daemon.json key changes,
// restart/reload and batch, images rebuilt and the services they roll, swarm services that roll
// and why, everything else. Secrets: [secret].
// Exit status: 0 when a summary was written (even for a failed preview, which the summary says),
// 2 on bad usage or unreadable input.
import * as fs from "fs";
import { spawnSync } from "child_process";
import { PreviewJson, renderSummary } from "./preview-summary/summary";

interface Args {
    stack?: string;
    input?: string;
    output?: string;
    extra: string[];
}

export function parseArgs(argv: string[]): Args {
    const a: Args = { extra: [] };
    for (let i = 0; i < argv.length; i++) {
        const k = argv[i];
        const next = () => {
            const v = argv[++i];
            if (v === undefined) throw new Error(`${k} needs a value`);
            return v;
        };
        if (k === "--stack" || k === "-s") a.stack = next();
        else if (k.startsWith("--stack=")) a.stack = k.slice(8);
        else if (k === "--input" || k === "-i") a.input = next();
        else if (k.startsWith("--input=")) a.input = k.slice(8);
        else if (k === "--output" || k === "-o") a.output = next();
        else if (k.startsWith("--output=")) a.output = k.slice(9);
        else if (k === "--") a.extra.push(...argv.slice(i + 1)), (i = argv.length);
        else throw new Error(`unknown argument "${k}"`);
    }
    if (!a.stack && !a.input) throw new Error("give --stack NAME (runs pulumi preview --json) or --input FILE");
    return a;
}

/** The preview JSON: from a file, stdin, or a `pulumi preview --json` run (which exits 255 on errors but still prints JSON). */
export function readPreview(a: Args): PreviewJson {
    let text: string;
    if (a.input) {
        text = fs.readFileSync(a.input === "-" ? 0 : a.input, "utf8");
    } else {
        const r = spawnSync("pulumi", ["preview", "--json", "--non-interactive", "--stack", a.stack!, ...a.extra], { encoding: "utf8", maxBuffer: 512 * 1024 * 1024, stdio: ["ignore", "pipe", "inherit"] });
        if (r.error) throw new Error(`could not run pulumi: ${r.error.message}`);
        text = r.stdout;
    }
    try {
        return JSON.parse(text) as PreviewJson;
    } catch (e) {
        throw new Error(`not preview JSON (${(e as Error).message}): ${text.slice(0, 200)}`);
    }
}

export function main(argv: string[]): number {
    let a: Args;
    let preview: PreviewJson;
    try {
        a = parseArgs(argv);
        preview = readPreview(a);
    } catch (e) {
        process.stderr.write(`preview-summary: ${(e as Error).message}\n`);
        return 2;
    }
    const md = renderSummary(preview, { stack: a.stack });
    if (a.output) fs.writeFileSync(a.output, md);
    else process.stdout.write(md);
    return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
