// Sanctions register across pairs at a date (as known at an instant if asked), filtered by issuer, status and target
// (its words as typed, or in similar spellings too);
// CSV download of the same query.
import { el, replace, getJson, downloadWithKey, describeError, query, today, isIsoDate, periodStart, knownAtFromAddress, asKnownAt } from './api.js';
import { message, statusBadge, displayPair, pairTitle, sanctionCells, showKnownAt, readKnownAt, addressDatesProblem } from './ui.js';

const $ = (id) => document.getElementById(id);
const form = $('register-filters');
const tbody = $('register').tBodies[0];
const statusBox = $('register-status-message');
const STATUSES = ['active', 'eased', 'lifted', 'expired'];
// the filters the table shows (its CSV link is theirs, whatever is typed since)
let screened = { knownAt: '' };

function readForm() {
  const target = $('register-target').value.trim();
  return {
    asOf: $('register-asof').value,
    knownAt: readKnownAt($('register-known'), screened.knownAt),
    imposedBy: $('register-issuer').value.trim().toUpperCase(),
    status: $('register-status').value,
    target,
    // spellings are a way to screen a target: without one there is nothing to spell
    match: target && $('register-similar').checked ? 'similar' : '',
  };
}

function updateCsvLink(f) {
  $('download-csv').hidden = !f;
  if (!f) return;
  $('download-csv').setAttribute('href', `/api/sanctions${query({ ...f, format: 'csv' })}`);
  $('download-csv').setAttribute('download', `sanctions-as-of-${f.asOf || today()}.csv`);
}

// why a screened row is listed: each word typed, the word of the target (or its id) it found, and how
function matched(s) {
  const found = Array.isArray(s.matched) ? s.matched : [];
  if (!found.length) return null;
  return el('div', { class: 'muted small matched' }, 'Matched: ', found.map((m, i) => [i ? '; ' : null,
    m.how === 'as typed' ? `${m.word} → ${m.found}` : `${m.word} ≈ ${m.found} (${m.how})`,
    m.in === 'targetId' ? ' in the id' : null]));
}

function row(s, f) {
  const shown = displayPair(s.pair);
  return el('tr', { 'data-status': s.status, 'data-pair': s.pair },
    el('td', { class: 'nowrap' }, el('a', { href: `/relations/${encodeURIComponent(shown)}`, title: pairTitle(shown) }, shown)),
    sanctionCells(s, matched(s), f));
}

let loadNo = 0;
async function load(f) {
  const no = ++loadNo;
  screened = f;
  message(statusBox, 'loading', 'Loading the register…');
  try {
    const body = await getJson(`/api/sanctions${query(f)}`);
    if (no !== loadNo) return;
    updateCsvLink(f);
    statusBox.replaceChildren();
    const rows = Array.isArray(body?.sanctions) ? [...body.sanctions] : [];
    rows.sort((a, b) => STATUSES.indexOf(a.status) - STATUSES.indexOf(b.status)
      || (periodStart(b.since) || '').localeCompare(periodStart(a.since) || '')
      || String(a.target).localeCompare(String(b.target)));
    const asOf = body?.asOf || f.asOf || today();
    $('register-caption').textContent = `as of ${asOf}${asKnownAt(f.knownAt)}${f.imposedBy ? `, imposed by ${f.imposedBy}` : ''}${f.status ? `, ${f.status}` : ''}${f.target ? `, target ${f.match ? 'spelt like' : 'matching'} “${f.target}”` : ''} — ${rows.length} row${rows.length === 1 ? '' : 's'}`;
    const counts = {};
    rows.forEach((r) => { counts[r.status] = (counts[r.status] || 0) + 1; });
    const keys = STATUSES.filter((k) => counts[k]);
    replace($('register-counts'), keys.map((k, i) => [i ? el('span', { class: 'sep', 'aria-hidden': 'true' }, ' · ') : null,
      el('span', { class: 'count-item' }, statusBadge(k), ` ${counts[k]}`)]));
    replace(tbody, rows.length ? rows.map((r) => row(r, f))
      : el('tr', null, el('td', { colspan: '8', class: 'muted' }, 'No sanctions measures match these filters at this date.')));
  } catch (e) {
    if (no !== loadNo) return;
    replace(tbody);
    updateCsvLink(null);
    message(statusBox, 'error', `Could not load the register: ${describeError(e)}`);
  }
}

function submit() {
  const f = readForm();
  if (f.knownAt === null) return;
  const err = $('error-register-issuer');
  if (f.imposedBy && !/^[A-Z]{2}$/.test(f.imposedBy)) {
    err.textContent = 'Use a two-letter ISO country code, e.g. US.';
    $('register-issuer').setAttribute('aria-invalid', 'true');
    $('register-issuer').focus();
    return;
  }
  err.textContent = '';
  $('register-issuer').removeAttribute('aria-invalid');
  history.replaceState(null, '', `${location.pathname}${query(f)}`);
  load(f);
}

function init() {
  const p = new URLSearchParams(location.search);
  $('register-asof').value = isIsoDate(p.get('asOf')) ? p.get('asOf') : today();
  // the address's knownAt is asked as written: only what is typed since runs to the end of its minute or second
  screened = { knownAt: knownAtFromAddress(p) };
  showKnownAt($('register-known'), screened.knownAt);
  $('register-issuer').value = (p.get('imposedBy') || '').slice(0, 2).toUpperCase();
  const status = (p.get('status') || '').toLowerCase();
  $('register-status').value = STATUSES.includes(status) ? status : '';
  $('register-target').value = (p.get('target') || '').slice(0, 200);
  $('register-similar').checked = (p.get('match') || '').toLowerCase() === 'similar';
  const badDate = addressDatesProblem(p, ['asOf']);
  if (badDate) {
    $('register-asof').value = '';
    updateCsvLink(null);
    message(statusBox, 'error', badDate);
    return;
  }
  submit();
}

form.addEventListener('submit', (ev) => { ev.preventDefault(); submit(); });
downloadWithKey($('download-csv'), (e) => message(statusBox, 'error', `Could not download the register: ${describeError(e)}`));
['register-asof', 'register-known', 'register-status', 'register-similar'].forEach((id) => $(id).addEventListener('change', () => submit()));

init();
