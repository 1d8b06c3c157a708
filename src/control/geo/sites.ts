/** Geo's admin services (SPEC 7.1, 7.3, 7.6): sites, resync, promotion; the REST API and the CLI both call these. */
import type { Database } from '../../db/queryer.js';
import { DomainError, invalid } from '../domain-error.js';
import { deleteSite, insertSite, listSites, scheduleResync, siteByName, type GeoSiteRow } from './store.js';

const httpUrl = (value: unknown, key: string): string => {
  if (typeof value !== 'string') throw invalid(`${key} is missing`);
  try {
    const u = new URL(value);
    if (u.protocol === 'http:' || u.protocol === 'https:') return value.replace(/\/+$/, '');
  } catch {
    // fall through
  }
  throw invalid(`${key} must be an http(s) URL`);
};

/** Registers a secondary site. */
export async function addSite(db: Database, input: { name?: unknown; api_url?: unknown; registry_url?: unknown }): Promise<GeoSiteRow> {
  if (typeof input.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(input.name)) throw invalid('name must be 1–255 letters, digits, dots, dashes or underscores');
  const row = await insertSite(db, { name: input.name, api_url: httpUrl(input.api_url, 'api_url'), registry_url: httpUrl(input.registry_url, 'registry_url') });
  if (!row) throw new DomainError('conflict', `a site named ${input.name} exists`);
  return row;
}

/** Removes a site by id or name. */
export async function removeSite(db: Database, ref: string): Promise<void> {
  const row = /^\d+$/.test(ref) ? (await listSites(db)).find((s) => s.id === Number(ref)) : await siteByName(db, ref);
  if (!row || !(await deleteSite(db, row.id))) throw new DomainError('not_found', `no site ${ref}`);
}

/** Schedules a resync of one repository or of all; returns how many. */
export async function resync(db: Database, path: string | undefined, verify: boolean): Promise<number> {
  const n = await scheduleResync(db, path, verify);
  if (path !== undefined && n === 0) throw new DomainError('not_found', `this site has no sync record of ${path}`);
  return n;
}
