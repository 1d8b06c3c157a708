// Wharf's admin page (SPEC 9.4), its core: the API client (session cookie and
// CSRF token), DOM helpers (markup built with textContent only), the view
// protocol (a view returns page(...); show() puts the newest on screen) and
// signing in and out. Views live in views-*.js; app.js routes between them.

export const main = document.getElementById('main');
export const statusEl = document.getElementById('status');
export const nav = document.getElementById('nav');
/** Who is signed in, and the CSRF token every write carries. */
// `epoch` counts sign-ins and sign-outs: a 401 answered to a request sent
// under an earlier one (a view still loading when the operator signed out)
// must not put a second sign-in form over the one being filled in.
export const session = { me: null, csrf: '', epoch: 0 };

/** Builds an element: attributes (on* are listeners, text is textContent) and children. */
export function h(tag, attrs = {}, ...children) {
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

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The API's refusal in words a person understands. */
export function words(status, data) {
  const raw = data && (data.message ?? data.error);
  const text = (typeof raw === 'string' ? raw : raw ? JSON.stringify(raw) : '').replace(/^\d{3}\s*/, '').replace(/^[A-Za-z ]+ - /, '');
  if (status === 401) return 'You are not signed in, or your session has expired. Sign in again.';
  if (status === 403) return `Not allowed: ${text || 'your role does not permit this'}.`;
  if (status === 404) return `Not found${text && text !== 'Not Found' ? `: ${text}` : ''}. It may have been deleted.`;
  if (status >= 500) return 'The server failed to answer. Try again; if it keeps failing, look at the server log.';
  return text || `The server refused the request (${status}).`;
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-CSRF-Token'] = session.csrf;
  const epoch = session.epoch;
  const res = await fetch(`/api/v4${path}`, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { message: text };
  }
  if (!res.ok) {
    if (res.status === 401 && path !== '/session' && epoch === session.epoch && session.me) {
      session.me = null;
      session.epoch++;
      showSignIn(words(401));
    }
    throw new ApiError(res.status, words(res.status, data));
  }
  return data;
}

/**
 * After a change: shows the page again, then says what was done, so the
 * message and the page that shows its effect appear together (a reader of
 * the message never sees the page from before).
 */
export async function settled(message, after = () => render()) {
  await after();
  say(message);
}

export function say(message, kind = 'ok') {
  statusEl.replaceChildren(message ? h('p', { class: kind, text: message }) : '');
}

export const bytes = (n) => {
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
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
export const enc = encodeURIComponent;

export function table(columns, rows, empty = 'Nothing here yet.') {
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
export function deleteButton(text, label, path, done, after = () => render()) {
  return h(
    'button',
    {
      type: 'button',
      class: 'danger',
      'aria-label': label,
      onclick: () =>
        api('DELETE', path)
          .then(() => settled(done, after))
          .catch(fail),
    },
    text,
  );
}

/** A view's result: shown by render() only if no newer navigation started meanwhile. */
export function page(title, ...content) {
  return { title, content };
}

export function show(view) {
  document.title = `${view.title} · Wharf admin`;
  // Content is built like h()'s children: nested lists are flattened, and null, undefined and false leave nothing.
  main.replaceChildren(h('h1', { text: view.title, tabindex: '-1' }), ...view.content.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
}

/** Bumped by every navigation: a slow view that finishes after a newer one started is dropped. */
export const views = { generation: 0 };


export function fail(err) {
  say(err instanceof ApiError ? err.message : `Something went wrong in the page: ${err.message}`, 'error');
}

/** The router, set by app.js: views call render() to show the current page again. */
let renderer = async () => undefined;
export function setRenderer(fn) {
  renderer = fn;
}
export function render() {
  return renderer();
}

// ---- sign in ----

export function showSignIn(message) {
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
          session.csrf = s.csrf_token;
          session.me = s.user;
          session.epoch++;
          pass.value = '';
          say('');
          // The page asked for, or the projects (replaceState fires no hashchange, so nothing renders twice).
          if (!location.hash || location.hash === '#/') history.replaceState(null, '', '#/projects');
          await render();
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
  views.generation++;
  show(page('Sign in', form));
  user.focus();
}

document.getElementById('signout').addEventListener('click', async () => {
  // Signed out first, so the 401s of requests still in flight change nothing.
  session.me = null;
  session.epoch++;
  await api('DELETE', '/session').catch(() => undefined);
  session.csrf = '';
  say('Signed out.');
  showSignIn();
});


/** A labelled choice among `options` ([value, label]); `none` adds an empty first choice. */
export function select(id, value, options, none) {
  return h(
    'select',
    { id, name: id },
    none ? h('option', { value: '', selected: value === null || value === undefined }, none) : null,
    options.map(([v, label]) => h('option', { value: v, selected: String(value) === v }, label ?? v)),
  );
}
