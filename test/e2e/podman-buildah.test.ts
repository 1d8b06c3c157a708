/**
 * End-to-end with buildah and podman (Debian's), on the vfs storage driver in
 * a private storage root: buildah builds and pushes, podman pulls and pushes
 * to another repository, and the digests agree.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireCommand, run } from '../support/tools.js';
import { startWharf, type TestRegistry } from '../support/wharf.js';
import { requirePostgres } from '../support/postgres.js';
import { PASSWORD, startAuthStack, type AuthStack } from '../support/auth-stack.js';
import { tempDir } from '../support/temp.js';

const skip = requireCommand('buildah') ?? requireCommand('podman');

describe('buildah and podman end-to-end', { skip }, () => {
  let reg: TestRegistry;
  let storage: string[];
  let work: string;

  before(async () => {
    reg = await startWharf();
    work = await tempDir('wharf-containers-');
    storage = ['--storage-driver', 'vfs', '--root', join(work, 'root'), '--runroot', join(work, 'runroot')];
  });
  after(async () => {
    await reg?.close();
  });

  it('buildah pushes a built image, podman pulls it and pushes it elsewhere', async () => {
    const file = join(work, 'hello.txt');
    await writeFile(file, `hello from wharf ${Date.now()}\n`);
    const ctr = (await run('buildah', [...storage, 'from', 'scratch'])).trim();
    await run('buildah', [...storage, 'copy', ctr, file, '/hello.txt']);
    await run('buildah', [...storage, 'config', '--cmd', '/hello.txt', ctr]);
    await run('buildah', [...storage, 'commit', ctr, 'localhost/wharf-e2e:1']);
    const digestFile = join(work, 'digest');
    await run('buildah', [...storage, 'push', '--tls-verify=false', '--digestfile', digestFile, 'localhost/wharf-e2e:1', `docker://${reg.host}/containers/built:1`]);
    const pushed = (await import('node:fs')).readFileSync(digestFile, 'utf8').trim();

    const head = await fetch(`${reg.url}/v2/containers/built/manifests/1`, { method: 'HEAD', headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('docker-content-digest'), pushed);

    await run('podman', [...storage, 'pull', '--tls-verify=false', `${reg.host}/containers/built:1`]);
    await run('podman', [...storage, 'push', '--tls-verify=false', `${reg.host}/containers/built:1`, `docker://${reg.host}/containers/copied:2`]);
    const tags = await (await fetch(`${reg.url}/v2/containers/copied/tags/list`)).json();
    assert.deepEqual(tags, { name: 'containers/copied', tags: ['2'] });
    const inspect = JSON.parse(await run('podman', [...storage, 'image', 'inspect', `${reg.host}/containers/built:1`])) as Array<{ RepoDigests: string[] }>;
    assert.ok(inspect[0]?.RepoDigests.includes(`${reg.host}/containers/built@${pushed}`), `podman recorded ${inspect[0]?.RepoDigests.join(', ')}`);
  });
});

describe('buildah and podman through token auth', { skip: skip ?? (await requirePostgres()) }, () => {
  let s: AuthStack;
  let storage: string[];
  let work: string;

  before(async () => {
    s = await startAuthStack();
    work = await tempDir('wharf-containers-auth-');
    storage = ['--storage-driver', 'vfs', '--root', join(work, 'root'), '--runroot', join(work, 'runroot')];
    const g = await s.api('POST', '/groups', s.rootCreds, { path: 'team' });
    const p = await s.api('POST', '/projects', s.rootCreds, { path: 'app', namespace_id: g.body.id });
    const reader = await s.createUser('reader');
    assert.equal((await s.api('POST', `/projects/${p.body.id}/members`, s.rootCreds, { user_id: reader, access_level: 20 })).status, 201);
  });
  after(() => s?.close());

  it('buildah pushes with --creds; podman logs in and pulls; a Reporter cannot push', async () => {
    const file = join(work, 'hello.txt');
    await writeFile(file, `hello through tokens ${Date.now()}\n`);
    const ctr = (await run('buildah', [...storage, 'from', 'scratch'])).trim();
    await run('buildah', [...storage, 'copy', ctr, file, '/hello.txt']);
    await run('buildah', [...storage, 'commit', ctr, 'localhost/wharf-auth:1']);
    await run('buildah', [...storage, 'push', '--tls-verify=false', '--creds', 'root:root-password-1234', 'localhost/wharf-auth:1', `docker://${s.host}/team/app:1`]);
    const authfile = join(work, 'auth.json');
    await run('podman', ['login', '--tls-verify=false', '--authfile', authfile, '--username', 'reader', '--password', PASSWORD, s.host]);
    await run('podman', [...storage, 'pull', '--tls-verify=false', '--authfile', authfile, `${s.host}/team/app:1`]);
    await assert.rejects(run('podman', [...storage, 'push', '--tls-verify=false', '--authfile', authfile, `${s.host}/team/app:1`, `docker://${s.host}/team/app:reader`]), /denied|unauthorized|authentication required/i);
    await assert.rejects(run('podman', ['login', '--tls-verify=false', '--authfile', join(work, 'bad.json'), '--username', 'reader', '--password', 'wrong-password', s.host]), /401|unauthorized|invalid/i);
  });
});
