// Traders: the built-ins I may see (by category) and mine, each with rule, interval,
// enabled switch, recent signals; create (within the quota), edit, delete.

import { h, fill, toggle, toast, errorText, confirmDialog, go } from '../dom.js';
import { get, post, del } from '../api.js';
import { session, traders, invalidateTraders, quota, hasHistory } from '../session.js';
import { ago } from '../format.js';

export async function mount(root) {
  const me = session.me;
  let map;
  let recent = new Map();
  try {
    map = await traders();
    if (hasHistory()) {
      const page = await get('/signals?limit=500');
      for (const s of page.signals) {
        const r = recent.get(s.trader_id) || { count: 0, last: 0 };
        r.count += 1; r.last = Math.max(r.last, s.created_at);
        recent.set(s.trader_id, r);
      }
    }
  } catch (e) {
    fill(root, h('div', { class: 'notice error', role: 'alert' }, errorText(e)));
    return undefined;
  }
  const all = [...map.values()];
  const mine = all.filter((t) => !t.builtin);
  const builtins = all.filter((t) => t.builtin);
  const q = quota();
  const canCreate = me && mine.length < q;
  const quotaText = me ? (q === Infinity ? `${mine.length} own traders` : `${mine.length} of ${q} used`) : '';

  function card(t) {
    const editable = !t.builtin || me?.is_admin;
    const r = recent.get(t.id);
    const sw = editable ? toggle(t.enabled, `Enable ${t.name}`, async (e) => {
      const on = e.target.checked;
      try {
        await post(`/traders/${t.id}/${on ? 'enable' : 'disable'}`);
        t.enabled = on; invalidateTraders();
        toast(`${t.name} ${on ? 'enabled' : 'disabled'}.`, 'ok', 2500);
      } catch (err) { e.target.checked = !on; toast(errorText(err), 'error'); }
    }) : h('span', { class: `pill ${t.enabled ? 'up' : 'faint'}` }, t.enabled ? 'on' : 'off');
    return h('article', { class: 'panel trader', dataset: { traderId: t.id }, 'aria-label': t.name },
      h('div', { class: 'top' },
        h('a', { class: 'name', href: `/traders/${t.id}`, title: t.description || t.name }, t.name),
        h('span', { class: 'pill' }, t.interval),
        t.builtin ? h('span', { class: `tier ${t.access_tier}` }, t.access_tier) : null, sw),
      t.description ? h('div', { class: 'muted' }, t.description) : null,
      h('pre', { class: 'mono' }, t.rule.trim()),
      h('div', { class: 'meta' },
        h('span', null, symbolsText(t.symbols)),
        h('span', null, `cooldown ${t.cooldown_bars} bars`),
        hasHistory() ? h('span', null, r ? `${r.count} recent signals, last ${ago(r.last)}` : 'no recent signals') : null,
        h('span', { style: { flex: 1 } }),
        h('a', { href: chartLink(t) }, 'Chart'),
        editable ? h('a', { href: `/traders/${t.id}` }, 'Edit') : h('a', { href: `/traders/${t.id}` }, 'View'),
        !t.builtin ? h('button', {
          class: 'btn small danger', type: 'button',
          onclick: async () => {
            if (!(await confirmDialog('Delete trader', `Delete "${t.name}" and stop its signals? This cannot be undone.`))) return;
            try { await del(`/traders/${t.id}`); invalidateTraders(); toast('Trader deleted.', 'ok'); mount(root); } catch (err) { toast(errorText(err), 'error'); }
          },
        }, 'Delete') : null));
  }

  const byCat = new Map();
  for (const t of builtins) {
    const c = t.category || 'other';
    if (!byCat.has(c)) byCat.set(c, []);
    byCat.get(c).push(t);
  }
  const newBtn = h('button', {
    class: 'btn primary', type: 'button', disabled: !canCreate, onclick: () => go('/traders/new'),
    title: canCreate ? 'Write a new rule' : me ? (q === 0 ? 'Own traders need the pro tier' : 'Quota used: delete one first') : 'Sign in first',
  }, 'New trader');
  fill(root,
    h('div', { class: 'page-head' }, h('h1', null, 'Traders'), h('span', { class: 'muted', id: 'quota' }, quotaText), h('div', { class: 'spacer' }), newBtn),
    !me ? h('div', { class: 'notice' }, 'You see the free built-ins. ', h('a', { href: '/login' }, 'Sign in'), ' to see more and write your own.') : null,
    me && q === 0 ? h('div', { class: 'notice' }, `Your ${me.tier} tier has no own traders on this server. Ask an admin to upgrade you.`) : null,
    me && q !== 0 ? h('section', null,
      h('div', { class: 'cat-title' }, 'Mine'),
      mine.length ? h('div', { class: 'traders' }, mine.map(card)) : h('div', { class: 'panel empty' }, 'No traders yet: ', h('a', { href: '/traders/new' }, 'write your first rule'), '.')) : null,
    [...byCat.keys()].sort().map((c) => h('section', null,
      h('div', { class: 'cat-title' }, `Built-in · ${c}`),
      h('div', { class: 'traders' }, byCat.get(c).map(card)))));
  return undefined;
}

function symbolsText(s) {
  if (s === 'all') return 'all symbols';
  if (Array.isArray(s)) return s.length > 3 ? `${s.slice(0, 3).join(', ')} +${s.length - 3}` : s.join(', ');
  if (s && s.top) return `top ${s.top}`;
  return '';
}

/** The chart of a trader: its first symbol, or the busiest one. */
export function chartLink(t) {
  return Array.isArray(t.symbols) && t.symbols.length
    ? `/chart/${t.symbols[0]}/${t.interval}?trader=${t.id}`
    : `/chart?trader=${t.id}&interval=${t.interval}`;
}
