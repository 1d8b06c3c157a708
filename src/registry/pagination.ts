/**
 * The `n` and `last` query parameters of listings, and the `Link` header that
 * points at the next page.
 */
import { regErr } from '../oci/errors.js';

/** Parsed pagination parameters. */
export interface PageRequest {
  readonly n: number | undefined;
  readonly last: string | undefined;
}

/** Reads `n` (a non-negative integer ≤ max) and `last`; PAGINATION_NUMBER_INVALID otherwise. */
export function pageRequest(query: URLSearchParams, max: number): PageRequest {
  const raw = query.get('n');
  let n: number | undefined;
  if (raw !== null && raw !== '') {
    if (!/^\d{1,9}$/.test(raw) || Number(raw) > max) {
      throw regErr('PAGINATION_NUMBER_INVALID', undefined, { n: raw.slice(0, 20), max });
    }
    n = Number(raw);
  }
  const last = query.get('last') ?? undefined;
  // Names and tags are printable ASCII: a `last` that is not (NUL, control characters, over-long) names
  // nothing, and must never reach a store (PostgreSQL's text refuses NUL).
  if (last !== undefined && (last.length > 512 || !/^[\x20-\x7e]*$/.test(last))) {
    throw regErr('INVALID_QUERY_PARAMETER_VALUE', 'invalid value for query parameter last', { parameter: 'last', reason: 'must be printable ASCII of at most 512 characters' });
  }
  return { n, last: last === '' ? undefined : last };
}

/** The RFC 8288 `Link` header value for the next page. */
export function nextLink(path: string, n: number, last: string): string {
  const q = new URLSearchParams({ n: String(n), last });
  return `<${path}?${q.toString()}>; rel="next"`;
}
