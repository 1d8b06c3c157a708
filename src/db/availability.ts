/**
 * Whether the metadata database answers, as the pool sees it: every query's
 * outcome moves the state (a connection failure: down; any answer: up), so
 * health, readiness and the logs follow the database within one request,
 * not a polling interval. A transition is logged once, in words; the gauge
 * `wharf_database_up` and the counter `wharf_database_unavailable_total`
 * tell the same to Prometheus.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** What is known of the database's reachability. */
export interface DatabaseHealth {
  /** False from the first connection failure until the next answer. */
  readonly up: boolean;
  /** Why it is down (undefined while up). */
  readonly reason: string | undefined;
  /** When it went down (ms since the epoch), while down. */
  readonly downSince: number | undefined;
}

/** Receives a transition: `down` with the reason, or `up` after `downMs`. */
export type HealthLog = (level: 'error' | 'info', msg: string) => void;

/** The tracker a pool feeds. */
export interface AvailabilityTracker extends DatabaseHealth {
  failed(reason: string): void;
  succeeded(): void;
}

export function availabilityTracker(log: HealthLog = () => undefined, metrics?: Registry): AvailabilityTracker {
  let up = true;
  let reason: string | undefined;
  let downSince: number | undefined;
  const gauge = metrics
    ? ((metrics.getSingleMetric('wharf_database_up') as Gauge | undefined) ??
      new Gauge({ name: 'wharf_database_up', help: '1 while the metadata database answers, 0 from a connection failure until it answers again', registers: [metrics] }))
    : undefined;
  const failures = metrics
    ? ((metrics.getSingleMetric('wharf_database_unavailable_total') as Counter | undefined) ??
      new Counter({ name: 'wharf_database_unavailable_total', help: 'Database operations that failed because the database was unavailable (connection refused or lost, timeouts)', registers: [metrics] }))
    : undefined;
  gauge?.set(1);
  return {
    get up() {
      return up;
    },
    get reason() {
      return reason;
    },
    get downSince() {
      return downSince;
    },
    failed(why) {
      failures?.inc();
      reason = why;
      if (!up) return;
      up = false;
      downSince = Date.now();
      gauge?.set(0);
      log('error', `the metadata database is unavailable: ${why}; requests that need it answer 503 until it is back`);
    },
    succeeded() {
      if (up) return;
      const downMs = Date.now() - (downSince ?? Date.now());
      up = true;
      reason = undefined;
      downSince = undefined;
      gauge?.set(1);
      log('info', `the metadata database answers again (after ${(downMs / 1000).toFixed(1)} s)`);
    },
  };
}
