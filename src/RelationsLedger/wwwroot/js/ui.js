// Shared page pieces: header/navigation, pair sub-navigation, badges, value formatting.
import { el, replace, isHttpUrl, query, getJson, describeError, isKnownAt, typedKnownAt, isIsoDate, knownAtFromAddress } from './api.js';

const regionNames = (() => {
  try { return new Intl.DisplayNames(['en'], { type: 'region' }); } catch { return null; }
})();

/** "US" → "United States" (falls back to the code). */
export function countryName(code) {
  if (typeof code !== 'string' || !/^[A-Za-z]{2}$/.test(code)) return String(code ?? '');
  try {
    const name = regionNames && regionNames.of(code.toUpperCase());
    return name && name !== code.toUpperCase() && name !== 'Unknown Region' ? name : code.toUpperCase();
  } catch {
    return code.toUpperCase();
  }
}

/** The URL form of a canonical pair id ("BY-US"): the United States first when it is a party ("US-BY"). */
export function displayPair(pair) {
  const [a, b] = String(pair).split('-');
  return b === 'US' ? `${b}-${a}` : `${a}-${b}`;
}

/** "US-BY" → "United States – Belarus" (in the order given). */
export function pairTitle(pair) {
  const [a, b] = String(pair).split('-');
  return `${countryName(a)} – ${countryName(b)}`;
}

/** "SanctionsImposed" → "Sanctions imposed". */
export function typeLabel(type) {
  if (typeof type !== 'string') return '';
  const words = type.replace(/([a-z])([A-Z])/g, '$1 $2').split(' ');
  return words.map((w, i) => (i === 0 ? w : w.toLowerCase())).join(' ');
}

/** "byNationality" → "By nationality". */
export function fieldLabel(name) {
  const s = String(name).replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** ISO instant → "2025-09-11 12:03:22 UTC": in UTC, as the "as known at" boxes read a typed time. */
export function formatInstant(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** What is wrong with the address's dates (`names`, YYYY-MM-DD, real days), as a sentence; null when nothing is. */
export function addressDatesProblem(params, names) {
  const bad = names.filter((n) => params.get(n) && !isIsoDate(params.get(n)));
  return bad.length ? `${bad.map((n) => `${n}=${params.get(n)}`).join(', ')} in the address ${bad.length === 1 ? 'is not a date' : 'are not dates'} (YYYY-MM-DD, a day of the calendar): pick ${bad.length === 1 ? 'one' : 'them'} below.` : null;
}

/** Puts a knownAt in its box (as written) and says beside it (#error-BOX) when it is not a moment the API takes. */
export function showKnownAt(input, value) {
  input.value = value;
  const bad = value && !isKnownAt(value);
  const error = document.getElementById(`error-${input.id}`);
  if (error) error.textContent = bad ? `“${value}” is not a date and time: use YYYY-MM-DD HH:MM:SS (UTC) or an ISO 8601 instant.` : '';
  if (bad) input.setAttribute('aria-invalid', 'true'); else input.removeAttribute('aria-invalid');
}

/** The knownAt a box asks for: unchanged from `current` (the address's) as written, else as typed (typedKnownAt),
 *  shown back in the box; null, said beside it, when the box holds no moment (the address's own included). */
export function readKnownAt(input, current) {
  const typed = input.value.trim();
  const value = typed === current ? current : typedKnownAt(typed);
  showKnownAt(input, value ?? typed);
  const asked = value && !isKnownAt(value) ? null : value;
  if (asked === null) input.focus();
  return asked;
}

/** A writer's name (an API key's name, a seed file, "import") set apart as a name: "by default" reads as a phrase. */
export const writerName = (writer) => el('code', { class: 'writer' }, writer);

/** " by WRITER" after a recorded time; nothing for an event stored without one. */
export const byWriter = (writer) => (typeof writer === 'string' && writer ? [' by ', writerName(writer)] : null);

/** <time> for an occurredOn value, shown exactly as given ("2024-12", "2007"). */
export function occurred(value) {
  const text = value == null ? '—' : String(value);
  return el('time', { datetime: /^\d{4}(-\d{2}){0,2}$/.test(text) ? text : null }, text);
}

const NAV = [
  { href: '/', label: 'Relations', match: (p) => p === '/' || p.startsWith('/relations') || p.startsWith('/events') },
  { href: '/sanctions', label: 'Sanctions', match: (p) => p.startsWith('/sanctions') },
  { href: '/log', label: 'Log', match: (p) => p.startsWith('/log') },
  { href: '/status', label: 'Status', match: (p) => p.startsWith('/status') },
];

/** Fills <header id="site-header"> with the site name and main navigation. */
export function renderHeader() {
  const header = document.getElementById('site-header');
  if (!header) return;
  const path = location.pathname;
  replace(header,
    el('div', { class: 'header-inner' },
      el('a', { class: 'brand', href: '/' }, el('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '⚖'), 'RelationsLedger'),
      el('nav', { class: 'site-nav', 'aria-label': 'Main' },
        el('ul', null, NAV.map((n) => el('li', null,
          el('a', { href: n.href, 'aria-current': n.match(path) ? 'page' : null }, n.label))))),
    ));
}

/** The moment a pair's pages share, as the address holds it: the replay date and the knowledge (as written). */
function addressMoment() {
  const p = new URLSearchParams(location.search);
  return query({ asOf: p.get('asOf'), knownAt: knownAtFromAddress(p) });
}

/** The per-pair sub-navigation (Overview, Timeline, Changes, Add event); the first three carry the address's moment. */
export function renderPairNav(pair, current) {
  const nav = document.getElementById('pair-nav');
  if (!nav || !pair) return;
  const base = `/relations/${encodeURIComponent(pair)}`;
  const items = [
    ['overview', base, 'Overview'],
    ['timeline', `${base}/timeline`, 'Timeline'],
    ['diff', `${base}/diff`, 'What changed'],
    ['add', `${base}/add`, 'Add an event'],
  ];
  nav.setAttribute('aria-label', `${pairTitle(pair)} pages`);
  replace(nav, el('ul', null, items.map(([key, href, label]) =>
    el('li', null, el('a', { href, 'data-moment': key === 'add' ? null : 'true', 'aria-current': key === current ? 'page' : null }, label)))));
  updatePairNav();
}

/** Points the pair navigation at the address's moment again: a page calls it after rewriting its address. */
export function updatePairNav() {
  const moment = addressMoment();
  document.querySelectorAll('#pair-nav a[data-moment]').forEach((a) => {
    a.setAttribute('href', `${a.getAttribute('href').split('?')[0]}${moment}`);
  });
}

const STATUS_CLASS = {
  // sanctions
  active: 'st-red', eased: 'st-amber', lifted: 'st-green', expired: 'st-grey',
  // embassies
  open: 'st-green', suspended: 'st-amber', closed: 'st-red',
  // ambassadors
  nominated: 'st-blue', confirmed: 'st-blue', accredited: 'st-green',
  expelled: 'st-red', recalled: 'st-grey', withdrawn: 'st-red',
  // diff kinds
  added: 'st-green', removed: 'st-red', changed: 'st-blue',
  // stances
  supports: 'st-green', disputes: 'st-amber',
};

/** A status pill: the text label is always shown; colour only reinforces it. */
export function statusBadge(status) {
  const s = String(status ?? 'unknown');
  return el('span', { class: ['badge', STATUS_CLASS[s] || 'st-grey'], 'data-status': s }, s);
}

/** Provenance flags of an event: corrected / disputed / retracted. */
export function flagBadges(e) {
  return [
    e.corrected ? el('span', { class: 'badge flag-corrected', title: 'A later correction changed this event' }, 'corrected') : null,
    e.disputed ? el('span', { class: 'badge flag-disputed', title: 'At least one cited source disputes this event' }, 'disputed') : null,
    e.retracted ? el('span', { class: 'badge flag-retracted', title: 'This event was retracted and is not folded into state' }, 'retracted') : null,
  ];
}

/** Renders any JSON value as readable DOM (strings as text only). */
export function valueNode(value) {
  if (value === null || value === undefined) return el('span', { class: 'muted' }, '—');
  if (Array.isArray(value)) {
    if (value.length === 0) return el('span', { class: 'muted' }, 'none');
    if (value.every((v) => typeof v !== 'object' || v === null)) {
      return el('ul', { class: 'inline-list' }, value.map((v) => el('li', null, String(v))));
    }
    return el('ol', { class: 'plain-list' }, value.map((v) => el('li', null, valueNode(v))));
  }
  if (typeof value === 'object') {
    // a Source object
    if (typeof value.outlet === 'string') return sourceNode(value);
    return dataList(value);
  }
  return document.createTextNode(String(value));
}

// the only texts that may run over lines besides a summary: their line breaks are shown (.prose)
const PROSE = new Set(['gist', 'reason']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A key as a label: a field's name in words; a country code (a count's key, byNationality's LT) as the code. */
function keyLabel(key) {
  return /^[A-Z]{2}$/.test(key) ? el('abbr', { title: countryName(key) }, key) : fieldLabel(key);
}

/** A field's value; the event a provenance record names (correctsEventId, retractsEventId, eventId) as its link. */
function fieldValue(key, value) {
  return /eventId$/i.test(key) && typeof value === 'string' && UUID.test(value) ? eventLink(value, value) : valueNode(value);
}

/** An event's data object as a compact definition list. */
export function dataList(data, extraClass) {
  const entries = data && typeof data === 'object' ? Object.entries(data) : [];
  if (entries.length === 0) return el('p', { class: 'muted small' }, 'No data fields.');
  return el('dl', { class: ['data-list', extraClass] },
    entries.map(([k, v]) => [el('dt', null, keyLabel(k)), el('dd', { class: PROSE.has(k) ? 'prose' : null }, fieldValue(k, v))]));
}

/** One source: outlet, title (a link only for http/https URLs), publication date. */
export function sourceNode(s) {
  if (!s || typeof s !== 'object') return el('span', null, '—');
  const title = s.title || s.url || null;
  let titleNode = null;
  if (title) {
    titleNode = isHttpUrl(s.url)
      ? el('a', { href: s.url, rel: 'noopener noreferrer', target: '_blank' }, title)
      : el('span', { class: 'source-title' }, title);
  }
  return el('span', { class: 'source' },
    el('span', { class: 'source-outlet' }, s.outlet || 'Unknown outlet'),
    titleNode ? [': ', titleNode] : null,
    s.publishedOn ? el('span', { class: 'source-date' }, ` (${s.publishedOn})`) : null,
    s.url && !isHttpUrl(s.url) ? el('span', { class: 'muted small' }, ` [address not shown: ${String(s.url).slice(0, 80)}]`) : null);
}

/** A status line (loading / error / info) in a container, with role=status or alert. */
export function message(container, kind, text) {
  if (!container) return null;
  const node = el('p', { class: ['message', `message-${kind}`], role: kind === 'error' ? 'alert' : 'status' }, text);
  replace(container, node);
  return node;
}

/** A table wrapped so it scrolls horizontally on narrow screens. */
export function tableWrap(table, label) {
  return el('div', { class: 'table-wrap', role: 'region', 'aria-label': label || null, tabindex: '0' }, table);
}

export function eventLink(id, text) {
  return el('a', { href: `/events/${encodeURIComponent(id)}` }, text || `event ${String(id).slice(0, 8)}`);
}

renderHeader();

/** Links to the events that touched a row: #1 #2 … */
export function eventLinks(ids) {
  const list = Array.isArray(ids) ? ids : [];
  if (!list.length) return el('span', { class: 'muted' }, '—');
  return el('span', { class: 'event-links' }, list.map((id, i) => [i ? ' ' : null,
    el('a', { href: `/events/${encodeURIComponent(id)}`, 'aria-label': `Event ${i + 1} of ${list.length}`, title: `Event ${id}` }, `#${i + 1}`)]));
}

/** The cells of a sanctions measure, from its issuer to its events; `extra` joins the target cell (badges, notes). */
// `moment` ({ asOf, knownAt } as the page's URL holds them): the target links to the register screened for it then,
// across relations — by its id when it has one, else by its name
export function sanctionCells(s, extra = null, moment = {}) {
  const measures = Array.isArray(s.measures) ? s.measures : [];
  const eased = Array.isArray(s.easedScope) ? s.easedScope : [];
  const screen = `/sanctions${query({ asOf: moment.asOf, knownAt: moment.knownAt, target: s.targetId || s.target })}`;
  return [
    el('td', { class: 'nowrap' }, el('abbr', { title: countryName(s.imposedBy) }, s.imposedBy)),
    el('td', null, el('a', { href: screen, class: 'target-link', title: `The register screened for “${s.targetId || s.target}”: every measure, across relations, whose target or id holds these words` }, s.target), s.targetKind ? el('span', { class: 'muted small' }, ` (${s.targetKind})`) : null,
      s.targetId ? el('div', { class: 'muted small mono' }, s.targetId) : null, extra),
    el('td', null, s.program || el('span', { class: 'muted' }, '—'), s.authority ? el('div', { class: 'muted small' }, s.authority) : null),
    el('td', null, statusBadge(s.status)),
    el('td', { class: 'nowrap' }, occurred(s.since)),
    el('td', null,
      measures.length ? el('ul', { class: 'measures' }, measures.map((m) => el('li', null, m))) : el('span', { class: 'muted' }, '—'),
      eased.length ? el('div', { class: 'small' }, el('strong', null, 'Eased: '), eased.join('; ')) : null),
    el('td', { class: 'nowrap' }, eventLinks(s.eventIds)),
  ];
}

/** A list read a page at a time from an API answer's `next` link: each page's `events` rendered by `item` into `list`,
 *  the `more` button following `next`. Only the newest request's page is shown; `counted` runs after each page. */
export function pager({ list, item, more, statusBox, loading, empty, failed, counted }) {
  const state = { shown: 0, next: null };
  let loadNo = 0;
  async function load(url, { append }) {
    const no = ++loadNo;
    more.disabled = true;
    if (!append) message(statusBox, 'loading', loading);
    try {
      const page = await getJson(url);
      if (no !== loadNo) return;
      const events = Array.isArray(page?.events) ? page.events : [];
      if (!append) { list.replaceChildren(); state.shown = 0; }
      list.append(...events.map(item));
      state.shown += events.length;
      // only follow same-origin API paths
      state.next = typeof page?.next === 'string' && page.next.startsWith('/api/') ? page.next : null;
      statusBox.replaceChildren();
      if (state.shown === 0) message(statusBox, 'info', empty);
      more.hidden = !state.next;
      counted();
    } catch (e) {
      if (no !== loadNo) return;
      message(statusBox, 'error', `${failed}: ${describeError(e)}`);
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', () => { if (state.next) load(state.next, { append: true }); });
  state.load = load;
  return state;
}
