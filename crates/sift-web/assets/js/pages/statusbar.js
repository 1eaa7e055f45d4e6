// The dashboard's status bar: connection, symbols watched, closes per minute, active
// traders, last update. Reads /health every few seconds and the stream's state.

import { h } from '../dom.js';
import { health } from '../api.js';
import * as live from '../live.js';
import { ago, num } from '../format.js';

const REFRESH_MS = 5000;

/** Builds the bar; `activeTraders()` counts the enabled traders shown. Returns {el, stop}. */
export function statusBar(activeTraders) {
  const cell = (k, id) => h('div', { class: 'stat' }, h('div', { class: 'k' }, k), h('div', { class: 'v', id }, '—'));
  const el = h('div', { class: 'panel statusbar', role: 'region', 'aria-label': 'Status' },
    cell('Connection', 'st-conn'), cell('Symbols watched', 'st-symbols'), cell('Closes / min', 'st-closes'),
    cell('Active traders', 'st-traders'), cell('Last update', 'st-last'));
  const set = (id, text, cls) => {
    const v = el.querySelector(`#${id}`);
    v.textContent = text;
    if (cls !== undefined) v.className = `v ${cls}`;
  };
  let market = null;
  const paint = () => {
    const s = live.streamState();
    set('st-conn', s === 'live' ? 'Live' : s === 'reconnecting' ? 'Reconnecting' : 'Connecting', s === 'live' ? 'up' : s === 'reconnecting' ? 'down' : '');
    set('st-symbols', market ? num(market.symbols_watched, 0) : '—');
    set('st-closes', market?.closes_per_sec !== undefined ? num(market.closes_per_sec * 60, 0) : '—');
    set('st-traders', String(activeTraders()));
    const last = Math.max(live.lastEventAt, market?.at || 0);
    set('st-last', last ? ago(last) : '—');
  };
  const poll = async () => {
    try {
      const report = await health();
      const d = report?.components?.market?.details;
      if (d) market = { ...d, at: Date.now() - (d.last_message_age_ms || 0) };
    } catch { /* the stream state already says the server is away */ }
    paint();
  };
  poll();
  const timer = setInterval(poll, REFRESH_MS);
  const tick = setInterval(paint, 1000);
  const off = live.on('state', paint);
  return { el, repaint: paint, stop: () => { clearInterval(timer); clearInterval(tick); off(); } };
}
