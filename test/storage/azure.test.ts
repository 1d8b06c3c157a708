/** The shared driver suite on the `azure` driver against Azurite, plus its start-up checks. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { createStorageDriver } from '../../src/storage/factory.js';
import type { StorageDriver } from '../../src/storage/driver.js';
import { startAzurite, type Azurite } from '../support/azurite.js';
import { runDriverSuite } from './driver-suite.js';
import { requireEmulator } from '../support/emulators.js';

const skip = requireEmulator('azurite');

describe('the azure driver on Azurite', { skip }, () => {
  let azurite: Azurite;
  let n = 0;

  before(async () => {
    azurite = await startAzurite();
    await azurite.createContainer('wharf-suite');
  });
  after(() => azurite?.stop());

  const driverFor = (section: Record<string, unknown>, key = 'azure'): Promise<StorageDriver> => createStorageDriver(parseConfig({ storage: { [key]: section } }).storage);

  runDriverSuite('azure (Azurite), under a root directory', async () => driverFor(azurite.section('wharf-suite', { rootdirectory: `/run-${n++}` })));
  runDriverSuite('azure, legacy root prefix (names start with /)', async () => {
    const c = `legacy-${n++}`;
    await azurite.createContainer(c);
    return driverFor(azurite.section(c));
  });
  runDriverSuite('azure_v2 with a shared key, trimmed root prefix', async () => {
    const c = `trimmed-${n++}`;
    await azurite.createContainer(c);
    return driverFor(azurite.section(c, { credentials_type: 'shared_key' }), 'azure_v2');
  });

  describe('azure driver start-up checks', () => {
    it('a container that does not exist fails with a message naming the key', async () => {
      await assert.rejects(
        (await driverFor(azurite.section('no-such-container'))).health(),
        (e: ConfigError) => e instanceof ConfigError && /storage\.azure\.container: container "no-such-container" does not exist/.test(e.message),
      );
    });
    it('a wrong account key fails with a message naming the key', async () => {
      const wrong = Buffer.from('not the key').toString('base64');
      await assert.rejects(
        (await driverFor(azurite.section('wharf-suite', { accountkey: wrong }))).health(),
        (e: ConfigError) => e instanceof ConfigError && /storage\.azure\.accountkey: access to container "wharf-suite" denied/.test(e.message),
      );
    });
    it('azure_v2 requires the fields of its credential type', () => {
      assert.throws(() => parseConfig({ storage: { azure_v2: { accountname: 'a', container: 'abc' } } }), /tenant_id: required with credentials_type client_secret/);
      assert.throws(() => parseConfig({ storage: { azure_v2: { accountname: 'a', container: 'abc', credentials_type: 'shared_key' } } }), /accountkey: required with credentials_type shared_key/);
    });
    it('presigns redirect URLs that Azurite serves', async () => {
      const d = await driverFor(azurite.section('wharf-suite', { rootdirectory: '/redirect' }));
      await d.putContent('/blob', Buffer.from('redirected bytes'));
      const url = await d.redirectURL('/blob', 'GET');
      assert.ok(url && url.includes('sig='), url);
      assert.equal(await (await fetch(url)).text(), 'redirected bytes');
    });
  });
});
