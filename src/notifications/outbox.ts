/**
 * The persistent outbox seam: events wait here per endpoint until delivered.
 * Two implementations: rows in the metadata database (shared by every node;
 * a lease per endpoint keeps the delivery order), and files under the data
 * directory for legacy mode (one queue per process).
 */
import type { RegistryEvent } from './event.js';

/** One queued event. */
export interface OutboxEntry {
  readonly id: string;
  readonly endpoint: string;
  readonly event: RegistryEvent;
  readonly attempts: number;
  /** When the head of the queue may be tried again. */
  readonly nextAttemptAt: Date;
  readonly lastError?: string | undefined;
}

/** Counts per endpoint. */
export interface OutboxStats {
  readonly endpoint: string;
  readonly pending: number;
  readonly failed: number;
}

/** Where undelivered events live. */
export interface Outbox {
  /** Appends events to an endpoint's queue, in order. */
  append(endpoint: string, events: readonly RegistryEvent[]): Promise<void>;
  /** The oldest pending events of an endpoint, in order (at most `limit`). */
  head(endpoint: string, limit: number): Promise<OutboxEntry[]>;
  /** Marks events delivered (they leave the queue). */
  delivered(endpoint: string, ids: readonly string[]): Promise<void>;
  /** Records a failed attempt at the head: retry at `nextAttemptAt`, or move to failed when `final`. */
  failed(endpoint: string, ids: readonly string[], error: string, nextAttemptAt: Date, final: boolean): Promise<void>;
  /** Failed events (of one endpoint or all), oldest first. */
  listFailed(endpoint?: string): Promise<OutboxEntry[]>;
  /** Puts failed events back at the end of their queue; returns how many. */
  replay(endpoint?: string, ids?: readonly string[]): Promise<number>;
  /** Pending and failed counts per endpoint. */
  stats(): Promise<OutboxStats[]>;
  /** Takes or renews the right to deliver an endpoint for `ttlMs`; false while another holder has it. */
  lease(endpoint: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up (a stopping node), so another node takes over at once. */
  release(endpoint: string, holder: string): Promise<void>;
}
