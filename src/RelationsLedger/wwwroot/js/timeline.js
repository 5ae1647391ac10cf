// Timeline: a pair's events in date order, filterable by date range and type, paged with "load more".
import { el, replace, getJson, downloadWithKey, describeError, query, pairFromPath, isIsoDate, knownAtFromAddress, asKnownAt, isKnownAt } from './api.js';
import {
  pairTitle, renderPairNav, message, typeLabel, flagBadges, dataList, sourceNode, eventLink, occurred, formatInstant, byWriter, pager, showKnownAt, readKnownAt, addressDatesProblem, updatePairNav,
} from './ui.js';

const PAGE_SIZE = 50;
const CSV_LIMIT = 10000;
const pair = pairFromPath();
const $ = (id) => document.getElementById(id);
const form = $('timeline-filters');
const list = $('timeline');
const statusBox = $('timeline-status');
const countBox = $('timeline-count');

function readUrl() {
  const p = new URLSearchParams(location.search);
  return {
    q: (p.get('q') || '').slice(0, 200),
    match: (p.get('match') || '').toLowerCase() === 'similar' ? 'similar' : '',
    from: isIsoDate(p.get('from')) ? p.get('from') : '',
    to: isIsoDate(p.get('to')) ? p.get('to') : '',
    types: (p.get('types') || '').split(',').map((t) => t.trim()).filter(Boolean),
    includeRetracted: p.get('includeRetracted') === 'true',
    knownAt: knownAtFromAddress(p),
  };
}

// the types asked while the catalog is not there to tick them (still loading, or failed): kept, not dropped
let typesUnticked = [];

function readForm() {
  const boxes = document.querySelectorAll('#type-checkboxes input[type=checkbox]');
  return {
    q: $('filter-q').value.trim(),
    match: $('filter-similar').checked ? 'similar' : '',
    from: $('filter-from').value,
    to: $('filter-to').value,
    types: boxes.length ? [...boxes].filter((c) => c.checked).map((c) => c.value) : typesUnticked,
    includeRetracted: $('filter-retracted').checked,
    knownAt: readKnownAt($('filter-known'), knownNow),
  };
}

// similar spellings only where there are words to spell
const matchOf = (f) => (f.q ? f.match : '');

// the overview's date, not used here: kept in the address so the pair navigation takes it back
const passedAsOf = new URLSearchParams(location.search).get('asOf');

function writeUrl(f) {
  const q = query({ q: f.q, match: matchOf(f), from: f.from, to: f.to, types: f.types.join(','), includeRetracted: f.includeRetracted ? 'true' : '', knownAt: f.knownAt, asOf: passedAsOf });
  history.replaceState(null, '', `${location.pathname}${q}`);
  updatePairNav();
}

// Letters folded as the server's word screen folds them (WordScreen.Fold): lower case, accents dropped, Cyrillic in
// Latin letters, anything else not a letter or digit a space.
const CYRILLIC = ['a', 'b', 'v', 'g', 'd', 'e', 'zh', 'z', 'i', 'i', 'k', 'l', 'm', 'n', 'o', 'p', 'r', 's', 't', 'u', 'f', 'kh', 'ts', 'ch', 'sh', 'shch', '', 'y', '', 'e', 'yu', 'ya'];
const LETTERS = { 'ł': 'l', 'đ': 'd', 'ø': 'o', 'ß': 'ss', 'æ': 'ae', 'œ': 'oe', 'ı': 'i', 'þ': 'th', 'ð': 'd', 'і': 'i', 'є': 'ie', 'ґ': 'g' };

function foldChar(c) {
  const base = c.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  return [...base].map((b) => {
    if (b >= 'а' && b <= 'я') return CYRILLIC[b.charCodeAt(0) - 'а'.charCodeAt(0)];
    if (LETTERS[b] !== undefined) return LETTERS[b];
    return /[\p{L}\p{N}]/u.test(b) ? b : ' ';
  }).join('');
}

const searchWords = (q) => [...q].map(foldChar).join('').split(' ').filter(Boolean);

// A text with the searched words marked (<mark>): each word where it occurs in the folded text, mapped back to the
// characters it came from. Text nodes only: nothing of the text is read as HTML.
function marked(text, words) {
  if (!words.length || typeof text !== 'string') return text;
  const chars = [...text];
  let folded = '';
  const from = []; // the original character of each folded one
  chars.forEach((c, i) => { for (const f of foldChar(c)) { folded += f; from.push(i); } });
  const hit = new Array(chars.length).fill(false);
  for (const w of words) {
    for (let at = folded.indexOf(w); at >= 0; at = folded.indexOf(w, at + 1)) {
      for (let k = at; k < at + w.length; k++) hit[from[k]] = true;
    }
  }
  const parts = [];
  let run = '';
  let marking = false;
  chars.forEach((c, i) => {
    if (hit[i] !== marking && run) { parts.push(marking ? el('mark', null, run) : run); run = ''; }
    marking = hit[i];
    run += c;
  });
  if (run) parts.push(marking ? el('mark', null, run) : run);
  return parts;
}

// the words of the search shown, marked in the summaries (as typed only: a similar spelling has no place to mark)
let marks = [];

function item(e) {
  const sources = Array.isArray(e.sources) ? e.sources : [];
  const related = Array.isArray(e.relatedEventIds) ? e.relatedEventIds : [];
  return el('li', {
    class: 'timeline-item', 'data-type': e.type, 'data-event-id': e.eventId,
    'data-corrected': String(Boolean(e.corrected)), 'data-disputed': String(Boolean(e.disputed)), 'data-retracted': String(Boolean(e.retracted)),
  },
  el('article', { 'aria-labelledby': `ev-${e.eventId}` },
    el('header', { class: 'item-head' },
      el('span', { class: 'item-date' }, occurred(e.occurredOn)),
      el('h3', { class: 'item-type', id: `ev-${e.eventId}` }, typeLabel(e.type)),
      flagBadges(e)),
    el('p', { class: 'item-summary' }, marked(e.summary, marks)),
    dataList(e.data),
    el('div', { class: 'item-sources' },
      el('span', { class: 'item-sources-label' }, sources.length === 1 ? 'Source' : `Sources (${sources.length})`),
      sources.length
        ? el('ul', { class: 'source-list' }, sources.map((s) => el('li', null, sourceNode(s))))
        : el('p', { class: 'muted small' }, 'No sources.')),
    el('footer', { class: 'item-foot' },
      eventLink(e.eventId, 'Event page'),
      related.length ? el('span', null, 'Related: ', related.map((id, i) => [i ? ', ' : null, eventLink(id)])) : null,
      el('span', { class: 'muted item-recorded' }, 'Recorded',
        e.recordedAt ? ` ${formatInstant(e.recordedAt)}` : null, byWriter(e.recordedBy),
        Number.isFinite(e.sequence) ? ` as #${e.sequence}` : null))));
}

// the knownAt the list answers for, as the API takes it
let knownNow = '';

const pages = pager({
  list, item, more: $('load-more'), statusBox,
  loading: 'Loading events…', empty: 'No events match these filters.', failed: 'Could not load the timeline',
  counted: () => {
    const { shown, next } = pages;
    const known = asKnownAt(knownNow);
    countBox.textContent = shown === 0 && !known ? '' : `Showing ${shown} event${shown === 1 ? '' : 's'}${known}${next ? ' — more available' : ''}.`;
  },
});

function timelineUrl(f, extra) {
  return `/api/relations/${encodeURIComponent(pair)}/timeline${query({
    q: f.q, match: matchOf(f), from: f.from, to: f.to, types: f.types.join(','), includeRetracted: f.includeRetracted ? 'true' : '', knownAt: f.knownAt, ...extra,
  })}`;
}

function search(f) {
  knownNow = f.knownAt;
  marks = f.match ? [] : searchWords(f.q);
  // the download holds what the filters show, up to the API's largest page
  $('download-csv').setAttribute('href', timelineUrl(f, { limit: CSV_LIMIT, format: 'csv' }));
  $('download-csv').setAttribute('download', `timeline-${pair}.csv`);
  pages.load(timelineUrl(f, { limit: PAGE_SIZE }), { append: false });
}

async function loadTypes(selected) {
  const box = $('type-checkboxes');
  let names = [];
  try {
    const catalog = await getJson('/api/catalog');
    names = (catalog?.types || []).filter((t) => t && !t.provenance && typeof t.name === 'string').map((t) => t.name);
  } catch (e) {
    message(box, 'error', `Event types unavailable, so every type is shown. ${describeError(e)}`);
    return;
  }
  names.sort((a, b) => typeLabel(a).localeCompare(typeLabel(b)));
  // the address's types in any case, as the API reads them
  const asked = new Set(selected.map((t) => t.toLowerCase()));
  replace(box, names.map((name) => {
    const id = `type-${name}`;
    return el('label', { class: 'check', for: id },
      el('input', { type: 'checkbox', id, name: 'types', value: name, checked: asked.has(name.toLowerCase()) }),
      typeLabel(name));
  }));
}

async function init() {
  if (!pair) {
    message(statusBox, 'error', 'No relationship in the address: expected /relations/XX-YY/timeline.');
    form.hidden = true;
    return;
  }
  document.title = `${pairTitle(pair)} · Timeline · RelationsLedger`;
  $('pair-title').textContent = `${pairTitle(pair)}: timeline`;
  renderPairNav(pair, 'timeline');

  const f = readUrl();
  $('filter-q').value = f.q;
  $('filter-similar').checked = f.match === 'similar';
  $('filter-from').value = f.from;
  $('filter-to').value = f.to;
  $('filter-retracted').checked = f.includeRetracted;
  showKnownAt($('filter-known'), f.knownAt);
  typesUnticked = f.types;
  const badDate = addressDatesProblem(new URLSearchParams(location.search), ['from', 'to']);
  knownNow = f.knownAt;
  // a knownAt that is no moment is said beside its box (showKnownAt), not asked
  if (badDate) message(statusBox, 'error', badDate);
  else if (!f.knownAt || isKnownAt(f.knownAt)) search(f);
  await loadTypes(f.types);
}

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const f = readForm();
  if (f.knownAt === null) return;
  if (f.from && f.to && f.from > f.to) {
    message(statusBox, 'error', '“From” must not be after “To”.');
    return;
  }
  writeUrl(f);
  search(f);
});
$('filter-reset').addEventListener('click', () => {
  form.reset();
  typesUnticked = [];
  document.querySelectorAll('#type-checkboxes input[type=checkbox]').forEach((c) => { c.checked = false; });
  const f = readForm();
  writeUrl(f);
  search(f);
});
downloadWithKey($('download-csv'), (e) => message(statusBox, 'error', `Could not download the timeline: ${describeError(e)}`));
$('types-all').addEventListener('click', () => document.querySelectorAll('#type-checkboxes input[type=checkbox]').forEach((c) => { c.checked = true; }));
$('types-none').addEventListener('click', () => document.querySelectorAll('#type-checkboxes input[type=checkbox]').forEach((c) => { c.checked = false; }));

init();
