// The editor's "AI draft" box: describe a setup in words, get a checked rule to review
// (`POST /traders/draft`; nothing is saved). Hidden for the session once the server says
// drafting is not configured or not in the caller's tier.

import { h, fill, errorText } from '../dom.js';
import { post } from '../api.js';

const OFF_KEY = 'sift.ai.off';

/** The box, or null when drafting is known to be unavailable. `apply(draft)` fills the form. */
export function aiDraftBox(getInterval, apply) {
  if (sessionStorage.getItem(OFF_KEY)) return null;
  const prompt = h('textarea', {
    rows: 2, placeholder: 'e.g. RSI oversold on 15m while the 1h trend is up, on unusual volume',
    'aria-label': 'Describe the setup', style: { width: '100%', resize: 'vertical' },
  });
  const out = h('div', { class: 'muted', role: 'status' });
  const btn = h('button', { class: 'btn', type: 'button' }, 'Draft rule');
  const box = h('section', { class: 'panel', id: 'ai-draft' },
    h('div', { class: 'head' }, h('h2', null, 'AI draft'), h('span', { style: { flex: 1 } }), btn),
    h('div', { class: 'body stack' }, prompt, out));
  btn.addEventListener('click', async () => {
    if (!prompt.value.trim()) { prompt.focus(); return; }
    btn.disabled = true; fill(out, 'Drafting…');
    try {
      const d = await post('/traders/draft', { prompt: prompt.value, interval: getInterval() });
      apply(d);
      fill(out, h('div', null, d.summary || 'Drafted: review the rule, then save.'),
        (d.explanation || []).length ? h('ul', { style: { margin: '6px 0 0', paddingLeft: '18px' } },
          d.explanation.map((c) => h('li', null, h('code', null, c.condition), ` — ${c.meaning}`))) : null);
    } catch (e) {
      if (e.status === 404 || e.code === 'ai_unavailable' || e.code === 'forbidden') {
        sessionStorage.setItem(OFF_KEY, '1');
        fill(out, e.code === 'forbidden' ? errorText(e) : 'AI drafting is not configured on this server.');
      } else fill(out, h('span', { class: 'down' }, errorText(e)));
    } finally { btn.disabled = false; }
  });
  return box;
}
