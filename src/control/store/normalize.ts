/**
 * Rows arrive with bigint columns as strings (pg); the
 * control plane's ids fit in a JavaScript number, so every `id` and `*_id`
 * field becomes one here.
 */

/** Returns `row` with its id columns as numbers. */
export function normalize<T extends object>(row: T): T {
  const out = { ...row } as Record<string, unknown>;
  for (const [k, v] of Object.entries(out)) {
    if ((k === 'id' || k.endsWith('_id')) && v !== null && v !== undefined) out[k] = Number(v);
  }
  return out as T;
}
