/** Unit test of abandoned-upload purging over the in-memory driver. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { purgeUploads } from '../../src/maintenance/upload-purge.js';
import { inmemoryDriver } from '../../src/storage/inmemory.js';
import { uploadDataPath, uploadMonolithicPath, uploadStartedAtPath, layerLinkPath } from '../../src/storage/layout.js';
import { parseDigest } from '../../src/oci/digest.js';
import { markFill, newFillTemp, removeFill } from '../../src/virtual/fill-temp.js';

describe('upload purging', () => {
  it('removes sessions older than the age, keeps newer ones and everything else', async () => {
    const d = inmemoryDriver();
    const now = new Date('2026-01-10T00:00:00Z');
    const put = async (name: string, id: string, started: string) => {
      await d.putContent(uploadDataPath(name, id), Buffer.from('partial'));
      await d.putContent(uploadStartedAtPath(name, id), Buffer.from(started));
    };
    await put('a/b', '00000000-0000-0000-0000-000000000001', '2026-01-01T00:00:00Z');
    await put('a/b', '00000000-0000-0000-0000-000000000002', '2026-01-09T23:00:00Z');
    await put('c', '00000000-0000-0000-0000-000000000003', '2025-12-01T00:00:00Z');
    const link = layerLinkPath('a/b', parseDigest(`sha256:${'a'.repeat(64)}`));
    await d.putContent(link, Buffer.from(`sha256:${'a'.repeat(64)}`));

    const dry = await purgeUploads(d, 7 * 24 * 3600_000, true, now);
    assert.equal(dry.purged.length, 2);
    assert.equal((await d.stat(uploadDataPath('c', '00000000-0000-0000-0000-000000000003'))).size, 7, 'dry run deletes nothing');

    const r = await purgeUploads(d, 7 * 24 * 3600_000, false, now);
    assert.deepEqual(r.purged.sort(), ['/docker/registry/v2/repositories/a/b/_uploads/00000000-0000-0000-0000-000000000001', '/docker/registry/v2/repositories/c/_uploads/00000000-0000-0000-0000-000000000003']);
    assert.equal(r.kept, 1);
    await assert.rejects(d.stat(uploadDataPath('c', '00000000-0000-0000-0000-000000000003')));
    assert.equal((await d.stat(uploadDataPath('a/b', '00000000-0000-0000-0000-000000000002'))).size, 7);
    assert.equal((await d.getContent(link)).toString(), `sha256:${'a'.repeat(64)}`);
  });

  it('reclaims idle monolithic sessions (never resumable) after abandonedage; resumable ones keep the full age', async () => {
    const d = inmemoryDriver();
    const mono = '00000000-0000-0000-0000-00000000000a';
    const chunked = '00000000-0000-0000-0000-00000000000b';
    const started = new Date().toISOString();
    for (const id of [mono, chunked]) {
      await d.putContent(uploadDataPath('m/r', id), Buffer.from('partial'));
      await d.putContent(uploadStartedAtPath('m/r', id), Buffer.from(started));
    }
    await d.putContent(uploadMonolithicPath('m/r', mono), Buffer.alloc(0));
    const week = 7 * 24 * 3600_000;
    const twoHoursLater = new Date(Date.now() + 2 * 3600_000);
    const still = await purgeUploads(d, week, false, twoHoursLater, 3 * 3600_000);
    assert.deepEqual(still.purged, [], 'idle 2 h, below an abandonedage of 3 h: kept');
    const r = await purgeUploads(d, week, false, twoHoursLater, 3600_000);
    assert.deepEqual(r.purged, [`/docker/registry/v2/repositories/m/r/_uploads/${mono}`]);
    assert.equal(r.kept, 1, 'the resumable session stays');
    assert.equal((await d.stat(uploadDataPath('m/r', chunked))).size, 7);
  });

  it('reclaims a virtual registry fill left by a killed process once idle for abandonedage', async () => {
    const d = inmemoryDriver();
    const { id, temp } = newFillTemp();
    await markFill(d, id);
    await d.putContent(temp, Buffer.from('half a blob'));
    const week = 7 * 24 * 3600_000;
    assert.deepEqual((await purgeUploads(d, week, false, new Date(Date.now() + 10 * 60_000), 3600_000)).purged, [], 'idle 10 min: kept');
    const r = await purgeUploads(d, week, false, new Date(Date.now() + 2 * 3600_000), 3600_000);
    assert.deepEqual(r.purged, [`/docker/registry/v2/repositories/virtual_registries/fills/_uploads/${id}`]);
    await assert.rejects(d.stat(temp));
  });

  it('a finished fill leaves no directory behind', async () => {
    const d = inmemoryDriver();
    const { id, temp } = newFillTemp();
    await markFill(d, id);
    await d.putContent(temp, Buffer.from('a blob'));
    await removeFill(d, id);
    assert.deepEqual(await purgeUploads(d, 0, true, new Date(Date.now() + 3600_000), 0), { purged: [], kept: 0 });
  });
});
