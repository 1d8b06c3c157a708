/**
 * Runs the conformance list against real listening Wharf servers, in shuffled
 * order (set CONFORMANCE_SEED to replay an order).
 */
import { after, before, describe, it } from 'node:test';
import { TestClient } from '../support/http.js';
import { startWharf, type TestRegistry } from '../support/wharf.js';
import { createMigratedTestDatabase, requirePostgres, type TestDatabase } from '../support/postgres.js';
import { CASES, type ConformanceCase } from './cases.js';

const seed = Number(process.env.CONFORMANCE_SEED ?? Math.floor(Math.random() * 2 ** 31));
function shuffled<T>(items: T[]): T[] {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const CONFIGS: Record<NonNullable<ConformanceCase['config']> | 'default', Record<string, unknown>> = {
  default: {},
  nodelete: { storage: { delete: { enabled: false } } },
  schema1: { compatibility: { schema1: { enabled: true } } },
  readonly: {},
};

describe(`registry API conformance in the default mode, the embedded PostgreSQL server (seed ${seed})`, () => {
  const servers = new Map<string, TestRegistry>();

  before(async () => {
    for (const [key, cfg] of Object.entries(CONFIGS)) {
      if (key === 'readonly') continue;
      servers.set(key, await startWharf(cfg));
    }
    // Read-only: seed an image with a writable server, then serve the same directory read-only.
    const seeding = await startWharf();
    await new TestClient(seeding.url).pushImage('seeded/img', 'v1');
    await seeding.close();
    servers.set('readonly', await startWharf({ storage: { maintenance: { readonly: { enabled: true } } } }, seeding.root));
  });
  after(async () => {
    for (const s of servers.values()) await s.close();
  });

  shuffled(CASES).forEach((c, i) => {
    it(c.name, async () => {
      const server = servers.get(c.config ?? 'default') as TestRegistry;
      await c.run(new TestClient(server.url), `conf/case${i}`);
    });
  });
});

describe(`registry API conformance in legacy mode (seed ${seed})`, () => {
  let server: TestRegistry;
  before(async () => {
    server = await startWharf({ database: { enabled: false } });
    if (server.node.services.metadata.mode !== 'legacy') throw new Error('expected legacy mode');
  });
  after(async () => server?.close());

  shuffled(CASES.filter((c) => c.config === undefined)).forEach((c, i) => {
    it(c.name, async () => {
      await c.run(new TestClient(server.url), `legacy/case${i}`);
    });
  });
});

describe(`registry API conformance on the inmemory driver (seed ${seed})`, () => {
  let server: TestRegistry;
  before(async () => {
    server = await startWharf({ storage: { filesystem: undefined, inmemory: {} } });
    if (server.node.driver.name !== 'inmemory') throw new Error(`expected the inmemory driver, got ${server.node.driver.name}`);
  });
  after(async () => server?.close());

  shuffled(CASES.filter((c) => c.config === undefined)).forEach((c, i) => {
    it(c.name, async () => {
      await c.run(new TestClient(server.url), `mem/case${i}`);
    });
  });
});

const noPostgres = await requirePostgres();

describe(`registry API conformance in database mode on PostgreSQL (seed ${seed})`, { skip: noPostgres }, () => {
  let server: TestRegistry;
  let tdb: TestDatabase;
  before(async () => {
    tdb = await createMigratedTestDatabase();
    server = await startWharf({ database: tdb.section });
    if (server.node.services.metadata.mode !== 'database') throw new Error('expected database mode');
  });
  after(async () => {
    await server?.close();
    await tdb?.drop();
  });

  shuffled(CASES.filter((c) => c.config === undefined)).forEach((c, i) => {
    it(c.name, async () => {
      await c.run(new TestClient(server.url), `db/case${i}`);
    });
  });
});
