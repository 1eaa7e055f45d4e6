// Sign in and create an account.

import { h, fill, go, errorText, toast } from '../dom.js';
import { login, register, session } from '../session.js';

export async function mount(root, params) {
  const registering = params.mode === 'register';
  if (session.me) { go('/account'); return undefined; }
  const error = h('div', { class: 'form-error', role: 'alert', id: 'auth-error' });
  const email = h('input', { type: 'email', name: 'email', autocomplete: 'email', required: true, autofocus: true });
  const password = h('input', {
    type: 'password', name: 'password', required: true, minlength: registering ? 10 : null,
    autocomplete: registering ? 'new-password' : 'current-password',
  });
  const submit = h('button', { class: 'btn primary', type: 'submit' }, registering ? 'Create account' : 'Sign in');
  const form = h('form', {
    onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = ''; submit.disabled = true;
      try {
        if (registering) await register(email.value, password.value); else await login(email.value, password.value);
        toast(registering ? 'Welcome to Sift: your account is ready.' : 'Signed in.', 'ok');
        go('/');
      } catch (err) {
        error.textContent = errorText(err);
      } finally { submit.disabled = false; }
    },
  },
  h('label', { class: 'field' }, h('span', null, 'Email'), email),
  h('label', { class: 'field' }, h('span', null, 'Password'), password),
  registering ? h('p', { class: 'muted', style: { margin: 0 } }, 'At least 10 characters. New accounts start on the free tier.') : null,
  error, submit);
  fill(root, h('div', { class: 'auth panel' },
    h('div', { class: 'head' }, h('h1', null, registering ? 'Create an account' : 'Sign in to Sift')),
    h('div', { class: 'body' }, form,
      h('p', { class: 'muted' }, registering
        ? ['Already have an account? ', h('a', { href: '/login' }, 'Sign in')]
        : ['New here? ', h('a', { href: '/register' }, 'Create an account')]))));
  return undefined;
}
