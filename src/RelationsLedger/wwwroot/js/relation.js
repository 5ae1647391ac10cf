// Relationship overview: replay the state at a date (slider + date input), as known at an instant,
// with charts and live updates when looking at today.
import {
  el, replace, getJson, followEvents, unattributed, describeError, query, pairFromPath, today, periodStart,
  dayNumber, fromDayNumber, isIsoDate, debounce, knownAtFromAddress, formatKnownAt, asKnownAt, isKnownAt,
} from './api.js';
import {
  pairTitle, countryName, renderPairNav, statusBadge, message, eventLink, typeLabel, occurred,
  eventLinks, sanctionCells, showKnownAt, readKnownAt, addressDatesProblem, updatePairNav,
} from './ui.js';
import { createCharts } from './charts.js';

const pair = pairFromPath();
const $ = (id) => document.getElementById(id);

const slider = $('asof-slider');
const dateInput = $('asof-date');
const output = $('asof-output');
const knownInput = $('known-at');
const liveStatus = $('live-status');
const stateMessage = $('state-message');

const SANCTION_ORDER = ['active', 'eased', 'lifted', 'expired'];

const params = new URLSearchParams(location.search);
let asOf = isIsoDate(params.get('asOf')) ? params.get('asOf') : today();
// as the API takes it (knownAtFromAddress, readKnownAt): sent, kept in the address and shown exactly
let knownAt = knownAtFromAddress(params);
let firstDate = null;
let requestNo = 0;
let controller = null;
// stops the live stream (followEvents); null when none is open
let stopLive = null;
// set when the stream ended or failed: once it is back, the state is read again for what came meanwhile
let reconnected = false;
let charts = null;
let notARelationship = false;

// ---------------------------------------------------------------- helpers

/** Sortable day for "2006", "2006-06" or "2006-06-16". */
const sortKey = (occurredOn) => periodStart(occurredOn) || '';

const embassyKey = (e) => `${e.embassyOf}|${String(e.city).toLowerCase()}`;
const ambassadorKey = (a) => a.ambassadorOf;
const sanctionKey = (s) => `${s.imposedBy}|${String(s.target).trim().toLowerCase()}|${String(s.program ?? '').trim().toLowerCase()}`;

/** Row content for comparison: everything shown, not which events touched it. */
function comparable(row) {
  if (!row || typeof row !== 'object') return JSON.stringify(row ?? null);
  const { eventIds, ...rest } = row;
  return JSON.stringify(rest, Object.keys(rest).sort());
}

function laterBadge(text = 'corrected later') {
  return el('span', { class: 'badge badge-later', 'data-later': 'true' }, text);
}

function laterNote(text) {
  return el('span', { class: 'later-note' }, text);
}

// ---------------------------------------------------------------- controls

function setControls(date) {
  dateInput.value = date;
  const n = dayNumber(date);
  slider.value = String(Math.max(Number(slider.min), Math.min(Number(slider.max), n)));
  output.textContent = date;
  slider.setAttribute('aria-valuetext', date);
  document.querySelectorAll('[data-caption-date]').forEach((node) => {
    node.textContent = `as of ${date}${asKnownAt(knownAt)}`;
  });
}

function syncUrl() {
  const q = new URLSearchParams();
  if (asOf !== today()) q.set('asOf', asOf);
  if (knownAt) q.set('knownAt', knownAt);
  const s = q.toString();
  history.replaceState(null, '', `${location.pathname}${s ? `?${s}` : ''}`);
  updatePairNav();
}

/** Sets the replay date from any control (slider, date input, chart click) and reloads. */
function setDate(date, { immediate = true } = {}) {
  if (!isIsoDate(date)) return;
  asOf = date;
  setControls(date);
  if (charts) charts.setDate(date);
  syncUrl();
  if (immediate) { debouncedLoad.cancel(); loadState(); } else debouncedLoad();
}

const debouncedLoad = debounce(() => loadState(), 100);

slider.addEventListener('input', () => {
  const date = fromDayNumber(Number(slider.value));
  setDate(date, { immediate: false });
});
slider.addEventListener('keydown', (ev) => {
  // Home/End already go to min/max; make Page Up/Down move a month for finer control than 10 %.
  if (ev.key === 'PageUp' || ev.key === 'PageDown') {
    ev.preventDefault();
    const step = ev.key === 'PageUp' ? 30 : -30;
    const n = Math.max(Number(slider.min), Math.min(Number(slider.max), Number(slider.value) + step));
    slider.value = String(n);
    setDate(fromDayNumber(n), { immediate: false });
  }
});
dateInput.addEventListener('change', () => {
  if (isIsoDate(dateInput.value)) setDate(dateInput.value);
});
knownInput.addEventListener('change', () => {
  const typed = readKnownAt(knownInput, knownAt);
  if (typed === null) return;
  knownAt = typed;
  setControls(asOf);
  syncUrl();
  loadState();
  loadSeries();
});
$('go-today').addEventListener('click', () => setDate(today()));
$('clear-known').addEventListener('click', () => {
  knownAt = '';
  showKnownAt(knownInput, '');
  setControls(asOf);
  syncUrl();
  loadState();
  loadSeries();
});
$('replay-controls').addEventListener('submit', (ev) => ev.preventDefault());

// ---------------------------------------------------------------- live updates

function setLive(state, text) {
  liveStatus.dataset.state = state;
  liveStatus.textContent = text;
}

const onAppended = debounce(() => { loadState(); loadSeries(); }, 250);

function updateLive() {
  const wantLive = asOf === today() && !knownAt;
  if (!wantLive) {
    closeLive();
    setLive('off', knownAt ? 'Not live (viewing recorded knowledge)'
      : asOf > today() ? 'Not live (a future date: the state as recorded so far)' : 'Not live (viewing a past date)');
    return;
  }
  if (stopLive) return;
  setLive('connecting', 'Connecting…');
  stopLive = followEvents(`/api/relations/${encodeURIComponent(pair)}/live`, {
    onOpen: () => {
      setLive('live', 'Live');
      if (reconnected) onAppended();
      reconnected = false;
    },
    onEvent: (name, data) => {
      if (name !== 'appended') return;
      let info = null;
      try { info = JSON.parse(data); } catch { /* ignore malformed data */ }
      setLive('live', info && Number.isFinite(info.sequence) ? `Live · updated (event #${info.sequence})` : 'Live · updated');
      onAppended();
    },
    onRetry: (error, ms) => {
      setLive('connecting', error ? `Reconnecting in ${Math.round(ms / 1000)} s… (${describeError(error)})` : 'Reconnecting…');
      reconnected = true;
    },
    onRefused: (error) => {
      stopLive = null;
      setLive('error', `Live updates unavailable: ${describeError(error)}`);
    },
  });
}

function closeLive() {
  if (stopLive) { stopLive(); stopLive = null; }
}

// ---------------------------------------------------------------- rendering

function renderCards(state) {
  const counts = countSanctions(state.sanctions);
  const ps = state.prisonersReleased || {};
  const lc = state.lastContact;
  const card = (label, value, note, small) => el('div', { class: 'card' },
    el('p', { class: 'card-label' }, label), el('p', { class: small ? 'card-value card-value-text' : 'card-value' }, value),
    note ? el('p', { class: 'card-note' }, note) : null);
  const embassies = Array.isArray(state.embassies) ? state.embassies : [];
  replace($('summary-cards'),
    card('Facts folded', String(state.eventCount ?? 0), state.lastEventOn ? `latest: ${state.lastEventOn}` : 'none yet'),
    card('Embassies', embassies.length ? embassies.map((e) => `${e.embassyOf} in ${e.city}: ${e.status}`).join('; ') : 'none recorded',
      embassies.length === 1 ? `since ${embassies[0].since}` : null, true),
    card('Sanctions active', String(counts.active || 0), `${(state.sanctions || []).length} register rows in all`),
    card('Prisoners released', String(ps.total ?? 0), `${ps.releases ?? 0} release${ps.releases === 1 ? '' : 's'}`),
    card('Last high-level contact', lc ? occurred(lc.occurredOn) : '—', lc ? typeLabel(lc.type) : 'none yet'));
}

/** Fills a table body; marks rows that differ from the newest knowledge; lists rows recorded later. */
function renderRows({ tableId, laterId, rows, latest, key, cells, sort, colspan, emptyText, describe }) {
  const tbody = $(tableId).tBodies[0];
  const sorted = [...rows].sort(sort);
  const latestByKey = latest ? new Map(latest.map((r) => [key(r), r])) : null;
  if (!sorted.length) {
    replace(tbody, el('tr', null, el('td', { colspan: String(colspan), class: 'muted' }, emptyText)));
  } else {
    replace(tbody, sorted.map((row) => {
      let badge = null;
      if (latestByKey) {
        const now = latestByKey.get(key(row));
        if (!now) badge = [laterBadge('removed later'), laterNote('Not in the newest knowledge for this date.')];
        else if (comparable(now) !== comparable(row)) badge = [laterBadge('corrected later'), laterNote(`Now recorded: ${describe(now)}`)];
      }
      const tr = el('tr', { class: badge ? 'differs' : null, 'data-key': key(row), 'data-differs': badge ? 'true' : null }, cells(row, badge));
      return tr;
    }));
  }
  const laterBox = laterId ? $(laterId) : null;
  if (laterBox) {
    const knownKeys = new Set(rows.map(key));
    const added = latest ? latest.filter((r) => !knownKeys.has(key(r))) : [];
    replace(laterBox, added.length
      ? el('p', { class: 'small' }, laterBadge('recorded later'), ' ',
        `Not yet known at that time: ${added.map(describe).join('; ')}.`)
      : null);
  }
}

function embassyDescribe(e) { return `${e.embassyOf} embassy in ${e.city}: ${e.status} since ${e.since}`; }
function ambassadorDescribe(a) { return `${a.ambassadorOf} ambassador ${a.name || '(unnamed)'}: ${a.status} since ${a.since}`; }
function sanctionDescribe(s) { return `${s.imposedBy} → ${s.target}${s.program ? ` (${s.program})` : ''}: ${s.status} since ${s.since}`; }

function countSanctions(list) {
  const counts = {};
  for (const s of Array.isArray(list) ? list : []) counts[s.status] = (counts[s.status] || 0) + 1;
  return counts;
}

function countsText(counts) {
  const keys = [...SANCTION_ORDER, ...Object.keys(counts).filter((k) => !SANCTION_ORDER.includes(k))].filter((k) => counts[k]);
  return keys.map((k) => `${k} ${counts[k]}`).join(' · ') || 'none';
}

function renderSanctions(state, latest) {
  const rows = Array.isArray(state.sanctions) ? state.sanctions : [];
  const counts = countSanctions(rows);
  const keys = [...SANCTION_ORDER, ...Object.keys(counts).filter((k) => !SANCTION_ORDER.includes(k))].filter((k) => counts[k]);
  const countsNode = $('sanction-counts');
  if (!keys.length) replace(countsNode, 'none');
  else {
    replace(countsNode, keys.map((k, i) => [
      i ? el('span', { class: 'sep', 'aria-hidden': 'true' }, ' · ') : null,
      el('span', { class: 'count-item', 'data-status': k }, statusBadge(k), ` ${counts[k]}`),
    ]));
    // a screen reader reads the same text the tests see
    countsNode.setAttribute('aria-label', `Sanctions measures by status: ${countsText(counts)}`);
  }
  const laterCounts = $('sanction-counts-later');
  if (latest) {
    const now = countsText(countSanctions(latest.sanctions));
    replace(laterCounts, now !== countsText(counts) ? el('p', { class: 'small' }, laterBadge('corrected later'), ' ', `Now recorded for this date: ${now}.`) : null);
  } else laterCounts.replaceChildren();

  const tbody = $('sanctions').tBodies[0];
  const latestByKey = latest ? new Map((latest.sanctions || []).map((r) => [sanctionKey(r), r])) : null;
  if (!rows.length) {
    replace(tbody, el('tr', null, el('td', { colspan: '7', class: 'muted' }, 'No sanctions measures recorded at this date.')));
  } else {
    const groups = keys.map((status) => ({
      status,
      rows: rows.filter((r) => r.status === status).sort((a, b) => sortKey(b.since).localeCompare(sortKey(a.since))),
    }));
    replace(tbody, groups.map((g) => [
      el('tr', { class: 'group-row', 'data-group': g.status },
        el('th', { colspan: '7', scope: 'colgroup' }, statusBadge(g.status), ` ${g.rows.length} measure${g.rows.length === 1 ? '' : 's'}`)),
      g.rows.map((s) => {
        let badge = null;
        if (latestByKey) {
          const now = latestByKey.get(sanctionKey(s));
          if (!now) badge = [laterBadge('removed later'), laterNote('Not in the newest knowledge for this date.')];
          else if (comparable(now) !== comparable(s)) badge = [laterBadge('corrected later'), laterNote(`Now recorded: ${sanctionDescribe(now)}`)];
        }
        return el('tr', { class: badge ? 'differs' : null, 'data-key': sanctionKey(s), 'data-status': s.status, 'data-differs': badge ? 'true' : null },
          sanctionCells(s, badge, { asOf, knownAt }));
      }),
    ]));
  }
  const laterBox = $('sanctions-later');
  const knownKeys = new Set(rows.map(sanctionKey));
  const added = latest ? (latest.sanctions || []).filter((r) => !knownKeys.has(sanctionKey(r))) : [];
  replace(laterBox, added.length
    ? el('p', { class: 'small' }, laterBadge('recorded later'), ' ', `Not yet known at that time: ${added.map(sanctionDescribe).join('; ')}.`)
    : null);
}

function renderPrisoners(state, latest) {
  const ps = state.prisonersReleased || { total: 0, releases: 0, byNationality: {} };
  $('prisoners-total').textContent = String(ps.total ?? 0);
  replace($('prisoners-releases'), `in ${ps.releases ?? 0} release${ps.releases === 1 ? '' : 's'}`);
  const later = $('prisoners-later');
  const lp = latest ? latest.prisonersReleased || { total: 0, releases: 0, byNationality: {} } : null;
  if (lp && (lp.total !== ps.total || JSON.stringify(lp.byNationality || {}) !== JSON.stringify(ps.byNationality || {}))) {
    replace(later, el('p', { class: 'small' }, laterBadge('corrected later'), ' ', `Now recorded for this date: ${lp.total} in ${lp.releases} releases.`));
  } else later.replaceChildren();

  const by = Object.entries(ps.byNationality || {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const nowBy = lp ? lp.byNationality || {} : null;
  const tbody = $('prisoners-by-nationality').tBodies[0];
  replace(tbody, by.length
    ? by.map(([code, n]) => {
      const differs = nowBy && nowBy[code] !== n;
      return el('tr', { class: differs ? 'differs' : null, 'data-nationality': code, 'data-differs': differs ? 'true' : null },
        el('th', { scope: 'row' }, `${countryName(code)} `, el('span', { class: 'muted small' }, `(${code})`),
          differs ? [' ', laterBadge('corrected later'), laterNote(`Now: ${nowBy[code] ?? 0}`)] : null),
        el('td', { class: 'num' }, String(n)));
    })
    : null,
    unattributedRow(ps, lp),
    ps.total ? null : el('tr', null, el('td', { colspan: '2', class: 'muted' }, 'No releases recorded at this date.')));
}

/** Releases recorded without a breakdown, so the rows add up to the total; marked when the newest knowledge differs. */
function unattributedRow(ps, lp) {
  const n = unattributed(ps);
  if (!n) return null;
  const differs = lp && unattributed(lp) !== n;
  return el('tr', { class: differs ? 'differs' : null, 'data-nationality': '', 'data-differs': differs ? 'true' : null },
    el('th', { scope: 'row' }, 'Nationality not recorded',
      differs ? [' ', laterBadge('corrected later'), laterNote(`Now: ${unattributed(lp)}`)] : null),
    el('td', { class: 'num' }, String(n)));
}

function contactBlock(c) {
  return [
    el('p', { class: 'item-head' },
      el('span', { class: 'item-date' }, occurred(c.occurredOn)),
      el('span', { class: 'item-type' }, typeLabel(c.type))),
    el('p', { class: 'item-summary' }, c.summary),
    el('p', { class: 'small' }, eventLink(c.eventId, 'Event details and sources')),
  ];
}

function renderContact(state, latest) {
  const c = state.lastContact;
  const node = $('last-contact');
  const now = latest ? latest.lastContact : undefined;
  const differs = latest !== null && latest !== undefined && JSON.stringify(now ?? null) !== JSON.stringify(c ?? null);
  replace(node,
    c ? contactBlock(c) : el('p', { class: 'muted' }, 'No high-level contact recorded at this date.'),
    differs ? el('div', { class: 'small' }, laterBadge('corrected later'), ' ',
      now ? `Now recorded: ${typeLabel(now.type)} on ${now.occurredOn} — ${now.summary}` : 'Now recorded: none.') : null);
  node.dataset.differs = differs ? 'true' : 'false';
}

function render(state, latest) {
  renderCards(state);
  renderRows({
    tableId: 'embassies', laterId: 'embassies-later', rows: state.embassies || [], latest: latest ? latest.embassies || [] : null,
    key: embassyKey, colspan: 5, emptyText: 'No embassies recorded at this date.', describe: embassyDescribe,
    sort: (a, b) => a.embassyOf.localeCompare(b.embassyOf) || String(a.city).localeCompare(String(b.city)),
    cells: (e, badge) => [
      el('th', { scope: 'row' }, countryName(e.embassyOf), ' ', el('span', { class: 'muted small' }, `(${e.embassyOf})`)),
      el('td', null, e.city, badge),
      el('td', null, statusBadge(e.status)),
      el('td', { class: 'nowrap' }, occurred(e.since)),
      el('td', null, eventLinks(e.eventIds)),
    ],
  });
  renderRows({
    tableId: 'ambassadors', laterId: 'ambassadors-later', rows: state.ambassadors || [], latest: latest ? latest.ambassadors || [] : null,
    key: ambassadorKey, colspan: 5, emptyText: 'No ambassadors recorded at this date.', describe: ambassadorDescribe,
    sort: (a, b) => a.ambassadorOf.localeCompare(b.ambassadorOf),
    cells: (a, badge) => [
      el('th', { scope: 'row' }, countryName(a.ambassadorOf), ' ', el('span', { class: 'muted small' }, `(${a.ambassadorOf})`)),
      el('td', null, a.name || el('span', { class: 'muted' }, 'not named'), badge),
      el('td', null, statusBadge(a.status)),
      el('td', { class: 'nowrap' }, occurred(a.since)),
      el('td', null, eventLinks(a.eventIds)),
    ],
  });
  renderSanctions(state, latest);
  renderPrisoners(state, latest);
  renderContact(state, latest);
}

// ---------------------------------------------------------------- loading

// a knownAt that is no moment (the address's 2025-02-30) is said beside its box, not asked
const askable = () => !knownAt || isKnownAt(knownAt);

async function loadState() {
  if (!askable()) return;
  const no = ++requestNo;
  if (controller) controller.abort();
  controller = new AbortController();
  const { signal } = controller;
  const ka = knownAt;
  const base = `/api/relations/${encodeURIComponent(pair)}/state`;
  document.body.setAttribute('aria-busy', 'true');
  updateLive();
  try {
    const [state, latest] = await Promise.all([
      getJson(base + query({ asOf, knownAt: ka }), { signal }),
      ka ? getJson(base + query({ asOf }), { signal }) : Promise.resolve(null),
    ]);
    if (no !== requestNo) return;
    render(state, latest);
    const basis = state.basis && Number.isFinite(state.basis.sequence) ? ` · basis: event sequence ${state.basis.sequence}` : '';
    if (ka) {
      message(stateMessage, 'info', `Showing the state as of ${asOf} as it was recorded at ${formatKnownAt(ka)}${basis}. Values marked “corrected later” differ from the newest knowledge.`);
    } else {
      stateMessage.replaceChildren();
    }
    document.body.dataset.loadedAsOf = asOf;
  } catch (e) {
    if (e && e.name === 'AbortError') return;
    if (no !== requestNo) return;
    if (e.status === 400 && e.problem?.errors?.pair) { notAPair(e); return; }
    message(stateMessage, 'error', `Could not load the state for ${asOf}: ${describeError(e)}`);
  } finally {
    if (no === requestNo) document.body.removeAttribute('aria-busy');
  }
}

let seriesNo = 0;
async function loadSeries() {
  if (!charts || !askable()) return;
  const no = ++seriesNo;
  try {
    const series = await getJson(`/api/relations/${encodeURIComponent(pair)}/series${query({ knownAt })}`);
    if (no !== seriesNo) return;
    charts.update(series);
    charts.setDate(asOf);
  } catch (e) {
    if (no !== seriesNo) return;
    charts.showError(`Charts unavailable: ${describeError(e)}`);
  }
}

/** The address names no relationship the API knows (XX-ZZ): it says so instead of an empty dashboard. */
function notAPair(e) {
  notARelationship = true;
  document.title = `${pair} · not a relationship · RelationsLedger`;
  $('pair-title').textContent = pair;
  $('pair-lede').textContent = '';
  document.querySelectorAll('main > :not(.page-head):not(#state-message)').forEach((node) => { node.hidden = true; });
  closeLive();
  message(stateMessage, 'error', `${pair} is not a relationship: ${describeError(e)}`);
}

/** The first date of the pair's history: from /api/relations, else from the first timeline event; 'none' when the
 *  ledger's list of pairs, which names every pair with an event, lacks it. */
async function findFirstDate() {
  try {
    const body = await getJson('/api/relations');
    const canonical = pair.split('-').sort().join('-');
    const r = (body?.relations || []).find((x) => x.pair === canonical || x.pair === pair);
    if (r && periodStart(r.firstEventOn)) return periodStart(r.firstEventOn);
    if (!r) return 'none';
  } catch { /* fall back to the timeline */ }
  try {
    const t = await getJson(`/api/relations/${encodeURIComponent(pair)}/timeline?limit=1`);
    const first = t?.events?.[0];
    if (first && periodStart(first.occurredOn)) return periodStart(first.occurredOn);
  } catch { /* keep the default */ }
  return null;
}

async function init() {
  if (!pair) {
    message(stateMessage, 'error', 'No relationship in the address: expected /relations/XX-YY, for example /relations/US-BY.');
    $('replay-controls').hidden = true;
    return;
  }
  document.title = `${pairTitle(pair)} · Overview · RelationsLedger`;
  $('pair-title').textContent = pairTitle(pair);
  renderPairNav(pair, 'overview');

  const now = today();
  slider.max = String(dayNumber(now));
  slider.min = slider.max;
  showKnownAt(knownInput, knownAt);
  setControls(asOf);
  $('slider-max').textContent = `${now} (today)`;

  const badDate = addressDatesProblem(params, ['asOf']);
  charts = createCharts({ onPick: (date) => { setDate(date); } });
  if (badDate) {
    dateInput.value = '';
    message(stateMessage, 'error', badDate);
  } else {
    loadState();
    loadSeries();
  }

  firstDate = await findFirstDate();
  if (notARelationship) return;
  if (firstDate === 'none') {
    firstDate = null;
    $('slider-min').textContent = now;
    $('pair-lede').textContent = 'No events recorded for this pair yet: there is nothing to replay.';
    $('charts-heading').closest('section').hidden = true;
  } else if (firstDate) {
    slider.min = String(dayNumber(firstDate));
    $('slider-min').textContent = firstDate;
    $('pair-lede').textContent = `Recorded history from ${firstDate}. Move the slider or pick a date to replay the relationship; set “as known at” to see what the ledger knew then.`;
    setControls(asOf);
  } else {
    slider.min = String(dayNumber(now) - 365 * 20);
    $('slider-min').textContent = fromDayNumber(Number(slider.min));
  }
}

// Keep "today" honest across midnight and across tabs left open.
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') {
    const n = String(dayNumber(today()));
    if (slider.max !== n) { slider.max = n; $('slider-max').textContent = `${today()} (today)`; }
    updateLive();
  }
});
window.addEventListener('pagehide', closeLive);
window.addEventListener('pageshow', (ev) => { if (ev.persisted) updateLive(); });

init();
