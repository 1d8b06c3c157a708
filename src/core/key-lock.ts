/**
 * Serialises async work per key inside one process (e.g. two PATCHes to the
 * same upload arriving at once).
 */

/** A map of per-key mutexes that removes idle keys. */
export class KeyLock {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `fn` after every earlier call for `key` has settled. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
