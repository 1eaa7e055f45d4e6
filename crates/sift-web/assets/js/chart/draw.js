// Drawing the chart's parts on a 2D context: grid and axes, candles, volume, lines,
// histograms, markers and the crosshair. Pure functions of a frame description.

import { ticks, digitsFor, axisValue } from './scale.js';
import { axisTime } from '../format.js';

/** Horizontal grid lines and right-axis labels of one pane. */
export function grid(ctx, f, scale, left, right, count) {
  const { values, step } = ticks(scale.lo, scale.hi, count);
  const digits = digitsFor(step);
  ctx.strokeStyle = f.theme.grid; ctx.lineWidth = 1; ctx.fillStyle = f.theme.text;
  ctx.font = `11px ${f.theme.mono}`; ctx.textAlign = 'left'; ctx.textBaseline = 'middle';
  ctx.beginPath();
  for (const v of values) {
    const y = Math.round(scale.y(v)) + 0.5;
    if (y < scale.top + 4 || y > scale.top + scale.height - 4) continue;
    ctx.moveTo(left, y); ctx.lineTo(right, y);
    ctx.fillText(axisValue(v, digits), right + 6, y);
  }
  ctx.stroke();
  return digits;
}

/** Time axis along the bottom with vertical grid lines. */
export function timeAxis(ctx, f) {
  const { first, last, x, candles, plotRight, height, interval } = f;
  if (last < first) return;
  const spanMs = (last - first) * interval;
  const every = Math.max(1, Math.ceil(90 / f.barW));
  const round = Math.max(1, niceBars(every));
  ctx.strokeStyle = f.theme.grid; ctx.fillStyle = f.theme.text; ctx.textAlign = 'center'; ctx.textBaseline = 'top';
  ctx.font = `11px ${f.theme.mono}`;
  ctx.beginPath();
  for (let i = Math.ceil(first / round) * round; i <= last; i += round) {
    const c = candles[i]; if (!c) continue;
    const px = Math.round(x(i)) + 0.5;
    if (px > plotRight - 20) continue;
    ctx.moveTo(px, 0); ctx.lineTo(px, height - 22);
    ctx.fillText(axisTime(c.open_time, spanMs), px, height - 17);
  }
  ctx.stroke();
}

function niceBars(n) {
  for (const s of [1, 2, 5, 10, 15, 20, 30, 60, 120, 240, 480]) if (s >= n) return s;
  return n;
}

/** Candles (bodies and wicks); the forming one drawn hollow. */
export function candles(ctx, f, scale) {
  const w = Math.max(1, Math.floor(f.barW * 0.7));
  for (let i = f.first; i <= f.last; i++) {
    const c = f.candles[i]; if (!c) continue;
    const up = c.close >= c.open;
    const col = up ? f.theme.up : f.theme.down;
    const cx = Math.round(f.x(i));
    ctx.strokeStyle = col; ctx.fillStyle = col;
    ctx.beginPath(); ctx.moveTo(cx + 0.5, scale.y(c.high)); ctx.lineTo(cx + 0.5, scale.y(c.low)); ctx.stroke();
    const y1 = scale.y(Math.max(c.open, c.close)); const y2 = scale.y(Math.min(c.open, c.close));
    const bh = Math.max(1, y2 - y1);
    if (c.closed === false) { ctx.strokeRect(cx - (w >> 1) + 0.5, y1 + 0.5, w - 1, bh); } else ctx.fillRect(cx - (w >> 1), y1, w, bh);
  }
}

/** Volume bars in the bottom part of the price pane. */
export function volume(ctx, f, top, height, max) {
  const w = Math.max(1, Math.floor(f.barW * 0.7));
  ctx.globalAlpha = 0.28;
  for (let i = f.first; i <= f.last; i++) {
    const c = f.candles[i]; if (!c || !(max > 0)) continue;
    const hgt = (c.volume / max) * height;
    ctx.fillStyle = c.close >= c.open ? f.theme.up : f.theme.down;
    ctx.fillRect(Math.round(f.x(i)) - (w >> 1), top + height - hgt, w, hgt);
  }
  ctx.globalAlpha = 1;
}

/** One line series over the visible range (gaps where values are not finite). */
export function line(ctx, f, scale, values, color, width = 1.4) {
  ctx.strokeStyle = color; ctx.lineWidth = width; ctx.beginPath();
  let pen = false;
  for (let i = Math.max(0, f.first - 1); i <= Math.min(values.length - 1, f.last + 1); i++) {
    const v = values[i];
    if (!Number.isFinite(v)) { pen = false; continue; }
    const px = f.x(i); const py = scale.y(v);
    if (pen) ctx.lineTo(px, py); else { ctx.moveTo(px, py); pen = true; }
  }
  ctx.stroke(); ctx.lineWidth = 1;
}

/** Histogram bars from zero. */
export function histogram(ctx, f, scale, values) {
  const w = Math.max(1, Math.floor(f.barW * 0.6)); const zero = scale.y(0);
  for (let i = f.first; i <= f.last; i++) {
    const v = values[i]; if (!Number.isFinite(v)) continue;
    ctx.fillStyle = v >= 0 ? f.theme.up : f.theme.down; ctx.globalAlpha = 0.55;
    const y = scale.y(v);
    ctx.fillRect(Math.round(f.x(i)) - (w >> 1), Math.min(y, zero), w, Math.max(1, Math.abs(zero - y)));
  }
  ctx.globalAlpha = 1;
}

/** Dashed horizontal reference levels (30/70 of the RSI). */
export function levels(ctx, f, scale, values) {
  ctx.setLineDash([3, 3]); ctx.strokeStyle = f.theme.cross; ctx.beginPath();
  for (const v of values) { const y = Math.round(scale.y(v)) + 0.5; ctx.moveTo(0, y); ctx.lineTo(f.plotRight, y); }
  ctx.stroke(); ctx.setLineDash([]);
}

/** Signal markers: an arrow under the candle's low with a short label. */
export function markers(ctx, f, scale, list) {
  ctx.font = `bold 10px ${f.theme.mono}`; ctx.textAlign = 'center'; ctx.textBaseline = 'top';
  for (const m of list) {
    if (m.index < f.first || m.index > f.last) continue;
    const c = f.candles[m.index];
    const cx = f.x(m.index); const y = scale.y(c ? c.low : m.price) + 6;
    ctx.fillStyle = m.color || f.theme.accent;
    ctx.beginPath(); ctx.moveTo(cx, y); ctx.lineTo(cx - 5, y + 8); ctx.lineTo(cx + 5, y + 8); ctx.closePath(); ctx.fill();
    if (m.label && f.barW > 3) ctx.fillText(m.label, cx, y + 10);
  }
}

/** The crosshair: lines through the pointer and labels on both axes. */
export function crosshair(ctx, f, px, py, pane) {
  ctx.setLineDash([4, 4]); ctx.strokeStyle = f.theme.cross; ctx.beginPath();
  ctx.moveTo(Math.round(px) + 0.5, 0); ctx.lineTo(Math.round(px) + 0.5, f.height - 22);
  if (pane) { ctx.moveTo(0, Math.round(py) + 0.5); ctx.lineTo(f.plotRight, Math.round(py) + 0.5); }
  ctx.stroke(); ctx.setLineDash([]);
  ctx.font = `11px ${f.theme.mono}`; ctx.textBaseline = 'middle';
  const label = (text, x, y, align) => {
    const w = ctx.measureText(text).width + 10;
    const bx = align === 'center' ? x - w / 2 : x;
    ctx.fillStyle = f.theme.strong; ctx.fillRect(bx, y - 9, w, 18);
    ctx.fillStyle = f.theme.bg; ctx.textAlign = 'left'; ctx.fillText(text, bx + 5, y);
  };
  if (pane) label(axisValue(pane.scale.value(py), pane.digits), f.plotRight + 1, py);
  const i = Math.round(f.index(px)); const c = f.candles[i];
  if (c) {
    const d = new Date(c.open_time);
    const text = `${d.getMonth() + 1}/${d.getDate()} ${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
    label(text, px, f.height - 11, 'center');
  }
}
