// Admin: the global execution switch, users and their tiers, built-in traders, recent
// executions with their figures, the audit log.

import { h, fill, toggle, toast, errorText, confirmDialog } from '../dom.js';
import { get, post, patch } from '../api.js';
import { session, traders, invalidateTraders, TIERS } from '../session.js';
import { ago, exact, num } from '../format.js';

const REFRESH_MS = 5000;

export async function mount(root) {
  if (!session.me?.is_admin) {
    fill(root, h('div', { class: 'notice error', role: 'alert' }, session.me ? 'Admins only.' : 'Sign in as an admin to see this page.'));
    return undefined;
  }
  const switchBox = h('div', { class: 'row', id: 'exec-switch' });
  const users = h('tbody');
  const builtins = h('tbody');
  const execs = h('tbody');
  const audit = h('tbody');
  const table = (label, head, body) => h('div', { class: 'table-wrap', style: { maxHeight: '360px' } },
    h('table', { class: 'data', 'aria-label': label }, h('thead', null, h('tr', null, head.map(([t, n]) => h('th', { class: n ? 'num' : null }, t)))), body));
  const panel = (title, id, ...body) => h('section', { class: 'panel', id }, h('div', { class: 'head' }, h('h2', null, title)), ...body);

  fill(root,
    h('div', { class: 'page-head' }, h('h1', null, 'Admin')),
    h('div', { class: 'stack' },
      panel('Execution', 'execution', h('div', { class: 'body' }, switchBox)),
      h('div', { class: 'grid2' },
        panel('Users', 'users', table('Users', [['Email'], ['Tier'], ['Admin'], ['Created'], ['Last login']], users)),
        panel('Built-in traders', 'builtins', table('Built-in traders', [['Name'], ['Interval'], ['Tier'], ['Enabled']], builtins))),
      panel('Recent executions', 'executions', table('Executions', [['When'], ['Interval'], ['Candle'], ['Traders', 1], ['Symbols', 1], ['Matched', 1], ['Signals', 1], ['Duration', 1], ['Errors']], execs)),
      panel('Audit log', 'audit', table('Audit log', [['When'], ['Actor'], ['Action'], ['Target'], ['Details']], audit))));

  let userNames = new Map();
  async function loadSwitch() {
    try {
      const { paused } = await get('/admin/execution');
      const flip = async () => {
        const pausing = !paused;
        if (pausing && !(await confirmDialog('Pause all evaluation', 'No trader runs and no signal is produced until you resume.', 'Pause'))) return;
        try { await post(`/admin/execution/${pausing ? 'pause' : 'resume'}`); toast(pausing ? 'Evaluation paused.' : 'Evaluation resumed.', 'ok'); loadSwitch(); loadAudit(); } catch (e) { toast(errorText(e), 'error'); }
      };
      fill(switchBox,
        h('span', { class: `pill ${paused ? 'down' : 'up'}`, id: 'exec-state' }, paused ? 'PAUSED' : 'RUNNING'),
        h('span', { class: 'muted' }, paused ? 'No trader is evaluated; candles are still collected.' : 'Every enabled trader runs at each candle close.'),
        h('button', { class: `btn ${paused ? 'primary' : 'danger'}`, type: 'button', id: 'exec-toggle', onclick: flip }, paused ? 'Resume evaluation' : 'Pause evaluation'));
    } catch (e) { fill(switchBox, h('span', { class: 'down' }, errorText(e))); }
  }
  async function loadUsers() {
    try {
      const r = await get('/admin/users');
      userNames = new Map(r.users.map((u) => [u.id, u.email]));
      fill(users, r.users.map((u) => h('tr', { dataset: { userId: u.id, email: u.email } },
        h('td', null, u.email),
        h('td', null, h('select', {
          'aria-label': `Tier of ${u.email}`,
          onchange: async (e) => {
            try { await patch(`/admin/users/${u.id}`, { tier: e.target.value }); toast(`${u.email} is now ${e.target.value}.`, 'ok'); loadAudit(); } catch (err) { toast(errorText(err), 'error'); loadUsers(); }
          },
        }, TIERS.filter((t) => t !== 'anonymous').map((t) => h('option', { value: t, selected: t === u.tier }, t)))),
        h('td', null, toggle(u.is_admin, `${u.email} is admin`, async (e) => {
          try { await patch(`/admin/users/${u.id}`, { is_admin: e.target.checked }); loadAudit(); } catch (err) { e.target.checked = !e.target.checked; toast(errorText(err), 'error'); }
        })),
        h('td', { title: exact(u.created_at) }, ago(u.created_at)),
        h('td', null, u.last_login_at ? ago(u.last_login_at) : 'never'))));
    } catch (e) { fill(users, h('tr', null, h('td', { colspan: 5, class: 'down' }, errorText(e)))); }
  }
  async function loadBuiltins() {
    try {
      invalidateTraders();
      const list = [...(await traders()).values()].filter((t) => t.builtin);
      fill(builtins, list.map((t) => h('tr', null,
        h('td', null, h('a', { href: `/traders/${t.id}` }, t.name)),
        h('td', null, h('span', { class: 'pill' }, t.interval)),
        h('td', null, h('span', { class: `tier ${t.access_tier}` }, t.access_tier)),
        h('td', null, toggle(t.enabled, `Enable ${t.name}`, async (e) => {
          try { await post(`/traders/${t.id}/${e.target.checked ? 'enable' : 'disable'}`); invalidateTraders(); loadAudit(); } catch (err) { e.target.checked = !e.target.checked; toast(errorText(err), 'error'); }
        })))));
    } catch (e) { fill(builtins, h('tr', null, h('td', { colspan: 4, class: 'down' }, errorText(e)))); }
  }
  async function loadExecs() {
    try {
      const r = await get('/executions?limit=50');
      fill(execs, r.executions.length ? r.executions.map((x) => h('tr', null,
        h('td', { title: exact(x.created_at) }, ago(x.created_at)),
        h('td', null, h('span', { class: 'pill' }, x.interval)),
        h('td', { class: 'mono' }, exact(x.open_time)),
        h('td', { class: 'num' }, x.traders_run), h('td', { class: 'num' }, x.symbols_checked),
        h('td', { class: 'num' }, x.symbols_matched), h('td', { class: 'num' }, x.signals),
        h('td', { class: 'num' }, `${num(x.duration_us / 1000, 2)} ms`),
        errorsCell(x.errors))) : h('tr', null, h('td', { colspan: 9, class: 'empty' }, 'No executions yet.')));
    } catch (e) { fill(execs, h('tr', null, h('td', { colspan: 9, class: 'down' }, errorText(e)))); }
  }
  async function loadAudit() {
    try {
      const r = await get('/admin/audit?limit=100');
      fill(audit, r.entries.length ? r.entries.map((a) => h('tr', null,
        h('td', { title: exact(a.created_at) }, ago(a.created_at)),
        h('td', null, a.actor_id ? userNames.get(a.actor_id) || `#${a.actor_id}` : 'system'),
        h('td', { class: 'mono' }, a.action), h('td', { class: 'mono' }, a.target),
        h('td', { class: 'mono muted' }, JSON.stringify(a.details).slice(0, 140)))) : h('tr', null, h('td', { colspan: 5, class: 'empty' }, 'No admin actions yet.')));
    } catch (e) { fill(audit, h('tr', null, h('td', { colspan: 5, class: 'down' }, errorText(e)))); }
  }
  await Promise.all([loadSwitch(), loadUsers()]);
  await Promise.all([loadBuiltins(), loadExecs(), loadAudit()]);
  const timer = setInterval(loadExecs, REFRESH_MS);
  return () => clearInterval(timer);
}

/** A run's errors: none, "paused" (the switch), or the failing traders in red. */
function errorsCell(errors) {
  const list = Array.isArray(errors) ? errors : [];
  if (!list.length) return h('td', { class: 'muted' }, '—');
  if (list.length === 1 && list[0] === 'paused') return h('td', { class: 'muted' }, 'paused');
  return h('td', { class: 'down', title: JSON.stringify(list) }, JSON.stringify(list).slice(0, 120));
}
