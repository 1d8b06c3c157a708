/**
 * The registry part of `/api/v4`: a project's (or group's) container
 * repositories with sizes, one repository, scheduled repository deletion,
 * tags (list, details, delete, bulk delete by regex). Reading needs what a
 * pull needs; deleting what a registry delete needs (Developer).
 */
import { registryActions } from '../abilities.js';
import { enqueueJob } from '../jobs/queue.js';
import { BULK_DELETE_TAGS } from '../registry/jobs.js';
import { resetFailedDeletion, scheduleDeletion } from '../registry/deletions.js';
import { diskUsageCsv, groupDiskUsage, projectDiskUsage } from '../registry/disk-usage.js';
import { compileAnchored, parseOlderThan } from '../registry/tag-selection.js';
import { userOf } from '../principal.js';
import { effectiveLevel } from '../abilities.js';
import { RegistryCallError } from '../registry-client.js';
import { tagGuardFor, type TagGuard } from '../registry/tag-protection.js';
import { containerRepositoryById, getSettings, listContainerRepositories, repositoriesByStatus } from '../store/registry-records.js';
import { ACCESS_LEVELS, type ContainerRepositoryRow, type ProjectRow } from '../store/rows.js';
import { ApiError, badRequest, forbidden, int, notFound, pageOf, readBody, sendJson, sendPage, str, type ApiContext } from './http.js';
import { presentRepository } from './present.js';
import { loadGroup, loadProject, requireAdmin, requireWrite } from './resources.js';
import { listVisibleProjects } from '../store/tenancy.js';
import type { Route } from './router.js';

async function projectWith(ctx: ApiContext, ref: string, action: 'pull' | 'delete'): Promise<ProjectRow> {
  return (await projectAndLevel(ctx, ref, action)).project;
}

/** The project, checked for `action`, and the caller's member level there. */
async function projectAndLevel(ctx: ApiContext, ref: string, action: 'pull' | 'delete'): Promise<{ project: ProjectRow; level: number }> {
  const { project, level } = await loadProject(ctx, ref);
  const actions = registryActions(ctx.principal.kind === 'user' ? { ...ctx.principal, scopes: undefined } : ctx.principal, project, await getSettings(ctx.db), level);
  if (!actions.has(action)) throw action === 'pull' ? notFound('Project') : forbidden();
  return { project, level };
}

/** The project and what the actor may delete there (tag rules at the actor's level; deploy tokens count as no level). */
async function projectForDelete(ctx: ApiContext, ref: string): Promise<{ project: ProjectRow; guard: TagGuard }> {
  const { project, level } = await projectAndLevel(ctx, ref, 'delete');
  const acting = ctx.principal.kind === 'deploy_token' ? 0 : effectiveLevel(ctx.principal, level);
  return { project, guard: await tagGuardFor(ctx.db, project.id, acting) };
}

/** A refusal by the registry in the API's words: 403 for tag rules, 400 when deletes are off; anything else stays an error. */
function registryRefusal(err: unknown): unknown {
  if (!(err instanceof RegistryCallError)) return err;
  if (err.code === 'PROTECTED_TAG' || err.code === 'IMMUTABLE_TAG' || err.code === 'PROTECTED_MANIFEST')
    return new ApiError(403, `403 Forbidden - the registry refused: ${err.code === 'IMMUTABLE_TAG' ? 'the tag is immutable' : 'the tag is protected'}`);
  if (err.code === 'UNSUPPORTED') return new ApiError(400, 'deletes are disabled on this registry (storage.delete.enabled is false, or it is read-only)');
  return err;
}

async function repositoryIn(ctx: ApiContext, project: ProjectRow, id: string): Promise<ContainerRepositoryRow> {
  const repo = await containerRepositoryById(ctx.db, Number(id), project.id);
  if (!repo) throw notFound('Repository');
  return repo;
}

/** The tag named by a `/projects/:id/registry/repositories/:rid/tags/:name` path, read with pull rights; 404 when absent. */
async function tagIn(ctx: ApiContext) {
  const project = await projectWith(ctx, ctx.params[0]!, 'pull');
  const repo = await repositoryIn(ctx, project, ctx.params[1]!);
  const name = decodeURIComponent(ctx.params[2]!);
  const tag = (await ctx.services.registry.tags(repo.path)).find((t) => t.name === name);
  if (!tag) throw notFound('Tag');
  return { repo, tag };
}

async function describe(ctx: ApiContext, repo: ContainerRepositoryRow, withTags: boolean, withSize: boolean) {
  const host = await ctx.services.registryHost();
  const out: Record<string, unknown> = presentRepository(repo, host);
  const wantTags = withTags || ctx.url.searchParams.get('tags_count') === 'true';
  const tags = wantTags ? await ctx.services.registry.tags(repo.path) : undefined;
  if (tags && ctx.url.searchParams.get('tags_count') === 'true') out.tags_count = tags.length;
  if (tags && withTags) out.tags = tags.map((t) => ({ name: t.name, path: `${repo.path}:${t.name}`, location: `${host}/${repo.path}:${t.name}` }));
  if (withSize) out.size = (await ctx.services.registry.size(repo.path)) ?? null;
  return out;
}

export const registryRoutes: Route[] = [
  [
    'GET',
    /^\/projects\/([^/]+)\/registry\/repositories$/,
    async (ctx) => {
      const project = await projectWith(ctx, ctx.params[0]!, 'pull');
      const { perPage, offset } = pageOf(ctx.url);
      const { rows, total } = await listContainerRepositories(ctx.db, project.id, perPage, offset);
      const tags = ctx.url.searchParams.get('tags') === 'true';
      sendPage(ctx, await Promise.all(rows.map((r) => describe(ctx, r, tags, true))), total);
    },
  ],
  [
    'GET',
    /^\/projects\/([^/]+)\/registry\/disk_usage$/,
    async (ctx) => {
      const project = await projectWith(ctx, ctx.params[0]!, 'pull');
      sendJson(ctx.res, 200, await projectDiskUsage(ctx.db, ctx.services.registry, project));
    },
  ],
  [
    'GET',
    /^\/groups\/([^/]+)\/registry\/disk_usage$/,
    async (ctx) => {
      // Reporter and up, as the repositories of its projects.
      const { group } = await loadGroup(ctx, ctx.params[0]!, ACCESS_LEVELS.reporter);
      sendJson(ctx.res, 200, await groupDiskUsage(ctx.db, ctx.services.registry, group));
    },
  ],
  [
    'GET',
    /^\/registry\/disk_usage$/,
    async (ctx) => {
      requireAdmin(ctx);
      const { rows } = await listVisibleProjects(ctx.db, { admin: true }, undefined, 10_000, 0);
      const usages = [];
      for (const p of rows) usages.push(await projectDiskUsage(ctx.db, ctx.services.registry, p));
      if (ctx.url.searchParams.get('format') === 'csv') {
        const csv = diskUsageCsv(usages);
        ctx.res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Length': Buffer.byteLength(csv) }).end(csv);
        return;
      }
      sendJson(ctx.res, 200, usages);
    },
  ],
  [
    'GET',
    /^\/groups\/([^/]+)\/registry\/repositories$/,
    async (ctx) => {
      const { group } = await loadGroup(ctx, ctx.params[0]!);
      const user = userOf(ctx.principal);
      const { rows: projects } = await listVisibleProjects(ctx.db, { userId: user?.id, admin: user?.admin ?? false }, group.id, 10_000, 0);
      const out = [];
      for (const p of projects) {
        const readable = await projectWith(ctx, String(p.id), 'pull').then(
          () => true,
          () => false,
        );
        if (readable) out.push(...(await listContainerRepositories(ctx.db, p.id, 10_000, 0)).rows);
      }
      const { perPage, offset } = pageOf(ctx.url);
      sendPage(ctx, await Promise.all(out.slice(offset, offset + perPage).map((r) => describe(ctx, r, false, false))), out.length);
    },
  ],
  [
    'GET',
    /^\/registry\/repositories\/(\d+)$/,
    async (ctx) => {
      const repo = await containerRepositoryById(ctx.db, Number(ctx.params[0]));
      if (!repo) throw notFound('Repository');
      await projectWith(ctx, String(repo.project_id), 'pull').catch(() => {
        throw notFound('Repository');
      });
      sendJson(ctx.res, 200, await describe(ctx, repo, ctx.url.searchParams.get('tags') === 'true', ctx.url.searchParams.get('size') === 'true'));
    },
  ],
  [
    'DELETE',
    /^\/projects\/([^/]+)\/registry\/repositories\/(\d+)$/,
    async (ctx) => {
      requireWrite(ctx);
      const { project, guard } = await projectForDelete(ctx, ctx.params[0]!);
      const repo = await repositoryIn(ctx, project, ctx.params[1]!);
      // Deleting a repository deletes its tags: refused, naming the rule, when one of them must stay for this actor.
      for (const t of await ctx.services.registry.tags(repo.path)) {
        const refusal = guard.refusal(t.name);
        if (refusal) throw new ApiError(403, `403 Forbidden - the repository holds a tag this user may not delete: ${refusal}`);
      }
      await scheduleDeletion(ctx.db, repo.id, guard.meta);
      sendJson(ctx.res, 202, null);
    },
  ],
  // Admin: repositories whose deletion is scheduled, ongoing or failed, and resetting failed ones (SPEC 6.2).
  [
    'GET',
    /^\/registry\/repositories$/,
    async (ctx) => {
      requireAdmin(ctx);
      const status = ctx.url.searchParams.get('status') ?? 'delete_failed';
      if (!['delete_scheduled', 'delete_ongoing', 'delete_failed'].includes(status)) throw badRequest('status does not have a valid value');
      const host = await ctx.services.registryHost();
      sendJson(
        ctx.res,
        200,
        (await repositoriesByStatus(ctx.db, status as 'delete_failed')).map((r) => presentRepository(r, host)),
      );
    },
  ],
  [
    'POST',
    /^\/registry\/repositories\/(\d+)\/reset_deletion$/,
    async (ctx) => {
      requireAdmin(ctx);
      requireWrite(ctx);
      if (!(await resetFailedDeletion(ctx.db, Number(ctx.params[0])))) throw new ApiError(409, 'the repository is not in delete_failed');
      sendJson(ctx.res, 202, null);
    },
  ],
  [
    'GET',
    /^\/projects\/([^/]+)\/registry\/repositories\/(\d+)\/tags$/,
    async (ctx) => {
      const project = await projectWith(ctx, ctx.params[0]!, 'pull');
      const repo = await repositoryIn(ctx, project, ctx.params[1]!);
      const host = await ctx.services.registryHost();
      const tags = await ctx.services.registry.tags(repo.path);
      const { perPage, offset } = pageOf(ctx.url);
      sendPage(
        ctx,
        tags.slice(offset, offset + perPage).map((t) => ({ name: t.name, path: `${repo.path}:${t.name}`, location: `${host}/${repo.path}:${t.name}` })),
        tags.length,
      );
    },
  ],
  [
    'GET',
    /^\/projects\/([^/]+)\/registry\/repositories\/(\d+)\/tags\/([^/]+)$/,
    async (ctx) => {
      const { repo, tag } = await tagIn(ctx);
      const host = await ctx.services.registryHost();
      const revision = tag.digest?.split(':')[1];
      sendJson(ctx.res, 200, {
        name: tag.name,
        path: `${repo.path}:${tag.name}`,
        location: `${host}/${repo.path}:${tag.name}`,
        digest: tag.digest ?? null,
        revision: revision ?? null,
        short_revision: revision?.slice(0, 9) ?? null,
        total_size: tag.size_bytes ?? null,
        created_at: tag.created_at ?? null,
      });
    },
  ],
  [
    'GET',
    /^\/projects\/([^/]+)\/registry\/repositories\/(\d+)\/tags\/([^/]+)\/referrers$/,
    async (ctx) => {
      // Wharf's: the referrers (signatures, SBOMs) of a tag's manifest, for the admin page.
      const { repo, tag } = await tagIn(ctx);
      if (!tag.digest) throw notFound('Tag');
      sendJson(
        ctx.res,
        200,
        (await ctx.services.registry.referrers(repo.path, tag.digest)).map((r) => ({ digest: r.digest, artifact_type: r.artifactType, media_type: r.mediaType, size: r.size, annotations: r.annotations })),
      );
    },
  ],
  [
    'DELETE',
    /^\/projects\/([^/]+)\/registry\/repositories\/(\d+)\/tags\/([^/]+)$/,
    async (ctx) => {
      requireWrite(ctx);
      const { project, guard } = await projectForDelete(ctx, ctx.params[0]!);
      const repo = await repositoryIn(ctx, project, ctx.params[1]!);
      const tag = decodeURIComponent(ctx.params[2]!);
      const refusal = guard.refusal(tag);
      if (refusal) throw new ApiError(403, `403 Forbidden - ${refusal}`);
      const deleted = await ctx.services.registry.deleteTag(repo.path, tag, guard.meta).catch((err: unknown) => {
        throw registryRefusal(err);
      });
      if (!deleted) throw notFound('Tag');
      sendJson(ctx.res, 200, null);
    },
  ],
  [
    'DELETE',
    /^\/projects\/([^/]+)\/registry\/repositories\/(\d+)\/tags$/,
    async (ctx) => {
      requireWrite(ctx);
      const { project, guard } = await projectForDelete(ctx, ctx.params[0]!);
      const repo = await repositoryIn(ctx, project, ctx.params[1]!);
      const body = { ...Object.fromEntries(ctx.url.searchParams), ...(await readBody(ctx.req)) };
      const nameRegexDelete = str(body, 'name_regex_delete') ?? str(body, 'name_regex');
      if (nameRegexDelete === undefined) throw badRequest('name_regex_delete is missing');
      const nameRegexKeep = str(body, 'name_regex_keep');
      for (const [key, re] of [
        ['name_regex_delete', nameRegexDelete],
        ['name_regex_keep', nameRegexKeep],
      ] as const) {
        if (re === undefined) continue;
        try {
          compileAnchored(re);
        } catch {
          throw badRequest(`${key} is an invalid regexp`);
        }
      }
      const olderThan = str(body, 'older_than');
      const olderThanMs = olderThan === undefined ? undefined : parseOlderThan(olderThan);
      if (olderThan !== undefined && olderThanMs === undefined) throw badRequest('older_than is invalid');
      // The actor's tag rules travel with the job: it deletes only what this actor may, and skips the rest.
      await enqueueJob(ctx.db, BULK_DELETE_TAGS, { repository_id: repo.id, rules: { nameRegexDelete, nameRegexKeep, keepN: int(body, 'keep_n'), olderThanMs }, meta: guard.meta }, { maxAttempts: 3 });
      sendJson(ctx.res, 202, null);
    },
  ],
];
