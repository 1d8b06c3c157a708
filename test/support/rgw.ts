/**
 * Ceph's RADOS Gateway (Debian's `radosgw`), a production S3 implementation,
 * on 127.0.0.1 for tests and benchmarks: one monitor, one OSD on `memstore`
 * (objects in memory), and the gateway, all under a temporary directory with
 * cephx off. Unlike s3rver it checks SigV4 signatures and implements
 * `UploadPartCopy` and multipart copies, so the `s3` driver's server-side
 * paths run here. Start-up takes 10–30 s (the gateway creates its pools).
 *
 * Needs: apt-get install -y ceph-mon ceph-osd radosgw ceph-common.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort } from './distribution.js';
import { requireCommand } from './tools.js';
import { until } from './wait.js';
import type { S3Emulator } from './s3.js';
import { tempDir } from './temp.js';

export const RGW_ACCESS_KEY = 'WHARFRGWACCESS';
export const RGW_SECRET_KEY = 'wharf-rgw-secret-key-for-tests';

/** A reason to skip when the Ceph packages are missing (fails under CI=true, where .ci/run installs them). */
export function requireRgw(): string | undefined {
  const pkg = 'ceph-mon ceph-osd radosgw ceph-common';
  for (const cmd of ['ceph-mon', 'ceph-osd', 'radosgw', 'radosgw-admin', 'monmaptool']) {
    const reason = requireCommand(cmd, pkg);
    if (reason) return reason;
  }
  return undefined;
}

/** Starts a one-node Ceph with a gateway; `memoryBytes` bounds the OSD's in-memory store. */
export async function startRgw(memoryBytes = 2 * 1024 ** 3): Promise<S3Emulator> {
  const dir = await tempDir('wharf-rgw-');
  const [monPort, rgwPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'ceph.conf');
  const fsid = randomUUID();
  await mkdir(join(dir, 'mon'));
  await mkdir(join(dir, 'osd0'));
  await mkdir(join(dir, 'run'));
  await writeFile(
    conf,
    `[global]
fsid = ${fsid}
mon host = v1:127.0.0.1:${monPort}
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon warn on pool no redundancy = false
osd objectstore = memstore
memstore device bytes = ${memoryBytes}
osd crush chooseleaf type = 0
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
log file = ${dir}/$name.log
pid file = ${dir}/run/$name.pid
keyring = /dev/null
[mon]
mon data = ${dir}/mon
mon cluster log file = ${dir}/cluster.log
[osd]
osd data = ${dir}/osd0
osd crush update on start = false
osd class update on start = false
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:${rgwPort}
rgw thread pool size = 64
`,
  );
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, ['-c', conf, ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const daemons: ChildProcess[] = [];
  // -f: in the foreground, so the daemons die with their handles and stop() can wait for them.
  const daemon = (cmd: string, args: string[]) => daemons.push(spawn(cmd, ['-f', '-c', conf, ...args], { cwd: dir, stdio: 'ignore' }));
  // Children outlive a node process that dies without running stop(): kill them on the way out.
  const killAll = () => daemons.forEach((p) => p.exitCode === null && p.kill('SIGKILL'));
  process.once('exit', killAll);

  const monmap = join(dir, 'monmap');
  const mk = spawnSync('monmaptool', ['--create', '--add', 'a', `v1:127.0.0.1:${monPort}`, '--fsid', fsid, monmap], { encoding: 'utf8' });
  if (mk.status !== 0) throw new Error(`monmaptool failed: ${mk.stderr}`);
  run('ceph-mon', ['--mkfs', '-i', 'a', '--monmap', monmap]);

  const endpoint = `http://127.0.0.1:${rgwPort}`;
  const stop = async () => {
    process.off('exit', killAll);
    await Promise.all(
      daemons.map(
        (p) =>
          new Promise<void>((resolve) => {
            if (p.exitCode !== null || p.signalCode !== null) return resolve();
            p.once('exit', () => resolve());
            p.kill('SIGKILL');
          }),
      ),
    );
    await rm(dir, { recursive: true, force: true });
  };
  // A monitor command sent while the monitor is still forming is refused ("handle_command on fsid
  // 00000000-… != …", seen 1 start in 4 in a full suite): each is retried for a while.
  const command = async (args: string[]) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return run('ceph', ['--connect-timeout', '10', ...args]);
      } catch (err) {
        if (attempt >= 5) throw err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };
  // Everything from the first daemon on is inside the try: a failure stops the daemons (a live
  // child would keep the test process, and so the whole suite, waiting forever).
  try {
    daemon('ceph-mon', ['-i', 'a']);
    const osdUuid = randomUUID();
    await command(['osd', 'create', osdUuid]);
    run('ceph-osd', ['-i', '0', '--mkfs', '--osd-uuid', osdUuid]);
    // Placed by hand: the OSD's own placement at boot (a monitor command) races its first monitor map and fails now and then.
    await command(['osd', 'crush', 'add', 'osd.0', '1.0', 'host=wharf', 'root=default']);
    daemon('ceph-osd', ['-i', '0']);
    daemon('radosgw', ['-n', 'client.rgw']);
    await until(
      'radosgw to answer',
      async () => {
        const dead = daemons.find((p) => p.exitCode !== null);
        if (dead) throw new Error(`${dead.spawnfile} exited (${dead.exitCode}) while starting`);
        return fetch(`${endpoint}/`).then(
          (r) => r.ok,
          () => false,
        );
      },
      60_000,
      100,
    );
    run('radosgw-admin', ['user', 'create', '--uid=wharf', '--display-name=wharf', `--access-key=${RGW_ACCESS_KEY}`, `--secret-key=${RGW_SECRET_KEY}`]);
  } catch (err) {
    const tails = await Promise.all(
      ['client.rgw', 'osd.0', 'mon.a'].map(async (name) => {
        const log = await readFile(join(dir, `${name}.log`), 'utf8').catch(() => '(no log)');
        return `--- ${name} log (tail) ---\n${log.split('\n').slice(-15).join('\n')}`;
      }),
    );
    await stop();
    throw new Error(`${(err as Error).message}\n${tails.join('\n')}`);
  }
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: RGW_ACCESS_KEY, secretAccessKey: RGW_SECRET_KEY } });
  return {
    endpoint,
    port: rgwPort,
    section: (bucket, rootdirectory = '') => ({ bucket, region: 'us-east-1', regionendpoint: endpoint, accesskey: RGW_ACCESS_KEY, secretkey: RGW_SECRET_KEY, rootdirectory, maxretries: 2, maxrequestspersecond: 0 }),
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    stop,
    restart: () => Promise.reject(new Error('restart is not supported on RGW')),
  };
}
