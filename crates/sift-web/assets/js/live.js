// The live stream: one EventSource for the whole app. Pages subscribe to topics and events;
// the connection is re-opened when the topics or the session change, reconnects by itself
// with backoff when lost, and reports its state ('connecting' | 'live' | 'reconnecting').

const handlers = { signal: new Set(), ticker: new Set(), candle: new Set(), resync: new Set(), state: new Set(), reconnected: new Set() };
const wants = new Map();
/** Latest 24 h ticker per symbol, kept from the stream (and seeded by pages from REST). */
export const tickers = new Map();

let source = null;
let lastId = null;
let state = 'connecting';
let everOpen = false;
let wasDown = false;
let retryMs = 1000;
let retryTimer = null;
let reopenTimer = null;
/** Time of the last event of any kind (ms). */
export let lastEventAt = 0;
/** How many times a lost stream came back. */
let reconnects = 0;

/** Subscribes to 'signal' | 'ticker' | 'candle' | 'resync' | 'state' | 'reconnected'. */
export function on(event, fn) {
  handlers[event].add(fn);
  return () => handlers[event].delete(fn);
}

/** Asks for a topic (`candles:BTCUSDT:1m`) while the returned function is not called. */
export function want(topic) {
  wants.set(topic, (wants.get(topic) || 0) + 1);
  scheduleReopen();
  return () => {
    const n = (wants.get(topic) || 1) - 1;
    if (n <= 0) wants.delete(topic); else wants.set(topic, n);
    scheduleReopen();
  };
}

export const streamState = () => state;

function emit(event, data) {
  for (const fn of handlers[event]) {
    try { fn(data); } catch (e) { console.error(e); }
  }
}

function setState(next) {
  if (state === next) return;
  state = next;
  emit('state', next);
}

function url() {
  const topics = ['signals', 'tickers', ...[...wants.keys()].sort()];
  let u = `/api/v1/stream?topics=${encodeURIComponent(topics.join(','))}`;
  if (lastId !== null) u += `&last_event_id=${lastId}`;
  return u;
}

function scheduleReopen() {
  clearTimeout(reopenTimer);
  reopenTimer = setTimeout(() => { if (source) open(); }, 30);
}

/** Opens (or re-opens) the stream, e.g. after a sign-in changed what the caller may see. */
export function open() {
  clearTimeout(retryTimer);
  if (source) source.close();
  const es = new EventSource(url());
  source = es;
  es.onopen = () => {
    retryMs = 1000;
    setState('live');
    if (wasDown) { wasDown = false; reconnects += 1; emit('reconnected'); }
    everOpen = true;
  };
  es.onerror = () => {
    if (source !== es) return;
    if (everOpen) wasDown = true;
    setState('reconnecting');
    if (es.readyState === EventSource.CLOSED) {
      // The server refused (or the browser gave up): retry ourselves, backing off.
      retryTimer = setTimeout(open, retryMs);
      retryMs = Math.min(retryMs * 2, 30_000);
    }
  };
  es.addEventListener('signal', (ev) => {
    lastEventAt = Date.now();
    if (ev.lastEventId) lastId = Number(ev.lastEventId);
    emit('signal', JSON.parse(ev.data));
  });
  es.addEventListener('ticker', (ev) => {
    lastEventAt = Date.now();
    const t = JSON.parse(ev.data);
    tickers.set(t.symbol, t);
    emit('ticker', t);
  });
  es.addEventListener('candle', (ev) => {
    lastEventAt = Date.now();
    emit('candle', JSON.parse(ev.data));
  });
  es.addEventListener('resync', (ev) => {
    const data = JSON.parse(ev.data);
    // Callers without history get no replay; nothing to reload for them.
    if (data.reason !== 'no_history') emit('resync', data);
  });
}

/** Forgets the replay position (after the session changed) and re-opens. */
export function restart() {
  lastId = null;
  everOpen = false;
  wasDown = false;
  setState('connecting');
  open();
}

/**
 * Drops the connection the way a network failure would (for checking the UI's recovery by
 * hand and in the browser tests): the stream says it is reconnecting and comes back by itself.
 */
export function drop() {
  if (!source) return;
  source.close();
  if (everOpen) wasDown = true;
  setState('reconnecting');
  clearTimeout(retryTimer);
  retryTimer = setTimeout(open, retryMs);
}

// A small debug handle: `__siftLive.disconnect()` in the console simulates a lost stream.
window.__siftLive = { disconnect: drop, state: () => state, reconnects: () => reconnects };
