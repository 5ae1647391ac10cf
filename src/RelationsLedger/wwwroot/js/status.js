// Ledger health, refreshed every 5 seconds while the page is visible.
import { el, replace, getJson, describeError } from './api.js';
import { message, formatInstant, displayPair } from './ui.js';

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 5000;
let timer = null;
let busy = false;

function render(s) {
  $('status-events').textContent = String(s.events ?? '—');
  $('status-pairs').textContent = String(s.pairs ?? '—');
  $('status-hwm').textContent = String(s.highWaterMark ?? '—');
  const last = s.lastAppend;
  if (last) {
    $('status-last').textContent = formatInstant(last.recordedAt);
    replace($('status-last-note'), `sequence #${last.sequence}`,
      last.pair ? [' · ', el('a', { href: `/relations/${encodeURIComponent(displayPair(last.pair))}` }, displayPair(last.pair))] : null);
  } else {
    $('status-last').textContent = 'nothing yet';
    $('status-last-note').textContent = '';
  }
  const projections = Array.isArray(s.projections) ? s.projections : [];
  replace($('projections').tBodies[0], projections.length
    ? projections.map((p) => {
      const lag = Number(p.lag) || 0;
      return el('tr', { 'data-projection': p.name },
        el('th', { scope: 'row', class: 'mono' }, p.name),
        el('td', { class: 'num' }, String(p.sequence ?? '—')),
        el('td', { class: 'num' }, String(lag)),
        el('td', null, el('span', { class: ['badge', lag === 0 ? 'st-green' : lag < 100 ? 'st-amber' : 'st-red'] },
          lag === 0 ? 'up to date' : `behind by ${lag}`)));
    })
    : el('tr', null, el('td', { colspan: '4', class: 'muted' }, 'No asynchronous projections reported.')));
}

async function refresh() {
  if (busy) return;
  busy = true;
  try {
    const s = await getJson('/api/status');
    render(s);
    $('status-message').replaceChildren();
    $('status-updated').textContent = `Updated ${formatInstant(new Date().toISOString())}`;
  } catch (e) {
    message($('status-message'), 'error', `Status unavailable: ${describeError(e)}`);
    $('status-updated').textContent = `Last attempt ${formatInstant(new Date().toISOString())}`;
  } finally {
    busy = false;
  }
}

function schedule() {
  clearInterval(timer);
  timer = null;
  if ($('auto-refresh').checked && document.visibilityState === 'visible') timer = setInterval(refresh, REFRESH_MS);
}

$('auto-refresh').addEventListener('change', () => { schedule(); if ($('auto-refresh').checked) refresh(); });
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') refresh(); schedule(); });
refresh();
schedule();
