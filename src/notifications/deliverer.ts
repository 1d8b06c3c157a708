/**
 * Delivers one endpoint's queue, in order: holds the endpoint's lease, posts
 * the oldest pending events (up to 50) in one envelope with the endpoint's
 * headers and timeout, drops them from the queue on a 2xx, and otherwise
 * retries the same batch every `backoff` until `maxretries` retries have
 * failed, when the batch is kept as failed and the queue moves on. A node
 * that stops gives its lease up; one that dies holds it for 30 s.
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../observability/logger.js';
import { EVENTS_MEDIA_TYPE } from './event.js';
import type { NotificationMetrics } from './metrics.js';
import type { Outbox } from './outbox.js';

/** One configured endpoint. */
export type EndpointConfig = Config['notifications']['endpoints'][number];

const BATCH = 50;
const LEASE_MS = 30_000;
const IDLE_MS = 1000;

/** A running delivery loop. */
export class Deliverer {
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly endpoint: EndpointConfig,
    private readonly outbox: Outbox,
    private readonly holder: string,
    private readonly log: Logger,
    private readonly metrics: NotificationMetrics,
  ) {}

  /** Starts delivering. */
  start(): void {
    this.loop = this.run();
  }

  /** Wakes the loop (new events were appended). */
  poke(): void {
    this.wake?.();
  }

  /** Stops after the request in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.outbox.release(this.endpoint.name, this.holder).catch(() => undefined);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private async run(): Promise<void> {
    const name = this.endpoint.name;
    while (!this.stopped) {
      try {
        if (!(await this.outbox.lease(name, this.holder, LEASE_MS))) {
          await this.sleep(IDLE_MS);
          continue;
        }
        const batch = await this.outbox.head(name, BATCH);
        if (batch.length === 0) {
          await this.sleep(IDLE_MS);
          continue;
        }
        const wait = batch[0]!.nextAttemptAt.getTime() - Date.now();
        if (wait > 0) {
          await this.sleep(Math.min(wait, IDLE_MS));
          continue;
        }
        // Only events at the same attempt count travel together, so a retried head is not mixed with newcomers.
        const sendable = batch.filter((e) => e.attempts === batch[0]!.attempts);
        const ids = sendable.map((e) => e.id);
        const started = process.hrtime.bigint();
        try {
          await this.post(sendable.map((e) => e.event));
          await this.outbox.delivered(name, ids);
          this.metrics.delivered.inc({ endpoint: name }, ids.length);
          this.metrics.latency.observe({ endpoint: name }, Number(process.hrtime.bigint() - started) / 1e9);
        } catch (err) {
          const attempts = sendable[0]!.attempts + 1;
          const final = attempts > this.endpoint.maxretries;
          const message = (err as Error).message;
          await this.outbox.failed(name, ids, message, new Date(Date.now() + this.endpoint.backoff), final);
          if (final) {
            this.metrics.failed.inc({ endpoint: name }, ids.length);
            this.log.error({ endpoint: name, events: ids.length, attempts, err: message }, 'notification delivery failed for good; kept as failed (wharf notifications list|replay)');
          } else {
            this.log.warn({ endpoint: name, events: ids.length, attempt: attempts, err: message }, 'notification delivery failed; will retry');
          }
        }
      } catch (err) {
        this.log.error({ endpoint: name, err }, 'notification outbox unavailable');
        await this.sleep(IDLE_MS);
      }
    }
  }

  private async post(events: unknown[]): Promise<void> {
    const headers: Record<string, string> = { 'Content-Type': EVENTS_MEDIA_TYPE };
    for (const [k, v] of Object.entries(this.endpoint.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const res = await fetch(this.endpoint.url, { method: 'POST', headers, body: JSON.stringify({ events }), signal: AbortSignal.timeout(Math.max(1, this.endpoint.timeout)) });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status >= 300) throw new Error(`${this.endpoint.url} answered ${res.status}`);
  }
}
