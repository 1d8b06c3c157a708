/**
 * The token signing key pair and its certificate. Taken from
 * `controlplane.key`/`certificate` when set; otherwise generated on first start
 * (RSA 4096, self-signed for ten years) under `<dir>/token.key` and
 * `<dir>/token.crt`. Concurrent first starts (a cluster) are safe: the pair is
 * written into a temporary directory that is renamed into place, and whoever
 * loses the rename reads the winner's files.
 */
import { X509Certificate, createPrivateKey, webcrypto, type KeyObject } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConfigError } from '../config/load.js';
import { libtrustKeyId } from '../auth/libtrust.js';

/** A loaded signing key. */
export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly certificate: X509Certificate;
  readonly certificatePem: string;
  /** libtrust key id, the token header's `kid`. */
  readonly kid: string;
}

const KEY_FILE = 'token.key';
const CERT_FILE = 'token.crt';

/** Generates a key pair and self-signed certificate as `<dir>/token.key` and `<dir>/token.crt`, unless they exist. */
export async function generateKeyFiles(dir: string, modulusLength = 4096): Promise<void> {
  // Loaded only to generate a certificate (first start): the X.509 library and its DI container weigh ~10 MiB.
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Date.now().toString(16),
    name: 'CN=wharf-token-signer',
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + 3650 * 86_400_000),
    signingAlgorithm: alg,
    keys,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey));
  const keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }) as string;
  await mkdir(dirname(dir), { recursive: true });
  const tmp = await mkdtemp(`${dir}.tmp-`);
  await writeFile(join(tmp, KEY_FILE), keyPem, { mode: 0o600 });
  await writeFile(join(tmp, CERT_FILE), cert.toString('pem') + '\n');
  try {
    await rename(tmp, dir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
  }
}

function load(keyPem: string, certPem: string): SigningKey {
  const privateKey = createPrivateKey(keyPem);
  const certificate = new X509Certificate(certPem);
  if (!certificate.checkPrivateKey(privateKey)) throw new Error('the certificate does not belong to the key');
  return { privateKey, certificate, certificatePem: certPem, kid: libtrustKeyId(certificate.publicKey) };
}

/** Loads the configured key and certificate, or those under `dir` (generating them on first start). */
export async function loadSigningKey(opts: { key?: string | undefined; certificate?: string | undefined; dir: string }): Promise<SigningKey> {
  if (opts.key || opts.certificate) {
    if (!opts.key || !opts.certificate) throw new ConfigError(['controlplane.key and controlplane.certificate must be set together']);
    const read = (key: string, file: string) =>
      readFile(file, 'utf8').catch((err: Error) => {
        throw new ConfigError([`controlplane.${key}: cannot read ${file}: ${err.message}`]);
      });
    try {
      return load(await read('key', opts.key), await read('certificate', opts.certificate));
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError([`controlplane.key: ${(err as Error).message}`]);
    }
  }
  const keyFile = join(opts.dir, KEY_FILE);
  const exists = await readFile(keyFile, 'utf8').then(
    () => true,
    () => false,
  );
  if (!exists) await generateKeyFiles(opts.dir);
  return load(await readFile(keyFile, 'utf8'), await readFile(join(opts.dir, CERT_FILE), 'utf8'));
}
