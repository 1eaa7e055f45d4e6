// Create or edit a trader: name, interval, symbols, cooldown, enabled, and the rule with
// live diagnostics; then preview, backtest, save or delete.

import { h, fill, toggle, toast, errorText, confirmDialog, go } from '../dom.js';
import { post, patch, del } from '../api.js';
import { session, traders, invalidateTraders, quota } from '../session.js';
import { ruleInput } from './ruleinput.js';
import { previewPanel, backtestPanel } from './evalpanels.js';
import { chartLink } from './traders.js';
import { aiDraftBox } from './aidraft.js';
import { notifyPicker } from './channels.js';

const INTERVALS = ['1m', '5m', '15m', '1h', '4h', '1d'];

export async function mount(root, params) {
  const me = session.me;
  const isNew = params.id === 'new';
  let trader = null;
  if (!isNew) {
    try { trader = (await traders()).get(Number(params.id)); } catch (e) { fill(root, h('div', { class: 'notice error' }, errorText(e))); return undefined; }
    if (!trader) { fill(root, h('div', { class: 'empty' }, 'No such trader, or it is not available to you. ', h('a', { href: '/traders' }, 'All traders'))); return undefined; }
  } else if (!me) { go('/login'); return undefined; }
  const editable = isNew || !trader.builtin || me?.is_admin;

  const t = trader || { name: '', description: '', interval: '5m', rule: '', symbols: 'all', cooldown_bars: 5, enabled: true };
  const name = h('input', { type: 'text', id: 'trader-name', value: t.name, required: true, maxlength: 100, readOnly: !editable, placeholder: 'e.g. RSI bounce' });
  const description = h('input', { type: 'text', value: t.description, readOnly: !editable, placeholder: 'What it looks for (optional)' });
  const interval = h('select', { id: 'trader-interval', disabled: !editable, onchange: () => rule.check() },
    INTERVALS.map((i) => h('option', { value: i, selected: i === t.interval }, i)));
  const symbolsIn = h('input', {
    type: 'text', readOnly: !editable, placeholder: 'all, top 50, or BTCUSDT, ETHUSDT',
    value: t.symbols === 'all' ? 'all' : Array.isArray(t.symbols) ? t.symbols.join(', ') : `top ${t.symbols.top}`,
  });
  const cooldown = h('input', { type: 'number', min: 0, max: 10000, value: t.cooldown_bars, readOnly: !editable, style: { width: '90px' } });
  const enabled = toggle(t.enabled, 'Enabled', () => {});
  enabled.querySelector('input').disabled = !editable;
  const formError = h('div', { class: 'form-error', role: 'alert', id: 'save-error' });
  const saveBtn = h('button', { class: 'btn primary', type: 'submit', id: 'save' }, isNew ? 'Create trader' : 'Save');
  const rule = ruleInput(t.rule, () => interval.value, () => {}, !editable);
  // Own traders notify the owner's channels; built-ins notify nobody.
  const notify = me && (isNew || trader.owner_id === me.id) ? await notifyPicker(t.channels, !editable) : null;

  function symbolsValue() {
    const s = symbolsIn.value.trim();
    if (!s || s.toLowerCase() === 'all') return 'all';
    const top = /^top\s*(\d+)$/i.exec(s);
    if (top) return { top: Number(top[1]) };
    return s.split(/[\s,]+/).filter(Boolean).map((x) => x.toUpperCase());
  }

  async function save(e) {
    e.preventDefault();
    formError.textContent = '';
    const body = {
      name: name.value.trim(), description: description.value, interval: interval.value, rule: rule.value(),
      symbols: symbolsValue(), cooldown_bars: Number(cooldown.value) || 0, enabled: enabled.querySelector('input').checked,
    };
    if (notify) body.channels = notify.value();
    saveBtn.disabled = true;
    try {
      const saved = isNew ? await post('/traders', body) : await patch(`/traders/${trader.id}`, body);
      invalidateTraders();
      toast(isNew ? `${saved.name} created: it runs at every ${saved.interval} close.` : 'Saved.', 'ok');
      go(`/traders/${saved.id}`);
    } catch (err) {
      formError.textContent = errorText(err);
      if (err.details?.diagnostics) rule.check();
    } finally { saveBtn.disabled = false; }
  }

  const used = isNew ? [...(await traders()).values()].filter((x) => !x.builtin).length : 0;
  const q = quota();
  const field = (label, input, extra) => h('label', { class: 'field' }, h('span', null, label), input, extra);
  const form = h('form', { class: 'panel', onsubmit: save, id: 'trader-form' },
    h('div', { class: 'head' }, h('h2', null, 'Definition'), h('span', { style: { flex: 1 } }),
      editable ? h('label', { class: 'row muted' }, enabled, 'Enabled') : null),
    h('div', { class: 'body stack' },
      h('div', { class: 'row', style: { alignItems: 'flex-end' } },
        h('div', { style: { flex: '2 1 220px' } }, field('Name', name)), field('Interval', interval), field('Cooldown (bars)', cooldown)),
      h('div', { class: 'field' }, h('span', { class: 'muted', style: { fontWeight: 550, fontSize: '12px' } }, 'Rule'), rule.el),
      h('div', { class: 'row', style: { alignItems: 'flex-end' } },
        h('div', { style: { flex: '1 1 200px' } }, field('Symbols', symbolsIn)),
        h('div', { style: { flex: '2 1 260px' } }, field('Description', description))),
      notify ? notify.el : null,
      editable ? h('div', { class: 'row' }, saveBtn, formError) : h('div', { class: 'muted' }, 'Built-in traders are read-only.')));

  const head = h('div', { class: 'page-head' },
    h('a', { href: '/traders', class: 'muted' }, '← Traders'),
    h('h1', null, isNew ? 'New trader' : trader.name),
    trader?.builtin ? h('span', { class: `tier ${trader.access_tier}` }, `built-in · ${trader.access_tier}`) : null,
    isNew && q !== Infinity ? h('span', { class: 'muted' }, `${used} of ${q} used`) : null,
    h('div', { class: 'spacer' }),
    trader ? h('a', { class: 'btn', href: chartLink(trader) }, 'Chart') : null,
    trader && !trader.builtin ? h('button', {
      class: 'btn danger', type: 'button',
      onclick: async () => {
        if (!(await confirmDialog('Delete trader', `Delete "${trader.name}"? Its signals stay in history.`))) return;
        try { await del(`/traders/${trader.id}`); invalidateTraders(); toast('Trader deleted.', 'ok'); go('/traders'); } catch (e) { toast(errorText(e), 'error'); }
      },
    }, 'Delete') : null);

  const preview = me ? previewPanel(
    () => (trader && !editable ? post(`/traders/${trader.id}/preview`) : post('/traders/preview', { rule: rule.value(), interval: interval.value, symbols: symbolsValue() })),
    () => interval.value) : null;
  const draft = editable && me && (isNew || !trader.builtin) ? aiDraftBox(() => interval.value, (d) => {
    if (!name.value.trim()) name.value = d.name || '';
    if (!description.value.trim()) description.value = d.description || '';
    interval.value = d.interval || interval.value;
    rule.textarea.value = d.rule;
    rule.check();
  }) : null;
  fill(root, head,
    isNew && used >= q ? h('div', { class: 'notice warn' }, q === 0 ? `Your ${me.tier} tier cannot have own traders.` : `All ${q} of your traders are used: delete one first.`) : null,
    h('div', { class: 'editor' }, form, h('div', { class: 'stack' }, isNew ? draft : null, preview, me ? backtestPanel(trader) : h('div', { class: 'notice' }, h('a', { href: '/login' }, 'Sign in'), ' to preview and backtest.'), isNew ? null : draft)));
  rule.check();
  if (editable) (isNew ? name : rule.textarea).focus();
  return undefined;
}
