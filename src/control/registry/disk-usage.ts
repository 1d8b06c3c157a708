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
import type { NamespaceRow, ProjectRow } from '../store/rows.js';
import { cachedBlobsOfGroup } from '../../virtual/store.js';

/** One project's usage. */
export interface DiskUsage {
  readonly project_id: number;
  readonly project_path: string;
  readonly creator_id: number | null;
  readonly registry_size_bytes: number;
  readonly repositories: number;
  readonly layers: number;
}

/** Adds the layers reachable from every tag of a project's repositories to `layers`; returns the number of repositories. */
async function collectLayers(q: Queryer, registry: RegistryClient, projectId: number, layers: Map<string, number>): Promise<number> {
  const { rows } = await listContainerRepositories(q, projectId, 100_000, 0);
  for (const repo of rows) {
    for (const tag of await registry.tags(repo.path)) {
      for (const l of await registry.layers(repo.path, tag.name)) if (!layers.has(l.digest)) layers.set(l.digest, l.size);
    }
  }
  return rows.length;
}

const total = (sizes: Iterable<number>) => {
  let sum = 0;
  for (const s of sizes) sum += s;
  return sum;
};

/** Computes a project's deduplicated registry size. */
export async function projectDiskUsage(q: Queryer, registry: RegistryClient, project: ProjectRow): Promise<DiskUsage> {
  const layers = new Map<string, number>();
  const repositories = await collectLayers(q, registry, project.id, layers);
  return { project_id: project.id, project_path: project.full_path, creator_id: project.creator_id, registry_size_bytes: total(layers.values()), repositories, layers: layers.size };
}

/** A group's usage: its projects' layers (the group and its subgroups) and the blobs its virtual registries cache. */
export interface GroupDiskUsage {
  readonly group_id: number;
  readonly group_path: string;
  readonly projects: number;
  readonly repositories: number;
  /** Layers reachable from the tags of the group's projects, each counted once. */
  readonly container_registry_size_bytes: number;
  /** Blobs cached by the group's virtual registry upstreams, each counted once (SPEC 8.4). */
  readonly virtual_registry_cache_size_bytes: number;
  /** Both together, a blob held by a project and by the cache counted once: what the group keeps on disk. */
  readonly total_size_bytes: number;
}

export async function groupDiskUsage(q: Queryer, registry: RegistryClient, group: NamespaceRow): Promise<GroupDiskUsage> {
  const projects = await q.query<{ id: string }>(
    'cp_group_tree_projects',
    `WITH RECURSIVE tree AS (SELECT id FROM namespaces WHERE id = $1 UNION ALL SELECT n.id FROM namespaces n JOIN tree t ON n.parent_id = t.id)
     SELECT p.id FROM projects p WHERE p.namespace_id IN (SELECT id FROM tree) ORDER BY p.id`,
    [group.id],
  );
  const layers = new Map<string, number>();
  let repositories = 0;
  for (const p of projects) repositories += await collectLayers(q, registry, Number(p.id), layers);
  const cached = await cachedBlobsOfGroup(q, group.id);
  const all = new Map(layers);
  for (const b of cached) all.set(b.digest, b.size);
  return {
    group_id: group.id,
    group_path: group.full_path,
    projects: projects.length,
    repositories,
    container_registry_size_bytes: total(layers.values()),
    virtual_registry_cache_size_bytes: total(cached.map((b) => b.size)),
    total_size_bytes: total(all.values()),
  };
}

/** The seed's CSV: `project_id,creator_id,registry_size_bytes,project path`, projects with a size only. */
export function diskUsageCsv(usages: readonly DiskUsage[]): string {
  const lines = ['project_id,creator_id,registry_size_bytes,project path'];
  for (const u of usages) if (u.registry_size_bytes > 0) lines.push(`${u.project_id},${u.creator_id ?? ''},${u.registry_size_bytes},${u.project_path}`);
  return `${lines.join('\n')}\n`;
}
