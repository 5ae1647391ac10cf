// One event: as it now stands (corrections applied), its sources with stances, its correction history,
// the original version, and any retraction.
import { el, replace, getJson, describeError, ApiError } from './api.js';
import {
  pairTitle, displayPair, renderPairNav, message, typeLabel, flagBadges, dataList, sourceNode, statusBadge,
  eventLink, formatInstant, valueNode, occurred, fieldLabel, byWriter,
} from './ui.js';

const $ = (id) => document.getElementById(id);
const m = /^\/events\/([^/]+)\/?$/.exec(location.pathname);
const eventId = m ? decodeURIComponent(m[1]) : null;

/** {"data": {"envoy": "X"}} → [["data.envoy", "X"]] (a merge patch, flattened for reading; null = removed). */
function flatten(patch, prefix = '') {
  const rows = [];
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return [[prefix || '(value)', patch]];
  for (const [k, v] of Object.entries(patch)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) rows.push(...flatten(v, path));
    else rows.push([path, v]);
  }
  return rows;
}

function patchList(patch) {
  const rows = flatten(patch);
  return el('dl', { class: 'data-list' }, rows.map(([path, v]) => [
    el('dt', null, path),
    el('dd', null, v === null ? el('em', null, 'removed') : valueNode(v)),
  ]));
}

function renderSources(e) {
  const tbody = $('event-sources').tBodies[0];
  const sources = Array.isArray(e.sources) ? e.sources : [];
  if (!sources.length) {
    replace(tbody, el('tr', null, el('td', { colspan: '4', class: 'muted' }, 'No sources.')));
    return;
  }
  replace(tbody, sources.map((cited) => {
    const s = cited && cited.source ? cited.source : cited || {};
    return el('tr', { 'data-stance': cited.stance || 'supports' },
      el('td', null, statusBadge(cited.stance || 'supports')),
      el('td', null, sourceNode({ outlet: s.outlet, title: s.title, url: s.url })),
      el('td', { class: 'nowrap' }, s.publishedOn || el('span', { class: 'muted' }, '—')),
      el('td', { class: 'small' }, cited.citationId
        ? ['cited later', cited.recordedAt ? ` (${formatInstant(cited.recordedAt)})` : null, byWriter(cited.recordedBy), ' · ', eventLink(cited.citationId, 'citation')]
        : 'with the event'));
  }));
}

async function renderRelated(ids) {
  const section = $('related-section');
  const list = $('related-events');
  if (!ids.length) { section.hidden = true; return; }
  section.hidden = false;
  replace(list, ids.map((id) => el('li', { 'data-event-id': id }, eventLink(id))));
  const results = await Promise.allSettled(ids.map((id) => getJson(`/api/events/${encodeURIComponent(id)}`)));
  replace(list, ids.map((id, i) => {
    const r = results[i];
    if (r.status !== 'fulfilled' || !r.value) return el('li', { 'data-event-id': id }, eventLink(id));
    const ev = r.value;
    return el('li', { 'data-event-id': id },
      eventLink(id, `${ev.occurredOn} · ${typeLabel(ev.type)}`), ' ', flagBadges(ev),
      el('div', { class: 'small muted prose' }, ev.summary));
  }));
}

/** The original data, each field that differs from the current version marked. */
function originalData(data, current) {
  const entries = data && typeof data === 'object' ? Object.entries(data) : [];
  const now = current && typeof current === 'object' ? current : {};
  const keys = [...new Set([...entries.map(([k]) => k), ...Object.keys(now)])];
  if (!keys.length) return el('p', { class: 'muted small' }, 'No data fields.');
  return el('dl', { class: 'data-list' }, keys.map((k) => {
    const before = data ? data[k] : undefined;
    const changed = JSON.stringify(before ?? null) !== JSON.stringify(now[k] ?? null);
    return [
      el('dt', null, fieldLabel(k)),
      el('dd', { 'data-changed': changed ? 'true' : null }, before === undefined ? el('span', { class: 'muted' }, '(absent)') : valueNode(before),
        changed ? [' ', el('span', { class: 'badge flag-corrected' }, 'corrected')] : null),
    ];
  }));
}

function renderCorrections(e) {
  const box = $('corrections');
  const corrections = Array.isArray(e.corrections) ? [...e.corrections].sort((a, b) => (a.sequence ?? 0) - (b.sequence ?? 0)) : [];
  if (!corrections.length) {
    replace(box, el('p', { class: 'muted' }, 'No corrections recorded: this is the event as first recorded.'));
    return;
  }
  const original = e.original;
  const items = [];
  if (original) {
    items.push(el('li', { class: 'original', id: 'original-version' },
      el('h3', null, 'Original version'),
      el('p', { class: 'small muted' }, `Recorded ${formatInstant(e.recordedAt)} as event #${e.sequence}.`),
      el('dl', { class: 'data-list' },
        el('dt', null, 'Occurred on'), el('dd', null, occurred(original.occurredOn),
          original.occurredOn !== e.occurredOn ? [' ', el('span', { class: 'badge flag-corrected' }, 'corrected')] : null),
        el('dt', null, 'Summary'), el('dd', { class: 'prose' }, original.summary,
          original.summary !== e.summary ? [' ', el('span', { class: 'badge flag-corrected' }, 'corrected')] : null),
        el('dt', null, 'Data'), el('dd', null, originalData(original.data, e.data)))));
  }
  corrections.forEach((c, i) => {
    items.push(el('li', { class: 'correction', 'data-correction-id': c.correctionId },
      el('h3', null, `Correction ${i + 1}`),
      el('p', { class: 'small muted' }, `Recorded ${formatInstant(c.recordedAt)}`, Number.isFinite(c.sequence) ? ` as event #${c.sequence}` : '',
        byWriter(c.recordedBy), ' · ', eventLink(c.correctionId, 'correction event')),
      el('p', null, el('strong', null, 'Reason: '), el('span', { class: 'prose' }, c.reason)),
      el('p', { class: 'small' }, el('strong', null, 'Changed:')),
      patchList(c.patch)));
  });
  replace(box, el('ol', { class: 'history' }, items));
}

async function init() {
  if (!eventId) {
    message($('event-status'), 'error', 'No event id in the address: expected /events/{id}.');
    return;
  }
  message($('event-status'), 'loading', 'Loading the event…');
  let e;
  try {
    e = await getJson(`/api/events/${encodeURIComponent(eventId)}`);
  } catch (err) {
    const text = err instanceof ApiError && err.status === 404
      ? `No such event: ${eventId}.`
      : `Could not load the event: ${describeError(err)}`;
    message($('event-status'), 'error', text);
    $('event-title').textContent = 'Event not found';
    return;
  }
  $('event-status').replaceChildren();
  const shownPair = e.pair ? displayPair(e.pair) : null;
  document.title = `${typeLabel(e.type)} ${e.occurredOn} · RelationsLedger`;
  replace($('event-eyebrow'), shownPair ? el('a', { href: `/relations/${encodeURIComponent(shownPair)}` }, pairTitle(shownPair)) : 'Event');
  replace($('event-title'), typeLabel(e.type), ' ', el('span', { class: 'muted' }, '· '), occurred(e.occurredOn));
  replace($('event-flags'), flagBadges(e));
  if (shownPair) renderPairNav(shownPair, null);

  if (e.retracted) {
    replace($('retraction'), el('div', { class: 'message message-error notice-retracted', role: 'note', id: 'retraction-notice' },
      el('strong', null, 'Retracted. '),
      'This event is no longer folded into the state of the relationship.',
      e.retractionReason ? [' Reason: ', el('q', { class: 'prose' }, e.retractionReason)] : null,
      e.retractedBy ? [' Retracted', byWriter(e.retractedBy), '.'] : null,
      e.retraction ? [` Recorded ${formatInstant(e.retraction.recordedAt)} · sequence #${e.retraction.sequence} (`,
        eventLink(e.retraction.retractionId, 'retraction event'), '): the ledger as known before it is ',
        el('code', null, `basis=${e.retraction.sequence - 1}`), '.'] : null));
  }
  $('event-summary').textContent = e.summary;
  replace($('event-data'), dataList(e.data));
  replace($('event-meta'),
    el('dt', null, 'Event id'), el('dd', { class: 'mono' }, e.eventId),
    el('dt', null, 'Relationship'), el('dd', null, shownPair ? el('a', { href: `/relations/${encodeURIComponent(shownPair)}/timeline` }, `${shownPair} timeline`) : '—'),
    el('dt', null, 'Recorded'), el('dd', null, `${formatInstant(e.recordedAt)}`, Number.isFinite(e.sequence) ? ` · sequence #${e.sequence}` : '', byWriter(e.recordedBy)),
    e.corrected ? [el('dt', null, 'Corrected'), el('dd', null, `${(e.corrections || []).length} time(s) — see the history below`)] : null);
  renderSources(e);
  renderCorrections(e);
  $('event').hidden = false;
  await renderRelated(Array.isArray(e.relatedEventIds) ? e.relatedEventIds : []);
}

init();
