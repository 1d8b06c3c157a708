// Admin page: projects, a project (repositories, cleanup policy, access) and a repository (tags, referrers).
import { api, bytes, enc, fail, h, page, say, settled, select, table, when } from './core.js';
import { deployTokensSection, membersSection, registryToggle } from './views-access.js';

export async function projectsView() {
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

export async function projectView(id) {
  const [project, repos] = await Promise.all([api('GET', `/projects/${id}`), api('GET', `/projects/${id}/registry/repositories?tags_count=true&per_page=100`)]);
  const remove = async (r) => {
    if (!confirm(`Delete the repository ${r.path} and all its tags?`)) return;
    await api('DELETE', `/projects/${id}/registry/repositories/${r.id}`);
    await settled(`Deletion of ${r.path} scheduled; its status shows the progress.`);
  };
  const reset = async (r) => {
    await api('POST', `/registry/repositories/${r.id}/reset_deletion`);
    await settled(`Deletion of ${r.path} scheduled again.`);
  };
  return page(
    project.path_with_namespace ?? project.path,
    h('h2', { text: 'Container repositories' }),
    table(
      [
        { title: 'Repository', cell: (r) => h('a', { href: `#/projects/${id}/repositories/${r.id}`, text: r.path }) },
        { title: 'Tags', num: true, cell: (r) => String(r.tags_count ?? 0) },
        { title: 'Size (deduplicated)', num: true, cell: (r) => bytes(r.size) },
        { title: 'Status', cell: (r) => (r.status ? deletionState(r) : (CLEANUP_STATES[r.expiration_policy_cleanup_status] ?? 'active')) },
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

/** A repository's deletion state, in words (the API's value in brackets, as the REST docs name it). */
function deletionState(r) {
  if (r.status === 'delete_scheduled') return 'deletion scheduled (delete_scheduled)';
  if (r.status === 'delete_ongoing') return 'being deleted (delete_ongoing)';
  if (r.status === 'delete_failed') return `deletion failed after ${r.delete_api_attempts} attempts (delete_failed): reset it to try again`;
  return r.status;
}

/** A repository's cleanup state, in words. */
const CLEANUP_STATES = { cleanup_scheduled: 'cleanup scheduled', cleanup_ongoing: 'cleanup running', cleanup_unfinished: 'cleanup to resume' };

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
    const active = (repos) => repos.filter((r) => r.status === null); // repositories being deleted take no part
    const tagsBefore = tagSum(active(await repositoriesOf(id)));
    await api('POST', `/projects/${id}/registry/cleanup_policy/run`);
    // The run is a background job; each repository's cleanup state says how far it got.
    const progress = h('progress', { max: 1, value: 0, 'aria-label': 'Cleanup progress' });
    const text = h('span', { text: ' Cleanup queued.' });
    outcome.replaceChildren(h('p', {}, progress, text));
    for (let i = 0; i < 600; i++) {
      if (!outcome.isConnected) return; // the operator went to another page
      const repos = active(await repositoriesOf(id));
      const waiting = repos.filter((r) => r.expiration_policy_cleanup_status !== 'cleanup_unscheduled');
      const deleted = Math.max(0, tagsBefore - tagSum(repos));
      progress.max = Math.max(repos.length, 1);
      progress.value = repos.length - waiting.length;
      if (waiting.length === 0) {
        return settled(`Cleanup finished: ${deleted} tag${deleted === 1 ? '' : 's'} deleted.`);
      }
      const unfinished = waiting.filter((r) => r.expiration_policy_cleanup_status === 'cleanup_unfinished').length;
      text.textContent = ` ${progress.value} of ${repos.length} repositories done, ${deleted} tags deleted so far${unfinished ? `; ${unfinished} to resume (a run deletes a limited number of tags at a time)` : ''}.`;
      await new Promise((r) => setTimeout(r, 1000));
    }
    text.textContent += ' Still running: this page stopped watching; reload it to see the state.';
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

const repositoriesOf = (id) => api('GET', `/projects/${id}/registry/repositories?tags_count=true&per_page=100`);
const tagSum = (repos) => repos.reduce((s, r) => s + (r.tags_count ?? 0), 0);

export async function repositoryView(projectId, repoId) {
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
    await settled(`Tag ${t.name} deleted.`);
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

