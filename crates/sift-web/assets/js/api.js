// The REST client: JSON in and out, the session's CSRF token on state-changing requests,
// errors as ApiError with the server's code and a readable message.

const BASE = '/api/v1';
let csrfToken = null;

/** An error answered by the API (or the network), readable as `message`. */
export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details ?? null;
  }
}

/** Remembers the CSRF token of a new session (the login answer carries it). */
export function setCsrf(token) { csrfToken = token || null; }

function csrf() {
  if (csrfToken) return csrfToken;
  const m = document.cookie.match(/(?:^|;\s*)sift_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : null;
}

const FRIENDLY = {
  rate_limited: 'Too many requests: wait a moment and try again.',
  csrf: 'Your session expired in this tab: reload the page and sign in again.',
  unavailable: 'The server is busy or a dependency is down; try again shortly.',
  internal: 'The server hit an internal error.',
};

/** Calls the API; resolves to the JSON body (null for 204), rejects with ApiError. */
export async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD') {
    const token = csrf();
    if (token) headers['x-csrf-token'] = token;
  }
  let res;
  try {
    res = await fetch(BASE + path, init);
  } catch (e) {
    throw new ApiError(0, 'network', 'Cannot reach the Sift server: check that it is running.');
  }
  if (res.status === 204) return null;
  let json = null;
  try { json = await res.json(); } catch { /* not JSON */ }
  if (!res.ok) {
    const err = json?.error;
    let message = err?.message || `${res.status} ${res.statusText}`;
    if (err?.code && FRIENDLY[err.code]) message = `${FRIENDLY[err.code]} (${message})`;
    if (err?.code === 'internal' && err.details?.request_id) message += ` Request id ${err.details.request_id}.`;
    throw new ApiError(res.status, err?.code || 'http', message, err?.details);
  }
  return json;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body ?? {});
export const put = (path, body) => api('PUT', path, body);
export const patch = (path, body) => api('PATCH', path, body);
export const del = (path) => api('DELETE', path);

/** A query string of the defined values of `params`. */
export function qs(params) {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

/** Health of the server (outside /api/v1). */
export async function health() {
  const res = await fetch('/health', { headers: { accept: 'application/json' } });
  return res.json();
}
