/**
 * Users and their credentials: accounts (each with its personal namespace),
 * personal access tokens and deploy tokens.
 */
import type { Queryer } from '../../db/queryer.js';
import { tokenDigest } from '../secrets.js';
import type { DeployTokenRow, PatRow, UserRow } from './rows.js';

import { normalize as num } from './normalize.js';

/** Creates a user and its personal namespace (path = username). */
export async function insertUser(q: Queryer, u: { username: string; email?: string | undefined; name?: string | undefined; passwordHash?: string | undefined; admin?: boolean | undefined }): Promise<UserRow> {
  const [row] = await q.query<UserRow>('cp_user_insert', 'INSERT INTO users (username, email, name, password_hash, admin) VALUES ($1, $2, $3, $4, $5) RETURNING *', [
    u.username,
    u.email ?? null,
    u.name ?? u.username,
    u.passwordHash ?? null,
    u.admin ?? false,
  ]);
  const user = num(row!);
  await q.query('cp_user_namespace_insert', "INSERT INTO namespaces (kind, path, full_path, name, visibility, owner_id) VALUES ('user', $1, $1, $1, 'public', $2)", [u.username, user.id]);
  return user;
}

/** The user with this username, if any. */
export async function userByUsername(q: Queryer, username: string): Promise<UserRow | undefined> {
  const [row] = await q.query<UserRow>('cp_user_by_username', 'SELECT * FROM users WHERE username = $1', [username]);
  return row && num(row);
}

/** The user with this id, if any. */
export async function userById(q: Queryer, id: number): Promise<UserRow | undefined> {
  const [row] = await q.query<UserRow>('cp_user_by_id', 'SELECT * FROM users WHERE id = $1', [id]);
  return row && num(row);
}

/** A page of users by id, with the total. */
export async function listUsers(q: Queryer, limit: number, offset: number): Promise<{ rows: UserRow[]; total: number }> {
  const rows = await q.query<UserRow & { total: string }>('cp_users_list', 'SELECT *, count(*) OVER () AS total FROM users ORDER BY id LIMIT $1 OFFSET $2', [limit, offset]);
  return { rows: rows.map(num), total: Number(rows[0]?.total ?? (offset > 0 ? await countUsers(q) : 0)) };
}

async function countUsers(q: Queryer): Promise<number> {
  const [r] = await q.query<{ n: string }>('cp_users_count', 'SELECT count(*) AS n FROM users');
  return Number(r?.n ?? 0);
}

/** Updates the fields given; returns the row, or undefined when there is no such user. */
export async function updateUser(
  q: Queryer,
  id: number,
  f: { state?: 'active' | 'blocked' | undefined; admin?: boolean | undefined; passwordHash?: string | undefined; email?: string | undefined; name?: string | undefined },
): Promise<UserRow | undefined> {
  const [row] = await q.query<UserRow>(
    'cp_user_update',
    'UPDATE users SET state = coalesce($2, state), admin = coalesce($3, admin), password_hash = coalesce($4, password_hash), email = coalesce($5, email), name = coalesce($6, name) WHERE id = $1 RETURNING *',
    [id, f.state ?? null, f.admin ?? null, f.passwordHash ?? null, f.email ?? null, f.name ?? null],
  );
  return row && num(row);
}

/** Deletes a user (memberships and tokens go with it). */
export async function deleteUser(q: Queryer, id: number): Promise<boolean> {
  // The personal namespace, its projects, memberships and tokens go by ON DELETE CASCADE.
  const rows = await q.query('cp_user_delete', 'DELETE FROM users WHERE id = $1 RETURNING 1', [id]);
  return rows.length > 0;
}

/** Stores a personal access token (its digest). */
export async function insertPat(q: Queryer, userId: number, name: string, token: string, scopes: readonly string[], expiresAt: string | null): Promise<PatRow> {
  const [row] = await q.query<PatRow>(
    'cp_pat_insert',
    'INSERT INTO personal_access_tokens (user_id, name, token_digest, scopes, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id, user_id, name, scopes, expires_at, revoked, created_at, last_used_at',
    [userId, name, tokenDigest(token), scopes, expiresAt],
  );
  return num(row!);
}

/** The usable personal access token with this secret and its user: not revoked, not expired. */
export async function patBySecret(q: Queryer, token: string): Promise<{ pat: PatRow; user: UserRow } | undefined> {
  const [row] = await q.query<PatRow & { u: UserRow }>(
    'cp_pat_by_secret',
    `SELECT t.id, t.user_id, t.name, t.scopes, t.expires_at, t.revoked, t.created_at, t.last_used_at, row_to_json(u) AS u
     FROM personal_access_tokens t JOIN users u ON u.id = t.user_id
     WHERE t.token_digest = $1 AND NOT t.revoked AND (t.expires_at IS NULL OR t.expires_at > current_date)`,
    [tokenDigest(token)],
  );
  if (!row) return undefined;
  const { u, ...pat } = row;
  return { pat: num(pat), user: num({ ...u, created_at: new Date(u.created_at) }) };
}

/** The personal access tokens of a user. */
export async function listPats(q: Queryer, userId: number): Promise<PatRow[]> {
  const rows = await q.query<PatRow>('cp_pat_list', 'SELECT id, user_id, name, scopes, expires_at, revoked, created_at, last_used_at FROM personal_access_tokens WHERE user_id = $1 ORDER BY id', [userId]);
  return rows.map(num);
}

/** Revokes a token of a user; false when there is none. */
export async function revokePat(q: Queryer, userId: number | undefined, id: number): Promise<boolean> {
  const rows = await q.query('cp_pat_revoke', 'UPDATE personal_access_tokens SET revoked = true WHERE id = $1 AND ($2::bigint IS NULL OR user_id = $2) RETURNING 1', [id, userId ?? null]);
  return rows.length > 0;
}

/** Who a deploy token belongs to. */
export type DeployTokenOwner = { readonly project_id: number } | { readonly group_id: number };
const ownerOf = (o: DeployTokenOwner): [number | null, number | null] => ('project_id' in o ? [o.project_id, null] : [null, o.group_id]);

/** Stores a deploy token of a project or a group. */
export async function insertDeployToken(q: Queryer, owner: DeployTokenOwner, name: string, username: string, token: string, scopes: readonly string[], expiresAt: string | null): Promise<DeployTokenRow> {
  const [row] = await q.query<DeployTokenRow>(
    'cp_deploy_token_insert',
    'INSERT INTO deploy_tokens (project_id, group_id, name, username, token_digest, scopes, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, project_id, group_id, name, username, scopes, expires_at, revoked, created_at',
    [...ownerOf(owner), name, username, tokenDigest(token), scopes, expiresAt],
  );
  return num(row!);
}

/** The usable deploy token with this username and secret. */
export async function deployTokenBySecret(q: Queryer, username: string, token: string): Promise<DeployTokenRow | undefined> {
  const [row] = await q.query<DeployTokenRow>(
    'cp_deploy_token_by_secret',
    'SELECT id, project_id, group_id, name, username, scopes, expires_at, revoked, created_at FROM deploy_tokens WHERE username = $1 AND token_digest = $2 AND NOT revoked AND (expires_at IS NULL OR expires_at > now())',
    [username, tokenDigest(token)],
  );
  return row && num(row);
}

/** The deploy tokens of a project or a group. */
export async function listDeployTokens(q: Queryer, owner: DeployTokenOwner): Promise<DeployTokenRow[]> {
  const rows = await q.query<DeployTokenRow>(
    'cp_deploy_token_list',
    'SELECT id, project_id, group_id, name, username, scopes, expires_at, revoked, created_at FROM deploy_tokens WHERE project_id IS NOT DISTINCT FROM $1 AND group_id IS NOT DISTINCT FROM $2 ORDER BY id',
    ownerOf(owner),
  );
  return rows.map(num);
}

/** Revokes a deploy token of a project or a group. */
export async function revokeDeployToken(q: Queryer, owner: DeployTokenOwner, id: number): Promise<boolean> {
  const rows = await q.query('cp_deploy_token_revoke', 'UPDATE deploy_tokens SET revoked = true WHERE id = $3 AND project_id IS NOT DISTINCT FROM $1 AND group_id IS NOT DISTINCT FROM $2 RETURNING 1', [
    ...ownerOf(owner),
    id,
  ]);
  return rows.length > 0;
}
