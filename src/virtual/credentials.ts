/**
 * Upstream passwords at rest (SPEC 8.1: stored encrypted, never returned):
 * AES-256-GCM under a key derived (HKDF-SHA256) from `http.secret`, or from
 * a random secret generated once under `<rootdirectory>/wharf/secrets` when
 * none is set. Every node behind a load balancer shares `http.secret`.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Encrypts and decrypts with one key. */
export class SecretBox {
  private readonly key: Buffer;

  constructor(secret: string | Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'wharf', 'virtual-registry-credentials', 32));
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url. */
  seal(plain: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return ['v1', iv.toString('base64url'), c.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  open(sealed: string): string {
    const [v, iv, tag, data] = sealed.split('.');
    if (v !== 'v1' || !iv || !tag || data === undefined) throw new Error('unreadable sealed secret');
    const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([d.update(Buffer.from(data, 'base64url')), d.final()]).toString('utf8');
  }
}

/** The box of an installation: `http.secret`, or a generated secret kept in `dir`. */
export function secretBoxFor(httpSecret: string | undefined, dir: string): SecretBox {
  if (httpSecret) return new SecretBox(httpSecret);
  const file = join(dir, 'credentials.secret');
  try {
    return new SecretBox(readFileSync(file));
  } catch {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const secret = randomBytes(32);
    try {
      writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
      return new SecretBox(secret);
    } catch {
      // Another process wrote it first.
      return new SecretBox(readFileSync(file));
    }
  }
}
