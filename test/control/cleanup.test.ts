/**
 * Cleanup policies against a real registry on PostgreSQL: the policy API with
 * GitLab's allowed values, a dry run that explains, the scheduler on an
 * injected clock, and a 50,000-tag repository cleaned across several bounded
 * runs (`cleanup_unfinished` → resumed → done).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pgDatabase } from '../../src/db/pg-database.js';
import type { Database } from '../../src/db/queryer.js';
import { scheduleDueCleanups } from '../../src/control/cleanup/scheduler.js';
import { requirePostgres } from '../support/postgres.js';
import { startAuthStack, type AuthStack } from '../support/auth-stack.js';
import { TestClient } from '../support/http.js';

const skip = await requirePostgres();

describe('cleanup policies', { skip }, () => {
  let s: AuthStack;
  let db: Database;
  let projectId: number;
  let client: TestClient;

  before(async () => {
    s = await startAuthStack();
    db = pgDatabase({ host: s.database.section.host, port: s.database.section.port, user: s.database.section.user, database: s.database.section.dbname });
    const g = await s.api('POST', '/groups', s.rootCreds, { path: 'clean' });
    projectId = (await s.api('POST', '/projects', s.rootCreds, { path: 'app', namespace_id: g.body.id })).body.id;
    const token = await s.token(s.rootCreds, ['repository:clean/app:pull,push,delete', 'repository:clean/app/big:pull,push,delete']);
    client = new TestClient(s.url, { Authorization: `Bearer ${token}` });
  });
  after(async () => {
    await db?.close();
    await s?.close();
  });

  it("accepts only GitLab's values, through its own route and PUT /projects/:id", async () => {
    const put = (body: unknown) => s.api('PUT', `/projects/${projectId}/registry/cleanup_policy`, s.rootCreds, body);
    for (const bad of [{ cadence: '2d' }, { keep_n: 7 }, { older_than: '1d' }, { name_regex: '(' }, { name_regex_keep: 'a{2,1}' }]) assert.equal((await put(bad)).status, 400, JSON.stringify(bad));
    const ok = await put({ enabled: true, cadence: '7d', keep_n: 5, older_than: '14d', name_regex: '.*', name_regex_keep: 'stable' });
    assert.equal(ok.status, 200);
    assert.deepEqual({ ...ok.body, next_run_at: undefined }, { project_id: projectId, enabled: true, cadence: '7d', keep_n: 5, older_than: '14d', name_regex: '.*', name_regex_keep: 'stable', next_run_at: undefined });
    assert.ok(Date.parse(ok.body.next_run_at) > Date.now() + 6.9 * 864e5, 'first run one cadence ahead');
    const viaProject = await s.api('PUT', `/projects/${projectId}`, s.rootCreds, { container_expiration_policy_attributes: { cadence: '1d', enabled: false } });
    assert.equal(viaProject.status, 200);
    const got = await s.api('GET', `/projects/${projectId}/registry/cleanup_policy`, s.rootCreds);
    assert.equal(got.body.cadence, '1d');
    assert.equal(got.body.enabled, false);
    assert.equal(got.body.next_run_at, null);
  });

  it('the scheduler runs due policies once per cadence (injected clock)', async () => {
    const g = await s.api('POST', '/groups', s.rootCreds, { path: 'sched' });
    const p = (await s.api('POST', '/projects', s.rootCreds, { path: 'p', namespace_id: g.body.id })).body.id;
    const { updatePolicy } = await import('../../src/control/api/cleanup.js');
    const t0 = new Date('2030-01-01T00:00:00Z');
    await updatePolicy(db, p, { enabled: true, cadence: '1d', name_regex: 'nothing' }, t0);
    assert.deepEqual(await scheduleDueCleanups(db, new Date(t0.getTime() + 864e5 - 1000)), []);
    assert.deepEqual(await scheduleDueCleanups(db, new Date(t0.getTime() + 864e5)), [p]);
    assert.deepEqual(await scheduleDueCleanups(db, new Date(t0.getTime() + 864e5 + 1000)), [], 'not twice');
    assert.deepEqual(await scheduleDueCleanups(db, new Date(t0.getTime() + 2 * 864e5)), [p], 'next cadence');
    const jobs = await db.query<{ n: string }>('t', "SELECT count(*) AS n FROM background_jobs WHERE kind = 'cleanup_project' AND payload->>'project_id' = $1", [String(p)]);
    assert.equal(Number(jobs[0]!.n), 2);
  });

  it('a dry run explains each tag and deletes nothing', async () => {
    for (const t of ['latest', 'a1', 'a2', 'stable']) await client.pushImage('clean/app', t);
    await s.api('PUT', `/projects/${projectId}/registry/cleanup_policy`, s.rootCreds, { name_regex: 'a.*|stable', name_regex_keep: 'stable', keep_n: 1, older_than: null });
    const r = await s.api('POST', `/projects/${projectId}/registry/cleanup_policy/run?dry_run=true`, s.rootCreds);
    assert.equal(r.status, 200);
    const fate = Object.fromEntries(r.body.find((x: { repository: string }) => x.repository === 'clean/app').tags.map((d: { name: string; delete: boolean }) => [d.name, d.delete]));
    assert.deepEqual(fate, { a1: true, a2: false, latest: false, stable: false });
    const tags = await client.req('GET', '/v2/clean/app/tags/list');
    assert.deepEqual(tags.json<{ tags: string[] }>().tags, ['a1', 'a2', 'latest', 'stable']);
  });

  it('cleans a 50,000-tag repository across several bounded runs', { timeout: 600_000 }, async () => {
    const base = await client.pushImage('clean/app/big', 'seed');
    // 50,000 tags on one manifest, straight into the registry's tables: 45,000 to keep, 5,000 old ones to delete.
    await db.query(
      't',
      `INSERT INTO tags (repository_id, name, manifest_id, created_at)
       SELECT r.id, CASE WHEN g <= 45000 THEN 'keep-' ELSE 'old-' END || g, m.id, now() - interval '100 days' - g * interval '1 second'
       FROM repositories r JOIN manifests m ON m.repository_id = r.id AND m.digest = $1, generate_series(1, 49999) g WHERE r.path = 'clean/app/big'`,
      [base.digest],
    );
    assert.equal((await s.api('PUT', '/application/settings', s.rootCreds, { container_registry_cleanup_tags_service_max_list_size: 1000 })).status, 200);
    assert.equal((await s.api('PUT', `/projects/${projectId}/registry/cleanup_policy`, s.rootCreds, { name_regex: 'old-.*', name_regex_keep: null, keep_n: 1, older_than: '7d' })).status, 200);
    assert.equal((await s.api('POST', `/projects/${projectId}/registry/cleanup_policy/run`, s.rootCreds)).status, 202);
    const repoStatus = async () => (await db.query<{ s: string | null }>('t', "SELECT expiration_policy_cleanup_status AS s FROM container_repositories WHERE path = 'clean/app/big'"))[0]?.s;
    const seen = new Set<string | null | undefined>();
    const end = Date.now() + 540_000;
    for (;;) {
      seen.add(await repoStatus());
      const [left] = await db.query<{ n: string }>('t', "SELECT count(*) AS n FROM tags t JOIN repositories r ON r.id = t.repository_id WHERE r.path = 'clean/app/big' AND t.name LIKE 'old-%'");
      const [pending] = await db.query<{ n: string }>('t', "SELECT count(*) AS n FROM background_jobs WHERE kind = 'cleanup_project' AND state = 'pending'");
      if (Number(left!.n) === 1 && Number(pending!.n) === 0 && (await repoStatus()) === null) break;
      if (Date.now() > end) throw new Error(`not finished: ${left!.n} old tags left`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(seen.has('cleanup_ongoing'), `ran (${[...seen].join(', ')})`);
    // Each bounded run that stopped at its budget left the repository cleanup_unfinished and queued its resumption.
    const [resumed] = await db.query<{ n: string }>('t', "SELECT count(*) AS n FROM background_jobs WHERE kind = 'cleanup_project' AND payload->>'resumed' = 'true' AND payload->>'project_id' = $1", [String(projectId)]);
    assert.ok(Number(resumed!.n) >= 4, `resumed at least 4 times (${resumed!.n})`);
    const [runs] = await db.query<{ n: string }>('t', "SELECT count(*) AS n FROM background_jobs WHERE kind = 'cleanup_project' AND state = 'done' AND payload->>'project_id' = $1", [String(projectId)]);
    assert.ok(Number(runs!.n) >= 5, `at least 5 bounded runs (${runs!.n})`);
    const [keep] = await db.query<{ n: string }>('t', "SELECT count(*) AS n FROM tags t JOIN repositories r ON r.id = t.repository_id WHERE r.path = 'clean/app/big'");
    assert.equal(Number(keep!.n), 45_000 + 1 + 1, 'every keep- tag, the newest old- tag (keep_n) and seed remain');
  });
});
