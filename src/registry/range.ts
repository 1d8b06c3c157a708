/**
 * Parsing of `Range` (blob GET) and `Content-Range` (upload PATCH) headers.
 */
import { regErr } from '../oci/errors.js';

/** An inclusive byte range. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Parses a single-range `Range: bytes=a-b` / `bytes=a-` / `bytes=-n` against
 * an object of `size` bytes. Returns undefined when the header is absent or
 * not a single byte range (served whole, as RFC 9110 allows); 'unsatisfiable'
 * when it does not overlap the object.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (!Number.isSafeInteger(start) || start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

/**
 * Parses an upload `Content-Range: <start>-<end>` (OCI form; `bytes ` and
 * `bytes=` prefixes and a `/total` suffix are tolerated). Throws RANGE_INVALID
 * (416) when malformed or inverted.
 */
export function parseContentRange(header: string): ByteRange {
  const m = /^(?:bytes[ =])?(\d{1,15})-(\d{1,15})(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (!m) throw regErr('RANGE_INVALID', 'malformed Content-Range', { contentRange: header.slice(0, 100) }, 416);
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) throw regErr('RANGE_INVALID', 'Content-Range end is before its start', { contentRange: header }, 416);
  return { start, end };
}
