/**
 * What a database failure means: the server or the connection failed (the
 * database is unavailable: answer 503, retry where safe) or the SQL did (a
 * constraint, a bug: the caller's error). The registry and the control plane
 * map {@link DatabaseUnavailableError} to 503 naming the database.
 */

/** The metadata database cannot be reached, was lost mid-query, or did not answer in time. */
export class DatabaseUnavailableError extends Error {
  /** True when the failed statement (or transaction) cannot have taken effect. */
  readonly notApplied: boolean;
  constructor(reason: string, notApplied: boolean, cause?: unknown) {
    super(`the metadata database is unavailable: ${reason}`, { cause });
    this.name = 'DatabaseUnavailableError';
    this.notApplied = notApplied;
  }
}

/** Socket-level codes of a server that is gone, refusing, or unreachable. */
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOENT']);

/**
 * SQLSTATEs of a connection or server failure: class 08 (connection
 * exception), 57P01-57P05 (admin/crash shutdown, cannot connect now, idle
 * timeouts), 53300 (too many connections), 57014 (query canceled: Wharf's
 * statement timeout), 58000/58030 (system and I/O errors).
 */
function unavailableState(code: string): boolean {
  return code.startsWith('08') || /^57P0[1-5]$/.test(code) || code === '53300' || code === '57014' || code === '58000' || code === '58030';
}

/** pg's own messages for a connection that died or timed out (they carry no code). */
const MESSAGES = ['Connection terminated', 'connection timeout', 'timeout exceeded when trying to connect', 'Query read timeout', 'is not queryable', 'Client was closed and is not queryable', 'Connection ended'];

/** True when `err` says the database (server or connection) failed, not the statement. */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  if (NETWORK.has(code) || unavailableState(code)) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return MESSAGES.some((m) => message.includes(m));
}

/** Words for an operator and a client: what happened, without internals beyond the reason. */
export function describeUnavailable(err: unknown): string {
  if (err instanceof DatabaseUnavailableError && err.cause !== undefined) return describeUnavailable(err.cause);
  const e = err as { code?: string; message?: string };
  const code = e?.code ?? '';
  if (code === 'ECONNREFUSED' || code === 'ENOENT') return 'the server refuses connections (is it running?)';
  if (code === '57P01') return 'the server terminated the connection (administrator command or failover)';
  if (code === '57P02' || code === '57P03') return 'the server is restarting';
  if (code === '57014') return 'a query did not finish within database.statementtimeout';
  if (code === '53300') return 'the server has no free connections';
  const message = e?.message ?? String(err);
  if (message.includes('timeout exceeded when trying to connect') || message.includes('connection timeout')) return 'no connection within database.pool.acquiretimeout';
  if (message.includes('Query read timeout')) return 'no answer within database.statementtimeout';
  if (message.includes('Connection terminated') || code === 'ECONNRESET' || code === 'EPIPE') return 'the connection was lost';
  return message.slice(0, 200);
}

/** Wraps an unavailability error (anything else passes through unchanged). */
export function asUnavailable(err: unknown, notApplied: boolean): unknown {
  if (err instanceof DatabaseUnavailableError || !isUnavailable(err)) return err;
  return new DatabaseUnavailableError(describeUnavailable(err), notApplied, err);
}
