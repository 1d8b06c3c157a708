/**
 * The registry's side of notifications: handlers `emit` events, which are
 * filtered per endpoint (`ignoredmediatypes`, `ignore.mediatypes`,
 * `ignore.actions`), buffered for a few milliseconds and appended to the
 * outbox in order (so a pull does not wait for a database write), then
 * delivered by one loop per endpoint. `close` flushes what is buffered.
 */
import type { Logger } from '../observability/logger.js';
import { Deliverer, type EndpointConfig } from './deliverer.js';
import type { RegistryEvent } from './event.js';
import type { NotificationMetrics } from './metrics.js';
import type { Outbox } from './outbox.js';

/** An in-process receiver of events (the control plane in the same process); best effort, not queued. */
export interface LocalListener {
  /** The actions it wants (checked on hot paths before an event is built). */
  readonly actions: ReadonlySet<RegistryEvent['action']>;
  receive(events: readonly RegistryEvent[]): Promise<void>;
}

/** How long events wait in memory before they are written to the outbox. */
const FLUSH_MS = 20;

/** Emits and delivers events. */
export class Notifier {
  private readonly endpoints: EndpointConfig[];
  private readonly deliverers = new Map<string, Deliverer>();
  private buffer: RegistryEvent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    endpoints: readonly EndpointConfig[],
    private readonly outbox: Outbox,
    private readonly log: Logger,
    private readonly metrics: NotificationMetrics,
    private readonly holder: string,
    private readonly local: readonly LocalListener[] = [],
  ) {
    this.endpoints = endpoints.filter((e) => !e.disabled);
    for (const e of endpoints) {
      if (e.threshold !== undefined) log.warn({ endpoint: e.name }, 'notifications: threshold is deprecated and ignored; use maxretries');
    }
  }

  /** True when at least one endpoint is enabled or an in-process listener is attached. */
  get active(): boolean {
    return this.endpoints.length > 0 || this.local.length > 0;
  }

  /** True when an event with this action would go anywhere (checked before an event is built, on hot paths). */
  wants(action: RegistryEvent['action']): boolean {
    if (this.local.some((l) => l.actions.has(action))) return true;
    return this.endpoints.some((e) => !e.ignore.actions.includes(action));
  }

  /** Starts delivery to every enabled endpoint. */
  start(): void {
    for (const e of this.endpoints) {
      const d = new Deliverer(e, this.outbox, this.holder, this.log, this.metrics);
      this.deliverers.set(e.name, d);
      d.start();
    }
  }

  /** Queues an event for every endpoint that does not ignore it. */
  emit(event: RegistryEvent): void {
    if (!this.active) return;
    this.buffer.push(event);
    this.timer ??= setTimeout(() => void this.flush(), FLUSH_MS);
  }

  /** Writes buffered events to the outbox (in emission order) and wakes the deliverers. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const events = this.buffer;
    this.buffer = [];
    this.flushing = this.flushing.then(async () => {
      if (events.length === 0) return;
      for (const listener of this.local) {
        const wanted = events.filter((ev) => listener.actions.has(ev.action));
        if (wanted.length > 0) await listener.receive(wanted).catch((err: unknown) => this.log.error({ err }, 'in-process event listener failed'));
      }
      for (const e of this.endpoints) {
        const wanted = events.filter((ev) => !ignored(e, ev));
        if (wanted.length === 0) continue;
        try {
          await this.outbox.append(e.name, wanted);
        } catch (err) {
          this.log.error({ endpoint: e.name, events: wanted.length, err }, 'notifications could not be written to the outbox and are lost');
        }
        this.deliverers.get(e.name)?.poke();
      }
    });
    return this.flushing;
  }

  /** Flushes and stops delivering. */
  async close(): Promise<void> {
    await this.flush();
    await Promise.all([...this.deliverers.values()].map((d) => d.stop()));
  }
}

function ignored(e: EndpointConfig, ev: RegistryEvent): boolean {
  const type = ev.target.mediaType;
  if (type && (e.ignoredmediatypes.includes(type) || e.ignore.mediatypes.includes(type))) return true;
  return e.ignore.actions.includes(ev.action);
}
