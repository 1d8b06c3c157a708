/**
 * Docker image manifest v2 schema 1, signed (libtrust JWS, `prettyjws`) and
 * unsigned. A signed manifest's digest is that of its payload without the
 * signatures, as Distribution computes it.
 */
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { regErr } from '../oci/errors.js';

const b64url = (s: string): Buffer => Buffer.from(s, 'base64url');

const ALGS: Readonly<Record<string, { hash: string; ecdsa: boolean }>> = {
  ES256: { hash: 'sha256', ecdsa: true },
  ES384: { hash: 'sha384', ecdsa: true },
  ES512: { hash: 'sha512', ecdsa: true },
  RS256: { hash: 'sha256', ecdsa: false },
  RS384: { hash: 'sha384', ecdsa: false },
  RS512: { hash: 'sha512', ecdsa: false },
};

interface Signature {
  header?: { jwk?: JsonWebKey; alg?: string };
  signature?: string;
  protected?: string;
}

/**
 * Verifies every signature of a signed schema 1 manifest and returns the
 * canonical payload (what the digest covers). Throws MANIFEST_UNVERIFIED.
 */
export function verifySchema1(raw: Buffer, doc: { signatures?: unknown }): Buffer {
  const sigs = doc.signatures;
  if (!Array.isArray(sigs) || sigs.length === 0) throw regErr('MANIFEST_UNVERIFIED', 'signed manifest has no signatures');
  let payload: Buffer | undefined;
  for (const s of sigs as Signature[]) {
    const alg = s.header?.alg ? ALGS[s.header.alg] : undefined;
    if (!alg || !s.header?.jwk || !s.signature || !s.protected) throw regErr('MANIFEST_UNVERIFIED', 'unsupported or incomplete signature');
    let prot: { formatLength?: unknown; formatTail?: unknown };
    try {
      prot = JSON.parse(b64url(s.protected).toString('utf8')) as typeof prot;
    } catch {
      throw regErr('MANIFEST_UNVERIFIED', 'malformed protected header');
    }
    if (typeof prot.formatLength !== 'number' || typeof prot.formatTail !== 'string' || prot.formatLength > raw.length) {
      throw regErr('MANIFEST_UNVERIFIED', 'malformed protected header');
    }
    const p = Buffer.concat([raw.subarray(0, prot.formatLength), b64url(prot.formatTail)]);
    if (payload && !payload.equals(p)) throw regErr('MANIFEST_UNVERIFIED', 'signatures cover different payloads');
    payload = p;
    const input = Buffer.from(`${s.protected}.${p.toString('base64url')}`);
    let ok = false;
    try {
      const key = createPublicKey({ key: s.header.jwk, format: 'jwk' });
      ok = verify(alg.hash, input, alg.ecdsa ? { key, dsaEncoding: 'ieee-p1363' } : key, b64url(s.signature));
    } catch {
      ok = false;
    }
    if (!ok) throw regErr('MANIFEST_UNVERIFIED', 'signature does not verify');
  }
  return payload as Buffer;
}
