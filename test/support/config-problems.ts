// What loading a stack config refuses, as tests compare it by value.
import * as assert from "assert";
import { DockfleetConfigError } from "../../components/common/issues";

/** Loads `raw` and returns each problem as "resource | field | message"; fails if it loads. */
export function configProblems(raw: Record<string, unknown>, load: (raw: Record<string, unknown>) => unknown): string[] {
    try {
        load(raw);
    } catch (e) {
        assert.ok(e instanceof DockfleetConfigError, String(e));
        return e.problems.map((p) => `${p.ctx.resource} | ${p.issue.field} | ${p.issue.message}`);
    }
    return assert.fail("expected a DockfleetConfigError");
}
