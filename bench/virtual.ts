/**
 * Virtual registry figures (issue 13), side by side on this machine:
 * Wharf's virtual registry, a direct pull from Wharf's own repository, and
 * CNCF Distribution in proxy mode (`proxy.remoteurl`), both caching the same
 * upstream (a plain Distribution). Each cache reaches the upstream through
 * its own counting proxy, so upstream requests are counted where they land.
 *   npm run bench:virtual
 *   VR_BLOB_MIB=256 VR_COLD_MIB=64 VR_COLD_CLIENTS=50 VR_DATABASE=embedded,postgres npm run bench:virtual
 * Prints, for Wharf in each database mode (embedded: the default; postgres:
 * a fresh database on 127.0.0.1:5432):
 *  - cached blob pull (one curl GET of a VR_BLOB_MIB blob), MiB/s: Wharf's
 *    direct and virtual pulls alternate, median of VR_PULL_ROUNDS (7) each;
 *    Distribution's median of 3;
 *  - cached manifest GET by tag (wrk, 32 connections), req/s;
 *  - VR_COLD_CLIENTS concurrent cold pulls (manifest, config and one
 *    VR_COLD_MIB layer each): wall time, upstream GETs per blob and of the
 *    manifest, and the peak memory (PSS) of Wharf's process tree.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startDistribution, type DistributionProcess } from '../test/support/distribution.js';
import { createMigratedTestDatabase } from '../test/support/postgres.js';
import { spawnWharf, type WharfProcess } from '../test/support/process.js';
import { tempDir } from '../test/support/temp.js';
import { sampleTreeMemory } from '../test/support/tree-memory.js';
import { makeBigFile, type BigFile } from './big-file.js';

const pexec = promisify(execFile);
const MiB = 1024 * 1024;
const BLOB_MIB = Number(process.env.VR_BLOB_MIB ?? 256);
const COLD_MIB = Number(process.env.VR_COLD_MIB ?? 64);
const COLD_CLIENTS = Number(process.env.VR_COLD_CLIENTS ?? 50);
const MODES = (process.env.VR_DATABASE ?? 'embedded,postgres').split(',');
const SECONDS = process.env.BENCH_SECONDS ?? '5';
const WORKERS: number | 'auto' = process.env.VR_WORKERS ? Number(process.env.VR_WORKERS) : 'auto';
const PULL_ROUNDS = Number(process.env.VR_PULL_ROUNDS ?? 7);
const PASSWORD = 'virtual-bench-password-1234';
const OCI = 'application/vnd.oci.image.manifest.v1+json';
const basic = `Basic ${Buffer.from(`root:${PASSWORD}`).toString('base64')}`;
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
process.env.WHARF_ROOT_PASSWORD = PASSWORD;

/** An HTTP proxy to `target` that counts requests by method and kind (manifest, blob, other). */
async function countingProxy(target: string): Promise<{ url: string; counts: Map<string, number>; server: Server }> {
  const t = new URL(target);
  const counts = new Map<string, number>();
  const server = createServer((req, res) => {
    const kind = /\/manifests\//.test(req.url ?? '') ? 'manifest' : /\/blobs\/sha256:/.test(req.url ?? '') ? 'blob' : 'other';
    const key = `${req.method} ${kind}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const up = request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, counts, server };
}

async function must(res: Response, status: number, what: string): Promise<Response> {
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${await res.text()}`);
  return res;
}

/** Pushes a blob from a file with curl (streamed), or from memory. */
async function pushBlob(base: string, repo: string, blob: BigFile | Buffer, auth: Record<string, string> = {}): Promise<{ digest: string; size: number }> {
  const digest = Buffer.isBuffer(blob) ? sha(blob) : blob.digest;
  const size = Buffer.isBuffer(blob) ? blob.length : blob.size;
  const start = await must(await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: auth }), 202, 'upload start');
  const loc = new URL(start.headers.get('location') as string, base);
  loc.searchParams.set('digest', digest);
  if (Buffer.isBuffer(blob)) await must(await fetch(loc, { method: 'PUT', headers: { ...auth, 'Content-Type': 'application/octet-stream' }, body: blob as unknown as BodyInit }), 201, 'blob put');
  else {
    const headers = Object.entries(auth).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
    const { stdout } = await pexec('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'PUT', '-H', 'Content-Type: application/octet-stream', ...headers, '-T', blob.path, loc.toString()]);
    if (stdout.trim() !== '201') throw new Error(`blob put: ${stdout}`);
  }
  return { digest, size };
}

/** Pushes an image of one layer; returns its manifest digest and blob descriptors. */
async function pushImage(base: string, repo: string, tag: string, layer: BigFile | Buffer, auth: Record<string, string> = {}) {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, nonce: randomBytes(8).toString('hex') }));
  const c = await pushBlob(base, repo, config, auth);
  const l = await pushBlob(base, repo, layer, auth);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...c },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...l }],
    }),
  );
  await must(await fetch(`${base}/v2/${repo}/manifests/${tag}`, { method: 'PUT', headers: { ...auth, 'Content-Type': OCI }, body: manifest }), 201, 'manifest put');
  return { manifest: sha(manifest), blobs: [c, l] };
}

async function curlGet(url: string, headers: string[] = []): Promise<void> {
  const { stdout } = await pexec('curl', ['-sS', '-L', '-o', '/dev/null', '-w', '%{http_code}', ...headers.flatMap((h) => ['-H', h]), url]);
  if (stdout.trim() !== '200') throw new Error(`GET ${url}: ${stdout}`);
}

async function seconds(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function medianOf3(fn: () => Promise<number>): Promise<number> {
  return median([await fn(), await fn(), await fn()]);
}

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)] as number;
}

async function wrk(url: string, headers: string[]): Promise<number> {
  const { stdout } = await pexec('wrk', ['-t2', '-c32', `-d${SECONDS}s`, ...headers.flatMap((h) => ['-H', h]), url]);
  if (/Non-2xx or 3xx responses: (\d+)/.test(stdout)) throw new Error(`wrk saw errors: ${stdout}`);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
}

async function tokenFor(w: WharfProcess, scope: string): Promise<string> {
  const res = await must(await fetch(`${w.url}/jwt/auth?service=container_registry&scope=${scope}`, { headers: { Authorization: basic } }), 200, 'token');
  return ((await res.json()) as { token: string }).token;
}

async function api(w: WharfProcess, method: string, path: string, body?: unknown): Promise<any> {
  for (let i = 0; ; i++) {
    const res = await fetch(`${w.url}/api/v4${path}`, { method, headers: { Authorization: basic, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    if (res.status === 401 && i < 50) {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  }
}

/** `clients` concurrent pulls: manifest by tag, then every blob with curl. */
async function coldPulls(base: string, name: string, tag: string, blobs: Array<{ digest: string }>, headers: string[], clients: number): Promise<number> {
  const auth = Object.fromEntries(headers.map((h) => h.split(': ') as [string, string]));
  return seconds(() =>
    Promise.all(
      Array.from({ length: clients }, async () => {
        await must(await fetch(`${base}/v2/${name}/manifests/${tag}`, { headers: { ...auth, Accept: OCI } }), 200, 'manifest');
        await Promise.all(blobs.map((b) => curlGet(`${base}/v2/${name}/blobs/${b.digest}`, headers)));
      }),
    ),
  );
}

const fmt = (n: number, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const row = (name: string, ...cells: string[]) => console.log(`| ${name} | ${cells.join(' | ')} |`);

const work = await tempDir('wharf-virtual-bench-');
const big = await makeBigFile(join(work, 'big.bin'), BLOB_MIB * MiB);
const upstream = await startDistribution(join(work, 'upstream'), work);
const forWharf = await countingProxy(upstream.url);
const forDist = await countingProxy(upstream.url);
const warm = await pushImage(upstream.url, 'bench/warm', '1', big);
const proxy: DistributionProcess = await startDistribution(join(work, 'dist-proxy'), work, `proxy:\n  remoteurl: ${forDist.url}\n`);

console.log(`Virtual registries: cached blob ${BLOB_MIB} MiB, ${COLD_CLIENTS} cold clients of a ${COLD_MIB} MiB layer; ${SECONDS} s per request-rate row.\n`);
row('system', 'cached blob pull MiB/s', 'cached manifest GET req/s', `${COLD_CLIENTS} cold pulls: s`, 'upstream GETs per blob', 'upstream manifest GETs', 'peak PSS MiB');
row('---', '---', '---', '---', '---', '---', '---');

// Distribution in proxy mode, once (its figures do not depend on Wharf's database).
{
  const url = `${proxy.url}/v2/bench/warm`;
  await curlGet(`${url}/blobs/${warm.blobs[1]?.digest}`);
  const pull = await medianOf3(async () => BLOB_MIB / (await seconds(() => curlGet(`${url}/blobs/${warm.blobs[1]?.digest}`))));
  const manifests = await wrk(`${url}/manifests/1`, [`Accept: ${OCI}`]);
  const cold = await pushImage(upstream.url, 'bench/cold-dist', '1', randomBytes(COLD_MIB * MiB));
  forDist.counts.clear();
  const mem = sampleTreeMemory(proxy.proc.pid as number);
  const s = await coldPulls(proxy.url, 'bench/cold-dist', '1', cold.blobs, [], COLD_CLIENTS);
  const peak = mem.stop();
  const blobGets = (forDist.counts.get('GET blob') ?? 0) / cold.blobs.length;
  row('Distribution 2.8 proxy', fmt(pull), fmt(manifests), fmt(s, 1), fmt(blobGets, 1), String(forDist.counts.get('GET manifest') ?? 0), fmt(peak.pssMiB));
}

for (const mode of MODES) {
  let dbYaml = '';
  let drop: () => Promise<void> = async () => undefined;
  if (mode === 'postgres') {
    const tdb = await createMigratedTestDatabase();
    const s = tdb.section;
    dbYaml = `  enabled: true\n  host: ${s.host}\n  port: ${s.port}\n  user: ${s.user}\n  dbname: ${s.dbname}\n  sslmode: disable\n`;
    drop = () => tdb.drop();
  }
  const wharf = await spawnWharf(join(work, `wharf-${mode}`), work, WORKERS, 'auth:\n  token: {}\nvirtual_registries:\n  allow_private_upstreams: true\n', dbYaml);
  try {
    const group = await api(wharf, 'POST', '/groups', { path: 'bench' });
    const registry = await api(wharf, 'POST', `/groups/${group.id}/-/virtual_registries/container/registries`, { name: 'mirror' });
    await api(wharf, 'POST', `/virtual_registries/container/registries/${registry.id}/upstreams`, { url: forWharf.url, name: 'upstream' });
    await api(wharf, 'POST', '/projects', { path: 'local', namespace_id: group.id });
    const v = `virtual_registries/container/${registry.id}`;
    const token = await tokenFor(wharf, `repository:${v}/bench/warm:pull&scope=repository:${v}/bench/cold:pull&scope=repository:bench/local:push,pull`);
    const bearer = [`Authorization: Bearer ${token}`];
    // The same image pushed to Wharf's own repository: the direct pull to compare with.
    await pushImage(wharf.url, 'bench/local', '1', big, { Authorization: `Bearer ${token}` });
    const url = `${wharf.url}/v2/${v}/bench/warm`;
    await curlGet(`${url}/manifests/1`, [...bearer, `Accept: ${OCI}`]);
    await curlGet(`${url}/blobs/${big.digest}`, bearer);
    // Direct and virtual pulls alternate (this VM's speed drifts within a minute), median of PULL_ROUNDS each.
    const directs: number[] = [];
    const pulls: number[] = [];
    for (let i = 0; i < PULL_ROUNDS; i++) {
      directs.push(BLOB_MIB / (await seconds(() => curlGet(`${wharf.url}/v2/bench/local/blobs/${big.digest}`, bearer))));
      pulls.push(BLOB_MIB / (await seconds(() => curlGet(`${url}/blobs/${big.digest}`, bearer))));
    }
    const direct = median(directs);
    const pull = median(pulls);
    const directManifests = await wrk(`${wharf.url}/v2/bench/local/manifests/1`, [...bearer, `Accept: ${OCI}`]);
    const manifests = await wrk(`${url}/manifests/1`, [...bearer, `Accept: ${OCI}`]);
    row(`Wharf ${mode}: direct local pull`, fmt(direct), fmt(directManifests), '', '', '', '');
    const cold = await pushImage(upstream.url, 'bench/cold', mode, randomBytes(COLD_MIB * MiB));
    forWharf.counts.clear();
    const mem = sampleTreeMemory(wharf.proc.pid as number);
    const s = await coldPulls(wharf.url, `${v}/bench/cold`, mode, cold.blobs, bearer, COLD_CLIENTS);
    const peak = mem.stop();
    const blobGets = (forWharf.counts.get('GET blob') ?? 0) / cold.blobs.length;
    row(`Wharf ${mode}: virtual registry`, fmt(pull), fmt(manifests), fmt(s, 1), fmt(blobGets, 1), String(forWharf.counts.get('GET manifest') ?? 0), fmt(peak.pssMiB));
    console.log(`|  | ×${fmt(pull / direct, 2)} of the direct pull | ×${fmt(manifests / directManifests, 2)} of direct | | | | ${peak.breakdown} |`);
  } finally {
    await wharf.kill();
    await drop();
  }
}

await proxy.stop();
await upstream.stop();
forWharf.server.close();
forDist.server.close();
