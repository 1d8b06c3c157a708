/**
 * Import of legacy metadata (Distribution's link files, from Wharf or CNCF
 * Distribution) into the database (SPEC 3.4). Per repository, in steps:
 *
 * - `manifests` (step one, "pre-import"): every manifest revision, with its
 *   references, layers and the blobs it uses; safe while the registry still
 *   serves in legacy mode.
 * - `tags` (step two): tags, plus manifests pushed since step one; the
 *   registry must be read-only (or stopped) meanwhile.
 * - `blobs` (step three): blobs linked into the repository that no manifest
 *   references.
 *
 * Each repository and step is one transaction, recorded in
 * `legacy_import_progress`, so an interrupted import resumes where it stopped
 * and a repeated one does nothing twice. A dry run runs every transaction and
 * rolls it back.
 */
import { blobDataPath } from '../../storage/layout.js';
import { statOrUndefined, getContentOrUndefined, type StorageDriver } from '../../storage/driver.js';
import type { Digest } from '../../oci/digest.js';
import { digestOf } from '../../oci/digest.js';
import { parseManifest, type ParsedManifest } from '../../manifest/parse.js';
import { ensureRepository, MediaTypes } from '../database/lookups.js';
import { insertManifest } from '../database/manifest-writes.js';
import type { Database, Queryer } from '../../db/queryer.js';
import { legacyLayerLinks, legacyRepositories, legacyRevisions, legacyTags } from '../legacy/legacy-reader.js';

/** The steps of an import; the one-step method runs all three. */
export type ImportStep = 'manifests' | 'tags' | 'blobs';
export const ALL_STEPS: readonly ImportStep[] = ['manifests', 'tags', 'blobs'];

/** What an import did (or, dry, would do). */
export interface ImportReport {
  repositories: number;
  skippedRepositories: number;
  manifests: number;
  tags: number;
  blobs: number;
  /** Manifests that could not be read or parsed, and tags pointing at them. */
  problems: string[];
}

/** Options of one import run. */
export interface ImportOptions {
  readonly steps: readonly ImportStep[];
  readonly dryRun: boolean;
  /** Called after each repository. */
  readonly onProgress?: (done: number, total: number, repository: string) => void;
}

class DryRunRollback extends Error {}

const PERMISSIVE = { schema1: true, urls: { allow: [/.*/], deny: [] } } as const;

/** Imports the legacy metadata under `driver` into `db`. */
export async function importLegacy(driver: StorageDriver, db: Database, opts: ImportOptions): Promise<ImportReport> {
  const report: ImportReport = { repositories: 0, skippedRepositories: 0, manifests: 0, tags: 0, blobs: 0, problems: [] };
  const repos = await legacyRepositories(driver);
  const done = new Set((await db.query<{ k: string }>('import_progress', "SELECT repository_path || ' ' || step AS k FROM legacy_import_progress")).map((r) => r.k));
  for (const [i, name] of repos.entries()) {
    const steps = opts.steps.filter((s) => !done.has(`${name} ${s}`));
    if (steps.length === 0) report.skippedRepositories++;
    else {
      const local: ImportReport = { repositories: 1, skippedRepositories: 0, manifests: 0, tags: 0, blobs: 0, problems: [] };
      try {
        // Media type ids are cached per transaction here: a rolled-back one (dry run) must not leak ids.
        const mediaTypes = new MediaTypes();
        await db.transaction(
          async (tx) => {
            const repo = await ensureRepository(tx, name);
            for (const step of steps) {
              if (step === 'manifests') await importManifests(driver, tx, repo, name, mediaTypes, local);
              if (step === 'tags') await importTags(driver, tx, repo, name, mediaTypes, local);
              if (step === 'blobs') await importBlobs(driver, tx, repo, name, local);
              await tx.query('import_progress_record', 'INSERT INTO legacy_import_progress (repository_path, step) VALUES ($1, $2) ON CONFLICT DO NOTHING', [name, step]);
            }
            if (opts.dryRun) throw new DryRunRollback();
          },
          { unbounded: true },
        );
      } catch (err) {
        if (!(err instanceof DryRunRollback)) throw err;
      }
      for (const k of ['repositories', 'manifests', 'tags', 'blobs'] as const) report[k] += local[k];
      report.problems.push(...local.problems);
    }
    opts.onProgress?.(i + 1, repos.length, name);
  }
  return report;
}

/** Links a blob into the repository with its size from storage; false when its data is missing. */
async function importBlob(driver: StorageDriver, tx: Queryer, repo: number, d: Digest): Promise<boolean> {
  const info = await statOrUndefined(driver, blobDataPath(d));
  if (!info) return false;
  await tx.query('import_blob', 'INSERT INTO blobs (digest, size) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING', [d.value, info.size]);
  await tx.query('import_blob_link', 'INSERT INTO repository_blobs (repository_id, blob_digest) VALUES ($1, $2) ON CONFLICT DO NOTHING', [repo, d.value]);
  return true;
}

/** Imports one manifest revision; returns false (and records why) when it cannot be read. */
async function importManifest(driver: StorageDriver, tx: Queryer, repo: number, name: string, d: Digest, mediaTypes: MediaTypes, report: ImportReport): Promise<boolean> {
  const payload = await getContentOrUndefined(driver, blobDataPath(d));
  if (!payload) {
    report.problems.push(`${name}@${d.value}: manifest payload missing from storage`);
    return false;
  }
  let parsed: ParsedManifest;
  try {
    parsed = parseManifest(payload, undefined, PERMISSIVE);
  } catch (err) {
    report.problems.push(`${name}@${d.value}: ${(err as Error).message}`);
    return false;
  }
  if (digestOf(parsed.canonical ?? payload, d.algorithm) !== d.value) {
    report.problems.push(`${name}@${d.value}: stored bytes do not match the digest`);
    return false;
  }
  const blobs: Array<{ digest: Digest; size: number; mediaType: string }> = [];
  for (const b of parsed.blobs) {
    const size = b.size || ((await statOrUndefined(driver, blobDataPath(b.digest)))?.size ?? 0);
    blobs.push({ digest: b.digest, size, mediaType: b.mediaType });
    await importBlob(driver, tx, repo, b.digest);
  }
  await insertManifest(
    tx,
    repo,
    {
      digest: d,
      mediaType: parsed.mediaType,
      size: payload.length,
      artifactType: parsed.artifactType,
      annotations: parsed.annotations,
      subject: parsed.subject,
      payload,
      blobs,
      config: parsed.config?.digest,
      manifests: parsed.manifests.map((m) => m.digest),
    },
    mediaTypes,
  );
  report.manifests++;
  return true;
}

async function importManifests(driver: StorageDriver, tx: Queryer, repo: number, name: string, mediaTypes: MediaTypes, report: ImportReport): Promise<void> {
  for (const d of await legacyRevisions(driver, name)) await importManifest(driver, tx, repo, name, d, mediaTypes, report);
}

async function importTags(driver: StorageDriver, tx: Queryer, repo: number, name: string, mediaTypes: MediaTypes, report: ImportReport): Promise<void> {
  for (const { tag, digest } of await legacyTags(driver, name)) {
    let rows = await tx.query<{ id: string }>('import_manifest_id', 'SELECT id FROM manifests WHERE repository_id = $1 AND digest = $2', [repo, digest.value]);
    // Pushed after step one: import it now.
    if (!rows[0] && (await importManifest(driver, tx, repo, name, digest, mediaTypes, report))) {
      rows = await tx.query<{ id: string }>('import_manifest_id', 'SELECT id FROM manifests WHERE repository_id = $1 AND digest = $2', [repo, digest.value]);
    }
    const id = rows[0]?.id;
    if (id === undefined) {
      report.problems.push(`${name}:${tag}: points at ${digest.value}, which could not be imported`);
      continue;
    }
    await tx.query('import_tag', 'INSERT INTO tags (repository_id, name, manifest_id) VALUES ($1, $2, $3) ON CONFLICT (repository_id, name) DO UPDATE SET manifest_id = EXCLUDED.manifest_id', [repo, tag, id]);
    report.tags++;
  }
}

async function importBlobs(driver: StorageDriver, tx: Queryer, repo: number, name: string, report: ImportReport): Promise<void> {
  for (const d of await legacyLayerLinks(driver, name)) {
    if (await importBlob(driver, tx, repo, d)) report.blobs++;
    else report.problems.push(`${name}: linked blob ${d.value} has no data in storage`);
  }
}
