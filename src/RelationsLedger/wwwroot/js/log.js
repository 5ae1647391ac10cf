// The log: every event as recorded, newest first, across pairs (GET /api/events?order=desc), narrowed by pair,
// writer and type, paged with "load older". A correction, citation or retraction links the fact it names.
import { el, replace, getJson, describeError, query } from './api.js';
import { message, typeLabel, displayPair, eventLink, occurred, formatInstant } from './ui.js';

const PAGE_SIZE = 50;
const $ = (id) => document.getElementById(id);
const form = $('log-filters');
const tbody = $('log').tBodies[0];
const statusBox = $('log-message');
const moreButton = $('log-more');
// the member of each provenance type that names its fact, and what the row says of it
const NAMES = { EventCorrected: ['correctsEventId', 'corrects'], SourceCited: ['eventId', 'cites a source on'], EventRetracted: ['retractsEventId', 'retracts'] };

let next = null;
let shown = 0;
let loadNo = 0;

function readUrl() {
  const p = new URLSearchParams(location.search);
  return { pair: (p.get('pair') || '').slice(0, 5), recordedBy: (p.get('recordedBy') || '').slice(0, 300), types: p.get('types') || '' };
}

function readForm() {
  return { pair: $('log-pair').value.trim().toUpperCase(), recordedBy: $('log-writer').value.trim(), types: $('log-type').value };
}

function row(e) {
  const recorded = e.recorded || {};
  const named = NAMES[e.type];
  const target = named && e.data ? e.data[named[0]] : null;
  const pair = typeof e.pair === 'string' ? e.pair : '';
  return el('tr', { 'data-sequence': String(recorded.sequence), 'data-type': e.type, 'data-pair': pair },
    el('td', { class: 'num mono nowrap' }, String(recorded.sequence ?? '')),
    el('td', null, formatInstant(recorded.at)),
    el('td', { class: 'mono nowrap' }, recorded.by || el('span', { class: 'muted' }, '—')),
    el('td', { class: 'nowrap' }, pair ? el('a', { href: `/relations/${encodeURIComponent(displayPair(pair))}` }, displayPair(pair)) : '—'),
    el('td', null, typeLabel(e.type)),
    el('td', null, occurred(e.occurredOn)),
    el('td', null,
      eventLink(e.eventId, e.summary || 'event'),
      target ? el('div', { class: 'muted small' }, `${named[1]} `, eventLink(target)) : null));
}

function updateCount() {
  $('log-counts').textContent = shown === 0 ? '' : `Showing the ${shown} latest record${shown === 1 ? '' : 's'}${next ? ' — older ones available' : ''}.`;
  moreButton.hidden = !next;
}

async function load(url, { append }) {
  const no = ++loadNo;
  moreButton.disabled = true;
  if (!append) message(statusBox, 'loading', 'Loading the log…');
  try {
    const page = await getJson(url);
    if (no !== loadNo) return;
    const events = Array.isArray(page?.events) ? page.events : [];
    if (!append) { tbody.replaceChildren(); shown = 0; }
    tbody.append(...events.map(row));
    shown += events.length;
    // only follow same-origin API paths
    next = typeof page?.next === 'string' && page.next.startsWith('/api/') ? page.next : null;
    statusBox.replaceChildren();
    if (shown === 0) message(statusBox, 'info', 'Nothing recorded matches these filters.');
    updateCount();
  } catch (e) {
    if (no !== loadNo) return;
    message(statusBox, 'error', `Could not load the log: ${describeError(e)}`);
  } finally {
    moreButton.disabled = false;
  }
}

function show(f) {
  history.replaceState(null, '', `${location.pathname}${query(f)}`);
  load(`/api/events${query({ order: 'desc', limit: PAGE_SIZE, ...f })}`, { append: false });
}

async function loadTypes(selected) {
  let names = [];
  try {
    const catalog = await getJson('/api/catalog');
    names = (catalog?.types || []).filter((t) => t && typeof t.name === 'string').map((t) => t.name);
  } catch (e) {
    return;
  }
  names.sort((a, b) => typeLabel(a).localeCompare(typeLabel(b)));
  replace($('log-type'), el('option', { value: '' }, 'any type'),
    names.map((name) => el('option', { value: name, selected: name === selected }, typeLabel(name))));
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  show(readForm());
});
$('log-reset').addEventListener('click', () => {
  form.reset();
  show(readForm());
});
moreButton.addEventListener('click', () => { if (next) load(next, { append: true }); });

const f = readUrl();
$('log-pair').value = f.pair;
$('log-writer').value = f.recordedBy;
show(f);
loadTypes(f.types).then(() => { $('log-type').value = f.types; });
