/** SQL on `web_sessions`: the admin page's sign-in sessions. */
import { randomBytes } from 'node:crypto';
import type { Queryer } from '../../db/queryer.js';
import { tokenDigest } from '../secrets.js';
import type { UserRow } from './rows.js';
import { normalize } from './normalize.js';

/** How long a session lasts from sign-in. */
export const SESSION_HOURS = 12;

/** Starts a session: the cookie value (shown once) and its CSRF token. */
export async function createSession(q: Queryer, userId: number): Promise<{ id: string; csrf: string; expiresAt: Date }> {
  const id = randomBytes(32).toString('base64url');
  const csrf = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + SESSION_HOURS * 3_600_000);
  // Expired sessions go as new ones come.
  await q.query('cp_session_purge', 'DELETE FROM web_sessions WHERE expires_at < now()', []);
  await q.query('cp_session_insert', 'INSERT INTO web_sessions (id_digest, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)', [tokenDigest(id), userId, csrf, expiresAt]);
  return { id, csrf, expiresAt };
}

/** The live session with this cookie value and its active user. */
export async function sessionById(q: Queryer, id: string): Promise<{ user: UserRow; csrf: string } | undefined> {
  const [row] = await q.query<UserRow & { csrf_token: string }>(
    'cp_session_by_id',
    `SELECT u.*, s.csrf_token FROM web_sessions s JOIN users u ON u.id = s.user_id
     WHERE s.id_digest = $1 AND s.expires_at > now() AND u.state = 'active'`,
    [tokenDigest(id)],
  );
  if (!row) return undefined;
  const { csrf_token, ...user } = row;
  return { user: normalize(user as UserRow), csrf: csrf_token };
}

/** Ends every session of a user (blocked, deleted, or a new password). */
export async function deleteSessionsOf(q: Queryer, userId: number): Promise<void> {
  await q.query('cp_session_delete_user', 'DELETE FROM web_sessions WHERE user_id = $1', [userId]);
}

export async function deleteSession(q: Queryer, id: string): Promise<void> {
  await q.query('cp_session_delete', 'DELETE FROM web_sessions WHERE id_digest = $1', [tokenDigest(id)]);
}
