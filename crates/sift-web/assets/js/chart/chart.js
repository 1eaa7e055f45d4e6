// The canvas chart: candles with volume, overlays on price, indicator panes, signal
// markers, crosshair with a legend, pan (drag, arrows), zoom (wheel, +/-), live updates.
// Draws only the visible bars, once per animation frame when something changed.

import * as draw from './draw.js';
import { YScale, theme } from './scale.js';
import { compute } from './indicators.js';
import { price as fmtPrice, compact, sig } from '../format.js';

const AXIS_W = 74;
const TIME_H = 22;
const MIN_BAR = 2;
const MAX_BAR = 40;
/** Most candles kept; older ones are dropped as live candles arrive. */
const MAX_CANDLES = 1500;

export class Chart {
  constructor(box, intervalMs) {
    this.box = box;
    this.interval = intervalMs;
    this.canvas = document.createElement('canvas');
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', 'Price chart');
    this.legend = document.createElement('div');
    this.legend.className = 'legend';
    box.append(this.canvas, this.legend);
    this.ctx = this.canvas.getContext('2d');
    this.candles = [];
    this.refs = [];
    this.studies = [];
    this.markers = [];
    this.barW = 8;
    this.right = 0; // bars of empty space right of the last candle (may be negative when panned back)
    this.pointer = null;
    this.theme = theme();
    this.dirty = true;
    this.alive = true;
    this.bind();
    this.resize();
    this.frame();
  }

  /** Replaces the candles (oldest first). */
  setCandles(list) {
    this.candles = list.slice(-MAX_CANDLES);
    this.right = 3;
    this.recompute();
  }

  /** A live candle: replaces the one with the same open time or appends it. */
  upsert(c) {
    const last = this.candles[this.candles.length - 1];
    if (last && last.open_time === c.open_time) this.candles[this.candles.length - 1] = c;
    else if (!last || c.open_time > last.open_time) {
      this.candles.push(c);
      if (this.candles.length > MAX_CANDLES) { this.candles.shift(); this.shiftMarkers(); }
    } else return;
    this.recompute();
  }

  /** Sets the indicator references to draw (parsed, see indicators.js). */
  setStudies(refs) { this.refs = refs; this.recompute(); }

  /** Markers: [{time, label, color}] placed on the candle opening at `time`. */
  setMarkers(list) { this.rawMarkers = list; this.placeMarkers(); this.dirty = true; }

  /** Scrolls so that the candle opening at `time` is in view (about two thirds across). */
  focusTime(time) {
    const i = this.indexOf(time);
    if (i < 0) return;
    const visible = this.plotW() / this.barW;
    this.right = Math.max(-this.candles.length + 5, i + visible / 3 - (this.candles.length - 1));
    this.dirty = true;
  }

  destroy() {
    this.alive = false;
    this.observer.disconnect();
    this.media.removeEventListener('change', this.onTheme);
    this.canvas.remove(); this.legend.remove();
  }

  indexOf(time) {
    let lo = 0; let hi = this.candles.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1; const t = this.candles[mid].open_time;
      if (t === time) return mid;
      if (t < time) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
  }

  recompute() {
    this.studies = this.refs.map((r, i) => compute(r, this.candles, i)).filter(Boolean);
    this.placeMarkers();
    this.dirty = true;
  }

  placeMarkers() {
    this.markers = (this.rawMarkers || []).map((m) => ({ ...m, index: this.indexOf(m.time) })).filter((m) => m.index >= 0);
  }

  shiftMarkers() { for (const m of this.markers) m.index -= 1; }

  plotW() { return this.width - AXIS_W; }

  bind() {
    this.observer = new ResizeObserver(() => this.resize());
    this.observer.observe(this.box);
    this.media = matchMedia('(prefers-color-scheme: dark)');
    this.onTheme = () => { this.theme = theme(); this.dirty = true; };
    this.media.addEventListener('change', this.onTheme);
    let drag = null;
    const c = this.canvas;
    c.addEventListener('pointerdown', (e) => { drag = { x: e.clientX, right: this.right }; c.setPointerCapture(e.pointerId); });
    c.addEventListener('pointerup', () => { drag = null; });
    c.addEventListener('pointermove', (e) => {
      const r = c.getBoundingClientRect();
      this.pointer = { x: e.clientX - r.left, y: e.clientY - r.top };
      if (drag) this.right = this.clampRight(drag.right + (e.clientX - drag.x) / this.barW);
      this.dirty = true;
    });
    c.addEventListener('pointerleave', () => { this.pointer = null; this.dirty = true; });
    c.addEventListener('wheel', (e) => {
      e.preventDefault();
      if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) { this.pan((e.deltaX || e.deltaY) / this.barW); return; }
      const r = c.getBoundingClientRect();
      this.zoom(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX - r.left);
    }, { passive: false });
    this.box.addEventListener('keydown', (e) => {
      const step = Math.max(1, Math.round(this.plotW() / this.barW / 10));
      const keys = {
        ArrowLeft: () => this.pan(-step), ArrowRight: () => this.pan(step),
        '+': () => this.zoom(1.25), '=': () => this.zoom(1.25), '-': () => this.zoom(0.8),
        End: () => { this.right = 3; this.dirty = true; }, Home: () => { this.right = this.clampRight(-Infinity); this.dirty = true; },
      };
      if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
    });
  }

  pan(bars) { this.right = this.clampRight(this.right - bars); this.dirty = true; }

  zoom(factor, anchorX = this.plotW()) {
    const before = this.index(anchorX);
    this.barW = Math.min(MAX_BAR, Math.max(MIN_BAR, this.barW * factor));
    const after = this.index(anchorX);
    this.right = this.clampRight(this.right + (after - before));
    this.dirty = true;
  }

  clampRight(r) {
    const visible = this.plotW() / this.barW;
    return Math.min(visible - 5, Math.max(-this.candles.length + 5, r));
  }

  /** Fractional bar index at pixel x. */
  index(px) { return this.candles.length - 1 + this.right - (this.plotW() - px) / this.barW + 0.5; }

  x(i) { return this.plotW() - (this.candles.length - 1 + this.right - i + 0.5) * this.barW; }

  resize() {
    const r = this.box.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    this.width = Math.max(100, r.width); this.height = Math.max(100, r.height);
    this.canvas.width = Math.round(this.width * dpr); this.canvas.height = Math.round(this.height * dpr);
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.dirty = true;
  }

  frame() {
    if (!this.alive) return;
    if (this.dirty) { this.dirty = false; this.render(); }
    requestAnimationFrame(() => this.frame());
  }

  render() {
    const { ctx, width, height } = this;
    const plotRight = this.plotW();
    ctx.clearRect(0, 0, width, height);
    ctx.fillStyle = this.theme.bg; ctx.fillRect(0, 0, width, height);
    const n = this.candles.length;
    const first = Math.max(0, Math.floor(this.index(0)));
    const last = Math.min(n - 1, Math.ceil(this.index(plotRight)));
    const f = {
      ctx, theme: this.theme, candles: this.candles, first, last, barW: this.barW, plotRight, height, interval: this.interval,
      x: (i) => this.x(i), index: (px) => this.index(px),
    };
    const panes = this.studies.filter((s) => s.kind === 'pane');
    const paneH = panes.length ? Math.min(140, Math.max(70, (height - TIME_H) * 0.2)) : 0;
    const priceH = height - TIME_H - paneH * panes.length;
    draw.timeAxis(ctx, f);
    const layout = [];
    if (n && last >= first) {
      let lo = Infinity; let hi = -Infinity; let vmax = 0;
      for (let i = first; i <= last; i++) { const c = this.candles[i]; lo = Math.min(lo, c.low); hi = Math.max(hi, c.high); vmax = Math.max(vmax, c.volume); }
      for (const s of this.studies) if (s.kind === 'overlay') for (const l of s.lines) for (let i = first; i <= last; i++) { const v = l.values[i]; if (Number.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); } }
      const ps = new YScale(lo, hi, 8, priceH - 16);
      const digits = draw.grid(ctx, f, ps, 0, plotRight, Math.max(3, priceH / 60));
      layout.push({ top: 0, height: priceH, scale: ps, digits });
      const volTop = priceH * 0.78; const volH = priceH * 0.22 - 2;
      draw.volume(ctx, f, volTop, volH, vmax);
      for (const s of this.studies) if (s.kind === 'volume') for (const l of s.lines) draw.line(ctx, f, { y: (v) => volTop + volH - (v / vmax) * volH }, l.values, l.color, 1.2);
      draw.candles(ctx, f, ps);
      for (const s of this.studies) if (s.kind === 'overlay') for (const l of s.lines) draw.line(ctx, f, ps, l.values, l.color);
      draw.markers(ctx, f, ps, this.markers);
      let top = priceH;
      for (const s of panes) {
        ctx.strokeStyle = this.theme.grid; ctx.beginPath(); ctx.moveTo(0, top + 0.5); ctx.lineTo(width, top + 0.5); ctx.stroke();
        let plo = Infinity; let phi = -Infinity;
        const all = [...s.lines.map((l) => l.values), ...(s.hist ? [s.hist] : [])];
        for (const vals of all) for (let i = first; i <= last; i++) { const v = vals[i]; if (Number.isFinite(v)) { plo = Math.min(plo, v); phi = Math.max(phi, v); } }
        if (s.range) { plo = s.range[0]; phi = s.range[1]; }
        const sc = new YScale(plo, phi, top + 6, paneH - 12, s.range ? 0 : 0.08);
        const d = draw.grid(ctx, f, sc, 0, plotRight, 3);
        if (s.levels) draw.levels(ctx, f, sc, s.levels);
        if (s.hist) draw.histogram(ctx, f, sc, s.hist);
        for (const l of s.lines) draw.line(ctx, f, sc, l.values, l.color);
        ctx.font = `11px ${this.theme.mono}`; ctx.textAlign = 'left'; ctx.textBaseline = 'top';
        ctx.fillStyle = this.theme.bg; ctx.globalAlpha = 0.85; ctx.fillRect(3, top + 2, ctx.measureText(s.label).width + 6, 15); ctx.globalAlpha = 1;
        ctx.fillStyle = this.theme.text; ctx.fillText(s.label, 6, top + 4);
        layout.push({ top, height: paneH, scale: sc, digits: d });
        top += paneH;
      }
    }
    ctx.strokeStyle = this.theme.grid; ctx.beginPath();
    ctx.moveTo(plotRight + 0.5, 0); ctx.lineTo(plotRight + 0.5, height); ctx.moveTo(0, height - TIME_H + 0.5); ctx.lineTo(width, height - TIME_H + 0.5); ctx.stroke();
    const p = this.pointer;
    if (p && p.x < plotRight && p.y < height - TIME_H) {
      const pane = layout.find((l) => p.y >= l.top && p.y < l.top + l.height);
      draw.crosshair(ctx, f, p.x, p.y, pane);
    }
    this.paintLegend(p && p.x < plotRight ? Math.round(this.index(p.x)) : n - 1);
  }

  paintLegend(i) {
    const c = this.candles[Math.max(0, Math.min(this.candles.length - 1, i))];
    if (!c) { this.legend.textContent = ''; return; }
    const ch = c.open ? ((c.close - c.open) / c.open) * 100 : 0;
    const cls = c.close >= c.open ? 'up' : 'down';
    const parts = [`<div class="l1">O <b class="${cls}">${fmtPrice(c.open)}</b> H <b class="${cls}">${fmtPrice(c.high)}</b> L <b class="${cls}">${fmtPrice(c.low)}</b> C <b class="${cls}">${fmtPrice(c.close)}</b> <span class="${cls}">${ch >= 0 ? '+' : ''}${ch.toFixed(2)}%</span> V ${compact(c.volume)}${c.closed === false ? ' <span class="faint">forming</span>' : ''}</div>`];
    const idx = this.candles.indexOf(c);
    for (const s of this.studies) {
      const vals = s.lines.map((l) => `<span style="color:${l.color}">${s.lines.length > 1 ? `${l.name} ` : ''}${sig(l.values[idx])}</span>`).join('');
      parts.push(`<div><span class="faint">${s.label}</span> ${vals}</div>`);
    }
    this.legend.innerHTML = parts.join('');
  }
}
