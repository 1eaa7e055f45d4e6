// Account: who I am and my tier, API tokens (create, copy once, revoke), sign out, and the
// notification channels section.

import { h, fill, toast, errorText, confirmDialog, go } from '../dom.js';
import { get, post, del } from '../api.js';
import { session, logout, quota, hasHistory, canNotify } from '../session.js';
import { exact, ago } from '../format.js';
import { channelsSection } from './channels.js';

export async function mount(root) {
  const me = session.me;
  if (!me) { go('/login'); return undefined; }
  const tokensBody = h('tbody');
  const created = h('div', { id: 'token-created' });
  const name = h('input', { type: 'text', placeholder: 'Token name, e.g. my script', 'aria-label': 'Token name', maxlength: 100, required: true, style: { flex: '1 1 200px' } });
  const q = quota();

  async function loadTokens() {
    try {
      const r = await get('/auth/tokens');
      fill(tokensBody, r.tokens.length ? r.tokens.map((t) => h('tr', null,
        h('td', null, t.name),
        h('td', { title: exact(t.created_at) }, ago(t.created_at)),
        h('td', { title: t.last_used_at ? exact(t.last_used_at) : '' }, t.last_used_at ? ago(t.last_used_at) : 'never'),
        h('td', { class: 'num' }, h('button', {
          class: 'btn small danger', type: 'button',
          onclick: async () => {
            if (!(await confirmDialog('Revoke token', `Scripts using "${t.name}" will stop working at once.`, 'Revoke'))) return;
            try { await del(`/auth/tokens/${t.id}`); toast('Token revoked.', 'ok'); loadTokens(); } catch (e) { toast(errorText(e), 'error'); }
          },
        }, 'Revoke')))) : h('tr', null, h('td', { colspan: 4, class: 'empty' }, 'No API tokens.')));
    } catch (e) { fill(tokensBody, h('tr', null, h('td', { colspan: 4, class: 'down' }, errorText(e)))); }
  }

  const createForm = h('form', {
    class: 'row',
    onsubmit: async (e) => {
      e.preventDefault();
      try {
        const t = await post('/auth/tokens', { name: name.value });
        name.value = '';
        const copy = h('button', {
          class: 'btn small', type: 'button',
          onclick: async () => { try { await navigator.clipboard.writeText(t.token); toast('Copied.', 'ok'); } catch { toast('Select the token and copy it.', 'error'); } },
        }, 'Copy');
        fill(created, h('div', { class: 'notice warn', role: 'status' },
          h('div', null, h('strong', null, 'Copy this token now: '), 'it is shown only once.'),
          h('code', { class: 'secret' }, t.token), copy));
        loadTokens();
      } catch (err) { toast(errorText(err), 'error'); }
    },
  }, name, h('button', { class: 'btn primary', type: 'submit' }, 'Create token'));

  fill(root,
    h('div', { class: 'page-head' }, h('h1', null, 'Account')),
    h('div', { class: 'grid2' },
      h('section', { class: 'panel' }, h('div', { class: 'head' }, h('h2', null, 'Profile')),
        h('div', { class: 'body' }, h('dl', { class: 'kv' },
          h('dt', null, 'Email'), h('dd', null, me.email),
          h('dt', null, 'Tier'), h('dd', null, h('span', { class: `tier ${me.tier}` }, me.tier), me.is_admin ? ' admin' : ''),
          h('dt', null, 'Own traders'), h('dd', null, q === Infinity ? 'unlimited' : q === 0 ? 'not in this tier' : `up to ${q}`),
          h('dt', null, 'Signal history'), h('dd', null, hasHistory() ? 'yes' : 'no'),
          h('dt', null, 'Notifications'), h('dd', null, canNotify() ? 'yes' : 'not in this tier')),
        h('p', null, h('button', {
          class: 'btn', type: 'button',
          onclick: async () => { try { await logout(); go('/'); } catch (e) { toast(errorText(e), 'error'); } },
        }, 'Sign out')))),
      h('section', { class: 'panel', id: 'tokens' }, h('div', { class: 'head' }, h('h2', null, 'API tokens')),
        h('div', { class: 'body stack' },
          h('p', { class: 'muted', style: { margin: 0 } }, 'For scripts: send ', h('code', null, 'Authorization: Bearer <token>'), '.'),
          createForm, created,
          h('table', { class: 'data' }, h('thead', null, h('tr', null, h('th', null, 'Name'), h('th', null, 'Created'), h('th', null, 'Last used'), h('th'))), tokensBody)))));
  loadTokens();
  const channels = await channelsSection();
  if (root.isConnected) root.append(h('div', { style: { marginTop: '12px' } }, channels));
  if (location.hash === '#channels') channels.scrollIntoView();
  return undefined;
}
