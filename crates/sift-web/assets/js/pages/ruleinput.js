// The rule editor: a textarea over a mirror that underlines each diagnostic's span, checked
// by the server's checker as you type (`POST /traders/validate`), with the message, help,
// timeframes and warm-up shown below.

import { h, fill } from '../dom.js';
import { post } from '../api.js';

const DEBOUNCE_MS = 250;

/** Character index of UTF-8 byte offset `byte` in `text` (the checker counts bytes). */
export function byteToIndex(text, byte) {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    if (bytes >= byte) return i;
    const c = text.codePointAt(i);
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    if (c >= 0x10000) i++;
  }
  return text.length;
}

/**
 * Builds the editor. `getInterval()` gives the trader's interval; `onResult(result)` hears
 * every verdict. Returns {el, textarea, check(), value(), result()}.
 */
export function ruleInput(initial, getInterval, onResult, readOnly = false) {
  const ta = h('textarea', {
    id: 'rule', spellcheck: false, autocapitalize: 'off', autocomplete: 'off', rows: 5, readOnly,
    'aria-label': 'Rule', 'aria-describedby': 'rule-status rule-diags',
  });
  ta.value = initial || '';
  const hl = h('div', { class: 'hl', 'aria-hidden': 'true' });
  const status = h('div', { id: 'rule-status', class: 'muted', role: 'status' });
  const diags = h('ul', { id: 'rule-diags', class: 'diags', 'aria-live': 'polite' });
  let timer = null;
  let seq = 0;
  let last = null;

  function mirror(diagList) {
    const text = ta.value;
    const marks = (diagList || []).map((d) => {
      const start = byteToIndex(text, d.span.start);
      const end = Math.max(start + 1, byteToIndex(text, d.span.end));
      return { start, end, cls: d.severity };
    }).sort((a, b) => a.start - b.start);
    const parts = []; let at = 0;
    for (const m of marks) {
      if (m.start < at) continue;
      parts.push(text.slice(at, m.start));
      const piece = text.slice(m.start, m.end);
      parts.push(h('mark', { class: m.cls }, piece.length && piece !== '\n' ? piece : ' '));
      at = Math.min(text.length, m.end);
    }
    parts.push(text.slice(at), '\n');
    fill(hl, parts);
    hl.scrollTop = ta.scrollTop;
  }

  function render(r) {
    mirror(r.diagnostics);
    fill(diags, r.diagnostics.map((d) => h('li', { class: `diag ${d.severity}` },
      h('div', null, h('span', { class: 'code-id' }, `${d.severity} ${d.code}`), ` line ${d.span.line}, column ${d.span.col}: `, h('span', { class: 'msg' }, d.message)),
      d.help ? h('div', { class: 'help' }, `help: ${d.help}`) : null,
      d.labels.map((l) => h('div', { class: 'help' }, `line ${l.span.line}, column ${l.span.col}: ${l.message}`)))));
    if (r.valid) {
      fill(status, h('span', { class: 'ok-line' }, '✓ Valid rule'),
        ` · timeframes ${r.timeframes.join(', ')} · warm-up ${r.warmup.map((w) => `${w.bars} × ${w.interval}`).join(', ')}`);
    } else {
      const n = r.diagnostics.filter((d) => d.severity === 'error').length;
      fill(status, h('span', { class: 'down' }, `${n} error${n === 1 ? '' : 's'}`));
    }
  }

  async function check() {
    const mine = ++seq;
    const rule = ta.value;
    if (!rule.trim()) {
      last = { valid: false, diagnostics: [], timeframes: [], warmup: [], references: [] };
      mirror([]); fill(diags); fill(status, 'Write a rule, e.g. ', h('code', null, 'rsi(14) < 30'));
      onResult(last);
      return last;
    }
    try {
      const r = await post('/traders/validate', { rule, interval: getInterval() });
      if (mine !== seq) return last;
      last = r; render(r); onResult(r);
    } catch (e) {
      if (mine === seq) fill(status, h('span', { class: 'down' }, `Cannot check the rule: ${e.message}`));
    }
    return last;
  }

  // Old spans no longer fit the edited text: clear them until the new verdict arrives.
  ta.addEventListener('input', () => { mirror([]); clearTimeout(timer); timer = setTimeout(check, DEBOUNCE_MS); });
  ta.addEventListener('scroll', () => { hl.scrollTop = ta.scrollTop; });
  const el = h('div', { class: 'stack' }, h('div', { class: 'code code-wrap' }, hl, ta), status, diags);
  mirror([]);
  return { el, textarea: ta, check, value: () => ta.value, result: () => last };
}
