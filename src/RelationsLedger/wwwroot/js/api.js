// Fetch helpers and a safe DOM builder. Nothing here ever parses a string as HTML:
// every string child becomes a text node, attributes are set with setAttribute, and
// event handlers are attached with addEventListener (the CSP forbids inline handlers).

/** An HTTP failure; `problem` is the RFC 7807 body when the server sent one. */
export class ApiError extends Error {
  constructor(status, problem, url) {
    const title = problem && typeof problem.title === 'string' ? problem.title : null;
    super(title || (status ? `HTTP ${status}` : 'Network error'));
    this.status = status;
    this.problem = problem || null;
    this.url = url;
  }
}

async function readBody(response) {
  const type = response.headers.get('Content-Type') || '';
  if (response.status === 204) return null;
  if (type.includes('json')) {
    try { return await response.json(); } catch { return null; }
  }
  const text = await response.text();
  return text ? { title: null, detail: text.slice(0, 300) } : null;
}

/** Where this tab keeps the API key the add page asks for: reads send it too, for a ledger whose reads need one
 * (Ledger:ReadsRequireKey). */
export const KEY_STORE = 'relationsledger.apiKey';

export function storedKey() {
  try { return sessionStorage.getItem(KEY_STORE) || ''; } catch { return ''; }
}

/** A GET with the stored key; throws ApiError on a non-2xx answer or a network failure. */
async function read(url, accept, signal) {
  let response;
  const key = storedKey();
  try {
    response = await fetch(url, { headers: { Accept: accept, ...(key ? { 'X-Api-Key': key } : {}) }, signal });
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, { title: 'The server could not be reached.' }, url);
  }
  if (!response.ok) throw new ApiError(response.status, await readBody(response), url);
  return response;
}

/** GET a JSON resource; throws ApiError on a non-2xx answer or a network failure. */
export async function getJson(url, { signal } = {}) {
  return readBody(await read(url, 'application/json', signal));
}

/** Follows a stream of server-sent events with the stored key: EventSource cannot send a header, so on a ledger whose
 * reads need a key the page's live updates were refused. Calls onOpen() once connected, onEvent(name, data) for each
 * event, onRetry(error or null, ms) when the stream ends or fails and is tried again after ms — the server's `retry`,
 * its Retry-After when it is busy (429, 503), doubled after each failure in a row up to a minute — and onRefused(error)
 * when it is refused for good (a missing or wrong key, a bad pair). Returns a function that stops it. */
export function followEvents(url, { onOpen, onEvent, onRetry, onRefused }) {
  let stopped = false;
  let controller = null;
  let timer = null;
  let retry = 2000;
  let failures = 0;
  const dispatch = (lines) => {
    let name = 'message';
    const data = [];
    for (const line of lines) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
      if (field === 'event') name = value;
      else if (field === 'data') data.push(value);
      else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
    }
    if (data.length) onEvent(name, data.join('\n'));
  };
  async function connect() {
    controller = new AbortController();
    let wait;
    try {
      const key = storedKey();
      const response = await fetch(url, {
        headers: { Accept: 'text/event-stream', ...(key ? { 'X-Api-Key': key } : {}) }, signal: controller.signal, cache: 'no-store',
      });
      if (!response.ok) {
        const error = new ApiError(response.status, await readBody(response), url);
        if (response.status !== 429 && response.status < 500) { onRefused(error); return; }
        const after = Number(response.headers.get('Retry-After'));
        failures++;
        wait = Number.isFinite(after) && after > 0 ? after * 1000 : Math.min(60000, retry * 2 ** failures);
        onRetry(error, wait);
      } else {
        failures = 0;
        onOpen();
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let text = '';
        let lines = [];
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          text += value;
          const parts = text.split(/\r\n|\r|\n/);
          text = parts.pop();
          for (const line of parts) {
            if (line === '') { dispatch(lines); lines = []; } else lines.push(line);
          }
        }
        wait = retry;
        onRetry(null, wait);
      }
    } catch (e) {
      if (stopped) return;
      failures++;
      wait = Math.min(60000, retry * 2 ** (failures - 1));
      onRetry(new ApiError(0, { title: 'The server could not be reached.' }, url), wait);
    }
    if (!stopped) timer = setTimeout(connect, wait);
  }
  connect();
  return () => { stopped = true; clearTimeout(timer); if (controller) controller.abort(); };
}

/** Makes a download link (href and download name kept up to date by its page) send the stored key: a plain link
 * cannot send a header, so with a key stored a click fetches the file and saves it under the link's name. Without
 * one the link downloads as it is. A failure goes to onError (an ApiError, for describeError). */
export function downloadWithKey(link, onError) {
  link.addEventListener('click', async (ev) => {
    if (!storedKey()) return;
    ev.preventDefault();
    try {
      const blob = await (await read(link.href, 'text/csv')).blob();
      const url = URL.createObjectURL(blob);
      const save = document.createElement('a');
      save.href = url;
      save.download = link.getAttribute('download') || '';
      save.click();
      // revoked later, not at once: the browser may still be reading the blob to save it
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch (e) {
      onError(e);
    }
  });
}

/** POST JSON; resolves to {status, body, response} whatever the status (callers decide what is an error). */
export async function postJson(url, payload, headers = {}) {
  let response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json, application/problem+json', ...headers },
      body: JSON.stringify(payload),
    });
  } catch {
    return { status: 0, body: { title: 'The server could not be reached.' }, response: null };
  }
  return { status: response.status, body: await readBody(response), response };
}

// "As known at", one rule on every page. A knownAt in the address goes to the API exactly as written (the API's forms: a
// date — its midnight — or a date and time, seconds and fraction optional, with an optional offset, UTC when none), and
// the box shows it. A value typed in the box is UTC; typed to the minute or second, it runs to the end of that minute or
// second, so a recorded time as the pages show it ("2026-11-26 00:44:55 UTC"), pasted back, includes its event.
const KNOWN_AT = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,7})?)?(Z|z|[+-]\d{2}:?\d{2})?)?$/;

/** The address's knownAt; a query decodes an offset's "+" as a space, which is put back. '' when none. */
export function knownAtFromAddress(params) {
  const v = (params.get('knownAt') || '').trim();
  return v.replace(/^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?) (\d{2}:?\d{2})$/, '$1+$2');
}

/** True when `value` is a knownAt the API takes and names a real moment (2025-02-30 or 24:00 are not). */
export function isKnownAt(value) {
  const m = KNOWN_AT.exec(value);
  if (!m || !isIsoDate(m[1])) return false;
  const offset = /^[+-](\d{2}):?(\d{2})$/.exec(m[6] || '');
  return (m[2] === undefined || (Number(m[2]) < 24 && Number(m[3]) < 60 && Number(m[4] || 0) < 60))
    && (!offset || (Number(offset[1]) <= 14 && Number(offset[2]) < 60));
}

/** A value typed in a knownAt box as the API takes it: UTC, to the end of its minute or second; null when not a moment. */
export function typedKnownAt(text) {
  const v = String(text).trim().replace(/\s*UTC$/i, '');
  if (!v) return '';
  if (!isKnownAt(v)) return null;
  const [, date, h, min, sec, fraction, offset] = KNOWN_AT.exec(v);
  if (h === undefined || fraction || offset) return v;
  return `${date}T${h}:${min}:${sec ?? '59'}.999999Z`;
}

/** A knownAt as UTC text, its fraction of a second as given: "2026-11-26 00:44:55.151307 UTC". */
export function formatKnownAt(value) {
  const m = KNOWN_AT.exec(value || '');
  if (!m) return String(value || '');
  const whole = new Date(`${m[1]}T${m[2] ?? '00'}:${m[3] ?? '00'}:${m[4] ?? '00'}${(m[6] || 'Z').replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')}`);
  if (Number.isNaN(whole.getTime())) return String(value);
  return `${whole.toISOString().slice(0, 19).replace('T', ' ')}${m[5] || ''} UTC`;
}

/** ", as known at …" after what a page shows, for a knownAt; '' for none (the newest knowledge). */
export const asKnownAt = (value) => (value ? `, as known at ${formatKnownAt(value)}` : '');

/** Builds a query string from an object, skipping null/undefined/empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === '' || v === false) continue;
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** True for absolute http(s) URLs only: the only external links we ever render. */
export function isHttpUrl(value) {
  if (typeof value !== 'string') return false;
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** Same-origin path ("/x", not "//host") or an http(s) URL. */
function safeHref(value) {
  const s = String(value);
  if (s.startsWith('/') && !s.startsWith('//')) return s;
  if (s.startsWith('?') || s.startsWith('#')) return s;
  return isHttpUrl(s) ? s : null;
}

const URL_ATTRS = new Set(['href', 'src', 'action', 'formaction', 'xlink:href']);

/**
 * el(tag, attrs, ...children): creates an element.
 * attrs: {class, id, for, dataset-like "data-x", aria-*, boolean props (checked, disabled, hidden, …),
 *         on<Event>: function → addEventListener}. "style", "innerHTML" and string on* are refused.
 * children: strings/numbers (text nodes), Nodes, arrays (flattened), null/undefined/false (skipped).
 */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith('on')) {
        if (typeof value !== 'function') throw new Error(`el: ${key} must be a function`);
        node.addEventListener(key.slice(2).toLowerCase(), value);
        continue;
      }
      if (key === 'style' || key === 'innerHTML' || key === 'outerHTML' || key === 'srcdoc') {
        throw new Error(`el: attribute ${key} is not allowed`);
      }
      if (key === 'class' || key === 'className') {
        node.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : String(value);
        continue;
      }
      if (key === 'value' && 'value' in node) { node.value = String(value); continue; }
      if (key === 'checked' || key === 'selected') { node[key] = Boolean(value); if (value) node.setAttribute(key, ''); continue; }
      if (URL_ATTRS.has(key)) {
        const href = safeHref(value);
        if (href !== null) node.setAttribute(key, href);
        continue;
      }
      node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else if (child instanceof Node) node.appendChild(child);
    else node.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces every child of `node` with `children` (same rules as el). */
export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

/** The pair segment of /relations/{PAIR}/..., upper-cased, or null. */
export function pairFromPath(pathname = location.pathname) {
  const m = /^\/relations\/([^/]+)/.exec(pathname);
  if (!m) return null;
  const pair = decodeURIComponent(m[1]).toUpperCase();
  return /^[A-Z]{2}-[A-Z]{2}$/.test(pair) ? pair : null;
}

/** Today's date in UTC as YYYY-MM-DD: every date of the product is a UTC day, whatever the browser's zone. */
export function today() {
  return new Date().toISOString().slice(0, 10);
}

/** "2006", "2006-06" or "2006-06-16" → "2006-01-01" style first day of the period. */
export function periodStart(occurred) {
  if (typeof occurred !== 'string') return null;
  if (/^\d{4}$/.test(occurred)) return `${occurred}-01-01`;
  if (/^\d{4}-\d{2}$/.test(occurred)) return `${occurred}-01`;
  if (/^\d{4}-\d{2}-\d{2}$/.test(occurred)) return occurred;
  return null;
}

const DAY = 86400000;
/** YYYY-MM-DD → whole days since 1970-01-01 (UTC arithmetic, no time-zone drift). */
export function dayNumber(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  return Math.round(Date.UTC(y, m - 1, d) / DAY);
}
export function fromDayNumber(n) {
  return new Date(n * DAY).toISOString().slice(0, 10);
}
/** A real calendar date, YYYY-MM-DD (2025-02-30 is not). */
export function isIsoDate(s) {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Prisoners released whose nationality was not recorded: the total less the breakdown by nationality. */
export function unattributed(prisoners) {
  const listed = Object.values(prisoners?.byNationality || {}).reduce((sum, n) => sum + (Number(n) || 0), 0);
  return Math.max(0, (prisoners?.total ?? 0) - listed);
}

/** A short human message for an error thrown by getJson. */
export function describeError(e) {
  if (e instanceof ApiError) {
    const p = e.problem || {};
    const parts = [];
    if (e.status === 404 && !p.title) parts.push('Not found (HTTP 404) — this endpoint may not be available yet.');
    else if (e.status === 401 || e.status === 403) parts.push(`${e.message} (HTTP ${e.status}) — this ledger asks a key for reads too: enter it on an “Add an event” page, and this tab keeps it.`);
    else parts.push(e.message + (e.status ? ` (HTTP ${e.status})` : ''));
    if (typeof p.detail === 'string' && p.detail && p.detail !== e.message) parts.push(p.detail);
    if (p.errors && typeof p.errors === 'object') {
      for (const [field, messages] of Object.entries(p.errors)) {
        parts.push(`${field}: ${[].concat(messages).join(' ')}`);
      }
    }
    return parts.join(' ');
  }
  return e && e.message ? e.message : String(e);
}

/** Calls fn at most once per `ms` of quiet. */
export function debounce(fn, ms) {
  let t = null;
  const wrapped = (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(t);
  return wrapped;
}
