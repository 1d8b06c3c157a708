/**
 * A seeded, bounded fuzz run against a real `wharf serve` process, in the
 * default mode (embedded PostgreSQL) and in legacy mode: manifests of every
 * media type mutated (byte flips, deep nesting, huge numbers, wrong types,
 * NUL and lone surrogates), names, tags, digests and query values with
 * control characters and unicode, bad Range and Content-Range headers.
 * Asserts: no 5xx, the process never exits, every 4xx that has a body is
 * OCI error JSON, and memory stays bounded: the registry process under
 * 400 MiB RSS, it and its embedded PostgreSQL under 250 MiB PSS together.
 * FUZZ_SEED replays a run; FUZZ_REQUESTS changes its length (default 1,500).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TestClient, type RawResponse } from '../support/http.js';
import { spawnWharf } from '../support/process.js';
import { tempDir } from '../support/temp.js';
import { sampleTreeMemory } from '../support/tree-memory.js';

const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 1500);
const RSS_LIMIT_MIB = 400;
/** The whole tree (the registry process and its embedded PostgreSQL), counted as PSS. */
const TREE_LIMIT_MIB = 250;

const MEDIA_TYPES = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/json',
  'text/plain',
];
const NASTY = ['\u0000', '\u0001', '\n', '%00', '%0a', '..', '../..', '/', '%2F', 'é', '\u202e', '💥', '\ud800', ' ', '', 'A'.repeat(300), '-', '.', '_', ':', '@', 'sha256:', 'sha256:zz'];

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function vmRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** Builds one hostile request from the generator. */
function hostile(rand: () => number, base: { manifest: Buffer; digest: string; layer: string }): { method: string; path: string; body?: Buffer | string; headers: Record<string, string> } {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const junk = () => pick(NASTY) + (rand() < 0.5 ? pick(NASTY) : '');
  // Percent-encodes bytes (a lone surrogate becomes U+FFFD's bytes, as a client would send it); half the time leaves ASCII punctuation raw.
  const enc = (s: string) =>
    [...Buffer.from(s)].map((b) => (b > 0x20 && b < 0x7f && (rand() < 0.5 || /[A-Za-z0-9._~-]/.test(String.fromCharCode(b))) ? String.fromCharCode(b) : `%${b.toString(16).padStart(2, '0')}`)).join('');
  const mt = pick(MEDIA_TYPES);
  const manifestBody = (): Buffer | string => {
    const doc = JSON.parse(base.manifest.toString()) as Record<string, unknown>;
    switch (Math.floor(rand() * 8)) {
      case 0: {
        const b = Buffer.from(base.manifest);
        for (let i = 0; i < 1 + rand() * 8; i++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
        return b;
      }
      case 1: {
        const depth = Math.floor(rand() * 100_000);
        return `{"schemaVersion":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      }
      case 2:
        return JSON.stringify({ ...doc, schemaVersion: pick([1e308, -1, 2.5, '2', null, [], {}, true]) });
      case 3:
        return JSON.stringify({ ...doc, layers: pick([null, 'x', [1, 2], [{}], [{ digest: junk(), size: -1, mediaType: junk() }]]) });
      case 4:
        return JSON.stringify({ ...doc, annotations: { [junk()]: junk() } }).replace(/\\u00/g, rand() < 0.5 ? '\\u00' : '\\\\u00');
      case 5:
        return JSON.stringify({ ...doc, config: { ...(doc.config as object), size: pick([1e20, -5, 'big', null]) } });
      case 6:
        return JSON.stringify({ ...doc, mediaType: pick(MEDIA_TYPES), manifests: pick([[], [{ digest: base.digest }], 'x', null]) });
      default:
        return junk();
    }
  };
  switch (Math.floor(rand() * 10)) {
    case 0:
      return { method: 'PUT', path: `/v2/fuzz/repo/manifests/${rand() < 0.6 ? `t${Math.floor(rand() * 5)}` : enc(junk())}`, body: manifestBody(), headers: { 'Content-Type': mt } };
    case 1:
      return { method: pick(['GET', 'HEAD', 'DELETE']), path: `/v2/fuzz/repo/manifests/${enc(junk())}`, headers: { Accept: mt } };
    case 2:
      return { method: pick(['GET', 'HEAD']), path: `/v2/${enc(junk())}/repo/tags/list?n=${enc(junk())}&last=${enc(junk())}`, headers: {} };
    case 3:
      return { method: 'GET', path: `/v2/_catalog?n=${pick(['1', '-1', '99999999999', 'x', '', '0'])}&last=${enc(junk())}`, headers: {} };
    case 4:
      return { method: pick(['GET', 'HEAD', 'DELETE']), path: `/v2/fuzz/repo/blobs/${enc(rand() < 0.5 ? junk() : `sha256:${junk()}`)}`, headers: {} };
    case 5:
      return { method: 'GET', path: `/v2/fuzz/repo/blobs/${base.layer}`, headers: { Range: pick(['bytes=', 'bytes=-', 'bytes=5-1', 'bytes=0-99999999999999999999', 'bytes=a-b', 'items=0-1', `bytes=${junk()}`]) } };
    case 6:
      return { method: 'POST', path: `/v2/fuzz/repo/blobs/uploads/?digest=${enc(junk())}&mount=${enc(junk())}&from=${enc(junk())}`, body: junk(), headers: {} };
    case 7:
      return {
        method: 'PATCH',
        path: `/v2/fuzz/repo/blobs/uploads/${enc(junk())}`,
        body: 'abc',
        headers: { 'Content-Range': pick(['0-2', '5-1', 'x', '0-99999999999999999999', `${junk()}`]), 'Content-Type': 'application/octet-stream' },
      };
    case 8:
      return { method: 'GET', path: `/v2/fuzz/repo/referrers/${enc(rand() < 0.5 ? base.digest : junk())}?artifactType=${enc(junk())}`, headers: {} };
    default:
      return {
        method: pick(['GET', 'PATCH']),
        path: `/gitlab/v1/repositories/${enc(junk())}/tags/list/?n=${enc(junk())}&last=${enc(junk())}&sort=${enc(junk())}&name=${enc(junk())}`,
        body: rand() < 0.3 ? `{"name":${'['.repeat(1000)}]` : undefined,
        headers: { 'Content-Type': 'application/json' },
      };
  }
}

function assertOciError(r: RawResponse, what: string): void {
  if (r.body.length === 0) return; // HEAD, 416 and the like carry no body
  if (!(r.header('content-type') ?? '').includes('application/json')) return; // plain 404 of unknown paths
  const body = r.json<{ errors?: Array<{ code?: unknown; message?: unknown }> }>();
  assert.ok(Array.isArray(body.errors) && body.errors.length > 0, `${what}: OCI error body`);
  assert.equal(typeof body.errors[0]?.code, 'string', `${what}: error code`);
}

for (const [mode, databaseYaml] of [
  ['default (embedded PostgreSQL)', ''],
  ['legacy', '  enabled: false\n'],
] as const) {
  describe(`fuzzing the registry API, ${mode} (seed ${SEED})`, () => {
    it(`${REQUESTS} hostile requests: no 5xx, the process lives, OCI errors, memory bounded`, { timeout: 120_000 }, async (t) => {
      const work = await tempDir('wharf-fuzz-');
      const wharf = await spawnWharf(join(work, 'data'), work, 1, '', databaseYaml);
      const pid = wharf.proc.pid as number;
      const tree = sampleTreeMemory(pid);
      let peak = 0;
      try {
        const c = new TestClient(wharf.url);
        const img = await c.pushImage('fuzz/repo', 'v1');
        const rand = prng(SEED);
        for (let i = 0; i < REQUESTS; i++) {
          const q = hostile(rand, { manifest: img.body, digest: img.digest, layer: img.layer });
          const what = `#${i} ${q.method} ${q.path.slice(0, 120)} (FUZZ_SEED=${SEED})`;
          let r: RawResponse;
          try {
            r = await c.req(q.method as 'GET', q.path, { body: q.body, headers: q.headers });
          } catch (err) {
            // A request Node itself refuses to send (a header it will not write) is not the server's doing.
            if ((err as NodeJS.ErrnoException).code === 'ERR_INVALID_CHAR' || /Invalid character|ERR_UNESCAPED_CHARACTERS|Request path contains/.test(String(err))) continue;
            throw new Error(`${what}: ${(err as Error).message}`);
          }
          assert.ok(r.status < 500, `${what}: answered ${r.status} ${r.body.toString().slice(0, 200)}`);
          if (r.status >= 400) assertOciError(r, what);
          assert.equal(wharf.proc.exitCode, null, `${what}: the process exited`);
          if (i % 100 === 0) peak = Math.max(peak, vmRssMiB(pid));
        }
        peak = Math.max(peak, vmRssMiB(pid));
        assert.ok(peak < RSS_LIMIT_MIB, `RSS peaked at ${peak.toFixed(0)} MiB`);
        const { pssMiB } = tree.stop();
        t.diagnostic(`peaks: registry process ${peak.toFixed(0)} MiB RSS; with its PostgreSQL ${pssMiB.toFixed(0)} MiB PSS`);
        assert.ok(pssMiB < TREE_LIMIT_MIB, `the process tree peaked at ${pssMiB.toFixed(0)} MiB PSS`);
        assert.equal((await c.req('GET', '/v2/fuzz/repo/manifests/v1')).header('docker-content-digest'), img.digest, 'the pushed image still pulls');
      } finally {
        tree.stop();
        await wharf.kill();
      }
    });
  });
}
