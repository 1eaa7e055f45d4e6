// The shell: routes paths to page modules (loaded on demand), keeps the top bar (pages,
// connection state, who is signed in) current, and opens the live stream.

import { h, fill, toast, errorText } from './dom.js';
import { session, loadMe, onSession, logout } from './session.js';
import * as live from './live.js';

const ROUTES = [
  [/^\/$/, 'dashboard', () => import('./pages/dashboard.js')],
  [/^\/market$/, 'market', () => import('./pages/market.js')],
  [/^\/chart(?:\/([A-Z0-9]+))?(?:\/(\w+))?$/, 'chart', () => import('./pages/chart.js'), ['symbol', 'interval']],
  [/^\/traders$/, 'traders', () => import('./pages/traders.js')],
  [/^\/traders\/(new|\d+)$/, 'traders', () => import('./pages/editor.js'), ['id']],
  [/^\/account$/, 'account', () => import('./pages/account.js')],
  [/^\/(login|register)$/, 'account', () => import('./pages/login.js'), ['mode']],
  [/^\/admin$/, 'admin', () => import('./pages/admin.js')],
];

const main = document.getElementById('main');
let cleanup = null;
let generation = 0;

async function route() {
  const gen = ++generation;
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const query = new URLSearchParams(location.search);
  let found = null;
  for (const [re, nav, load, names] of ROUTES) {
    const m = re.exec(path);
    if (m) {
      const params = {};
      (names || []).forEach((n, i) => { if (m[i + 1] !== undefined) params[n] = m[i + 1]; });
      found = { nav, load, params };
      break;
    }
  }
  if (cleanup) { try { cleanup(); } catch (e) { console.error(e); } cleanup = null; }
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', found?.nav === a.dataset.nav);
    if (found?.nav === a.dataset.nav) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  if (!found) {
    fill(main, h('div', { class: 'empty' }, h('h1', null, 'Page not found'), h('p', null, h('a', { href: '/' }, 'Back to the dashboard'))));
    return;
  }
  try {
    const page = await found.load();
    if (gen !== generation) return;
    const root = h('div', { class: `page page-${found.nav}` });
    fill(main, root);
    const done = await page.mount(root, found.params, query);
    if (gen !== generation) { if (typeof done === 'function') done(); return; }
    cleanup = typeof done === 'function' ? done : null;
  } catch (e) {
    if (gen !== generation) return;
    console.error(e);
    fill(main, h('div', { class: 'notice error', role: 'alert' }, `This page failed to load: ${errorText(e)}`));
  }
}

/** Goes to `path` without a reload. */
export function navigate(path, replace = false) {
  if (replace) history.replaceState(null, '', path); else history.pushState(null, '', path);
  window.scrollTo(0, 0);
  route();
  main.focus({ preventScroll: true });
}

document.addEventListener('click', (ev) => {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || ev.altKey) return;
  const a = ev.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  const href = a.getAttribute('href');
  if (!href.startsWith('/') || href.startsWith('/api/') || href.startsWith('//')) return;
  ev.preventDefault();
  navigate(href);
});
window.addEventListener('popstate', route);
window.addEventListener('sift:navigate', (ev) => navigate(ev.detail));

function renderWho(me) {
  const who = document.getElementById('who');
  document.querySelector('#nav a[data-nav=admin]').hidden = !me?.is_admin;
  if (!me) {
    fill(who, h('a', { href: '/login', class: 'btn small primary' }, 'Sign in'));
    return;
  }
  fill(who,
    h('a', { href: '/account', class: 'muted hide-sm', title: 'Your account' }, me.email),
    h('span', { class: `tier ${me.tier}` }, me.tier),
    h('button', {
      class: 'btn small', type: 'button',
      onclick: async () => {
        try { await logout(); navigate('/'); toast('Signed out.', 'ok'); } catch (e) { toast(errorText(e), 'error'); }
      },
    }, 'Sign out'));
}

const STATE_TEXT = { connecting: 'connecting…', live: 'live', reconnecting: 'connection lost, reconnecting…' };
live.on('state', (s) => {
  const el = document.getElementById('conn');
  el.className = `conn ${s === 'live' ? 'live' : s === 'reconnecting' ? 'down' : ''}`;
  el.querySelector('.label').textContent = STATE_TEXT[s] || s;
});
live.on('reconnected', () => toast('Live stream reconnected.', 'ok', 3000));

async function boot() {
  let first = true;
  onSession((me) => {
    renderWho(me);
    if (!first) { live.restart(); route(); }
  });
  try { await loadMe(); } catch (e) { renderWho(null); toast(errorText(e), 'error'); }
  first = false;
  live.open();
  route();
}

boot();
