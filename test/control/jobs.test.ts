/**
 * Durable background jobs on the real PostgreSQL: retries with backoff, a
 * final failure kept as `failed`, jobs surviving a runner that dies mid-job
 * (lease), and two runners never running one job at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { pgDatabase } from '../../src/db/pg-database.js';
import type { Database } from '../../src/db/queryer.js';
import { enqueueJob, JobRunner, type Job } from '../../src/control/jobs/queue.js';
import { createMigratedTestDatabase, requirePostgres, type TestDatabase } from '../support/postgres.js';
import { until } from '../support/wait.js';

const skip = await requirePostgres();
const log = pino({ level: 'silent' });

/** Calls `runOnce` until it runs a job (10 s at most); when that call started and ended. */
async function runWhenDue(runner: JobRunner): Promise<{ start: number; end: number }> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const start = Date.now();
    if (await runner.runOnce()) return { start, end: Date.now() };
    if (Date.now() > deadline) throw new Error('no job became due');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('background jobs', { skip }, () => {
  let tdb: TestDatabase;
  let db: Database;

  before(async () => {
    tdb = await createMigratedTestDatabase();
    db = pgDatabase({ host: tdb.section.host, port: tdb.section.port, user: tdb.section.user, database: tdb.section.dbname });
  });
  after(async () => {
    await db?.close();
    await tdb?.drop();
  });

  const state = async (id: number) => (await db.query<{ state: string; attempts: number; last_error: string | null }>('t', 'SELECT state, attempts, last_error FROM background_jobs WHERE id = $1', [id]))[0]!;

  it('retries a failing job with growing delays, then keeps it as failed', async () => {
    const seen: number[] = [];
    const runner = new JobRunner(
      db,
      {
        flaky: async (job) => {
          seen.push(job.attempts);
          throw new Error(`boom ${job.attempts}`);
        },
      },
      { log, intervalMs: 10, backoffBaseMs: 1000 },
    );
    const id = await enqueueJob(db, 'flaky', {}, { maxAttempts: 3 });
    // Times are read around the calls, never slept out: a busy machine can only make a retry later, and the
    // margins (1 s and 2 s) are far above a query's time.
    const t1 = Date.now();
    assert.equal(await runner.runOnce(), true);
    assert.equal(await runner.runOnce(), false, 'not due before its backoff');
    const second = await runWhenDue(runner);
    assert.ok(second.end - t1 >= 1000, `the first retry waited ${second.end - t1} ms, not 1 s`);
    assert.equal(await runner.runOnce(), false, 'the second retry is not due yet');
    const third = await runWhenDue(runner);
    assert.ok(third.end - second.start >= 2000, `the second retry waited ${third.end - second.start} ms, not twice as long`);
    assert.deepEqual(seen, [1, 2, 3]);
    const s = await state(id);
    assert.equal(s.state, 'failed');
    assert.equal(s.last_error, 'boom 3');
    assert.equal(await runner.runOnce(), false);
  });

  it('a job whose runner died is run again once its lease ends', async () => {
    let release!: () => void;
    const hung = new JobRunner(db, { once: () => new Promise<void>((r) => (release = r)) }, { log, intervalMs: 10, leaseMs: 1000 });
    const id = await enqueueJob(db, 'once', {});
    const before = Date.now();
    const stuck = hung.runOnce();
    await until('the first runner to hold the job', async () => (await state(id)).attempts === 1);
    const ran: number[] = [];
    const second = new JobRunner(db, { once: async (job: Job) => void ran.push(job.attempts) }, { log, intervalMs: 10, leaseMs: 1000 });
    assert.equal(await second.runOnce(), false, 'leased: not run twice at once');
    const taken = await runWhenDue(second);
    assert.ok(taken.end - before >= 1000, `taken over after ${taken.end - before} ms, before the lease ended`);
    assert.deepEqual(ran, [2]);
    assert.equal((await state(id)).state, 'done');
    release();
    await stuck;
  });

  it('two runners polling one queue run each job exactly once', async () => {
    const runs = new Map<number, number>();
    const handler = async (job: Job) => {
      runs.set(Number(job.payload.n), (runs.get(Number(job.payload.n)) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 2));
    };
    for (let n = 0; n < 60; n++) await enqueueJob(db, 'count', { n });
    const a = new JobRunner(db, { count: handler }, { log, intervalMs: 5 });
    const b = new JobRunner(db, { count: handler }, { log, intervalMs: 5 });
    a.start();
    b.start();
    const end = Date.now() + 15_000;
    while (runs.size < 60 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await Promise.all([a.stop(), b.stop()]);
    assert.equal(runs.size, 60);
    assert.ok(
      [...runs.values()].every((c) => c === 1),
      'no job ran twice',
    );
  });
});
