import { el, replace, getJson, describeError } from './api.js';
import { pairTitle, message, countryName, displayPair } from './ui.js';

async function load() {
  const list = document.getElementById('relations');
  const status = document.getElementById('relations-status');
  message(status, 'loading', 'Loading relations…');
  try {
    const body = await getJson('/api/relations');
    const relations = Array.isArray(body?.relations) ? body.relations : [];
    status.replaceChildren();
    if (relations.length === 0) {
      message(status, 'info', 'No relations recorded yet.');
      return;
    }
    replace(list, relations.map((r) => {
      const shown = displayPair(r.pair);
      const base = `/relations/${encodeURIComponent(shown)}`;
      const [a, b] = shown.split('-');
      return el('li', { class: 'relation-card', 'data-pair': r.pair },
        el('h2', null, el('a', { href: base }, pairTitle(shown))),
        el('p', { class: 'pair-id' }, `${r.pair} · ${countryName(a)} and ${countryName(b)}`),
        el('dl', { class: 'kv' },
          el('dt', { title: 'Facts recorded for the pair: corrections, retractions and source citations are not counted (the status page counts every record)' }, 'Facts'), el('dd', null, String(r.eventCount ?? '—')),
          el('dt', null, 'First event'), el('dd', null, r.firstEventOn ?? '—'),
          el('dt', null, 'Latest event'), el('dd', null, r.lastEventOn ?? '—')),
        el('p', { class: 'links' },
          el('a', { href: base }, 'Overview'),
          el('a', { href: `${base}/timeline` }, 'Timeline'),
          el('a', { href: `${base}/diff` }, 'What changed'),
          el('a', { href: `${base}/add` }, 'Add an event')));
    }));
  } catch (e) {
    message(status, 'error', `Could not load relations: ${describeError(e)}`);
  }
}

load();
