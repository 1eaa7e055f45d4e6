// DOM helpers: element builder, toasts, confirmation dialog, readable errors.

/** Builds an element: h('a', {href, class, onclick}, 'text', child...). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
      else if (k in el && typeof v !== 'string' && k !== 'list') el[k] = v;
      else el.setAttribute(k, v === true ? '' : v);
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A short message in the corner; kind: 'ok' | 'error' | 'info'. */
export function toast(message, kind = 'info', ms = 5000) {
  const box = document.getElementById('toasts');
  const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  box.append(el);
  while (box.children.length > 4) box.firstChild.remove();
  setTimeout(() => el.remove(), ms);
}

/** The readable text of any error. */
export function errorText(e) {
  if (!e) return 'Something went wrong.';
  return e.message || String(e);
}

/** Asks for confirmation in a modal dialog; resolves to true or false. */
export function confirmDialog(title, text, action = 'Delete') {
  return new Promise((resolve) => {
    const dlg = h('dialog', { 'aria-labelledby': 'dlg-title' },
      h('h2', { id: 'dlg-title' }, title),
      h('p', null, text),
      h('form', { method: 'dialog', class: 'row', style: { justifyContent: 'flex-end' } },
        h('button', { class: 'btn', value: 'cancel', autofocus: true }, 'Cancel'),
        h('button', { class: 'btn danger', value: 'ok' }, action)));
    dlg.addEventListener('close', () => { resolve(dlg.returnValue === 'ok'); dlg.remove(); });
    document.body.append(dlg);
    dlg.showModal();
  });
}

/** A labelled switch (checkbox styled as a toggle). */
export function toggle(checked, label, onchange) {
  const input = h('input', { type: 'checkbox', role: 'switch', checked, 'aria-label': label, onchange });
  return h('label', { class: 'switch', title: label }, input, h('span'));
}

/** A sortable header cell: calls onsort(key) on click or Enter. */
export function th(label, opts = {}) {
  const cell = h('th', { class: opts.num ? 'num' : null, scope: 'col' });
  if (opts.sort) {
    cell.append(h('button', { type: 'button', onclick: () => opts.sort(opts.key) }, label));
    if (opts.current === opts.key) cell.setAttribute('aria-sort', opts.dir > 0 ? 'ascending' : 'descending');
  } else cell.append(label);
  return cell;
}

/** Navigates inside the app without a reload. */
export function go(path) {
  window.dispatchEvent(new CustomEvent('sift:navigate', { detail: path }));
}
