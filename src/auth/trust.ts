/**
 * The trusted signers of tokens: the certificates of `auth.token.rootcertbundle`
 * and their public keys, indexed by libtrust key id.
 */
import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import { libtrustKeyId } from './libtrust.js';

/** Certificates and keys that may sign tokens. */
export interface TrustStore {
  readonly certificates: readonly X509Certificate[];
  readonly keys: ReadonlyMap<string, KeyObject>;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Reads every certificate of a PEM bundle; throws when there is none. */
export function trustFromPem(pem: string): TrustStore {
  const certificates = (pem.match(PEM_CERT) ?? []).map((c) => new X509Certificate(c));
  if (certificates.length === 0) throw new Error('no PEM certificate found');
  const keys = new Map<string, KeyObject>();
  for (const cert of certificates) keys.set(libtrustKeyId(cert.publicKey), cert.publicKey);
  return { certificates, keys };
}

/**
 * The key of an `x5c` chain (base64 DER, leaf first) when the chain ends in a
 * trusted certificate: each certificate must be signed by the next, and the
 * last must be, or be signed by, a certificate of the bundle. Validity dates
 * are checked on every link.
 */
export function keyFromChain(x5c: readonly string[], trust: TrustStore, now = new Date()): KeyObject {
  if (x5c.length === 0 || x5c.length > 8) throw new Error('x5c chain is empty or too long');
  const chain = x5c.map((b64) => new X509Certificate(Buffer.from(b64, 'base64')));
  for (const cert of chain) {
    if (now < new Date(cert.validFrom) || now > new Date(cert.validTo)) throw new Error('a certificate of the x5c chain is outside its validity period');
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!chain[i]!.verify(chain[i + 1]!.publicKey)) throw new Error('x5c chain is broken');
  }
  const top = chain[chain.length - 1]!;
  const anchored = trust.certificates.some((root) => root.raw.equals(top.raw) || (top.checkIssued(root) && top.verify(root.publicKey)));
  if (!anchored) throw new Error('x5c chain does not lead to a certificate of rootcertbundle');
  return createPublicKey(chain[0]!.publicKey.export({ type: 'spki', format: 'pem' }));
}
