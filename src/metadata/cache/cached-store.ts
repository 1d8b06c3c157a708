/**
 * A MetadataStore decorator that caches tag lookups in Redis (SPEC 3.5), the
 * hot path of every pull by tag. Invalidation is correct across nodes: each
 * repository has a generation counter, every tag write bumps it after the
 * database commit, and entries live in a hash keyed by the generation, so a
 * lookup that raced a write can only fill a generation nobody reads any more.
 * Keys carry the repository in a hash tag, so both keys of a lookup share a
 * Cluster slot. Redis failures fall back to the database.
 */
import type { Cluster, Redis } from 'ioredis';
import { tryParseDigest } from '../../oci/digest.js';
import type { MetadataStore } from '../store.js';

const LOOKUP = `
local g = redis.call('GET', KEYS[1]) or '0'
return {g, redis.call('HGET', KEYS[2] .. g, ARGV[1])}
`;

/** Invalidation handle of the cache, for operations outside the store (repository rename). */
export interface TagCache {
  readonly redis: Redis | Cluster;
  /** Forgets every cached tag of these repositories, on every node. */
  invalidate(names: readonly string[]): Promise<void>;
}

/** Wraps `inner`; keys are prefixed with the database's identity; `ttlMs` bounds how long an entry lives even without writes. */
export function cachedMetadataStore(inner: MetadataStore, redis: Redis | Cluster, ttlMs: number, instance: string): { store: MetadataStore; cache: TagCache } {
  const genKey = (name: string) => `wharf:${instance}:{${name}}:gen`;
  const tagsKey = (name: string) => `wharf:${instance}:{${name}}:tags:`;
  const bump = async (name: string) => {
    try {
      await redis.incr(genKey(name));
    } catch {
      // Without the bump a stale entry could survive until its TTL: stay correct by failing loudly.
      throw new Error(`redis cache: could not invalidate the tags of ${name}`);
    }
  };

  const cache: TagCache = {
    redis,
    async invalidate(names) {
      for (const n of names) await bump(n);
    },
  };
  const store: MetadataStore = {
    ...inner,
    mode: `${inner.mode}+redis`,

    async resolveTag(name, tag) {
      let gen: string | undefined;
      try {
        const [g, hit] = (await redis.eval(LOOKUP, 2, genKey(name), tagsKey(name), tag)) as [string, string | null];
        gen = g;
        const d = hit ? tryParseDigest(hit) : undefined;
        if (d) return d;
      } catch {
        return inner.resolveTag(name, tag);
      }
      const d = await inner.resolveTag(name, tag);
      if (d) {
        const key = `${tagsKey(name)}${gen}`;
        await redis
          .multi()
          .hset(key, tag, d.value)
          .pexpire(key, ttlMs)
          .exec()
          .catch(() => undefined);
      }
      return d;
    },

    async putManifest(name, record, tag) {
      const moved = await inner.putManifest(name, record, tag);
      if (tag !== undefined) await bump(name);
      return moved;
    },

    async untag(name, tag) {
      const removed = await inner.untag(name, tag);
      if (removed) await bump(name);
      return removed;
    },

    async deleteManifest(name, digest) {
      const removed = await inner.deleteManifest(name, digest);
      if (removed) await bump(name);
      return removed;
    },
  };
  return { store, cache };
}
