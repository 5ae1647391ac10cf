// What changed between two dates: the server folds both dates and lists the rows that differ.
import { el, replace, getJson, unattributed, describeError, query, pairFromPath, today, isIsoDate, periodStart, knownAtFromAddress, asKnownAt } from './api.js';
import { pairTitle, renderPairNav, message, statusBadge, typeLabel, countryName, eventLink, showKnownAt, readKnownAt, addressDatesProblem, updatePairNav } from './ui.js';

const pair = pairFromPath();
const $ = (id) => document.getElementById(id);
const form = $('diff-form');
const statusBox = $('diff-status');
const changesBox = $('changes');

const SECTIONS = [
  ['embassies', 'Embassies'],
  ['ambassadors', 'Ambassadors'],
  ['sanctions', 'Sanctions measures'],
  ['prisonersReleased', 'Prisoners released'],
  ['lastContact', 'Last high-level contact'],
];

/** The UTC date n years before today. */
function yearsAgo(n) {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() - n);
  return d.toISOString().slice(0, 10);
}

// ---------------------------------------------------------------- human-readable sides

function list(items) {
  return Array.isArray(items) && items.length ? items.join('; ') : null;
}

function describe(section, v) {
  if (!v) return [el('span', { class: 'muted' }, 'not recorded')];
  switch (section) {
    case 'embassies':
      return [statusBadge(v.status), ` since ${v.since}`];
    case 'ambassadors':
      return [el('strong', null, v.name || 'unnamed'), ' — ', statusBadge(v.status), ` since ${v.since}`];
    case 'sanctions':
      return [statusBadge(v.status), ` since ${v.since}`,
        list(v.measures) ? el('div', { class: 'small' }, el('strong', null, 'Measures: '), list(v.measures)) : null,
        list(v.easedScope) ? el('div', { class: 'small' }, el('strong', null, 'Eased: '), list(v.easedScope)) : null];
    case 'prisonersReleased': {
      const by = Object.entries(v.byNationality || {}).sort((a, b) => b[1] - a[1]);
      return [el('strong', null, `${v.total ?? 0} released`), ` in ${v.releases ?? 0} release${v.releases === 1 ? '' : 's'}`,
        by.length ? el('div', { class: 'small' }, [...by.map(([c, n]) => `${c} ${n}`), unattributed(v) ? `not recorded ${unattributed(v)}` : null].filter(Boolean).join(' · ')) : null];
    }
    case 'lastContact':
      return [el('strong', null, typeLabel(v.type)), ` on ${v.occurredOn}`, v.summary ? el('div', { class: 'small prose' }, v.summary) : null];
    default:
      return [el('pre', { class: 'json' }, JSON.stringify(v, null, 2))];
  }
}

/** A one-line account of what moved, e.g. "status active → eased" or "+6 released (LT +6)". */
function delta(section, before, after) {
  if (!before || !after) return null;
  const parts = [];
  if (section === 'prisonersReleased') {
    const d = (after.total ?? 0) - (before.total ?? 0);
    const by = [];
    const keys = new Set([...Object.keys(before.byNationality || {}), ...Object.keys(after.byNationality || {})]);
    for (const k of [...keys].sort()) {
      const n = (after.byNationality?.[k] ?? 0) - (before.byNationality?.[k] ?? 0);
      if (n) by.push(`${k} ${n > 0 ? '+' : ''}${n}`);
    }
    const n = unattributed(after) - unattributed(before);
    if (n && by.length) by.push(`nationality not recorded ${n > 0 ? '+' : ''}${n}`);
    parts.push(`${d >= 0 ? '+' : ''}${d} released${by.length ? ` (${by.join(', ')})` : ''}`);
    return parts.join('; ');
  }
  if (before.status !== after.status && before.status && after.status) parts.push(`status ${before.status} → ${after.status}`);
  if (before.name !== after.name && section === 'ambassadors') parts.push(`envoy ${before.name || 'unnamed'} → ${after.name || 'unnamed'}`);
  if (before.since !== after.since && before.status === after.status) parts.push(`since ${before.since} → ${after.since}`);
  if (section === 'sanctions') {
    const added = (after.measures || []).filter((x) => !(before.measures || []).includes(x));
    if (added.length) parts.push(`${added.length} measure${added.length === 1 ? '' : 's'} added`);
    const eased = (after.easedScope || []).filter((x) => !(before.easedScope || []).includes(x));
    if (eased.length) parts.push(`${eased.length} easing${eased.length === 1 ? '' : 's'} added`);
  }
  return parts.length ? parts.join('; ') : null;
}

function keyLabel(section, change) {
  const v = change.after || change.before || {};
  switch (section) {
    case 'embassies': return v.embassyOf ? `${countryName(v.embassyOf)} embassy in ${v.city}` : change.key;
    case 'ambassadors': return v.ambassadorOf ? `Ambassador of ${countryName(v.ambassadorOf)}` : change.key;
    case 'sanctions': return v.imposedBy ? `${v.imposedBy} → ${v.target}${v.program ? ` (${v.program})` : ''}` : change.key;
    case 'prisonersReleased': return 'Total released';
    case 'lastContact': return 'Most recent contact';
    default: return change.key;
  }
}

// ---------------------------------------------------------------- event labels

const eventCache = new Map();
async function labelEvents(ids) {
  const todo = ids.filter((id) => !eventCache.has(id));
  let i = 0;
  const worker = async () => {
    while (i < todo.length) {
      const id = todo[i++];
      try { eventCache.set(id, await getJson(`/api/events/${encodeURIComponent(id)}`)); } catch { eventCache.set(id, null); }
    }
  };
  await Promise.all(Array.from({ length: Math.min(6, todo.length) }, worker));
  document.querySelectorAll('a[data-label-event]').forEach((a) => {
    const ev = eventCache.get(a.dataset.labelEvent);
    if (ev) {
      a.textContent = `${ev.occurredOn} · ${typeLabel(ev.type)}`;
      a.title = ev.summary || '';
    }
  });
}

function changeNode(section, c) {
  const ids = Array.isArray(c.eventIds) ? c.eventIds : [];
  const d = delta(section, c.before, c.after);
  return el('article', { class: 'change', 'data-section': section, 'data-kind': c.kind, 'data-key': c.key },
    el('header', { class: 'change-head' },
      statusBadge(c.kind),
      el('h4', { class: 'change-key' }, keyLabel(section, c)),
      d ? el('span', { class: 'muted small' }, d) : null),
    el('div', { class: 'before-after' },
      el('div', { class: 'side side-before' }, el('span', { class: 'side-label' }, `Before (${$('diff-from').value})`), describe(section, c.before)),
      el('div', { class: 'arrow', 'aria-hidden': 'true' }, '→'),
      el('div', { class: 'side side-after' }, el('span', { class: 'side-label' }, `After (${$('diff-to').value})`), describe(section, c.after))),
    el('div', { class: 'caused-by' },
      el('strong', null, ids.length === 1 ? 'Caused by: ' : 'Caused by events: '),
      ids.length
        ? el('ul', null, ids.map((id) => el('li', null, el('a', { href: `/events/${encodeURIComponent(id)}`, 'data-label-event': id }, `event ${String(id).slice(0, 8)}`))))
        : el('span', { class: 'muted' }, 'no single event (the row was folded differently)')));
}

async function compare(from, to, knownAt) {
  message(statusBox, 'loading', `Comparing ${from} with ${to}…`);
  changesBox.replaceChildren();
  $('diff-summary').textContent = '';
  let diff;
  try {
    diff = await getJson(`/api/relations/${encodeURIComponent(pair)}/diff${query({ from, to, knownAt })}`);
  } catch (e) {
    message(statusBox, 'error', `Could not compare: ${describeError(e)}`);
    return;
  }
  statusBox.replaceChildren();
  const changes = Array.isArray(diff?.changes) ? diff.changes : [];
  const counts = { added: 0, removed: 0, changed: 0 };
  changes.forEach((c) => { counts[c.kind] = (counts[c.kind] || 0) + 1; });
  const asKnown = asKnownAt(knownAt);
  $('diff-summary').textContent = changes.length
    ? `${changes.length} change${changes.length === 1 ? '' : 's'} between ${diff.from ?? from} and ${diff.to ?? to}${asKnown}: ${counts.added} added, ${counts.removed} removed, ${counts.changed} changed.`
    : '';
  if (!changes.length) {
    message(changesBox, 'info', `Nothing changed between ${from} and ${to}${asKnown}.`);
    return;
  }
  const known = new Set(SECTIONS.map(([k]) => k));
  const sections = [...SECTIONS, ...[...new Set(changes.map((c) => c.section))].filter((s) => !known.has(s)).map((s) => [s, s])];
  replace(changesBox, sections.map(([key, title]) => {
    const rows = changes.filter((c) => c.section === key);
    if (!rows.length) return null;
    return el('section', { class: 'panel', 'data-section': key, 'aria-labelledby': `section-${key}` },
      el('h3', { id: `section-${key}` }, `${title} `, el('span', { class: 'muted small' }, `(${rows.length})`)),
      rows.map((c) => changeNode(key, c)));
  }));
  const ids = [...new Set(changes.flatMap((c) => (Array.isArray(c.eventIds) ? c.eventIds : [])))];
  labelEvents(ids);
}

function submit() {
  const from = $('diff-from').value;
  const to = $('diff-to').value;
  if (!isIsoDate(from) || !isIsoDate(to)) { message(statusBox, 'error', 'Pick both dates.'); return; }
  if (from > to) { message(statusBox, 'error', '“From” must not be after “To”.'); return; }
  const known = readKnownAt($('diff-known'), knownNow);
  if (known === null) return;
  knownNow = known;
  // the overview's date, not used here: kept so the pair navigation takes it back
  const asOf = new URLSearchParams(location.search).get('asOf');
  history.replaceState(null, '', `${location.pathname}${query({ from, to, knownAt: known, asOf })}`);
  updatePairNav();
  compare(from, to, known);
}

let firstDate = null;
// the knownAt compared at, as the API takes it
let knownNow = '';
async function init() {
  if (!pair) {
    message(statusBox, 'error', 'No relationship in the address: expected /relations/XX-YY/diff.');
    form.hidden = true;
    return;
  }
  document.title = `${pairTitle(pair)} · What changed · RelationsLedger`;
  $('pair-title').textContent = `${pairTitle(pair)}: what changed`;
  renderPairNav(pair, 'diff');
  const p = new URLSearchParams(location.search);
  $('diff-from').value = isIsoDate(p.get('from')) ? p.get('from') : yearsAgo(1);
  $('diff-to').value = isIsoDate(p.get('to')) ? p.get('to') : today();
  knownNow = knownAtFromAddress(p);
  showKnownAt($('diff-known'), knownNow);
  const badDate = addressDatesProblem(p, ['from', 'to']);
  if (badDate) message(statusBox, 'error', badDate);
  else submit();
  try {
    const body = await getJson('/api/relations');
    const canonical = pair.split('-').sort().join('-');
    const r = (body?.relations || []).find((x) => x.pair === canonical);
    firstDate = r ? periodStart(r.firstEventOn) : null;
  } catch { /* the "whole history" preset falls back to 1900 */ }
}

form.addEventListener('submit', (ev) => { ev.preventDefault(); submit(); });
document.querySelectorAll('[data-preset]').forEach((b) => b.addEventListener('click', () => {
  const preset = b.dataset.preset;
  $('diff-to').value = today();
  if (preset === 'all') {
    // the day before the first event, so that everything shows as added
    const start = firstDate ? new Date(`${firstDate}T00:00:00Z`) : new Date('1900-01-02T00:00:00Z');
    start.setUTCDate(start.getUTCDate() - 1);
    $('diff-from').value = start.toISOString().slice(0, 10);
  } else {
    $('diff-from').value = yearsAgo(Number(preset));
  }
  submit();
}));

init();
