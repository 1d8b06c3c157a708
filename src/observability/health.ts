/**
 * Storage health as Distribution checks it: a probe every `interval`, and the
 * registry reports unhealthy after `threshold` failures in a row.
 */
import type { StorageDriver } from '../storage/driver.js';

/** A running health checker. */
export interface HealthChecker {
  /** Failing checks by name with their last error; empty when healthy. */
  status(): Record<string, string>;
  stop(): void;
}

/** Starts probing `driver`; `enabled: false` reports healthy always. */
export function startHealthChecks(driver: StorageDriver, opts: { enabled: boolean; interval: number; threshold: number }): HealthChecker {
  let failures = 0;
  let lastError = '';
  const probe = () =>
    driver.health().then(
      () => {
        failures = 0;
      },
      (err: unknown) => {
        failures++;
        lastError = (err as Error).message;
      },
    );
  const timer = opts.enabled ? setInterval(probe, Math.max(opts.interval, 100)) : undefined;
  timer?.unref();
  if (opts.enabled) void probe();
  return {
    status: () => (failures >= opts.threshold ? { [`storagedriver_${driver.name}`]: lastError } : {}),
    stop: () => clearInterval(timer),
  };
}
