// The editor's evaluation panels: "matches now" (preview over stored candles) and the
// one-click backtest with its summary table and signals per symbol (opened on the chart).

import { h, fill, errorText } from '../dom.js';
import { post } from '../api.js';
import { price, pct, num } from '../format.js';
import { backtestKey } from './chart.js';

/** "Matches now": `request()` returns the preview promise (saved trader or unsaved rule). */
export function previewPanel(request, interval) {
  const out = h('div', { id: 'preview-out', class: 'muted' }, 'Which symbols match the rule on the latest closed candle.');
  const btn = h('button', {
    class: 'btn', type: 'button',
    onclick: async () => {
      btn.disabled = true; fill(out, 'Evaluating…');
      try {
        const r = await request();
        fill(out, h('div', { class: 'muted' }, `${r.matches.length} of ${r.checked} symbols match now (${r.interval}).`),
          r.matches.length ? h('table', { class: 'data' },
            h('thead', null, h('tr', null, h('th', null, 'Symbol'), h('th', { class: 'num' }, 'Price'), h('th', null, 'Values'))),
            h('tbody', null, r.matches.slice(0, 50).map((m) => h('tr', { class: 'click', onclick: () => window.dispatchEvent(new CustomEvent('sift:navigate', { detail: `/chart/${m.symbol}/${interval()}` })) },
              h('td', { class: 'sym' }, m.symbol), h('td', { class: 'num' }, price(m.price)),
              h('td', { class: 'mono muted' }, Object.entries(m.values || {}).slice(0, 4).map(([k, v]) => `${k}=${num(v, 4)}`).join('  ')))))) : null);
      } catch (e) { fill(out, h('span', { class: 'down' }, errorText(e))); } finally { btn.disabled = false; }
    },
  }, 'Matches now');
  return h('section', { class: 'panel' }, h('div', { class: 'head' }, h('h2', null, 'Preview'), h('span', { style: { flex: 1 } }), btn), h('div', { class: 'body' }, out));
}

/** The backtest over stored candles of a saved trader. */
export function backtestPanel(trader) {
  const out = h('div', { id: 'backtest-out', class: 'muted' }, trader ? 'Replays the stored candles through this trader.' : 'Save the trader to backtest it.');
  const btn = h('button', {
    class: 'btn', type: 'button', disabled: !trader,
    onclick: async () => {
      btn.disabled = true; fill(out, 'Backtesting…');
      try {
        const r = await post(`/traders/${trader.id}/backtest`, {});
        sessionStorage.setItem(backtestKey(trader.id), JSON.stringify({ signals: r.signals.map((s) => ({ symbol: s.symbol, open_time: s.open_time })) }));
        const bySymbol = new Map();
        for (const s of r.signals) bySymbol.set(s.symbol, (bySymbol.get(s.symbol) || 0) + 1);
        fill(out,
          h('div', null, `${r.signal_count} signals over ${r.symbols} symbols (${r.interval})${r.truncated ? `, first ${r.signals.length} listed` : ''}.`),
          h('table', { class: 'data bt-summary', id: 'backtest-summary' },
            h('thead', null, h('tr', null, h('th', null, 'After'), h('th', { class: 'num' }, 'Signals'), h('th', { class: 'num' }, 'Hit rate'), h('th', { class: 'num' }, 'Mean return'))),
            h('tbody', null, r.horizons.map((z) => h('tr', null,
              h('td', null, `${z.bars} bar${z.bars === 1 ? '' : 's'}`), h('td', { class: 'num' }, z.count),
              h('td', { class: 'num' }, z.hit_rate === null ? '—' : `${(z.hit_rate * 100).toFixed(1)}%`),
              h('td', { class: `num ${z.mean > 0 ? 'up' : z.mean < 0 ? 'down' : ''}` }, pct(z.mean)))))),
          bySymbol.size ? h('div', { class: 'chips', style: { marginTop: '8px' } }, [...bySymbol.entries()].sort((a, b) => b[1] - a[1]).slice(0, 24).map(([s, n]) =>
            h('a', { class: 'pill', href: `/chart/${s}/${r.interval}?trader=${trader.id}&backtest=1`, title: `Show ${s} with the backtest signals` }, `${s} ${n}`))) : null);
      } catch (e) { fill(out, h('span', { class: 'down' }, errorText(e))); } finally { btn.disabled = false; }
    },
  }, 'Run backtest');
  return h('section', { class: 'panel' }, h('div', { class: 'head' }, h('h2', null, 'Backtest'), h('span', { style: { flex: 1 } }), btn), h('div', { class: 'body' }, out));
}
