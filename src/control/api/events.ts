/**
 * `POST /api/v4/container_registry_event/events` (SPEC 4.6): the registry's
 * notifications. The `Authorization` header must equal
 * `controlplane.notificationsecret` (compared in constant time; with no secret
 * configured every call is refused). Push events create or touch the
 * container repository of the project the image path belongs to.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Database } from '../../db/queryer.js';
import type { Logger } from '../../observability/logger.js';
import { safeEqual } from '../secrets.js';
import { upsertContainerRepository } from '../store/registry-records.js';
import { projectForRepository } from '../store/tenancy.js';
import { isValidName } from '../../oci/names.js';
import { ApiError, readBody, sendJson } from './http.js';

/** The events path under `/api/v4`. */
export const EVENTS_PATH = '/container_registry_event/events';

interface RegistryEvent {
  action?: unknown;
  target?: { repository?: unknown };
}

/** Handles one events request. */
export async function receiveEvents(req: IncomingMessage, res: ServerResponse, db: Database, secret: string | undefined, log: Logger): Promise<void> {
  if (req.method !== 'POST') throw new ApiError(405, '405 Method Not Allowed');
  const given = req.headers.authorization ?? '';
  if (!secret || !safeEqual(given, secret)) {
    req.resume();
    throw new ApiError(401, '401 Unauthorized');
  }
  const body = await readBody(req, 16 * 1024 * 1024);
  const events = Array.isArray(body.events) ? (body.events as RegistryEvent[]) : [];
  const recorded = await recordRegistryEvents(db, events);
  log.debug({ events: events.length, recorded }, 'registry events received');
  sendJson(res, 200, {});
}

/** Creates or touches the container repository of each push event's project; returns how many were recorded. */
export async function recordRegistryEvents(db: Database, events: readonly RegistryEvent[]): Promise<number> {
  let recorded = 0;
  for (const e of events) {
    const repository = e.target?.repository;
    if (e.action !== 'push' || typeof repository !== 'string' || !isValidName(repository)) continue;
    const project = await projectForRepository(db, repository);
    if (!project) continue;
    await upsertContainerRepository(db, project.id, repository.slice(project.full_path.length + 1), repository);
    recorded++;
  }
  return recorded;
}
