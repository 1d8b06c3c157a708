/**
 * Bounds on pushed JSON (manifests, REST API bodies), checked before and
 * after `JSON.parse`: both are shallow documents, so nesting deeper than {@link MAX_DEPTH} is refused on
 * the raw bytes before anything is built (a 4 MiB body of `[[[[…` would
 * otherwise become two million arrays), and every string, keys included,
 * must be storable text: no NUL (PostgreSQL's text cannot hold it) and no
 * lone UTF-16 surrogate (not Unicode; `"\ud800"` is valid JSON).
 */

/** Deepest nesting of arrays and objects a document may have (real manifests stay under 8). */
export const MAX_DEPTH = 64;

const OPEN_OBJ = 0x7b;
const OPEN_ARR = 0x5b;
const CLOSE_OBJ = 0x7d;
const CLOSE_ARR = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The deepest nesting of `bytes` (strings skipped), stopping early once past `limit`. */
export function nestingDepth(bytes: Uint8Array, limit = MAX_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === BACKSLASH) i++;
      else if (b === QUOTE) inString = false;
      continue;
    }
    if (b === QUOTE) inString = true;
    else if (b === OPEN_OBJ || b === OPEN_ARR) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (b === CLOSE_OBJ || b === CLOSE_ARR) depth--;
  }
  return max;
}

/** The first string (or key) of a parsed document that is not storable text, described; undefined when all are. */
export function badString(doc: unknown): string | undefined {
  const stack: unknown[] = [doc];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') {
      const why = unstorable(v);
      if (why) return why;
    } else if (Array.isArray(v)) {
      for (const item of v) stack.push(item);
    } else if (v && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        const why = unstorable(k);
        if (why) return `${why} (in a key)`;
        stack.push(item);
      }
    }
  }
  return undefined;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function unstorable(s: string): string | undefined {
  if (s.includes('\u0000')) return 'a string contains a NUL character (\\u0000)';
  if (LONE_SURROGATE.test(s)) return 'a string contains a lone UTF-16 surrogate';
  return undefined;
}

/** Parses pushed JSON within the bounds: the value, or why it is refused (too deep, not JSON, unstorable text). */
export function parseBounded(bytes: Uint8Array): { ok: true; value: unknown } | { ok: false; problem: string } {
  if (nestingDepth(bytes) > MAX_DEPTH) return { ok: false, problem: `JSON nested deeper than ${MAX_DEPTH} levels` };
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    return { ok: false, problem: `not valid JSON: ${(err as Error).message}` };
  }
  const bad = badString(value);
  return bad ? { ok: false, problem: bad } : { ok: true, value };
}
