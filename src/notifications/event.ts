/**
 * Registry events in CNCF Distribution's format (the envelope
 * `application/vnd.docker.distribution.events.v1+json`), with GitLab's
 * `rename` action added.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The media type of the envelope. */
export const EVENTS_MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json';

/** Event actions. */
export type EventAction = 'push' | 'pull' | 'delete' | 'mount' | 'rename';

/** What the event is about. */
export interface EventTarget {
  mediaType?: string;
  size?: number;
  length?: number;
  digest?: string;
  repository: string;
  url?: string;
  tag?: string;
  fromRepository?: string;
  references?: Array<{ mediaType: string; digest: string; size: number }>;
  rename?: { type: 'repository'; from: string; to: string };
}

/** One event. */
export interface RegistryEvent {
  id: string;
  timestamp: string;
  action: EventAction;
  target: EventTarget;
  request: { id: string; addr: string; host: string; method: string; useragent: string };
  actor: { name?: string };
  source: { addr: string; instanceID: string };
}

/** Where events come from (this node). */
export interface EventSource {
  readonly addr: string;
  readonly instanceID: string;
}

/** Builds an event for a request. */
export function makeEvent(action: EventAction, target: EventTarget, req: IncomingMessage, requestId: string, actor: string | undefined, source: EventSource): RegistryEvent {
  return {
    id: randomUUID(),
    timestamp: new Date().toISOString(),
    action,
    target,
    request: {
      id: requestId,
      addr: `${req.socket.remoteAddress ?? ''}:${req.socket.remotePort ?? ''}`,
      host: req.headers.host ?? '',
      method: req.method ?? '',
      useragent: req.headers['user-agent'] ?? '',
    },
    actor: actor ? { name: actor } : {},
    source: { addr: source.addr, instanceID: source.instanceID },
  };
}
