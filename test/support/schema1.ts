/**
 * Builds a libtrust-signed Docker schema 1 manifest (ES256), the way old
 * Docker clients sign them, for the schema 1 conformance cases.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { sha256 } from './http.js';

/** A signed schema 1 manifest, and the digest of its payload (what registries address it by). */
export function signedSchema1(name: string, tag: string, layers: string[]): { body: Buffer; payloadDigest: string } {
  const doc = {
    schemaVersion: 1,
    name,
    tag,
    architecture: 'amd64',
    fsLayers: layers.map((blobSum) => ({ blobSum })),
    history: layers.map((_, i) => ({ v1Compatibility: JSON.stringify({ id: `${i}`.padStart(64, '0'), created: '2024-01-01T00:00:00Z' }) })),
  };
  const payload = JSON.stringify(doc, null, 3);
  const formatLength = payload.lastIndexOf('\n}');
  const formatTail = Buffer.from(payload.slice(formatLength)).toString('base64url');
  const prot = Buffer.from(JSON.stringify({ formatLength, formatTail, time: '2024-01-01T00:00:00Z' })).toString('base64url');
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signature = sign('sha256', Buffer.from(`${prot}.${Buffer.from(payload).toString('base64url')}`), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  const jwk = publicKey.export({ format: 'jwk' });
  const sigs = [{ header: { jwk: { ...jwk, kid: 'TEST:KEY' }, alg: 'ES256' }, signature, protected: prot }];
  const body = `${payload.slice(0, formatLength)},\n   "signatures": ${JSON.stringify(sigs, null, 3)}\n}`;
  return { body: Buffer.from(body), payloadDigest: sha256(payload) };
}
