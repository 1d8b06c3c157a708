/**
 * Listener options: TLS on the main port (skopeo verifies the certificate),
 * and the separate debug server (`http.debug.addr`) with health and metrics.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OciLayout } from '../support/oci-layout.js';
import { requireCommand, run } from '../support/tools.js';
import { startWharf, type TestRegistry } from '../support/wharf.js';
import { tempDir } from '../support/temp.js';

const skip = requireCommand('openssl') ?? requireCommand('skopeo');

describe('TLS and the debug listener', { skip }, () => {
  let reg: TestRegistry;
  let work: string;

  before(async () => {
    work = await tempDir('wharf-tls-');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(work, 'key.pem'),
      '-out',
      join(work, 'ca.crt'),
    ]);
    reg = await startWharf({
      http: { tls: { certificate: join(work, 'ca.crt'), key: join(work, 'key.pem') }, debug: { addr: '127.0.0.1:0', prometheus: { enabled: true, path: '/metrics' } } },
    });
  });
  after(async () => reg?.close());

  it('serves HTTPS that skopeo verifies against the certificate', async () => {
    assert.match(reg.url, /^https:/);
    const layout = await OciLayout.create(join(work, 'src'));
    const img = await layout.image({ tag: 'v1' });
    await layout.flush();
    const digestFile = join(work, 'digest');
    await run('skopeo', ['copy', '--dest-cert-dir', work, '--digestfile', digestFile, `oci:${layout.dir}:v1`, `docker://${reg.host}/tls/img:v1`]);
    assert.equal((await readFile(digestFile, 'utf8')).trim(), img.digest);
    const ca = await readFile(join(work, 'ca.crt'));
    const status = await new Promise<number>((resolve, reject) => {
      request(`${reg.url}/v2/`, { ca }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    assert.equal(status, 200);
  });

  it('with http.tls.clientcas, refuses clients without a certificate signed by those CAs', async () => {
    const o = (...a: string[]) => run('openssl', a);
    await o('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=client-ca', '-keyout', join(work, 'cca.key'), '-out', join(work, 'cca.crt'));
    await o('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=client', '-keyout', join(work, 'client.key'), '-out', join(work, 'client.csr'));
    await o('x509', '-req', '-in', join(work, 'client.csr'), '-CA', join(work, 'cca.crt'), '-CAkey', join(work, 'cca.key'), '-CAcreateserial', '-days', '1', '-out', join(work, 'client.crt'));
    const mtls = await startWharf({ http: { tls: { certificate: join(work, 'ca.crt'), key: join(work, 'key.pem'), clientcas: [join(work, 'cca.crt')] } } });
    try {
      const ca = await readFile(join(work, 'ca.crt'));
      const get = (extra: Record<string, Buffer>) =>
        new Promise<number>((resolve) => {
          request(`${mtls.url}/v2/`, { ca, ...extra }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
            .on('error', () => resolve(-1))
            .end();
        });
      assert.equal(await get({}), -1, 'no client certificate: handshake refused');
      assert.equal(await get({ cert: await readFile(join(work, 'client.crt')), key: await readFile(join(work, 'client.key')) }), 200);
    } finally {
      await mtls.close();
    }
  });

  it('answers health and metrics on http.debug.addr, and nothing else', async () => {
    const base = reg.node.debugUrl as string;
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await fetch(`${base}/debug/health`)).status, 200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /wharf_http_requests_total/);
    assert.equal((await fetch(`${base}/v2/`)).status, 404);
  });
});
