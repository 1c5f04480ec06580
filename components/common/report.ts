import * as pulumi from "@pulumi/pulumi";
import { Issue, IssueContext, formatIssue, throwOnErrors, warnOnce } from "./issues";

/**
 * Where a component's own Args check reports: the stack it runs in and `Type "name"`, so a
 * program that uses the components without dockfleet's stack-config loader still gets messages
 * naming stack, resource and field.
 */
export function componentContext(resource: string): IssueContext {
    return { stack: pulumi.getStack() || undefined, resource };
}

/** Throws a DockfleetConfigError listing the errors among `issues`; logs each warning once, on `res`. */
export function reportIssues(res: pulumi.Resource, ctx: IssueContext, issues: Issue[]): void {
    for (const w of throwOnErrors(ctx, issues)) warnOnce((m) => pulumi.log.warn(m, res), w, formatIssue(ctx, w));
}
