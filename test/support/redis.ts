/**
 * The real Redis at 127.0.0.1:6379 for tests. Without it the tests that need
 * it are skipped with a loud message, except under CI=true, where that fails.
 */
import { Redis } from 'ioredis';

/** The `redis.cache` section pointing at the local server. */
export const REDIS_CACHE = { enabled: true, addr: process.env.WHARF_TEST_REDIS ?? '127.0.0.1:6379', ttl: '10m' };

/** Returns a skip reason when Redis is unreachable (printed loudly); throws under CI=true. */
export async function requireRedis(): Promise<string | undefined> {
  const r = new Redis(REDIS_CACHE.addr, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0 });
  r.on('error', () => undefined);
  try {
    await r.connect();
    await r.ping();
    return undefined;
  } catch (err) {
    const msg = `Redis is not reachable at ${REDIS_CACHE.addr} (${(err as Error).message}); Redis tests are SKIPPED`;
    if (process.env.CI === 'true') throw new Error(`CI=true but ${msg}`);
    process.stderr.write(`\n!!! ${msg}\n\n`);
    return msg;
  } finally {
    r.disconnect();
  }
}
