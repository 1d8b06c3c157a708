/**
 * Emits a registry event for a request (when notifications are configured):
 * the actor is the token's subject, URLs are absolute as Distribution's are.
 */
import { CONTROL_PLANE_SUBJECT } from '../auth/claims.js';
import { makeEvent, type EventAction, type EventTarget } from '../notifications/event.js';
import { urlFor, type RequestContext } from './context.js';

/** An absolute URL of an API path for event targets. */
export function eventUrl(ctx: RequestContext, path: string): string {
  const url = urlFor(ctx, path);
  if (/^https?:\/\//.test(url)) return url;
  const proto = (ctx.req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  return `${proto}://${ctx.req.headers.host ?? 'localhost'}${url}`;
}

/**
 * Emits `action` on `target`. Cheap when no endpoint is configured. The
 * control plane's own manifest reads (repository sizes when the registry has
 * no metadata database) are not pulls: GitLab's Rails reads such figures
 * through the registry's database API and no listener hears of them, so
 * neither does one here. Its deletes are reported as any other.
 */
export function notify(ctx: RequestContext, action: EventAction, target: EventTarget): void {
  const { notifier, eventSource } = ctx.services;
  if (!notifier?.wants(action) || !eventSource) return;
  if (action === 'pull' && ctx.auth?.sub === CONTROL_PLANE_SUBJECT) return;
  notifier.emit(makeEvent(action, target, ctx.req, ctx.requestId, ctx.auth?.sub, eventSource));
}
