// A bound on how many tasks run at once (the probe's SSH sessions, rollout.probeConcurrency).
// Written here rather than taken from p-limit (3.1.0, its last CommonJS major): p-limit starts even
// the first tasks on a later microtask, and program.js starts the early probe just before its
// synchronous module loading (~0.7 s), so no ssh session would begin until the loading ended.

/**
 * `fn` over `items`, at most `n` running at once, taken in order; the results in the items' order.
 * The first `n` start inside this call; each next one when one ends. Rejects as Promise.all does
 * (with the first rejection; no new task starts after it).
 */
export function mapLimit<T, R>(items: readonly T[], n: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`concurrency must be a whole number ≥ 1, got ${n}`);
    return new Promise((resolve, reject) => {
        const out = new Array<R>(items.length);
        let next = 0;
        let done = 0;
        let failed = false;
        const start = (): void => {
            const i = next++;
            // the executor runs fn now, and turns a synchronous throw into a rejection
            new Promise<R>((res) => res(fn(items[i], i))).then(
                (r) => {
                    out[i] = r;
                    if (++done === items.length) resolve(out);
                    else if (!failed && next < items.length) start();
                },
                (e) => {
                    failed = true;
                    reject(e);
                },
            );
        };
        if (items.length === 0) resolve(out);
        while (next < Math.min(n, items.length)) start();
    });
}
