/**
 * Notifications end to end: a real listener on 127.0.0.1 receives the events
 * of skopeo pushes and pulls (fields checked against CNCF Distribution's own
 * events for the same push); an endpoint that is down while 100 pushes happen
 * gets all 100, in order, once, after a registry restart; events that exhaust
 * their retries are listed as failed and delivered by a replay.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OciLayout } from '../support/oci-layout.js';
import { requireCommand, run } from '../support/tools.js';
import { startWharf, type TestRegistry } from '../support/wharf.js';
import { createMigratedTestDatabase, requirePostgres, type TestDatabase } from '../support/postgres.js';
import { startDistribution } from '../support/distribution.js';
import { TestClient } from '../support/http.js';
import { until } from '../support/wait.js';
import { tempDir } from '../support/temp.js';

const noSkopeo = requireCommand('skopeo');
const noPostgres = await requirePostgres();
const BIN = new URL('../../bin/wharf.js', import.meta.url).pathname;

interface Received {
  headers: Record<string, string | string[] | undefined>;
  events: any[];
}

/** A listener that records envelopes; `status` decides the answer. */
class Listener {
  readonly received: Received[] = [];
  status = 200;
  private server!: Server;
  url = '';
  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (this.status === 200) this.received.push({ headers: req.headers, events: JSON.parse(Buffer.concat(chunks).toString()).events });
        res.writeHead(this.status).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}/events`;
  }
  get events(): any[] {
    return this.received.flatMap((r) => r.events);
  }
  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const endpoint = (url: string, extra: Record<string, unknown> = {}) => ({ name: 'listener', url, headers: { Authorization: ['Bearer notify-secret'] }, timeout: '2s', backoff: '100ms', maxretries: 3, ...extra });

describe('notifications from skopeo pushes and pulls', { skip: noSkopeo }, () => {
  const listener = new Listener();
  let reg: TestRegistry;
  let layout: OciLayout;

  before(async () => {
    await listener.start();
    reg = await startWharf({ notifications: { endpoints: [endpoint(listener.url)] } });
    layout = await OciLayout.create(join(await tempDir('wharf-notify-'), 'src'));
    await layout.image({ tag: 'v1', layers: 2, layerSize: 10_000 });
    await layout.flush();
  });
  after(async () => {
    await reg?.close();
    await listener.stop();
  });

  it("sends Distribution's envelope for push and pull, with the same fields Distribution sends", async () => {
    await run('skopeo', ['copy', '--dest-tls-verify=false', `oci:${layout.dir}:v1`, `docker://${reg.host}/team/app:v1`]);
    await run('skopeo', ['inspect', '--tls-verify=false', `docker://${reg.host}/team/app:v1`]);
    await until('manifest push and pull events', () => listener.events.some((e) => e.action === 'pull' && e.target.tag === 'v1'), 20_000);
    const first = listener.received[0]!;
    assert.equal(first.headers['content-type'], 'application/vnd.docker.distribution.events.v1+json');
    assert.equal(first.headers.authorization, 'Bearer notify-secret');
    const push = listener.events.find((e) => e.action === 'push' && e.target.tag === 'v1');
    assert.equal(push.target.repository, 'team/app');
    assert.equal(push.target.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    assert.match(push.target.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(push.target.size, push.target.length);
    assert.equal(push.target.url, `${reg.url}/v2/team/app/manifests/${push.target.digest}`);
    assert.equal(push.request.method, 'PUT');
    assert.match(push.request.useragent, /skopeo|containers/i);
    assert.ok(push.source.instanceID && push.source.addr.endsWith(`:${new URL(reg.url).port}`));
    assert.ok(!Number.isNaN(Date.parse(push.timestamp)));
    const blobPushes = listener.events.filter((e) => e.action === 'push' && e.target.mediaType === 'application/octet-stream');
    assert.equal(blobPushes.length, 3, 'config and two layers');
    const pushIndex = listener.events.indexOf(push);
    assert.ok(
      blobPushes.every((b) => listener.events.indexOf(b) < pushIndex),
      'in order: blobs before the manifest',
    );

    const dir = await tempDir('wharf-notify-dist-');
    const distListener = new Listener();
    await distListener.start();
    const dist = await startDistribution(join(dir, 'data'), dir, `notifications:\n  endpoints:\n    - name: l\n      url: ${distListener.url}\n      timeout: 1s\n      threshold: 1\n      backoff: 100ms\n`);
    try {
      await run('skopeo', ['copy', '--dest-tls-verify=false', `oci:${layout.dir}:v1`, `docker://${dist.host}/team/app:v1`]);
      await until("Distribution's manifest push event", () => distListener.events.some((e) => e.action === 'push' && e.target.tag === 'v1'), 20_000);
      const theirs = distListener.events.find((e) => e.action === 'push' && e.target.tag === 'v1');
      const keys = (o: object) => Object.keys(o).sort();
      assert.deepEqual(keys(push), keys(theirs));
      for (const k of ['target', 'request', 'source']) {
        for (const field of keys(theirs[k])) assert.ok(field in push[k], `${k}.${field} present`);
      }
      assert.equal(push.target.digest, theirs.target.digest, 'same manifest, same digest');
      assert.equal(push.target.mediaType, theirs.target.mediaType);
      assert.equal(push.target.size, theirs.target.size);
    } finally {
      await dist.stop();
      await distListener.stop();
    }
  });
});

describe('durable delivery', { skip: noPostgres }, () => {
  let tdb: TestDatabase;
  before(async () => {
    tdb = await createMigratedTestDatabase();
  });
  after(() => tdb?.drop());

  it('an endpoint down during 100 pushes gets all 100 after a restart, in order, once', async () => {
    const listener = new Listener();
    await listener.start();
    const port = Number(new URL(listener.url).port);
    await listener.stop(); // down: nothing listens on the port
    const config = { database: tdb.section, notifications: { endpoints: [endpoint(listener.url, { maxretries: 1000, ignore: { mediatypes: ['application/octet-stream'], actions: ['pull'] } })] } };
    const root = await tempDir('wharf-notify-durable-');
    let reg = await startWharf(config, root);
    const client = new TestClient(reg.url);
    const tags = Array.from({ length: 100 }, (_, i) => `t${String(i).padStart(3, '0')}`);
    for (const t of tags) await client.pushImage('durable/app', t);
    await reg.close();
    reg = await startWharf(config, root);
    await new Promise((r) => setTimeout(r, 300));
    await listener.start(port);
    try {
      await until('100 events', () => listener.events.length >= 100, 30_000);
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(
        listener.events.map((e) => e.target.tag),
        tags,
        'all, in order, none twice',
      );
      assert.ok(listener.events.every((e) => e.action === 'push'));
      const metrics = await (await fetch(`${reg.url}/metrics`)).text();
      assert.match(metrics, /wharf_notifications_pending\{endpoint="listener"\} 0/);
      assert.match(metrics, /wharf_notifications_delivered_total\{endpoint="listener"\} 100/);
    } finally {
      await reg.close();
      await listener.stop();
    }
  });
});

describe('failed events, listed and replayed (legacy mode, file outbox)', () => {
  it('keeps events that exhaust their retries, lists them, and delivers them on replay', async () => {
    const listener = new Listener();
    await listener.start();
    listener.status = 500;
    const root = await tempDir('wharf-notify-failed-');
    const ep = endpoint(listener.url, { maxretries: 2, backoff: '50ms', ignore: { mediatypes: ['application/octet-stream'], actions: ['pull'] } });
    const reg = await startWharf({ database: { enabled: false }, notifications: { endpoints: [ep] }, http: { workers: 1 } }, root);
    try {
      const client = new TestClient(reg.url);
      await client.pushImage('failing/app', 'one');
      await client.pushImage('failing/app', 'two');
      const cfg = join(root, 'config.yml');
      await writeFile(cfg, `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${root}\ndatabase:\n  enabled: false\n`);
      const list = () => JSON.parse(spawnSync(process.execPath, [BIN, 'notifications', 'list', cfg, '--json'], { encoding: 'utf8' }).stdout);
      await until('events failed for good', () => list().failed.length === 2, 20_000);
      const listed = list();
      assert.deepEqual(
        listed.failed.map((f: any) => f.event.target.tag),
        ['one', 'two'],
      );
      assert.equal(listed.failed[0].attempts, 3, 'first try and 2 retries');
      assert.match(listed.failed[0].lastError, /answered 500/);
      assert.deepEqual(listed.endpoints.listener, { pending: 0, failed: 2 });
      const text = spawnSync(process.execPath, [BIN, 'notifications', 'list', cfg], { encoding: 'utf8' }).stdout;
      assert.match(text, /failed listener \S+ push failing\/app:one after 3 attempts: .*answered 500/);
      assert.equal(listener.events.length, 0);
      listener.status = 200;
      const replay = spawnSync(process.execPath, [BIN, 'notifications', 'replay', cfg], { encoding: 'utf8' });
      assert.equal(replay.status, 0, replay.stderr);
      assert.match(replay.stdout, /replayed 2 event\(s\)/);
      await until('replayed events delivered', () => listener.events.length === 2, 20_000);
      assert.deepEqual(
        listener.events.map((e) => e.target.tag),
        ['one', 'two'],
      );
      assert.deepEqual(list().failed, []);
    } finally {
      await reg.close();
      await listener.stop();
    }
  });
});
