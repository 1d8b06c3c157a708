// Admin page: users, your tokens, settings, Geo, operations (GC queues, notifications).
import { api, deleteButton, fail, h, page, render, say, settled, session, statusEl, table, when } from './core.js';
import { revealOnce } from './views-access.js';

export async function usersView() {
  const users = await api('GET', '/users?per_page=100');
  return page(
    'Users',
    table(
      [
        { title: 'Username', cell: (u) => u.username },
        { title: 'Name', cell: (u) => u.name },
        { title: 'Admin', cell: (u) => (u.is_admin ? 'yes' : 'no') },
        { title: 'State', cell: (u) => u.state },
        {
          title: 'Actions',
          cell: (u) => {
            if (u.id === session.me?.id) return h('span', { class: 'muted', text: 'you' });
            const action = u.state === 'blocked' ? 'unblock' : 'block';
            const word = action === 'block' ? 'Block' : 'Unblock';
            return [
              h(
                'button',
                {
                  type: 'button',
                  'aria-label': `${word} ${u.username}`,
                  onclick: () =>
                    api('POST', `/users/${u.id}/${action}`)
                      .then(() => settled(`${u.username} ${action}ed.`))
                      .catch(fail),
                },
                word,
              ),
              ' ',
              h(
                'button',
                {
                  type: 'button',
                  class: 'danger',
                  'aria-label': `Delete user ${u.username}`,
                  onclick: () => {
                    if (!confirm(`Delete the user ${u.username}? Their tokens and memberships go with them.`)) return;
                    api('DELETE', `/users/${u.id}`)
                      .then(() => settled(`User ${u.username} deleted.`))
                      .catch(fail);
                  },
                },
                'Delete',
              ),
            ];
          },
        },
      ],
      users,
    ),
    h('h2', { text: 'New user' }),
    newUserForm(),
    h('p', { class: 'muted' }, 'Your own personal access tokens: ', h('a', { href: '#/tokens', text: 'Tokens' }), '. Memberships and deploy tokens: on each project and group.'),
  );
}

function newUserForm() {
  const field = (id, label, attrs = {}) => {
    const input = h('input', { id, name: id, required: true, ...attrs });
    return [input, h('label', { for: id }, label, input)];
  };
  const [username, l1] = field('new-username', 'Username', { autocomplete: 'off' });
  const [name, l2] = field('new-name', 'Name');
  const [email, l3] = field('new-email', 'Email', { type: 'email' });
  const [password, l4] = field('new-password', 'Password (at least 8 characters)', { type: 'password', autocomplete: 'new-password', minlength: 8 });
  return h(
    'form',
    {
      class: 'stack',
      'aria-label': 'New user',
      onsubmit: (e) => {
        e.preventDefault();
        api('POST', '/users', { username: username.value, name: name.value, email: email.value, password: password.value })
          .then((u) => settled(`User ${u.username} created.`))
          .catch(fail);
      },
    },
    l1,
    l2,
    l3,
    l4,
    h('button', { type: 'submit' }, 'Create user'),
  );
}

const PAT_SCOPES = ['api', 'read_api', 'read_registry', 'write_registry', 'read_virtual_registry'];

export async function tokensView() {
  const tokens = await api('GET', '/personal_access_tokens');
  const name = h('input', { id: 'pat-name', required: true });
  const expires = h('input', { id: 'pat-expires', type: 'date' });
  const boxes = PAT_SCOPES.map((sc) => h('input', { type: 'checkbox', id: `pat-${sc}`, value: sc, checked: sc === 'read_registry' }));
  const create = async (e) => {
    e.preventDefault();
    const t = await api('POST', '/user/personal_access_tokens', { name: name.value, scopes: boxes.filter((b) => b.checked).map((b) => b.value), ...(expires.value ? { expires_at: expires.value } : {}) });
    await render();
    statusEl.replaceChildren(revealOnce(`Personal access token ${t.name}`, t.token));
  };
  return page(
    'Your personal access tokens',
    table(
      [
        { title: 'Name', cell: (t) => t.name },
        { title: 'Scopes', cell: (t) => t.scopes.join(', ') },
        { title: 'Expires', cell: (t) => t.expires_at ?? 'never' },
        { title: 'State', cell: (t) => (t.revoked ? 'revoked' : t.active === false ? 'inactive' : 'active') },
        {
          title: 'Actions',
          cell: (t) =>
            t.revoked
              ? ''
              : deleteButton('Revoke', `Revoke token ${t.name}`, `/personal_access_tokens/${t.id}`, `Token ${t.name} revoked.`),
        },
      ],
      tokens,
      'No tokens.',
    ),
    h(
      'form',
      { class: 'stack', 'aria-label': 'New personal access token', onsubmit: (e) => create(e).catch(fail) },
      h('label', { for: 'pat-name' }, 'Name', name),
      h('label', { for: 'pat-expires' }, 'Expires on (empty: never)', expires),
      h(
        'fieldset',
        {},
        h('legend', { text: 'Scopes' }),
        boxes.map((b) => h('label', { class: 'check', for: b.id }, b, b.value)),
      ),
      h('button', { type: 'submit' }, 'Create token'),
    ),
  );
}

export async function settingsView() {
  const s = await api('GET', '/application/settings');
  const delay = h('input', { id: 'delay', name: 'delay', type: 'number', min: 1, max: 1440, value: s.container_registry_token_expire_delay, required: true });
  const enabled = h('input', { id: 'enabled', name: 'enabled', type: 'checkbox', checked: s.container_registry_enabled });
  const defaults = h('input', { id: 'defaults', name: 'defaults', type: 'checkbox', checked: s.default_projects_container_registry });
  const host = h('input', { id: 'host', name: 'host', value: s.container_registry_host ?? '', placeholder: location.host });
  const form = h(
    'form',
    {
      class: 'stack',
      'aria-label': 'Registry settings',
      onsubmit: async (e) => {
        e.preventDefault();
        say('Saving…');
        try {
          await api('PUT', '/application/settings', {
            container_registry_token_expire_delay: Number(delay.value),
            container_registry_enabled: enabled.checked,
            default_projects_container_registry: defaults.checked,
            container_registry_host: host.value.trim() || null,
          });
          say('Settings saved. New tokens use them.');
        } catch (err) {
          fail(err);
        }
      },
    },
    h('label', { for: 'delay' }, 'Registry token lifetime (minutes)', delay),
    h('label', { class: 'check', for: 'enabled' }, enabled, 'Container registry enabled on this site'),
    h('label', { class: 'check', for: 'defaults' }, defaults, 'New projects have the registry enabled'),
    h('label', { for: 'host' }, 'Registry host shown to users (empty: this server)', host),
    h('button', { type: 'submit' }, 'Save'),
  );
  return page('Settings', form, h('p', { class: 'muted' }, 'GC queues and notifications: see ', h('a', { href: '#/operations', text: 'Operations' }), '.'));
}

const SYNC_STATES = ['pending', 'started', 'synced', 'failed'];
const VERIFY_STATES = ['pending', 'started', 'verified', 'failed'];

export async function geoView() {
  let status;
  try {
    status = await api('GET', '/geo/status');
  } catch (err) {
    return page('Geo', h('p', { class: 'muted', text: err.status === 404 || err.status === 400 ? 'Geo is not configured on this site (geo.role).' : err.message }));
  }
  // This site's own row shows its live status (its copy of the site list holds what the primary last heard).
  const sites = (await api('GET', '/geo/sites').catch(() => [])).map((x) => (x.name === status.name ? { ...x, status, status_at: new Date().toISOString() } : x));
  const repos = status.role === 'secondary' ? await api('GET', '/geo/repositories?per_page=100').catch(() => []) : [];
  const progress = h('p', { 'aria-live': 'polite' });
  const resync = async (body, what) => {
    await api('POST', '/geo/resync', body);
    const bar = h('progress', { max: 100, value: 0, 'aria-label': 'Resync progress' });
    const text = h('span', { text: ` ${what}: queued.` });
    progress.replaceChildren(bar, text);
    // The sync is background work: the page follows this site's counts until nothing is pending.
    for (let i = 0; i < 120 && progress.isConnected; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const s = await api('GET', '/geo/status');
      const total = s.container_repositories_count || 1;
      bar.value = Math.round((100 * s.container_repositories_synced_count) / total);
      text.textContent = ` ${what}: ${s.container_repositories_synced_count} of ${s.container_repositories_count} synced, ${s.container_repositories_failed_count} failed.`;
      if (s.container_repositories_pending_count + s.container_repositories_started_count === 0) break;
    }
  };
  const counts = (s) => (s ? `${s.container_repositories_synced_count ?? 0} synced · ${s.container_repositories_pending_count ?? 0} pending · ${s.container_repositories_started_count ?? 0} started · ${s.container_repositories_failed_count ?? 0} failed · ${s.container_repositories_verified_count ?? 0} verified` : 'no report yet');
  return page(
    `Geo: ${status.name} (${status.role ?? 'no role'})`,
    h('p', {}, counts(status), status.replication_lag_seconds !== null && status.replication_lag_seconds !== undefined ? ` · lag ${status.replication_lag_seconds} s` : ''),
    status.last_error ? h('p', { class: 'error', text: `Last error: ${status.last_error}` }) : null,
    h('h2', { text: 'Sites' }),
    table(
      [
        { title: 'Site', cell: (x) => `${x.name}${x.is_primary ? ' (primary)' : ''}` },
        { title: 'Registry', cell: (x) => h('code', { text: x.registry_url }) },
        { title: 'Repositories', cell: (x) => counts(x.status) },
        { title: 'Lag', num: true, cell: (x) => (x.status?.replication_lag_seconds ?? null) === null ? '—' : `${x.status.replication_lag_seconds} s` },
        { title: 'Reported', cell: (x) => when(x.status_at) },
      ],
      sites,
      'No other sites known.',
    ),
    status.role === 'secondary'
      ? [
          h('h2', { text: 'Replication of each repository' }),
          h('p', {}, h('button', { type: 'button', onclick: () => resync({ all: true }, 'Resync of every repository').catch(fail) }, 'Resync all')),
          progress,
          table(
            [
              { title: 'Repository', cell: (r) => r.path },
              { title: 'Sync', cell: (r) => SYNC_STATES[r.state] ?? String(r.state) },
              { title: 'Verification', cell: (r) => VERIFY_STATES[r.verification_state] ?? String(r.verification_state) },
              { title: 'Last synced', cell: (r) => when(r.last_synced_at) },
              { title: 'Failure', cell: (r) => r.last_sync_failure ?? r.verification_failure ?? '' },
              { title: 'Actions', cell: (r) => h('button', { type: 'button', 'aria-label': `Resync ${r.path}`, onclick: () => resync({ path: r.path }, `Resync of ${r.path}`).catch(fail) }, 'Resync') },
            ],
            repos,
            'No repositories recorded yet.',
          ),
        ]
      : h('p', { class: 'muted', text: 'Replication details are shown on each secondary site.' }),
  );
}

export async function operationsView() {
  const [queues, notes] = await Promise.all([api('GET', '/registry/gc'), api('GET', '/registry/notifications')]);
  const replay = async (body, what) => {
    const r = await api('POST', '/registry/notifications/replay', body);
    await settled(`${what}: ${r.replayed} event(s) queued again.`);
  };
  return page(
    'Operations',
    h('h2', { text: 'Online garbage collection' }),
    table(
      [
        { title: 'Review queue', cell: (q) => q.queue },
        { title: 'Size', num: true, cell: (q) => String(q.size) },
        { title: 'Overdue', num: true, cell: (q) => String(q.overdue) },
        { title: 'Oldest due', cell: (q) => when(q.oldest_due_at) },
      ],
      queues,
    ),
    h('h2', { text: 'Notifications' }),
    table(
      [
        { title: 'Endpoint', cell: (e) => e.endpoint },
        { title: 'Pending', num: true, cell: (e) => String(e.pending) },
        { title: 'Failed', num: true, cell: (e) => String(e.failed) },
        { title: 'Actions', cell: (e) => (e.failed > 0 ? h('button', { type: 'button', onclick: () => replay({ endpoint: e.endpoint }, `Replay of ${e.endpoint}`).catch(fail) }, `Replay failed of ${e.endpoint}`) : '') },
      ],
      notes.endpoints,
      'No notification endpoint has queued anything.',
    ),
    notes.failed.length > 0
      ? table(
          [
            { title: 'Event', cell: (e) => `${e.action} ${e.repository ?? ''}` },
            { title: 'Endpoint', cell: (e) => e.endpoint },
            { title: 'Attempts', num: true, cell: (e) => String(e.attempts) },
            { title: 'Last error', cell: (e) => e.last_error ?? '' },
          ],
          notes.failed,
        )
      : null,
  );
}

