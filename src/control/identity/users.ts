/**
 * Users and personal access tokens: the domain actions the REST API
 * (`api/users.ts`) and the CLI (`wharf admin create-user|create-token`) share.
 * Inputs are validated here; permissions are the caller's business.
 */
import type { Queryer } from '../../db/queryer.js';
import { DomainError, invalid } from '../domain-error.js';
import { hashPassword, MIN_PASSWORD_LENGTH } from '../passwords.js';
import { newToken, PAT_PREFIX } from '../secrets.js';
import { insertPat, insertUser, userByUsername } from '../store/identity.js';
import type { PatRow, UserRow } from '../store/rows.js';

const USERNAME = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,254}$/;
/** Scopes a personal access token may carry. */
export const PAT_SCOPES = new Set(['api', 'read_api', 'read_registry', 'write_registry', 'read_virtual_registry']);

/** Validates `scopes` (array or comma-separated) against `allowed`. */
export function parseScopes(value: unknown, allowed: ReadonlySet<string>): string[] {
  const list = Array.isArray(value) ? value.map((s) => (typeof s === 'string' ? s : '(not a string)')) : typeof value === 'string' ? value.split(',').map((s) => s.trim()) : [];
  if (list.length === 0) throw invalid('scopes is missing');
  const bad = list.filter((s) => !allowed.has(s));
  if (bad.length > 0) throw invalid(`scopes does not have a valid value: ${bad.join(', ')}`);
  return [...new Set(list)];
}

/** Validates an `expires_at` date (YYYY-MM-DD, in the future). */
export function parseExpiry(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value))) throw invalid('expires_at is invalid');
  // A token that expires today or earlier would be born dead (GitLab refuses it too).
  if (value <= new Date().toISOString().slice(0, 10)) throw invalid('expires_at must be in the future');
  return value;
}

/** Checks a new password against the minimum length. */
export function checkPassword(password: string | undefined): void {
  if (password !== undefined && password.length < MIN_PASSWORD_LENGTH) throw invalid(`password is too short (minimum is ${MIN_PASSWORD_LENGTH} characters)`);
}

/** What a new user is made of. */
export interface NewUser {
  readonly username: string;
  readonly password?: string | undefined;
  readonly email?: string | undefined;
  readonly name?: string | undefined;
  readonly admin?: boolean | undefined;
}

/** Creates a user (the admin API, `wharf admin create-user`, the first admin from WHARF_ROOT_PASSWORD). */
export async function createUser(db: Queryer, u: NewUser): Promise<UserRow> {
  if (!USERNAME.test(u.username)) throw invalid('username is invalid');
  checkPassword(u.password);
  if (await userByUsername(db, u.username)) throw new DomainError('conflict', 'Username has already been taken');
  return insertUser(db, {
    username: u.username,
    email: u.email,
    name: u.name,
    passwordHash: u.password === undefined ? undefined : await hashPassword(u.password),
    admin: u.admin ?? false,
  });
}

/** Creates a personal access token for `userId`; the secret is returned once, only its digest is kept. */
export async function createPersonalAccessToken(db: Queryer, userId: number, t: { name: string; scopes: unknown; expiresAt?: string | undefined }): Promise<{ row: PatRow; token: string }> {
  const scopes = parseScopes(t.scopes, PAT_SCOPES);
  const expires = parseExpiry(t.expiresAt);
  const token = newToken(PAT_PREFIX);
  return { row: await insertPat(db, userId, t.name, token, scopes, expires), token };
}
