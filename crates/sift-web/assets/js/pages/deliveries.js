// One channel's deliveries (`GET /channels/{id}/deliveries`): status, attempts, last status
// code, latency, error and time, each with its attempt log expandable. Refreshes itself while
// a delivery is pending and the view is on screen.

import { h, fill, errorText } from '../dom.js';
import { get } from '../api.js';
import { exact, ago } from '../format.js';

/** How often a view with pending deliveries asks again (ms). */
const POLL_MS = 1500;
const STATUS_CLASS = { sent: 'up', failed: 'down', pending: 'faint' };

/** The deliveries panel of channel `c`; `close()` hides it. */
export function deliveriesView(c, close) {
  const body = h('tbody');
  const note = h('span', { class: 'muted', role: 'status' }, 'loading…');
  const open = new Set();
  let timer = null;

  function attemptsRow(d) {
    return h('tr', { class: 'attempts' }, h('td', { colspan: 7 },
      d.attempt_log.length ? h('table', { class: 'data inner', 'aria-label': `Attempts of delivery ${d.id}` },
        h('thead', null, h('tr', null, h('th', null, '#'), h('th', null, 'Code'), h('th', { class: 'num' }, 'Latency'), h('th', null, 'Error'), h('th', null, 'Time'))),
        h('tbody', null, d.attempt_log.map((a) => h('tr', null,
          h('td', null, a.attempt),
          h('td', null, code(a.status_code)),
          h('td', { class: 'num' }, `${a.latency_ms} ms`),
          h('td', { class: a.error ? 'down wrap' : 'muted' }, a.error || '—'),
          h('td', { title: exact(a.created_at) }, ago(a.created_at))))))
        : h('div', { class: 'muted' }, d.status === 'pending' ? `Not tried yet; next try ${ago(d.next_attempt_at)}.` : 'No attempts recorded.')));
  }

  function rows(d) {
    const expanded = open.has(d.id);
    const btn = h('button', {
      class: 'btn small', type: 'button', 'aria-expanded': String(expanded),
      onclick: () => { if (open.has(d.id)) open.delete(d.id); else open.add(d.id); render(last); },
    }, `${expanded ? '▾' : '▸'} log (${d.attempt_log.length})`);
    const main = h('tr', { dataset: { deliveryId: d.id, status: d.status } },
      h('td', null, h('span', { class: `pill ${STATUS_CLASS[d.status] || ''}` }, d.status), d.signal_id === null ? h('span', { class: 'muted' }, ' test') : null),
      h('td', { class: 'num' }, d.attempts),
      h('td', null, code(d.last_status_code)),
      h('td', { class: 'num' }, d.latency_ms === null ? '—' : `${d.latency_ms} ms`),
      h('td', { class: d.last_error ? 'down wrap' : 'muted', title: d.last_error || '' }, d.last_error || '—'),
      h('td', { title: exact(d.updated_at) }, ago(d.updated_at)),
      h('td', { class: 'num' }, btn));
    return expanded ? [main, attemptsRow(d)] : [main];
  }

  let last = [];
  function render(list) {
    last = list;
    fill(body, list.length ? list.map(rows) : h('tr', null, h('td', { colspan: 7, class: 'empty' }, 'No deliveries yet: send a test.')));
  }

  async function load() {
    clearTimeout(timer);
    if (!panel.isConnected && last.length) return;
    try {
      const r = await get(`/channels/${c.id}/deliveries?limit=50`);
      render(r.deliveries);
      const pending = r.deliveries.filter((d) => d.status === 'pending').length;
      note.textContent = pending ? `${pending} pending, refreshing…` : `${r.deliveries.length} latest`;
      if (pending) timer = setTimeout(() => { if (panel.isConnected) load(); }, POLL_MS);
    } catch (e) { note.textContent = errorText(e); }
  }

  const panel = h('section', { class: 'panel', id: 'deliveries', dataset: { channelId: c.id }, style: { marginTop: '12px' } },
    h('div', { class: 'head' }, h('h2', null, `Deliveries · ${c.name}`), note, h('span', { style: { flex: 1 } }),
      h('button', { class: 'btn small', type: 'button', onclick: load }, 'Refresh'),
      h('button', { class: 'btn small', type: 'button', 'aria-label': 'Close deliveries', onclick: () => { clearTimeout(timer); close(); } }, 'Close')),
    h('div', { class: 'table-wrap' }, h('table', { class: 'data', 'aria-label': 'Deliveries' },
      h('thead', null, h('tr', null, h('th', null, 'Status'), h('th', { class: 'num' }, 'Attempts'), h('th', null, 'Last code'),
        h('th', { class: 'num' }, 'Latency'), h('th', null, 'Error'), h('th', null, 'Time'), h('th'))),
      body)));
  load();
  return panel;
}

function code(status) {
  if (status === null || status === undefined) return h('span', { class: 'muted' }, '—');
  return h('span', { class: status >= 200 && status < 300 ? 'up' : 'down' }, String(status));
}
