/**
 * The benchmark workloads. Each returns a rate (higher is better) and works
 * against any registry speaking the Distribution API.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Agent, request } from 'node:http';
import { promisify } from 'node:util';
import type { BigFile } from './big-file.js';

const pexec = promisify(execFile);
const agent = new Agent({ keepAlive: true, maxSockets: 64 });
const MiB = 1024 * 1024;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function send(base: string, method: string, path: string, body?: Buffer | NodeJS.ReadableStream, headers: Record<string, string | number> = {}): Promise<Res> {
  const u = new URL(path.startsWith('http') ? path : base + path);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path: u.pathname + u.search, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    if (body === undefined || Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

function expect(r: Res, status: number, what: string): Res {
  if (r.status !== status) throw new Error(`${what}: ${r.status} ${r.body.toString().slice(0, 200)}`);
  return r;
}

async function startUpload(base: string, name: string): Promise<string> {
  const r = expect(await send(base, 'POST', `/v2/${name}/blobs/uploads/`, undefined, { 'Content-Length': 0 }), 202, 'start upload');
  return r.headers.location as string;
}

const withDigest = (loc: string, digest: string) => `${loc}${loc.includes('?') ? '&' : '?'}digest=${digest}`;

async function pushSmallBlob(base: string, name: string, data: string): Promise<string> {
  const loc = await startUpload(base, name);
  const digest = sha(data);
  expect(await send(base, 'PUT', withDigest(loc, digest), Buffer.from(data), { 'Content-Length': Buffer.byteLength(data), 'Content-Type': 'application/octet-stream' }), 201, 'put blob');
  return digest;
}

let seedManifest: Buffer | undefined;
let seedLayer = '';
let seedConfig = '';

/** Pushes the small image the request-rate rows use (`bench/seed:latest`). */
export async function seed(base: string): Promise<void> {
  seedLayer = await pushSmallBlob(base, 'bench/seed', 'bench layer bytes');
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } });
  seedConfig = await pushSmallBlob(base, 'bench/seed', config);
  seedManifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: seedConfig, size: Buffer.byteLength(config) },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: seedLayer, size: 17 }],
    }),
  );
  expect(await send(base, 'PUT', '/v2/bench/seed/manifests/latest', seedManifest, { 'Content-Type': OCI_MANIFEST, 'Content-Length': seedManifest.length }), 201, 'seed manifest');
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/** POST then one PUT carrying the whole file (the "monolithic" push both registries support). */
export async function pushMonolithic(base: string, name: string, f: BigFile): Promise<number> {
  const loc = await startUpload(base, name);
  const url = new URL(withDigest(loc, f.digest), base).toString();
  const s = await timed(async () => {
    const { stdout } = await pexec('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'PUT', '-T', f.path, '-H', 'Content-Type: application/octet-stream', url]);
    if (stdout.trim() !== '201') throw new Error(`monolithic push: ${stdout}`);
  });
  return f.size / MiB / s;
}

/** POST, PATCHes of `chunk` bytes with Content-Range, then PUT ?digest=. */
export async function pushChunked(base: string, name: string, f: BigFile, chunk: number): Promise<number> {
  const s = await timed(async () => {
    let loc = await startUpload(base, name);
    for (let off = 0; off < f.size; off += chunk) {
      const end = Math.min(off + chunk, f.size) - 1;
      const r = expect(
        await send(base, 'PATCH', loc, createReadStream(f.path, { start: off, end }), { 'Content-Range': `${off}-${end}`, 'Content-Length': end - off + 1, 'Content-Type': 'application/octet-stream' }),
        202,
        'patch',
      );
      loc = r.headers.location as string;
    }
    expect(await send(base, 'PUT', withDigest(loc, f.digest), undefined, { 'Content-Length': 0 }), 201, 'complete');
  });
  return f.size / MiB / s;
}

async function curlGet(url: string): Promise<void> {
  // -L: follow a redirect to object storage, as registry clients do.
  const { stdout } = await pexec('curl', ['-sS', '-L', '-o', '/dev/null', '-w', '%{http_code}', url]);
  if (stdout.trim() !== '200') throw new Error(`GET ${url}: ${stdout}`);
}

/** One GET of the whole blob with curl (pushed first, untimed, when missing). */
export async function pull(base: string, name: string, f: BigFile): Promise<number> {
  if ((await send(base, 'HEAD', `/v2/${name}/blobs/${f.digest}`)).status !== 200) await pushMonolithic(base, name, f);
  return f.size / MiB / (await timed(() => curlGet(`${base}/v2/${name}/blobs/${f.digest}`)));
}

/** `n` concurrent curl GETs of the same blob; aggregate throughput. */
export async function parallelPulls(base: string, name: string, f: BigFile, n: number): Promise<number> {
  await pushMonolithic(base, name, f);
  const s = await timed(() => Promise.all(Array.from({ length: n }, () => curlGet(`${base}/v2/${name}/blobs/${f.digest}`))));
  return (n * f.size) / MiB / s;
}

/**
 * Requests/s under 32 keep-alive connections. GET uses wrk (two threads);
 * HEAD uses ab, because wrk waits for a body after a HEAD answer that carries
 * Content-Length.
 */
async function load(url: string, method: 'GET' | 'HEAD', headers: string[] = []): Promise<number> {
  const seconds = process.env.BENCH_SECONDS ?? '5';
  if (method === 'GET') {
    const { stdout } = await pexec('wrk', ['-t2', '-c32', `-d${seconds}s`, ...headers.flatMap((h) => ['-H', h]), url]);
    if (/Non-2xx or 3xx responses: (\d+)/.test(stdout)) throw new Error(`wrk saw errors: ${stdout}`);
    const m = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
    if (!m) throw new Error(`wrk output: ${stdout}`);
    return Number(m[1]);
  }
  const { stdout } = await pexec('ab', ['-q', '-k', '-i', '-c', '32', '-t', seconds, '-n', '5000000', ...headers.flatMap((h) => ['-H', h]), url], { maxBuffer: 1 << 20 });
  if (/Non-2xx responses:\s+(\d+)/.test(stdout)) throw new Error(`ab saw errors: ${stdout}`);
  const m = /Requests per second:\s+([\d.]+)/.exec(stdout);
  if (!m) throw new Error(`ab output: ${stdout}`);
  return Number(m[1]);
}

/** Manifest GET or HEAD by tag under 32 connections. */
export function wrkManifest(base: string, method: 'GET' | 'HEAD'): Promise<number> {
  return load(`${base}/v2/bench/seed/manifests/latest`, method, [`Accept: ${OCI_MANIFEST}`]);
}

/** Blob HEAD under 32 connections. */
export function wrkBlobHead(base: string): Promise<number> {
  return load(`${base}/v2/bench/seed/blobs/${seedLayer}`, 'HEAD');
}

async function mountSeed(base: string, name: string): Promise<void> {
  for (const d of [seedLayer, seedConfig]) {
    expect(await send(base, 'POST', `/v2/${name}/blobs/uploads/?mount=${d}&from=bench/seed`, undefined, { 'Content-Length': 0 }), 201, 'mount');
  }
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/** PUTs one manifest under `count` tags, 16 at a time. */
export async function pushTags(base: string, name: string, count: number): Promise<number> {
  await mountSeed(base, name);
  const body = seedManifest as Buffer;
  const tags = Array.from({ length: count }, (_, i) => `t${i}`);
  const s = await timed(() =>
    pool(tags, 16, async (t) => {
      expect(await send(base, 'PUT', `/v2/${name}/manifests/${t}`, body, { 'Content-Type': OCI_MANIFEST, 'Content-Length': body.length }), 201, 'tag push');
    }),
  );
  return count / s;
}

async function repeatGet(base: string, path: string, seconds: number, check: (r: Res) => void): Promise<number> {
  let n = 0;
  const end = Date.now() + seconds * 1000;
  const t = process.hrtime.bigint();
  while (Date.now() < end) {
    check(expect(await send(base, 'GET', path), 200, path));
    n++;
  }
  return n / (Number(process.hrtime.bigint() - t) / 1e9);
}

/** Sequential full listings of a repository with 10,000 tags (pushed first, untimed, when missing). */
export async function listTags(base: string, name: string): Promise<number> {
  if ((await send(base, 'GET', `/v2/${name}/tags/list?n=1`)).status !== 200) await pushTags(base, name, 10_000);
  return repeatGet(base, `/v2/${name}/tags/list`, 3, (r) => {
    if ((JSON.parse(r.body.toString()) as { tags: string[] }).tags.length !== 10_000) throw new Error('tag count');
  });
}

/** Creates `count` repositories, then lists the catalog in one page repeatedly. */
export async function catalog(base: string, count: number): Promise<number> {
  const body = seedManifest as Buffer;
  await pool(
    Array.from({ length: count }, (_, i) => `bench/cat/r${String(i).padStart(4, '0')}`),
    16,
    async (name) => {
      await mountSeed(base, name);
      expect(await send(base, 'PUT', `/v2/${name}/manifests/latest`, body, { 'Content-Type': OCI_MANIFEST, 'Content-Length': body.length }), 201, 'catalog manifest');
    },
  );
  return repeatGet(base, `/v2/_catalog?n=${count}`, 3, (r) => {
    if ((JSON.parse(r.body.toString()) as { repositories: string[] }).repositories.length < count) throw new Error('catalog count');
  });
}
