/**
 * Health as Distribution checks its storage: a probe every `interval`, and
 * the registry reports unhealthy after `threshold` failures in a row. The
 * probe is handed in (the storage driver's `health()`, named after the
 * driver), so observability depends on nothing it observes.
 */

/** A named check: resolves when healthy. */
export interface HealthProbe {
  readonly name: string;
  check(): Promise<void>;
}

/** A running health checker. */
export interface HealthChecker {
  /** Failing checks by name with their last error; empty when healthy. */
  status(): Record<string, string>;
  stop(): void;
}

/** Starts running `probe`; `enabled: false` reports healthy always. */
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
    status: () => (failures >= opts.threshold ? { [probe.name]: lastError } : {}),
    stop: () => clearInterval(timer),
  };
}
