/**
 * The shared storage-driver suite. Every driver runs it; object-storage drivers
 * will run it against their emulators. It also fails a driver that leaves
 * objects behind after delete or cancel.
 */
import assert from 'node:assert/strict';
import { randomBytes, createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { Readable } from 'node:stream';
import { InvalidOffsetError, PathNotFoundError, listOrEmpty, type StorageDriver } from '../../src/storage/driver.js';

async function readAll(r: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of r) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Recursively collects every object path under `p`. */
async function walk(d: StorageDriver, p: string): Promise<string[]> {
  const out: string[] = [];
  for (const child of await listOrEmpty(d, p)) {
    const info = await d.stat(child);
    if (info.isDir) out.push(...(await walk(d, child)));
    else out.push(child);
  }
  return out;
}

/** Registers the suite for one driver; `make` gives a fresh, empty driver per test. */
export function runDriverSuite(label: string, make: () => Promise<StorageDriver>): void {
  describe(`storage driver suite: ${label}`, () => {
    it('put and get content round-trip, and overwrite replaces', async () => {
      const d = await make();
      await d.putContent('/a/b/c', Buffer.from('one'));
      assert.equal((await d.getContent('/a/b/c')).toString(), 'one');
      await d.putContent('/a/b/c', Buffer.from('two!'));
      assert.equal((await d.getContent('/a/b/c')).toString(), 'two!');
      assert.equal((await d.stat('/a/b/c')).size, 4);
    });

    it('missing paths raise PathNotFoundError for every read-side operation', async () => {
      const d = await make();
      await assert.rejects(d.getContent('/nope'), PathNotFoundError);
      await assert.rejects(d.stat('/nope'), PathNotFoundError);
      await assert.rejects(d.list('/nope'), PathNotFoundError);
      await assert.rejects(d.reader('/nope'), PathNotFoundError);
      await assert.rejects(d.delete('/nope'), PathNotFoundError);
      await assert.rejects(d.move('/nope', '/other'), PathNotFoundError);
    });

    it('stat tells files from directories', async () => {
      const d = await make();
      await d.putContent('/dir/file', Buffer.from('x'));
      assert.equal((await d.stat('/dir')).isDir, true);
      const f = await d.stat('/dir/file');
      assert.equal(f.isDir, false);
      assert.equal(f.size, 1);
      assert.ok(f.modTime instanceof Date);
    });

    it('list returns the direct children as full paths', async () => {
      const d = await make();
      await d.putContent('/l/x/1', Buffer.from('1'));
      await d.putContent('/l/x/2', Buffer.from('2'));
      await d.putContent('/l/y', Buffer.from('3'));
      assert.deepEqual((await d.list('/l')).sort(), ['/l/x', '/l/y']);
      assert.deepEqual((await d.list('/l/x')).sort(), ['/l/x/1', '/l/x/2']);
    });

    it('reader honours offset and end, and rejects an offset past the end', async () => {
      const d = await make();
      await d.putContent('/r', Buffer.from('0123456789'));
      assert.equal((await readAll(await d.reader('/r'))).toString(), '0123456789');
      assert.equal((await readAll(await d.reader('/r', 3))).toString(), '3456789');
      assert.equal((await readAll(await d.reader('/r', 3, 6))).toString(), '345');
      assert.equal((await readAll(await d.reader('/r', 10))).toString(), '');
      await assert.rejects(d.reader('/r', 11), InvalidOffsetError);
    });

    it('copyRange, when the driver has it, writes exactly the range and leaves the destination open', async (t) => {
      const d = await make();
      if (!d.copyRange) return t.skip(`${label} has no copyRange; reader is used`);
      const data = randomBytes(3 * 1024 * 1024 + 11);
      await d.putContent('/cr', data);
      const chunks: Buffer[] = [];
      const { Writable } = await import('node:stream');
      const sink = new Writable({
        write(c: Buffer, _e, cb) {
          chunks.push(Buffer.from(c));
          cb();
        },
      });
      await d.copyRange('/cr', 5, data.length - 3, sink);
      assert.ok(Buffer.concat(chunks).equals(data.subarray(5, data.length - 3)));
      assert.equal(sink.writableEnded, false);
      await assert.rejects(d.copyRange('/missing', 0, 1, sink), PathNotFoundError);
    });

    it('writer streams a large object and append continues it', async () => {
      const d = await make();
      const part1 = randomBytes(3 * 1024 * 1024 + 7);
      const part2 = randomBytes(1024 * 1024 + 3);
      const w1 = await d.writer('/up/data', false);
      for (let off = 0; off < part1.length; off += 1 << 20) await w1.write(part1.subarray(off, off + (1 << 20)));
      await w1.commit();
      assert.equal(w1.size(), part1.length);
      const w2 = await d.writer('/up/data', true);
      assert.equal(w2.size(), part1.length);
      const reused = Buffer.from(part2);
      await w2.write(reused);
      reused.fill(0); // the driver must not hold the chunk after write resolves
      await w2.commit();
      assert.equal(w2.size(), part1.length + part2.length);
      const got = await readAll(await d.reader('/up/data'));
      const want = Buffer.concat([part1, part2]);
      assert.equal(createHash('sha256').update(got).digest('hex'), createHash('sha256').update(want).digest('hex'));
    });

    it('appends kept open between writers (close, as PATCHes do) report their size, continue, and finalize whole', async () => {
      const d = await make();
      // With 5 MiB parts the third append ends exactly on a part boundary (nothing left over), the fourth is tiny.
      const chunks = [randomBytes(6 * 1024 * 1024 + 11), randomBytes(6 * 1024 * 1024 + 5), randomBytes(3 * 1024 * 1024 - 16), randomBytes(1000)];
      let total = 0;
      for (const [i, chunk] of chunks.entries()) {
        const w = await d.writer('/kept/data', i > 0);
        assert.equal(w.size(), total);
        for (let off = 0; off < chunk.length; off += 1 << 20) await w.write(chunk.subarray(off, off + (1 << 20)));
        await (w.close ? w.close() : w.commit());
        total += chunk.length;
        assert.equal((await d.stat('/kept/data')).size, total, 'stat reports the size while the object is open');
      }
      assert.deepEqual(await d.list('/kept'), ['/kept/data'], 'no bookkeeping objects are listed');
      await d.finalize?.('/kept/data');
      const want = Buffer.concat(chunks);
      assert.ok((await d.getContent('/kept/data')).equals(want));
      assert.equal((await d.stat('/kept/data')).size, want.length);
      await d.delete('/kept');
      await assert.rejects(d.stat('/kept/data'), PathNotFoundError);
    });

    it('cancel removes what the writer wrote', async () => {
      const d = await make();
      const w = await d.writer('/cancel/data', false);
      await w.write(Buffer.from('partial'));
      await w.cancel();
      await assert.rejects(d.stat('/cancel/data'), PathNotFoundError);
    });

    it('move replaces the destination and removes the source', async () => {
      const d = await make();
      await d.putContent('/m/src', Buffer.from('new'));
      await d.putContent('/m2/dst', Buffer.from('old'));
      await d.move('/m/src', '/m2/dst');
      assert.equal((await d.getContent('/m2/dst')).toString(), 'new');
      await assert.rejects(d.getContent('/m/src'), PathNotFoundError);
    });

    it('delete removes a whole tree and leaves nothing behind', async () => {
      const d = await make();
      await d.putContent('/t/a/1', Buffer.from('1'));
      await d.putContent('/t/a/b/2', Buffer.from('2'));
      await d.putContent('/keep', Buffer.from('k'));
      await d.delete('/t');
      assert.deepEqual(await walk(d, '/t'), []);
      await assert.rejects(d.stat('/t/a/1'), PathNotFoundError);
      assert.deepEqual(await walk(d, '/'), ['/keep']);
    });

    it('concurrent putContent on one path never exposes a mix', async () => {
      const d = await make();
      const a = Buffer.alloc(256 * 1024, 'a');
      const b = Buffer.alloc(256 * 1024, 'b');
      await Promise.all(Array.from({ length: 10 }, (_, i) => d.putContent('/race', i % 2 ? a : b)));
      const got = await d.getContent('/race');
      assert.ok(got.equals(a) || got.equals(b));
      assert.deepEqual(await walk(d, '/'), ['/race']);
    });

    it('health succeeds on a working backend', async () => {
      const d = await make();
      await d.health();
      assert.ok(true);
    });
  });
}
