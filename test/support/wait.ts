/** Polling for tests that wait on background work (GC, jobs, deliveries). */

/**
 * Calls `check` every `everyMs` until it returns something other than
 * `undefined` or `false`, and returns that; throws naming `what` after `ms`.
 */
export async function until<T>(what: string, check: () => T | Promise<T>, ms = 15_000, everyMs = 50): Promise<Exclude<T, undefined | false>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v as Exclude<T, undefined | false>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
