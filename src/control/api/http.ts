/**
 * HTTP helpers of the control plane's REST API: the one error type (rendered
 * as GitLab renders them: `{"message": "404 Project Not Found"}`, or
 * `{"error": "..."}` for a bad parameter), JSON bodies with a size limit,
 * and GitLab's offset pagination headers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Database } from '../../db/queryer.js';
import type { Logger } from '../../observability/logger.js';
import type { Principal } from '../principal.js';
import type { ControlPlaneServices } from '../services.js';
import { parseBounded } from '../../oci/json-bounds.js';
import type { DomainError } from '../domain-error.js';

/** The one error of the REST API. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** `error` (a parameter problem) instead of `message`. */
    readonly field: 'message' | 'error' = 'message',
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** 404 `<what> Not Found`, GitLab's wording. */
export const notFound = (what: string) => new ApiError(404, `404 ${what} Not Found`);
/** 403 Forbidden. */
export const forbidden = () => new ApiError(403, '403 Forbidden');
/** 400 for a parameter. */
export const badRequest = (message: string) => new ApiError(400, message, 'error');

/** A service's refusal in the API's terms: 400 (`error`) for invalid input, 409 for a clash, 404. */
export function fromDomainError(err: DomainError): ApiError {
  if (err.kind === 'invalid') return badRequest(err.message);
  return new ApiError(err.kind === 'conflict' ? 409 : 404, err.message);
}

/** One API request. */
export interface ApiContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly params: readonly string[];
  readonly principal: Principal;
  readonly db: Database;
  readonly services: ControlPlaneServices;
  readonly log: Logger;
  /** The admin page's sign-in session, when the call came with its cookie (SPEC 9.4). */
  readonly session?: { readonly id: string; readonly csrf: string } | undefined;
}

/** Sends JSON. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (status === 204) {
    res.writeHead(204, headers);
    res.end();
    return;
  }
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': data.length });
  res.end(data);
}

/** Sends an error. */
export function sendError(res: ServerResponse, err: ApiError): void {
  sendJson(res, err.status, { [err.field]: err.message });
}

const bodies = new WeakMap<IncomingMessage, Promise<Record<string, unknown>>>();

/** Reads a JSON (or form-encoded) body of at most `limit` bytes (once per request); an empty body is `{}`. */
export function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<Record<string, unknown>> {
  let body = bodies.get(req);
  if (!body) bodies.set(req, (body = parseBody(req, limit)));
  return body;
}

async function parseBody(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  // Refused at the header when the declared length is too big; a streamed body is cut at the limit below.
  if (Number(req.headers['content-length'] ?? 0) > limit) throw new ApiError(413, '413 Request Entity Too Large');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new ApiError(413, '413 Request Entity Too Large');
    chunks.push(chunk);
  }
  const bytes = Buffer.concat(chunks);
  const text = bytes.toString('utf8');
  if (text.trim() === '') return {};
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  // Bounded before parsing and storable after (nested arrays once overflowed the stack; NUL reached PostgreSQL).
  const parsed = parseBounded(bytes);
  if (!parsed.ok) throw badRequest(`the body is not a valid JSON object: ${parsed.problem}`);
  if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) throw badRequest('the body is not a JSON object');
  return parsed.value as Record<string, unknown>;
}

/** `page` and `per_page` (default 20, at most 100), as GitLab reads them. */
export function pageOf(url: URL): { page: number; perPage: number; offset: number } {
  const page = Math.max(1, Number.parseInt(url.searchParams.get('page') ?? '1', 10) || 1);
  const perPage = Math.min(100, Math.max(1, Number.parseInt(url.searchParams.get('per_page') ?? '20', 10) || 20));
  return { page, perPage, offset: (page - 1) * perPage };
}

/** Sends one page with `X-Total`, `X-Total-Pages`, `X-Page`, `X-Per-Page`, `X-Next-Page`, `X-Prev-Page` and `Link`. */
export function sendPage(ctx: ApiContext, items: unknown[], total: number): void {
  const { page, perPage } = pageOf(ctx.url);
  const pages = Math.max(1, Math.ceil(total / perPage));
  const link = (p: number, rel: string) => {
    const u = new URL(ctx.url);
    u.searchParams.set('page', String(p));
    u.searchParams.set('per_page', String(perPage));
    return `<${u.pathname}${u.search}>; rel="${rel}"`;
  };
  const links = [link(1, 'first'), link(pages, 'last')];
  if (page > 1) links.unshift(link(page - 1, 'prev'));
  if (page < pages) links.unshift(link(page + 1, 'next'));
  sendJson(ctx.res, 200, items, {
    'X-Total': String(total),
    'X-Total-Pages': String(pages),
    'X-Page': String(page),
    'X-Per-Page': String(perPage),
    'X-Next-Page': page < pages ? String(page + 1) : '',
    'X-Prev-Page': page > 1 ? String(page - 1) : '',
    Link: links.join(', '),
  });
}

/** A string field of a body, required or optional. */
export function str(body: Record<string, unknown>, key: string, required: true): string;
export function str(body: Record<string, unknown>, key: string, required?: false): string | undefined;
export function str(body: Record<string, unknown>, key: string, required = false): string | undefined {
  const v = body[key];
  if (v === undefined || v === null || v === '') {
    if (required) throw badRequest(`${key} is missing`);
    return undefined;
  }
  if (typeof v !== 'string' && typeof v !== 'number') throw badRequest(`${key} is invalid`);
  return String(v);
}

/** A boolean field (JSON boolean or "true"/"false"). */
export function bool(body: Record<string, unknown>, key: string): boolean | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw badRequest(`${key} is invalid`);
}

/** A positive integer field. */
export function int(body: Record<string, unknown>, key: string): number | undefined {
  const v = body[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`${key} is invalid`);
  return n;
}
