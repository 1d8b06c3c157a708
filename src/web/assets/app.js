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

/** A button that sends one DELETE, then says `done` and shows the page again (or runs `after`). */
function deleteButton(text, label, path, done, after = render) {
  return h(
    'button',
    {
      type: 'button',
      class: 'danger',
      'aria-label': label,
      onclick: () =>
        api('DELETE', path)
          .then(() => (say(done), after()))
          .catch(fail),
    },
    text,
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
    h('h2', { text: 'Registry access' }),
    registryToggle(project),
    h('h2', { text: 'Members' }),
    await membersSection('projects', id),
    h('h2', { text: 'Deploy tokens' }),
    await deployTokensSection('projects', id),
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

function registryToggle(project) {
  const box = h('input', { id: 'project-registry', type: 'checkbox', checked: project.container_registry_enabled });
  box.addEventListener('change', () =>
    api('PUT', `/projects/${project.id}`, { container_registry_enabled: box.checked })
      .then(() => say(`Container registry ${box.checked ? 'enabled' : 'disabled'} for ${project.path_with_namespace}.`))
      .catch((err) => {
        box.checked = !box.checked;
        fail(err);
      }),
  );
  return h('label', { class: 'check', for: 'project-registry' }, box, 'Container registry enabled for this project');
}

const LEVELS = [
  ['10', 'Guest'],
  ['20', 'Reporter'],
  ['30', 'Developer'],
  ['40', 'Maintainer'],
  ['50', 'Owner'],
];

/** Direct members of a project or group: list, add by username, remove. */
async function membersSection(kind, id) {
  let members;
  try {
    members = await api('GET', `/${kind}/${id}/members`);
  } catch (err) {
    return h('p', { class: 'muted', text: err.message });
  }
  const username = h('input', { id: `${kind}-member-username`, autocomplete: 'off' });
  const level = select(`${kind}-member-level`, '20', LEVELS);
  const add = async (e) => {
    e.preventDefault();
    const users = await api('GET', `/users?username=${enc(username.value.trim())}&per_page=100`);
    const user = users.find((u) => u.username === username.value.trim());
    if (!user) throw new ApiError(404, `There is no user named ${username.value.trim()}.`);
    await api('POST', `/${kind}/${id}/members`, { user_id: user.id, access_level: Number(level.value) });
    say(`${user.username} added as ${LEVELS.find(([v]) => v === level.value)[1]}.`);
    await render();
  };
  return h(
    'div',
    {},
    table(
      [
        { title: 'Member', cell: (m) => m.username },
        { title: 'Role', cell: (m) => LEVELS.find(([v]) => Number(v) === m.access_level)?.[1] ?? String(m.access_level) },
        {
          title: 'Actions',
          cell: (m) => deleteButton('Remove', `Remove member ${m.username}`, `/${kind}/${id}/members/${m.id}`, `${m.username} removed.`),
        },
      ],
      members,
      'No direct members.',
    ),
    h(
      'form',
      { 'aria-label': 'Add a member', onsubmit: (e) => add(e).catch(fail) },
      h('label', { for: `${kind}-member-username` }, 'Username ', username),
      ' ',
      h('label', { for: `${kind}-member-level` }, 'Role ', level),
      ' ',
      h('button', { type: 'submit' }, 'Add member'),
    ),
  );
}

/** A secret shown once, right after it was created. */
function revealOnce(label, secret) {
  return h('p', { class: 'ok', role: 'alert' }, `${label}: `, h('code', { text: secret }), ' — copy it now; it is not shown again.');
}

/** Deploy tokens of a project or group: list, create (name, scopes), revoke. */
async function deployTokensSection(kind, id) {
  let tokens;
  try {
    tokens = await api('GET', `/${kind}/${id}/deploy_tokens`);
  } catch (err) {
    return h('p', { class: 'muted', text: err.status === 403 ? 'Only Maintainers manage deploy tokens.' : err.message });
  }
  const scopes = kind === 'groups' ? ['read_registry', 'write_registry', 'read_virtual_registry'] : ['read_registry', 'write_registry'];
  const name = h('input', { id: `${kind}-dt-name`, required: true });
  const boxes = scopes.map((sc) => h('input', { type: 'checkbox', id: `${kind}-dt-${sc}`, value: sc, checked: sc === 'read_registry' }));
  const shown = h('div', {});
  const create = async (e) => {
    e.preventDefault();
    const t = await api('POST', `/${kind}/${id}/deploy_tokens`, { name: name.value, scopes: boxes.filter((b) => b.checked).map((b) => b.value) });
    name.value = '';
    await render();
    say('');
    statusEl.replaceChildren(revealOnce(`Deploy token ${t.name} (username ${t.username})`, t.token));
  };
  return h(
    'div',
    {},
    table(
      [
        { title: 'Name', cell: (t) => t.name },
        { title: 'Username', cell: (t) => h('code', { text: t.username }) },
        { title: 'Scopes', cell: (t) => t.scopes.join(', ') },
        { title: 'State', cell: (t) => (t.revoked ? 'revoked' : t.expired ? 'expired' : 'active') },
        {
          title: 'Actions',
          cell: (t) =>
            t.revoked
              ? ''
              : deleteButton('Revoke', `Revoke deploy token ${t.name}`, `/${kind}/${id}/deploy_tokens/${t.id}`, `Deploy token ${t.name} revoked.`),
        },
      ],
      tokens,
      'No deploy tokens.',
    ),
    h(
      'form',
      { 'aria-label': 'Create a deploy token', onsubmit: (e) => create(e).catch(fail) },
      h('label', { for: `${kind}-dt-name` }, 'Name ', name),
      ' ',
      boxes.map((b) => h('label', { class: 'check', for: b.id }, b, b.value)),
      h('button', { type: 'submit' }, 'Create deploy token'),
    ),
    shown,
  );
}

async function repositoryView(projectId, repoId) {
  const repo = await api('GET', `/registry/repositories/${repoId}?size=true`);
  const names = await api('GET', `/projects/${projectId}/registry/repositories/${repoId}/tags?per_page=100`);
  const tags = await Promise.all(
    names.map(async (t) => {
      const base = `/projects/${projectId}/registry/repositories/${repoId}/tags/${enc(t.name)}`;
      const [detail, referrers] = await Promise.all([api('GET', base), api('GET', `${base}/referrers`).catch(() => [])]);
      return { ...detail, referrers };
    }),
  );
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
        {
          title: 'Referrers',
          cell: (t) =>
            t.referrers.length === 0
              ? h('span', { class: 'muted', text: 'none' })
              : h(
                  'ul',
                  { 'aria-label': `Referrers of ${t.name}` },
                  t.referrers.map((r) => h('li', {}, `${r.artifact_type ?? r.media_type} `, h('code', { text: r.digest }))),
                ),
        },
        { title: 'Actions', cell: (t) => h('button', { type: 'button', class: 'danger', onclick: () => remove(t).catch(fail), 'aria-label': `Delete tag ${t.name}` }, 'Delete') },
      ],
      tags,
      'No tags.',
    ),
    h('p', { class: 'muted' }, h('a', { href: `#/projects/${projectId}`, text: 'Back to the project' })),
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
    h('h2', { text: 'Members' }),
    await membersSection('groups', id),
    h('h2', { text: 'Deploy tokens' }),
    await deployTokensSection('groups', id),
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
  const [ups, stats] = await Promise.all([api('GET', `/virtual_registries/container/registries/${id}/upstreams`), api('GET', `/virtual_registries/container/registries/${id}/statistics`)]);
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
            cell: (e) => deleteButton('Delete', `Delete cache entry ${e.relative_path}`, `/virtual_registries/container/cache_entries/${e.id}`, 'Cache entry deleted.', () => showEntries(u, search)),
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
    h('h2', { text: 'Cache figures' }),
    table(
      [
        { title: 'Upstream', cell: (x) => ups.find((u) => u.id === x.upstream_id)?.name ?? String(x.upstream_id) },
        { title: 'Entries (upstream fetches)', num: true, cell: (x) => String(x.entries) },
        { title: 'Held', num: true, cell: (x) => bytes(x.size_bytes) },
        { title: 'Downloads from the cache', num: true, cell: (x) => String(x.downloads) },
        { title: 'Last download', cell: (x) => when(x.last_downloaded_at) },
      ],
      stats,
      'Nothing cached yet.',
    ),
    h('p', { class: 'muted', text: 'Per-request hit, miss and revalidation counters, and bytes saved, are the wharf_virtual_registry_* series of /metrics.' }),
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
          .then((u) => (say(`User ${u.username} created.`), render()))
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

async function tokensView() {
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

async function settingsView() {
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

async function geoView() {
  let status;
  try {
    status = await api('GET', '/geo/status');
  } catch (err) {
    return page('Geo', h('p', { class: 'muted', text: err.status === 404 || err.status === 400 ? 'Geo is not configured on this site (geo.role).' : err.message }));
  }
  const sites = await api('GET', '/geo/sites').catch(() => []);
  const repos = status.role === 'secondary' ? await api('GET', '/geo/repositories?per_page=100').catch(() => []) : [];
  const progress = h('p', { 'aria-live': 'polite' });
  const resync = async (body, what) => {
    await api('POST', '/geo/resync', body);
    const bar = h('progress', { max: 100, value: 0, 'aria-label': 'Resync progress' });
    const text = h('span', { text: ` ${what}: queued.` });
    progress.replaceChildren(bar, text);
    // The sync is background work: the page follows this site's counts until nothing is pending.
    for (let i = 0; i < 120; i++) {
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

async function operationsView() {
  const [queues, notes] = await Promise.all([api('GET', '/registry/gc'), api('GET', '/registry/notifications')]);
  const replay = async (body, what) => {
    const r = await api('POST', '/registry/notifications/replay', body);
    say(`${what}: ${r.replayed} event(s) queued again.`);
    await render();
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
    else if (parts[0] === 'operations') view = await operationsView();
    else if (parts[0] === 'tokens') view = await tokensView();
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
