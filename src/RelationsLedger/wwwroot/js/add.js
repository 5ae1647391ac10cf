// "Add an event": a form built from GET /api/catalog, posted to /api/relations/{pair}/events with X-Api-Key.
// Validation problems (RFC 7807 errors) are shown next to the field they name.
import { el, replace, getJson, postJson, describeError, pairFromPath, KEY_STORE, storedKey } from './api.js';
import { pairTitle, renderPairNav, typeLabel, fieldLabel } from './ui.js';

const pair = pairFromPath();
const $ = (id) => document.getElementById(id);
const form = $('add-event');
const typeSelect = () => $('field-type');
const errorsBox = $('form-errors');
const successBox = $('form-success');

let catalog = null; // Map name → type
let fallback = false; // catalog unavailable: free type + JSON data

// ---------------------------------------------------------------- field builders

const HINTS = {
  Country: 'Two-letter ISO code, e.g. US or BY.',
  CountryList: 'Comma-separated ISO codes, e.g. US, BY.',
  TextList: 'One per line: each line is one item as typed, commas and all.',
  CountryCounts: 'Code=number pairs, e.g. LT=6, PL=2.',
  Count: 'A whole number.',
  EventRef: 'The id (UUID) of an event already recorded.',
  Patch: 'A JSON Merge Patch of occurredOn, summary and data, e.g. {"data": {"city": "Minsk"}}.',
};

/** One labelled control with its hint and error element: ids field-<suffix> / error-<suffix>. */
function control({ suffix, label, required, kind, choices, wide, value }) {
  const id = `field-${suffix}`;
  const hintId = HINTS[kind] ? `hint-${suffix}` : null;
  const describedBy = [hintId, `error-${suffix}`].filter(Boolean).join(' ');
  const common = { id, name: suffix, 'aria-describedby': describedBy, required: required || null, 'aria-required': required ? 'true' : null, 'data-kind': kind };
  let input;
  switch (kind) {
    case 'Choice':
      input = el('select', common,
        el('option', { value: '' }, required ? '— choose —' : '— none —'),
        (choices || []).map((c) => el('option', { value: c }, c)));
      break;
    case 'Count':
      input = el('input', { ...common, type: 'number', min: '0', step: '1', inputmode: 'numeric' });
      break;
    case 'Patch':
      input = el('textarea', { ...common, rows: '5', spellcheck: 'false' });
      break;
    case 'TextList':
      input = el('textarea', { ...common, rows: '3' });
      break;
    case 'Country':
      input = el('input', { ...common, type: 'text', maxlength: '2', size: '4', autocomplete: 'off', spellcheck: 'false', class: 'country-input' });
      break;
    case 'EventRef':
      input = el('input', { ...common, type: 'text', autocomplete: 'off', spellcheck: 'false', placeholder: '00000000-0000-0000-0000-000000000000' });
      break;
    case 'url':
      input = el('input', { ...common, type: 'url', autocomplete: 'off', spellcheck: 'false', placeholder: 'https://' });
      break;
    case 'date':
      input = el('input', { ...common, type: 'date' });
      break;
    default:
      input = label.length > 0 && /^(gist|reason)$/i.test(suffix.split('-').pop())
        ? el('textarea', { ...common, rows: '2' })
        : el('input', { ...common, type: 'text', autocomplete: 'off' });
  }
  if (value !== undefined && value !== null) input.value = value;
  return el('div', { class: ['field', wide || kind === 'Patch' ? 'wide' : null], 'data-field': suffix },
    el('label', { for: id }, label, required ? el('span', { class: 'required-mark', 'aria-hidden': 'true' }, '*') : null,
      required ? el('span', { class: 'visually-hidden' }, ' (required)') : null),
    input,
    hintId ? el('p', { class: 'hint', id: hintId }, HINTS[kind]) : null,
    el('p', { class: 'field-error', id: `error-${suffix}` }));
}

/** A Source value (outlet/title/url/publishedOn) as four sub-fields under one prefix. */
function sourceControls(prefix, { required = true, values = {} } = {}) {
  return [
    control({ suffix: `${prefix}-outlet`, label: 'Outlet', required, kind: 'Text', value: values.outlet }),
    control({ suffix: `${prefix}-title`, label: 'Title', kind: 'Text', value: values.title }),
    control({ suffix: `${prefix}-url`, label: 'Address (URL)', kind: 'url', value: values.url }),
    control({ suffix: `${prefix}-publishedOn`, label: 'Published on', kind: 'date', value: values.publishedOn }),
  ];
}

// ---------------------------------------------------------------- data fields per type

function currentDataValues() {
  const values = {};
  document.querySelectorAll('#data-fields [id^="field-data-"]').forEach((input) => {
    values[input.id.slice('field-data-'.length)] = input.value;
  });
  return values;
}

function renderDataFields() {
  const box = $('data-fields');
  const legend = $('data-legend');
  if (fallback) return;
  const type = catalog && catalog.get(typeSelect().value);
  const keep = currentDataValues();
  if (!type) {
    legend.textContent = 'Details';
    replace(box, el('p', { class: 'muted' }, 'Choose a type to see its fields.'));
    return;
  }
  legend.textContent = `Details of “${typeLabel(type.name)}”`;
  const fields = Array.isArray(type.fields) ? type.fields : [];
  if (!fields.length) {
    replace(box, el('p', { class: 'muted' }, 'This type has no fields of its own: the date, summary and sources say it all.'));
    return;
  }
  replace(box, fields.map((f) => {
    if (f.kind === 'Source') {
      return el('fieldset', { class: 'source-row wide', 'data-field': `data-${f.name}` },
        el('legend', null, fieldLabel(f.name), f.required ? el('span', { class: 'required-mark', 'aria-hidden': 'true' }, '*') : null),
        el('p', { class: 'field-error', id: `error-data-${f.name}` }),
        el('div', { class: 'form-grid' }, sourceControls(`data-${f.name}`, {
          required: f.required,
          values: {
            outlet: keep[`${f.name}-outlet`], title: keep[`${f.name}-title`], url: keep[`${f.name}-url`], publishedOn: keep[`${f.name}-publishedOn`],
          },
        })));
    }
    return control({
      suffix: `data-${f.name}`, label: fieldLabel(f.name), required: f.required, kind: f.kind, choices: f.choices,
      value: keep[f.name], wide: f.kind === 'TextList' || f.kind === 'Patch',
    });
  }));
}

function renderFallback() {
  fallback = true;
  const holder = $('type-field');
  replace(holder,
    el('label', { for: 'field-type' }, 'Type', el('span', { class: 'required-mark', 'aria-hidden': 'true' }, '*')),
    el('input', { type: 'text', id: 'field-type', name: 'type', required: true, 'aria-describedby': 'error-type', placeholder: 'e.g. EmbassyClosed' }),
    el('p', { class: 'field-error', id: 'error-type' }));
  $('data-legend').textContent = 'Details (JSON)';
  $('error-data').remove(); // the JSON field below brings its own error-data
  replace($('data-fields'), control({ suffix: 'data', label: 'Data as a JSON object', kind: 'Patch', wide: true }));
  const area = $('field-data');
  area.setAttribute('placeholder', '{"embassyOf": "US", "city": "Minsk", "mode": "suspended"}');
}

// ---------------------------------------------------------------- sources

function sourceRow(index, values = {}) {
  const prefix = `source-${index}`;
  return el('fieldset', { class: 'source-row', 'data-source-row': String(index) },
    el('legend', { class: 'visually-hidden' }, `Source ${index + 1}`),
    el('div', { class: 'source-row-head' },
      el('h3', { 'aria-hidden': 'true' }, `Source ${index + 1}`),
      index > 0 ? el('button', { type: 'button', class: 'link-like', 'data-remove-source': String(index), 'aria-label': `Remove source ${index + 1}` }, 'Remove') : null),
    el('p', { class: 'field-error', id: `error-${prefix}` }),
    el('div', { class: 'form-grid' }, sourceControls(prefix, { values })));
}

function readSources() {
  return [...document.querySelectorAll('[data-source-row]')].map((_, i) => ({
    outlet: $(`field-source-${i}-outlet`).value,
    title: $(`field-source-${i}-title`).value,
    url: $(`field-source-${i}-url`).value,
    publishedOn: $(`field-source-${i}-publishedOn`).value,
  }));
}

function renderSources(values) {
  replace($('source-rows'), values.map((v, i) => sourceRow(i, v)));
}

$('add-source').addEventListener('click', () => {
  const values = readSources();
  values.push({});
  renderSources(values);
  $(`field-source-${values.length - 1}-outlet`).focus();
});
$('source-rows').addEventListener('click', (ev) => {
  const button = ev.target.closest('[data-remove-source]');
  if (!button) return;
  const values = readSources();
  values.splice(Number(button.dataset.removeSource), 1);
  renderSources(values.length ? values : [{}]);
  $('add-source').focus();
});

// ---------------------------------------------------------------- payload

class LocalError extends Error {
  constructor(field, msg) { super(msg); this.field = field; }
}

const trimmed = (v) => (typeof v === 'string' ? v.trim() : v);
const commaList = (v) => v.split(',').map((x) => x.trim()).filter(Boolean);
// a list item is one line (the server refuses a line break inside one), so a comma stays within its item
const lineList = (v) => v.split(/\r?\n/).map((x) => x.trim()).filter(Boolean);

function compact(obj) {
  const out = {};
  for (const [k, v] of Object.entries(obj)) if (v !== '' && v !== undefined && v !== null) out[k] = v;
  return out;
}

function readField(f) {
  const suffix = `data-${f.name}`;
  if (f.kind === 'Source') {
    const s = compact({
      outlet: trimmed($(`field-${suffix}-outlet`).value), title: trimmed($(`field-${suffix}-title`).value),
      url: trimmed($(`field-${suffix}-url`).value), publishedOn: trimmed($(`field-${suffix}-publishedOn`).value),
    });
    return Object.keys(s).length ? s : undefined;
  }
  const raw = trimmed($(`field-${suffix}`).value);
  if (raw === '') return undefined;
  switch (f.kind) {
    case 'Country': return raw.toUpperCase();
    case 'CountryList': return commaList(raw).map((c) => c.toUpperCase());
    case 'TextList': return lineList(raw);
    case 'Count': return /^\d+$/.test(raw) ? Number(raw) : raw;
    case 'CountryCounts': {
      const out = {};
      for (const part of raw.split(/[,;]/).map((p) => p.trim()).filter(Boolean)) {
        const m = /^([A-Za-z]{2})\s*[=:]\s*(\d+)$/.exec(part);
        if (!m) throw new LocalError(suffix, `“${part}” is not CODE=number (e.g. LT=6).`);
        const code = m[1].toUpperCase();
        if (code in out) throw new LocalError(suffix, `${code} appears twice.`);
        out[code] = Number(m[2]);
      }
      return out;
    }
    case 'Patch': {
      let v;
      try { v = JSON.parse(raw); } catch (e) { throw new LocalError(suffix, `Not valid JSON: ${e.message}`); }
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw new LocalError(suffix, 'Must be a JSON object.');
      return v;
    }
    default: return raw;
  }
}

function buildPayload() {
  const type = trimmed(typeSelect().value);
  const payload = {
    type,
    occurredOn: trimmed($('field-occurredOn').value),
    summary: trimmed($('field-summary').value),
    data: {},
    sources: readSources().map((s) => compact({
      outlet: trimmed(s.outlet), title: trimmed(s.title), url: trimmed(s.url), publishedOn: trimmed(s.publishedOn),
    })),
  };
  const related = trimmed($('field-relatedEventIds').value);
  if (related) payload.relatedEventIds = commaList(related);
  if (fallback) {
    const raw = trimmed($('field-data').value);
    if (raw) {
      try { payload.data = JSON.parse(raw); } catch (e) { throw new LocalError('data', `Not valid JSON: ${e.message}`); }
    }
    return payload;
  }
  const spec = catalog && catalog.get(type);
  for (const f of spec ? spec.fields || [] : []) {
    const v = readField(f);
    if (v !== undefined) payload.data[f.name] = v;
  }
  return payload;
}

// ---------------------------------------------------------------- errors

function clearErrors() {
  errorsBox.replaceChildren();
  $('form-error-summary').textContent = '';
  form.querySelectorAll('.field-error').forEach((p) => { p.textContent = ''; });
  form.querySelectorAll('[aria-invalid]').forEach((i) => i.removeAttribute('aria-invalid'));
}

/**
 * Finds the error element for a server key: "data.city" → error-data-city, "sources[0].outlet" → error-source-0-outlet,
 * "data.byNationality.LT" → error-data-byNationality (with "LT" as detail), "occurredOn" → error-occurredOn.
 */
function resolve(key) {
  const segments = String(key).replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean);
  const variants = [segments];
  if (segments[0] === 'sources') variants.unshift(['source', ...segments.slice(1)]);
  for (const segs of variants) {
    for (let i = segs.length; i >= 1; i -= 1) {
      const suffix = segs.slice(0, i).join('-');
      const node = document.getElementById(`error-${suffix}`);
      if (node && form.contains(node)) return { node, suffix, rest: segs.slice(i).join('.') };
    }
  }
  // case-insensitive last resort (e.g. "OccurredOn")
  const lower = segments.join('-').toLowerCase();
  const match = [...form.querySelectorAll('.field-error[id^="error-"]')].find((n) => n.id.slice(6).toLowerCase() === lower);
  return match ? { node: match, suffix: match.id.slice(6), rest: '' } : null;
}

function showFieldError(target, text) {
  const { node, suffix } = target;
  node.textContent = node.textContent ? `${node.textContent} ${text}` : text;
  const input = document.getElementById(`field-${suffix}`);
  if (input) input.setAttribute('aria-invalid', 'true');
}

function generalError(title, lines = []) {
  replace(errorsBox,
    el('p', null, el('strong', null, title)),
    lines.length ? el('ul', null, lines.map((l) => el('li', null, l))) : null);
}

/** What an error's key names below its field: a list's item counted from 1 ("Item 2"), a country code as given. */
const restLabel = (rest) => (/^\d+$/.test(rest) ? `Item ${Number(rest) + 1}` : rest);

/** The control to focus for an error: its field, else the first control of the group it is about (a source). */
function controlOf(target) {
  return document.getElementById(`field-${target.suffix}`) || target.node.parentElement.querySelector('input, select, textarea');
}

/** Of the targets, the one first in the form's order (the server's keys come in its own order). */
function firstInForm(targets) {
  const precedes = (a, b) => Boolean(a.node.compareDocumentPosition(b.node) & Node.DOCUMENT_POSITION_FOLLOWING);
  return targets.reduce((first, t) => (first && !precedes(t, first) ? first : t), null);
}

function showValidation(problem) {
  const errors = problem && typeof problem.errors === 'object' && problem.errors ? problem.errors : {};
  const unmatched = [];
  const targets = [];
  let count = 0;
  for (const [key, messages] of Object.entries(errors)) {
    const list = [].concat(messages).map(String);
    const target = resolve(key);
    if (!target) { list.forEach((m) => unmatched.push(`${key}: ${m}`)); continue; }
    for (const m of list) {
      showFieldError(target, target.rest ? `${restLabel(target.rest)}: ${m}` : m);
      count += 1;
    }
    targets.push(target);
  }
  const first = firstInForm(targets);
  if (unmatched.length || !Object.keys(errors).length) {
    generalError(problem?.title || 'The event was not recorded.', unmatched.length ? unmatched : [problem?.detail].filter(Boolean));
  }
  $('form-error-summary').textContent = count ? `The event was not recorded: ${count} problem${count === 1 ? '' : 's'} marked above.` : '';
  const focusInput = first && controlOf(first);
  if (unmatched.length || !focusInput) errorsBox.focus();
  else focusInput.focus();
}

// ---------------------------------------------------------------- submit

form.addEventListener('submit', async (ev) => {
  ev.preventDefault();
  clearErrors();
  successBox.replaceChildren();
  let payload;
  try {
    payload = buildPayload();
  } catch (e) {
    if (e instanceof LocalError) {
      const target = resolve(e.field);
      if (target) { showFieldError(target, e.message); document.getElementById(`field-${target.suffix}`)?.focus(); } else generalError(e.message);
      return;
    }
    throw e;
  }
  const key = $('field-apiKey').value.trim();
  const submit = $('submit-event');
  submit.disabled = true;
  form.setAttribute('aria-busy', 'true');
  const { status, body } = await postJson(`/api/relations/${encodeURIComponent(pair)}/events`, payload, key ? { 'X-Api-Key': key } : {});
  submit.disabled = false;
  form.removeAttribute('aria-busy');

  if (status === 201 || status === 200) {
    const id = body && body.eventId;
    replace(successBox,
      el('p', null, el('strong', null, 'Recorded. '),
        id ? ['The event is ', el('a', { href: `/events/${encodeURIComponent(id)}`, id: 'created-event-link' }, `event ${id}`), '.'] : 'The event was recorded.',
        body && Number.isFinite(body.sequence) ? ` Ledger sequence #${body.sequence}.` : ''),
      el('p', { class: 'small' },
        el('a', { href: `/relations/${encodeURIComponent(pair)}/timeline` }, 'Timeline'), ' · ',
        el('a', { href: `/relations/${encodeURIComponent(pair)}` }, 'Overview')));
    $('field-summary').value = '';
    $('field-occurredOn').value = '';
    $('field-relatedEventIds').value = '';
    document.querySelectorAll('#data-fields input, #data-fields select, #data-fields textarea').forEach((i) => { i.value = ''; });
    renderSources([{}]);
    successBox.focus();
    return;
  }
  if (status === 400 || status === 422) { showValidation(body); return; }
  if (status === 401 || status === 403) {
    generalError(body?.title || (status === 401 ? 'An API key is required.' : 'This API key is not valid.'), [body?.detail].filter(Boolean));
    const target = resolve('apiKey');
    if (target) showFieldError(target, body?.title || 'Check the key.');
    errorsBox.focus();
    return;
  }
  generalError(body?.title || (status ? `The server answered HTTP ${status}.` : 'The server could not be reached.'),
    [body?.detail].filter(Boolean));
  errorsBox.focus();
});

// ---------------------------------------------------------------- key handling

function storeKey(v) {
  try { if (v) sessionStorage.setItem(KEY_STORE, v); else sessionStorage.removeItem(KEY_STORE); } catch { /* storage disabled */ }
}
$('field-apiKey').value = storedKey();
$('field-apiKey').addEventListener('input', () => storeKey($('field-apiKey').value.trim()));
$('show-key').addEventListener('change', () => { $('field-apiKey').type = $('show-key').checked ? 'text' : 'password'; });
$('forget-key').addEventListener('click', () => { $('field-apiKey').value = ''; storeKey(''); $('field-apiKey').focus(); });

// ---------------------------------------------------------------- start

async function init() {
  if (!pair) {
    generalError('No relationship in the address: expected /relations/XX-YY/add.');
    $('submit-event').disabled = true;
    return;
  }
  document.title = `${pairTitle(pair)} · Add an event · RelationsLedger`;
  $('pair-title').textContent = `Add an event: ${pairTitle(pair)}`;
  renderPairNav(pair, 'add');
  renderSources([{}]);
  try {
    const body = await getJson('/api/catalog');
    const types = (body?.types || []).filter((t) => t && typeof t.name === 'string');
    if (!types.length) throw new Error('the catalogue is empty');
    catalog = new Map(types.map((t) => [t.name, t]));
    const facts = types.filter((t) => !t.provenance).sort((a, b) => typeLabel(a.name).localeCompare(typeLabel(b.name)));
    const provenance = types.filter((t) => t.provenance).sort((a, b) => typeLabel(a.name).localeCompare(typeLabel(b.name)));
    const wanted = new URLSearchParams(location.search).get('type');
    replace(typeSelect(),
      el('option', { value: '' }, '— choose a type —'),
      el('optgroup', { label: 'Facts about the relationship' }, facts.map((t) => el('option', { value: t.name }, typeLabel(t.name)))),
      provenance.length ? el('optgroup', { label: 'Corrections, retractions, citations' }, provenance.map((t) => el('option', { value: t.name }, typeLabel(t.name)))) : null);
    if (wanted && catalog.has(wanted)) typeSelect().value = wanted;
    typeSelect().addEventListener('change', renderDataFields);
    renderDataFields();
  } catch (e) {
    renderFallback();
    generalError('The event catalogue is unavailable, so the form cannot show each type’s fields.',
      [describeError(e), 'You can still type the event type and its data as JSON.']);
  }
}

init();
