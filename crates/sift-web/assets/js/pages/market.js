// Market: the watched symbols with price, 24 h change and volume; sortable, searchable, live.

import { h, fill, th, go, errorText } from '../dom.js';
import { get } from '../api.js';
import * as live from '../live.js';
import { price, pct, compact, dir } from '../format.js';

const COLUMNS = [
  ['symbol', 'Symbol'], ['last_price', 'Price', true], ['change_percent', '24h change', true],
  ['high_price', '24h high', true], ['low_price', '24h low', true], ['quote_volume', '24h quote vol', true],
];
/** Re-render at most this often while tickers stream in. */
const PAINT_MS = 1000;

export async function mount(root) {
  const rows = new Map();
  let watched = null;
  let sortKey = 'quote_volume';
  let sortDir = -1;
  let query = '';
  let dirty = false;

  const thead = h('thead');
  const tbody = h('tbody');
  const note = h('span', { class: 'muted' });
  const search = h('input', {
    type: 'search', placeholder: 'Search symbols', 'aria-label': 'Search symbols', autofocus: true,
    oninput: (e) => { query = e.target.value.trim().toUpperCase(); paint(); },
  });
  fill(root, h('div', { class: 'panel' },
    h('div', { class: 'head' }, h('h1', null, 'Market'), note, h('div', { style: { flex: 1 } }), search),
    h('div', { class: 'table-wrap' }, h('table', { class: 'data', 'aria-label': 'Watched symbols' }, thead, tbody))));

  const sort = (key) => {
    if (sortKey === key) sortDir = -sortDir; else { sortKey = key; sortDir = key === 'symbol' ? 1 : -1; }
    paint();
  };

  function paint() {
    dirty = false;
    fill(thead, h('tr', null, COLUMNS.map(([key, label, isNum]) =>
      th(label, { key, num: isNum, sort, current: sortKey, dir: sortDir }))));
    const list = [...rows.values()]
      .filter((t) => (!watched || watched.has(t.symbol)) && (!query || t.symbol.includes(query)))
      .sort((a, b) => {
        const x = a[sortKey]; const y = b[sortKey];
        if (typeof x === 'string') return sortDir * x.localeCompare(y);
        return sortDir * ((x ?? -Infinity) - (y ?? -Infinity));
      });
    note.textContent = `${list.length} symbols`;
    fill(tbody, list.length ? list.map((t) => {
      const open = () => go(`/chart/${t.symbol}/1m`);
      return h('tr', { class: 'click', tabindex: 0, dataset: { symbol: t.symbol }, onclick: open, onkeydown: (e) => { if (e.key === 'Enter') open(); } },
        h('td', { class: 'sym' }, t.symbol),
        h('td', { class: 'num' }, price(t.last_price)),
        h('td', { class: 'num' }, h('span', { class: `chg ${dir(t.change_percent)}` }, pct(t.change_percent))),
        h('td', { class: 'num' }, price(t.high_price)),
        h('td', { class: 'num' }, price(t.low_price)),
        h('td', { class: 'num' }, compact(t.quote_volume)));
    }) : h('tr', null, h('td', { colspan: COLUMNS.length, class: 'empty' }, query ? 'No symbol matches.' : 'No tickers yet.')));
  }

  const off = live.on('ticker', (t) => { rows.set(t.symbol, t); dirty = true; });
  // Not while a row has the keyboard focus: re-rendering would take it away.
  const timer = setInterval(() => { if (dirty && !tbody.contains(document.activeElement)) paint(); }, PAINT_MS);
  try {
    const [tick, syms] = await Promise.all([get('/market/tickers'), get('/market/symbols')]);
    watched = new Set(syms.symbols.filter((s) => s.watched).map((s) => s.symbol));
    for (const t of tick.tickers) rows.set(t.symbol, live.tickers.get(t.symbol) ?? t);
  } catch (e) {
    root.prepend(h('div', { class: 'notice error', role: 'alert' }, errorText(e)));
  }
  paint();
  return () => { off(); clearInterval(timer); };
}
