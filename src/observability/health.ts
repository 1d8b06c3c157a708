/**
 * Health as Distribution checks its storage: a probe every `interval`, and
 * the registry reports unhealthy after `threshold` failures in a row. The
 * probe is handed in (the storage driver's `health()`, named after the
 * driver; the metadata database's), so observability depends on nothing it
 * observes. A probe may also say at once that it is failing (`failing()`):
 * the database's reads what its pool saw on the last query, so health
 * follows an outage within one request, not one interval.
 */

/** A named check: resolves when healthy. */
export interface HealthProbe {
  readonly name: string;
  check(): Promise<void>;
  /** Failing now, with the reason, as known without running the check (optional). */
  failing?(): string | undefined;
}

/** A running health checker. */
export interface HealthChecker {
  /** Failing checks by name with their last error; empty when healthy. */
  status(): Record<string, string>;
  stop(): void;
}

/** Starts running `probe`; `enabled: false` runs no check (its `failing()` still counts). */
export function startHealthChecks(probe: HealthProbe, opts: { enabled: boolean; interval: number; threshold: number }): HealthChecker {
  let failures = 0;
  let lastError = '';
  const run = () =>
    probe.check().then(
      () => {
        failures = 0;
      },
      (err: unknown) => {
        failures++;
        lastError = (err as Error).message;
      },
    );
  const timer = opts.enabled ? setInterval(run, Math.max(opts.interval, 100)) : undefined;
  timer?.unref();
  if (opts.enabled) void run();
  return {
    status: () => {
      const now = probe.failing?.();
      if (now !== undefined) return { [probe.name]: now };
      return failures >= opts.threshold ? { [probe.name]: lastError } : {};
    },
    stop: () => clearInterval(timer),
  };
}

/** One checker over several: failing where any fails. */
export function allHealthChecks(checkers: readonly HealthChecker[]): HealthChecker {
  return {
    status: () => Object.assign({}, ...checkers.map((c) => c.status())) as Record<string, string>,
    stop: () => {
      for (const c of checkers) c.stop();
    },
  };
}
