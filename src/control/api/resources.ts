/**
 * Loading the resources an API call names, with GitLab's rules: a resource
 * the caller may not see is "Not Found" (its existence is not revealed); one
 * it sees but may not change is 403. Ids are numbers or URL-encoded full paths.
 */
import { apiAccess, canRead, effectiveLevel } from '../abilities.js';
import { isAdmin, userOf } from '../principal.js';
import type { NamespaceRow, ProjectRow } from '../store/rows.js';
import { namespaceAccessLevel, namespaceByRef, projectAccessLevel, projectByRef } from '../store/tenancy.js';
import { ApiError, forbidden, notFound, type ApiContext } from './http.js';

/** Throws 401/403 unless the caller's token may read the API. */
export function requireRead(ctx: ApiContext): void {
  if (!apiAccess(ctx.principal).read) throw forbidden();
}

/** Throws 401/403 unless the caller is signed in with a token that may write. */
export function requireWrite(ctx: ApiContext): void {
  if (ctx.principal.kind === 'anonymous') throw new ApiError(401, '401 Unauthorized');
  if (!apiAccess(ctx.principal).write) throw forbidden();
}

/** Throws unless the caller is an admin (401 anonymous, 403 others). */
export function requireAdmin(ctx: ApiContext): void {
  if (ctx.principal.kind === 'anonymous') throw new ApiError(401, '401 Unauthorized');
  if (!isAdmin(ctx.principal)) throw forbidden();
}

function decodeRef(ref: string): string {
  try {
    return decodeURIComponent(ref);
  } catch {
    return ref;
  }
}

/** A project the caller can see, and the caller's effective level on it. */
export async function loadProject(ctx: ApiContext, ref: string, minLevel = 0): Promise<{ project: ProjectRow; level: number }> {
  requireRead(ctx);
  const project = await projectByRef(ctx.db, decodeRef(ref));
  if (!project) throw notFound('Project');
  const user = userOf(ctx.principal);
  const level = effectiveLevel(ctx.principal, user ? await projectAccessLevel(ctx.db, project.id, user.id) : 0);
  if (!canRead(ctx.principal, project.visibility, level)) throw notFound('Project');
  if (level < minLevel) throw forbidden();
  return { project, level };
}

/** A group the caller can see, and the caller's effective level on it. */
export async function loadGroup(ctx: ApiContext, ref: string, minLevel = 0): Promise<{ group: NamespaceRow; level: number }> {
  requireRead(ctx);
  const group = await namespaceByRef(ctx.db, decodeRef(ref));
  if (!group || group.kind !== 'group') throw notFound('Group');
  const user = userOf(ctx.principal);
  const level = effectiveLevel(ctx.principal, user ? await namespaceAccessLevel(ctx.db, group.id, user.id) : 0);
  if (!canRead(ctx.principal, group.visibility, level)) throw notFound('Group');
  if (level < minLevel) throw forbidden();
  return { group, level };
}
