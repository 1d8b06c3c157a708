/**
 * Geo end to end (SPEC 7): real sites on this machine, each a separate
 * `wharf serve` process with its own data directory and embedded PostgreSQL,
 * sharing one signing key pair; images pushed and pulled with skopeo.
 * Sites: A (primary), B (secondary), C (a secondary that cannot reach A's
 * control plane, so it never syncs: every pull it serves goes to A), D (a
 * secondary with another key pair), E (a secondary added later: backfill,
 * and the remaining secondary after B's promotion).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testKey, type TestKey } from '../support/auth-stack.js';
import { freePort } from '../support/distribution.js';
import { OciLayout } from '../support/oci-layout.js';
import { spawnWharf, type WharfProcess } from '../support/process.js';
import { tempDir } from '../support/temp.js';
import { loadSigningKey } from '../../src/control/signing-key.js';
import { TokenIssuer } from '../../src/control/token-issuer.js';
import { requireCommand, run, skopeoCopy } from '../support/tools.js';

const skip = requireCommand('skopeo');
const PASSWORD = 'geo-root-password-1234';
const ROOT = ['--src-creds', `root:${PASSWORD}`];
const ROOT_DEST = ['--dest-creds', `root:${PASSWORD}`];
const BIN = new URL('../../bin/wharf.js', import.meta.url).pathname;
const GROUPS = { shop: ['app', 'multi', 'signed', 'moving', 'unsynced'], burst: ['r0', 'r1', 'r2', 'r3', 'r4'], after: ['failover'] };

interface Site {
  name: string;
  root: string;
  port: number;
  proc: WharfProcess;
  config: string;
  yaml: string;
}

const basic = `Basic ${Buffer.from(`root:${PASSWORD}`).toString('base64')}`;

async function api(s: Site, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${s.proc.url}/api/v4${path}`, { method, headers: { Authorization: basic, ...(body ? { 'Content-Type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function registryToken(s: Site, scope: string): Promise<string> {
  const res = await fetch(`${s.proc.url}/jwt/auth?service=container_registry&scope=${encodeURIComponent(scope)}`, { headers: { Authorization: basic } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { token: string }).token;
}

async function registry(s: Site, method: string, path: string, scope: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${s.proc.url}${path}`, { method, headers: { Authorization: `Bearer ${await registryToken(s, scope)}`, ...headers }, redirect: 'manual' });
}

/** Waits until `check` returns a value (not undefined), polling; fails with the last value seen. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String((last as Error).message ?? last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The sync row of a repository on a secondary, once its state is `state`. */
function syncedOn(s: Site, path: string, state = 2, since?: string) {
  return until(`${path} in state ${state} on ${s.name}`, async () => {
    const rows = (await api(s, 'GET', '/geo/repositories?per_page=100')).body as Array<{ path: string; state: number; last_synced_at: string | null; verified_at: string | null; last_sync_failure: string | null }>;
    const row = rows.find((r) => r.path === path);
    if (!row || row.state !== state) throw new Error(`last seen: ${JSON.stringify(row ?? 'no row')}`);
    if (since && !(row.last_synced_at && row.last_synced_at > since)) return undefined;
    return row;
  });
}

describe('Geo replication between real sites', { skip, timeout: 600_000 }, () => {
  let work: string;
  let key: TestKey;
  let otherKey: TestKey;
  let layout: OciLayout;
  const sites = new Map<string, Site>();

  async function start(name: string, geoYaml: string, opts: { key?: TestKey; port?: number; root?: string } = {}): Promise<Site> {
    const k = opts.key ?? key;
    const root = opts.root ?? join(work, name);
    const port = opts.port ?? (await freePort());
    const yaml = `auth:\n  token: {}\ncontrolplane:\n  key: ${k.key}\n  certificate: ${k.certificate}\n  jobinterval: 200ms\ngeo:\n  name: ${name}\n${geoYaml}`;
    const proc = await spawnWharf(root, work, 1, yaml, '', undefined, undefined, port);
    const config = (await readdir(work)).filter((f) => f === `wharf-${port}.yml`)[0] as string;
    const site = { name, root, port, proc, config: join(work, config), yaml: geoYaml };
    sites.set(name, site);
    return site;
  }
  const secondaryOf = (p: Site, extra = '') => `  role: secondary\n  primary:\n    api_url: ${p.proc.url}\n    registry_url: ${p.proc.url}\n  sync:\n    backfillinterval: 3s\n    concurrency: 4\n${extra}`;

  before(async () => {
    process.env.WHARF_ROOT_PASSWORD = PASSWORD;
    work = await tempDir('wharf-geo-');
    [key, otherKey] = await Promise.all([testKey(), testKey('other')]);
    layout = await OciLayout.create(join(work, 'src'));
    await layout.image({ tag: 'v1', layers: 2, layerSize: 50_000 });
    await layout.image({ tag: 'v2', layers: 1, layerSize: 30_000, arch: 'arm64' });
    const v1 = await layout.image({ tag: 'signed', layers: 1, layerSize: 20_000 });
    await layout.artifact('sig', v1, 'application/vnd.example.signature.v1+json');
    await layout.multiArch('multi');
    await layout.flush();
    const a = await start('site-a', '  role: primary\n');
    const b = await start('site-b', secondaryOf(a));
    const c = await start('site-c', secondaryOf(a, '    paused: true\n'));
    for (const s of [b]) {
      const r = await api(a, 'POST', '/geo/sites', { name: s.name, api_url: s.proc.url, registry_url: s.proc.url });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    // Projects live on the primary; the secondaries copy them (and the users) to issue tokens themselves.
    for (const [group, projects] of Object.entries(GROUPS)) {
      const g = await api(a, 'POST', '/groups', { path: group });
      assert.equal(g.status, 201, JSON.stringify(g.body));
      for (const path of projects) assert.equal((await api(a, 'POST', '/projects', { path, namespace_id: g.body.id })).status, 201);
    }
    for (const s of [b, c]) await until(`${s.name} to copy the projects`, async () => ((await api(s, 'GET', `/projects/${encodeURIComponent('after/failover')}`)).status === 200 ? true : undefined));
  });
  after(async () => {
    await Promise.all([...sites.values()].map((s) => s.proc.kill()));
  });

  it('a push to the primary is pulled from the secondary with identical digests, served by the secondary itself', async () => {
    const [a, b] = [sites.get('site-a')!, sites.get('site-b')!];
    const pushed = await skopeoCopy(`oci:${layout.dir}:v1`, `docker://${a.proc.host}/shop/app:v1`, ROOT_DEST);
    await syncedOn(b, 'shop/app');
    const pulled = await skopeoCopy(`docker://${b.proc.host}/shop/app:v1`, `oci:${join(work, 'pulled-b')}:v1`, ROOT);
    assert.equal(pulled, pushed);
    const res = await registry(b, 'GET', '/v2/shop/app/manifests/v1', 'repository:shop/app:pull', { Accept: 'application/vnd.oci.image.manifest.v1+json' });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-wharf-geo'), null, 'a synced tag is answered by the secondary, not forwarded');
    assert.equal(res.headers.get('docker-content-digest'), pushed);
  });

  it('an OCI index and a referrer (a signature with subject) replicate; the referrers API on the secondary lists it', async () => {
    const [a, b] = [sites.get('site-a')!, sites.get('site-b')!];
    const multi = await skopeoCopy(`oci:${layout.dir}:multi`, `docker://${a.proc.host}/shop/multi:latest`, [...ROOT_DEST, '--all']);
    const signed = await skopeoCopy(`oci:${layout.dir}:signed`, `docker://${a.proc.host}/shop/signed:v1`, ROOT_DEST);
    // The signature is pushed by digest only (no tag): only the referrers walk can find it.
    const sigManifest = await run('skopeo', ['inspect', '--raw', `oci:${layout.dir}:sig`]);
    const sigDigest = `sha256:${createHash('sha256').update(sigManifest).digest('hex')}`;
    await skopeoCopy(`oci:${layout.dir}:sig`, `docker://${a.proc.host}/shop/signed@${sigDigest}`, ROOT_DEST).catch(async () => {
      // skopeo cannot push by digest to every registry: PUT it directly.
      const put = await fetch(`${a.proc.url}/v2/shop/signed/manifests/${sigDigest}`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${await registryToken(a, 'repository:shop/signed:push,pull')}`, 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
        body: sigManifest,
      });
      assert.equal(put.status, 201);
    });
    await syncedOn(b, 'shop/multi');
    const since = new Date(Date.now() - 60_000).toISOString();
    await until('the signature on site-b', async () => {
      const r = await registry(b, 'GET', `/v2/shop/signed/referrers/${signed}`, 'repository:shop/signed:pull');
      const index = (await r.json()) as { manifests: Array<{ digest: string }> };
      return index.manifests.some((m) => m.digest === sigDigest) && r.headers.get('x-wharf-geo') === null ? true : undefined;
    });
    assert.ok(since);
    const pulled = await skopeoCopy(`docker://${b.proc.host}/shop/multi:latest`, `oci:${join(work, 'pulled-multi')}:latest`, [...ROOT, '--all']);
    assert.equal(pulled, multi);
    const sig = await registry(b, 'GET', `/v2/shop/signed/manifests/${sigDigest}`, 'repository:shop/signed:pull', { Accept: 'application/vnd.oci.image.manifest.v1+json' });
    assert.equal(sig.status, 200);
    assert.equal(sig.headers.get('x-wharf-geo'), null);
  });

  it('a moved tag, a deleted tag and a deleted repository on the primary are the same on the secondary', async () => {
    const [a, b] = [sites.get('site-a')!, sites.get('site-b')!];
    await skopeoCopy(`oci:${layout.dir}:v1`, `docker://${a.proc.host}/shop/moving:latest`, ROOT_DEST);
    await skopeoCopy(`oci:${layout.dir}:v1`, `docker://${a.proc.host}/shop/moving:old`, ROOT_DEST);
    await syncedOn(b, 'shop/moving');
    const moved = await skopeoCopy(`oci:${layout.dir}:v2`, `docker://${a.proc.host}/shop/moving:latest`, ROOT_DEST);
    const del = await registry(a, 'DELETE', '/v2/shop/moving/manifests/old', 'repository:shop/moving:delete');
    assert.equal(del.status, 202);
    await until('latest moved and old gone on site-b', async () => {
      const tags = (await (await registry(b, 'GET', '/v2/shop/moving/tags/list', 'repository:shop/moving:pull')).json()) as { tags: string[] };
      const head = await registry(b, 'HEAD', '/v2/shop/moving/manifests/latest', 'repository:shop/moving:pull', { Accept: 'application/vnd.oci.image.manifest.v1+json' });
      return JSON.stringify(tags.tags) === '["latest"]' && head.headers.get('docker-content-digest') === moved && head.headers.get('x-wharf-geo') === null ? true : undefined;
    });
    // The whole repository: its manifest by digest removes the last tag with it.
    const gone = await registry(a, 'DELETE', `/v2/shop/moving/manifests/${moved}`, 'repository:shop/moving:delete');
    assert.equal(gone.status, 202);
    await until('shop/moving emptied on site-b', async () => {
      const tags = await registry(b, 'GET', '/v2/shop/moving/tags/list', 'repository:shop/moving:pull');
      const body = (await tags.json()) as { tags?: string[] | null; errors?: unknown };
      if (tags.status === 200 && (body.tags ?? []).length > 0) return undefined;
      const res = await fetch(`${b.proc.url}/v2/shop/moving/manifests/${moved}`, { method: 'HEAD', headers: { Authorization: `Bearer ${await registryToken(b, 'repository:shop/moving:pull')}`, 'X-No': '1' } });
      // Forwarded to the primary (not held here), which has it no longer either.
      return res.status === 404 ? true : undefined;
    });
  });

  it('a rename on the primary (/gitlab/v1) moves the repository on the secondary', async () => {
    const [a, b] = [sites.get('site-a')!, sites.get('site-b')!];
    const pushed = await skopeoCopy(`oci:${layout.dir}:v1`, `docker://${a.proc.host}/shop/app/web:v1`, ROOT_DEST);
    await syncedOn(b, 'shop/app/web');
    // The control plane's own kind of token (namespace wildcard), which /jwt/auth never gives a client.
    const issuer = new TokenIssuer(() => loadSigningKey({ key: key.key, certificate: key.certificate, dir: work }), 'wharf-issuer', 'container_registry');
    const access = ['shop/app/web', 'shop/app/web/*'].map((name) => ({ type: 'repository', name, actions: ['push', 'pull'] }));
    const { token } = await issuer.issue({ subject: 'root', authType: 'gitlab_or_ldap', access, lifetimeSeconds: 300 });
    const res = await fetch(`${a.proc.url}/gitlab/v1/repositories/shop/app/web/?dry_run=false`, {
      method: 'PATCH',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'site' }),
    });
    assert.equal(res.status, 204, await res.text());
    await syncedOn(b, 'shop/app/site');
    const head = await registry(b, 'HEAD', '/v2/shop/app/site/manifests/v1', 'repository:shop/app/site:pull', { Accept: 'application/vnd.oci.image.manifest.v1+json' });
    assert.equal(head.headers.get('docker-content-digest'), pushed);
    assert.equal(head.headers.get('x-wharf-geo'), null);
    await until('shop/app/web emptied on site-b', async () => {
      const tags = await registry(b, 'GET', '/v2/shop/app/web/tags/list', 'repository:shop/app/web:pull');
      const body = (await tags.json()) as { tags?: string[] | null };
      return tags.status !== 200 || (body.tags ?? []).length === 0 ? true : undefined;
    });
  });

  it('a push to the secondary is refused with an OCI error naming the primary', async () => {
    const [a, b] = [sites.get('site-a')!, sites.get('site-b')!];
    await assert.rejects(skopeoCopy(`oci:${layout.dir}:v1`, `docker://${b.proc.host}/shop/app:nope`, ROOT_DEST), new RegExp(`Geo secondary.*${a.proc.url.replace(/[.]/g, '\\.')}`));
    const res = await registry(b, 'POST', '/v2/shop/app/blobs/uploads/', 'repository:shop/app:push,pull');
    assert.equal(res.status, 403);
    const body = (await res.json()) as { errors: Array<{ code: string; message: string }> };
    assert.equal(body.errors[0]?.code, 'DENIED');
    assert.match(body.errors[0]?.message ?? '', new RegExp(a.proc.url.replace(/[.]/g, '\\.')));
  });

  it('a site that has not synced (replication paused) serves pulls through the primary (proxy)', async () => {
    const [a, c] = [sites.get('site-a')!, sites.get('site-c')!];
    const pushed = await skopeoCopy(`oci:${layout.dir}:v2`, `docker://${a.proc.host}/shop/unsynced:v2`, ROOT_DEST);
    const pulled = await skopeoCopy(`docker://${c.proc.host}/shop/unsynced:v2`, `oci:${join(work, 'pulled-c')}:v2`, ROOT);
    assert.equal(pulled, pushed);
    const res = await registry(c, 'GET', '/v2/shop/unsynced/manifests/v2', 'repository:shop/unsynced:pull', { Accept: 'application/vnd.oci.image.manifest.v1+json' });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('x-wharf-geo') ?? '', /from-primary; proxy/);
    // It has read the event, and holds nothing.
    const rows = await until('site-c to record shop/unsynced as pending', async () => {
      const r = (await api(c, 'GET', '/geo/repositories?state=0&per_page=100')).body as Array<{ path: string }>;
      return r.some((x) => x.path === 'shop/unsynced') ? r : undefined;
    });
    assert.ok(rows.length > 0);
    assert.equal((await api(c, 'GET', '/geo/status')).body.container_repositories_synced_count, 0);
  });

  it('a secondary with another key pair fails with "untrusted issuer", never synced', async () => {
    const a = sites.get('site-a')!;
    const d = await start('site-d', secondaryOf(a), { key: otherKey });
    const status = await until('site-d to report its error', async () => {
      const s = (await api(d, 'GET', '/geo/status')).body as { last_error: string | null; container_repositories_synced_count: number };
      return s.last_error ? s : undefined;
    });
    assert.match(status.last_error as string, /untrusted issuer/);
    assert.equal(status.container_repositories_synced_count, 0);
    await d.proc.kill();
    sites.delete('site-d');
  });

  it('a blob corrupted on the secondary fails verification and a resync repairs it', async () => {
    const b = sites.get('site-b')!;
    const manifest = (await (await registry(b, 'GET', '/v2/shop/app/manifests/v1', 'repository:shop/app:pull', { Accept: 'application/vnd.oci.image.manifest.v1+json' })).json()) as {
      layers: Array<{ digest: string; size: number }>;
    };
    const layer = manifest.layers[0]!.digest;
    const file = join(b.root, 'docker/registry/v2/blobs/sha256', layer.slice(7, 9), layer.slice(7), 'data');
    await writeFile(file, Buffer.alloc(manifest.layers[0]!.size, 7));
    const hash = async () => {
      const res = await registry(b, 'GET', `/v2/shop/app/blobs/${layer}`, 'repository:shop/app:pull');
      return `sha256:${createHash('sha256')
        .update(Buffer.from(await res.arrayBuffer()))
        .digest('hex')}`;
    };
    assert.notEqual(await hash(), layer, 'the blob is corrupted before the resync');
    const since = new Date().toISOString();
    const r = await api(b, 'POST', '/geo/resync', { path: 'shop/app', verify: true });
    assert.equal(r.status, 202);
    const row = await syncedOn(b, 'shop/app', 2, since);
    assert.ok(row.verified_at && row.verified_at > since, 'verified by this resync');
    assert.equal(await hash(), layer);
  });

  it('pushes made while the secondary is down are all caught up when it returns, none lost', async () => {
    const [a, b] = [sites.get('site-a')!, sites.get('site-b')!];
    await b.proc.kill();
    const digests = new Map<string, string>();
    for (let i = 0; i < 50; i++) {
      const src = i % 2 === 0 ? 'v1' : 'v2';
      digests.set(`t${i}`, await skopeoCopy(`oci:${layout.dir}:${src}`, `docker://${a.proc.host}/burst/r${i % 5}:t${i}`, ROOT_DEST));
    }
    b.proc = await spawnWharf(
      b.root,
      work,
      1,
      `auth:\n  token: {}\ncontrolplane:\n  key: ${key.key}\n  certificate: ${key.certificate}\n  jobinterval: 200ms\ngeo:\n  name: site-b\n${b.yaml}`,
      '',
      undefined,
      undefined,
      b.port,
    );
    for (let r = 0; r < 5; r++) await syncedOn(b, `burst/r${r}`, 2);
    for (let r = 0; r < 5; r++) {
      const tags = (await (await registry(b, 'GET', `/v2/burst/r${r}/tags/list`, `repository:burst/r${r}:pull`)).json()) as { tags: string[] };
      assert.equal(tags.tags.length, 10);
      for (const t of tags.tags) {
        const head = await registry(b, 'HEAD', `/v2/burst/r${r}/manifests/${t}`, `repository:burst/r${r}:pull`, { Accept: 'application/vnd.oci.image.manifest.v1+json' });
        assert.equal(head.headers.get('docker-content-digest'), digests.get(t), t);
        assert.equal(head.headers.get('x-wharf-geo'), null, `${t} is held by site-b`);
      }
    }
  });

  it('the primary down: the failure is recorded with its reason, then retried and synced when it returns', async () => {
    const [a, b] = [sites.get('site-a')!, sites.get('site-b')!];
    await a.proc.kill();
    assert.equal((await api(b, 'POST', '/geo/resync', { path: 'shop/app' })).status, 202);
    const failed = await syncedOn(b, 'shop/app', 3);
    const rows = (await api(b, 'GET', '/geo/repositories?state=3&per_page=100')).body as Array<{ path: string; last_sync_failure: string; retry_count: number; retry_at: string }>;
    const row = rows.find((r) => r.path === 'shop/app')!;
    assert.ok(failed);
    assert.match(row.last_sync_failure, /unreachable/);
    assert.ok(row.retry_count >= 1 && new Date(row.retry_at).getTime() > Date.now() - 1000);
    a.proc = await spawnWharf(
      a.root,
      work,
      1,
      `auth:\n  token: {}\ncontrolplane:\n  key: ${key.key}\n  certificate: ${key.certificate}\n  jobinterval: 200ms\ngeo:\n  name: site-a\n${a.yaml}`,
      '',
      undefined,
      undefined,
      a.port,
    );
    // The backoff's first wait is ~5 s; a resync asks for it at once.
    assert.equal((await api(b, 'POST', '/geo/resync', { path: 'shop/app' })).status, 202);
    await syncedOn(b, 'shop/app', 2);
  });

  it('a new secondary backfills every repository without operator action', async () => {
    const a = sites.get('site-a')!;
    const e = await start('site-e', secondaryOf(a));
    assert.equal((await api(a, 'POST', '/geo/sites', { name: 'site-e', api_url: e.proc.url, registry_url: e.proc.url })).status, 201);
    const catalog = (await (await registry(a, 'GET', '/v2/_catalog', 'registry:catalog:*')).json()) as { repositories: string[] };
    const expected = catalog.repositories.length;
    assert.ok(expected >= 9, `${expected} repositories on the primary`);
    const status = await until(
      'site-e to sync everything',
      async () => {
        const s = (await api(e, 'GET', '/geo/status')).body as { container_repositories_synced_count: number; container_repositories_registry_count: number; replication_lag_seconds: number };
        return s.container_repositories_synced_count === expected && s.container_repositories_registry_count === expected ? s : undefined;
      },
      120_000,
    );
    assert.equal(status.replication_lag_seconds, 0);
    // The primary shows E's report with GitLab's field names.
    const reported = await until('site-e status on the primary', async () => {
      const r = await api(a, 'GET', '/geo/sites/site-e/status');
      return r.status === 200 && r.body.container_repositories_synced_count === expected ? r.body : undefined;
    });
    assert.equal(reported.container_repositories_failed_count, 0);
  });

  it('promotion: the secondary becomes the primary, the old primary refuses writes, the other secondary follows the new one', async () => {
    const [a, b, e] = [sites.get('site-a')!, sites.get('site-b')!, sites.get('site-e')!];
    // B must know every site (its mirror of A's list) before it can tell them.
    await until('site-b to mirror the site list', async () => {
      const r = await api(b, 'GET', '/geo/sites');
      return r.body.some((s: { name: string }) => s.name === 'site-e') && r.body.some((s: { name: string }) => s.name === 'site-a') ? true : undefined;
    });
    const out = await run(process.execPath, [BIN, 'geo', 'promote', b.config]);
    assert.match(out, /site-b is the primary now \(generation 1\)/);
    await until('site-b to take writes', async () => ((await api(b, 'GET', '/geo/status')).body.role === 'primary' ? true : undefined));
    const pushed = await until('a push to site-b', async () => skopeoCopy(`oci:${layout.dir}:v2`, `docker://${b.proc.host}/after/failover:v1`, ROOT_DEST).catch(() => undefined), 20_000);
    await until('site-a to follow site-b', async () => {
      const s = (await api(a, 'GET', '/geo/status')).body as { role: string; primary_api_url: string };
      return s.role === 'secondary' && s.primary_api_url === b.proc.url ? true : undefined;
    });
    await assert.rejects(skopeoCopy(`oci:${layout.dir}:v1`, `docker://${a.proc.host}/after/failover:old-primary`, ROOT_DEST), new RegExp(`Geo secondary.*${b.proc.url.replace(/[.]/g, '\\.')}`));
    for (const s of [e, a]) {
      await syncedOn(s, 'after/failover');
      const head = await registry(s, 'HEAD', '/v2/after/failover/manifests/v1', 'repository:after/failover:pull', { Accept: 'application/vnd.oci.image.manifest.v1+json' });
      assert.equal(head.headers.get('docker-content-digest'), pushed, s.name);
      assert.equal(head.headers.get('x-wharf-geo'), null, `${s.name} holds it`);
    }
  });
});
