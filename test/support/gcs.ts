/**
 * A Google Cloud Storage emulator for tests, on 127.0.0.1.
 *
 * No GCS emulator installs here but one: the Cloud Storage emulator inside
 * `firebase-tools` (npm), whose GCS JSON API endpoints serve the Admin SDKs.
 * It is started in-process from its modules, without the Java rules runtime
 * it would download (only Firebase-client requests need rules; the JSON API
 * skips them). It stores objects in memory and implements uploads (media,
 * multipart, single-request resumable), downloads with ranges, listings with
 * prefixes, delimiters and page tokens, deletes, and serves any
 * `/<bucket>/<object>` GET, so signed URLs resolve (signatures unchecked).
 *
 * A thin front (this file) supplies what that emulator lacks, as GCS
 * documents it: buckets exist only once created (it creates one on any use,
 * so a missing bucket could not be seen), `objects.compose`, and
 * `objects.rewrite` under `/storage/v1` (it answers only at `/b/...`). The
 * front forwards everything else unchanged. It checks no credentials: the
 * OAuth token exchange with Google cannot run here.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { emulatorRequire } from './emulators.js';

interface FirebaseStorageEmulator {
  getName(): string;
}
interface ExpressApp {
  listen(port: number, host: string, cb: () => void): Server;
}

/** A running emulator. */
export interface GcsEmulator {
  readonly endpoint: string;
  /** A `storage.gcs` section for `bucket` (signing with `keyfile`). */
  section(bucket: string, extra?: Record<string, unknown>): Record<string, unknown>;
  createBucket(name: string): Promise<void>;
  /** Requests the front received, as `METHOD path` (for asserting which API calls a driver made). */
  readonly requests: string[];
  stop(): Promise<void>;
}

const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

const readBody = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

const gcsError = (res: ServerResponse, code: number, message: string, reason: string) => {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { code, message, errors: [{ message, domain: 'global', reason }] } }));
};

/** Writes a service-account key file (a fresh RSA key) the driver can sign URLs with. */
export async function writeServiceAccountKey(path: string): Promise<void> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await writeFile(
    path,
    JSON.stringify({
      type: 'service_account',
      project_id: 'wharf-test',
      private_key_id: 'test-key',
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      client_email: 'registry@wharf-test.iam.gserviceaccount.com',
      client_id: '1',
      token_uri: 'https://oauth2.googleapis.com/token',
    }),
  );
}

/** Starts the Firebase storage emulator and the front on free ports. */
export async function startGcsEmulator(keyfile: string): Promise<GcsEmulator> {
  const { StorageEmulator } = emulatorRequire('firebase-tools/lib/emulator/storage/index.js') as { StorageEmulator: new (args: Record<string, unknown>) => FirebaseStorageEmulator };
  const { createApp } = emulatorRequire('firebase-tools/lib/emulator/storage/server.js') as { createApp: (project: string, e: FirebaseStorageEmulator) => Promise<ExpressApp> };
  const { EmulatorRegistry } = emulatorRequire('firebase-tools/lib/emulator/registry.js') as { EmulatorRegistry: { set(name: string, e: FirebaseStorageEmulator): void } };

  const args: Record<string, unknown> = { projectId: 'wharf-test', host: '127.0.0.1', port: 0, rules: [], auto_download: false };
  const emulator = new StorageEmulator(args);
  // Its objects' self links are built from the registry's host and port.
  EmulatorRegistry.set(emulator.getName(), emulator);
  const app = await createApp('wharf-test', emulator);
  const inner = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const innerPort = (inner.address() as AddressInfo).port;
  args.port = innerPort;

  const buckets = new Set<string>();
  const requests: string[] = [];

  const forward = (req: IncomingMessage, res: ServerResponse, path: string, body?: Buffer) => {
    const headers = { ...req.headers, host: `127.0.0.1:${innerPort}` };
    if (body) headers['content-length'] = String(body.length);
    const out = request({ host: '127.0.0.1', port: innerPort, method: req.method, path, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', (err) => gcsError(res, 502, err.message, 'backendError'));
    if (body) out.end(body);
    else req.pipe(out);
  };
  const inner$ = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${innerPort}${path}`, init);

  /** objects.compose: the destination becomes the sources' bytes in order. */
  const compose = async (req: IncomingMessage, res: ServerResponse, bucket: string, dest: string) => {
    const spec = JSON.parse((await readBody(req)).toString()) as { sourceObjects?: Array<{ name: string }> };
    const sources = spec.sourceObjects ?? [];
    if (sources.length < 1 || sources.length > 32) return gcsError(res, 400, 'The number of source components provided (' + sources.length + ') must be between 1 and 32.', 'invalid');
    const parts: Buffer[] = [];
    for (const s of sources) {
      const got = await inner$(`/storage/v1/b/${bucket}/o/${encodeURIComponent(s.name)}?alt=media`);
      if (got.status === 404) return gcsError(res, 404, `No such object: ${bucket}/${s.name}`, 'notFound');
      parts.push(Buffer.from(await got.arrayBuffer()));
    }
    const put = await inner$(`/upload/storage/v1/b/${bucket}/o?uploadType=media&name=${encodeURIComponent(dest)}`, { method: 'POST', body: Buffer.concat(parts), headers: { 'content-type': 'application/octet-stream' } });
    res.writeHead(put.status, { 'content-type': 'application/json' });
    res.end(Buffer.from(await put.arrayBuffer()));
  };

  const front = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://front');
    requests.push(`${req.method} ${url.pathname}`);
    void (async () => {
      if (req.method === 'POST' && url.pathname === '/storage/v1/b') {
        const { name } = JSON.parse((await readBody(req)).toString()) as { name: string };
        buckets.add(name);
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ kind: 'storage#bucket', name, id: name }));
      }
      const m = /^(?:\/upload|\/download)?\/storage\/v1\/b\/([^/]+)(\/.*)?$/.exec(url.pathname);
      if (m && !buckets.has(decodeURIComponent(m[1]!))) return gcsError(res, 404, 'The specified bucket does not exist.', 'notFound');
      const composeMatch = /^\/storage\/v1\/b\/([^/]+)\/o\/([^/]+)\/compose$/.exec(url.pathname);
      if (req.method === 'POST' && composeMatch) return compose(req, res, composeMatch[1]!, decodeURIComponent(composeMatch[2]!));
      if (req.method === 'POST' && /^\/storage\/v1\/b\/[^/]+\/o\/[^/]+\/rewriteTo\//.test(url.pathname)) {
        return forward(req, res, `${url.pathname.slice('/storage/v1'.length)}${url.search}`);
      }
      forward(req, res, req.url ?? '/');
    })().catch((err: unknown) => gcsError(res, 500, (err as Error).message, 'backendError'));
  });
  const port = await listen(front);
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    requests,
    section: (bucket, extra = {}) => ({ bucket, keyfile, endpoint, noauth: true, maxretries: 1, ...extra }),
    async createBucket(name) {
      const r = await fetch(`${endpoint}/storage/v1/b?project=wharf-test`, { method: 'POST', body: JSON.stringify({ name }), headers: { 'content-type': 'application/json' } });
      if (!r.ok) throw new Error(`create bucket ${name}: ${r.status}`);
    },
    async stop() {
      front.closeAllConnections();
      inner.closeAllConnections();
      await Promise.all([new Promise((r) => front.close(r)), new Promise((r) => inner.close(r))]);
    },
  };
}
