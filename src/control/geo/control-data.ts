/**
 * The control plane's own data on every site (SPEC 7.1: tokens issued by a
 * secondary work on both sites; after a failover the new primary knows every
 * user and project). GitLab replicates its Rails database with PostgreSQL
 * streaming; Wharf's sites share no database, so a secondary copies the
 * primary's control-plane tables whole (users, groups, projects, members,
 * tokens — hashes only —, settings, tag rules, cleanup policies, virtual
 * registries and their upstreams, whose sealed passwords open with the same
 * `http.secret`) whenever
 * their checksum changes, ids kept, in one transaction. Changes to these are
 * made on the primary: a secondary's copy is replaced.
 */
import { createHash } from 'node:crypto';
import type { Database, Queryer } from '../../db/queryer.js';

/** In foreign-key order. */
const TABLES = [
  'users',
  'namespaces',
  'projects',
  'members',
  'personal_access_tokens',
  'deploy_tokens',
  'application_settings',
  'container_repositories',
  'container_tag_rules',
  'container_expiration_policies',
  'virtual_registries_container_registries',
  'virtual_registries_container_upstreams',
  'virtual_registries_container_registry_upstreams',
] as const;

/** Those whose `id` is a bigserial (its sequence moves past the copied ids). */
const SERIAL: ReadonlySet<string> = new Set(TABLES.filter((t) => t !== 'application_settings' && t !== 'container_expiration_policies'));

/** A snapshot: each table's rows as JSON. */
export type ControlData = Record<(typeof TABLES)[number], unknown[]>;

/** Reads the snapshot and its checksum. */
export async function readControlData(db: Queryer): Promise<{ data: ControlData; checksum: string }> {
  const data = {} as ControlData;
  for (const t of TABLES) {
    const rows = await db.query<{ rows: unknown[] | null }>(`geo_control_read_${t}`, `SELECT json_agg(t ORDER BY t::text) AS rows FROM ${t} t`);
    data[t] = rows[0]?.rows ?? [];
  }
  return { data, checksum: `sha256:${createHash('sha256').update(JSON.stringify(data)).digest('hex')}` };
}

/** Only the checksum (what a status reply carries). */
export async function controlDataChecksum(db: Queryer): Promise<string> {
  return (await readControlData(db)).checksum;
}

/** Replaces this site's control-plane tables with a snapshot. */
export async function applyControlData(db: Database, data: ControlData): Promise<void> {
  await db.transaction(async (tx) => {
    // CASCADE also empties what refers to these and is this site's own: its virtual registry cache entries (refilled on use).
    await tx.query('geo_control_truncate', `TRUNCATE ${[...TABLES].reverse().join(', ')} CASCADE`);
    for (const t of TABLES) {
      const rows = Array.isArray(data[t]) ? data[t] : [];
      if (rows.length > 0) await tx.query(`geo_control_write_${t}`, `INSERT INTO ${t} SELECT * FROM json_populate_recordset(NULL::${t}, $1::json)`, [JSON.stringify(rows)]);
      if (SERIAL.has(t)) await tx.query(`geo_control_seq_${t}`, `SELECT setval(pg_get_serial_sequence('${t}', 'id'), COALESCE((SELECT max(id) FROM ${t}), 0) + 1, false)`);
    }
  });
}
