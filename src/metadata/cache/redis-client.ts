/**
 * A Redis client from the `redis.cache` section: one server, Sentinel (several
 * addresses and `mainname`) or Cluster (several addresses, no `mainname`).
 */
import type { Cluster, Redis } from 'ioredis';
import type { Config } from '../../config/schema.js';

type CacheConfig = Config['redis']['cache'];

function parseAddr(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(':');
  return i === -1 ? { host: addr, port: 6379 } : { host: addr.slice(0, i) || '127.0.0.1', port: Number(addr.slice(i + 1)) };
}

/** Connects per the config; resolves once the server answers PING. */
export async function connectRedis(c: CacheConfig): Promise<Redis | Cluster> {
  // Loaded here, not at start-up: ioredis costs ~25 MiB of memory that nodes without Redis need not pay.
  const { Cluster, Redis } = await import('ioredis');
  const nodes = c.addr.split(',').map((a) => parseAddr(a.trim()));
  const tls = c.tls.enabled ? { rejectUnauthorized: !c.tls.insecure } : undefined;
  const common = {
    username: c.username,
    password: c.password,
    connectTimeout: c.dialtimeout,
    commandTimeout: Math.max(c.readtimeout, c.writetimeout),
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    ...(tls ? { tls } : {}),
  };
  let client: Redis | Cluster;
  if (c.mainname) {
    client = new Redis({ ...common, sentinels: nodes, name: c.mainname, db: c.db, sentinelUsername: c.sentinelusername, sentinelPassword: c.sentinelpassword });
  } else if (nodes.length > 1) {
    client = new Cluster(nodes, { redisOptions: common, lazyConnect: true });
  } else {
    client = new Redis({ ...common, ...(nodes[0] as { host: string; port: number }), db: c.db });
  }
  client.on('error', () => undefined); // reported through failed commands; the cache then falls back to the database
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    client.disconnect(); // stop ioredis from reconnecting in the background
    throw err;
  }
  return client;
}
