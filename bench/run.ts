/**
 * Side-by-side benchmark of Wharf and CNCF Distribution (Debian's
 * docker-registry) on this machine. Prints each figure for both, and the
 * ratio Wharf/Distribution (higher is better for rates, lower for times is
 * turned into a rate so that every ratio reads "higher is better").
 *
 *   npm run bench                 # all rows
 *   BENCH_GIB=0.25 npm run bench  # smaller big-blob rows for a quick look
 *   BENCH_STORAGE=s3 BENCH_ONLY='blob p' npm run bench   # both registries on an S3 emulator
 *   BENCH_STORAGE=rgw npm run bench                       # both on Ceph RGW (apt-get install -y ceph-mon ceph-osd radosgw ceph-common)
 *
 * Needs: docker-registry, wrk, ab, curl (apt-get install -y docker-registry wrk apache2-utils curl).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startDistribution } from '../test/support/distribution.js';
import { spawnWharf } from '../test/support/process.js';
import { hasCommand } from '../test/support/tools.js';
import { tempDir } from '../test/support/temp.js';
import { createMigratedTestDatabase } from '../test/support/postgres.js';
import { RGW_ACCESS_KEY, RGW_SECRET_KEY, startRgw } from '../test/support/rgw.js';
import { makeBigFile, type BigFile } from './big-file.js';
import * as W from './workloads.js';
import { sampleTreeMemory } from '../test/support/tree-memory.js';

interface Target {
  readonly label: string;
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

interface Row {
  readonly name: string;
  readonly unit: string;
  readonly run: (t: Target, ctx: Ctx) => Promise<number>;
}

interface Ctx {
  readonly big: BigFile;
  readonly mid: BigFile;
  readonly work: string;
}

const gib = Number(process.env.BENCH_GIB ?? 1);
let tagRuns = 0;
const ROWS: Row[] = [
  { name: `${gib} GiB blob push, monolithic`, unit: 'MiB/s', run: (t, c) => W.pushMonolithic(t.url, 'bench/big', c.big) },
  { name: `${gib} GiB blob push, 16 MiB chunks`, unit: 'MiB/s', run: (t, c) => W.pushChunked(t.url, 'bench/chunked', c.big, 16 * 1024 * 1024) },
  { name: `${gib} GiB blob pull`, unit: 'MiB/s', run: (t, c) => W.pull(t.url, 'bench/big', c.big) },
  { name: '16 parallel pulls of 64 MiB', unit: 'MiB/s', run: (t, c) => W.parallelPulls(t.url, 'bench/mid', c.mid, 16) },
  { name: 'manifest GET, 32 connections', unit: 'req/s', run: (t) => W.wrkManifest(t.url, 'GET') },
  { name: 'manifest HEAD, 32 connections', unit: 'req/s', run: (t) => W.wrkManifest(t.url, 'HEAD') },
  { name: 'blob HEAD, 32 connections', unit: 'req/s', run: (t) => W.wrkBlobHead(t.url) },
  // A fresh repository each run: re-pushing existing tags is a different (cheaper) workload.
  { name: 'push 10,000 tags', unit: 'tags/s', run: (t) => W.pushTags(t.url, `bench/tags${tagRuns++ % 100}`, 10_000) },
  { name: 'list 10,000 tags', unit: 'lists/s', run: (t) => W.listTags(t.url, 'bench/tagslist') },
  { name: 'catalog of 1,000 repositories', unit: 'lists/s', run: (t) => W.catalog(t.url, 1000) },
];

/** Peak RSS (VmHWM) of the largest process in the tree under `pid` (the primary and its workers). */
function rssPeakMiB(pid: number): number {
  const pids = [pid];
  try {
    pids.push(...readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
  } catch {
    /* no children */
  }
  let peak = 0;
  for (const p of pids) {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
    if (m) peak = Math.max(peak, Number(m[1]) / 1024);
  }
  return peak;
}

/** The `database:` section for BENCH_DATABASE: embedded (the default mode), postgres (a fresh database on 127.0.0.1:5432) or legacy. */
async function benchDatabase(): Promise<{ yaml: string; drop: () => Promise<void> }> {
  const mode = process.env.BENCH_DATABASE ?? 'embedded';
  if (mode === 'legacy') return { yaml: '  enabled: false\n', drop: async () => undefined };
  if (mode === 'embedded') return { yaml: '  enabled: true\n', drop: async () => undefined };
  const tdb = await createMigratedTestDatabase();
  const s = tdb.section;
  return { yaml: `  enabled: true\n  host: ${s.host}\n  port: ${s.port}\n  user: ${s.user}\n  dbname: ${s.dbname}\n  sslmode: disable\n`, drop: () => tdb.drop() };
}

/**
 * The storage of both registries for BENCH_STORAGE: `filesystem` (default),
 * `s3` (s3rver in its own process) or `rgw` (Ceph's RADOS Gateway on an
 * in-memory OSD, test/support/rgw.ts). BENCH_REDIRECT=off disables redirects
 * on both registries; otherwise the client follows them.
 */
async function benchStorage(): Promise<{ wharf?: string; dist?: string; stop: () => Promise<void> | void }> {
  const kind = process.env.BENCH_STORAGE ?? 'filesystem';
  if (kind !== 's3' && kind !== 'rgw') return { stop: () => undefined };
  const disable = process.env.BENCH_REDIRECT === 'off';
  const redirect = `  redirect:\n    disable: ${disable}\n`;
  const section = (bucket: string, endpoint: string, key: string, secret: string, extra: string) =>
    `  s3:\n    bucket: ${bucket}\n    region: us-east-1\n    regionendpoint: ${endpoint}\n    accesskey: ${key}\n    secretkey: ${secret}\n${extra}${redirect}`;
  if (kind === 'rgw') {
    // Holds both registries' objects in memory: a few GiB at BENCH_GIB=1.
    const rgw = await startRgw(16 * 1024 ** 3);
    await rgw.createBucket('wharf-bench');
    await rgw.createBucket('dist-bench');
    return {
      wharf: section('wharf-bench', rgw.endpoint, RGW_ACCESS_KEY, RGW_SECRET_KEY, '    maxrequestspersecond: 0\n'),
      dist: section('dist-bench', rgw.endpoint, RGW_ACCESS_KEY, RGW_SECRET_KEY, '    secure: false\n'),
      stop: () => rgw.stop(),
    };
  }
  const proc = spawn(process.execPath, ['--import', 'tsx', new URL('./s3rver.ts', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    proc.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    proc.once('exit', (code) => reject(new Error(`s3rver exited (${code})`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    wharf: section('wharf-bench', endpoint, 'S3RVER', 'S3RVER', '    checksum_disabled: true\n    maxrequestspersecond: 0\n'),
    dist: section('dist-bench', endpoint, 'S3RVER', 'S3RVER', '    secure: false\n'),
    stop: () => void proc.kill('SIGTERM'),
  };
}

/** Median of BENCH_REPEAT runs (default 3): this VM's figures vary by ±30% from run to run. */
async function median(fn: () => Promise<number>): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < Number(process.env.BENCH_REPEAT ?? 3); i++) runs.push(await fn());
  runs.sort((x, y) => x - y);
  return runs[Math.floor(runs.length / 2)] as number;
}

async function main(): Promise<void> {
  for (const cmd of ['docker-registry', 'wrk', 'ab', 'curl']) {
    if (!hasCommand(cmd)) throw new Error(`${cmd} is missing: apt-get install -y ${cmd}`);
  }
  const work = await tempDir('wharf-bench-');
  const ctx: Ctx = { work, big: await makeBigFile(join(work, 'big.bin'), gib * 1024 * 1024 * 1024), mid: await makeBigFile(join(work, 'mid.bin'), 64 * 1024 * 1024) };
  const workers = process.env.BENCH_WORKERS === undefined ? 'auto' : Number(process.env.BENCH_WORKERS);
  const { yaml: databaseYaml, drop } = await benchDatabase();
  const storage = await benchStorage();
  const wharf = await spawnWharf(join(work, 'wharf'), work, workers, '', databaseYaml, storage.wharf);
  const dist = await startDistribution(join(work, 'dist'), work, '', storage.dist);
  const targets: Target[] = [
    { label: 'Wharf', url: wharf.url, pid: wharf.proc.pid as number, stop: () => wharf.kill() },
    { label: 'Distribution', url: dist.url, pid: dist.proc.pid as number, stop: () => dist.stop() },
  ];
  try {
    process.stdout.write(
      `Wharf metadata: ${process.env.BENCH_DATABASE ?? 'embedded'}; storage: ${process.env.BENCH_STORAGE ?? 'filesystem'}${storage.wharf ? `, redirects ${process.env.BENCH_REDIRECT === 'off' ? 'off' : 'on'}` : ''}\n`,
    );
    await runRows(targets, ctx);
  } finally {
    for (const t of targets) await t.stop();
    await drop();
    await storage.stop();
    await rm(work, { recursive: true, force: true });
  }
}

async function runRows(targets: Target[], ctx: Ctx): Promise<void> {
  // A registry that cannot even be seeded (Distribution 2.8.2's s3aws driver against the S3 emulator) is reported as n/a.
  const failed = new Set<string>();
  for (const t of targets) {
    await W.seed(t.url).catch((err: Error) => {
      failed.add(t.label);
      process.stdout.write(`${t.label} is left out: ${err.message.slice(0, 300)}\n`);
    });
  }
  const measure = (row: Row, t: Target) => (failed.has(t.label) ? Promise.resolve(Number.NaN) : median(() => row.run(t, ctx)));
  const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
  const lines: string[] = [];
  const pad = (s: string, n: number) => s.padEnd(n);
  lines.push(`${pad('row', 36)}${pad('Wharf', 16)}${pad('Distribution', 16)}ratio`);
  process.stdout.write(`${lines[0]}\n`);
  let wharfPeak = 0;
  const tree = sampleTreeMemory(targets[0]?.pid as number);
  for (const row of ROWS) {
    if (only && !only.test(row.name)) continue;
    const [a, b] = [await measure(row, targets[0] as Target), await measure(row, targets[1] as Target)];
    if (row.name.includes('push, monolithic')) wharfPeak = rssPeakMiB(targets[0]?.pid as number);
    const fig = (v: number) => (Number.isNaN(v) ? 'n/a' : `${v.toFixed(1)} ${row.unit}`);
    const line = `${pad(row.name, 36)}${pad(fig(a), 16)}${pad(fig(b), 16)}${Number.isNaN(a / b) ? '-' : `${(a / b).toFixed(2)}x`}`;
    lines.push(line);
    process.stdout.write(`${line}\n`);
  }
  const finalPeak = rssPeakMiB(targets[0]?.pid as number);
  const { pssMiB, rssMiB, breakdown } = tree.stop();
  process.stdout.write(`Wharf's process tree (supervisor, workers, embedded PostgreSQL) at its peak: ${pssMiB.toFixed(1)} MiB PSS (${rssMiB.toFixed(1)} MiB RSS summed, shared pages counted in every process)\n`);
  process.stdout.write(`  PSS by process name at that peak (MiB): ${breakdown}\n`);
  process.stdout.write(`Wharf peak RSS (largest process): ${wharfPeak.toFixed(1)} MiB after the ${gib} GiB pushes, ${finalPeak.toFixed(1)} MiB over the whole run\n`);
}

await main();
