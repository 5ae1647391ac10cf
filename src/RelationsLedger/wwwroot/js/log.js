// The log: every event as recorded, newest first, across pairs (GET /api/events?order=desc), narrowed by pair,
// writer and type, paged with "load older". A correction, citation or retraction links the fact it names.
import { el, replace, getJson, query } from './api.js';
import { typeLabel, displayPair, eventLink, occurred, formatInstant, pager, writerName } from './ui.js';

const PAGE_SIZE = 50;
const $ = (id) => document.getElementById(id);
const form = $('log-filters');
const tbody = $('log').tBodies[0];
const statusBox = $('log-message');
// the member of each provenance type that names its fact, and what the row says of it
const NAMES = { EventCorrected: ['correctsEventId', 'corrects'], SourceCited: ['eventId', 'cites a source on'], EventRetracted: ['retractsEventId', 'retracts'] };

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
    el('td', null, el('time', { datetime: recorded.at }, formatInstant(recorded.at))),
    el('td', { class: 'nowrap' }, recorded.by ? writerName(recorded.by) : el('span', { class: 'muted' }, '—')),
    el('td', { class: 'nowrap' }, pair ? el('a', { href: `/relations/${encodeURIComponent(displayPair(pair))}` }, displayPair(pair)) : '—'),
    el('td', null, typeLabel(e.type)),
    el('td', null, occurred(e.occurredOn)),
    el('td', null,
      eventLink(e.eventId, e.summary || 'event'),
      target ? el('div', { class: 'muted small' }, `${named[1]} `, eventLink(target)) : null));
}

const pages = pager({
  list: tbody, item: row, more: $('log-more'), statusBox,
  loading: 'Loading the log…', empty: 'Nothing recorded matches these filters.', failed: 'Could not load the log',
  counted: () => {
    const { shown, next } = pages;
    $('log-counts').textContent = shown === 0 ? '' : `Showing the ${shown} latest record${shown === 1 ? '' : 's'}${next ? ' — older ones available' : ''}.`;
  },
});

function show(f) {
  history.replaceState(null, '', `${location.pathname}${query(f)}`);
  pages.load(`/api/events${query({ order: 'desc', limit: PAGE_SIZE, ...f })}`, { append: false });
}

// The address's types (any case, one or several) as the catalog spells them; one choice of the list, or an option
// of their own for several (or a name the catalog lacks, which the API then refuses): never dropped.
async function loadTypes(selected) {
  let names = [];
  try {
    const catalog = await getJson('/api/catalog');
    names = (catalog?.types || []).filter((t) => t && typeof t.name === 'string').map((t) => t.name);
  } catch (e) { /* the address's types keep an option of their own */ }
  names.sort((a, b) => typeLabel(a).localeCompare(typeLabel(b)));
  const asked = selected.split(',').map((t) => t.trim()).filter(Boolean)
    .map((t) => names.find((n) => n.toLowerCase() === t.toLowerCase()) || t);
  const value = asked.join(',');
  const own = asked.length && !names.includes(value) ? el('option', { value }, asked.map(typeLabel).join(' + ')) : null;
  replace($('log-type'), el('option', { value: '' }, 'any type'), own, names.map((name) => el('option', { value: name }, typeLabel(name))));
  $('log-type').value = value;
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  show(readForm());
});
$('log-reset').addEventListener('click', () => {
  form.reset();
  show(readForm());
});

const f = readUrl();
$('log-pair').value = f.pair;
$('log-writer').value = f.recordedBy;
show(f);
loadTypes(f.types);
