/**
 * An in-process cache in front of the database store, for the hot reads of
 * every pull: a tag's digest, and that a manifest or a blob is linked in a
 * repository. Only facts that exist are kept (a miss always asks the
 * database), so an insert can never make an entry wrong; what can — a tag
 * moved or deleted, a manifest or blob link deleted, a repository renamed or
 * deleted, by any writer on any node (GC and renames included) — is
 * announced by database triggers on `wharf_metadata` as `<path> <txid>`
 * (migration 20261201100000), and every node drops that repository's entries.
 *
 * Seen at once on every node: each node acknowledges each change it dropped
 * (`<node> <path> <txid>` on `wharf_cache_ack`) and says hello every 2 s on
 * the same channel. A write through the store (`afterChange`) drops its
 * repository here, then waits until every node heard from in the last 10 s
 * has acknowledged its transaction (at most 1 s, for a node that died since),
 * so when the client hears "done", no node will answer the old value.
 * Changes written outside the store (GC, renames) are dropped as their
 * notifications arrive, without waiting.
 *
 * Fills cannot go stale: a lookup remembers the invalidation epoch before it
 * asks the database and stores its answer only if no invalidation happened
 * meanwhile. While the listening connection is down nothing is served from
 * the cache, and everything is dropped when it is back.
 */
import { randomUUID } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Database, Listening } from '../../db/queryer.js';
import { tryParseDigest, type Digest } from '../../oci/digest.js';
import type { MetadataStore } from '../store.js';

/** The channel the triggers notify on. */
export const METADATA_CHANNEL = 'wharf_metadata';
/** Acknowledgements and hellos between nodes. */
export const ACK_CHANNEL = 'wharf_cache_ack';

const HELLO_MS = 2000;
const PEER_TTL_MS = 10_000;

/** A running cache. */
export interface LocalCache {
  /** Wraps a store: its hot reads come from the cache. */
  wrap(inner: MetadataStore): MetadataStore;
  /** For the database store: after a committed change, drop it here and wait for every node's acknowledgement. */
  afterChange(repository: string, txid: string): Promise<void>;
  close(): Promise<void>;
}

/** Options (tests may shrink the waits). */
export interface LocalCacheOptions {
  /** Entries kept (tags and links together); default 100,000. */
  readonly max?: number;
  /** Longest a write waits for acknowledgements; default 1,000 ms. */
  readonly ackWaitMs?: number;
}

/** Starts listening on `db`; resolves once listening. */
export async function startLocalCache(db: Database, opts: LocalCacheOptions = {}): Promise<LocalCache> {
  const self = randomUUID();
  // key: `${kind}\0${repository}\0${item}`; the repository index finds a repository's keys.
  const entries = new LRUCache<string, string>({ max: opts.max ?? 100_000, dispose: (_v, key) => unindex(key) });
  const byRepository = new Map<string, Set<string>>();
  const peers = new Map<string, number>(); // node id → last heard
  const acks = new Map<string, { from: Set<string>; wake?: () => void; at: number }>(); // `${path} ${txid}`
  let epoch = 0;
  let listening = false;

  const repoOf = (key: string) => key.slice(key.indexOf('\0') + 1, key.lastIndexOf('\0'));
  function unindex(key: string): void {
    const repo = repoOf(key);
    const keys = byRepository.get(repo);
    keys?.delete(key);
    if (keys?.size === 0) byRepository.delete(repo);
  }
  const invalidate = (repo: string) => {
    epoch++;
    for (const key of [...(byRepository.get(repo) ?? [])]) entries.delete(key);
  };
  const clear = () => {
    epoch++;
    entries.clear();
    byRepository.clear();
  };
  const livePeers = () => {
    const now = Date.now();
    for (const [id, seen] of peers) if (now - seen > PEER_TTL_MS) peers.delete(id);
    return [...peers.keys()];
  };
  const ackOf = (change: string) => {
    let a = acks.get(change);
    if (!a) acks.set(change, (a = { from: new Set(), at: Date.now() }));
    return a;
  };

  let subscription: Listening | undefined;
  subscription = await db.listen([METADATA_CHANNEL, ACK_CHANNEL], {
    message(channel, payload) {
      if (channel === METADATA_CHANNEL) {
        const cut = payload.lastIndexOf(' ');
        invalidate(payload.slice(0, cut));
        void subscription?.notify(ACK_CHANNEL, `${self} ${payload}`);
        return;
      }
      const cut = payload.indexOf(' ');
      const from = payload.slice(0, cut);
      if (from === self) return;
      const known = peers.has(from);
      peers.set(from, Date.now());
      const what = payload.slice(cut + 1);
      // A node just started: answer at once, so it knows whom to wait for before its first write.
      if (what === 'hello' && !known) void subscription?.notify(ACK_CHANNEL, `${self} hello`);
      if (what === 'hello') return;
      if (what === 'bye') {
        peers.delete(from);
      } else {
        ackOf(what).from.add(from);
      }
      for (const a of acks.values()) a.wake?.();
    },
    reset(connected) {
      clear();
      listening = connected;
    },
  });
  const hello = setInterval(() => {
    void subscription?.notify(ACK_CHANNEL, `${self} hello`);
    // Acknowledgements nobody waits for (changes made elsewhere) are kept a little, then dropped.
    const old = Date.now() - 5000;
    for (const [k, a] of acks) if (!a.wake && a.at < old) acks.delete(k);
  }, HELLO_MS);
  hello.unref();
  void subscription.notify(ACK_CHANNEL, `${self} hello`);

  async function afterChange(repo: string, txid: string): Promise<void> {
    invalidate(repo);
    if (!listening) return;
    const change = `${repo} ${txid}`;
    const a = ackOf(change);
    const done = () => livePeers().every((p) => a.from.has(p));
    if (!done()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, opts.ackWaitMs ?? 1000);
        timer.unref();
        a.wake = () => {
          if (!done()) return;
          clearTimeout(timer);
          resolve();
        };
      });
    }
    acks.delete(change);
  }

  /** Looks an entry up, or asks `load` and keeps a defined answer unless an invalidation raced it. */
  async function cached<T>(kind: string, repo: string, item: string, load: () => Promise<T>, encode: (v: T) => string | undefined, decode: (s: string) => T): Promise<T> {
    const key = `${kind}\0${repo}\0${item}`;
    if (listening) {
      const hit = entries.get(key);
      if (hit !== undefined) return decode(hit);
    }
    const before = epoch;
    const value = await load();
    const enc = encode(value);
    if (enc !== undefined && listening && epoch === before) {
      entries.set(key, enc);
      let keys = byRepository.get(repo);
      if (!keys) byRepository.set(repo, (keys = new Set()));
      keys.add(key);
    }
    return value;
  }

  const yes = (v: boolean) => (v ? '1' : undefined);
  /** A cached "linked in the repository" lookup: only true answers are kept. */
  const linked =
    (kind: string, load: (name: string, digest: Digest) => Promise<boolean>) =>
    (name: string, digest: Digest): Promise<boolean> =>
      cached(
        kind,
        name,
        digest.value,
        () => load(name, digest),
        yes,
        () => true,
      );
  return {
    wrap: (inner) => ({
      ...inner,
      resolveTag: (name, tag) =>
        cached(
          'tag',
          name,
          tag,
          () => inner.resolveTag(name, tag),
          (d) => d?.value,
          (s) => tryParseDigest(s) as Digest,
        ),
      isManifestLinked: linked('manifest', (n, d) => inner.isManifestLinked(n, d)),
      isBlobLinked: linked('blob', (n, d) => inner.isBlobLinked(n, d)),
    }),
    afterChange,
    async close() {
      clearInterval(hello);
      await subscription?.notify(ACK_CHANNEL, `${self} bye`);
      await subscription?.close();
      subscription = undefined;
    },
  };
}
