/**
 * Registry disk usage per project (SPEC 6.4), as seed 002's script computes
 * it: the sizes of the image layers reachable from every tag of every
 * repository of the project, each layer counted once per project. Layers
 * shared with other projects count in each, so the figures compare projects
 * rather than add up to the disk.
 */
import type { Queryer } from '../../db/queryer.js';
import type { RegistryClient } from '../registry-client.js';
import { listContainerRepositories } from '../store/registry-records.js';
import type { ProjectRow } from '../store/rows.js';

/** One project's usage. */
export interface DiskUsage {
  readonly project_id: number;
  readonly project_path: string;
  readonly creator_id: number | null;
  readonly registry_size_bytes: number;
  readonly repositories: number;
  readonly layers: number;
}

/** Computes a project's deduplicated registry size. */
export async function projectDiskUsage(q: Queryer, registry: RegistryClient, project: ProjectRow): Promise<DiskUsage> {
  const { rows } = await listContainerRepositories(q, project.id, 100_000, 0);
  const layers = new Map<string, number>();
  for (const repo of rows) {
    for (const tag of await registry.tags(repo.path)) {
      for (const l of await registry.layers(repo.path, tag.name)) if (!layers.has(l.digest)) layers.set(l.digest, l.size);
    }
  }
  let size = 0;
  for (const s of layers.values()) size += s;
  return { project_id: project.id, project_path: project.full_path, creator_id: project.creator_id, registry_size_bytes: size, repositories: rows.length, layers: layers.size };
}

/** The seed's CSV: `project_id,creator_id,registry_size_bytes,project path`, projects with a size only. */
export function diskUsageCsv(usages: readonly DiskUsage[]): string {
  const lines = ['project_id,creator_id,registry_size_bytes,project path'];
  for (const u of usages) if (u.registry_size_bytes > 0) lines.push(`${u.project_id},${u.creator_id ?? ''},${u.registry_size_bytes},${u.project_path}`);
  return `${lines.join('\n')}\n`;
}
