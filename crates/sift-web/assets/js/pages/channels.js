// Account > Notification channels: list (kind, name, masked target, enabled switch), create
// (fields per kind; a webhook's signing secret shown once), send a test, delete, and each
// channel's deliveries. Also the trader editor's "Notify" picker of the owner's channels.

import { h, fill, toggle, toast, errorText, confirmDialog } from '../dom.js';
import { get, post, del } from '../api.js';
import { session, canNotify } from '../session.js';
import { exact, ago } from '../format.js';
import { deliveriesView } from './deliveries.js';

const KINDS = {
  webhook: {
    label: 'Webhook',
    help: 'Any HTTPS endpoint: a signed JSON body per signal.',
    fields: [['url', 'URL', 'url', 'https://bot.example.com/sift']],
  },
  telegram: {
    label: 'Telegram',
    help: 'A bot posts a readable message with a link to the chart.',
    fields: [['bot_token', 'Bot token', 'password', '123456:ABC-DEF…'], ['chat_id', 'Chat id', 'text', '-1001234567890']],
  },
  discord: {
    label: 'Discord',
    help: 'A Discord channel webhook (Server settings > Integrations > Webhooks).',
    fields: [['url', 'Webhook URL', 'url', 'https://discord.com/api/webhooks/…']],
  },
};

/** The target of a channel as the server shows it (secrets masked). */
function target(c) {
  if (c.kind === 'telegram') return `chat ${c.config.chat_id ?? '?'} · bot ${c.config.bot_token ?? ''}`;
  return c.config.url || '';
}

/** The channels section of the account page. */
export async function channelsSection() {
  const allowed = canNotify();
  const list = h('tbody');
  const created = h('div', { id: 'channel-created' });
  const deliveries = h('div', { id: 'deliveries-box' });
  let channels = [];
  let shownId = null;

  function showDeliveries(c) {
    shownId = c.id;
    for (const r of list.querySelectorAll('tr[data-channel-id]')) r.classList.toggle('selected', Number(r.dataset.channelId) === c.id);
    fill(deliveries, deliveriesView(c, () => { shownId = null; fill(deliveries); load(); }));
  }

  function row(c) {
    const sw = toggle(c.enabled, `Enable ${c.name}`, async (e) => {
      const on = e.target.checked;
      try {
        await post(`/channels/${c.id}/${on ? 'enable' : 'disable'}`);
        c.enabled = on;
        toast(`${c.name} ${on ? 'enabled' : 'disabled'}.`, 'ok', 2500);
      } catch (err) { e.target.checked = !on; toast(errorText(err), 'error'); }
    });
    const test = h('button', {
      class: 'btn small', type: 'button', dataset: { action: 'test' }, disabled: !allowed,
      title: allowed ? 'Queue a clearly marked test message' : 'Notifications need a higher tier',
      onclick: async () => {
        test.disabled = true;
        try {
          await post(`/channels/${c.id}/test`);
          toast(`Test queued for ${c.name}.`, 'ok', 2500);
          showDeliveries(c);
        } catch (err) { toast(errorText(err), 'error'); } finally { test.disabled = !allowed; }
      },
    }, 'Send test');
    return h('tr', { dataset: { channelId: c.id } },
      h('td', null, h('span', { class: 'pill' }, c.kind)),
      h('td', null, c.name),
      h('td', { class: 'mono target', title: target(c) }, target(c)),
      h('td', { title: exact(c.created_at) }, ago(c.created_at)),
      h('td', null, sw),
      h('td', { class: 'num' }, h('div', { class: 'row', style: { justifyContent: 'flex-end', flexWrap: 'nowrap' } },
        test,
        h('button', { class: 'btn small', type: 'button', dataset: { action: 'deliveries' }, onclick: () => showDeliveries(c) }, 'Deliveries'),
        h('button', {
          class: 'btn small danger', type: 'button', dataset: { action: 'delete' },
          onclick: async () => {
            if (!(await confirmDialog('Delete channel', `Delete "${c.name}" and its delivery log? Traders stop notifying it.`))) return;
            try {
              await del(`/channels/${c.id}`);
              toast('Channel deleted.', 'ok');
              if (shownId === c.id) { shownId = null; fill(deliveries); }
              load();
            } catch (err) { toast(errorText(err), 'error'); }
          },
        }, 'Delete'))));
  }

  async function load() {
    try {
      channels = (await get('/channels')).channels;
      fill(list, channels.length ? channels.map(row) : h('tr', null, h('td', { colspan: 6, class: 'empty' },
        allowed ? 'No channels yet: add one above to get signals where you are.' : 'No channels.')));
      if (shownId !== null) for (const r of list.querySelectorAll('tr[data-channel-id]')) r.classList.toggle('selected', Number(r.dataset.channelId) === shownId);
    } catch (e) { fill(list, h('tr', null, h('td', { colspan: 6, class: 'down' }, errorText(e)))); }
  }

  const section = h('section', { class: 'panel', id: 'channels' },
    h('div', { class: 'head' }, h('h2', null, 'Notification channels'), h('span', { class: 'muted hide-sm' }, 'webhook · Telegram · Discord')),
    h('div', { class: 'body stack' },
      allowed ? createForm((c) => { showSecret(created, c); load(); }) : h('div', { class: 'notice', id: 'channels-upgrade' },
        `Notifications (webhook, Telegram, Discord) are not in the ${session.me?.tier ?? 'anonymous'} tier. Ask an admin to upgrade you to pro.`),
      created,
      h('div', { class: 'table-wrap' }, h('table', { class: 'data', id: 'channel-list', 'aria-label': 'Notification channels' },
        h('thead', null, h('tr', null, h('th', null, 'Kind'), h('th', null, 'Name'), h('th', null, 'Target'), h('th', null, 'Created'), h('th', null, 'On'), h('th'))),
        list)),
      deliveries));
  await load();
  return section;
}

/** The create form; `done(channel)` gets the created channel (with its secret). */
function createForm(done) {
  const kind = h('select', { id: 'channel-kind', 'aria-label': 'Kind', onchange: () => renderFields() },
    Object.entries(KINDS).map(([k, v]) => h('option', { value: k }, v.label)));
  const name = h('input', { type: 'text', id: 'channel-name', placeholder: 'e.g. my bot', maxlength: 100, required: true });
  const fields = h('div', { class: 'row', style: { flex: '3 1 320px', alignItems: 'flex-end' } });
  const help = h('span', { class: 'muted', style: { fontSize: '12px' } });
  const error = h('div', { class: 'form-error', role: 'alert', id: 'channel-error' });
  const add = h('button', { class: 'btn primary', type: 'submit', id: 'channel-add' }, 'Add channel');
  let inputs = {};

  function renderFields() {
    const spec = KINDS[kind.value];
    inputs = {};
    fill(fields, spec.fields.map(([key, label, type, placeholder]) => {
      const input = h('input', { type, id: `channel-${key.replace('_', '-')}`, placeholder, required: true, autocomplete: 'off', spellcheck: false });
      inputs[key] = input;
      return h('label', { class: 'field', style: { flex: '1 1 200px' } }, h('span', null, label), input);
    }));
    help.textContent = spec.help;
  }
  renderFields();

  return h('form', {
    class: 'stack', id: 'channel-form',
    onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      const config = {};
      for (const [k, input] of Object.entries(inputs)) config[k] = input.value.trim();
      add.disabled = true;
      try {
        const c = await post('/channels', { kind: kind.value, name: name.value.trim(), config });
        name.value = '';
        for (const input of Object.values(inputs)) input.value = '';
        toast(`${c.name} added.`, 'ok', 2500);
        done(c);
      } catch (err) {
        error.textContent = errorText(err);
        const bad = inputs[String(err.details?.field || '').replace(/^config\./, '')];
        if (bad) bad.focus(); else if (err.details?.field === 'name') name.focus();
      } finally { add.disabled = false; }
    },
  },
  h('div', { class: 'row', style: { alignItems: 'flex-end' } },
    h('label', { class: 'field' }, h('span', null, 'Kind'), kind),
    h('label', { class: 'field', style: { flex: '1 1 160px' } }, h('span', null, 'Name'), name),
    fields,
    add),
  h('div', { class: 'row' }, help, error));
}

/** A webhook's signing secret, shown this once with a copy button. */
function showSecret(box, c) {
  if (!c.secret) { fill(box); return; }
  const copy = h('button', {
    class: 'btn small', type: 'button', id: 'channel-secret-copy',
    onclick: async () => { try { await navigator.clipboard.writeText(c.secret); toast('Copied.', 'ok'); } catch { toast('Select the secret and copy it.', 'error'); } },
  }, 'Copy');
  fill(box, h('div', { class: 'notice warn', role: 'status', id: 'channel-secret' },
    h('div', { style: { flex: '1 1 100%' } }, h('strong', null, `Signing secret of "${c.name}": copy it now, you won't see it again. `),
      'Verify each request: ', h('code', null, 'X-Sift-Signature'), ' is ', h('code', null, 'sha256='),
      ' + the HMAC-SHA256 of ', h('code', null, 'X-Sift-Timestamp + "." + body'), ' with this secret.'),
    h('code', { class: 'secret' }, c.secret), copy,
    h('button', { class: 'btn small', type: 'button', onclick: () => fill(box) }, 'I saved it')));
  box.scrollIntoView({ block: 'nearest' });
}

/**
 * The trader editor's "Notify" field: a checkbox per channel of the caller, or null when
 * they have none (or no notifications). `value()` gives the chosen ids.
 */
export async function notifyPicker(selected, readOnly) {
  if (!session.me) return null;
  let channels;
  try { channels = (await get('/channels')).channels; } catch { return null; }
  if (!channels.length) return null;
  const chosen = new Set(selected || []);
  const boxes = channels.map((c) => {
    const input = h('input', { type: 'checkbox', value: c.id, checked: chosen.has(c.id), disabled: readOnly });
    return h('label', { class: 'pill notify-opt', title: target(c) }, input, ` ${c.name} `, h('span', { class: 'muted' }, c.kind), c.enabled ? null : h('span', { class: 'muted' }, ' (off)'));
  });
  const el = h('div', { class: 'field', id: 'trader-notify', role: 'group', 'aria-label': 'Notify' },
    h('span', { class: 'muted', style: { fontWeight: 550, fontSize: '12px' } }, 'Notify'),
    h('div', { class: 'chips' }, boxes),
    h('span', { class: 'muted', style: { fontSize: '12px' } }, 'Channels told about each signal of this trader (none by default). ', h('a', { href: '/account#channels' }, 'Manage channels')));
  return { el, value: () => boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => Number(i.value)) };
}
