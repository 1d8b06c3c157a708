// Admin page: groups (usage, access, virtual registries), a virtual registry, disk usage per project.
import { api, bytes, deleteButton, enc, fail, h, page, settled, table, when } from './core.js';
import { deployTokensSection, membersSection } from './views-access.js';

export async function groupsView() {
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

export async function groupView(id) {
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

export async function virtualView(id) {
  const registry = await api('GET', `/virtual_registries/container/registries/${id}`);
  const [ups, stats] = await Promise.all([api('GET', `/virtual_registries/container/registries/${id}/upstreams`), api('GET', `/virtual_registries/container/registries/${id}/statistics`)]);
  const move = async (u, position) => {
    await api('PATCH', `/virtual_registries/container/registry_upstreams/${u.registry_upstream_id}`, { position });
    await settled(`${u.name} moved to position ${position}.`);
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
            h('button', { type: 'button', 'aria-label': `Cache entries of ${u.name}`, onclick: () => showEntries(u).catch(fail) }, 'Cache entries'),
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

export async function usageView() {
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

