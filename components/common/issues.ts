/**
 * Validation results shared by every component. Validation is a plain function that returns
 * issues (pulumi-awsx style) so the stack loader can collect all of them before any resource
 * is registered, and components can re-check their own Args when used as a library.
 */
export type Severity = "error" | "warning";

export interface Issue {
    /** Dotted path of the offending field, relative to the component's Args (e.g. `daemon.registryMirrors[0]`). */
    field: string;
    /** What is wrong and what is valid. */
    message: string;
    severity: Severity;
}

export const error = (field: string, message: string): Issue => ({ field, message, severity: "error" });
export const warning = (field: string, message: string): Issue => ({ field, message, severity: "warning" });

/** Prefixes every issue's field with `prefix` (used when a component validates a nested object). */
export function nest(prefix: string, issues: Issue[]): Issue[] {
    return issues.map((i) => ({ ...i, field: i.field ? `${prefix}.${i.field}` : prefix }));
}

/** Where an issue was found: the stack and the component/resource it belongs to. */
export interface IssueContext {
    stack?: string;
    /** e.g. `DockerHost "host1"` */
    resource: string;
}

export function formatIssue(ctx: IssueContext, issue: Issue): string {
    const where = ctx.stack ? `stack "${ctx.stack}", ${ctx.resource}` : ctx.resource;
    return `${where}, field ${issue.field}: ${issue.message}`;
}

/** Thrown before anything is registered when Args or stack config are invalid. */
export class DockfleetConfigError extends Error {
    constructor(public readonly problems: { ctx: IssueContext; issue: Issue }[]) {
        super(
            `invalid dockfleet configuration (${problems.length} error${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${formatIssue(p.ctx, p.issue)}`).join("\n"),
        );
        this.name = "DockfleetConfigError";
    }
}

/** Throws a DockfleetConfigError for the errors among `issues`; returns the warnings. */
export function throwOnErrors(ctx: IssueContext, issues: Issue[]): Issue[] {
    const errors = issues.filter((i) => i.severity === "error");
    if (errors.length > 0) {
        throw new DockfleetConfigError(errors.map((issue) => ({ ctx, issue })));
    }
    return issues.filter((i) => i.severity === "warning");
}

const warned = new Set<string>();
/**
 * Logs a warning once per process for a given message: the stack loader, a fleet and each of its
 * hosts validate the same daemon config, and the operator needs to read it once.
 */
export function warnOnce(log: (msg: string) => void, issue: Issue, text: string): void {
    const key = `${issue.field.replace(/^.*?daemon\./, "daemon.")}|${issue.message}`;
    if (warned.has(key)) return;
    warned.add(key);
    log(text);
}
