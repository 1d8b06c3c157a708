// Wharf's admin page (SPEC 9.4). It renders what /api/v4 answers and sends
// what the operator asks; every rule (who may see or do what) is the API's.
// No framework and no build step. This file routes; core.js and views-*.js
// hold the rest.
import { ApiError, api, h, main, nav, page, say, session, setRenderer, show, showSignIn, views } from './core.js';
import { geoView, operationsView, settingsView, tokensView, usersView } from './views-admin.js';
import { groupView, groupsView, usageView, virtualView } from './views-groups.js';
import { projectView, projectsView, repositoryView } from './views-projects.js';


async function render() {
  if (!session.me) return showSignIn();
  nav.hidden = false;
  // Admin-only pages are not offered to others (the API would refuse them anyway, and still does if opened by address).
  for (const a of /** @type {NodeListOf<HTMLElement>} */ (nav.querySelectorAll('[data-admin]'))) a.hidden = !session.me.is_admin;
  const mine = ++views.generation;
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
  if (mine === views.generation) show(view);
}

setRenderer(render);

window.addEventListener('hashchange', async () => {
  say('');
  await render();
  // Keyboard and screen-reader users land on the new page's heading, not back at the top of the document.
  if (session.me) main.querySelector('h1')?.focus();
});

try {
  const s = await api('GET', '/session');
  session.me = s.user;
  session.csrf = s.csrf_token;
  render();
} catch {
  showSignIn();
}
