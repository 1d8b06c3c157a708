/**
 * Reads a small request body (a manifest) into memory with a hard size limit,
 * refusing early on a declared Content-Length over the limit.
 */
import type { IncomingMessage } from 'node:http';
import { regErr } from '../oci/errors.js';

/** Reads the whole body; MANIFEST_INVALID (413) when it exceeds `limit` bytes. */
export async function readLimited(req: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => regErr('MANIFEST_INVALID', 'manifest payload exceeds the size limit', { limit }, 413);
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    total += (chunk as Buffer).length;
    if (total > limit) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, total);
}
