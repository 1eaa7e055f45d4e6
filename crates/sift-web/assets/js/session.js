// Who is signed in, and the traders they may see (cached, reloaded when the session changes).

import { get, post, setCsrf } from './api.js';

/** The signed-in user ({id, email, tier, is_admin}) or null. */
export const session = { me: null };

const listeners = new Set();
let tradersPromise = null;

/** Calls `fn` after every sign-in or sign-out; returns the unsubscribe function. */
export function onSession(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function changed() {
  tradersPromise = null;
  for (const fn of listeners) fn(session.me);
}

/** Reads the session from the server (a 401 means anonymous). */
export async function loadMe() {
  try {
    session.me = await get('/me');
  } catch (e) {
    if (e.status !== 401) throw e;
    session.me = null;
  }
  changed();
  return session.me;
}

/** Signs in; rejects with the API's error. */
export async function login(email, password) {
  const r = await post('/auth/login', { email, password });
  setCsrf(r.csrf_token);
  session.me = r.user;
  changed();
}

/** Creates an account (free tier) and signs in. */
export async function register(email, password) {
  const r = await post('/auth/register', { email, password });
  setCsrf(r.csrf_token);
  session.me = r.user;
  changed();
}

export async function logout() {
  try { await post('/auth/logout'); } finally {
    setCsrf(null);
    session.me = null;
    changed();
  }
}

/** Tier order, lowest first. */
export const TIERS = ['anonymous', 'free', 'pro', 'elite'];

/** The caller's tier ('anonymous' when signed out). */
export const tier = () => session.me?.tier ?? 'anonymous';

/** The signed-in user's limits as the server reports them (`/me`), or null. */
const limits = () => session.me?.limits ?? null;

/** Whether the caller may list stored signals (as the server decides). */
export const hasHistory = () => !!session.me && (limits()?.history ?? true);

/** Whether the caller may create and test notification channels. */
export const canNotify = () => !!limits()?.notifications;

/** How many own traders the caller may have (Infinity for unlimited), as the server says. */
export function quota() {
  const l = limits();
  if (!l) return 0;
  return l.custom_traders === null || l.custom_traders === undefined ? Infinity : l.custom_traders;
}

/** Traders the caller may see, as a Map id -> trader (cached until the session changes). */
export function traders() {
  if (!tradersPromise) {
    tradersPromise = get('/traders')
      .then((r) => new Map(r.traders.map((t) => [t.id, t])))
      .catch((e) => { tradersPromise = null; throw e; });
  }
  return tradersPromise;
}

/** Forgets the cached traders (after a create, edit or delete). */
export function invalidateTraders() { tradersPromise = null; }
