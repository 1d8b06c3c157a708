// Admin page: who may do what — the registry switch of a project, members, deploy tokens.
import { ApiError, api, deleteButton, enc, fail, h, render, say, settled, select, statusEl, table } from './core.js';

export function registryToggle(project) {
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
export async function membersSection(kind, id) {
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
    await settled(`${user.username} added as ${LEVELS.find(([v]) => v === level.value)[1]}.`);
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
export function revealOnce(label, secret) {
  return h('p', { class: 'ok', role: 'alert' }, `${label}: `, h('code', { text: secret }), ' — copy it now; it is not shown again.');
}

/** Deploy tokens of a project or group: list, create (name, scopes), revoke. */
export async function deployTokensSection(kind, id) {
  let tokens;
  try {
    tokens = await api('GET', `/${kind}/${id}/deploy_tokens`);
  } catch (err) {
    return h('p', { class: 'muted', text: err.status === 403 ? 'Only Maintainers manage deploy tokens.' : err.message });
  }
  const scopes = kind === 'groups' ? ['read_registry', 'write_registry', 'read_virtual_registry'] : ['read_registry', 'write_registry'];
  const name = h('input', { id: `${kind}-dt-name`, required: true });
  const boxes = scopes.map((sc) => h('input', { type: 'checkbox', id: `${kind}-dt-${sc}`, value: sc, checked: sc === 'read_registry' }));
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
  );
}

