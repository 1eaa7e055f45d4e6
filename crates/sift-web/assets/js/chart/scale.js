// Scales and ticks for the chart: value <-> pixel, round tick steps, theme colours.

/** A round step (1, 2, 2.5, 5 x 10^k) giving about `count` ticks over `span`. */
export function niceStep(span, count) {
  if (!(span > 0)) return 1;
  const raw = span / Math.max(1, count);
  const pow = 10 ** Math.floor(Math.log10(raw));
  const f = raw / pow;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * pow;
}

/** Ticks from lo to hi at a round step. */
export function ticks(lo, hi, count) {
  const step = niceStep(hi - lo, count);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
  return { values: out, step };
}

/** A vertical linear scale of one pane. */
export class YScale {
  constructor(lo, hi, top, height, pad = 0.06) {
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) { lo = 0; hi = 1; }
    if (hi === lo) { hi += Math.abs(hi) * 0.01 || 1; lo -= Math.abs(lo) * 0.01 || 1; }
    const p = (hi - lo) * pad;
    this.lo = lo - p; this.hi = hi + p; this.top = top; this.height = height;
  }
  y(v) { return this.top + (1 - (v - this.lo) / (this.hi - this.lo)) * this.height; }
  value(y) { return this.lo + (1 - (y - this.top) / this.height) * (this.hi - this.lo); }
}

/** Digits to show for values whose tick step is `step`. */
export function digitsFor(step) {
  if (!(step > 0)) return 2;
  return Math.max(0, Math.min(10, -Math.floor(Math.log10(step)) + 1));
}

/** Formats an axis value with `digits` decimals, compacting large magnitudes. */
export function axisValue(v, digits) {
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(2)}B`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (a >= 1e5) return `${(v / 1e3).toFixed(1)}K`;
  return v.toFixed(digits);
}

/** The theme's colours, read from the CSS variables. */
export function theme() {
  const css = getComputedStyle(document.documentElement);
  const v = (name) => css.getPropertyValue(name).trim();
  return {
    bg: v('--panel'), grid: v('--line'), text: v('--muted'), strong: v('--text'), up: v('--up'), down: v('--down'),
    accent: v('--accent'), cross: v('--faint'), warn: v('--warn'), mono: v('--mono'),
  };
}
