// Wharf's admin page (SPEC 9.4). It renders what /api/v4 answers and sends
// what the operator asks; every rule (who may see or do what) is the API's.
// No framework and no build step: DOM built with textContent only, so no
// answer can inject markup.

const main = document.getElementById('main');
const statusEl = document.getElementById('status');
const nav = document.getElementById('nav');
let csrf = '';
let me = null;

/** Builds an element: attributes (on* are listeners, text is textContent) and children. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The API's refusal in words a person understands. */
function words(status, data) {
  const raw = data && (data.message ?? data.error);
  const text = (typeof raw === 'string' ? raw : raw ? JSON.stringify(raw) : '').replace(/^\d{3}\s*/, '').replace(/^[A-Za-z ]+ - /, '');
  if (status === 401) return 'You are not signed in, or your session has expired. Sign in again.';
  if (status === 403) return `Not allowed: ${text || 'your role does not permit this'}.`;
  if (status === 404) return `Not found${text && text !== 'Not Found' ? `: ${text}` : ''}. It may have been deleted.`;
  if (status >= 500) return 'The server failed to answer. Try again; if it keeps failing, look at the server log.';
  return text || `The server refused the request (${status}).`;
}

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
  const res = await fetch(`/api/v4${path}`, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text };
  }
  if (!res.ok) {
    if (res.status === 401 && path !== '/session') {
      me = null;
      showSignIn(words(401));
    }
    throw new ApiError(res.status, words(res.status, data));
  }
  return data;
}

function say(message, kind = 'ok') {
  statusEl.replaceChildren(message ? h('p', { class: kind, text: message }) : '');
}

const bytes = (n) => {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Number(n);
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
};
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
const enc = encodeURIComponent;

function table(columns, rows, empty = 'Nothing here yet.') {
  if (rows.length === 0) return h('p', { class: 'muted', text: empty });
  return h(
    'table',
    {},
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null, text: c.title })))),
    h(
      'tbody',
      {},
      rows.map((r) => h('tr', {}, columns.map((c) => h('td', { 'data-label': c.title, class: c.num ? 'num' : null }, c.cell(r))))),
    ),
  );
}

/** A view's result: shown by render() only if no newer navigation started meanwhile. */
function page(title, ...content) {
  return { title, content };
}

function show(view) {
  document.title = `${view.title} · Wharf admin`;
  main.replaceChildren(h('h1', { text: view.title }), ...view.content);
}

/** Bumped by every navigation: a slow view that finishes after a newer one started is dropped. */
let generation = 0;

/** A place the page does not fill yet, named so nobody mistakes it for an empty list. */
function notYet(what, how) {
  return h('p', { class: 'placeholder', 'data-placeholder': what }, `${what}: not on this page yet. ${how}`);
}

// ---- sign in ----

function showSignIn(message) {
  nav.hidden = true;
  const user = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'error', role: 'alert' }, message && message !== words(401) ? message : '');
  const form = h(
    'form',
    {
      class: 'stack',
      'aria-label': 'Sign in',
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          const s = await api('POST', '/session', { username: user.value, password: pass.value });
          csrf = s.csrf_token;
          me = s.user;
          pass.value = '';
          say('');
          // A new hash renders through hashchange; the same one is rendered here.
          if (!location.hash || location.hash === '#/' || location.hash === '#/projects') {
            if (location.hash !== '#/projects') history.replaceState(null, '', '#/projects');
            await render();
          } else await render();
        } catch (err) {
          error.textContent = err.status === 401 ? 'Wrong username or password.' : err.message;
        }
      },
    },
    h('label', { for: 'username' }, 'Username', user),
    h('label', { for: 'password' }, 'Password', pass),
    h('button', { type: 'submit' }, 'Sign in'),
    error,
  );
  generation++;
  show(page('Sign in', form));
  user.focus();
}

document.getElementById('signout').addEventListener('click', async () => {
  await api('DELETE', '/session').catch(() => undefined);
  me = null;
  csrf = '';
  say('Signed out.');
  showSignIn();
});

// ---- views ----

async function projectsView() {
  const projects = await api('GET', '/projects?per_page=100');
  const rows = await Promise.all(
    projects.map(async (p) => {
      const repos = await api('GET', `/projects/${p.id}/registry/repositories?tags_count=true&per_page=100`).catch(() => []);
      return { p, repos: repos.length, tags: repos.reduce((s, r) => s + (r.tags_count ?? 0), 0) };
    }),
  );
  return page(
    'Projects',
    table(
      [
        { title: 'Project', cell: (r) => h('a', { href: `#/projects/${r.p.id}`, text: r.p.path_with_namespace ?? r.p.path }) },
        { title: 'Visibility', cell: (r) => r.p.visibility },
        { title: 'Repositories', num: true, cell: (r) => String(r.repos) },
        { title: 'Tags', num: true, cell: (r) => String(r.tags) },
      ],
      rows,
      'No projects yet.',
    ),
  );
}

async function projectView(id) {
  const [project, repos] = await Promise.all([api('GET', `/projects/${id}`), api('GET', `/projects/${id}/registry/repositories?tags_count=true&per_page=100`)]);
  const remove = async (r) => {
    if (!confirm(`Delete the repository ${r.path} and all its tags?`)) return;
    await api('DELETE', `/projects/${id}/registry/repositories/${r.id}`);
    say(`Deletion of ${r.path} scheduled; its status shows the progress.`);
    await render();
  };
  const reset = async (r) => {
    await api('POST', `/registry/repositories/${r.id}/reset_deletion`);
    say(`${r.path} is active again.`);
    await render();
  };
  return page(
    project.path_with_namespace ?? project.path,
    h('h2', { text: 'Container repositories' }),
    table(
      [
        { title: 'Repository', cell: (r) => h('a', { href: `#/projects/${id}/repositories/${r.id}`, text: r.path }) },
        { title: 'Tags', num: true, cell: (r) => String(r.tags_count ?? 0) },
        { title: 'Size (deduplicated)', num: true, cell: (r) => bytes(r.size) },
        { title: 'Status', cell: (r) => r.status ?? 'active' },
        {
          title: 'Actions',
          cell: (r) =>
            r.status === 'delete_failed'
              ? h('button', { type: 'button', onclick: () => reset(r).catch(fail) }, `Reset ${r.name || r.path}`)
              : r.status
                ? ''
                : h('button', { type: 'button', class: 'danger', onclick: () => remove(r).catch(fail) }, `Delete ${r.name || r.path}`),
        },
      ],
      repos,
      'No container images in this project.',
    ),
    h('h2', { text: 'Cleanup policy' }),
    await cleanupSection(id),
  );
}

/** GitLab's allowed values, as the API checks them. */
const CADENCES = [
  ['1d', 'Every day'],
  ['7d', 'Every week'],
  ['14d', 'Every two weeks'],
  ['1month', 'Every month'],
  ['3month', 'Every three months'],
];
const KEEP_N = ['1', '5', '10', '25', '50', '100'];
const OLDER_THAN = ['7d', '14d', '30d', '90d'];

function select(id, value, options, none) {
  return h(
    'select',
    { id, name: id },
    none ? h('option', { value: '', selected: value === null || value === undefined }, none) : null,
    options.map(([v, label]) => h('option', { value: v, selected: String(value) === v }, label ?? v)),
  );
}

/** A project's cleanup policy: edit, dry run (each tag's fate and why), run now (with its progress). */
async function cleanupSection(id) {
  let policy;
  try {
    policy = await api('GET', `/projects/${id}/registry/cleanup_policy`);
  } catch (err) {
    return h('p', { class: 'muted', text: err.status === 403 ? 'Only Maintainers see and change the cleanup policy.' : err.message });
  }
  const enabled = h('input', { id: 'cp-enabled', type: 'checkbox', checked: policy.enabled });
  const cadence = select('cp-cadence', policy.cadence, CADENCES);
  const keepN = select(
    'cp-keep-n',
    policy.keep_n,
    KEEP_N.map((v) => [v, `${v} tag${v === '1' ? '' : 's'}`]),
    'No minimum',
  );
  const olderThan = select(
    'cp-older-than',
    policy.older_than,
    OLDER_THAN.map((v) => [v, `${v.replace('d', '')} days`]),
    'Any age',
  );
  const nameRegex = h('input', { id: 'cp-name-regex', value: policy.name_regex ?? '' });
  const keepRegex = h('input', { id: 'cp-name-regex-keep', value: policy.name_regex_keep ?? '' });
  const outcome = h('div', { 'aria-live': 'polite' });
  const save = async () => {
    await api('PUT', `/projects/${id}/registry/cleanup_policy`, {
      enabled: enabled.checked,
      cadence: cadence.value,
      keep_n: keepN.value === '' ? null : Number(keepN.value),
      older_than: olderThan.value === '' ? null : olderThan.value,
      name_regex: nameRegex.value || null,
      name_regex_keep: keepRegex.value || null,
    });
  };
  const dryRun = async () => {
    await save();
    const reports = await api('POST', `/projects/${id}/registry/cleanup_policy/run?dry_run=true`);
    const rows = reports.flatMap((r) => r.tags.map((t) => ({ repository: r.repository, ...t })));
    outcome.replaceChildren(
      h('h3', { text: 'Dry run: what a run would do now' }),
      table(
        [
          { title: 'Repository', cell: (r) => r.repository },
          { title: 'Tag', cell: (r) => r.name },
          { title: 'Fate', cell: (r) => h('strong', { class: r.delete ? 'error' : 'ok', text: r.delete ? 'Delete' : 'Keep' }) },
          { title: 'Why', cell: (r) => r.reason },
        ],
        rows,
        'No tags to decide on.',
      ),
    );
  };
  const runNow = async () => {
    await save();
    const before = await tagTotal(id);
    await api('POST', `/projects/${id}/registry/cleanup_policy/run`);
    const progress = h('progress', { max: Math.max(before, 1), value: 0, 'aria-label': 'Cleanup progress' });
    const text = h('span', { text: ` Queued: ${before} tags before the run.` });
    outcome.replaceChildren(h('p', {}, progress, text));
    // The run is a background job: the page watches the tag count fall until it stops moving.
    let last = before;
    let still = 0;
    for (let i = 0; i < 60 && still < 5; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = await tagTotal(id);
      still = now === last ? still + 1 : 0;
      last = now;
      progress.value = before - now;
      text.textContent = ` ${before - now} deleted, ${now} tags left.`;
    }
    text.textContent += ' Done (the count stopped changing).';
  };
  const act = (fn) => (e) => {
    e.preventDefault();
    fn().catch(fail);
  };
  return h(
    'div',
    {},
    h(
      'form',
      { class: 'stack', 'aria-label': 'Cleanup policy', onsubmit: act(async () => (await save(), say('Cleanup policy saved.'))) },
      h('label', { class: 'check', for: 'cp-enabled' }, enabled, 'Run the policy on its schedule'),
      h('label', { for: 'cp-cadence' }, 'Run', cadence),
      h('label', { for: 'cp-keep-n' }, 'Keep the most recent', keepN),
      h('label', { for: 'cp-older-than' }, 'Remove tags older than', olderThan),
      h('label', { for: 'cp-name-regex' }, 'Remove tags matching (regex)', nameRegex),
      h('label', { for: 'cp-name-regex-keep' }, 'Keep tags matching (regex)', keepRegex),
      h(
        'p',
        {},
        h('button', { type: 'submit' }, 'Save policy'),
        ' ',
        h('button', { type: 'button', onclick: act(dryRun) }, 'Dry run'),
        ' ',
        h('button', { type: 'button', class: 'danger', onclick: act(runNow) }, 'Run now'),
      ),
    ),
    outcome,
  );
}

async function tagTotal(id) {
  const repos = await api('GET', `/projects/${id}/registry/repositories?tags_count=true&per_page=100`);
  return repos.reduce((s, r) => s + (r.tags_count ?? 0), 0);
}

async function repositoryView(projectId, repoId) {
  const repo = await api('GET', `/registry/repositories/${repoId}?size=true`);
  const names = await api('GET', `/projects/${projectId}/registry/repositories/${repoId}/tags?per_page=100`);
  const tags = await Promise.all(names.map((t) => api('GET', `/projects/${projectId}/registry/repositories/${repoId}/tags/${enc(t.name)}`)));
  const remove = async (t) => {
    if (!confirm(`Delete the tag ${t.name}?`)) return;
    await api('DELETE', `/projects/${projectId}/registry/repositories/${repoId}/tags/${enc(t.name)}`);
    say(`Tag ${t.name} deleted.`);
    await render();
  };
  return page(
    repo.path,
    h('p', { class: 'muted' }, `${repo.location} · ${bytes(repo.size)} · created ${when(repo.created_at)}`),
    table(
      [
        { title: 'Tag', cell: (t) => t.name },
        { title: 'Digest', cell: (t) => h('code', { text: t.digest ?? '—' }) },
        { title: 'Size', num: true, cell: (t) => bytes(t.total_size) },
        { title: 'Created', cell: (t) => when(t.created_at) },
        { title: 'Actions', cell: (t) => h('button', { type: 'button', class: 'danger', onclick: () => remove(t).catch(fail), 'aria-label': `Delete tag ${t.name}` }, 'Delete') },
      ],
      tags,
      'No tags.',
    ),
    h('p', { class: 'muted' }, h('a', { href: `#/projects/${projectId}`, text: 'Back to the project' })),
    notYet('Referrers (signatures, SBOMs) under their subject', 'Use GET /v2/<name>/referrers/<digest> on the registry.'),
  );
}

async function groupsView() {
  const groups = await api('GET', '/groups?per_page=100');
  return page(
    'Groups',
    table(
      [
        { title: 'Group', cell: (g) => h('a', { href: `#/groups/${g.id}`, text: g.full_path }) },
        { title: 'Visibility', cell: (g) => g.visibility },
      ],
      groups,
      'No groups yet.',
    ),
  );
}

async function groupView(id) {
  const group = await api('GET', `/groups/${id}`);
  const usage = await api('GET', `/groups/${id}/registry/disk_usage`).catch((err) => err);
  const registries = group.parent_id === null ? await api('GET', `/groups/${id}/-/virtual_registries/container/registries`).catch(() => []) : null;
  return page(
    group.full_path,
    h('h2', { text: 'Disk usage' }),
    usage instanceof Error
      ? h('p', { class: 'muted', text: usage.message })
      : h(
          'dl',
          {},
          h('dt', { text: 'Projects’ images' }),
          h('dd', { 'data-usage': 'container', text: bytes(usage.container_registry_size_bytes) }),
          h('dt', { text: 'Virtual registry cache' }),
          h('dd', { 'data-usage': 'virtual', text: bytes(usage.virtual_registry_cache_size_bytes) }),
          h('dt', { text: 'Total on disk' }),
          h('dd', { 'data-usage': 'total', text: bytes(usage.total_size_bytes) }),
        ),
    h('h2', { text: 'Virtual registries' }),
    registries === null
      ? h('p', { class: 'muted', text: 'Virtual registries belong to top-level groups.' })
      : table(
          [
            { title: 'Registry', cell: (r) => h('a', { href: `#/virtual/${r.id}`, text: r.name }) },
            { title: 'Description', cell: (r) => r.description ?? '' },
          ],
          registries,
          'No virtual registries in this group.',
        ),
  );
}

async function virtualView(id) {
  const registry = await api('GET', `/virtual_registries/container/registries/${id}`);
  const ups = await api('GET', `/virtual_registries/container/registries/${id}/upstreams`);
  const move = async (u, position) => {
    await api('PATCH', `/virtual_registries/container/registry_upstreams/${u.registry_upstream_id}`, { position });
    say(`${u.name} moved to position ${position}.`);
    await render();
  };
  const entries = h('div', {});
  const showEntries = async (u, search) => {
    const list = await api('GET', `/virtual_registries/container/upstreams/${u.id}/cache_entries?per_page=100${search ? `&search=${enc(search)}` : ''}`);
    entries.replaceChildren(
      h('h2', { text: `Cache entries of ${u.name}` }),
      h(
        'form',
        {
          onsubmit: (e) => {
            e.preventDefault();
            showEntries(u, e.target.elements.search.value).catch(fail);
          },
        },
        h('label', { for: 'search' }, 'Search ', h('input', { id: 'search', name: 'search', value: search ?? '' })),
        ' ',
        h('button', { type: 'submit' }, 'Search'),
      ),
      table(
        [
          { title: 'Path', cell: (e) => h('code', { text: e.relative_path }) },
          { title: 'Size', num: true, cell: (e) => bytes(e.size) },
          { title: 'Downloads', num: true, cell: (e) => String(e.downloads_count ?? 0) },
          { title: 'Checked', cell: (e) => when(e.upstream_checked_at) },
          {
            title: 'Actions',
            cell: (e) =>
              h(
                'button',
                {
                  type: 'button',
                  class: 'danger',
                  'aria-label': `Delete cache entry ${e.relative_path}`,
                  onclick: async () => {
                    await api('DELETE', `/virtual_registries/container/cache_entries/${e.id}`).catch(fail);
                    say('Cache entry deleted.');
                    await showEntries(u, search);
                  },
                },
                'Delete',
              ),
          },
        ],
        list,
        'No cache entries.',
      ),
    );
  };
  return page(
    registry.name,
    h('p', { class: 'muted', text: `Pull through ${location.host}/virtual_registries/container/${registry.id}/<image>:<tag>` }),
    h('h2', { text: 'Upstreams, in the order they are tried' }),
    table(
      [
        { title: 'Position', num: true, cell: (u) => String(u.position) },
        { title: 'Name', cell: (u) => u.name },
        { title: 'URL', cell: (u) => h('code', { text: u.url }) },
        { title: 'Cache validity', cell: (u) => (u.cache_validity_hours === 0 ? 'never stale' : `${u.cache_validity_hours} h`) },
        {
          title: 'Actions',
          cell: (u) => [
            h('button', { type: 'button', disabled: u.position === 1, 'aria-label': `Move ${u.name} up`, onclick: () => move(u, u.position - 1).catch(fail) }, 'Up'),
            ' ',
            h('button', { type: 'button', disabled: u.position === ups.length, 'aria-label': `Move ${u.name} down`, onclick: () => move(u, u.position + 1).catch(fail) }, 'Down'),
            ' ',
            h('button', { type: 'button', onclick: () => showEntries(u).catch(fail) }, 'Cache entries'),
          ],
        },
      ],
      ups,
      'No upstreams: add one with POST /api/v4/virtual_registries/container/registries/:id/upstreams.',
    ),
    entries,
    notYet('Hit and miss figures', 'They are the wharf_virtual_registry_* series of /metrics.'),
  );
}

async function usageView() {
  const usages = await api('GET', '/registry/disk_usage');
  const max = Math.max(1, ...usages.map((u) => u.registry_size_bytes));
  return page(
    'Disk usage per project',
    usages.length === 0
      ? h('p', { class: 'muted', text: 'No project holds images yet.' })
      : h(
          'div',
          { role: 'list', 'aria-label': 'Registry size per project' },
          usages
            .sort((a, b) => b.registry_size_bytes - a.registry_size_bytes)
            .map((u) => {
              const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
              svg.setAttribute('viewBox', '0 0 100 10');
              svg.setAttribute('preserveAspectRatio', 'none');
              svg.setAttribute('aria-hidden', 'true');
              const rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
              rect.setAttribute('width', String(Math.max(0.5, (100 * u.registry_size_bytes) / max)));
              rect.setAttribute('height', '10');
              svg.append(rect);
              return h('div', { class: 'bar', role: 'listitem' }, h('span', { text: u.project_path }), svg, h('span', { class: 'num', 'data-bytes': u.registry_size_bytes, text: bytes(u.registry_size_bytes) }));
            }),
        ),
    h('p', { class: 'muted', text: 'Layers reachable from every tag, each counted once per project.' }),
  );
}

async function usersView() {
  const users = await api('GET', '/users?per_page=100');
  return page(
    'Users',
    table(
      [
        { title: 'Username', cell: (u) => u.username },
        { title: 'Name', cell: (u) => u.name },
        { title: 'Admin', cell: (u) => (u.is_admin ? 'yes' : 'no') },
        { title: 'State', cell: (u) => u.state },
      ],
      users,
    ),
    notYet('Personal access tokens, deploy tokens and memberships', 'Use /api/v4/users/:id/personal_access_tokens, /projects/:id/deploy_tokens, /groups/:id/deploy_tokens and /…/members.'),
  );
}

async function settingsView() {
  const s = await api('GET', '/application/settings');
  const delay = h('input', { id: 'delay', name: 'delay', type: 'number', min: 1, max: 1440, value: s.container_registry_token_expire_delay, required: true });
  const enabled = h('input', { id: 'enabled', name: 'enabled', type: 'checkbox', checked: s.container_registry_enabled });
  const defaults = h('input', { id: 'defaults', name: 'defaults', type: 'checkbox', checked: s.default_projects_container_registry });
  const form = h(
    'form',
    {
      class: 'stack',
      'aria-label': 'Registry settings',
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          await api('PUT', '/application/settings', {
            container_registry_token_expire_delay: Number(delay.value),
            container_registry_enabled: enabled.checked,
            default_projects_container_registry: defaults.checked,
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
    h('button', { type: 'submit' }, 'Save'),
  );
  return page('Settings', form, notYet('Online GC queues and notifications', 'Use the /metrics series wharf_gc_* and wharf_notifications_*.'));
}

async function geoView() {
  const status = await api('GET', '/geo/status').catch((err) => err);
  if (status instanceof Error) {
    return page('Geo', h('p', { class: 'muted', text: status.status === 404 || status.status === 400 ? 'Geo is not configured on this site (geo.role).' : status.message }));
  }
  const sites = await api('GET', '/geo/sites').catch(() => []);
  return page(
    'Geo',
    h('pre', { text: JSON.stringify(status, null, 2) }),
    h('h2', { text: 'Sites' }),
    table(
      [
        { title: 'Name', cell: (s) => s.name },
        { title: 'URL', cell: (s) => h('code', { text: s.url ?? s.api_url ?? '' }) },
      ],
      sites,
    ),
    notYet('Per-repository replication details, resync one or all', 'Use /api/v4/geo/resync and wharf geo status.'),
  );
}

// ---- routing ----

function fail(err) {
  say(err instanceof ApiError ? err.message : `Something went wrong in the page: ${err.message}`, 'error');
}

async function render() {
  if (!me) return showSignIn();
  nav.hidden = false;
  const mine = ++generation;
  const parts = (location.hash.replace(/^#\/?/, '') || 'projects').split('/');
  let view;
  try {
    if (parts[0] === 'projects' && parts[2] === 'repositories' && parts[3]) view = await repositoryView(parts[1], parts[3]);
    else if (parts[0] === 'projects' && parts[1]) view = await projectView(parts[1]);
    else if (parts[0] === 'groups' && parts[1]) view = await groupView(parts[1]);
    else if (parts[0] === 'groups') view = await groupsView();
    else if (parts[0] === 'virtual' && parts[1]) view = await virtualView(parts[1]);
    else if (parts[0] === 'usage') view = await usageView();
    else if (parts[0] === 'users') view = await usersView();
    else if (parts[0] === 'settings') view = await settingsView();
    else if (parts[0] === 'geo') view = await geoView();
    else view = await projectsView();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    view = page('Could not load this page', h('p', { class: 'error', role: 'alert', text: err.message }));
  }
  if (mine === generation) show(view);
}

window.addEventListener('hashchange', () => {
  say('');
  render();
});

try {
  const s = await api('GET', '/session');
  me = s.user;
  csrf = s.csrf_token;
  render();
} catch {
  showSignIn();
}
