/**
 * The one table of registry error codes (OCI Distribution Spec v1.1 plus the
 * Docker Registry HTTP API v2 extras Distribution uses), and the typed error
 * every layer throws. Handlers never build error bodies themselves: the HTTP
 * layer renders any RegistryError with {@link renderErrors}.
 */

/** Describes one error code: its HTTP status and the default message. */
export interface ErrorCodeInfo {
  readonly status: number;
  readonly message: string;
  readonly description: string;
}

/** Every code Wharf can answer with. The test suite checks each is documented in the README. */
export const ERROR_CODES = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry', description: 'The blob is not in the repository.' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid', description: 'The upload failed or its data is out of order; the client should restart it.' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry', description: 'No upload session with this id exists in this repository.' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content', description: 'The digest is malformed, uses an unsupported algorithm, or does not match the bytes.' },
  MANIFEST_BLOB_UNKNOWN: { status: 404, message: 'manifest references a manifest or blob unknown to registry', description: 'A blob or child manifest the manifest references is not in the repository.' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid', description: 'The manifest failed validation (JSON, schema, media type or references).' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry', description: 'No manifest with this tag or digest exists in the repository.' },
  MANIFEST_UNVERIFIED: { status: 400, message: 'manifest failed signature verification', description: 'A schema 1 signed manifest whose signature does not verify.' },
  NAME_INVALID: { status: 400, message: 'invalid repository name', description: 'The repository name breaks the naming rules.' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry', description: 'The repository does not exist.' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length', description: 'A length header disagrees with the body, or the body is over a size limit.' },
  TAG_INVALID: { status: 400, message: 'manifest tag did not match URI', description: 'The tag is malformed.' },
  UNAUTHORIZED: { status: 401, message: 'authentication required', description: 'Credentials are missing or invalid.' },
  DENIED: { status: 403, message: 'requested access to the resource is denied', description: 'The credentials do not grant this action.' },
  PROTECTED_TAG: { status: 401, message: 'tag is protected', description: "The token's `tag_deny_access_patterns` forbid pushing or deleting this tag." },
  IMMUTABLE_TAG: { status: 401, message: 'tag is immutable', description: "The token's `tag_immutable_patterns` forbid overwriting or deleting this tag." },
  PROTECTED_MANIFEST: { status: 401, message: 'manifest is protected', description: 'A manifest cannot be deleted by digest while the token carries tag delete-protection or immutability patterns.' },
  TAG_PATTERN_COUNT: { status: 400, message: 'too many tag patterns', description: 'The token carries more than 5 tag protection and immutability patterns.' },
  INVALID_TAG_PROTECTION_PATTERN: { status: 400, message: 'invalid tag protection pattern', description: 'A tag protection pattern of the token is over 100 characters or not a valid RE2 expression.' },
  INVALID_TAG_IMMUTABILITY_PATTERN: { status: 400, message: 'invalid tag immutability pattern', description: 'A tag immutability pattern of the token is over 100 characters or not a valid RE2 expression.' },
  UNSUPPORTED: { status: 405, message: 'the operation is unsupported', description: 'A policy (read-only mode, deletes disabled, schema 1 disabled) forbids the operation.' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests', description: 'The client is rate limited.' },
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested', description: 'The `n` parameter is not a non-negative integer within limits.' },
  INVALID_QUERY_PARAMETER_VALUE: {
    status: 400,
    message: 'the value of a query parameter is invalid',
    description: "A query parameter (a listing's `last`, a `/gitlab/v1` parameter) has a value outside the allowed set or pattern.",
  },
  RENAME_CONFLICT: { status: 409, message: 'the new repository path is already taken', description: 'A `/gitlab/v1` rename targets a path that exists or is reserved by another rename.' },
  EXCEEDS_LIMITS: { status: 422, message: 'the operation exceeds a limit', description: 'A `/gitlab/v1` rename would move more repositories than allowed (1,000).' },
  RANGE_INVALID: { status: 416, message: 'invalid content range', description: 'A Content-Range or Range header is malformed, out of order or repeats data.' },
  UNAVAILABLE: {
    status: 503,
    message: 'service unavailable',
    description: 'A dependency is not reachable: the message names it (storage, the metadata database, the Geo primary). With status 507: the storage backend has no space left.',
  },
  UNKNOWN: { status: 500, message: 'unknown error', description: 'An unexpected server error; the log has the details under the request id.' },
} as const satisfies Record<string, ErrorCodeInfo>;

/** A registry error code name. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The one error type of the registry API: a code, an optional message, detail and status override. */
export class RegistryError extends Error {
  readonly code: ErrorCode;
  readonly detail: unknown;
  readonly status: number;

  constructor(code: ErrorCode, message?: string, detail?: unknown, status?: number) {
    super(message ?? ERROR_CODES[code].message);
    this.name = 'RegistryError';
    this.code = code;
    this.detail = flatDetail(detail);
    this.status = status ?? ERROR_CODES[code].status;
  }
}

/** A detail value as rendered: scalars only, strings cut short. */
export type DetailValue = string | number | boolean | null;

const MAX_DETAIL_KEYS = 16;
const MAX_DETAIL_STRING = 300;

function flatValue(v: unknown): DetailValue {
  if (v === null || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'string') return v.length > MAX_DETAIL_STRING ? `${v.slice(0, MAX_DETAIL_STRING)}…` : v;
  if (Array.isArray(v)) return `(an array of ${v.length})`;
  return `(${typeof v === 'object' ? 'an object' : typeof v})`;
}

/**
 * Details are built from request data (a pushed manifest's fields, a name, a
 * query value): they are flattened here, once, to at most 16 keys of scalars
 * with strings cut short, so rendering an error never serialises an
 * attacker's structure (a 100,000-deep array overflowed JSON.stringify).
 */
function flatDetail(detail: unknown): Record<string, DetailValue> | DetailValue | undefined {
  if (detail === undefined) return undefined;
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return flatValue(detail);
  const out: Record<string, DetailValue> = {};
  for (const [k, v] of Object.entries(detail).slice(0, MAX_DETAIL_KEYS)) out[k.slice(0, 100)] = flatValue(v);
  return out;
}

/** Shorthand to build a RegistryError. */
export function regErr(code: ErrorCode, message?: string, detail?: unknown, status?: number): RegistryError {
  return new RegistryError(code, message, detail, status);
}

/** Renders errors as the OCI error body `{"errors":[{code,message,detail}]}`. */
export function renderErrors(errors: readonly RegistryError[]): string {
  try {
    return JSON.stringify({
      errors: errors.map((e) => ({ code: e.code, message: e.message, detail: e.detail ?? null })),
    });
  } catch {
    // Details are flat (see flatDetail); this is the last resort should that ever break.
    return '{"errors":[{"code":"UNKNOWN","message":"unknown error","detail":null}]}';
  }
}

/** Maps anything thrown to a RegistryError; unknown failures become UNKNOWN without leaking internals. */
export function toRegistryError(err: unknown): RegistryError {
  if (err instanceof RegistryError) return err;
  // The storage backend is down or throttling (after its driver's retries): the client may retry.
  const e = err as { name?: string; code?: string; message?: string } | null;
  if (e?.name === 'StorageUnavailableError') return new RegistryError('UNAVAILABLE', 'storage is unavailable; retry later');
  // The database (db/faults.ts): its message names it and says why, without internals.
  if (e?.name === 'DatabaseUnavailableError') return new RegistryError('UNAVAILABLE', `${e.message}; retry later`);
  if (e?.code === 'ENOSPC' || e?.code === 'EDQUOT') return new RegistryError('UNAVAILABLE', 'no space left on the storage backend', undefined, 507);
  // PostgreSQL's disk_full: the database's own disk (the embedded one shares the data directory's).
  if (e?.code === '53100') return new RegistryError('UNAVAILABLE', "no space left on the metadata database's disk", undefined, 507);
  return new RegistryError('UNKNOWN');
}
