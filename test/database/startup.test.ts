/** A registry node in database mode refuses to start on a database it cannot use, naming the problem. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/load.js';
import { createTestDatabase, requirePostgres } from '../support/postgres.js';
import { startWharf } from '../support/wharf.js';

const skip = await requirePostgres();

describe('database mode start-up checks', { skip }, () => {
  it('refuses a database with pending migrations and says how to apply them', async () => {
    const tdb = await createTestDatabase();
    try {
      await assert.rejects(startWharf({ database: tdb.section }), (e: ConfigError) => e instanceof ConfigError && /pending migration.*wharf database migrate up/.test(e.message));
    } finally {
      await tdb.drop();
    }
  });

  it('refuses an unreachable database as unavailable (a fault to retry, not configuration), naming host, port and database', async () => {
    await assert.rejects(
      startWharf({ database: { enabled: true, host: '127.0.0.1', port: 1, dbname: 'nowhere', sslmode: 'disable', connecttimeout: '2s' } }),
      (e: Error) => e.name === 'DatabaseUnavailableError' && /^the metadata database is unavailable: cannot reach 127\.0\.0\.1:1\/nowhere: the server refuses connections/.test(e.message),
    );
  });
});
