/**
 * The pull-through cache's semantics with real clients and real upstreams
 * (SPEC 8.2–8.4): CNCF Distribution behind Basic auth (htpasswd) and another
 * Wharf behind its Bearer token flow; the virtual registry's Wharf runs two
 * worker processes on external PostgreSQL, so that the test can age cache
 * entries and read the GC queue. skopeo and podman pull images and an
 * artifact; 50 clients pull a
 * cold 200 MiB image at once; a client is cut off mid-pull.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { startDistribution, type DistributionProcess } from '../support/distribution.js';
import { OciLayout } from '../support/oci-layout.js';
import { createMigratedTestDatabase, requirePostgres, type TestDatabase } from '../support/postgres.js';
import { spawnWharf, type WharfProcess } from '../support/process.js';
import { rootApi } from '../support/root-api.js';
import { tempDir } from '../support/temp.js';
import { requireCommand, run, skopeoCopy } from '../support/tools.js';

const skip = requireCommand('skopeo') ?? requireCommand('podman') ?? requireCommand('docker-registry') ?? requireCommand('htpasswd', 'apache2-utils') ?? (await requirePostgres());
const PASSWORD = 'virtual-root-password-1234';
const UPSTREAM_PASSWORD = 'alice-upstream-secret-77';
const basic = `Basic ${Buffer.from(`root:${PASSWORD}`).toString('base64')}`;
const MiB = 1024 * 1024;

const api = rootApi(PASSWORD);

/** A counter summed over its series whose labels include every one of `labels`. */
async function metric(w: WharfProcess, name: string, labels: string[] = []): Promise<number> {
  const text = await (await fetch(`${w.url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) if ((line.startsWith(`${name}{`) || line.startsWith(`${name} `)) && labels.every((l) => line.includes(l))) sum += Number(line.split(' ').at(-1));
  return sum;
}

async function pullToken(w: WharfProcess, name: string, auth = basic): Promise<string> {
  const res = await fetch(`${w.url}/jwt/auth?service=container_registry&scope=repository:${name}:pull`, { headers: { Authorization: auth } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { token: string }).token;
}

/** GET over node:http (lighter than fetch's web streams for gigabytes), the body counted and, with `hash`, hashed as it streams. */
function httpHash(url: string, token: string, hash: boolean): Promise<{ status: number; digest: string | undefined; size: number }> {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers: { Authorization: `Bearer ${token}` } }, (res) => {
      const h = hash ? createHash('sha256') : undefined;
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        h?.update(chunk);
        size += chunk.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, digest: h && `sha256:${h.digest('hex')}`, size }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** Streams a response body through SHA-256 (never holding it whole). */
async function hashBody(res: Response): Promise<{ digest: string; size: number }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    h.update(chunk);
    size += chunk.length;
  }
  return { digest: `sha256:${h.digest('hex')}`, size };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('pull-through cache semantics with skopeo, podman and 50 concurrent clients', { skip, timeout: 600_000 }, () => {
  let work: string;
  let layout: OciLayout;
  let dist: DistributionProcess;
  let upstreamWharf: WharfProcess;
  let wharf: WharfProcess;
  let tdb: TestDatabase;
  let sql: pg.Client;
  let groupId: number;
  let registryId: number;
  let distUpstream: number;
  let wharfUpstream: number;
  let via: string;
  let storage: string[];
  let sbomSubject: Awaited<ReturnType<OciLayout['image']>>;
  const auth = `auth:\n  token: {}\nvirtual_registries:\n  allow_private_upstreams: true\n`;

  before(async () => {
    process.env.WHARF_ROOT_PASSWORD = PASSWORD;
    work = await tempDir('wharf-pull-through-');
    storage = ['--storage-driver', 'vfs', '--root', join(work, 'podman-root'), '--runroot', join(work, 'podman-runroot')];
    layout = await OciLayout.create(join(work, 'src'));
    await layout.image({ tag: 'one', layers: 2, layerSize: 200_000 });
    await layout.image({ tag: 'two', layers: 1, layerSize: 150_000 });
    await layout.image({ tag: 'big', layers: 2, layerSize: 100 * MiB });
    sbomSubject = await layout.image({ tag: 'signed', layers: 1, layerSize: 50_000 });
    await layout.artifact('sbom', sbomSubject);
    await layout.flush();
    const htpasswd = join(work, 'htpasswd');
    await writeFile(htpasswd, await run('htpasswd', ['-Bbn', 'alice', UPSTREAM_PASSWORD]));
    dist = await startDistribution(join(work, 'dist'), work, `auth:\n  htpasswd:\n    realm: wharf-test\n    path: ${htpasswd}\n`);
    upstreamWharf = await spawnWharf(join(work, 'up'), work, 1, auth);
    tdb = await createMigratedTestDatabase();
    const db = tdb.section;
    wharf = await spawnWharf(
      join(work, 'wharf'),
      work,
      2,
      `${auth}gc:\n  reviewafter: 1s\n  noidlebackoff: true\n  blobs:\n    interval: 100ms\n  manifests:\n    interval: 100ms\n`,
      `  enabled: true\n  host: ${db.host}\n  port: ${db.port}\n  user: ${db.user}\n  dbname: ${db.dbname}\n  sslmode: disable\n`,
    );
    sql = new pg.Client({ host: db.host, port: db.port, user: db.user, database: db.dbname });
    await sql.connect();
    const ug = await api(upstreamWharf, 'POST', '/groups', { path: 'pub', visibility: 'public' });
    assert.equal(ug.status, 201, ug.text);
    assert.equal((await api(upstreamWharf, 'POST', '/projects', { path: 'big', namespace_id: ug.body.id, visibility: 'public' })).status, 201);
    const g = await api(wharf, 'POST', '/groups', { path: 'acme' });
    assert.equal(g.status, 201, g.text);
    groupId = g.body.id;
    const r = await api(wharf, 'POST', `/groups/${groupId}/-/virtual_registries/container/registries`, { name: 'mirror' });
    assert.equal(r.status, 201, r.text);
    registryId = r.body.id;
    const a = await api(wharf, 'POST', `/virtual_registries/container/registries/${registryId}/upstreams`, { url: dist.url, name: 'distribution', username: 'alice', password: UPSTREAM_PASSWORD });
    assert.equal(a.status, 201, a.text);
    distUpstream = a.body.id;
    const b = await api(wharf, 'POST', `/virtual_registries/container/registries/${registryId}/upstreams`, { url: upstreamWharf.url, name: 'wharf' });
    assert.equal(b.status, 201, b.text);
    wharfUpstream = b.body.id;
    via = `${wharf.host}/virtual_registries/container/${registryId}`;
  });
  after(async () => {
    await sql?.end();
    await dist?.stop();
    await upstreamWharf?.kill();
    await wharf?.kill();
    await tdb?.drop();
  });

  it('pulls from a Basic-auth upstream with skopeo (copy, inspect, list-tags) and podman, by tag and digest; the password is in no answer', async () => {
    const pushed = await skopeoCopy(`oci:${layout.dir}:one`, `docker://${dist.host}/team/app:v1`, ['--dest-creds', `alice:${UPSTREAM_PASSWORD}`]);
    await skopeoCopy(`oci:${layout.dir}:two`, `docker://${dist.host}/team/app:other`, ['--dest-creds', `alice:${UPSTREAM_PASSWORD}`]);
    const creds = `root:${PASSWORD}`;
    assert.equal(await skopeoCopy(`docker://${via}/team/app:v1`, `oci:${join(work, 'o1')}:v1`, ['--src-creds', creds]), pushed);
    const inspected = JSON.parse(await run('skopeo', ['inspect', '--tls-verify=false', '--creds', creds, `docker://${via}/team/app:v1`])) as { Digest: string; RepoTags: string[] };
    assert.equal(inspected.Digest, pushed);
    assert.deepEqual(inspected.RepoTags, ['other', 'v1']);
    const listed = JSON.parse(await run('skopeo', ['list-tags', '--tls-verify=false', '--creds', creds, `docker://${via}/team/app`])) as { Tags: string[] };
    assert.deepEqual(listed.Tags, ['other', 'v1']);
    // podman, by tag and by digest, through `podman login` to the virtual registry's path.
    const authfile = join(work, 'podman-auth.json');
    await run('podman', ['login', '--tls-verify=false', '--authfile', authfile, '--username', 'root', '--password', PASSWORD, via]);
    await run('podman', [...storage, 'pull', '--tls-verify=false', '--authfile', authfile, `${via}/team/app:v1`]);
    await run('podman', [...storage, 'pull', '--tls-verify=false', '--authfile', authfile, `${via}/team/app@${pushed}`]);
    const images = JSON.parse(await run('podman', [...storage, 'image', 'inspect', `${via}/team/app:v1`])) as Array<{ RepoDigests: string[] }>;
    assert.ok(images[0]?.RepoDigests.includes(`${via}/team/app@${pushed}`), `podman recorded ${images[0]?.RepoDigests.join(', ')}`);
    // An artifact (an SBOM whose subject is an image), by tag, with its artifactType intact.
    const sbom = await skopeoCopy(`oci:${layout.dir}:sbom`, `docker://${dist.host}/team/app:sbom`, ['--dest-creds', `alice:${UPSTREAM_PASSWORD}`]);
    assert.equal(await skopeoCopy(`docker://${via}/team/app:sbom`, `oci:${join(work, 'o0')}:sbom`, ['--src-creds', creds]), sbom);
    const raw = JSON.parse(await run('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', creds, `docker://${via}/team/app@${sbom}`])) as { artifactType: string; subject: { digest: string } };
    assert.equal(raw.artifactType, 'application/vnd.example.sbom.v1+json');
    assert.equal(raw.subject.digest, sbomSubject.digest);
    // The upstream's password is sealed: no answer of the API carries it.
    const answers = [
      await api(wharf, 'GET', `/virtual_registries/container/registries/${registryId}/upstreams`),
      await api(wharf, 'GET', `/virtual_registries/container/upstreams/${distUpstream}`),
      await api(wharf, 'GET', `/groups/${groupId}/-/virtual_registries/container/upstreams`),
      await api(wharf, 'GET', `/virtual_registries/container/upstreams/${distUpstream}/cache_entries`),
    ];
    for (const a of answers) {
      assert.equal(a.status, 200);
      assert.ok(!a.text.includes(UPSTREAM_PASSWORD), 'password in an API answer');
    }
    assert.ok(!wharf.log().includes(UPSTREAM_PASSWORD), 'password in the log');
    const stored = await sql.query('SELECT password_encrypted FROM virtual_registries_container_upstreams WHERE id = $1', [distUpstream]);
    assert.ok(!String(stored.rows[0].password_encrypted).includes(UPSTREAM_PASSWORD), 'stored in clear');
  });

  it('serves a tag moved upstream old until the entry is stale, new after; never stale at 0 hours', async () => {
    const inspect = async () => (JSON.parse(await run('skopeo', ['inspect', '--tls-verify=false', '--creds', `root:${PASSWORD}`, `docker://${via}/team/app:v1`])) as { Digest: string }).Digest;
    const age = () => sql.query("UPDATE virtual_registries_container_cache_entries SET upstream_checked_at = now() - interval '25 hours' WHERE relative_path = 'team/app/manifests/v1'");
    const old = await inspect();
    const moved = await skopeoCopy(`oci:${layout.dir}:two`, `docker://${dist.host}/team/app:v1`, ['--dest-creds', `alice:${UPSTREAM_PASSWORD}`]);
    assert.notEqual(moved, old);
    assert.equal(await inspect(), old, 'fresh entry served from the cache');
    const revalidated = await metric(wharf, 'wharf_virtual_registry_requests_total', ['result="revalidated"']);
    await age();
    assert.equal(await inspect(), moved, 'stale entry revalidated and fetched again');
    assert.equal(await metric(wharf, 'wharf_virtual_registry_requests_total', ['result="revalidated"']), revalidated + 1);
    // The old manifest went to GC review when the tag's entry moved; its digest entry keeps it.
    await waitFor('the old digest reviewed', async () => ((await sql.query('SELECT 1 FROM gc_blob_review_queue WHERE digest = $1', [old])).rowCount === 0 ? true : undefined));
    assert.equal(await skopeoCopy(`docker://${via}/team/app@${old}`, `oci:${join(work, 'o2')}:old`, ['--src-creds', `root:${PASSWORD}`]), old);
    // 0 hours: never stale, whatever its age.
    assert.equal((await api(wharf, 'PATCH', `/virtual_registries/container/upstreams/${distUpstream}`, { cache_validity_hours: 0 })).status, 200);
    await skopeoCopy(`oci:${layout.dir}:one`, `docker://${dist.host}/team/app:v1`, ['--dest-creds', `alice:${UPSTREAM_PASSWORD}`]);
    await age();
    assert.equal(await inspect(), moved, 'cache_validity_hours 0: served from the cache');
    assert.equal((await api(wharf, 'PATCH', `/virtual_registries/container/upstreams/${distUpstream}`, { cache_validity_hours: 24 })).status, 200);
    await age();
    assert.equal(await inspect(), old, 'back to 24 hours: stale and fetched again');
  });

  it('pulls with a group deploy token that has read_virtual_registry, and refuses one without it', async () => {
    const good = await api(wharf, 'POST', `/groups/${groupId}/deploy_tokens`, { name: 'ci', scopes: ['read_virtual_registry'] });
    assert.equal(good.status, 201, good.text);
    const bad = await api(wharf, 'POST', `/groups/${groupId}/deploy_tokens`, { name: 'other', scopes: ['read_registry'] });
    assert.equal(bad.status, 201, bad.text);
    const listed = await api(wharf, 'GET', `/groups/${groupId}/deploy_tokens`);
    assert.deepEqual(listed.body.map((t: { name: string }) => t.name).sort(), ['ci', 'other']);
    assert.ok(!listed.text.includes(good.body.token), 'the secret is shown once');
    const digest = await skopeoCopy(`docker://${via}/team/app:other`, `oci:${join(work, 'o3')}:t`, ['--src-creds', `${good.body.username}:${good.body.token}`]);
    assert.match(digest, /^sha256:/);
    await assert.rejects(skopeoCopy(`docker://${via}/team/app:other`, `oci:${join(work, 'o4')}:t`, ['--src-creds', `${bad.body.username}:${bad.body.token}`]), /unauthorized|denied|authentication required|401|403/i);
    assert.equal((await api(wharf, 'DELETE', `/groups/${groupId}/deploy_tokens/${good.body.id}`)).status, 204);
    await assert.rejects(
      skopeoCopy(`docker://${via}/team/app:other`, `oci:${join(work, 'o5')}:t`, ['--src-creds', `${good.body.username}:${good.body.token}`]),
      /unauthorized|denied|authentication required|invalid|401|403/i,
    );
  });

  it('50 concurrent cold pulls of a 200 MiB image make one upstream GET per blob, across two worker processes', async () => {
    const pushed = await skopeoCopy(`oci:${layout.dir}:big`, `docker://${upstreamWharf.host}/pub/big:1`, ['--dest-creds', `root:${PASSWORD}`]);
    const manifest = JSON.parse((await layout.read(pushed)).toString()) as { config: { digest: string; size: number }; layers: Array<{ digest: string; size: number }> };
    const blobs = [manifest.config, ...manifest.layers];
    assert.ok(blobs.reduce((s, b) => s + b.size, 0) > 200 * MiB);
    const blobGets = () => metric(upstreamWharf, 'wharf_http_requests_total', ['method="GET"', 'route="blob"', 'status="200"']);
    const manifestGets = () => metric(upstreamWharf, 'wharf_http_requests_total', ['method="GET"', 'route="manifest"', 'status="200"']);
    const [blobsBefore, manifestsBefore] = [await blobGets(), await manifestGets()];
    const name = `virtual_registries/container/${registryId}/pub/big`;
    // Every client checks sizes; one in six also hashes what it got (hashing 10 GiB in the test process would dominate its time).
    const httpPull = async (_: unknown, i: number) => {
      const hash = i % 6 === 0;
      const token = await pullToken(wharf, name);
      const m = await fetch(`${wharf.url}/v2/${name}/manifests/1`, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/vnd.oci.image.manifest.v1+json' } });
      assert.equal(m.status, 200);
      assert.equal(m.headers.get('docker-content-digest'), pushed);
      await m.arrayBuffer();
      const got = await Promise.all(blobs.map(async (b) => httpHash(`${wharf.url}/v2/${name}/blobs/${b.digest}`, token, hash)));
      assert.deepEqual(
        got,
        blobs.map((b) => ({ status: 200, digest: hash ? b.digest : undefined, size: b.size })),
      );
      return pushed;
    };
    // 48 clients over HTTP and two skopeo processes, all at once.
    const pulls = [
      ...Array.from({ length: 48 }, httpPull),
      skopeoCopy(`docker://${via}/pub/big:1`, `oci:${join(work, 'big1')}:b`, ['--src-creds', `root:${PASSWORD}`]),
      skopeoCopy(`docker://${via}/pub/big:1`, `oci:${join(work, 'big2')}:b`, ['--src-creds', `root:${PASSWORD}`]),
    ];
    assert.deepEqual(await Promise.all(pulls), Array(50).fill(pushed));
    assert.equal((await blobGets()) - blobsBefore, blobs.length, 'one upstream GET per blob');
    assert.equal((await manifestGets()) - manifestsBefore, 1, 'one upstream GET of the manifest');
    assert.ok((await metric(wharf, 'wharf_virtual_registry_bytes_saved_total')) > 40 * 200 * MiB, 'bytes saved counted');
    // The group's usage counts the cached blobs.
    const usage = await api(wharf, 'GET', `/groups/${groupId}/registry/disk_usage`);
    assert.equal(usage.status, 200, usage.text);
    assert.ok(usage.body.virtual_registry_cache_size_bytes >= 200 * MiB, usage.text);
    assert.equal(usage.body.total_size_bytes, usage.body.container_registry_size_bytes + usage.body.virtual_registry_cache_size_bytes);
  });

  it('a client cut off mid-pull: the fill completes, only the verified blob becomes visible, and GC collects it once its entry is deleted', async () => {
    const layer = Buffer.alloc(64 * MiB, 7);
    layer.write(`cut-off ${Date.now()}`);
    const digest = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
    const upToken = await (async () => {
      const res = await fetch(`${upstreamWharf.url}/jwt/auth?service=container_registry&scope=repository:pub/big:push,pull`, { headers: { Authorization: basic } });
      return ((await res.json()) as { token: string }).token;
    })();
    const up = await fetch(`${upstreamWharf.url}/v2/pub/big/blobs/uploads/?digest=${digest}`, { method: 'POST', headers: { Authorization: `Bearer ${upToken}`, 'Content-Type': 'application/octet-stream' }, body: layer });
    assert.equal(up.status, 201);
    const before = await metric(upstreamWharf, 'wharf_http_requests_total', ['method="GET"', 'route="blob"', 'status="200"']);
    const name = `virtual_registries/container/${registryId}/pub/big`;
    const token = await pullToken(wharf, name);
    const abort = new AbortController();
    const res = await fetch(`${wharf.url}/v2/${name}/blobs/${digest}`, { headers: { Authorization: `Bearer ${token}` }, signal: abort.signal });
    assert.equal(res.status, 200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    assert.ok(first.value && first.value.length > 0 && first.value.length < layer.length);
    abort.abort();
    const entry = await waitFor('the cache entry of the cut-off blob', async () => {
      const list = await api(wharf, 'GET', `/virtual_registries/container/upstreams/${wharfUpstream}/cache_entries?search=${digest.slice(7)}`);
      return list.body.find((e: { relative_path: string }) => e.relative_path === `pub/big/blobs/${digest}`) as { id: number; size: number } | undefined;
    });
    assert.equal(entry.size, layer.length);
    const again = await fetch(`${wharf.url}/v2/${name}/blobs/${digest}`, { headers: { Authorization: `Bearer ${token}` } });
    assert.deepEqual(await hashBody(again), { digest, size: layer.length });
    // Ranges of a cached blob, as of a local one.
    const part = await fetch(`${wharf.url}/v2/${name}/blobs/${digest}`, { headers: { Authorization: `Bearer ${token}`, Range: 'bytes=0-15' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 0-15/${layer.length}`);
    assert.deepEqual(Buffer.from(await part.arrayBuffer()), layer.subarray(0, 16));
    assert.equal((await metric(upstreamWharf, 'wharf_http_requests_total', ['method="GET"', 'route="blob"', 'status="200"'])) - before, 1, 'one upstream GET');
    // No temporary object of the fill is left behind: no claim, no directory.
    assert.equal((await sql.query('SELECT count(*)::int AS n FROM virtual_registries_container_fills')).rows[0].n, 0);
    const fills = join(work, 'wharf', 'docker', 'registry', 'v2', 'repositories', 'virtual_registries', 'fills', '_uploads');
    await waitFor('the fill directories to go', async () => ((await readdir(fills).catch(() => [])).length === 0 ? true : undefined));
    // Deleting the entry queues the blob for online GC, which removes it (no manifest and no other entry names it).
    const data = join(work, 'wharf', 'docker', 'registry', 'v2', 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7), 'data');
    assert.ok(existsSync(data));
    assert.equal((await api(wharf, 'DELETE', `/virtual_registries/container/cache_entries/${entry.id}`)).status, 204);
    await waitFor('GC to remove the blob', async () => (existsSync(data) ? undefined : true));
    // A blob still named by an entry survives a review.
    const kept = (await sql.query("SELECT digest FROM virtual_registries_container_cache_entries WHERE relative_path LIKE 'pub/big/blobs/%' LIMIT 1")).rows[0].digest as string;
    await sql.query("SELECT gc_queue_blob($1, 'virtual_cache_entry_delete')", [kept]);
    await waitFor('the kept digest reviewed', async () => ((await sql.query('SELECT 1 FROM gc_blob_review_queue WHERE digest = $1', [kept])).rowCount === 0 ? true : undefined));
    assert.ok(existsSync(join(work, 'wharf', 'docker', 'registry', 'v2', 'blobs', 'sha256', kept.slice(7, 9), kept.slice(7), 'data')));
  });
});
