// Dashboard: the status bar and the live signal table (history pages for tiers with
// history, live rows with a highlight and optional sound, filters, click to chart).

import { h, fill, toggle, go, errorText } from '../dom.js';
import { get, qs } from '../api.js';
import { session, traders, hasHistory } from '../session.js';
import * as live from '../live.js';
import { price, pct, compact, ago, exact, change, dir } from '../format.js';
import { statusBar } from './statusbar.js';

/** Rows kept in the table; older ones are dropped (the history pager reloads them). */
const MAX_ROWS = 500;
const PAGE = 50;
const SOUND_KEY = 'sift.sound';

export async function mount(root) {
  let traderMap = new Map();
  const filters = { trader: '', symbol: '', interval: '' };
  let rows = [];
  let cursor = null;
  let loading = false;
  const bar = statusBar(() => [...traderMap.values()].filter((t) => t.enabled).length);

  const tbody = h('tbody');
  const table = h('table', { class: 'data', 'aria-label': 'Signals' },
    h('thead', null, h('tr', null,
      h('th', { scope: 'col' }, 'Time'), h('th', { scope: 'col' }, 'Symbol'), h('th', { scope: 'col' }, 'Trader'),
      h('th', { scope: 'col', class: 'hide-sm' }, 'Interval'), h('th', { class: 'num hide-sm', scope: 'col' }, 'Price at signal'),
      h('th', { class: 'num', scope: 'col' }, 'Current price'), h('th', { class: 'num', scope: 'col' }, 'Change since'),
      h('th', { class: 'num hide-sm', scope: 'col' }, '24h quote vol'))),
    tbody);
  const empty = h('div', { class: 'empty' });
  const more = h('button', { class: 'btn', type: 'button', hidden: true, onclick: () => loadPage(false) }, 'Load older signals');
  const count = h('span', { class: 'muted', id: 'sig-count' });

  const traderSel = h('select', { 'aria-label': 'Filter by trader', onchange: (e) => { filters.trader = e.target.value; reload(); } },
    h('option', { value: '' }, 'All traders'));
  const symbolIn = h('input', { type: 'search', placeholder: 'Symbol', 'aria-label': 'Filter by symbol', size: 12, list: 'dash-symbols',
    onchange: (e) => { filters.symbol = e.target.value.trim().toUpperCase(); reload(); } });
  const intervalSel = h('select', { 'aria-label': 'Filter by interval', onchange: (e) => { filters.interval = e.target.value; reload(); } },
    h('option', { value: '' }, 'All intervals'), ['1m', '5m', '15m', '1h', '4h', '1d'].map((i) => h('option', { value: i }, i)));
  const sound = toggle(localStorage.getItem(SOUND_KEY) === '1', 'Sound on new signals',
    (e) => localStorage.setItem(SOUND_KEY, e.target.checked ? '1' : '0'));

  const prompt = session.me ? null : h('div', { class: 'notice', role: 'note' },
    h('span', null, 'You are watching the free built-in traders live. ',
      h('strong', null, 'Sign in'), ' for signal history, more built-ins and your own rules.'),
    h('a', { href: '/login', class: 'btn small primary' }, 'Sign in'),
    h('a', { href: '/register', class: 'btn small' }, 'Create an account'));

  fill(root,
    bar.el, prompt,
    h('div', { class: 'panel' },
      h('div', { class: 'head' }, h('h1', null, 'Signals'), count, h('div', { class: 'spacer', style: { flex: 1 } }),
        h('div', { class: 'row' }, traderSel, symbolIn, intervalSel,
          h('label', { class: 'row muted', style: { gap: '6px' } }, sound, 'Sound'))),
      h('div', { class: 'table-wrap' }, table, empty),
      h('div', { class: 'pager' }, more)),
    h('datalist', { id: 'dash-symbols' }));

  const matches = (s) => (!filters.trader || String(s.trader_id) === filters.trader)
    && (!filters.symbol || s.symbol === filters.symbol)
    && (!filters.interval || s.interval === filters.interval);

  function cells(s) {
    const t = live.tickers.get(s.symbol);
    const current = t?.last_price;
    const ch = change(s.price, current);
    return [
      h('td', { title: `${exact(s.created_at)} (candle ${exact(s.open_time)})`, class: 'rel', dataset: { t: s.created_at } }, ago(s.created_at)),
      h('td', { class: 'sym' }, s.symbol),
      h('td', null, traderMap.get(s.trader_id)?.name ?? `#${s.trader_id}`),
      h('td', { class: 'hide-sm' }, h('span', { class: 'pill' }, s.interval)),
      h('td', { class: 'num hide-sm' }, price(s.price)),
      h('td', { class: 'num cur' }, price(current)),
      h('td', { class: 'num ch' }, h('span', { class: `chg ${dir(ch)}` }, pct(ch))),
      h('td', { class: 'num vol hide-sm' }, compact(t?.quote_volume)),
    ];
  }

  function rowEl(s, fresh) {
    const open = () => go(`/chart/${s.symbol}/${s.interval}?trader=${s.trader_id}&at=${s.open_time}`);
    const tr = h('tr', {
      class: `click${fresh ? ' flash' : ''}`, tabindex: 0, dataset: { signalId: s.id, symbol: s.symbol, traderId: s.trader_id, live: fresh ? '1' : '0' },
      onclick: open, onkeydown: (e) => { if (e.key === 'Enter') open(); },
      title: `Open the ${s.symbol} chart at this signal`,
    }, cells(s));
    return tr;
  }

  function paintEmpty() {
    empty.hidden = rows.length > 0;
    fill(empty, loading ? 'Loading…' : hasHistory()
      ? 'No signals match yet. New ones appear here as candles close.'
      : 'Waiting for the next signal: they appear here live as candles close.');
    count.textContent = rows.length ? `${rows.length} shown` : '';
  }

  function add(s, fresh) {
    if (rows.some((r) => r.s.id === s.id)) return;
    const tr = rowEl(s, fresh);
    if (fresh) { rows.unshift({ s, tr }); tbody.prepend(tr); } else { rows.push({ s, tr }); tbody.append(tr); }
    while (rows.length > MAX_ROWS) { rows.pop().tr.remove(); cursor = cursor ?? 'trimmed'; }
  }

  async function loadPage(first) {
    if (!hasHistory()) { paintEmpty(); return; }
    loading = true; paintEmpty();
    try {
      const page = await get(`/signals${qs({
        limit: PAGE, trader_id: filters.trader, symbol: filters.symbol, interval: filters.interval,
        cursor: first ? null : (cursor === 'trimmed' ? null : cursor),
      })}`);
      if (first) { rows = []; tbody.replaceChildren(); }
      for (const s of page.signals) add(s, false);
      cursor = page.next_cursor;
      more.hidden = !cursor || rows.length >= MAX_ROWS;
    } catch (e) {
      fill(empty, h('span', { class: 'down' }, `Could not load signals: ${errorText(e)}`));
      empty.hidden = false; loading = false; return;
    }
    loading = false; paintEmpty();
  }

  function reload() { rows = []; tbody.replaceChildren(); cursor = null; loadPage(true); }

  let audio = null;
  function beep() {
    if (!sound.querySelector('input').checked) return;
    try {
      audio = audio || new AudioContext();
      const o = audio.createOscillator(); const g = audio.createGain();
      o.frequency.value = 880; g.gain.setValueAtTime(0.08, audio.currentTime);
      g.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.18);
      o.connect(g).connect(audio.destination); o.start(); o.stop(audio.currentTime + 0.2);
    } catch { /* no audio device */ }
  }

  const offs = [
    live.on('signal', (s) => {
      if (!matches(s)) return;
      add(s, true); paintEmpty(); beep();
    }),
    live.on('ticker', (t) => {
      for (const r of rows) {
        if (r.s.symbol !== t.symbol) continue;
        const ch = change(r.s.price, t.last_price);
        r.tr.querySelector('.cur').textContent = price(t.last_price);
        fill(r.tr.querySelector('.ch'), h('span', { class: `chg ${dir(ch)}` }, pct(ch)));
        r.tr.querySelector('.vol').textContent = compact(t.quote_volume);
      }
    }),
    live.on('resync', () => reload()),
    live.on('reconnected', () => { if (hasHistory()) reload(); }),
  ];
  const clock = setInterval(() => {
    const now = Date.now();
    for (const td of tbody.querySelectorAll('td.rel')) td.textContent = ago(Number(td.dataset.t), now);
  }, 5000);

  paintEmpty();
  try {
    const [map, tick, syms] = await Promise.all([traders(), get('/market/tickers'), get('/market/symbols')]);
    traderMap = map;
    for (const t of tick.tickers) if (!live.tickers.has(t.symbol)) live.tickers.set(t.symbol, t);
    for (const t of [...map.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      traderSel.append(h('option', { value: t.id }, `${t.name} (${t.interval})`));
    }
    fill(root.querySelector('#dash-symbols'), syms.symbols.filter((s) => s.watched).map((s) => h('option', { value: s.symbol })));
    bar.repaint();
  } catch (e) {
    root.prepend(h('div', { class: 'notice error', role: 'alert' }, errorText(e)));
  }
  await loadPage(true);

  return () => { offs.forEach((f) => f()); clearInterval(clock); bar.stop(); };
}
