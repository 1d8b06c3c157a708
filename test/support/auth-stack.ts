/**
 * A Wharf node with its control plane and token auth on, over a fresh
 * PostgreSQL database, plus helpers to drive it: the REST API as any user,
 * tokens from `/jwt/auth`, and a signing key pair generated once per test
 * process (2048-bit, so tests do not wait for 4096-bit key generation).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/load.js';
import { generateKeyFiles } from '../../src/control/signing-key.js';
import { startRegistryNode, type RegistryNode } from '../../src/server/registry-node.js';
import { createMigratedTestDatabase, type TestDatabase } from './postgres.js';
import { tempDir } from './temp.js';

/** Files of the test signing key. */
export interface TestKey {
  readonly key: string;
  readonly certificate: string;
  readonly keyPem: string;
  readonly certificatePem: string;
}

let shared: Promise<TestKey> | undefined;

/** A key pair and certificate for tests (`controlplane.key`/`certificate`, `rootcertbundle`). */
export function testKey(name = 'shared'): Promise<TestKey> {
  const make = async () => {
    const dir = join(await tempDir(`wharf-key-${name}-`), 'auth');
    await generateKeyFiles(dir, 2048);
    const key = join(dir, 'token.key');
    const certificate = join(dir, 'token.crt');
    return { key, certificate, keyPem: await readFile(key, 'utf8'), certificatePem: await readFile(certificate, 'utf8') };
  };
  if (name !== 'shared') return make();
  return (shared ??= make());
}

/** An API or registry response. */
export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: any;
}

/** Credentials for a call: Basic (user and password or token), a PAT, or nothing. */
export type Creds = { basic: [string, string] } | { pat: string } | { bearer: string } | undefined;

function authHeader(creds: Creds): Record<string, string> {
  if (!creds) return {};
  if ('basic' in creds) return { Authorization: `Basic ${Buffer.from(creds.basic.join(':')).toString('base64')}` };
  if ('pat' in creds) return { 'PRIVATE-TOKEN': creds.pat };
  return { Authorization: `Bearer ${creds.bearer}` };
}

/** A running node with auth. */
export interface AuthStack {
  readonly node: RegistryNode;
  readonly url: string;
  readonly host: string;
  readonly root: string;
  readonly database: TestDatabase;
  readonly key: TestKey;
  readonly rootCreds: { basic: [string, string] };
  /** Calls `/api/v4<path>`. */
  api(method: string, path: string, creds: Creds, body?: unknown): Promise<Reply>;
  /** Calls the registry (any path) with headers. */
  call(method: string, path: string, creds: Creds, headers?: Record<string, string>): Promise<Reply>;
  /** A token from `/jwt/auth` for `scopes`. */
  token(creds: Creds, scopes: string[]): Promise<string>;
  /** Creates a user (as root) and returns its id. */
  createUser(username: string, opts?: { admin?: boolean; password?: string }): Promise<number>;
  /** Creates a personal access token (as root) for a user. */
  createPat(userId: number, scopes: string[], expiresAt?: string): Promise<string>;
  close(): Promise<void>;
}

/** Default password of users made by `createUser`. */
export const PASSWORD = 'correct-horse-battery';

/** Starts the stack; `config` is merged over the defaults. */
export async function startAuthStack(config: Record<string, unknown> = {}, database?: TestDatabase): Promise<AuthStack> {
  const root = await tempDir('wharf-auth-data-');
  const key = await testKey();
  const db = database ?? (await createMigratedTestDatabase());
  const cfg = parseConfig({
    log: { level: 'warn', accesslog: { disabled: true } },
    http: { addr: '127.0.0.1:0' },
    storage: { filesystem: { rootdirectory: root }, delete: { enabled: true } },
    database: db.section,
    auth: { token: {} },
    ...config,
    controlplane: { key: key.key, certificate: key.certificate, jobinterval: '100ms', notificationsecret: 'events-secret-0123456789', ...(config.controlplane as object | undefined) },
  });
  const node = await startRegistryNode(cfg, { log: pino({ level: process.env.WHARF_TEST_LOG ?? 'silent' }), rootPassword: 'root-password-1234' });
  const base = node.controlPlaneUrl ?? node.url;
  const send = async (url: string, method: string, creds: Creds, headers: Record<string, string>, body?: unknown): Promise<Reply> => {
    const res = await fetch(url, {
      method,
      headers: { ...authHeader(creds), ...headers, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };
  const rootCreds = { basic: ['root', 'root-password-1234'] as [string, string] };
  const stack: AuthStack = {
    node,
    url: node.url,
    host: node.url.replace(/^https?:\/\//, ''),
    root,
    database: db,
    key,
    rootCreds,
    api: (method, path, creds, body) => send(`${base}/api/v4${path}`, method, creds, {}, body),
    call: (method, path, creds, headers = {}) => send(`${node.url}${path}`, method, creds, headers),
    async token(creds, scopes) {
      const q = new URLSearchParams({ service: 'container_registry' });
      for (const s of scopes) q.append('scope', s);
      const r = await send(`${base}/jwt/auth?${q}`, 'GET', creds, {});
      if (r.status !== 200) throw new Error(`token request failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.token as string;
    },
    async createUser(username, opts = {}) {
      const r = await send(`${base}/api/v4/users`, 'POST', rootCreds, {}, { username, password: opts.password ?? PASSWORD, admin: opts.admin ?? false, email: `${username}@example.test` });
      if (r.status !== 201) throw new Error(`create user failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.id as number;
    },
    async createPat(userId, scopes, expiresAt) {
      const r = await send(`${base}/api/v4/users/${userId}/personal_access_tokens`, 'POST', rootCreds, {}, { name: 'test', scopes, expires_at: expiresAt });
      if (r.status !== 201) throw new Error(`create token failed: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.token as string;
    },
    async close() {
      await node.close();
      if (!database) await db.drop();
    },
  };
  return stack;
}

/** Decodes a JWT's payload without verifying it. */
export function claimsOf(token: string): any {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}
