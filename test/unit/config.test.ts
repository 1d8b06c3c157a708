/** Unit tests of configuration loading, env overrides and validation. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig, parseConfig } from '../../src/config/load.js';
import { tempDir } from '../support/temp.js';

const problems = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
};

describe('configuration', () => {
  it('defaults: filesystem under ./data, 127.0.0.1:5000, 168h upload purging, 4 MiB manifests', () => {
    const c = parseConfig({});
    assert.equal(c.storage.filesystem?.rootdirectory, './data');
    assert.equal(c.http.addr, '127.0.0.1:5000');
    assert.equal(c.storage.maintenance.uploadpurging.age, 168 * 3600_000);
    assert.equal(c.validation.manifests.payloadsizelimit, 4 * 1024 * 1024);
    assert.equal(c.storage.delete.enabled, false);
    assert.ok(Object.isFrozen(c.storage));
  });
  it('reads a Distribution config.yml with empty sections', async () => {
    const dir = await tempDir('wharf-cfg-');
    const file = join(dir, 'config.yml');
    await writeFile(
      file,
      'version: 0.1\nlog:\n  level: debug\n  fields:\n    service: registry\nstorage:\n  cache:\n    blobdescriptor: inmemory\n  filesystem:\n    rootdirectory: /var/lib/registry\n  delete:\n    enabled: true\n  maintenance:\n    readonly:\n      enabled: true\n    uploadpurging:\n      enabled: false\nhttp:\n  addr: :5000\n  headers:\n    X-Content-Type-Options: [nosniff]\nhealth:\n  storagedriver:\n    enabled: true\n    interval: 10s\n    threshold: 3\n',
    );
    const c = await loadConfig(file, {});
    assert.equal(c.storage.filesystem?.rootdirectory, '/var/lib/registry');
    assert.equal(c.storage.maintenance.readonly.enabled, true);
    assert.equal(c.storage.maintenance.uploadpurging.enabled, false);
    assert.deepEqual(c.http.headers['X-Content-Type-Options'], ['nosniff']);
    assert.equal(c.log.level, 'debug');
  });
  it('applies REGISTRY_* environment overrides with YAML-typed values', () => {
    const c = parseConfig(
      { storage: { filesystem: { rootdirectory: '/a' } } },
      {
        REGISTRY_HTTP_ADDR: '0.0.0.0:6000',
        REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: '/b',
        REGISTRY_STORAGE_DELETE_ENABLED: 'true',
        REGISTRY_STORAGE_MAINTENANCE_UPLOADPURGING_AGE: '2h',
        REGISTRY_VALIDATION_MANIFESTS_PAYLOADSIZELIMIT: '1024',
        PATH: '/usr/bin',
      },
    );
    assert.equal(c.http.addr, '0.0.0.0:6000');
    assert.equal(c.storage.filesystem?.rootdirectory, '/b');
    assert.equal(c.storage.delete.enabled, true);
    assert.equal(c.storage.maintenance.uploadpurging.age, 2 * 3600_000);
    assert.equal(c.validation.manifests.payloadsizelimit, 1024);
  });
  it('rejects unknown keys naming the full key path', () => {
    assert.deepEqual(
      problems(() => parseConfig({ storage: { filesystem: { rootdir: '/x' } } })),
      ['storage.filesystem: unknown key(s) storage.filesystem.rootdir'],
    );
    assert.deepEqual(
      problems(() => parseConfig({ htttp: {} })),
      ['(root): unknown key(s) htttp'],
    );
    assert.match(problems(() => parseConfig({}, { REGISTRY_HTTP_ADDRESS: 'x' }))[0] ?? '', /REGISTRY_HTTP_ADDRESS/);
  });
  it('rejects bad values naming the key', () => {
    assert.match(problems(() => parseConfig({ storage: { maintenance: { uploadpurging: { age: 'soon' } } } }))[0] ?? '', /^storage\.maintenance\.uploadpurging\.age: invalid duration/);
    assert.match(problems(() => parseConfig({ log: { level: 'loud' } }))[0] ?? '', /^log\.level:/);
    assert.match(problems(() => parseConfig({ storage: { filesystem: {}, inmemory: {} } }))[0] ?? '', /exactly one storage driver/);
    assert.match(problems(() => parseConfig({ version: '0.2' }))[0] ?? '', /^version:/);
    assert.match(problems(() => parseConfig({ validation: { manifests: { urls: { allow: ['(unclosed'] } } } }))[0] ?? '', /^validation\.manifests\.urls\.allow\.0: not a valid regular expression/);
    assert.match(problems(() => parseConfig({ http: { workers: 0 } }))[0] ?? '', /^http\.workers:/);
  });
  it('reports a missing file and YAML syntax errors', async () => {
    await assert.rejects(loadConfig('/nonexistent/config.yml', {}), ConfigError);
    const dir = await tempDir('wharf-cfg-');
    await writeFile(join(dir, 'bad.yml'), 'storage: [unclosed');
    await assert.rejects(loadConfig(join(dir, 'bad.yml'), {}), /YAML syntax error/);
  });
});
