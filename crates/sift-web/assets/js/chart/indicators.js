// Indicators for drawing: the rule's references ("rsi(14)", "bb(20, 2).upper",
// "sma(volume, 20)") parsed and computed over the chart's candles. The engine's values are
// authoritative (they follow TA-Lib); these follow the same definitions for display.

const SOURCES = ['open', 'high', 'low', 'close', 'volume', 'hl2', 'hlc3', 'ohlc4'];

/** Parameter names and defaults per indicator, in call order. */
const PARAMS = {
  sma: [['n', 20]], ema: [['n', 20]], wma: [['n', 20]], rma: [['n', 14]], dema: [['n', 20]], tema: [['n', 20]],
  vwma: [['n', 20]], highest: [['n', 20]], lowest: [['n', 20]],
  rsi: [['n', 14]], macd: [['fast', 12], ['slow', 26], ['signal', 9]], stoch: [['k', 14], ['smooth_k', 3], ['d', 3]],
  cci: [['n', 20]], mfi: [['n', 14]], willr: [['n', 14]], roc: [['n', 10]], mom: [['n', 10]],
  atr: [['n', 14]], natr: [['n', 14]], stddev: [['n', 20]], bb: [['n', 20], ['mult', 2]],
  keltner: [['n', 20], ['mult', 2], ['atr', 10]], donchian: [['n', 20]], obv: [], vwap: [['anchor', 'day']],
};
const OVERLAY = new Set(['sma', 'ema', 'wma', 'rma', 'dema', 'tema', 'vwma', 'highest', 'lowest', 'bb', 'keltner', 'donchian', 'vwap']);
const BOUNDED = { rsi: [0, 100, [30, 70]], stoch: [0, 100, [20, 80]], mfi: [0, 100, [20, 80]], willr: [-100, 0, [-80, -20]] };

/**
 * Parses one reference into {key, name, source, params, field, label}, or null when it is
 * not drawable here (another timeframe, a bare series, an unknown or nested call).
 */
export function parseReference(text) {
  const m = /^([a-z_]+)\((.*)\)(?:\.([a-z_]+))?$/.exec(text.replace(/\s+/g, ''));
  if (!m || text.includes('@')) return null;
  const [, name, argText, field] = m;
  const spec = PARAMS[name];
  if (!spec) return null;
  const args = argText ? argText.split(',') : [];
  let source = 'close';
  if (args.length && SOURCES.includes(args[0])) source = args.shift();
  else if (args.length && /^[a-z_]/.test(args[0]) && !args[0].includes('=')) return null;
  const params = Object.fromEntries(spec);
  args.forEach((a, i) => {
    const [k, v] = a.includes('=') ? a.split('=') : [spec[i]?.[0], a];
    if (k in params) params[k] = Number.isNaN(Number(v)) ? v : Number(v);
  });
  const shown = spec.map(([k]) => params[k]).filter((v) => typeof v === 'number');
  const label = `${name}(${source !== 'close' ? [source, ...shown].join(', ') : shown.join(', ')})`;
  const bandField = ['bb', 'keltner', 'donchian'].includes(name) && ['width', 'pct_b'].includes(field) ? field : null;
  return { key: `${label}${bandField ? `.${bandField}` : ''}`, name, source, params, field: bandField, label: bandField ? `${label}.${bandField}` : label };
}

const nan = (n) => new Array(n).fill(NaN);

function src(c, s) {
  switch (s) {
    case 'hl2': return c.map((k) => (k.high + k.low) / 2);
    case 'hlc3': return c.map((k) => (k.high + k.low + k.close) / 3);
    case 'ohlc4': return c.map((k) => (k.open + k.high + k.low + k.close) / 4);
    default: return c.map((k) => k[s]);
  }
}

export function sma(x, n) {
  const out = nan(x.length); let sum = 0;
  for (let i = 0; i < x.length; i++) {
    sum += x[i]; if (i >= n) sum -= x[i - n];
    if (i >= n - 1) out[i] = sum / n;
  }
  return out;
}

/** An exponential average with factor `alpha`, seeded with the SMA of the first n values. */
function expo(x, n, alpha) {
  const out = nan(x.length); let start = x.findIndex((v) => Number.isFinite(v));
  if (start < 0 || start + n > x.length) return out;
  let v = 0; for (let i = start; i < start + n; i++) v += x[i];
  v /= n; out[start + n - 1] = v;
  for (let i = start + n; i < x.length; i++) { v = alpha * x[i] + (1 - alpha) * v; out[i] = v; }
  return out;
}
export const ema = (x, n) => expo(x, n, 2 / (n + 1));
export const rma = (x, n) => expo(x, n, 1 / n);

function wma(x, n) {
  const out = nan(x.length); const d = (n * (n + 1)) / 2;
  for (let i = n - 1; i < x.length; i++) { let s = 0; for (let j = 0; j < n; j++) s += x[i - j] * (n - j); out[i] = s / d; }
  return out;
}

function rolling(x, n, f) {
  const out = nan(x.length);
  for (let i = n - 1; i < x.length; i++) out[i] = f(x.slice(i - n + 1, i + 1));
  return out;
}
const stdev = (w) => { const m = w.reduce((a, b) => a + b, 0) / w.length; return Math.sqrt(w.reduce((a, b) => a + (b - m) ** 2, 0) / w.length); };

function trueRange(c) {
  return c.map((k, i) => (i === 0 ? NaN : Math.max(k.high - k.low, Math.abs(k.high - c[i - 1].close), Math.abs(k.low - c[i - 1].close))));
}

function rsi(x, n) {
  const up = []; const dn = [];
  for (let i = 1; i < x.length; i++) { const d = x[i] - x[i - 1]; up.push(Math.max(d, 0)); dn.push(Math.max(-d, 0)); }
  const au = rma(up, n); const ad = rma(dn, n);
  return [NaN, ...au.map((u, i) => (ad[i] === 0 ? 100 : 100 - 100 / (1 + u / ad[i])))];
}

function stoch(c, k, sk, d) {
  const raw = nan(c.length);
  for (let i = k - 1; i < c.length; i++) {
    let hi = -Infinity; let lo = Infinity;
    for (let j = i - k + 1; j <= i; j++) { hi = Math.max(hi, c[j].high); lo = Math.min(lo, c[j].low); }
    raw[i] = hi === lo ? 0 : ((c[i].close - lo) / (hi - lo)) * 100;
  }
  const kk = sma(raw.map((v) => (Number.isFinite(v) ? v : 0)), sk).map((v, i) => (i < k - 1 + sk - 1 ? NaN : v));
  const dd = sma(kk.map((v) => (Number.isFinite(v) ? v : 0)), d).map((v, i) => (i < k + sk + d - 3 ? NaN : v));
  return { k: kk, d: dd };
}

function vwap(c) {
  const out = []; let pv = 0; let vol = 0; let day = null;
  for (const k of c) {
    const dd = Math.floor(k.open_time / 86400000);
    if (dd !== day) { day = dd; pv = 0; vol = 0; }
    pv += ((k.high + k.low + k.close) / 3) * k.volume; vol += k.volume;
    out.push(vol > 0 ? pv / vol : NaN);
  }
  return out;
}

const COLORS = ['#f59e0b', '#8b5cf6', '#06b6d4', '#ec4899', '#84cc16', '#f97316', '#14b8a6', '#a855f7'];

/**
 * Computes one parsed reference over `candles`: {kind: 'overlay' | 'volume' | 'pane', label,
 * lines: [{name, values, color}], hist?, range?, levels?}.
 */
export function compute(ref, candles, colorIndex = 0) {
  const p = ref.params; const x = src(candles, ref.source); const color = COLORS[colorIndex % COLORS.length];
  const line = (name, values, col = color) => ({ name, values, color: col });
  const kind = ref.source === 'volume' && OVERLAY.has(ref.name) ? 'volume' : OVERLAY.has(ref.name) && !ref.field ? 'overlay' : 'pane';
  const out = { kind, label: ref.label, lines: [] };
  const bands = (mid, width) => [line('upper', mid.map((m, i) => m + width[i])), line('middle', mid, color + '99'), line('lower', mid.map((m, i) => m - width[i]))];
  switch (ref.name) {
    case 'sma': out.lines = [line(ref.label, sma(x, p.n))]; break;
    case 'ema': out.lines = [line(ref.label, ema(x, p.n))]; break;
    case 'wma': out.lines = [line(ref.label, wma(x, p.n))]; break;
    case 'rma': out.lines = [line(ref.label, rma(x, p.n))]; break;
    case 'dema': { const e = ema(x, p.n); const ee = ema(e, p.n); out.lines = [line(ref.label, e.map((v, i) => 2 * v - ee[i]))]; break; }
    case 'tema': { const e = ema(x, p.n); const e2 = ema(e, p.n); const e3 = ema(e2, p.n); out.lines = [line(ref.label, e.map((v, i) => 3 * v - 3 * e2[i] + e3[i]))]; break; }
    case 'vwma': { const v = src(candles, 'volume'); const pv = sma(x.map((a, i) => a * v[i]), p.n); const sv = sma(v, p.n); out.lines = [line(ref.label, pv.map((a, i) => a / sv[i]))]; break; }
    case 'highest': out.lines = [line(ref.label, rolling(x, p.n, (w) => Math.max(...w)))]; break;
    case 'lowest': out.lines = [line(ref.label, rolling(x, p.n, (w) => Math.min(...w)))]; break;
    case 'vwap': out.lines = [line('vwap', vwap(candles))]; break;
    case 'bb': case 'keltner': case 'donchian': {
      let mid; let width;
      if (ref.name === 'bb') { mid = sma(x, p.n); const sd = rolling(x, p.n, stdev); width = sd.map((s) => s * p.mult); }
      else if (ref.name === 'keltner') { mid = ema(src(candles, 'hlc3'), p.n); const a = rma(trueRange(candles).slice(1), p.atr); width = [NaN, ...a].map((v) => v * p.mult); }
      else { const hi = rolling(src(candles, 'high'), p.n, (w) => Math.max(...w)); const lo = rolling(src(candles, 'low'), p.n, (w) => Math.min(...w)); mid = hi.map((h, i) => (h + lo[i]) / 2); width = hi.map((h, i) => (h - lo[i]) / 2); }
      if (ref.field === 'width') out.lines = [line('width', mid.map((m, i) => (2 * width[i]) / m))];
      else if (ref.field === 'pct_b') out.lines = [line('%b', x.map((v, i) => (v - (mid[i] - width[i])) / (2 * width[i])))];
      else out.lines = bands(mid, width);
      break;
    }
    case 'rsi': out.lines = [line(ref.label, rsi(x, p.n))]; break;
    case 'macd': {
      const slow = ema(x, p.slow); const lineV = ema(x, p.fast).map((v, i) => v - slow[i]);
      const start = lineV.findIndex((v) => Number.isFinite(v));
      const sig = nan(x.length); if (start >= 0) ema(lineV.slice(start), p.signal).forEach((v, i) => { sig[start + i] = v; });
      out.lines = [line('line', lineV, '#3b82f6'), line('signal', sig, '#f59e0b')];
      out.hist = lineV.map((v, i) => v - sig[i]);
      break;
    }
    case 'stoch': { const s = stoch(candles, p.k, p.smooth_k, p.d); out.lines = [line('k', s.k, '#3b82f6'), line('d', s.d, '#f59e0b')]; break; }
    case 'cci': { const tp = src(candles, 'hlc3'); const m = sma(tp, p.n); const md = rolling(tp, p.n, (w) => { const a = w.reduce((s, v) => s + v, 0) / w.length; return w.reduce((s, v) => s + Math.abs(v - a), 0) / w.length; }); out.lines = [line(ref.label, tp.map((v, i) => (v - m[i]) / (0.015 * md[i])))]; out.levels = [-100, 100]; break; }
    case 'mfi': {
      const tp = src(candles, 'hlc3'); const res = nan(x.length);
      for (let i = p.n; i < x.length; i++) { let pos = 0; let neg = 0; for (let j = i - p.n + 1; j <= i; j++) { const f = tp[j] * candles[j].volume; if (tp[j] > tp[j - 1]) pos += f; else if (tp[j] < tp[j - 1]) neg += f; } res[i] = neg === 0 ? 100 : 100 - 100 / (1 + pos / neg); }
      out.lines = [line(ref.label, res)]; break;
    }
    case 'willr': out.lines = [line(ref.label, candles.map((k, i) => { if (i < p.n - 1) return NaN; let hi = -Infinity; let lo = Infinity; for (let j = i - p.n + 1; j <= i; j++) { hi = Math.max(hi, candles[j].high); lo = Math.min(lo, candles[j].low); } return hi === lo ? 0 : ((hi - k.close) / (hi - lo)) * -100; }))]; break;
    case 'roc': out.lines = [line(ref.label, x.map((v, i) => (i < p.n ? NaN : ((v - x[i - p.n]) / x[i - p.n]) * 100)))]; break;
    case 'mom': out.lines = [line(ref.label, x.map((v, i) => (i < p.n ? NaN : v - x[i - p.n])))]; break;
    case 'atr': case 'natr': { const a = [NaN, ...rma(trueRange(candles).slice(1), p.n)]; out.lines = [line(ref.label, ref.name === 'atr' ? a : a.map((v, i) => (v / candles[i].close) * 100))]; break; }
    case 'stddev': out.lines = [line(ref.label, rolling(x, p.n, stdev))]; break;
    case 'obv': { let o = 0; out.lines = [line('obv', candles.map((k, i) => { if (i > 0) o += k.close > candles[i - 1].close ? k.volume : k.close < candles[i - 1].close ? -k.volume : 0; return o; }))]; break; }
    default: return null;
  }
  const b = BOUNDED[ref.name];
  if (b) { out.range = [b[0], b[1]]; out.levels = b[2]; }
  return out;
}

/** Parses and de-duplicates references; returns {refs, skipped}. */
export function plan(references) {
  const refs = new Map(); const skipped = [];
  for (const text of references) {
    const r = parseReference(text);
    if (r) refs.set(r.key, r);
    else if (/\(/.test(text)) skipped.push(text);
  }
  return { refs: [...refs.values()], skipped };
}
