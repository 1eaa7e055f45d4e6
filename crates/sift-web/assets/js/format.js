// Number and time formatting: prices at their own precision, compact volumes, relative times.

/** A price with enough significant digits for its magnitude. */
export function price(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  const digits = a >= 1000 ? 2 : a >= 10 ? 3 : a >= 1 ? 4 : a >= 0.01 ? 6 : 8;
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A signed percentage: +1.23%. */
export function pct(v, digits = 2) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const text = v.toFixed(digits);
  // Rounded to zero shows unsigned (no "-0.00%").
  if (Number(text) === 0) return `${(0).toFixed(digits)}%`;
  return `${v > 0 ? '+' : ''}${text}%`;
}

/** A compact amount: 1.23B, 45.6M, 7.8K. */
export function compact(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(2)}B`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(1)}K`;
  return v.toFixed(a >= 100 ? 0 : 2);
}

/** A plain number with up to `digits` decimals. */
export function num(v, digits = 2) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return v.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** A value with about five significant digits (indicator readings of any magnitude). */
export function sig(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  if (Math.abs(v) >= 1000) return v.toLocaleString('en-US', { maximumFractionDigits: 2 });
  return String(Number(v.toPrecision(5)));
}

/** "12s ago", "5m ago", "3h ago", "2d ago". */
export function ago(ms, now = Date.now()) {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

const pad = (n) => String(n).padStart(2, '0');

/** "2026-11-28 17:42:05" in local time. */
export function exact(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "17:42" or "Nov 28" depending on the span shown. */
export function axisTime(ms, spanMs) {
  const d = new Date(ms);
  if (spanMs > 3 * 86400_000) return `${d.toLocaleString('en-US', { month: 'short' })} ${d.getDate()}`;
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Percent change from `from` to `to`. */
export function change(from, to) {
  if (!Number.isFinite(from) || !Number.isFinite(to) || from === 0) return null;
  return ((to - from) / from) * 100;
}

/** 'up' / 'down' / '' for a signed value. */
export const dir = (v) => (v >= 0.005 ? 'up' : v <= -0.005 ? 'down' : '');

/** Milliseconds of an interval name (1m, 4h, 1d, 1w; 1M as 30 days). */
export function intervalMs(name) {
  const m = /^(\d+)([smhdwM])$/.exec(name || '');
  if (!m) return 60_000;
  const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3, M: 2592000e3 }[m[2]];
  return Number(m[1]) * unit;
}
