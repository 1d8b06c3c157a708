/**
 * Geo figures (issue 12): two real sites on this machine, each `wharf serve`
 * in the default mode (embedded PostgreSQL) with one signing key pair.
 *   npm run bench:geo
 *   GEO_PUSHES=200 GEO_REPOS=1000 GEO_LAYER_KIB=64 npm run bench:geo
 * Prints: replication lag push → served by the secondary itself (p50, p95,
 * max) over GEO_PUSHES small-image pushes spread over 20 repositories;
 * backfill of GEO_REPOS repositories by a fresh secondary (repositories/min,
 * MB/s); blob and manifest pull rates from the secondary and the primary.
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { generateKeyFiles, loadSigningKey } from '../src/control/signing-key.js';
import { TokenIssuer } from '../src/control/token-issuer.js';
import { spawnWharf, type WharfProcess } from '../test/support/process.js';
import { tempDir } from '../test/support/temp.js';

const PUSHES = Number(process.env.GEO_PUSHES ?? 200);
const REPOS = Number(process.env.GEO_REPOS ?? 1000);
const LAYER = Number(process.env.GEO_LAYER_KIB ?? 64) * 1024;
const PASSWORD = 'geo-bench-password-1234';
const OCI = 'application/vnd.oci.image.manifest.v1+json';
const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

const work = await tempDir('wharf-geo-bench-');
const keyDir = join(work, 'key');
await generateKeyFiles(keyDir, 2048);
const keyFile = join(keyDir, 'token.key');
const certFile = join(keyDir, 'token.crt');
const issuer = new TokenIssuer(() => loadSigningKey({ key: keyFile, certificate: certFile, dir: keyDir }), 'wharf-issuer', 'container_registry');
const token = (
  await issuer.issue({
    subject: 'root',
    authType: 'gitlab_or_ldap',
    access: [
      { type: 'repository', name: 'bench/*', actions: ['push', 'pull'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
    ],
    lifetimeSeconds: 3600,
  })
).token;
const auth = { Authorization: `Bearer ${token}` };
const basic = { Authorization: `Basic ${Buffer.from(`root:${PASSWORD}`).toString('base64')}` };
process.env.WHARF_ROOT_PASSWORD = PASSWORD;

const site = (name: string, geo: string, workers: number | 'auto' = 'auto') =>
  spawnWharf(join(work, name), work, workers, `auth:\n  token: {}\ncontrolplane:\n  key: ${keyFile}\n  certificate: ${certFile}\ngeo:\n  name: ${name}\n${geo}`);
const secondaryOf = (p: WharfProcess) => `  role: secondary\n  primary:\n    api_url: ${p.url}\n    registry_url: ${p.url}\n  sync:\n    concurrency: 8\n`;

async function ok(res: Response, status: number, what: string): Promise<Response> {
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${await res.text()}`);
  return res;
}

async function pushBlob(base: string, repo: string, data: Buffer): Promise<string> {
  const digest = sha(data);
  const start = await ok(await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: auth }), 202, 'start');
  const loc = new URL(start.headers.get('location') as string, base);
  loc.searchParams.set('digest', digest);
  await ok(await fetch(loc, { method: 'PUT', headers: { ...auth, 'Content-Type': 'application/octet-stream' }, body: data as unknown as BodyInit }), 201, 'put blob');
  return digest;
}

/** An image with its own random layer; returns the manifest digest (and the layer's, in `lastLayer`). */
let lastLayer = '';
async function pushImage(base: string, repo: string, tag: string, layerBytes: number): Promise<string> {
  const layer = randomBytes(layerBytes);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(layer)] }, created: new Date().toISOString() }));
  const [l, c] = await Promise.all([pushBlob(base, repo, layer), pushBlob(base, repo, config)]);
  lastLayer = l;
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: c, size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: l, size: layer.length }],
    }),
  );
  await ok(await fetch(`${base}/v2/${repo}/manifests/${tag}`, { method: 'PUT', headers: { ...auth, 'Content-Type': OCI }, body: manifest as unknown as BodyInit }), 201, 'put manifest');
  return sha(manifest);
}

/** True once the secondary answers the tag itself (not forwarded to the primary) with `digest`. */
async function servedLocally(base: string, repo: string, tag: string, digest: string): Promise<boolean> {
  const res = await fetch(`${base}/v2/${repo}/manifests/${tag}`, { method: 'HEAD', headers: { ...auth, Accept: OCI } });
  return res.status === 200 && res.headers.get('x-wharf-geo') === null && res.headers.get('docker-content-digest') === digest;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] as number;

const a = await site('site-a', '  role: primary\n');
// The first admin is created by each worker as it starts: wait for it.
let group: Response;
for (let i = 0; ; i++) {
  group = await fetch(`${a.url}/api/v4/groups`, { method: 'POST', headers: { ...basic, 'Content-Type': 'application/json' }, body: JSON.stringify({ path: 'bench' }) });
  if (group.status !== 401 || i > 100) break;
  await new Promise((r) => setTimeout(r, 100));
}
await ok(group, 201, 'group');
const gid = ((await group.json()) as { id: number }).id;
await ok(await fetch(`${a.url}/api/v4/projects`, { method: 'POST', headers: { ...basic, 'Content-Type': 'application/json' }, body: JSON.stringify({ path: 'app', namespace_id: gid }) }), 201, 'project');
const b = await site('site-b', secondaryOf(a));
process.stdout.write(`Geo bench: two sites, default mode (embedded PostgreSQL), workers auto, ${PUSHES} pushes, ${REPOS} repositories of ${LAYER / 1024} KiB layers\n`);

// 1. Lag: each push's manifest PUT returning → the secondary serving that tag itself.
const lags: number[] = [];
for (let i = 0; i < PUSHES; i++) {
  const repo = `bench/app/lag${i % 20}`;
  const tag = `t${i}`;
  const digest = await pushImage(a.url, repo, tag, 4096);
  const t0 = performance.now();
  while (!(await servedLocally(b.url, repo, tag, digest))) await new Promise((r) => setTimeout(r, 5));
  lags.push(performance.now() - t0);
}
process.stdout.write(`replication lag push → served by the secondary: p50 ${pct(lags, 50).toFixed(0)} ms, p95 ${pct(lags, 95).toFixed(0)} ms, max ${Math.max(...lags).toFixed(0)} ms over ${lags.length} pushes\n`);

// 2. Backfill of REPOS repositories by a fresh secondary.
const tPush = performance.now();
for (let i = 0; i < REPOS; i += 16) await Promise.all(Array.from({ length: Math.min(16, REPOS - i) }, (_, k) => pushImage(a.url, `bench/app/fill${i + k}`, 'v1', LAYER)));
process.stdout.write(`(pushed ${REPOS} repositories to the primary in ${((performance.now() - tPush) / 1000).toFixed(1)} s)\n`);
const c = await site('site-c', secondaryOf(a));
const t0 = performance.now();
const total = REPOS + 20;
for (;;) {
  const res = await fetch(`${c.url}/api/v4/geo/status`, { headers: basic });
  const s = (await res.json()) as { container_repositories_synced_count?: number };
  if ((s.container_repositories_synced_count ?? 0) >= total) break;
  await new Promise((r) => setTimeout(r, 200));
}
const secs = (performance.now() - t0) / 1000;
const bytes = REPOS * (LAYER + 300) + PUSHES * 4400;
process.stdout.write(`backfill of ${total} repositories: ${secs.toFixed(1)} s, ${((total / secs) * 60).toFixed(0)} repositories/min, ${(bytes / 1048576 / secs).toFixed(1)} MB/s\n`);

// 3. Pulls from the secondary and the primary: a 64 MiB blob ×16 in parallel, manifest GETs for 5 s with 32 connections.
const m = await pushImage(a.url, 'bench/app/big', 'v1', 64 * 1048576);
const bigDigest = lastLayer;
while (!(await servedLocally(b.url, 'bench/app/big', 'v1', m))) await new Promise((r) => setTimeout(r, 20));
await fetch(`${b.url}/v2/bench/app/big/blobs/${bigDigest}`, { method: 'HEAD', headers: auth });
for (const [label, base] of [
  ['primary', a.url],
  ['secondary', b.url],
] as const) {
  const tb = performance.now();
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      const res = await ok(await fetch(`${base}/v2/bench/app/big/blobs/${bigDigest}`, { headers: auth }), 200, 'pull');
      for await (const _ of res.body as unknown as AsyncIterable<Uint8Array>);
    }),
  );
  const mbs = (16 * 64) / ((performance.now() - tb) / 1000);
  let n = 0;
  const until = performance.now() + 5000;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (performance.now() < until) {
        const res = await fetch(`${base}/v2/bench/app/big/manifests/v1`, { headers: { ...auth, Accept: OCI } });
        await res.arrayBuffer();
        if (res.status === 200) n++;
      }
    }),
  );
  process.stdout.write(`pulls from the ${label}: 16 parallel 64 MiB blobs ${mbs.toFixed(0)} MiB/s; manifest GET ${(n / 5).toFixed(0)} req/s (32 connections, Node fetch client)\n`);
}
await Promise.all([a.kill(), b.kill(), c.kill()]);
