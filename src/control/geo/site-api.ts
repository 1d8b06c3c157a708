/**
 * Calls from one site's control plane to another's `/api/v4/geo/site/*`
 * (site-to-site, with a site token): the event log, status reports, and
 * a new primary's announcement.
 */
import type { GeoEvent } from './store.js';
import { SyncError } from './registry-http.js';
import type { SiteTokens } from './site-auth.js';

/** A page of the primary's event log. */
export interface EventPage {
  readonly events: GeoEvent[];
  readonly last_event_id: number;
  readonly last_event_at: string | null;
  readonly generation: number;
}

/** A site as the primary lists it to secondaries. */
export interface SiteListing {
  readonly name: string;
  readonly api_url: string;
  readonly registry_url: string;
  readonly is_primary: boolean;
}

/** A new primary's announcement. */
export interface Announcement {
  readonly name: string;
  readonly api_url: string;
  readonly registry_url: string;
  readonly generation: number;
}

/** Calls another site's control plane. */
export async function siteCall<T>(tokens: SiteTokens, apiUrl: string, method: string, path: string, body?: unknown, timeoutMs = 15_000, stop?: AbortSignal): Promise<T> {
  const url = `${apiUrl.replace(/\/+$/, '')}/api/v4/geo/site${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { Authorization: `Bearer ${await tokens.site()}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: stop ? AbortSignal.any([AbortSignal.timeout(timeoutMs), stop]) : AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    throw new SyncError(`unreachable: the site at ${apiUrl} did not answer (${cause?.code ?? (err as Error).message})`);
  }
  const text = await res.text();
  if (!res.ok) {
    const message = (() => {
      try {
        return String((JSON.parse(text) as { message?: unknown }).message ?? text);
      } catch {
        return text;
      }
    })();
    throw new SyncError(`${res.status} from the site at ${apiUrl}: ${message.slice(0, 300)}`, res.status);
  }
  return (text ? JSON.parse(text) : {}) as T;
}

/** Long-polls the primary's event log after `after`. */
export function fetchEvents(tokens: SiteTokens, apiUrl: string, after: number, waitSeconds: number, stop?: AbortSignal): Promise<EventPage> {
  return siteCall<EventPage>(tokens, apiUrl, 'GET', `/events?after=${after}&wait=${waitSeconds}&limit=1000`, undefined, (waitSeconds + 15) * 1000, stop);
}
