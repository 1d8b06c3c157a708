/**
 * Digest parsing and hashing. A digest is `algorithm:encoded`; Wharf accepts
 * sha256 and sha512 (the algorithms the OCI image spec registers).
 */
import { createHash, type Hash } from 'node:crypto';
import { regErr } from './errors.js';

/** Algorithms Wharf can verify, with the length of their hex encoding. */
const ALGORITHMS: Readonly<Record<string, number>> = { sha256: 64, sha512: 128 };

/** A parsed, validated digest. */
export interface Digest {
  readonly algorithm: 'sha256' | 'sha512';
  readonly hex: string;
  /** The canonical string form `algorithm:hex`. */
  readonly value: string;
}

const GRAMMAR = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/** Parses a digest string, or returns undefined when it is not a valid, supported digest. */
export function tryParseDigest(s: string): Digest | undefined {
  if (s.length > 200 || !GRAMMAR.test(s)) return undefined;
  const i = s.indexOf(':');
  const algorithm = s.slice(0, i);
  const hex = s.slice(i + 1);
  const len = ALGORITHMS[algorithm];
  if (len === undefined || hex.length !== len || !/^[a-f0-9]+$/.test(hex)) return undefined;
  return { algorithm: algorithm as Digest['algorithm'], hex, value: s };
}

/** Parses a digest string or throws DIGEST_INVALID naming the problem. */
export function parseDigest(s: string): Digest {
  const d = tryParseDigest(s);
  if (!d) throw regErr('DIGEST_INVALID', 'invalid digest', { digest: s.slice(0, 200), reason: 'expected sha256:<64 hex> or sha512:<128 hex>' });
  return d;
}

/** Starts a hash for the given algorithm. */
export function newHash(algorithm: Digest['algorithm']): Hash {
  return createHash(algorithm);
}

/** Digest of an in-memory buffer. */
export function digestOf(data: Uint8Array, algorithm: Digest['algorithm'] = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}
