/** Unit test of the registry's event emission: who is a client and who is not. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTROL_PLANE_SUBJECT } from '../../src/auth/claims.js';
import type { RegistryEvent } from '../../src/notifications/event.js';
import type { RequestContext } from '../../src/registry/context.js';
import { notify } from '../../src/registry/notify.js';

/** A request context with a notifier that records what it is given. */
function contextOf(sub: string | undefined): { ctx: RequestContext; emitted: RegistryEvent[] } {
  const emitted: RegistryEvent[] = [];
  const ctx = {
    req: { socket: { remoteAddress: '127.0.0.1', remotePort: 5000 }, headers: { host: 'registry.test' }, method: 'GET' },
    requestId: 'r1',
    auth: sub === undefined ? undefined : { sub },
    services: {
      notifier: { wants: () => true, emit: (e: RegistryEvent) => void emitted.push(e) },
      eventSource: { addr: 'registry.test', instanceID: 'i1' },
    },
  } as unknown as RequestContext;
  return { ctx, emitted };
}

describe('registry events', () => {
  it("reports a user's pull, not the control plane's reads; the control plane's deletes are reported", () => {
    const user = contextOf('alice');
    notify(user.ctx, 'pull', { repository: 'a/b', tag: 'v1' });
    assert.deepEqual(
      user.emitted.map((e) => [e.action, e.actor?.name]),
      [['pull', 'alice']],
    );
    const cp = contextOf(CONTROL_PLANE_SUBJECT);
    notify(cp.ctx, 'pull', { repository: 'a/b', tag: 'v1' });
    assert.equal(cp.emitted.length, 0, 'a read by the control plane is no pull');
    notify(cp.ctx, 'delete', { repository: 'a/b', tag: 'v1' });
    assert.deepEqual(
      cp.emitted.map((e) => [e.action, e.actor?.name]),
      [['delete', CONTROL_PLANE_SUBJECT]],
    );
  });

  it('no user can be named like the control plane', async () => {
    const { createUser } = await import('../../src/control/identity/users.js');
    const db = { query: async () => [] } as never;
    await assert.rejects(createUser(db, { username: CONTROL_PLANE_SUBJECT, password: 'long-enough-password' } as never), /username is invalid/);
  });
});
