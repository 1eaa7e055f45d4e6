// Chart page: a symbol and interval, live candles, the selected trader's indicators and
// signal markers (stored, live, or a backtest's), interval switcher.

import { h, fill, go, errorText } from '../dom.js';
import { get, post, qs } from '../api.js';
import { traders, hasHistory } from '../session.js';
import * as live from '../live.js';
import { Chart } from '../chart/chart.js';
import { plan } from '../chart/indicators.js';
import { intervalMs } from '../format.js';

const INTERVALS = ['1m', '5m', '15m', '1h', '4h', '1d'];
const CANDLES = 1000;

/** Where the editor leaves a backtest's signals for the chart (sessionStorage key). */
export const backtestKey = (traderId) => `sift.backtest.${traderId}`;

export async function mount(root, params, query) {
  let symbol = params.symbol;
  const interval = params.interval || '1m';
  const traderId = query.get('trader') ? Number(query.get('trader')) : null;
  const at = query.get('at') ? Number(query.get('at')) : null;
  const showBacktest = query.get('backtest') === '1';
  if (!symbol) {
    try {
      const t = await get('/market/tickers');
      const best = t.tickers.sort((a, b) => b.quote_volume - a.quote_volume)[0];
      if (best) { go(`/chart/${best.symbol}/${query.get('interval') || '1m'}${qs({ trader: traderId })}`); return undefined; }
    } catch (e) { fill(root, h('div', { class: 'notice error' }, errorText(e))); return undefined; }
    fill(root, h('div', { class: 'empty' }, 'No symbols yet: the market is still starting.'));
    return undefined;
  }
  const link = (s, i, tr = traderId) => `/chart/${s}/${i}${qs({ trader: tr })}`;
  const symbolIn = h('input', {
    type: 'search', value: symbol, 'aria-label': 'Symbol', size: 12, list: 'chart-symbols',
    onchange: (e) => { const s = e.target.value.trim().toUpperCase(); if (s) go(link(s, interval)); },
  });
  const seg = h('div', { class: 'seg', role: 'group', 'aria-label': 'Interval' },
    INTERVALS.map((i) => h('button', { type: 'button', 'aria-pressed': String(i === interval), onclick: () => go(link(symbol, i)) }, i)));
  const traderSel = h('select', { 'aria-label': 'Trader', onchange: (e) => go(link(symbol, interval, e.target.value || null)) },
    h('option', { value: '' }, 'No trader'));
  const note = h('span', { class: 'muted', id: 'chart-note' });
  const box = h('div', { class: 'chart-box', tabindex: 0, 'aria-label': `${symbol} ${interval} chart. Arrow keys pan, plus and minus zoom, End returns to the latest candle.` });
  fill(root, h('div', { class: 'chart-page' },
    h('div', { class: 'page-head' }, h('h1', null, symbol), symbolIn, seg, traderSel, note),
    box, h('datalist', { id: 'chart-symbols' })));

  const chart = new Chart(box, intervalMs(interval));
  const markers = [];
  let trader = null;
  const offs = [];
  const release = live.want(`candles:${symbol}:${interval}`);
  offs.push(release);
  offs.push(live.on('candle', (ev) => {
    if (ev.symbol !== symbol || ev.interval !== interval) return;
    chart.upsert(ev.candle);
  }));
  offs.push(live.on('signal', (s) => {
    if (!trader || s.trader_id !== trader.id || s.symbol !== symbol || s.interval !== interval) return;
    markers.push({ time: s.open_time, label: 'S' });
    chart.setMarkers(markers);
  }));

  const notes = [];
  try {
    const [k, map, syms] = await Promise.all([
      get(`/market/klines/${symbol}/${interval}?limit=${CANDLES}`), traders(), get('/market/symbols'),
    ]);
    fill(root.querySelector('#chart-symbols'), syms.symbols.filter((s) => s.watched).map((s) => h('option', { value: s.symbol })));
    for (const t of [...map.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      traderSel.append(h('option', { value: t.id, selected: t.id === traderId }, `${t.name} (${t.interval})`));
    }
    chart.setCandles(k.candles);
    if (!k.candles.length) notes.push(`no ${interval} candles stored for ${symbol}`);
    trader = traderId ? map.get(traderId) : null;
    if (traderId && !trader) notes.push('that trader is not available to you');
    if (trader) {
      if (trader.interval !== interval) notes.push(`${trader.name} runs on ${trader.interval}`);
      const v = await post('/traders/validate', { rule: trader.rule, interval: trader.interval });
      const { refs, skipped } = plan(v.references);
      chart.setStudies(refs);
      if (skipped.length) notes.push(`not drawn: ${skipped.join(', ')}`);
      if (hasHistory()) {
        const page = await get(`/signals${qs({ trader_id: trader.id, symbol, interval, limit: 500 })}`);
        for (const s of page.signals) markers.push({ time: s.open_time, label: 'S' });
      }
      if (showBacktest) {
        const bt = JSON.parse(sessionStorage.getItem(backtestKey(trader.id)) || 'null');
        for (const s of bt?.signals || []) if (s.symbol === symbol) markers.push({ time: s.open_time, label: 'B', color: '#f59e0b' });
        notes.push('B: backtest signals');
      }
      chart.setMarkers(markers);
    }
    if (at) chart.focusTime(at);
  } catch (e) {
    notes.push(errorText(e));
  }
  note.textContent = notes.join(' · ');
  box.focus({ preventScroll: true });
  return () => { offs.forEach((f) => f()); chart.destroy(); };
}
