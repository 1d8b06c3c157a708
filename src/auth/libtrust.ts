/**
 * libtrust key ids, the `kid` Distribution and GitLab put in token headers:
 * the SHA-256 of the key's DER SubjectPublicKeyInfo, truncated to 240 bits,
 * base32-encoded (48 characters) and split into 12 groups of 4 joined by `:`.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/** The libtrust key id of a public (or private: its public half is used) key. */
export function libtrustKeyId(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const der = pub.export({ type: 'spki', format: 'der' });
  const id = base32(createHash('sha256').update(der).digest().subarray(0, 30));
  return id.match(/.{4}/g)!.join(':');
}
