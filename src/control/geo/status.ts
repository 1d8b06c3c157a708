/**
 * A site's Geo status (SPEC 7.7) with GitLab's field names
 * (`GeoNodeStatus`): repository counts by state, the event cursor, and the
 * replication lag in seconds: 0 when every event was read and every
 * repository is synced, else the age of the oldest change not yet synced.
 */
import type { Database } from '../../db/queryer.js';
import { lastEvent, registryCounts, siteState } from './store.js';
import type { GeoRoleNow } from './site.js';

export interface SiteStatus {
  readonly name: string;
  readonly role: 'none' | 'primary' | 'secondary';
  readonly generation: number;
  readonly primary_name: string | null;
  readonly primary_api_url: string | null;
  readonly container_repositories_count: number;
  readonly container_repositories_registry_count: number;
  readonly container_repositories_pending_count: number;
  readonly container_repositories_started_count: number;
  readonly container_repositories_synced_count: number;
  readonly container_repositories_failed_count: number;
  readonly container_repositories_verified_count: number;
  readonly container_repositories_verification_failed_count: number;
  readonly container_repositories_synced_in_percentage: string;
  readonly cursor_last_event_id: number | null;
  readonly cursor_last_event_timestamp: number | null;
  readonly last_event_id: number | null;
  readonly last_event_timestamp: number | null;
  readonly replication_lag_seconds: number | null;
  readonly last_error: string | null;
  readonly updated_at: string;
}

const seconds = (iso: string | null | undefined) => (iso ? Math.floor(new Date(iso).getTime() / 1000) : null);

/** Computes this site's status now. */
export async function computeStatus(db: Database, name: string, role: GeoRoleNow, lastError?: string): Promise<SiteStatus> {
  const c = await registryCounts(db);
  const s = await siteState(db);
  const primaryLog = role.role === 'primary' ? await lastEvent(db) : undefined;
  const lastId = primaryLog ? primaryLog.id : s.primary_last_event_id;
  const lastAt = primaryLog ? primaryLog.at : s.primary_last_event_at;
  let lag: number | null = null;
  if (role.role === 'secondary') {
    const behind = (s.primary_last_event_id ?? 0) > s.cursor_event_id;
    const oldest = [c.oldestPendingAt, behind ? (s.cursor_event_at ?? s.primary_last_event_at) : null].filter((x): x is string => Boolean(x)).map((x) => new Date(x).getTime());
    lag = oldest.length === 0 || (c.pending + c.started + c.failed === 0 && !behind) ? 0 : Math.max(0, Math.round((Date.now() - Math.min(...oldest)) / 1000));
  }
  return {
    name,
    role: role.role,
    generation: role.generation,
    primary_name: role.primary?.name ?? null,
    primary_api_url: role.primary?.apiUrl ?? null,
    container_repositories_count: c.total,
    container_repositories_registry_count: c.total,
    container_repositories_pending_count: c.pending,
    container_repositories_started_count: c.started,
    container_repositories_synced_count: c.synced,
    container_repositories_failed_count: c.failed,
    container_repositories_verified_count: c.verified,
    container_repositories_verification_failed_count: c.verificationFailed,
    container_repositories_synced_in_percentage: c.total === 0 ? '0.00%' : `${((100 * c.synced) / c.total).toFixed(2)}%`,
    cursor_last_event_id: role.role === 'secondary' ? s.cursor_event_id : null,
    cursor_last_event_timestamp: role.role === 'secondary' ? seconds(s.cursor_event_at) : null,
    last_event_id: lastId,
    last_event_timestamp: seconds(lastAt),
    replication_lag_seconds: lag,
    last_error: lastError ?? null,
    updated_at: new Date().toISOString(),
  };
}
