/**
 * What an operator watches (SPEC 9.4, admin only): the online GC review
 * queues (size, overdue, oldest due) and the notification outbox (pending
 * and failed per endpoint, the failed events, replay).
 */
import { gcQueueStats } from '../../gc/queue-stats.js';
import { databaseOutbox } from '../../notifications/db-outbox.js';
import { readBody, sendJson, str } from './http.js';
import { requireAdmin, requireWrite } from './resources.js';
import type { Route } from './router.js';

export const operationRoutes: Route[] = [
  [
    'GET',
    /^\/registry\/gc$/,
    async (ctx) => {
      requireAdmin(ctx);
      const queues = await gcQueueStats(ctx.db);
      sendJson(
        ctx.res,
        200,
        queues.map((q) => ({ queue: q.queue, size: q.size, overdue: q.overdue, oldest_due_at: q.oldestDue?.toISOString() ?? null })),
      );
    },
  ],
  [
    'GET',
    /^\/registry\/notifications$/,
    async (ctx) => {
      requireAdmin(ctx);
      const outbox = databaseOutbox(ctx.db);
      const failed = (await outbox.listFailed(undefined)).slice(0, 100);
      sendJson(ctx.res, 200, {
        endpoints: await outbox.stats(),
        failed: failed.map((e) => ({ id: e.id, endpoint: e.endpoint, action: e.event.action, repository: e.event.target?.repository ?? null, attempts: e.attempts, last_error: e.lastError ?? null })),
      });
    },
  ],
  [
    'POST',
    /^\/registry\/notifications\/replay$/,
    async (ctx) => {
      requireAdmin(ctx);
      requireWrite(ctx);
      const body = await readBody(ctx.req);
      const ids = Array.isArray(body.ids) ? body.ids.map(String) : undefined;
      const replayed = await databaseOutbox(ctx.db).replay(str(body, 'endpoint'), ids);
      sendJson(ctx.res, 200, { replayed });
    },
  ],
];
